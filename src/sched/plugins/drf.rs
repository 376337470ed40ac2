//! `drf` (`plugins/drf/drf.go`): dominant resource fairness between jobs — the job with the lower
//! dominant share goes first. With `enableHierarchy: true` the plugin is [`super::hdrf`].
//!
//! The share is read from the live per-job allocation, which the cluster state keeps current
//! through every allocate/deallocate, so the plugin needs no event handlers of its own.

use crate::model::{ClusterState, Job, JobId, Resources, Task, TaskId};
use crate::sched::conf::Hook;
use crate::sched::plugin::Plugin;
use std::cmp::Ordering;
use std::collections::BTreeMap;

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
        &[Hook::JobOrder, Hook::Preemptable]
    }
    fn may_be_victim_shrinks(&self) -> bool {
        true // evictions lower the victim job's share; the preemptor's share is in its evictor key
    }
    fn may_be_victim(&self, st: &ClusterState, preemptor: &Task, c: TaskId, _h: crate::sched::conf::Hook) -> bool {
        let mine = dominant_share(&(st.jobs[preemptor.job.idx()].allocated + preemptor.request), &self.total);
        let v = &st.tasks[c.idx()];
        mine <= dominant_share(&(st.jobs[v.job.idx()].allocated - v.request), &self.total) + 1e-6
    }
    fn evictor_key(&self, st: &ClusterState, preemptor: &Task) -> Vec<i64> {
        let share = dominant_share(&(st.jobs[preemptor.job.idx()].allocated + preemptor.request), &self.total);
        vec![share.to_bits() as i64]
    }
    fn preemptable(&self, st: &ClusterState, preemptor: &Task, candidates: &[TaskId]) -> Option<Vec<TaskId>> {
        // A victim qualifies while the preemptor's job, with the new task, would still have no
        // larger a share than the victim's job without the victim (victims taken so far deducted).
        let mine = dominant_share(&(st.jobs[preemptor.job.idx()].allocated + preemptor.request), &self.total);
        let mut left: BTreeMap<JobId, Resources> = BTreeMap::new();
        let mut out = Vec::new();
        for &c in candidates {
            let v = &st.tasks[c.idx()];
            let alloc = left.entry(v.job).or_insert(st.jobs[v.job.idx()].allocated);
            *alloc -= v.request;
            if mine <= dominant_share(alloc, &self.total) + 1e-6 {
                out.push(c);
            } else {
                *alloc += v.request;
            }
        }
        Some(out)
    }
    fn on_session_open(&mut self, st: &ClusterState, _now: crate::model::SimTime) {
        self.total = st.total;
    }
    fn job_order(&self, _st: &ClusterState, a: &Job, b: &Job) -> Ordering {
        let (sa, sb) = (dominant_share(&a.allocated, &self.total), dominant_share(&b.allocated, &self.total));
        sa.partial_cmp(&sb).unwrap_or(Ordering::Equal)
    }
}
