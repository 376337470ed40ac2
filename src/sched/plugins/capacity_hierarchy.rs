//! `capacity` with `enableHierarchy: true` (`plugins/capacity/capacity.go`,
//! `buildHierarchicalQueueAttrs`; design doc `hierarchical-queue-on-capacity-plugin.md`): queues
//! form a tree through `spec.parent` under `root`, jobs run in leaf queues only, and every limit
//! holds for the queue and each of its ancestors.
//!
//! At session open, from the root down (`checkHierarchicalQueue`):
//! - root capability = its spec, or unbounded when empty; root realCapability = its capability
//!   (not clipped to the cluster: "root should not restrict by current total resources");
//! - each child's deserved becomes `max(deserved, guarantee)`; root's deserved and guarantee are the
//!   sums over its children; a child inherits the capability dimensions it does not name;
//! - child realCapability = `min(capability, (parent.realCapability − Σ siblings' guarantees)⁺ +
//!   own guarantee)`, where the sum runs over all the parent's children.
//!
//! An inner queue's allocated, inqueue and elastic are its subtree's sums of the live per-queue
//! values, which is what Volcano's AllocateFunc/DeallocateFunc propagation to ancestors maintains.
//! Volcano refreshes the share of the queue itself on those events but not its ancestors'; inner
//! shares are therefore frozen at session open, here as there.
//!
//! Deserved follows Volcano's Zero convention in this mode: a dimension the queue does not name
//! deserves nothing (Preemptive cannot reclaim on it; a victim requesting only unnamed dimensions
//! is an "immediate victim"); the share only looks at named dimensions (1 when none is named).
//! Capabilities keep the Infinity convention, also for a root capability that names only some
//! dimensions (Volcano would read the unnamed CPU/memory of a root capability as 0 and block
//! every pod; tephra reads them as unbounded).

use crate::model::queue_tree::QueueTree;
use crate::model::resources::{ALL_DIMS, UNBOUNDED};
use crate::model::{ClusterState, Job, Queue, QueueId, QueueState, Resources, SimTime, Task, TaskId};
use crate::sched::conf::Hook;
use crate::sched::plugin::{EvictionKind, Plugin, Vote};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Values at or above this are unbounded (sums and differences of [`UNBOUNDED`] stay above it).
const INF: i64 = UNBOUNDED / 2;

#[derive(Clone, Debug, Default)]
struct Attr {
    real_capability: Resources,
    guarantee: Resources,
    /// Zero convention: unnamed dimensions hold 0.
    deserved: Resources,
    /// Share at session open (kept for inner queues, whose share Volcano does not refresh).
    share: f64,
}

/// The hierarchical capacity plugin.
#[derive(Debug, Default)]
pub struct HierarchicalCapacity {
    /// `ancestorReclaimLevel`: how many levels of ancestors Preemptive and Reclaimable consult.
    ancestor_reclaim_level: usize,
    tree: QueueTree,
    attrs: Vec<Attr>,
}

/// `realCapability` of a child: `min(capability, (parent_real − siblings)⁺ + guarantee)`, keeping
/// unbounded dimensions unbounded.
fn child_real_capability(
    capability: Resources,
    parent_real: Resources,
    siblings: Resources,
    own: Resources,
) -> Resources {
    let mut out = Resources::ZERO;
    for d in ALL_DIMS {
        let p = parent_real.get(d);
        let room = if p >= INF { UNBOUNDED } else { (p - siblings.get(d)).max(0) + own.get(d) };
        let c = capability.get(d);
        *out.get_mut(d) = if c >= INF { room } else { c.min(room) };
    }
    out
}

/// Volcano's queue share: `max allocated/deserved` over the named dimensions, 1 when none is named.
fn share(allocated: &Resources, deserved: &Resources) -> f64 {
    if deserved.is_empty() {
        return 1.0;
    }
    deserved.dims().map(|d| allocated.get(d) as f64 / deserved.get(d) as f64).fold(0.0, f64::max)
}

/// `getQueueLevel`: the index, in the ancestor lists (root first), of the deepest ancestor the two
/// lists share before they first differ.
fn common_level(a: &[usize], b: &[usize]) -> usize {
    let mut level = 0;
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        if x != y {
            return level;
        }
        level = i;
    }
    level
}

/// Whether `request` asks for a dimension `deserved` names (`hasRelevantDeserved`).
fn relevant(request: &Resources, deserved: &Resources) -> bool {
    request.dims().any(|d| deserved.get(d) > 0)
}

/// `GreaterPartlyWithRelevantDimensions`: above deserved on a dimension both the request and the
/// deserved share name.
fn exceeds(allocated: &Resources, deserved: &Resources, request: &Resources) -> bool {
    request.dims().any(|d| deserved.get(d) > 0 && allocated.get(d) > deserved.get(d))
}

impl HierarchicalCapacity {
    /// A plugin reading `ancestorReclaimLevel` levels of ancestors in reclaim.
    pub fn new(ancestor_reclaim_level: usize) -> HierarchicalCapacity {
        HierarchicalCapacity { ancestor_reclaim_level, ..Default::default() }
    }

    /// Live allocated resources of a tree node (the subtree's sum for inner nodes).
    fn allocated(&self, st: &ClusterState, node: usize) -> Resources {
        match self.tree.subtree[node].as_slice() {
            [only] if *only == node => st.queues[node].allocated,
            _ => self.tree.sum(node, |q| st.queues[q].allocated),
        }
    }

    /// The queue and its ancestors, leaf first.
    fn chain(&self, node: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::once(node).chain(self.tree.ancestors[node].iter().rev().copied())
    }

    /// `queueAncestorAtDepth`: the ancestor `depth` levels up (1 = parent).
    fn ancestor_at(&self, node: usize, depth: usize) -> Option<usize> {
        let a = &self.tree.ancestors[node];
        (depth >= 1 && depth <= a.len()).then(|| a[a.len() - depth])
    }

    /// The share used to order a node: live for a leaf queue, as of session open for inner nodes.
    fn order_share(&self, st: &ClusterState, node: usize) -> f64 {
        if self.tree.is_leaf(node) && node < st.queues.len() {
            share(&st.queues[node].allocated, &self.attrs[node].deserved)
        } else {
            self.attrs[node].share
        }
    }

    /// `compareShareWithDeserved`: lower share first; on a tie, a queue with a deserved share first.
    fn compare(&self, st: &ClusterState, a: usize, b: usize) -> Ordering {
        let (sa, sb) = (self.order_share(st, a), self.order_share(st, b));
        if sa == sb {
            let (da, db) = (!self.attrs[a].deserved.is_empty(), !self.attrs[b].deserved.is_empty());
            return db.cmp(&da);
        }
        sa.partial_cmp(&sb).unwrap_or(Ordering::Equal)
    }

    /// `sharesAnyNonRootAncestorWithinLevel`.
    fn share_close_ancestor(&self, a: usize, b: usize) -> bool {
        let level = self.ancestor_reclaim_level;
        let near = |n: usize| (1..=level).filter_map(move |l| self.ancestor_at(n, l)).filter(|x| *x != self.tree.root);
        near(a).any(|x| near(b).any(|y| y == x))
    }

    /// Whether `victim` may be reclaimed for `reclaimer` given the queues' allocations so far
    /// (`allocs`, live values where absent); on success, the ancestors whose allocation the victim
    /// must also be deducted from.
    fn victim_check(
        &self,
        st: &ClusterState,
        reclaimer: &Task,
        victim: TaskId,
        allocs: &BTreeMap<usize, Resources>,
    ) -> Option<Vec<usize>> {
        let v = &st.tasks[victim.idx()];
        if !v.request.dims().any(|d| reclaimer.request.get(d) > 0) {
            return None; // no resource dimension in common with the reclaimer
        }
        let (vq, rq) = (st.jobs[v.job.idx()].queue.idx(), st.jobs[reclaimer.job.idx()].queue.idx());
        let alloc = |n: usize| allocs.get(&n).copied().unwrap_or_else(|| self.allocated(st, n));
        let attr = &self.attrs[vq];
        if !attr.guarantee.le(&(alloc(vq) - v.request)) {
            return None; // the victim's queue would fall below its guarantee
        }
        let level = self.ancestor_reclaim_level;
        if !relevant(&v.request, &attr.deserved) {
            // An immediate victim, unless both sides sit under a close common ancestor and the
            // reclaimer's own queue deserves nothing of what it asks for (no real contention).
            if level > 0 && self.share_close_ancestor(rq, vq) && !relevant(&reclaimer.request, &self.attrs[rq].deserved)
            {
                return None;
            }
        } else if !exceeds(&alloc(vq), &attr.deserved, &v.request) {
            return None;
        }
        let mut checked = Vec::new();
        for l in 1..=level {
            let Some(a) = self.ancestor_at(vq, l).filter(|a| *a != self.tree.root) else { continue };
            if self.ancestor_at(rq, l) == Some(a) {
                continue;
            }
            checked.push(a);
            let deserved = &self.attrs[a].deserved;
            if relevant(&v.request, deserved) && !exceeds(&alloc(a), deserved, &v.request) {
                return None;
            }
        }
        Some(checked)
    }
}

impl Plugin for HierarchicalCapacity {
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
            Hook::VictimQueueOrder,
            Hook::UnifiedEvictable,
        ]
    }
    fn on_session_open(&mut self, st: &ClusterState, _now: SimTime) {
        if self.tree.subtree.is_empty() || self.tree.len < st.queues.len() {
            self.tree = QueueTree::build(&st.queues);
        }
        let root = self.tree.root;
        self.attrs = (0..self.tree.len)
            .map(|i| match st.queues.get(i) {
                Some(q) => Attr {
                    real_capability: q.capability,
                    guarantee: q.guarantee,
                    deserved: q.deserved.map_or(Resources::ZERO, |d| {
                        let mut z = d;
                        for dim in ALL_DIMS {
                            if z.get(dim) >= INF {
                                *z.get_mut(dim) = 0;
                            }
                        }
                        z
                    }),
                    share: 0.0,
                },
                None => Attr { real_capability: Resources::UNBOUNDED, ..Default::default() },
            })
            .collect();
        // Capabilities (kept in `real_capability` until the walk below replaces them).
        if self.attrs[root].real_capability.is_empty() {
            self.attrs[root].real_capability = Resources::UNBOUNDED;
        }
        let mut stack = vec![root];
        let mut capability: Vec<Resources> = self.attrs.iter().map(|a| a.real_capability).collect();
        while let Some(p) = stack.pop() {
            let children = self.tree.children[p].clone();
            let (mut guarantees, mut deserved) = (Resources::ZERO, Resources::ZERO);
            for &c in &children {
                let a = &mut self.attrs[c];
                a.deserved = a.deserved.max(a.guarantee);
                deserved += a.deserved;
                guarantees += a.guarantee;
                for d in ALL_DIMS {
                    if capability[c].get(d) >= INF {
                        *capability[c].get_mut(d) = capability[p].get(d);
                    }
                }
            }
            if p == root {
                self.attrs[p].guarantee = guarantees;
                self.attrs[p].deserved = deserved;
            }
            let parent_real = self.attrs[p].real_capability;
            for &c in &children {
                self.attrs[c].real_capability =
                    child_real_capability(capability[c], parent_real, guarantees, self.attrs[c].guarantee);
            }
            stack.extend(children.iter().rev());
        }
        for i in 0..self.tree.len {
            let alloc = self.allocated(st, i);
            self.attrs[i].share = share(&alloc, &self.attrs[i].deserved);
        }
    }
    fn deserved(&self, q: QueueId) -> Option<Resources> {
        let attr = self.attrs.get(q.idx())?;
        (!attr.deserved.is_empty()).then_some(attr.deserved)
    }
    fn queue_order(&self, st: &ClusterState, a: &Queue, b: &Queue) -> Ordering {
        let by_priority = b.priority.cmp(&a.priority);
        if by_priority != Ordering::Equal {
            return by_priority;
        }
        let (x, y) = (a.id.idx(), b.id.idx());
        match (self.tree.is_leaf(x), self.tree.is_leaf(y)) {
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => self.compare(st, x, y),
            (true, true) => {
                // Compare the ancestors just below the deepest common one (or the queues).
                let (ax, ay) = (&self.tree.ancestors[x], &self.tree.ancestors[y]);
                let level = common_level(ax, ay);
                let px = ax.get(level + 1).copied().unwrap_or(x);
                let py = ay.get(level + 1).copied().unwrap_or(y);
                self.compare(st, px, py)
            }
        }
    }
    fn victim_queue_order(&self, _st: &ClusterState, a: &Queue, b: &Queue, preemptor: &Queue) -> Ordering {
        let anc = |q: &Queue| &self.tree.ancestors[q.id.idx()];
        let (la, lb) = (common_level(anc(a), anc(preemptor)), common_level(anc(b), anc(preemptor)));
        lb.cmp(&la) // the victim queue sharing the deeper ancestor with the preemptor first
    }
    fn allocatable(&self, st: &ClusterState, q: &Queue, task: &Task) -> bool {
        let i = q.id.idx();
        q.state == QueueState::Open
            && self.tree.is_leaf(i)
            && self.chain(i).all(|n| {
                (self.allocated(st, n) + task.request).le_on_own_dims_of(&task.request, &self.attrs[n].real_capability)
            })
    }
    fn job_enqueueable(&self, st: &ClusterState, job: &Job) -> Vote {
        let i = job.queue.idx();
        if !self.tree.is_leaf(i) {
            return Vote::Reject;
        }
        if let Some(v) = super::queue_gate(st, job) {
            return v;
        }
        let fits = self.chain(i).all(|n| {
            let inqueue = self.tree.sum(n, |q| st.queues[q].tallies.inqueue_unmet);
            let elastic = self.tree.sum(n, |q| st.queues[q].tallies.elastic);
            let want = job.min_resources + self.allocated(st, n) + inqueue - elastic;
            want.le_on_own_dims_of(&job.min_resources, &self.attrs[n].real_capability)
        });
        if fits { Vote::Permit } else { Vote::Reject }
    }
    fn preemptive(&self, st: &ClusterState, q: &Queue, task: &Task) -> bool {
        let i = q.id.idx();
        let attr = &self.attrs[i];
        let want = q.allocated + task.request;
        if q.state != QueueState::Open || !want.le_on_own_dims_of(&task.request, &attr.real_capability) {
            return false;
        }
        let below =
            |alloc: Resources, deserved: &Resources| task.request.dims().any(|d| alloc.get(d) <= deserved.get(d));
        below(want, &attr.deserved)
            || (1..=self.ancestor_reclaim_level).any(|l| {
                self.ancestor_at(i, l)
                    .filter(|a| *a != self.tree.root)
                    .is_some_and(|a| below(self.allocated(st, a) + task.request, &self.attrs[a].deserved))
            })
    }
    fn may_be_victim(&self, st: &ClusterState, reclaimer: &Task, c: TaskId, _h: Hook) -> bool {
        // Victims taken earlier only lower the allocations, which never makes a later one eligible.
        self.victim_check(st, reclaimer, c, &BTreeMap::new()).is_some()
    }
    fn evictor_key(&self, _st: &ClusterState, reclaimer: &Task) -> Vec<i64> {
        vec![reclaimer.request.dims().fold(0i64, |m, d| m | 1 << ALL_DIMS.iter().position(|x| *x == d).unwrap_or(0))]
    }
    fn unified_evictable(&self, st: &ClusterState, kind: EvictionKind, _e: &Job, c: &[TaskId]) -> Option<Vec<TaskId>> {
        let view = |qi: usize| super::capacity_unified::QueueView {
            allocated: self.allocated(st, qi),
            guarantee: self.attrs[qi].guarantee,
            deserved: self.attrs[qi].deserved,
        };
        Some(super::capacity_unified::victims(st, kind, c, view, |d, dim| d.get(dim) > 0))
    }
    fn reclaimable(&self, st: &ClusterState, reclaimer: &Task, candidates: &[TaskId]) -> Option<Vec<TaskId>> {
        let mut allocs: BTreeMap<usize, Resources> = BTreeMap::new();
        let mut out = Vec::new();
        for &c in candidates {
            let Some(ancestors) = self.victim_check(st, reclaimer, c, &allocs) else { continue };
            let request = st.tasks[c.idx()].request;
            let vq = st.jobs[st.tasks[c.idx()].job.idx()].queue.idx();
            for n in std::iter::once(vq).chain(ancestors) {
                let live = self.allocated(st, n);
                *allocs.entry(n).or_insert(live) -= request;
            }
            out.push(c);
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_real_capability() {
        // root(0) → a(1) → {a1(2), a2(3)}, root → b(4)
        assert_eq!(common_level(&[0, 1], &[0, 1]), 1);
        assert_eq!(common_level(&[0, 1], &[0, 4]), 0);
        assert_eq!(common_level(&[0], &[0, 1]), 0);
        let g = |n: i64| Resources::ZERO.with_scalar(0, n * 1000);
        // Parent real 8 GPUs, siblings guarantee 2 + 1, own guarantee 2: (8 − 3) + 2 = 7; capped at 6.
        let cap = Resources::UNBOUNDED.with_scalar(0, 6000);
        assert_eq!(child_real_capability(cap, Resources::UNBOUNDED.with_scalar(0, 8000), g(3), g(2)).scalars[0], 6000);
        let r = child_real_capability(Resources::UNBOUNDED, Resources::UNBOUNDED.with_scalar(0, 8000), g(3), g(2));
        assert_eq!((r.scalars[0], r.cpu), (7000, UNBOUNDED));
        assert_eq!(share(&g(2), &g(4)), 0.5);
        assert_eq!(share(&g(2), &Resources::ZERO), 1.0);
    }
}
