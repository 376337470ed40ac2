//! The metrics recorder: observes the cluster at every event boundary and integrates utilization
//! over simulated time, so no metric is computed by re-scanning history.
//!
//! Definitions (repeated in the README):
//! - **Accelerator allocation** = ∫ allocated accelerators dt / ∫ healthy accelerators dt, where
//!   allocated counts every accelerator a pod holds (binding, starting, running or terminating).
//! - **Accelerator goodput** = the same integral counting only accelerators of jobs that are making
//!   progress (at least `minAvailable` pods running). The gap to allocation is capacity held by
//!   pods that do no work: partially placed gangs, pods still starting.
//! - **CPU allocation**: as accelerator allocation, for CPU cores.

use crate::model::{ClusterState, SimTime};
use serde::Serialize;

/// One timeline row (long format: one row per scope and sample time).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TimelineRow {
    /// Sample time, seconds.
    pub time_s: f64,
    /// `cluster`, `pool` or `queue`.
    pub scope: &'static str,
    /// Pool or queue name (`all` for the cluster).
    pub name: String,
    /// Allocated accelerators (GPUs + NPUs).
    pub accel_alloc: f64,
    /// Healthy accelerators (empty for queues).
    pub accel_total: Option<f64>,
    /// Allocated CPU cores.
    pub cpu_alloc: f64,
    /// Healthy CPU cores (empty for queues).
    pub cpu_total: Option<f64>,
    /// Jobs submitted whose gang has not run yet (empty for pools).
    pub jobs_pending: Option<u32>,
    /// Jobs making progress (empty for pools).
    pub jobs_running: Option<u32>,
}

/// Time integrals and samples.
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    last: SimTime,
    /// ∫ allocated accelerator milli-units dt (ms).
    pub accel_alloc_area: i128,
    /// ∫ healthy accelerator milli-units dt.
    pub accel_healthy_area: i128,
    /// ∫ accelerators of progressing jobs dt.
    pub accel_goodput_area: i128,
    /// ∫ allocated CPU millicores dt.
    pub cpu_alloc_area: i128,
    /// ∫ healthy CPU millicores dt.
    pub cpu_healthy_area: i128,
    /// Sampled timeline.
    pub timeline: Vec<TimelineRow>,
    /// Scheduling cycles run.
    pub cycles: u64,
    /// Pods bound.
    pub binds: u64,
    /// Pods evicted (preempt and reclaim).
    pub evictions: u64,
}

impl Recorder {
    /// Integrates the current state from the last event to `now`.
    pub fn advance(&mut self, now: SimTime, st: &ClusterState) {
        let dt = now.since(self.last).0 as i128;
        if dt > 0 {
            let used = st.pool_used.iter().fold(crate::model::Resources::ZERO, |a, b| a + *b);
            self.accel_alloc_area += dt * used.accelerators() as i128;
            self.accel_healthy_area += dt * st.total.accelerators() as i128;
            self.accel_goodput_area += dt * st.progressing_alloc.accelerators() as i128;
            self.cpu_alloc_area += dt * used.cpu as i128;
            self.cpu_healthy_area += dt * st.total.cpu as i128;
        }
        self.last = now;
    }

    /// Adds timeline rows for `now`.
    pub fn sample(&mut self, now: SimTime, st: &ClusterState) {
        let t = now.secs_f64();
        let nq = st.queues.len();
        let mut pending = vec![0u32; nq];
        let mut running = vec![0u32; nq];
        for j in &st.active {
            let job = &st.jobs[j.idx()];
            if job.gang_ready.is_none() {
                pending[job.queue.idx()] += 1;
            }
            if job.is_progressing() {
                running[job.queue.idx()] += 1;
            }
        }
        let used = st.pool_used.iter().fold(crate::model::Resources::ZERO, |a, b| a + *b);
        self.timeline.push(TimelineRow {
            time_s: t,
            scope: "cluster",
            name: "all".into(),
            accel_alloc: used.accelerators() as f64 / 1000.0,
            accel_total: Some(st.total.accelerators() as f64 / 1000.0),
            cpu_alloc: used.cpu as f64 / 1000.0,
            cpu_total: Some(st.total.cpu as f64 / 1000.0),
            jobs_pending: Some(pending.iter().sum()),
            jobs_running: Some(running.iter().sum()),
        });
        let mut healthy = vec![crate::model::Resources::ZERO; st.pools.len()];
        for n in st.nodes.iter().filter(|n| n.healthy) {
            healthy[n.pool.idx()] += n.allocatable;
        }
        for (i, pool) in st.pools.iter().enumerate() {
            self.timeline.push(TimelineRow {
                time_s: t,
                scope: "pool",
                name: pool.name.clone(),
                accel_alloc: st.pool_used[i].accelerators() as f64 / 1000.0,
                accel_total: Some(healthy[i].accelerators() as f64 / 1000.0),
                cpu_alloc: st.pool_used[i].cpu as f64 / 1000.0,
                cpu_total: Some(healthy[i].cpu as f64 / 1000.0),
                jobs_pending: None,
                jobs_running: None,
            });
        }
        for (i, q) in st.queues.iter().enumerate() {
            self.timeline.push(TimelineRow {
                time_s: t,
                scope: "queue",
                name: q.name.clone(),
                accel_alloc: q.allocated.accelerators() as f64 / 1000.0,
                accel_total: None,
                cpu_alloc: q.allocated.cpu as f64 / 1000.0,
                cpu_total: None,
                jobs_pending: Some(pending[i]),
                jobs_running: Some(running[i]),
            });
        }
    }
}
