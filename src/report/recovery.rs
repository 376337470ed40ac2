//! Failure and recovery outputs: `incidents.csv` (one row per fault that touched a running job),
//! `recovery_timeline.csv` (goodput over time) and the extra `jobs.csv` columns (restarts, lost
//! GPU-hours, maxRetry reached, final vcjob phase). Written only when faults or lifecycle policies
//! are configured.

use super::jobs::{JobRow, job_rows};
use crate::metrics::recovery::{GoodputRow, IncidentRow, MILLI_GPU_MS_PER_GPU_HOUR, RecoverySummary};
use crate::metrics::summary::round6;
use crate::sim::Simulation;
use serde::Serialize;
use std::path::Path;

/// A `jobs.csv` row with the recovery columns.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RecoveryJobRow {
    /// Job id from the trace.
    pub job: String,
    /// Queue.
    pub queue: String,
    /// Submit time, s.
    pub submit_s: f64,
    /// First pod running, s.
    pub first_start_s: Option<f64>,
    /// Gang running, s.
    pub gang_ready_s: Option<f64>,
    /// Completion, s.
    pub finish_s: Option<f64>,
    /// Outcome.
    pub state: &'static str,
    /// Accelerators over all pods.
    pub gpus: f64,
    /// Pods.
    pub pods: u32,
    /// Gang minimum.
    pub min_available: u32,
    /// Submit → gang running, s.
    pub queueing_delay_s: Option<f64>,
    /// Submit → completion, s.
    pub jct_s: Option<f64>,
    /// Why the job is not done.
    pub reason: String,
    /// Final vcjob phase.
    pub phase: &'static str,
    /// Restarts made by lifecycle policies.
    pub restarts: u32,
    /// Faults that touched the job while it ran.
    pub incidents: u32,
    /// Rolled-back progress, s.
    pub rolled_back_s: f64,
    /// Rolled-back + idle-held GPU-hours.
    pub lost_gpu_h: f64,
    /// Whether retryCount reached maxRetry.
    pub hit_max_retry: bool,
}

/// Everything the recovery reports need.
#[derive(Clone, Debug, PartialEq)]
pub struct RecoveryOutput {
    /// The `recovery` section of `summary.json`.
    pub summary: RecoverySummary,
    /// Incidents.
    pub incidents: Vec<IncidentRow>,
    /// Goodput samples.
    pub timeline: Vec<GoodputRow>,
    /// Jobs with recovery columns.
    pub jobs: Vec<RecoveryJobRow>,
}

impl RecoveryOutput {
    /// Builds the outputs of a finished run (`None` when failure handling was off).
    pub fn build(sim: &Simulation) -> Option<RecoveryOutput> {
        let rec = sim.recovery()?;
        let per_job = sim.job_recovery();
        let counters = rec.faults.as_ref().map_or((0, 0, 0), |f| (f.node_failures, f.device_failures, f.swaps));
        let summary = RecoverySummary::build(
            &rec.incidents,
            &per_job,
            counters,
            sim.recorder.accel_alloc_area,
            sim.recorder.accel_goodput_area,
        );
        let gh = |x: u128| round6(x as f64 / MILLI_GPU_MS_PER_GPU_HOUR);
        let incidents = rec
            .incidents
            .iter()
            .map(|i| IncidentRow {
                job: sim.state.jobs[i.job.idx()].name.clone(),
                time_s: i.at.secs_f64(),
                cause: i.cause,
                node: i.node.clone(),
                pods_killed: i.pods_killed,
                recovery_s: i.recovered.map(|r| r.since(i.at).secs_f64()),
                rolled_back_s: i.rolled_back_ms as f64 / 1000.0,
                rolled_back_gpu_h: gh(i.rolled_back_gpu),
                idle_held_gpu_h: gh(i.idle_held_gpu),
                restarts: i.restarts,
            })
            .collect();
        let jobs = job_rows(&sim.state)
            .into_iter()
            .zip(&per_job)
            .map(|(r, s)| {
                let JobRow {
                    job,
                    queue,
                    submit_s,
                    first_start_s,
                    gang_ready_s,
                    finish_s,
                    state,
                    gpus,
                    pods,
                    min_available,
                    queueing_delay_s,
                    jct_s,
                    reason,
                } = r;
                RecoveryJobRow {
                    job,
                    queue,
                    submit_s,
                    first_start_s,
                    gang_ready_s,
                    finish_s,
                    state,
                    gpus,
                    pods,
                    min_available,
                    queueing_delay_s,
                    jct_s,
                    reason,
                    phase: s.phase,
                    restarts: s.restarts,
                    incidents: s.incidents,
                    rolled_back_s: s.rolled_back_ms as f64 / 1000.0,
                    lost_gpu_h: gh(s.rolled_back_gpu + s.idle_held_gpu),
                    hit_max_retry: s.hit_max_retry,
                }
            })
            .collect();
        Some(RecoveryOutput { summary, incidents, timeline: rec.timeline.clone(), jobs })
    }

    /// Writes `incidents.csv`, `recovery_timeline.csv` and `jobs.csv` (replacing the plain one).
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        use super::write::{csv_bytes, write_atomic};
        std::fs::create_dir_all(dir)?;
        write_atomic(&dir.join("jobs.csv"), &csv_bytes(&self.jobs).map_err(std::io::Error::other)?)?;
        write_atomic(&dir.join("incidents.csv"), &csv_bytes(&self.incidents).map_err(std::io::Error::other)?)?;
        write_atomic(&dir.join("recovery_timeline.csv"), &csv_bytes(&self.timeline).map_err(std::io::Error::other)?)
    }
}
