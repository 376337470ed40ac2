//! What failures cost: one incident per fault that touched a running job, per-job recovery
//! tallies, and the `recovery` section of `summary.json` (written only when faults or lifecycle
//! policies are configured, so other runs keep their outputs byte for byte).
//!
//! Definitions:
//! - **recovery time** of an incident: from the fault to the moment the job makes progress again
//!   (0 for an elastic job that kept going on fewer pods);
//! - **rolled-back work**: progress since the last completed checkpoint, lost on the fault;
//!   in GPU-hours it is weighted by the accelerators of a full-speed job (see below);
//! - **idle-but-held GPU time**: accelerators the job still holds while it does not progress,
//!   integrated from the fault to its recovery (restart overhead included);
//! - **lost GPU-hours** = rolled-back + idle-held;
//! - **useful-compute ratio** = productive GPU-hours / allocated GPU-hours, productive being the
//!   useful work the jobs kept (progress minus checkpoint writing) times the accelerators of a
//!   full-speed job (all replicas' for elastic jobs, the gang minimum's for rigid ones).

use super::summary::{Stats, round6};
use crate::model::{JobId, SimTime};
use serde::Serialize;

/// Milli-accelerator-milliseconds per GPU-hour.
pub const MILLI_GPU_MS_PER_GPU_HOUR: f64 = 1000.0 * 3_600_000.0;

/// One fault that touched a job with running pods.
#[derive(Clone, Debug, PartialEq)]
pub struct Incident {
    /// Job.
    pub job: JobId,
    /// Fault time.
    pub at: SimTime,
    /// `node`, `device` or `maintenance`.
    pub cause: &'static str,
    /// Node name.
    pub node: String,
    /// The failed card's index, for a card fault with per-card tracking.
    pub card: Option<u32>,
    /// Pods of the job the fault killed.
    pub pods_killed: u32,
    /// Rolled-back wall progress (ms).
    pub rolled_back_ms: u64,
    /// Rolled-back work in milli-accelerator-ms.
    pub rolled_back_gpu: u128,
    /// Idle-but-held milli-accelerator-ms until recovery.
    pub idle_held_gpu: u128,
    /// When the job progressed again.
    pub recovered: Option<SimTime>,
    /// Restarts the job's policies made for it.
    pub restarts: u32,
}

/// Per-job recovery tallies (extra `jobs.csv` columns).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobRecovery {
    /// Restarts (RestartJob/Task/Pod actions executed).
    pub restarts: u32,
    /// Incidents that touched the job.
    pub incidents: u32,
    /// Rolled-back wall progress (ms), faults and evictions together.
    pub rolled_back_ms: u64,
    /// Rolled-back milli-accelerator-ms.
    pub rolled_back_gpu: u128,
    /// Idle-held milli-accelerator-ms during recoveries.
    pub idle_held_gpu: u128,
    /// Checkpoint-writing milli-accelerator-ms in the progress the job kept.
    pub checkpoint_gpu: u128,
    /// Useful work kept (progress minus checkpoint writing) in milli-accelerator-ms.
    pub useful_gpu: u128,
    /// `retryCount` reached `maxRetry`.
    pub hit_max_retry: bool,
    /// Final vcjob phase.
    pub phase: &'static str,
}

/// One sample of the goodput timeline (`recovery_timeline.csv`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct GoodputRow {
    /// Sample time, s.
    pub time_s: f64,
    /// Accelerators in service.
    pub accel_healthy: f64,
    /// Accelerators held by pods.
    pub accel_alloc: f64,
    /// Accelerators of jobs making progress.
    pub accel_progressing: f64,
    /// Nodes out of service (failed, drained; standby spares not counted).
    pub nodes_down: u32,
    /// Jobs between a fault and their recovery.
    pub jobs_recovering: u32,
}

/// One incident as a CSV row (`incidents.csv`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct IncidentRow {
    /// Job name.
    pub job: String,
    /// Fault time, s.
    pub time_s: f64,
    /// Cause.
    pub cause: &'static str,
    /// Node (`<node>/card-<i>` for a card fault with per-card tracking).
    pub node: String,
    /// Pods killed.
    pub pods_killed: u32,
    /// Recovery time, s (empty if the job never progressed again).
    pub recovery_s: Option<f64>,
    /// Rolled-back work, s of job progress.
    pub rolled_back_s: f64,
    /// Rolled-back GPU-hours.
    pub rolled_back_gpu_h: f64,
    /// Idle-but-held GPU-hours.
    pub idle_held_gpu_h: f64,
    /// Restarts made for this incident.
    pub restarts: u32,
}

/// The `recovery` section of `summary.json`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RecoverySummary {
    /// Node failures injected.
    pub node_failures: u64,
    /// Card faults injected.
    pub device_failures: u64,
    /// Spare swaps.
    pub spare_swaps: u64,
    /// Faults that touched a job with running pods.
    pub incidents: usize,
    /// Incidents after which the job never progressed again.
    pub unrecovered: usize,
    /// Recovery time (fault → progress again) of recovered incidents.
    pub mttr_s: Stats,
    /// Restarts executed by lifecycle policies.
    pub restarts: u64,
    /// Jobs that reached maxRetry (phase Failed).
    pub jobs_failed_max_retry: usize,
    /// Rolled-back + idle-held GPU-hours.
    pub lost_gpu_hours: f64,
    /// Rolled-back GPU-hours.
    pub rolled_back_gpu_hours: f64,
    /// Idle-but-held GPU-hours during recoveries.
    pub idle_held_gpu_hours: f64,
    /// GPU-hours spent writing checkpoints (kept progress).
    pub checkpoint_gpu_hours: f64,
    /// GPU-hours held by pods.
    pub allocated_gpu_hours: f64,
    /// Productive GPU-hours.
    pub productive_gpu_hours: f64,
    /// Productive / allocated.
    pub useful_compute_ratio: f64,
}

impl RecoverySummary {
    /// Builds the section from the incidents, per-job tallies and the recorder's integrals.
    pub fn build(
        incidents: &[Incident],
        jobs: &[JobRecovery],
        counters: (u64, u64, u64),
        alloc_area: i128,
    ) -> RecoverySummary {
        let gh = |x: u128| round6(x as f64 / MILLI_GPU_MS_PER_GPU_HOUR);
        let recovered: Vec<f64> =
            incidents.iter().filter_map(|i| i.recovered.map(|r| r.since(i.at).secs_f64())).collect();
        let rolled: u128 = jobs.iter().map(|j| j.rolled_back_gpu).sum();
        let idle: u128 = jobs.iter().map(|j| j.idle_held_gpu).sum();
        let ckpt: u128 = jobs.iter().map(|j| j.checkpoint_gpu).sum();
        let productive: u128 = jobs.iter().map(|j| j.useful_gpu).sum();
        let alloc = alloc_area.max(0) as u128;
        RecoverySummary {
            node_failures: counters.0,
            device_failures: counters.1,
            spare_swaps: counters.2,
            incidents: incidents.len(),
            unrecovered: incidents.len() - recovered.len(),
            mttr_s: Stats::of(recovered),
            restarts: jobs.iter().map(|j| j.restarts as u64).sum(),
            jobs_failed_max_retry: jobs.iter().filter(|j| j.hit_max_retry).count(),
            lost_gpu_hours: gh(rolled + idle),
            rolled_back_gpu_hours: gh(rolled),
            idle_held_gpu_hours: gh(idle),
            checkpoint_gpu_hours: gh(ckpt),
            allocated_gpu_hours: gh(alloc),
            productive_gpu_hours: gh(productive),
            useful_compute_ratio: if alloc == 0 { 0.0 } else { round6(productive as f64 / alloc as f64) },
        }
    }
}
