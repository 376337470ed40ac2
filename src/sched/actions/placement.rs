//! Node search shared by the actions: the allocate predicate (request within the node's
//! future-idle resources, then every plugin predicate), the Idle/FutureIdle split and best-node
//! choice (`allocate.go: prioritizeNodes`, `util.SelectBestNodeAndScore`).

use crate::model::Resources;
use crate::model::resources::{ALL_DIMS, Dim, format_dim};
use crate::model::{NodeId, TaskId};
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
            return write!(f, "{s}: insufficient {} on every node (at most {} free).", d.name(), format_dim(d, most));
        }
        for (i, (r, n)) in counts.iter().enumerate() {
            let _ = write!(s, "{}{n} {r}", if i == 0 { ": " } else { ", " });
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
    let mut summary = FitSummary { nodes: 0, counts: Vec::new(), everywhere: None };
    let mut seen = vec![Resources::ZERO; ssn.state.pools.len()];
    let feasible = {
        let s: &Session = ssn;
        scan.scan(n, |i| {
            let nd = &s.state.nodes[i];
            if !nd.healthy {
                return false;
            }
            summary.nodes += 1;
            seen[nd.pool.idx()] = seen[nd.pool.idx()].max(nd.future_idle());
            match node_fits(s, task, NodeId(i as u32)) {
                Ok(()) => true,
                Err(r) => {
                    summary.add(r);
                    false
                }
            }
        })
    };
    ssn.carry.scan.offset = scan.offset;
    if feasible.is_empty() {
        // The scan visited every healthy node: the bounds can be made exact.
        ssn.set_pool_bounds(seen);
        return Err(summary);
    }
    let req = ssn.state.tasks[task.idx()].request;
    let idle: Vec<NodeId> =
        feasible.iter().copied().filter(|n| req.le_on_own_dims(&ssn.state.nodes[n.idx()].idle)).collect();
    let (class, pipelined) = if idle.is_empty() { (feasible, true) } else { (idle, false) };
    let best = if class.len() == 1 {
        class[0]
    } else {
        let scores: Vec<f64> = class.iter().map(|n| ssn.node_score(task, *n)).collect();
        class[scan.pick_best(&class, &scores, &mut ssn.carry.rng)]
    };
    Ok(if pipelined { Placement::Pipeline(best) } else { Placement::Allocate(best) })
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
    Some(FitSummary { nodes, counts: Vec::new(), everywhere: Some((d, most.get(d).max(0))) })
}
