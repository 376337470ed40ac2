//! `drf` with `enableHierarchy: true` — hierarchical DRF (`plugins/drf/drf.go`; design doc
//! `hdrf.md`): queues are ordered by dominant resource fairness over a tree of queue paths, each
//! level weighted.
//!
//! - Tree: one node per segment of the queue paths (`volcano.sh/hierarchy: root/a/b`, weights
//!   `volcano.sh/hierarchy-weights: 1/2/8`, a weight below 1 or unreadable counts as 1), plus one
//!   leaf per job under its queue's node. A queue without both annotations gets its path from its
//!   `spec.parent` chain and its weight from `spec.weight` (`util.BuildEffectiveQueueHierarchy`).
//! - A job leaf is saturated when, on some resource it holds, it holds all it asks for, or it asks
//!   for that resource while the cluster has none left (not "demanding").
//! - An inner node: `mdr` = the least dominant share among its non-empty unsaturated children
//!   (1 if none); its allocation = saturated children as they are + unsaturated children scaled by
//!   `mdr / share`; its share = the dominant share of that; saturated iff all children are.
//! - QueueOrder: walk both queues' paths from the root; at the first level that differs, an
//!   unsaturated node goes before a saturated one, else the lower `share / weight`.
//! - Reclaimable: with the reclaimer's task added to its job and one victim removed from its job,
//!   the victim qualifies iff the reclaimer's queue then orders strictly first.
//! - JobOrder and Preemptable are plain drf's.
//!
//! Volcano recomputes the whole tree on every allocation event. Here an event recomputes the
//! changed leaf and its ancestors, and the whole tree only when a resource becomes (or stops being)
//! exhausted cluster-wide, since only that changes other leaves' saturation — the same values.
//! Job allocations are read live from the cluster state, like plain drf. The tree holds the jobs
//! not yet ended; the first queue (in creation order) naming a path segment sets its weight.

// Per-dimension loops over parallel arrays read clearer with an index.
#![allow(clippy::needless_range_loop)]

use super::drf::Drf;
use crate::model::queue_tree::ROOT;
use crate::model::resources::ALL_DIMS;
use crate::model::{ClusterState, Job, JobId, Queue, Resources, SimTime, Task, TaskId};
use crate::sched::conf::Hook;
use crate::sched::plugin::Plugin;
use std::cmp::Ordering;

/// Queue annotation with the queue's path (`root/a/b`).
pub const HIERARCHY: &str = "volcano.sh/hierarchy";
/// Queue annotation with the weight of each path segment (`1/2/8`).
pub const HIERARCHY_WEIGHTS: &str = "volcano.sh/hierarchy-weights";

const DIMS: usize = ALL_DIMS.len();
/// Volcano's `minResource`.
const MIN_RESOURCE: f64 = 0.1;

type FRes = [f64; DIMS];

fn to_f(r: &Resources) -> FRes {
    let mut out = [0.0; DIMS];
    for (i, d) in ALL_DIMS.iter().enumerate() {
        out[i] = r.get(*d) as f64;
    }
    out
}

#[derive(Clone, Debug)]
struct Node {
    name: String,
    parent: Option<usize>,
    children: Vec<usize>,
    weight: f64,
    /// Leaves only: the job and its total request.
    job: Option<JobId>,
    request: FRes,
    allocated: FRes,
    share: f64,
    saturated: bool,
}

impl Node {
    fn inner(name: &str, parent: Option<usize>, weight: f64) -> Node {
        Node {
            name: name.to_string(),
            parent,
            children: Vec::new(),
            weight,
            job: None,
            request: [0.0; DIMS],
            allocated: [0.0; DIMS],
            share: 0.0,
            saturated: false,
        }
    }
}

/// The tree with the cluster totals it is computed against.
#[derive(Clone, Debug, Default)]
struct Tree {
    nodes: Vec<Node>,
    total: FRes,
    total_allocated: FRes,
    demanding: [bool; DIMS],
}

impl Tree {
    /// `calculateShare`: the dominant share over the resources the cluster has.
    fn share(&self, alloc: &FRes) -> f64 {
        (0..DIMS).filter(|k| self.total[*k] >= MIN_RESOURCE).map(|k| alloc[k] / self.total[k]).fold(0.0, f64::max)
    }

    fn demanding_now(&self) -> [bool; DIMS] {
        std::array::from_fn(|k| self.total[k] >= MIN_RESOURCE && self.total_allocated[k] < self.total[k])
    }

    /// `resourceSaturated`, over the resources the job holds.
    fn leaf_saturated(&self, n: &Node) -> bool {
        (0..DIMS).filter(|k| n.allocated[*k] >= MIN_RESOURCE).any(|k| {
            // Holds all it asks for, or asks for a resource the cluster has run out of.
            n.request[k] != 0.0 && (n.allocated[k] >= n.request[k] || !self.demanding[k])
        })
    }

    /// Recomputes node `i` from its children's current values (or its own, for a leaf).
    fn refresh(&mut self, i: usize) {
        if self.nodes[i].job.is_some() {
            let share = self.share(&self.nodes[i].allocated);
            let saturated = self.leaf_saturated(&self.nodes[i]);
            let n = &mut self.nodes[i];
            (n.share, n.saturated) = (share, saturated);
            return;
        }
        let mut mdr: f64 = 1.0;
        for &c in &self.nodes[i].children {
            let ch = &self.nodes[c];
            if ch.share != 0.0 && !ch.saturated {
                mdr = mdr.min(self.share(&ch.allocated));
            }
        }
        let mut alloc = [0.0; DIMS];
        let mut saturated = true;
        for &c in &self.nodes[i].children {
            let ch = &self.nodes[c];
            saturated &= ch.saturated;
            if ch.share != 0.0 {
                let scale = if ch.saturated { 1.0 } else { mdr / ch.share };
                for k in 0..DIMS {
                    alloc[k] += ch.allocated[k] * scale;
                }
            }
        }
        let share = self.share(&alloc);
        let n = &mut self.nodes[i];
        (n.allocated, n.share, n.saturated) = (alloc, share, saturated);
    }

    /// Recomputes every node, children before parents.
    fn refresh_all(&mut self) {
        self.demanding = self.demanding_now();
        // Nodes are created parents first, so the reverse order visits children first.
        for i in (0..self.nodes.len()).rev() {
            self.refresh(i);
        }
    }

    /// Sets leaf `leaf`'s allocation and updates everything that depends on it.
    fn set_leaf(&mut self, leaf: usize, alloc: FRes) {
        let old = self.nodes[leaf].allocated;
        for k in 0..DIMS {
            self.total_allocated[k] += alloc[k] - old[k];
        }
        self.nodes[leaf].allocated = alloc;
        if self.demanding_now() != self.demanding {
            self.refresh_all();
            return;
        }
        let mut cur = Some(leaf);
        while let Some(i) = cur {
            self.refresh(i);
            cur = self.nodes[i].parent;
        }
    }

    /// `compareQueues`: negative when the queue at `l` goes first.
    fn compare(&self, l: &[usize], r: &[usize]) -> f64 {
        for (&a, &b) in l.iter().zip(r) {
            let (x, y) = (&self.nodes[a], &self.nodes[b]);
            if !x.saturated && y.saturated {
                return -1.0;
            }
            if x.saturated && !y.saturated {
                return 1.0;
            }
            let (sx, sy) = (x.share / x.weight, y.share / y.weight);
            if sx != sy {
                return sx - sy;
            }
        }
        0.0
    }
}

/// A queue's path segments and weights: its annotations when it has both, else its parent's path
/// and weights extended by its name and `spec.weight`.
pub fn queue_path(queues: &[Queue], q: usize) -> Vec<(String, f64)> {
    let mut chain = vec![q];
    let mut seen = vec![q];
    loop {
        let cur = &queues[*chain.last().expect("non-empty")];
        if cur.name == ROOT
            || (cur.annotations.contains_key(HIERARCHY) && cur.annotations.contains_key(HIERARCHY_WEIGHTS))
        {
            break;
        }
        let Some(p) = cur.parent.as_deref().and_then(|p| queues.iter().position(|x| x.name == p)) else { break };
        if seen.contains(&p) {
            break;
        }
        seen.push(p);
        chain.push(p);
    }
    let top = &queues[*chain.last().expect("non-empty")];
    let mut path: Vec<(String, f64)> = match (top.annotations.get(HIERARCHY), top.annotations.get(HIERARCHY_WEIGHTS)) {
        (Some(h), Some(w)) if top.name != ROOT => {
            let weights: Vec<&str> = w.split('/').collect();
            h.split('/')
                .enumerate()
                .map(|(i, seg)| {
                    let wt = weights.get(i).and_then(|x| x.trim().parse::<f64>().ok()).unwrap_or(1.0);
                    (seg.to_string(), if wt < 1.0 { 1.0 } else { wt })
                })
                .collect()
        }
        _ if top.name == ROOT => vec![(ROOT.to_string(), 1.0)],
        _ => vec![(ROOT.to_string(), 1.0), (top.name.clone(), top.weight.max(1) as f64)],
    };
    for &i in chain.iter().rev().skip(1) {
        path.push((queues[i].name.clone(), queues[i].weight.max(1) as f64));
    }
    path
}

/// The hierarchical DRF plugin.
#[derive(Debug, Default)]
pub struct HierarchicalDrf {
    drf: Drf,
    tree: Tree,
    /// Per queue: node indices from the root to the queue's node.
    paths: Vec<Vec<usize>>,
    /// Per job id: its leaf, for jobs in the tree.
    leaves: Vec<Option<usize>>,
}

impl HierarchicalDrf {
    fn queue_of(st: &ClusterState, t: &Task) -> usize {
        st.jobs[t.job.idx()].queue.idx()
    }
}

impl Plugin for HierarchicalDrf {
    fn name(&self) -> &'static str {
        "drf"
    }
    fn hooks(&self) -> &'static [Hook] {
        &[Hook::JobOrder, Hook::Preemptable, Hook::QueueOrder, Hook::Reclaimable]
    }
    fn on_session_open(&mut self, st: &ClusterState, now: SimTime) {
        self.drf.on_session_open(st, now);
        let mut tree = Tree { total: to_f(&st.total), ..Default::default() };
        tree.nodes.push(Node::inner(ROOT, None, 1.0));
        self.paths = Vec::with_capacity(st.queues.len());
        for q in 0..st.queues.len() {
            let mut at = 0;
            let mut path = vec![0];
            for (seg, weight) in queue_path(&st.queues, q).into_iter().skip(1) {
                let found = tree.nodes[at].children.iter().copied().find(|c| tree.nodes[*c].name == seg);
                at = found.unwrap_or_else(|| {
                    tree.nodes.push(Node::inner(&seg, Some(at), weight));
                    let id = tree.nodes.len() - 1;
                    tree.nodes[at].children.push(id);
                    id
                });
                path.push(at);
            }
            self.paths.push(path);
        }
        self.leaves = vec![None; st.jobs.len()];
        for &j in &st.active {
            let job = &st.jobs[j.idx()];
            let parent = *self.paths[job.queue.idx()].last().expect("a path has the root");
            let request = if job.pods_created {
                job.roles.iter().fold(Resources::ZERO, |a, r| a + r.request.times(r.replicas as i64))
            } else {
                Resources::ZERO
            };
            let mut leaf = Node::inner(&job.name, Some(parent), 1.0);
            (leaf.job, leaf.request, leaf.allocated) = (Some(j), to_f(&request), to_f(&job.allocated));
            for k in 0..DIMS {
                tree.total_allocated[k] += leaf.allocated[k];
            }
            tree.nodes.push(leaf);
            let id = tree.nodes.len() - 1;
            tree.nodes[parent].children.push(id);
            self.leaves[j.idx()] = Some(id);
        }
        tree.refresh_all();
        self.tree = tree;
    }
    fn job_order(&self, st: &ClusterState, a: &Job, b: &Job) -> Ordering {
        self.drf.job_order(st, a, b)
    }
    fn queue_order(&self, _st: &ClusterState, a: &Queue, b: &Queue) -> Ordering {
        let c = self.tree.compare(&self.paths[a.id.idx()], &self.paths[b.id.idx()]);
        c.partial_cmp(&0.0).unwrap_or(Ordering::Equal)
    }
    fn preemptable(&self, st: &ClusterState, preemptor: &Task, candidates: &[TaskId]) -> Option<Vec<TaskId>> {
        self.drf.preemptable(st, preemptor, candidates)
    }
    fn may_be_victim(&self, st: &ClusterState, evictor: &Task, c: TaskId, hook: Hook) -> bool {
        hook != Hook::Preemptable || self.drf.may_be_victim(st, evictor, c, hook)
    }
    fn evictor_key(&self, _st: &ClusterState, evictor: &Task) -> Vec<i64> {
        // Both answers depend on the evictor's job and request only.
        std::iter::once(evictor.job.0 as i64).chain(ALL_DIMS.iter().map(|d| evictor.request.get(*d))).collect()
    }
    fn reclaimable(&self, st: &ClusterState, reclaimer: &Task, candidates: &[TaskId]) -> Option<Vec<TaskId>> {
        let Some(rleaf) = self.leaves.get(reclaimer.job.idx()).copied().flatten() else { return Some(Vec::new()) };
        let mut tree = self.tree.clone();
        let mut with = tree.nodes[rleaf].allocated;
        let req = to_f(&reclaimer.request);
        for k in 0..DIMS {
            with[k] += req[k];
        }
        tree.set_leaf(rleaf, with);
        let rpath = &self.paths[Self::queue_of(st, reclaimer)];
        let mut out = Vec::new();
        for &c in candidates {
            let v = &st.tasks[c.idx()];
            let Some(vleaf) = self.leaves.get(v.job.idx()).copied().flatten() else { continue };
            let before = tree.nodes[vleaf].allocated;
            let vreq = to_f(&v.request);
            let mut without = before;
            for k in 0..DIMS {
                without[k] -= vreq[k];
            }
            tree.set_leaf(vleaf, without);
            let ret = tree.compare(rpath, &self.paths[Self::queue_of(st, v)]);
            tree.set_leaf(vleaf, before);
            if ret < 0.0 {
                out.push(c);
            }
        }
        Some(out)
    }
    fn on_allocate(&mut self, st: &ClusterState, task: TaskId) {
        self.sync(st, task);
    }
    fn on_deallocate(&mut self, st: &ClusterState, task: TaskId) {
        self.sync(st, task);
    }
}

impl HierarchicalDrf {
    /// Brings `task`'s job leaf to the job's live allocation.
    fn sync(&mut self, st: &ClusterState, task: TaskId) {
        let j = st.tasks[task.idx()].job;
        if let Some(leaf) = self.leaves.get(j.idx()).copied().flatten() {
            let now = to_f(&st.jobs[j.idx()].allocated);
            if now != self.tree.nodes[leaf].allocated {
                self.tree.set_leaf(leaf, now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::QueueId;

    fn queue(id: u32, name: &str, annotations: &[(&str, &str)]) -> Queue {
        let mut q = Queue::new(QueueId(id), name);
        q.annotations = annotations.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        q
    }

    #[test]
    fn paths_from_annotations_or_parents() {
        let mut qs = vec![
            queue(0, "a", &[(HIERARCHY, "root/sci/a"), (HIERARCHY_WEIGHTS, "1/2/0.5")]),
            queue(1, "b", &[]),
            queue(2, "c", &[]),
        ];
        qs[1].weight = 3;
        qs[2].parent = Some("b".into());
        let names = |q: usize| queue_path(&qs, q);
        assert_eq!(names(0), vec![("root".into(), 1.0), ("sci".into(), 2.0), ("a".into(), 1.0)]);
        assert_eq!(names(1), vec![("root".into(), 1.0), ("b".into(), 3.0)]);
        assert_eq!(names(2), vec![("root".into(), 1.0), ("b".into(), 3.0), ("c".into(), 1.0)]);
    }

    /// The incremental update (changed leaf and its ancestors, everything when a resource becomes
    /// or stops being exhausted) gives exactly what recomputing the whole tree gives.
    #[test]
    fn leaf_updates_match_a_full_recompute() {
        let mut t = Tree::default();
        t.total[0] = 16000.0;
        t.total[2] = 8000.0;
        t.nodes.push(Node::inner("root", None, 1.0));
        for (name, parent, weight) in [("a", 0, 2.0), ("b", 0, 1.0), ("a1", 1, 1.0), ("a2", 1, 3.0)] {
            t.nodes.push(Node::inner(name, Some(parent), weight));
            let id = t.nodes.len() - 1;
            t.nodes[parent].children.push(id);
        }
        let mut leaves = Vec::new();
        for (j, parent) in [3usize, 3, 4, 2, 2].into_iter().enumerate() {
            let mut n = Node::inner("j", Some(parent), 1.0);
            n.job = Some(JobId(j as u32));
            n.request[0] = 2000.0 * (j + 1) as f64;
            n.request[2] = 1000.0 * (j % 3 + 1) as f64;
            t.nodes.push(n);
            let id = t.nodes.len() - 1;
            t.nodes[parent].children.push(id);
            leaves.push(id);
        }
        t.refresh_all();
        let mut seed: u64 = 7;
        for step in 0..200 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let leaf = leaves[(seed >> 33) as usize % leaves.len()];
            let req = t.nodes[leaf].request;
            let frac = ((seed >> 20) % 5) as f64 / 4.0;
            let alloc: FRes = std::array::from_fn(|k| (req[k] * frac).floor());
            t.set_leaf(leaf, alloc);
            let mut full = t.clone();
            full.total_allocated = [0.0; DIMS];
            for &l in &leaves {
                for k in 0..DIMS {
                    full.total_allocated[k] += full.nodes[l].allocated[k];
                }
            }
            full.refresh_all();
            for (i, (x, y)) in t.nodes.iter().zip(&full.nodes).enumerate() {
                assert_eq!(
                    (x.allocated, x.share, x.saturated),
                    (y.allocated, y.share, y.saturated),
                    "step {step}, node {i}"
                );
            }
        }
    }

    /// hdrf.md's example shape: under one inner node, an unsaturated job holding 1/4 of the GPUs
    /// and a saturated one holding 1/8 of the CPUs: mdr = 0.25, node allocation = both as they
    /// are (the unsaturated child scaled by 0.25/0.25), share 0.25.
    #[test]
    fn inner_node_scales_unsaturated_children_to_the_least_share() {
        let mut t = Tree { total: [0.0; DIMS], ..Default::default() };
        t.total[0] = 8000.0; // cpu
        t.total[2] = 8000.0; // gpu
        t.nodes.push(Node::inner("root", None, 1.0));
        let mut a = Node::inner("a", Some(0), 1.0);
        a.job = Some(JobId(0));
        (a.request[2], a.allocated[2]) = (4000.0, 2000.0);
        let mut b = Node::inner("b", Some(0), 1.0);
        b.job = Some(JobId(1));
        (b.request[0], b.allocated[0]) = (1000.0, 1000.0);
        t.nodes.extend([a, b]);
        t.nodes[0].children = vec![1, 2];
        t.total_allocated = [1000.0, 0.0, 2000.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        t.refresh_all();
        assert!(!t.nodes[1].saturated && t.nodes[2].saturated);
        assert_eq!(t.nodes[0].allocated[2], 2000.0);
        assert_eq!(t.nodes[0].allocated[0], 1000.0);
        assert_eq!(t.nodes[0].share, 0.25);
        assert!(!t.nodes[0].saturated);
    }
}
