//! capacity's `UnifiedEvictableFn` (`plugins/capacity/capacity.go`), shared by the flat and the
//! hierarchical plugin: gangpreempt's candidates all pass (capacity has no say within a queue);
//! for gangreclaim each candidate, in bundle order, is a victim if taking it keeps its queue at or
//! above its guarantee and either it asks for nothing the queue's deserved share names (an
//! "immediate" victim) or the queue is above its deserved share on a dimension it asks for. Unlike
//! task-level reclaim there is no common-dimension check with the reclaimer and no ancestor check.

use crate::model::{ClusterState, Resources, TaskId};
use crate::sched::plugin::EvictionKind;
use std::collections::BTreeMap;

/// A queue's view for the check: live allocated, guarantee and deserved (dimensions the deserved
/// share does not name must read as not named by `named`).
pub struct QueueView {
    /// Allocated resources now.
    pub allocated: Resources,
    /// Guarantee.
    pub guarantee: Resources,
    /// Deserved share.
    pub deserved: Resources,
}

/// The victims among `candidates`; `view` gives each queue's figures, `named(deserved, d)` says
/// whether a deserved share names a dimension.
pub fn victims(
    st: &ClusterState,
    kind: EvictionKind,
    candidates: &[TaskId],
    view: impl Fn(usize) -> QueueView,
    named: impl Fn(&Resources, crate::model::Dim) -> bool,
) -> Vec<TaskId> {
    if kind == EvictionKind::GangPreempt {
        return candidates.to_vec();
    }
    let mut left: BTreeMap<usize, Resources> = BTreeMap::new();
    let mut out = Vec::new();
    for &c in candidates {
        let v = &st.tasks[c.idx()];
        let qi = st.jobs[v.job.idx()].queue.idx();
        let q = view(qi);
        let alloc = left.entry(qi).or_insert(q.allocated);
        if !q.guarantee.le(&(*alloc - v.request)) {
            continue;
        }
        let immediate = !v.request.dims().any(|d| named(&q.deserved, d));
        let above = v.request.dims().any(|d| named(&q.deserved, d) && alloc.get(d) > q.deserved.get(d));
        if immediate || above {
            *alloc -= v.request;
            out.push(c);
        }
    }
    out
}
