//! preempt's topology-aware mode (`enableTopologyAwarePreemption: true`;
//! `actions/preempt/topology_aware.go`, `actions/utils/topology_aware.go`), Kubernetes'
//! DefaultPreemption carried over: from a random offset, nodes that pass the plugin predicates are
//! dry-run one by one until `clamp(N × minCandidateNodesPercentage %, minCandidateNodesAbsolute,
//! maxCandidateNodesAbsolute)` of them can host the preemptor. On each, the plugins' victims are
//! removed in victim order until the preemptor fits (queue Allocatable, resources, predicates),
//! then the removed pods are reprieved in reverse order — most important first — whenever the
//! preemptor still fits without them. Among the candidates the node is picked by Kubernetes'
//! rules: lowest priority of the first victim, lowest sum of priorities, fewest victims, latest
//! start of the highest-priority victims, then scan order. Volcano checks nodes with 16 workers
//! and keeps the first results to arrive; tephra checks them in order, which is one of the
//! outcomes Volcano can produce, and reproducible.

use super::eviction::in_victim_order;
use super::placement::node_fits;
use crate::model::{NodeId, SimTime, TaskId};
use crate::sched::conf::Arguments;
use crate::sched::session::Session;
use crate::sched::statement::Statement;
use rand::RngExt;

/// preempt's arguments (`configurations: - name: preempt`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PreemptArgs {
    /// `enableTopologyAwarePreemption` (false).
    pub topology_aware: bool,
    /// `topologyAwarePreemptWorkerNum` (16): parallelism in Volcano; validated, no effect here.
    pub worker_num: u32,
    /// `minCandidateNodesPercentage` (10).
    pub min_candidate_pct: u32,
    /// `minCandidateNodesAbsolute` (1).
    pub min_candidate_abs: u32,
    /// `maxCandidateNodesAbsolute` (100).
    pub max_candidate_abs: u32,
}

impl Default for PreemptArgs {
    fn default() -> PreemptArgs {
        PreemptArgs {
            topology_aware: false,
            worker_num: 16,
            min_candidate_pct: 10,
            min_candidate_abs: 1,
            max_candidate_abs: 100,
        }
    }
}

const KNOWN: [&str; 5] = [
    "enableTopologyAwarePreemption",
    "topologyAwarePreemptWorkerNum",
    "minCandidateNodesPercentage",
    "minCandidateNodesAbsolute",
    "maxCandidateNodesAbsolute",
];

impl PreemptArgs {
    /// Reads and checks the arguments; unknown keys and impossible values are errors.
    pub fn parse(args: &Arguments) -> Result<PreemptArgs, String> {
        for key in args.0.keys() {
            if !KNOWN.contains(&key.as_str()) {
                return Err(format!("action `preempt`: unknown argument `{key}` (known: {})", KNOWN.join(", ")));
            }
        }
        let d = PreemptArgs::default();
        let int = |key: &str, default: u32, lo: i64, hi: i64| -> Result<u32, String> {
            let v = args.int(key, default as i64).map_err(|e| format!("action `preempt`: {e}"))?;
            if v < lo || v > hi {
                return Err(format!("action `preempt`: argument `{key}`: {v} is not between {lo} and {hi}"));
            }
            Ok(v as u32)
        };
        let out = PreemptArgs {
            topology_aware: args
                .bool("enableTopologyAwarePreemption", d.topology_aware)
                .map_err(|e| format!("action `preempt`: {e}"))?,
            worker_num: int("topologyAwarePreemptWorkerNum", d.worker_num, 1, 1024)?,
            min_candidate_pct: int("minCandidateNodesPercentage", d.min_candidate_pct, 0, 100)?,
            min_candidate_abs: int("minCandidateNodesAbsolute", d.min_candidate_abs, 0, i64::from(u32::MAX))?,
            max_candidate_abs: int("maxCandidateNodesAbsolute", d.max_candidate_abs, 1, i64::from(u32::MAX))?,
        };
        if out.min_candidate_abs > out.max_candidate_abs {
            return Err(format!(
                "action `preempt`: minCandidateNodesAbsolute ({}) is above maxCandidateNodesAbsolute ({})",
                out.min_candidate_abs, out.max_candidate_abs
            ));
        }
        Ok(out)
    }

    /// `CalculateNumCandidates`.
    pub fn candidates(&self, nodes: usize) -> usize {
        let n = nodes * self.min_candidate_pct as usize / 100;
        n.max(self.min_candidate_abs as usize).min(self.max_candidate_abs as usize).min(nodes)
    }
}

/// Whether `task` fits `node` now: its queue may take it, the node's future-idle resources hold
/// it and every plugin predicate passes.
fn fits(ssn: &Session, task: TaskId, node: NodeId) -> bool {
    let queue = ssn.state.jobs[ssn.state.tasks[task.idx()].job.idx()].queue;
    ssn.allocatable(queue, task) && node_fits(ssn, task, node).is_ok()
}

/// Whether `task` fits `node` with exactly `evicted` gone (tried on a statement that is undone).
fn fits_without(ssn: &mut Session, task: TaskId, node: NodeId, evicted: &[TaskId]) -> bool {
    let mut trial = Statement::new();
    for &v in evicted {
        ssn.evict(&mut trial, v, task);
    }
    let ok = fits(ssn, task, node);
    ssn.discard(trial);
    ok
}

/// `SelectVictimsOnNode`: the victims that make room for `task` on `node`, or `None`.
fn victims_on_node(
    ssn: &mut Session,
    task: TaskId,
    node: NodeId,
    eligible: &dyn Fn(&Session, TaskId) -> bool,
) -> Option<Vec<TaskId>> {
    let candidates: Vec<TaskId> =
        ssn.state.node_tasks[node.idx()].iter().copied().filter(|v| eligible(ssn, *v)).collect();
    let candidates = in_victim_order(ssn, task, candidates);
    let all = ssn.preemptable(task, &candidates);
    let req = ssn.state.tasks[task.idx()].request;
    let most =
        all.iter().fold(ssn.state.nodes[node.idx()].future_idle(), |acc, v| acc + ssn.state.tasks[v.idx()].request);
    if all.is_empty() || !req.le_on_own_dims(&most) {
        return None; // ValidateVictims
    }
    let ordered = in_victim_order(ssn, task, all);
    // Remove in victim order until the preemptor fits.
    let mut removed: Vec<TaskId> = Vec::new();
    let mut trial = Statement::new();
    for v in ordered {
        ssn.evict(&mut trial, v, task);
        removed.push(v);
        if fits(ssn, task, node) {
            break;
        }
    }
    let predicate_ok = ssn.predicate(task, node).is_ok();
    ssn.discard(trial);
    if !predicate_ok {
        return None;
    }
    // Reprieve the removed pods, most important (last removed) first.
    let mut evicted = removed.clone();
    let mut victims = Vec::new();
    for &p in removed.iter().rev() {
        let without: Vec<TaskId> = evicted.iter().copied().filter(|x| *x != p).collect();
        if fits_without(ssn, task, node, &without) {
            evicted = without;
        } else {
            victims.push(p);
        }
    }
    Some(victims)
}

/// One of Kubernetes' node-picking scores over a node's victims (higher is better).
type VictimScore<'a> = dyn Fn(&[TaskId]) -> i64 + 'a;

/// `pickOneNodeForEviction` over candidates in scan order.
fn pick(ssn: &Session, candidates: &[(NodeId, Vec<TaskId>)]) -> usize {
    let prio = |t: &TaskId| i64::from(ssn.state.tasks[t.idx()].priority);
    let start = |t: &TaskId| ssn.state.tasks[t.idx()].bound_at.unwrap_or(ssn.now);
    let scores: [&VictimScore; 4] = [
        &|v| v.first().map_or(0, |t| -prio(t)),
        &|v| -v.iter().map(|t| prio(t) + (i64::from(i32::MAX) + 1)).sum::<i64>(),
        &|v| -(v.len() as i64),
        &|v| {
            // Latest earliest-start among the highest-priority victims.
            let Some(top) = v.iter().map(prio).max() else { return i64::MAX };
            let earliest: SimTime = v.iter().filter(|t| prio(t) == top).map(start).min().unwrap_or(ssn.now);
            earliest.0 as i64
        },
    ];
    let mut alive: Vec<usize> = (0..candidates.len()).collect();
    for f in scores {
        let best = alive.iter().map(|i| f(&candidates[*i].1)).max().unwrap_or(i64::MIN);
        alive.retain(|i| f(&candidates[*i].1) == best);
        if alive.len() == 1 {
            break;
        }
    }
    alive[0]
}

/// Topology-aware `preempt()` for one task: finds candidates, picks one, evicts its victims and
/// pipelines the task there. Returns whether the task was placed.
pub fn preempt_task(
    ssn: &mut Session,
    stmt: &mut Statement,
    task: TaskId,
    eligible: &dyn Fn(&Session, TaskId) -> bool,
    args: &PreemptArgs,
) -> bool {
    let nodes: Vec<NodeId> = ssn
        .state
        .nodes
        .iter()
        .filter(|n| n.healthy)
        .map(|n| n.id)
        .filter(|n| ssn.predicate(task, *n).is_ok())
        .collect();
    if nodes.is_empty() {
        return false;
    }
    let offset = ssn.carry.rng.random_range(0..nodes.len());
    let wanted = args.candidates(nodes.len());
    let mut candidates: Vec<(NodeId, Vec<TaskId>)> = Vec::new();
    for i in 0..nodes.len() {
        if candidates.len() >= wanted {
            break;
        }
        let n = nodes[(offset + i) % nodes.len()];
        if let Some(v) = victims_on_node(ssn, task, n, eligible) {
            candidates.push((n, v));
        }
    }
    if candidates.is_empty() {
        return false;
    }
    let (node, victims) = candidates.swap_remove(pick(ssn, &candidates));
    let mut tmp = Statement::new();
    for v in victims {
        ssn.evict(&mut tmp, v, task);
    }
    if node_fits(ssn, task, node).is_err() {
        ssn.discard(tmp);
        return false;
    }
    ssn.pipeline(&mut tmp, task, node);
    stmt.ops.append(&mut tmp.ops);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::conf::ArgValue;

    fn args(pairs: &[(&str, ArgValue)]) -> Arguments {
        Arguments(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
    }

    #[test]
    fn candidate_count_is_clamped_percentage() {
        let d = PreemptArgs::default();
        assert_eq!((d.candidates(5), d.candidates(100), d.candidates(5000)), (1, 10, 100));
        let a = PreemptArgs::parse(&args(&[("minCandidateNodesAbsolute", ArgValue::Int(3))])).unwrap();
        assert_eq!((a.candidates(2), a.candidates(20)), (2, 3));
    }

    #[test]
    fn unknown_or_bad_arguments_are_errors() {
        assert!(PreemptArgs::parse(&args(&[("enableTopologyAwarePreemptoin", ArgValue::Bool(true))])).is_err());
        assert!(PreemptArgs::parse(&args(&[("minCandidateNodesPercentage", ArgValue::Int(150))])).is_err());
        let a = PreemptArgs::parse(&args(&[("enableTopologyAwarePreemption", ArgValue::Str("true".into()))])).unwrap();
        assert!(a.topology_aware);
    }
}
