//! `drf` (`plugins/drf/drf.go`): dominant resource fairness between jobs — the job with the lower
//! dominant share goes first.
//!
//! The share is read from the live per-job allocation, which the cluster state keeps current
//! through every allocate/deallocate, so the plugin needs no event handlers of its own.

use crate::model::{ClusterState, Job, Resources};
use crate::sched::conf::Hook;
use crate::sched::plugin::Plugin;
use std::cmp::Ordering;

/// The DRF plugin.
#[derive(Debug, Default)]
pub struct Drf {
    total: Resources,
}

/// `max_r allocated_r / total_r` over the dimensions present in `total`.
pub fn dominant_share(allocated: &Resources, total: &Resources) -> f64 {
    if allocated.is_empty() {
        return 0.0; // most jobs compared in a cycle hold nothing yet
    }
    let mut share: f64 = 0.0;
    for d in total.dims() {
        let (a, t) = (allocated.get(d) as f64, total.get(d) as f64);
        share = share.max(a / t);
    }
    share
}

impl Plugin for Drf {
    fn name(&self) -> &'static str {
        "drf"
    }
    fn hooks(&self) -> &'static [Hook] {
        &[Hook::JobOrder]
    }
    fn on_session_open(&mut self, st: &ClusterState, _now: crate::model::SimTime) {
        self.total = st.total;
    }
    fn job_order(&self, _st: &ClusterState, a: &Job, b: &Job) -> Ordering {
        let (sa, sb) = (dominant_share(&a.allocated, &self.total), dominant_share(&b.allocated, &self.total));
        sa.partial_cmp(&sb).unwrap_or(Ordering::Equal)
    }
}
