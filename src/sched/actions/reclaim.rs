//! `reclaim` (`actions/reclaim/reclaim.go`): a starving job of a queue that is below its deserved
//! share (Preemptive) takes back resources from running tasks of **other, reclaimable queues**
//! that the plugins allow (proportion: the victim's queue is above its deserved share; gang: only
//! tasks above the victim's minimum). Overused queues do not reclaim. Evictions are committed only
//! if the reclaiming job is then pipelined. Pods annotated `volcano.sh/preemptable: false` are
//! never reclaimed.

use super::eviction::{could_fit, evict_and_pipeline, in_victim_order, pending_tasks, starving_by_queue};
use crate::model::{NodeId, QueueId, Resources, TaskId, TaskStatus};
use crate::sched::conf::Hook;
use crate::sched::session::Session;
use crate::sched::statement::Statement;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Runs the action.
pub fn execute(ssn: &mut Session) {
    let (mut per_queue, mut queues) = starving_by_queue(ssn);
    // Victim searches that found nothing, by what they depend on: the reclaimer's queue, request,
    // node selector and the plugins' evictor keys (hierarchical drf looks at the reclaimer's job),
    // valid while nothing moved.
    let mut failed: Vec<(FailKey, u64)> = Vec::new();
    let mut victims_cache = VictimCache::default();
    while !queues.is_empty() {
        let q = ssn.pop_best_queue(&mut queues);
        if ssn.overused(q) {
            continue;
        }
        let Some(j) = per_queue[q.idx()].pop(&mut |a, b| ssn.job_order(a, b) == Ordering::Less) else { continue };
        let mut stmt = Statement::new();
        let mut tasks = pending_tasks(ssn, j);
        while ssn.job_starving(j) {
            let Some(t) = tasks.pop(&mut |a, b| ssn.task_order(a, b) == Ordering::Less) else { break };
            if !ssn.preemptive(q, t) {
                continue;
            }
            let task = &ssn.state.tasks[t.idx()];
            let pools = ssn.state.jobs[task.job.idx()].role_pools[task.role as usize];
            let key = (q, task.request, pools, ssn.evictor_key(Hook::Reclaimable, t));
            if failed.iter().any(|f| f.0 == key && f.1 == ssn.mutations) {
                break;
            }
            if !reclaim_for_task(ssn, &mut stmt, t, q, &mut victims_cache) {
                failed.push((key, ssn.mutations));
                break;
            }
        }
        if ssn.job_pipelined(j) {
            ssn.commit(stmt);
        } else {
            ssn.discard(stmt);
        }
        if !per_queue[q.idx()].is_empty() {
            queues.push(q);
        }
    }
}

/// `reclaimForTask`: nodes that pass the plugin predicates, in node order; on each, running
/// tasks of other reclaimable queues, filtered by the plugins; the first node that works wins.
fn reclaim_for_task(
    ssn: &mut Session,
    stmt: &mut Statement,
    task: TaskId,
    queue: QueueId,
    cache: &mut VictimCache,
) -> bool {
    let dims = ssn.state.tasks[task.idx()].request.dims().fold(0u16, |m, d| m | dim_bit(d));
    let dims = (dims, ssn.evictor_key(Hook::Reclaimable, task));
    // Anywhere at all? Cached per (queue, requested dimensions) like the per-node answers.
    let anywhere = match cache.anywhere.get(&(queue, dims.clone())) {
        Some((at, any)) if *at == ssn.mutations => *any,
        _ => {
            let any = ssn.state.nodes.iter().any(|n| n.healthy && !candidates_on(ssn, task, queue, n.id).is_empty());
            cache.anywhere.insert((queue, dims.clone()), (ssn.mutations, any));
            any
        }
    };
    if !anywhere {
        return false;
    }
    let req = ssn.state.tasks[task.idx()].request;
    let nq = ssn.state.queues.len();
    let others: Vec<usize> = (0..nq).filter(|o| *o != queue.idx() && ssn.state.queues[*o].reclaimable).collect();
    let nodes: Vec<_> = ssn
        .state
        .nodes
        .iter()
        .filter(|n| {
            // At most: what is free plus every running task of the other reclaimable queues.
            let most =
                others.iter().fold(n.future_idle(), |acc, o| acc + ssn.state.node_queue_running[n.id.idx() * nq + o]);
            n.healthy && req.le_on_own_dims(&most) && ssn.predicate(task, n.id).is_ok()
        })
        .map(|n| n.id)
        .collect();
    for n in nodes {
        let key = (n, queue, dims.clone());
        let victims = match cache.per_node.get(&key) {
            Some((at, v)) if *at == ssn.mutations => v.clone(),
            _ => {
                let v = victims_on(ssn, task, queue, n);
                cache.per_node.insert(key, (ssn.mutations, v.clone()));
                v
            }
        };
        if victims.is_empty() || !could_fit(ssn, task, n, &victims) {
            continue;
        }
        if evict_and_pipeline(ssn, stmt, task, n, victims, false) {
            return true;
        }
    }
    false
}

/// What a failed victim search depended on: queue, request, node selector, evictor keys.
type FailKey = (QueueId, Resources, u64, Vec<i64>);

/// The reclaimer-side inputs of the plugins' answers: requested dimensions and evictor keys.
type EvictorKind = (u16, Vec<i64>);

/// Plugin answers remembered while the session is unchanged (stamped with `Session::mutations`):
/// the reclaim plugins' answers depend on the victims and their queues, and on the reclaimer only
/// through its queue, the dimensions it requests and the plugins' evictor keys, so every task of
/// the same kind gets the same answer.
#[derive(Default)]
struct VictimCache {
    /// Per (node, reclaimer queue, kind): the plugin-approved victims.
    per_node: BTreeMap<(NodeId, QueueId, EvictorKind), (u64, Vec<TaskId>)>,
    /// Per (reclaimer queue, kind): whether any node may have victims at all.
    anywhere: BTreeMap<(QueueId, EvictorKind), (u64, bool)>,
}

fn dim_bit(d: crate::model::Dim) -> u16 {
    let i = crate::model::resources::ALL_DIMS.iter().position(|x| *x == d).expect("known dim");
    1 << i
}

/// Running tasks of other reclaimable queues on `node`, if the plugins may take any of them.
fn candidates_on(ssn: &Session, task: TaskId, queue: QueueId, node: NodeId) -> Vec<TaskId> {
    let candidates: Vec<TaskId> = ssn.state.node_tasks[node.idx()]
        .iter()
        .copied()
        .filter(|v| {
            let victim = &ssn.state.tasks[v.idx()];
            let vqueue = ssn.state.jobs[victim.job.idx()].queue;
            victim.status == TaskStatus::Running
                && vqueue != queue
                && ssn.state.queues[vqueue.idx()].reclaimable
                && ssn.state.jobs[victim.job.idx()].pods_preemptable()
        })
        .collect();
    if candidates.is_empty() || !ssn.may_have_victims(Hook::Reclaimable, task, &candidates) {
        return Vec::new();
    }
    candidates
}

/// Running tasks of other reclaimable queues on `node`, in victim order, filtered by the plugins.
fn victims_on(ssn: &Session, task: TaskId, queue: QueueId, node: NodeId) -> Vec<TaskId> {
    let candidates = candidates_on(ssn, task, queue, node);
    if candidates.is_empty() {
        return candidates;
    }
    let candidates = in_victim_order(ssn, task, candidates);
    ssn.reclaimable(task, &candidates)
}
