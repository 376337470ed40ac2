//! Failure and recovery outputs: `incidents.csv` (one row per fault that touched a running job),
//! `recovery_timeline.csv` (goodput over time) and the extra `jobs.csv` columns (restarts, lost
//! GPU-hours, maxRetry reached, final vcjob phase). Written only when faults or lifecycle policies
//! are configured.

use super::jobs::JobRow;
use crate::metrics::recovery::{GoodputRow, IncidentRow, MILLI_GPU_MS_PER_GPU_HOUR, RecoverySummary};
use crate::metrics::summary::round6;
use crate::sim::Simulation;
use serde::Serialize;
use std::path::Path;

/// Everything the recovery reports need.
#[derive(Clone, Debug, PartialEq)]
pub struct RecoveryOutput {
    /// The `recovery` section of `summary.json`.
    pub summary: RecoverySummary,
    /// Incidents.
    pub incidents: Vec<IncidentRow>,
    /// Goodput samples.
    pub timeline: Vec<GoodputRow>,
    /// Per job (id order): every vcjob phase it entered with the time in seconds (not written
    /// to files; for tests and analysis).
    pub phases: Vec<Vec<(f64, &'static str)>>,
}

impl RecoveryOutput {
    /// Builds the outputs of a finished run (`None` when failure handling was off), and fills the
    /// recovery columns of the run's job rows (`rows`, in job order).
    pub fn build(sim: &Simulation, rows: &mut [JobRow]) -> Option<RecoveryOutput> {
        let rec = sim.recovery()?;
        let per_job = sim.job_recovery();
        let counters = rec.faults.as_ref().map_or((0, 0, 0), |f| (f.node_failures, f.device_failures, f.swaps));
        let summary = RecoverySummary::build(&rec.incidents, &per_job, counters, sim.recorder.accel_alloc_area);
        let gh = |x: u128| round6(x as f64 / MILLI_GPU_MS_PER_GPU_HOUR);
        let incidents = rec
            .incidents
            .iter()
            .map(|i| IncidentRow {
                job: sim.state.jobs[i.job.idx()].name.clone(),
                time_s: i.at.secs_f64(),
                cause: i.cause,
                node: match i.card {
                    Some(c) => format!("{}/card-{c}", i.node),
                    None => i.node.clone(),
                },
                pods_killed: i.pods_killed,
                recovery_s: i.recovered.map(|r| r.since(i.at).secs_f64()),
                rolled_back_s: i.rolled_back_ms as f64 / 1000.0,
                rolled_back_gpu_h: gh(i.rolled_back_gpu),
                idle_held_gpu_h: gh(i.idle_held_gpu),
                restarts: i.restarts,
            })
            .collect();
        for (r, st) in rows.iter_mut().zip(&per_job) {
            r.phase = Some(st.phase);
            r.restarts = Some(st.restarts);
            r.incidents = Some(st.incidents);
            r.rolled_back_s = Some(st.rolled_back_ms as f64 / 1000.0);
            r.lost_gpu_h = Some(gh(st.rolled_back_gpu + st.idle_held_gpu));
            r.hit_max_retry = Some(st.hit_max_retry);
        }
        let phases =
            rec.jobs.iter().map(|c| c.phases.iter().map(|(t, p)| (t.secs_f64(), p.name())).collect()).collect();
        Some(RecoveryOutput { summary, incidents, timeline: rec.timeline.clone(), phases })
    }

    /// Writes `incidents.csv` and `recovery_timeline.csv` (the recovery columns of `jobs.csv` come
    /// with the job rows).
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        use super::write::{csv_bytes, write_atomic};
        std::fs::create_dir_all(dir)?;
        write_atomic(&dir.join("incidents.csv"), &csv_bytes(&self.incidents).map_err(std::io::Error::other)?)?;
        write_atomic(&dir.join("recovery_timeline.csv"), &csv_bytes(&self.timeline).map_err(std::io::Error::other)?)
    }
}

/// One scenario's line in `tephra recovery-compare`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CompareRow {
    /// Scenario name.
    pub scenario: String,
    /// Jobs completed.
    pub completed: usize,
    /// Jobs still waiting or running at the end.
    pub unfinished: usize,
    /// Jobs ended by the controller (maxRetry, AbortJob, TerminateJob).
    pub ended_by_policy: usize,
    /// First submit → last completion, hours.
    pub makespan_h: f64,
    /// Faults that touched a running job.
    pub incidents: usize,
    /// Incidents never recovered from.
    pub unrecovered: usize,
    /// Recovery time p50, s.
    pub mttr_p50_s: f64,
    /// Recovery time p95, s.
    pub mttr_p95_s: f64,
    /// Recovery time max, s.
    pub mttr_max_s: f64,
    /// Lost GPU-hours (rolled back + idle-held).
    pub lost_gpu_h: f64,
    /// Rolled-back GPU-hours.
    pub rolled_back_gpu_h: f64,
    /// Idle-held GPU-hours.
    pub idle_held_gpu_h: f64,
    /// Restarts.
    pub restarts: u64,
    /// Productive / allocated GPU-hours.
    pub useful_compute_ratio: f64,
}

impl CompareRow {
    /// The row of a run (`None` if it had no recovery section).
    pub fn of(summary: &crate::metrics::Summary) -> Option<CompareRow> {
        let r = summary.recovery.as_ref()?;
        Some(CompareRow {
            scenario: summary.scenario.clone(),
            completed: summary.jobs.completed,
            unfinished: summary.jobs.unfinished,
            ended_by_policy: summary.jobs.ended_by_policy,
            makespan_h: round6(summary.makespan_s / 3600.0),
            incidents: r.incidents,
            unrecovered: r.unrecovered,
            mttr_p50_s: r.mttr_s.p50,
            mttr_p95_s: r.mttr_s.p95,
            mttr_max_s: r.mttr_s.max,
            lost_gpu_h: r.lost_gpu_hours,
            rolled_back_gpu_h: r.rolled_back_gpu_hours,
            idle_held_gpu_h: r.idle_held_gpu_hours,
            restarts: r.restarts,
            useful_compute_ratio: r.useful_compute_ratio,
        })
    }

    /// A plain-text table of rows, side by side.
    pub fn table(rows: &[CompareRow]) -> String {
        let mut s = format!(
            "{:<32} {:>5} {:>5} {:>6} {:>9} {:>5} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6}\n",
            "scenario",
            "done",
            "left",
            "ended",
            "makespan",
            "inc",
            "unrec",
            "mttr p50",
            "mttr p95",
            "mttr max",
            "lost",
            "rollback",
            "idle",
            "useful"
        );
        s += &format!(
            "{:<32} {:>5} {:>5} {:>6} {:>9} {:>5} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6}\n",
            "", "jobs", "jobs", "jobs", "h", "", "", "s", "s", "s", "GPU-h", "GPU-h", "GPU-h", "ratio"
        );
        for r in rows {
            s += &format!(
                "{:<32} {:>5} {:>5} {:>6} {:>9.1} {:>5} {:>6} {:>9.0} {:>9.0} {:>9.0} {:>9.1} {:>9.1} {:>9.1} {:>6.3}\n",
                r.scenario,
                r.completed,
                r.unfinished,
                r.ended_by_policy,
                r.makespan_h,
                r.incidents,
                r.unrecovered,
                r.mttr_p50_s,
                r.mttr_p95_s,
                r.mttr_max_s,
                r.lost_gpu_h,
                r.rolled_back_gpu_h,
                r.idle_held_gpu_h,
                r.useful_compute_ratio
            );
        }
        s
    }
}
