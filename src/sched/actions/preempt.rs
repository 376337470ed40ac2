//! `preempt` (`actions/preempt/preempt.go`), normal mode: a starving job takes resources from
//! other jobs of the **same queue** that the plugins allow (priority: strictly lower job priority;
//! gang: only tasks above the victim's minimum; drf: share rule), node by node in score order.
//! Phase B lets a job's pending tasks preempt lower-priority tasks of the same job. Evictions are
//! committed only if the preemptor job is then pipelined (gang), otherwise discarded. A pod
//! annotated `volcano.sh/preemptable: false` is never a victim (`GetPodPreemptable`, default true).
//! Jobs with a network topology constraint are not preemptors.

use super::eviction::{
    Need, NodeSet, Proofs, could_fit, evict_and_pipeline, in_victim_order, intern, pending_tasks, starving_by_queue,
};
use super::placement::PoolSkip;
use super::preempt_topology::PreemptArgs;
use crate::model::{JobId, NodeId, QueueId, Resources, TaskId, TaskStatus};
use crate::sched::conf::Hook;
use crate::sched::session::Session;
use crate::sched::statement::Statement;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Which running tasks a preemptor may look at.
#[derive(Clone, Copy)]
enum Scope {
    /// Other jobs of the preemptor's queue.
    OtherJobsSameQueue,
    /// The preemptor's own job.
    SameJob,
}

/// A phase-A search that found nothing: (queue, job priority, job allocation, request, node
/// selector, evictor key, session mutation count).
type FailedSearch = (QueueId, i32, Resources, Resources, u64, Vec<i64>, u64);

/// Runs the action.
pub fn execute(ssn: &mut Session, args: &PreemptArgs) {
    let (mut per_queue, mut queues) = starving_by_queue(ssn);
    queues.sort_by(|a, b| ssn.queue_order(*a, *b));
    // Phase-A searches that found nothing, by what they depend on: the preemptor's queue, job
    // priority (priority), job allocation (drf), request, node selector and the plugins' evictor
    // keys (tdm); valid while nothing moved.
    let mut failed: Vec<FailedSearch> = Vec::new();
    let mut memo = Memo {
        shrinks: ssn.hooks.slots(Hook::Preemptable).iter().all(|&i| ssn.slots[i].plugin.may_be_victim_shrinks()),
        ..Memo::default()
    };
    for q in queues {
        let mut starving = Vec::new();
        // Phase A: between jobs of the queue.
        while let Some(j) = per_queue[q.idx()].pop(&mut |a, b| ssn.job_order(a, b) == Ordering::Less) {
            // A job with a network topology constraint does not preempt, in either phase
            // (reference §2.4: preemptors are starving jobs without network topology).
            if ssn.state.jobs[j.idx()].network_topology().is_some() {
                continue;
            }
            starving.push(j);
            let mut stmt = Statement::new();
            memo.proofs.begin();
            let mut tasks = pending_tasks(ssn, j);
            while ssn.job_starving(j) {
                let Some(t) = tasks.pop(&mut |a, b| ssn.task_order(a, b) == Ordering::Less) else { break };
                let (task, job) = (&ssn.state.tasks[t.idx()], &ssn.state.jobs[j.idx()]);
                let key = (q, job.priority, job.allocated, task.request, job.role_pools[task.role as usize]);
                let ekey = ssn.evictor_key(Hook::Preemptable, t);
                if failed.iter().any(|f| (f.0, f.1, f.2, f.3, f.4) == key && f.5 == ekey && f.6 == ssn.mutations) {
                    break;
                }
                if !preempt_task(ssn, &mut stmt, t, Scope::OtherJobsSameQueue, &mut memo, args) {
                    failed.push((key.0, key.1, key.2, key.3, key.4, ekey, ssn.mutations));
                    break;
                }
            }
            if ssn.job_pipelined(j) {
                ssn.commit(stmt);
            } else {
                memo.proofs.discard(stmt.is_empty());
                ssn.discard(stmt);
            }
        }
        // Phase B: within each starving job, task by task, committed one at a time.
        for j in starving {
            let mut tasks = pending_tasks(ssn, j);
            while let Some(t) = tasks.pop(&mut |a, b| ssn.task_order(a, b) == Ordering::Less) {
                let mut stmt = Statement::new();
                memo.proofs.begin();
                if !preempt_task(ssn, &mut stmt, t, Scope::SameJob, &mut memo, args) {
                    memo.proofs.discard(stmt.is_empty());
                    ssn.discard(stmt);
                    break;
                }
                ssn.commit(stmt);
            }
        }
    }
}

/// `preempt()` for one task: nodes that pass the plugin predicates (resource shortage is what
/// eviction fixes), visited by descending score; the first node where the victims make room wins.
/// Phase-A "could any node have a victim" answers, see [`preempt_task`].
type Anywhere = BTreeMap<(QueueId, Vec<i64>, bool), (u64, bool)>;

/// What preempt remembers between tasks within one run of the action.
#[derive(Default)]
struct Memo {
    /// See [`Anywhere`].
    anywhere: Anywhere,
    /// Per kind of preemptor (scope is same-job, job, plugins' evictor key, best-effort, request):
    /// the nodes not shown to have no possible victim or too little room for the request (see
    /// [`NodeSet`]). The candidates depend on the preemptor's job (its own tasks are in or out)
    /// and the plugins' answers on the evictor key.
    sets: BTreeMap<(bool, JobId, Vec<i64>, bool, u32), NodeSet>,
    /// Every request met in this action; the sets key on its index.
    requests: Vec<Resources>,
    /// This action's statements and which were undone (see [`Proofs`]).
    proofs: Proofs,
    /// Whether every Preemptable plugin's `may_be_victim` only shrinks under evictions.
    shrinks: bool,
    /// Per queue: its Running and Bound tasks when the action started, node by node (built on
    /// first use). Every eligible candidate of a preemptor is among its queue's: within the
    /// action no task becomes Running or Bound except by undoing its own eviction.
    queue_running: Option<Vec<Vec<TaskId>>>,
    /// Per queue: the nodes holding any of its Running or Bound tasks when the action started, as
    /// a bitset over node ids — the only nodes where a preemptor of the queue can find a
    /// candidate, so a new node set starts from them.
    queue_nodes: Vec<Vec<u64>>,
}

impl Memo {
    /// A small number for a request, for the node sets' keys.
    fn request_id(&mut self, req: Resources) -> u32 {
        intern(&mut self.requests, req)
    }

    fn queue_running(&mut self, ssn: &Session, q: QueueId) -> &[TaskId] {
        let lists = self.queue_running.get_or_insert_with(|| {
            let mut lists = vec![Vec::new(); ssn.state.queues.len()];
            for &t in ssn.state.node_tasks.iter().flatten() {
                let task = &ssn.state.tasks[t.idx()];
                if matches!(task.status, TaskStatus::Running | TaskStatus::Bound) {
                    lists[ssn.state.jobs[task.job.idx()].queue.idx()].push(t);
                }
            }
            lists
        });
        &lists[q.idx()]
    }

    /// A fresh node set for a preemptor of queue `q`: the nodes that hold a task of `q`.
    fn node_set(&mut self, ssn: &Session, q: QueueId) -> NodeSet {
        if self.queue_nodes.is_empty() {
            let words = ssn.state.nodes.len().div_ceil(64);
            let mut bits = vec![vec![0u64; words]; ssn.state.queues.len()];
            for (queue, row) in bits.iter_mut().enumerate() {
                for &t in self.queue_running(ssn, QueueId(queue as u32)) {
                    if let Some(n) = ssn.state.tasks[t.idx()].node {
                        row[n.idx() / 64] |= 1 << (n.idx() % 64);
                    }
                }
            }
            self.queue_nodes = bits;
        }
        NodeSet::from_bits(self.queue_nodes[q.idx()].clone(), self.proofs.serial())
    }
}

fn preempt_task(
    ssn: &mut Session,
    stmt: &mut Statement,
    task: TaskId,
    scope: Scope,
    memo: &mut Memo,
    args: &PreemptArgs,
) -> bool {
    let preemptor = &ssn.state.tasks[task.idx()];
    let (pjob, best_effort) = (preemptor.job, preemptor.request.is_empty());
    let pqueue = ssn.state.jobs[pjob.idx()].queue;
    let eligible = |ssn: &Session, v: TaskId| {
        let victim = &ssn.state.tasks[v.idx()];
        let vjob = &ssn.state.jobs[victim.job.idx()];
        matches!(victim.status, TaskStatus::Running | TaskStatus::Bound)
            && (!best_effort || victim.request.is_empty())
            && match scope {
                Scope::OtherJobsSameQueue => victim.job != pjob && vjob.queue == pqueue,
                Scope::SameJob => victim.job == pjob,
            }
            && vjob.pods_preemptable()
    };
    if args.topology_aware {
        return super::preempt_topology::preempt_task(ssn, stmt, task, &eligible, args);
    }
    // If no plugin could name a victim among all eligible tasks of the cluster, no node has one.
    // Phase A's answer depends on the preemptor only through its queue, the plugins' evictor keys
    // and best-effort-ness, so it is remembered per those while the session is unchanged.
    let ekey = ssn.evictor_key(Hook::Preemptable, task);
    let key = (pqueue, ekey.clone(), best_effort);
    let cached = match scope {
        Scope::OtherJobsSameQueue => {
            memo.anywhere.get(&key).filter(|(at, _)| *at == ssn.mutations).map(|(_, any)| *any)
        }
        Scope::SameJob => None,
    };
    let any = cached.unwrap_or_else(|| {
        // `may_have_victims` can only turn true as candidates are added, so it is asked about
        // growing prefixes (64, 256, 1024, … eligible tasks) and the whole list last: the same
        // answer, usually without walking the whole cluster.
        let mut everywhere: Vec<TaskId> = Vec::new();
        let mut next_check = 64;
        // Eligible tasks are Running or Bound tasks of the preemptor's queue (its own job's too).
        for v in memo.queue_running(ssn, pqueue).iter().copied().filter(|v| eligible(ssn, *v)) {
            everywhere.push(v);
            if everywhere.len() == next_check {
                if ssn.may_have_victims(Hook::Preemptable, task, &everywhere) {
                    return true;
                }
                next_check *= 4;
            }
        }
        !everywhere.is_empty() && ssn.may_have_victims(Hook::Preemptable, task, &everywhere)
    });
    if let Scope::OtherJobsSameQueue = scope {
        memo.anywhere.insert(key, (ssn.mutations, any));
    }
    if !any {
        return false;
    }
    // Nodes where the plugin predicates pass and evicting every eligible task would be enough,
    // visited by descending score (node id breaks ties).
    let mut nodes: Vec<(f64, NodeId)> = Vec::new();
    let (req, nq) = (ssn.state.tasks[task.idx()].request, ssn.state.queues.len());
    let need = Need::new(&req);
    let mut candidates: Vec<TaskId> = Vec::new();
    let same_job = matches!(scope, Scope::SameJob);
    let set_key = (same_job, pjob, ekey, best_effort, memo.request_id(req));
    let mut set = match memo.sets.remove(&set_key) {
        Some(set) => set,
        None => memo.node_set(ssn, pqueue),
    };
    set.sync(&memo.proofs);
    let skip = PoolSkip::new(ssn, task);
    let mut from = 0;
    while let Some(i) = set.next(from) {
        // Nodes of pools the predicates rule out for this task cannot be chosen: jump over them.
        let allowed = skip.next(ssn, i, ssn.state.nodes.len());
        if allowed != i {
            from = allowed;
            continue;
        }
        from = i + 1;
        let first = set.first_check(i);
        // Health does not change within a session: an unhealthy node leaves the set on its first
        // visit.
        if first && !ssn.state.nodes[i].healthy {
            set.remove(i);
            continue;
        }
        let n = NodeId(i as u32);
        // At most: what is free plus every running task of the preemptor's queue. Checked first,
        // except on a node's first visit, where the victim test runs regardless so that a node
        // without possible victims leaves the set for every later task of this kind.
        let row = &ssn.state.node_queue_running[i * nq..(i + 1) * nq];
        let most_ok = || same_job || need.covered_by(&ssn.state.future_idle[i], row, &[pqueue.idx()]);
        let first = memo.shrinks && first;
        if !first && !most_ok() {
            // Within a queue's turn only that queue's tasks are evicted (their requests move from
            // the row to future-idle) and pipelining lowers future-idle: a node that falls short
            // of this request stays short until the statement is undone (see `Proofs`).
            set.remove(i);
            continue;
        }
        candidates.clear();
        candidates.extend(ssn.state.node_tasks[i].iter().copied().filter(|v| eligible(ssn, *v)));
        if candidates.is_empty() || !ssn.may_have_victims(Hook::Preemptable, task, &candidates) {
            // Evictions and pipelines add no candidate and, when the plugins' answers only
            // shrink, no possible victim: the node stays without one until a statement is undone.
            if memo.shrinks {
                set.remove(i);
            }
            continue;
        }
        if first && !most_ok() {
            set.remove(i);
            continue;
        }
        if !could_fit(ssn, task, n, &candidates) || ssn.predicate(task, n).is_err() {
            continue;
        }
        nodes.push((ssn.node_score(task, n), n));
    }
    memo.sets.insert(set_key, set);
    nodes.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(Ordering::Equal).then(a.1.cmp(&b.1)));
    for (_, n) in nodes {
        // The node's candidates again: evictions on the nodes tried before leave them unchanged.
        let candidates = ssn.state.node_tasks[n.idx()].iter().copied().filter(|v| eligible(ssn, *v)).collect();
        let candidates = in_victim_order(ssn, task, candidates);
        let victims = ssn.preemptable(task, &candidates);
        if victims.is_empty() {
            continue;
        }
        if evict_and_pipeline(ssn, stmt, task, n, victims, true) {
            return true;
        }
    }
    false
}
