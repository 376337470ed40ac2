//! Node search shared by the actions: the allocate predicate (request within the node's
//! future-idle resources, then every plugin predicate), the Idle/FutureIdle split and best-node
//! choice (`allocate.go: prioritizeNodes`, `util.SelectBestNodeAndScore`).

use crate::model::resources::ALL_DIMS;
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
    let n = ssn.state.nodes.len();
    let mut scan = ssn.carry.scan.clone();
    let mut summary = FitSummary { nodes: 0, counts: Vec::new() };
    let feasible = {
        let s: &Session = ssn;
        scan.scan(n, |i| {
            let node = NodeId(i as u32);
            if !s.state.nodes[i].healthy {
                return false;
            }
            summary.nodes += 1;
            match node_fits(s, task, node) {
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
        summary.nodes = ssn.state.nodes.iter().filter(|n| n.healthy).count();
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
