//! `capacity` (`plugins/capacity/capacity.go`; Volcano design doc `capacity-scheduling.md`), flat
//! mode: each queue has a user-set `deserved` share, may borrow idle resources up to its
//! `realCapability`, and gets borrowed resources back through reclaim.
//!
//! - `realCapability = min(capability, (total − Σ guarantees)⁺ + own guarantee)`;
//!   `deserved = max(min(spec.deserved, realCapability), guarantee)`; dimensions the user did not
//!   name are unbounded (Infinity convention).
//! - Allocatable: queue open ∧ `allocated + request ≤ realCapability` (borrowing allowed).
//! - JobEnqueueable: `minResources + allocated + inqueue − elastic ≤ realCapability` on the
//!   dimensions of minResources.
//! - Preemptive (reclaimer side): `allocated + request ≤ realCapability` and, on at least one
//!   requested dimension, `allocated + request ≤ deserved`.
//! - Reclaimable (victim side, in victim order): a victim must share a requested dimension with
//!   the reclaimer; its queue must be above deserved on a dimension the victim requests, and keep
//!   its guarantee after losing it (`guarantee ≤ allocated − victim`); victims are deducted as
//!   they are taken.
//! - QueueOrder: higher queue priority, then lower share (`max allocated/deserved` over the named
//!   dimensions; 1 when nothing is named), then queues that name a deserved share first.
//!
//! Hierarchical queues (`enableHierarchy: true`) are a plugin of their own,
//! [`super::capacity_hierarchy`]. Two readings here differ from Volcano's current code and are kept
//! as they are: a dimension the queue's deserved share does not name counts as unbounded (Volcano:
//! 0 — its Preemptive needs a named dimension, and its Reclaimable takes a victim whose requested
//! dimensions the deserved share does not name at once); and Preemptive does not check the
//! queue's state.

use crate::model::resources::{ALL_DIMS, UNBOUNDED};
use crate::model::{ClusterState, Job, Queue, QueueId, QueueState, Resources, SimTime, Task, TaskId};
use crate::sched::conf::Hook;
use crate::sched::plugin::{EvictionKind, Plugin, Vote};
use std::cmp::Ordering;
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
struct Attr {
    deserved: Resources,
    named: bool,
    real_capability: Resources,
}

/// The capacity plugin.
#[derive(Debug, Default)]
pub struct Capacity {
    attrs: Vec<Attr>,
}

impl Capacity {
    fn share(&self, q: &Queue) -> f64 {
        let attr = &self.attrs[q.id.idx()];
        let dims: Vec<_> = ALL_DIMS.iter().filter(|d| attr.deserved.get(**d) < UNBOUNDED).collect();
        if !attr.named || dims.is_empty() {
            return 1.0;
        }
        dims.iter()
            .map(|d| {
                let (a, s) = (q.allocated.get(**d) as f64, attr.deserved.get(**d) as f64);
                if s <= 0.0 { if a > 0.0 { 1.0 } else { 0.0 } } else { a / s }
            })
            .fold(0.0, f64::max)
    }
}

impl Plugin for Capacity {
    fn name(&self) -> &'static str {
        "capacity"
    }
    fn hooks(&self) -> &'static [Hook] {
        &[
            Hook::QueueOrder,
            Hook::Allocatable,
            Hook::JobEnqueueable,
            Hook::Preemptive,
            Hook::Reclaimable,
            Hook::UnifiedEvictable,
        ]
    }
    fn on_session_open(&mut self, st: &ClusterState, _now: SimTime) {
        let guarantees = st.queues.iter().fold(Resources::ZERO, |a, q| a + q.guarantee);
        let spare = st.total.sub_clamped(guarantees);
        self.attrs = st
            .queues
            .iter()
            .map(|q| {
                let real_capability = q.capability.min(spare + q.guarantee);
                let named = q.deserved.is_some();
                let deserved = q.deserved.unwrap_or(Resources::UNBOUNDED).min(real_capability).max(q.guarantee);
                // Keep "not named" dimensions unbounded after clipping.
                let mut d = deserved;
                if let Some(spec) = q.deserved {
                    for dim in ALL_DIMS {
                        if spec.get(dim) >= UNBOUNDED {
                            *d.get_mut(dim) = UNBOUNDED;
                        }
                    }
                }
                Attr { deserved: if named { d } else { Resources::UNBOUNDED }, named, real_capability }
            })
            .collect();
    }
    fn deserved(&self, q: QueueId) -> Option<Resources> {
        let attr = self.attrs.get(q.idx())?;
        attr.named.then_some(attr.deserved.min(attr.real_capability))
    }
    fn queue_order(&self, _st: &ClusterState, a: &Queue, b: &Queue) -> Ordering {
        b.priority
            .cmp(&a.priority)
            .then_with(|| self.share(a).partial_cmp(&self.share(b)).unwrap_or(Ordering::Equal))
            .then_with(|| self.attrs[b.id.idx()].named.cmp(&self.attrs[a.id.idx()].named))
    }
    fn allocatable(&self, _st: &ClusterState, q: &Queue, task: &Task) -> bool {
        q.state == QueueState::Open
            && (q.allocated + task.request).le_on_own_dims_of(&task.request, &self.attrs[q.id.idx()].real_capability)
    }
    fn job_enqueueable(&self, st: &ClusterState, job: &Job) -> Vote {
        if let Some(v) = super::queue_gate(st, job) {
            return v;
        }
        let q = &st.queues[job.queue.idx()];
        let want = job.min_resources + q.allocated + q.tallies.inqueue_unmet - q.tallies.elastic;
        if want.le_on_own_dims_of(&job.min_resources, &self.attrs[q.id.idx()].real_capability) {
            Vote::Permit
        } else {
            Vote::Reject
        }
    }
    fn preemptive(&self, _st: &ClusterState, q: &Queue, task: &Task) -> bool {
        let attr = &self.attrs[q.id.idx()];
        let want = q.allocated + task.request;
        want.le_on_own_dims_of(&task.request, &attr.real_capability)
            && task.request.dims().any(|d| want.get(d) <= attr.deserved.get(d))
    }
    fn may_be_victim_shrinks(&self) -> bool {
        true // evictions lower queue allocations, pipelines leave them; deserved is fixed per session
    }
    fn may_be_victim(&self, st: &ClusterState, reclaimer: &Task, c: TaskId, _h: Hook) -> bool {
        let v = &st.tasks[c.idx()];
        let qi = st.jobs[v.job.idx()].queue.idx();
        let (queue, attr) = (&st.queues[qi], &self.attrs[qi]);
        v.request.dims().any(|d| reclaimer.request.get(d) > 0)
            && v.request.dims().any(|d| queue.allocated.get(d) > attr.deserved.get(d))
            && queue.guarantee.le(&(queue.allocated - v.request))
    }
    fn evictor_key(&self, _st: &ClusterState, reclaimer: &Task) -> Vec<i64> {
        vec![reclaimer.request.dims().fold(0i64, |m, d| m | 1 << ALL_DIMS.iter().position(|x| *x == d).unwrap_or(0))]
    }
    fn unified_evictable(&self, st: &ClusterState, kind: EvictionKind, _e: &Job, c: &[TaskId]) -> Option<Vec<TaskId>> {
        let view = |qi: usize| super::capacity_unified::QueueView {
            allocated: st.queues[qi].allocated,
            guarantee: st.queues[qi].guarantee,
            deserved: self.attrs[qi].deserved,
        };
        // Flat capacity reads an unnamed deserved dimension as unbounded (see the module doc).
        Some(super::capacity_unified::victims(st, kind, c, view, |d, dim| d.get(dim) < UNBOUNDED))
    }
    fn reclaimable(&self, st: &ClusterState, reclaimer: &Task, candidates: &[TaskId]) -> Option<Vec<TaskId>> {
        let mut left: BTreeMap<usize, Resources> = BTreeMap::new();
        let mut out = Vec::new();
        for &c in candidates {
            let v = &st.tasks[c.idx()];
            if !v.request.dims().any(|d| reclaimer.request.get(d) > 0) {
                continue;
            }
            let qi = st.jobs[v.job.idx()].queue.idx();
            let (queue, attr) = (&st.queues[qi], &self.attrs[qi]);
            let alloc = left.entry(qi).or_insert(queue.allocated);
            let above = v.request.dims().any(|d| alloc.get(d) > attr.deserved.get(d));
            let keeps_guarantee = queue.guarantee.le(&(*alloc - v.request));
            if above && keeps_guarantee {
                *alloc -= v.request;
                out.push(c);
            }
        }
        Some(out)
    }
}
