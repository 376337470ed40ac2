//! `jobs.csv`: one row per job, a report type separate from the model.

use crate::model::{ClusterState, SimTime};
use serde::Serialize;

/// One job's outcome.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct JobRow {
    /// Job id from the trace.
    pub job: String,
    /// Queue.
    pub queue: String,
    /// Submit time, s.
    pub submit_s: f64,
    /// First pod running, s.
    pub first_start_s: Option<f64>,
    /// Gang running (≥ minAvailable pods), s.
    pub gang_ready_s: Option<f64>,
    /// Completion, s.
    pub finish_s: Option<f64>,
    /// `completed`, `unschedulable`, or `active` (unfinished when the run ended).
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
    /// Why the job is not done: unschedulable reason or last scheduling failure.
    pub reason: String,
    /// GPU size class (see `metrics::job_stats::size_class`).
    pub size_class: &'static str,
    /// JCT / ideal runtime (the trace's work duration).
    pub slowdown: Option<f64>,
    /// With a declared topology only: the highest HyperNode tier the job's running pods spanned
    /// when its gang first ran (`1` = one leaf domain, `cluster` = only the whole cluster holds
    /// them; empty if the gang never ran).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topology_tier: Option<String>,
    /// With failure handling on (faults or lifecycle policies), the recovery columns; every row
    /// has them or none does, so the CSV header stays rectangular.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<&'static str>,
    /// Restarts made by lifecycle policies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restarts: Option<u32>,
    /// Faults that touched the job while it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incidents: Option<u32>,
    /// Rolled-back progress, s.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rolled_back_s: Option<f64>,
    /// Rolled-back + idle-held GPU-hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lost_gpu_h: Option<f64>,
    /// Whether retryCount reached maxRetry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hit_max_retry: Option<bool>,
}

/// Fills [`JobRow::topology_tier`] from the recorder's spans (call only with a topology).
pub fn add_topology_tiers(rows: &mut [JobRow], topo: &crate::model::topology::Topology, spans: &[Option<u32>]) {
    for (i, row) in rows.iter_mut().enumerate() {
        let span = spans.get(i).copied().flatten();
        row.topology_tier = Some(span.map(|h| crate::metrics::summary::span_tier_label(topo, h)).unwrap_or_default());
    }
}

/// Rows for every job, in submission order.
pub fn job_rows(st: &ClusterState) -> Vec<JobRow> {
    let s = |t: Option<SimTime>| t.map(|t| t.secs_f64());
    st.jobs
        .iter()
        .map(|j| JobRow {
            job: j.name.clone(),
            queue: st.queues[j.queue.idx()].name.clone(),
            submit_s: j.submit.secs_f64(),
            first_start_s: s(j.first_start),
            gang_ready_s: s(j.gang_ready),
            finish_s: s(j.finished),
            state: j.state.name(),
            gpus: j.accelerators() as f64 / 1000.0,
            pods: j.task_count,
            min_available: j.min_available,
            queueing_delay_s: j.gang_ready.map(|g| g.since(j.submit).secs_f64()),
            jct_s: j.finished.map(|f| f.since(j.submit).secs_f64()),
            reason: j.reason.clone(),
            size_class: crate::metrics::job_stats::size_class(j.accelerators()),
            slowdown: crate::metrics::job_stats::slowdown(j).map(crate::metrics::summary::round6),
            topology_tier: None,
            phase: None,
            restarts: None,
            incidents: None,
            rolled_back_s: None,
            lost_gpu_h: None,
            hit_max_retry: None,
        })
        .collect()
}
