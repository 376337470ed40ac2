//! Node search shared by the actions: the allocate predicate (request within the node's
//! future-idle resources, then every plugin predicate), the Idle/FutureIdle split and best-node
//! choice (`allocate.go: prioritizeNodes`, `util.SelectBestNodeAndScore`).

use crate::model::Resources;
use crate::model::resources::{ALL_DIMS, Dim, format_dim};
use crate::model::scalar_names::ScalarNames;
use crate::model::{NodeId, TaskId};
use crate::sched::actions::eviction::Need;
use crate::sched::conf::Hook;
use crate::sched::node_scan::NodeScan;
use crate::sched::plugin::FitReason;
use crate::sched::session::Session;
use std::fmt::Write;

/// Where a task can go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Fits the node's idle resources now.
    Allocate(NodeId),
    /// Fits only once releasing resources are free.
    Pipeline(NodeId),
}

/// Why no node fits, as Kubernetes words it: `0/24 nodes are available: 16 insufficient
/// nvidia.com/gpu, 8 node(s) didn't match node selector.`
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FitSummary {
    nodes: usize,
    counts: Vec<(FitReason, usize)>,
    /// Set when the request was rejected without a scan: no node has this much of the dimension.
    everywhere: Option<(Dim, i64)>,
    /// The scenario's extended resource names, to say which resource is short.
    names: ScalarNames,
}

impl FitSummary {
    fn add(&mut self, r: FitReason) {
        match self.counts.iter_mut().find(|(x, _)| *x == r) {
            Some((_, n)) => *n += 1,
            None => self.counts.push((r, 1)),
        }
    }
}

impl std::fmt::Display for FitSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut counts = self.counts.clone();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut s = format!("0/{} nodes are available", self.nodes);
        if let Some((d, most)) = self.everywhere {
            let name = self.names.name(d);
            return write!(f, "{s}: insufficient {name} on every node (at most {} free).", format_dim(d, most));
        }
        for (i, (r, n)) in counts.iter().enumerate() {
            let _ = write!(s, "{}{n} {}", if i == 0 { ": " } else { ", " }, r.describe(&self.names));
        }
        write!(f, "{s}.")
    }
}

/// The allocate predicate for one node.
pub fn node_fits(ssn: &Session, task: TaskId, node: NodeId) -> Result<(), FitReason> {
    let n = &ssn.state.nodes[node.idx()];
    let req = &ssn.state.tasks[task.idx()].request;
    let future = n.future_idle();
    if !req.le_on_own_dims(&future) {
        let d =
            ALL_DIMS.into_iter().find(|d| req.get(*d) > 0 && req.get(*d) > future.get(*d)).expect("some dim exceeds");
        return Err(FitReason::Insufficient(d));
    }
    ssn.predicate(task, node)
}

/// Finds the node for `task`: feasible nodes in scan order, the Idle class before the
/// FutureIdle class, then the best summed score.
pub fn place(ssn: &mut Session, task: TaskId) -> Result<Placement, FitSummary> {
    if let Some(summary) = quick_reject(ssn, task) {
        // A scan would find nothing and, visiting every node, leave the offset where it is.
        return Err(summary);
    }
    let n = ssn.state.nodes.len();
    let mut scan = ssn.carry.scan.clone();
    let start = match scan.mode {
        NodeScan::Volcano if n > 0 => scan.offset % n,
        _ => 0,
    };
    let req = ssn.state.tasks[task.idx()].request;
    let need = Need::new(&req);
    let feasible = {
        let s: &Session = ssn;
        // The cheap resource test first: on a busy fleet most nodes fail it, and the plugin
        // predicates are only asked about the rest (the same conjunction as `node_fits`).
        let skip = PoolSkip::new(s, task);
        // Nodes with fewer whole free accelerators than requested fail the resource test.
        let cards = (req.accelerators().max(0) / 1000) as usize;
        scan.scan_skipping(
            n,
            |mut i, end| loop {
                let j = skip.next(s, i, end);
                let k = s.state.card_bits.next(cards, j, end);
                if k == j {
                    return j;
                }
                i = k;
            },
            |i| {
                need.covered_by(&s.state.future_idle[i], &[], &[])
                    && s.state.nodes[i].healthy
                    && s.predicate(task, NodeId(i as u32)).is_ok()
            },
        )
    };
    ssn.carry.scan.offset = scan.offset;
    if feasible.is_empty() {
        // The scan visited every healthy node and found none: say why, node by node in the
        // same order, and make the bounds exact.
        let (summary, seen) = explain(ssn, task, start);
        ssn.set_pool_bounds(seen);
        return Err(summary);
    }
    Ok(choose(ssn, task, feasible))
}

/// [`place`] restricted to `nodes` (the nodes of a HyperNode, in id order): every node is
/// checked (no feasible-node cut-off or rotating offset inside a HyperNode), then the usual choice.
pub fn place_among(ssn: &mut Session, task: TaskId, nodes: &[NodeId]) -> Result<Placement, FitSummary> {
    let mut summary = FitSummary::default();
    let mut feasible = Vec::new();
    for &n in nodes {
        if !ssn.state.nodes[n.idx()].healthy {
            continue;
        }
        summary.nodes += 1;
        match node_fits(ssn, task, n) {
            Ok(()) => feasible.push(n),
            Err(r) => summary.add(r),
        }
    }
    if feasible.is_empty() {
        return Err(summary);
    }
    Ok(choose(ssn, task, feasible))
}

/// `prioritizeNodes` over feasible nodes (non-empty): nodes whose idle resources hold the request
/// before those that only fit future-idle ones, then the best summed score, ties per scan mode.
pub fn choose(ssn: &mut Session, task: TaskId, feasible: Vec<NodeId>) -> Placement {
    let req = ssn.state.tasks[task.idx()].request;
    let idle: Vec<NodeId> =
        feasible.iter().copied().filter(|n| req.le_on_own_dims(&ssn.state.nodes[n.idx()].idle)).collect();
    let (class, pipelined) = if idle.is_empty() { (feasible, true) } else { (idle, false) };
    let best = if class.len() == 1 {
        class[0]
    } else {
        let scores = ssn.node_scores(task, &class);
        let scan = ssn.carry.scan.clone();
        class[scan.pick_best(&class, &scores, &mut ssn.carry.rng)]
    };
    if pipelined { Placement::Pipeline(best) } else { Placement::Allocate(best) }
}

/// The pools a task's predicates allow (the AND of every predicate plugin's
/// [`crate::sched::plugin::Plugin::pool_mask`]) and where each pool's nodes end, so that a scan can
/// jump from a node of a pool outside the mask to the next pool: nodes are stored pool by pool.
pub struct PoolSkip {
    mask: u64,
    /// Per pool: one past the index of its last node.
    ends: Vec<usize>,
}

impl PoolSkip {
    /// The pools `task` may use and the pools' node ranges.
    pub fn new(ssn: &Session, task: TaskId) -> PoolSkip {
        let t = &ssn.state.tasks[task.idx()];
        let mask = ssn
            .hooks
            .slots(Hook::Predicate)
            .iter()
            .filter_map(|&i| ssn.slots[i].plugin.pool_mask(ssn.state, t))
            .fold(u64::MAX, |a, b| a & b);
        let nodes = &ssn.state.nodes;
        let ends = if mask == u64::MAX {
            Vec::new()
        } else {
            (0..ssn.state.pools.len()).map(|p| nodes.partition_point(|n| n.pool.idx() <= p)).collect()
        };
        PoolSkip { mask, ends }
    }

    /// The first node in `i..end` of an allowed pool, or `end`.
    pub fn next(&self, ssn: &Session, mut i: usize, end: usize) -> usize {
        if self.mask == u64::MAX {
            return i;
        }
        while i < end {
            let p = ssn.state.nodes[i].pool.idx();
            if p >= 64 || self.mask & (1 << p) != 0 {
                return i;
            }
            i = self.ends[p].max(i + 1);
        }
        end
    }
}

/// Why `task` fits no node: every healthy node's first failure, visited from `start` in scan
/// order, and per pool the largest future-idle resources seen (exact bounds, see
/// [`Session::set_pool_bounds`]). Only called after a scan found no node, so it is off the hot path.
fn explain(ssn: &Session, task: TaskId, start: usize) -> (FitSummary, Vec<Resources>) {
    let n = ssn.state.nodes.len();
    let mut summary = FitSummary { nodes: 0, counts: Vec::new(), everywhere: None, names: ssn.state.scalar_names };
    let mut seen = vec![Resources::ZERO; ssn.state.pools.len()];
    for k in 0..n {
        let i = (start + k) % n;
        let nd = &ssn.state.nodes[i];
        if !nd.healthy {
            continue;
        }
        summary.nodes += 1;
        seen[nd.pool.idx()] = seen[nd.pool.idx()].max(nd.future_idle());
        if let Err(r) = node_fits(ssn, task, NodeId(i as u32)) {
            summary.add(r);
        }
    }
    (summary, seen)
}

/// Rejects a request no node can hold, from the per-pool bounds, without scanning: some dimension
/// exceeds the largest future-idle amount of every pool the task may use.
fn quick_reject(ssn: &mut Session, task: TaskId) -> Option<FitSummary> {
    ssn.pool_bounds();
    let ssn = &*ssn;
    let bounds = ssn.computed_pool_bounds();
    let t = &ssn.state.tasks[task.idx()];
    let mask = ssn.state.jobs[t.job.idx()].role_pools[t.role as usize];
    let mut most = Resources::ZERO;
    for (p, bound) in bounds.iter().enumerate() {
        if mask & (1 << p) != 0 {
            if t.request.le_on_own_dims(bound) {
                return None;
            }
            most = most.max(*bound);
        }
    }
    let d = t.request.dims().find(|d| t.request.get(*d) > most.get(*d))?;
    let nodes = ssn.state.nodes.iter().filter(|n| n.healthy).count();
    let names = ssn.state.scalar_names;
    Some(FitSummary { nodes, counts: Vec::new(), everywhere: Some((d, most.get(d).max(0))), names })
}
