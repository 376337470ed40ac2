//! `reclaim` (`actions/reclaim/reclaim.go`): a starving job of a queue that is below its deserved
//! share (Preemptive) takes back resources from running tasks of **other, reclaimable queues**
//! that the plugins allow (proportion: the victim's queue is above its deserved share; gang: only
//! tasks above the victim's minimum). Overused queues do not reclaim. Evictions are committed only
//! if the reclaiming job is then pipelined. Pods annotated `volcano.sh/preemptable: false` are
//! never reclaimed.

use super::eviction::{
    Need, NodeSet, Proofs, could_fit, evict_and_pipeline, in_victim_order, intern, pending_tasks, starving_by_queue,
};
use super::placement::PoolSkip;
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
    let mut victims_cache = VictimCache {
        shrinks: ssn.hooks.slots(Hook::Reclaimable).iter().all(|&i| ssn.slots[i].plugin.may_be_victim_shrinks()),
        ..VictimCache::default()
    };
    while !queues.is_empty() {
        let q = ssn.pop_best_queue(&mut queues);
        if ssn.overused(q) {
            continue;
        }
        let Some(j) = per_queue[q.idx()].pop(&mut |a, b| ssn.job_order(a, b) == Ordering::Less) else { continue };
        let mut stmt = Statement::new();
        victims_cache.proofs.begin();
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
            victims_cache.proofs.discard(stmt.is_empty());
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
    let dims = cache.kind_id((dims, ssn.evictor_key(Hook::Reclaimable, task)));
    let nodes = ssn.state.nodes.len();
    let req = ssn.state.tasks[task.idx()].request;
    let set_key = (queue, dims, cache.request_id(req));
    let mut set = cache.sets.remove(&set_key).unwrap_or_else(|| NodeSet::new(nodes, cache.proofs.serial()));
    set.sync(&cache.proofs);
    // Anywhere at all? Cached per set like the per-node answers. Only nodes of the set can have a
    // victim.
    let anywhere = match cache.anywhere.get(&set_key) {
        Some((at, any)) if *at == ssn.mutations => *any,
        _ => {
            let buf = &mut cache.buf;
            let mut any = false;
            let mut from = 0;
            while let Some(i) = set.next(from) {
                from = i + 1;
                if ssn.state.nodes[i].healthy && candidates_on(ssn, task, queue, NodeId(i as u32), buf) {
                    any = true;
                    break;
                }
            }
            cache.anywhere.insert(set_key, (ssn.mutations, any));
            any
        }
    };
    if !anywhere {
        cache.sets.insert(set_key, set);
        return false;
    }
    let nq = ssn.state.queues.len();
    let others: Vec<usize> = (0..nq).filter(|o| *o != queue.idx() && ssn.state.queues[*o].reclaimable).collect();
    let need = Need::new(&req);
    if cache.per_node.len() < ssn.state.nodes.len() {
        cache.per_node.resize_with(ssn.state.nodes.len(), Default::default);
    }
    // Nodes in id order, each checked lazily: nothing changes the session until a node works, so
    // checking node by node finds the same first node as filtering them all up front. Nodes shown
    // to have no possible victim are left out (see `VictimCache::sets`).
    let mut placed = false;
    let skip = PoolSkip::new(ssn, task);
    let mut from = 0;
    while let Some(i) = set.next(from) {
        // Nodes of pools the predicates rule out for this task cannot be chosen: jump over them.
        let allowed = skip.next(ssn, i, nodes);
        if allowed != i {
            from = allowed;
            continue;
        }
        from = i + 1;
        let n = NodeId(i as u32);
        // On a node's first visit: unhealthy nodes leave the set for good (health does not change
        // within a session), and the plugins are asked even when this task cannot use the node, so
        // that a node without possible victims leaves the set for every later task.
        if set.first_check(i)
            && (!ssn.state.nodes[i].healthy || (cache.shrinks && cache.victims(ssn, task, queue, dims, i).1))
        {
            set.remove(i);
            continue;
        }
        // At most: what is free plus every running task of the other reclaimable queues. Evicting
        // one of those moves its request from the row to future-idle and pipelining lowers
        // future-idle, so a node that falls short stays short for this request (until the
        // statement is undone, see `Proofs`) and leaves the set.
        let row = &ssn.state.node_queue_running[i * nq..(i + 1) * nq];
        if !need.covered_by(&ssn.state.future_idle[i], row, &others) {
            set.remove(i);
            continue;
        }
        if ssn.predicate(task, n).is_err() {
            continue;
        }
        let (victims, none) = cache.victims(ssn, task, queue, dims, i);
        if none {
            set.remove(i);
        }
        if victims.is_empty() || !could_fit(ssn, task, n, &victims) {
            continue;
        }
        if evict_and_pipeline(ssn, stmt, task, n, victims, false) {
            placed = true;
            break;
        }
    }
    cache.sets.insert(set_key, set);
    placed
}

/// What a failed victim search depended on: queue, request, node selector, evictor keys.
type FailKey = (QueueId, Resources, u64, Vec<i64>);

/// A node set's key: reclaimer queue, index of the evictor kind, index of the request.
type SetKey = (QueueId, u32, u32);

/// The reclaimer-side inputs of the plugins' answers: requested dimensions and evictor keys.
type EvictorKind = (u16, Vec<i64>);

/// Plugin answers remembered while the session is unchanged (stamped with `Session::mutations`):
/// the reclaim plugins' answers depend on the victims and their queues, and on the reclaimer only
/// through its queue, the dimensions it requests and the plugins' evictor keys, so every task of
/// the same kind gets the same answer.
#[derive(Default)]
struct VictimCache {
    /// Per node: the answers for each (reclaimer queue, requested dimensions) asked about.
    per_node: Vec<Vec<Entry>>,
    /// This action's statements and which were undone: "no possible victim" answers hold while
    /// the statement they were found in stands.
    proofs: Proofs,
    /// Whether every Reclaimable plugin's `may_be_victim` only shrinks under evictions.
    shrinks: bool,
    /// Per (reclaimer queue, evictor kind, request): the nodes not shown to have no possible
    /// victim or too little to take for the request. Reclaim takes nodes in id order, so without
    /// it every task would walk again over the nodes already emptied of victims by the tasks
    /// before it.
    sets: BTreeMap<SetKey, NodeSet>,
    /// Per set: whether any of its nodes may have victims at all.
    anywhere: BTreeMap<SetKey, (u64, bool)>,
    /// Every evictor kind met in this action; the caches above key on its index.
    kinds: Vec<EvictorKind>,
    /// Every request met in this action; the sets key on its index.
    requests: Vec<Resources>,
    /// Scratch list for the candidates of one node.
    buf: Vec<TaskId>,
}

impl VictimCache {
    /// A small number for an evictor kind, so that lookups compare integers, not key vectors.
    fn kind_id(&mut self, kind: EvictorKind) -> u32 {
        intern(&mut self.kinds, kind)
    }

    /// A small number for a request, for the node sets' keys.
    fn request_id(&mut self, req: Resources) -> u32 {
        intern(&mut self.requests, req)
    }

    /// The victims on node `i` for a reclaimer of `queue` requesting `dims` (remembered or
    /// computed), and whether the node is known to have no possible victim at all.
    fn victims(&mut self, ssn: &Session, task: TaskId, queue: QueueId, dims: u32, i: usize) -> (Vec<TaskId>, bool) {
        let (mutations, shrinks) = (ssn.mutations, self.shrinks);
        let holds = |e: &Entry| e.none_since.is_some_and(|s| self.proofs.hold(s));
        let entries = &self.per_node[i];
        let known = entries.iter().position(|e| e.queue == queue && e.dims == dims);
        match known.map(|k| &entries[k]) {
            Some(e) if e.at == mutations => (e.victims.clone(), shrinks && holds(e)),
            // Nothing on this node could be a victim, and since then this action has only evicted
            // and pipelined, which cannot make any candidate a victim (`may_be_victim_shrinks`).
            Some(e) if shrinks && holds(e) => (Vec::new(), true),
            _ => {
                let (victims, none) = victims_on(ssn, task, queue, NodeId(i as u32), &mut self.buf);
                let entry = Entry {
                    queue,
                    dims,
                    at: mutations,
                    victims: victims.clone(),
                    none_since: none.then_some(self.proofs.serial()),
                };
                let entries = &mut self.per_node[i];
                match known {
                    Some(k) => entries[k] = entry,
                    None => entries.push(entry),
                }
                (victims, shrinks && none)
            }
        }
    }
}

/// One remembered answer of [`victims_on`].
struct Entry {
    queue: QueueId,
    /// Index of the evictor kind in [`VictimCache::kinds`].
    dims: u32,
    /// `Session::mutations` when the answer was computed; it holds while the count is unchanged.
    at: u64,
    victims: Vec<TaskId>,
    /// When no candidate on the node could be a victim at all: the statement serial at that time.
    /// The answer stays "none" while that statement is not undone (see [`Proofs`]), if the plugins'
    /// `may_be_victim` only shrinks.
    none_since: Option<u64>,
}

fn dim_bit(d: crate::model::Dim) -> u16 {
    let i = crate::model::resources::ALL_DIMS.iter().position(|x| *x == d).expect("known dim");
    1 << i
}

/// Fills `out` with the running tasks of other reclaimable queues on `node`; true if the plugins
/// may take any of them (false leaves `out` unspecified).
fn candidates_on(ssn: &Session, task: TaskId, queue: QueueId, node: NodeId, out: &mut Vec<TaskId>) -> bool {
    out.clear();
    out.extend(ssn.state.node_tasks[node.idx()].iter().copied().filter(|v| {
        let victim = &ssn.state.tasks[v.idx()];
        let vqueue = ssn.state.jobs[victim.job.idx()].queue;
        victim.status == TaskStatus::Running
            && vqueue != queue
            && ssn.state.queues[vqueue.idx()].reclaimable
            && ssn.state.jobs[victim.job.idx()].pods_preemptable()
    }));
    !out.is_empty() && ssn.may_have_victims(Hook::Reclaimable, task, out)
}

/// Running tasks of other reclaimable queues on `node`, in victim order, filtered by the plugins;
/// and whether there were none the plugins may take at all (see [`Session::may_have_victims`]).
fn victims_on(ssn: &Session, task: TaskId, queue: QueueId, node: NodeId, buf: &mut Vec<TaskId>) -> (Vec<TaskId>, bool) {
    if !candidates_on(ssn, task, queue, node, buf) {
        return (Vec::new(), true);
    }
    let candidates = in_victim_order(ssn, task, buf.clone());
    (ssn.reclaimable(task, &candidates), false)
}
