//! Report writers: `summary.json`, `perf.json`, `jobs.csv`, `timeline.csv`, `queues.csv` (with
//! the `analytics` feature also `jobs.parquet`, `timeline.parquet`, `queues.parquet`) and the
//! console table.

pub mod charts;
pub mod compare_report;
pub mod document;
pub mod frame;
pub mod inflate;
pub mod jobs;
#[cfg(feature = "analytics")]
pub mod parquet;
pub mod recovery;
pub mod run_report;
pub mod table;
pub mod write;

use crate::metrics::{DecisionRow, QueueRow, Summary, TimelineRow};
use serde::Serialize;
use std::path::Path;

/// Wall-clock figures (`perf.json`); never part of `summary.json`, which must not vary between
/// reruns.
#[derive(Clone, Debug, Serialize)]
pub struct PerfReport {
    /// Whole run, seconds.
    pub wall_s: f64,
    /// Events processed.
    pub events: u64,
    /// Cycles run.
    pub cycles: u64,
    /// Median cycle wall time, microseconds.
    pub cycle_us_p50: f64,
    /// 99th percentile cycle wall time, microseconds.
    pub cycle_us_p99: f64,
    /// Longest cycle, microseconds.
    pub cycle_us_max: f64,
    /// Binds per wall second.
    pub binds_per_s: f64,
    /// Scheduler decisions: binds + evictions.
    pub decisions: u64,
    /// Wall time spent inside scheduling cycles, seconds.
    pub scheduling_s: f64,
    /// Decisions per second of scheduling wall time (the scheduler's throughput).
    pub decisions_per_s: f64,
}

impl PerfReport {
    /// Builds the perf report from per-cycle wall times.
    pub fn new(wall_s: f64, events: u64, cycle_ns: &[u64], binds: u64, evictions: u64) -> PerfReport {
        let scheduling_s = cycle_ns.iter().sum::<u64>() as f64 / 1e9;
        let mut v: Vec<f64> = cycle_ns.iter().map(|n| *n as f64 / 1000.0).collect();
        v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
        let pct = |p| crate::metrics::summary::percentile(&v, p);
        PerfReport {
            wall_s,
            events,
            cycles: cycle_ns.len() as u64,
            cycle_us_p50: pct(0.5),
            cycle_us_p99: pct(0.99),
            cycle_us_max: v.last().copied().unwrap_or(0.0),
            binds_per_s: if wall_s > 0.0 { binds as f64 / wall_s } else { 0.0 },
            decisions: binds + evictions,
            scheduling_s,
            decisions_per_s: if scheduling_s > 0.0 { (binds + evictions) as f64 / scheduling_s } else { 0.0 },
        }
    }
}

/// Writes every output file of a run into `dir` (created if missing).
pub fn write_all(
    dir: &Path,
    summary: &Summary,
    perf: &PerfReport,
    jobs: &[jobs::JobRow],
    timeline: &[TimelineRow],
    queues: &[QueueRow],
    decisions: Option<&[DecisionRow]>,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    write::write_atomic(&dir.join("summary.json"), pretty_json(summary).as_bytes())?;
    write::write_atomic(&dir.join("perf.json"), pretty_json(perf).as_bytes())?;
    write::write_atomic(&dir.join("jobs.csv"), &write::csv_bytes(jobs).map_err(std::io::Error::other)?)?;
    write::write_atomic(&dir.join("timeline.csv"), &write::csv_bytes(timeline).map_err(std::io::Error::other)?)?;
    write::write_atomic(&dir.join("queues.csv"), &write::csv_bytes(queues).map_err(std::io::Error::other)?)?;
    if let Some(d) = decisions {
        write::write_atomic(&dir.join("decisions.csv"), &write::csv_bytes(d).map_err(std::io::Error::other)?)?;
    }
    #[cfg(feature = "analytics")]
    {
        parquet::write_rows(&dir.join("jobs.parquet"), jobs)?;
        parquet::write_rows(&dir.join("timeline.parquet"), timeline)?;
        parquet::write_rows(&dir.join("queues.parquet"), queues)?;
    }
    Ok(())
}

/// Writes everything a finished run produces into `dir`: the data files ([`write_all`], with the
/// decision log when `decisions`), the report with its charts, and the fragmentation and
/// recovery tables when the run has them. `tephra run`, the comparison's per-variant reports and
/// `recovery-compare` share it, so a run's folder holds the same files whichever command made it.
pub fn write_run(
    dir: &Path,
    sc: &crate::scenario::Scenario,
    out: &crate::runner::RunOutput,
    decisions: bool,
) -> std::io::Result<()> {
    write_all(
        dir,
        &out.summary,
        &out.perf,
        &out.jobs,
        &out.timeline,
        &out.queues,
        decisions.then_some(&out.decisions[..]),
    )?;
    run_report::write(dir, sc, out)?;
    if !out.fragmentation.is_empty() {
        let bytes = write::csv_bytes(&out.fragmentation).map_err(std::io::Error::other)?;
        write::write_atomic(&dir.join("fragmentation.csv"), &bytes)?;
    }
    if let Some(r) = &out.recovery {
        r.write(dir)?;
    }
    Ok(())
}

/// Pretty JSON with a trailing newline.
pub fn pretty_json<T: Serialize>(v: &T) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("report types serialize");
    s.push('\n');
    s
}
