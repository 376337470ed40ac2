//! Helpers shared by the integration tests: scenario files in a temporary folder, runs through the
//! same runner the CLI uses.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use tephra::runner::{self, RunOptions, RunOutput};

pub const HEADER: &str =
    "job_id,submit_s,duration_s,queue,priority,role,replicas,min_available,cpu,memory,gpu,gpu_model\n";

/// Writes `scenario.yaml` and `trace.csv` into `dir`; the scenario's trace path is `trace.csv`.
pub fn write_scenario(dir: &Path, yaml: &str, trace_rows: &str) -> PathBuf {
    std::fs::write(dir.join("trace.csv"), format!("{HEADER}{trace_rows}")).unwrap();
    let path = dir.join("scenario.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

/// Loads and runs a scenario with invariant checks after every event.
pub fn run_checked(path: &Path) -> RunOutput {
    let sc = tephra::scenario::load(path).unwrap_or_else(|e| panic!("{e}"));
    runner::run(&sc, &RunOptions { check_invariants: true, record_decisions: true }, |_| {})
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Each job's (name, gang-ready time, finish time) in seconds, the usual hand-computed expectation.
pub fn timings(out: &RunOutput) -> Vec<(&str, Option<f64>, Option<f64>)> {
    out.jobs.iter().map(|r| (r.job.as_str(), r.gang_ready_s, r.finish_s)).collect()
}

/// The repository root (tests run with the package root as working directory).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
