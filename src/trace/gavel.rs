//! Gavel (OSDI'20) tab-separated traces, headerless, in two layouts:
//!
//! - 7 fields (the Philly-derived `msr/seed=N/<vc>.trace`): `job_type, command, num_steps_arg,
//!   needs_data_dir, total_steps, arrival_time, scale_factor`;
//! - 10 fields (`physical_cluster/*.trace`): `job_type, command, working_directory, num_steps_arg,
//!   needs_data_dir, total_steps, scale_factor, priority_weight, SLO, arrival_time`.
//!
//! | tephra | column |
//! |---|---|
//! | submit time | `arrival_time` (seconds from trace start) |
//! | duration | `total_steps` / the job type's isolated V100 throughput (steps/s) at `scale_factor` |
//! | GPUs | `scale_factor` (whole job) |
//! | tenant → queue | the file stem for 7-field files (the Philly VC, `6214e9`); `default` for 10-field |
//! | gang size | `scale_factor` split into pods of at most 8 |
//! | GPU model | none (Gavel's worker types are a property of the fleet, not of the job) |
//!
//! Throughputs come from Gavel's `simulation_throughputs.json`, found in the trace's folder or
//! one of its parents; the key is `('<job_type>', <scale_factor>)`, the value `["null"]`. When a
//! scale factor was not measured, tephra scales the largest measured smaller one linearly (an
//! assumption Gavel's own traces need for 16-64 GPU jobs). `command` is text and is never run.
//! Rows must be in arrival order.

use super::error::TraceError;
use super::fields::{Ctx, Header, count, number, open_csv, seconds};
use super::record::{TraceJob, TraceRole};
use super::source::{CsvEntries, Entries, Entry, GPUS_PER_NODE, split_gang};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The 7-field layout.
pub const COLUMNS_7: [&str; 7] =
    ["job_type", "command", "num_steps_arg", "needs_data_dir", "total_steps", "arrival_time", "scale_factor"];
/// The 10-field layout.
pub const COLUMNS_10: [&str; 10] = [
    "job_type",
    "command",
    "working_directory",
    "num_steps_arg",
    "needs_data_dir",
    "total_steps",
    "scale_factor",
    "priority_weight",
    "SLO",
    "arrival_time",
];
/// The throughput table's file name.
pub const THROUGHPUTS: &str = "simulation_throughputs.json";
/// The worker type whose throughputs give durations.
pub const WORKER_TYPE: &str = "v100";

/// Isolated throughputs (steps/s) by job type and scale factor.
pub type Throughputs = BTreeMap<String, BTreeMap<u32, f64>>;

/// Finds `simulation_throughputs.json` next to the trace or in a parent folder.
pub fn find_throughputs(trace: &Path) -> Option<PathBuf> {
    let mut dir = trace.parent();
    while let Some(d) = dir {
        let c = d.join(THROUGHPUTS);
        if c.exists() {
            return Some(c);
        }
        dir = d.parent();
    }
    None
}

/// Reads the [`WORKER_TYPE`] isolated throughputs of a Gavel throughput table.
pub fn read_throughputs(path: &Path) -> Result<Throughputs, TraceError> {
    let cx = Ctx::new(path);
    let f = std::fs::File::open(path).map_err(|e| cx.err(0, "file", e.to_string()))?;
    let all: BTreeMap<String, BTreeMap<String, serde_json::Value>> =
        serde_json::from_reader(std::io::BufReader::new(f))
            .map_err(|e| cx.err(e.line() as u64, "json", e.to_string()))?;
    let table = all.get(WORKER_TYPE).ok_or_else(|| cx.err(1, WORKER_TYPE, "no such worker type"))?;
    let mut out = Throughputs::new();
    for (key, v) in table {
        // "('ResNet-50 (batch size 128)', 4)"
        let parsed = key
            .strip_prefix("('")
            .and_then(|k| k.strip_suffix(')'))
            .and_then(|k| k.rsplit_once("', "))
            .and_then(|(t, sf)| Some((t.to_string(), sf.trim().parse::<u32>().ok()?)));
        let Some((job_type, sf)) = parsed else { continue };
        if let Some(tput) = v.get("null").and_then(|x| x.as_f64()).filter(|t| *t > 0.0) {
            out.entry(job_type).or_default().insert(sf, tput);
        }
    }
    Ok(out)
}

/// Steps per second of `job_type` at `sf` GPUs: measured, or the largest measured smaller scale
/// factor scaled linearly.
pub fn throughput(t: &Throughputs, job_type: &str, sf: u32) -> Option<f64> {
    let by_sf = t.get(job_type)?;
    if let Some(v) = by_sf.get(&sf) {
        return Some(*v);
    }
    let (k, v) = by_sf.range(..sf).next_back()?;
    Some(v * sf as f64 / *k as f64)
}

/// Streams the jobs of a Gavel trace, reading durations from `throughputs` (or the table found
/// next to the trace when `None`).
pub fn open(path: &Path, throughputs: Option<&Path>) -> Result<Entries, TraceError> {
    let cx = Ctx::new(path);
    // The layout comes from the first row's field count.
    let mut probe = open_csv(path, &cx, false, b'\t')?;
    let mut rec = csv::StringRecord::new();
    let first = super::fields::next_record(&mut probe, &mut rec, &cx)?;
    if first.is_none() {
        return Err(cx.err(1, "row", "the file is empty"));
    }
    let (header, cols) = match rec.len() {
        7 => (Header::fixed(&COLUMNS_7), [0usize, 4, 5, 6]),
        10 => (Header::fixed(&COLUMNS_10), [0, 5, 9, 6]),
        n => return Err(cx.err(1, "row", format!("{n} tab-separated fields; a Gavel trace has 7 or 10"))),
    };
    let tpath = match throughputs {
        Some(p) => p.to_path_buf(),
        None => find_throughputs(path).ok_or_else(|| {
            cx.err(
                0,
                "file",
                format!("no {THROUGHPUTS} next to the trace or in a parent folder (Gavel durations need it)"),
            )
        })?,
    };
    let table = read_throughputs(&tpath)?;
    let tenant = if rec.len() == 7 {
        path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "default".into())
    } else {
        "default".into()
    };
    let rdr = open_csv(path, &cx, false, b'\t')?;
    let map = move |rec: &csv::StringRecord, line: u64, cx: &Ctx| -> Result<Entry, TraceError> {
        let job_type = &rec[cols[0]];
        let steps = number(cx, line, "total_steps", &rec[cols[1]])?;
        if steps <= 0.0 {
            return Err(cx.err(line, "total_steps", format!("`{}` must be positive", &rec[cols[1]])));
        }
        let sf = count(cx, line, "scale_factor", &rec[cols[3]], 1, 4096)?;
        let tput = throughput(&table, job_type, sf).ok_or_else(|| {
            cx.err(line, "job_type", format!("no {WORKER_TYPE} throughput for `{job_type}` at scale factor {sf}"))
        })?;
        let (pods, per) = split_gang(sf, GPUS_PER_NODE);
        Ok(Entry::Job(TraceJob {
            id: format!("gavel-{line}"),
            submit_s: seconds(cx, line, "arrival_time", &rec[cols[2]])?,
            duration_s: steps / tput,
            tenant: tenant.clone(),
            priority: 0,
            roles: vec![TraceRole::gpus("worker", pods, per)],
            line,
        }))
    };
    Ok(Box::new(CsvEntries::new(rdr, cx, header, Some("arrival_time"), Box::new(map))))
}
