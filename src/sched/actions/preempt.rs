//! `preempt` (`actions/preempt/preempt.go`), normal mode: a starving job takes resources from
//! other jobs of the **same queue** that the plugins allow (priority: strictly lower job priority;
//! gang: only tasks above the victim's minimum; drf: share rule), node by node in score order.
//! Phase B lets a job's pending tasks preempt lower-priority tasks of the same job. Evictions are
//! committed only if the preemptor job is then pipelined (gang), otherwise discarded.

use super::eviction::{Need, could_fit, evict_and_pipeline, in_victim_order, pending_tasks, starving_by_queue};
use crate::model::{NodeId, QueueId, Resources, TaskId, TaskStatus};
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

/// Runs the action.
pub fn execute(ssn: &mut Session) {
    let (mut per_queue, mut queues) = starving_by_queue(ssn);
    queues.sort_by(|a, b| ssn.queue_order(*a, *b));
    // Phase-A searches that found nothing, by what they depend on: the preemptor's queue, job
    // priority (priority), job allocation (drf), request and node selector; valid while nothing moved.
    let mut failed: Vec<(QueueId, i32, Resources, Resources, u64, u64)> = Vec::new();
    let mut anywhere = Anywhere::new();
    for q in queues {
        let mut starving = Vec::new();
        // Phase A: between jobs of the queue.
        while let Some(j) = per_queue[q.idx()].pop(&mut |a, b| ssn.job_order(a, b) == Ordering::Less) {
            starving.push(j);
            let mut stmt = Statement::new();
            let mut tasks = pending_tasks(ssn, j);
            while ssn.job_starving(j) {
                let Some(t) = tasks.pop(&mut |a, b| ssn.task_order(a, b) == Ordering::Less) else { break };
                let (task, job) = (&ssn.state.tasks[t.idx()], &ssn.state.jobs[j.idx()]);
                let key = (q, job.priority, job.allocated, task.request, job.role_pools[task.role as usize]);
                if failed.iter().any(|f| (f.0, f.1, f.2, f.3, f.4) == key && f.5 == ssn.mutations) {
                    break;
                }
                if !preempt_task(ssn, &mut stmt, t, Scope::OtherJobsSameQueue, &mut anywhere) {
                    failed.push((key.0, key.1, key.2, key.3, key.4, ssn.mutations));
                    break;
                }
            }
            if ssn.job_pipelined(j) {
                ssn.commit(stmt);
            } else {
                ssn.discard(stmt);
            }
        }
        // Phase B: within each starving job, task by task, committed one at a time.
        for j in starving {
            let mut tasks = pending_tasks(ssn, j);
            while let Some(t) = tasks.pop(&mut |a, b| ssn.task_order(a, b) == Ordering::Less) {
                let mut stmt = Statement::new();
                if !preempt_task(ssn, &mut stmt, t, Scope::SameJob, &mut anywhere) {
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

fn preempt_task(ssn: &mut Session, stmt: &mut Statement, task: TaskId, scope: Scope, anywhere: &mut Anywhere) -> bool {
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
    };
    // If no plugin could name a victim among all eligible tasks of the cluster, no node has one.
    // Phase A's answer depends on the preemptor only through its queue, the plugins' evictor keys
    // and best-effort-ness, so it is remembered per those while the session is unchanged.
    let key = (pqueue, ssn.evictor_key(Hook::Preemptable, task), best_effort);
    let cached = match scope {
        Scope::OtherJobsSameQueue => anywhere.get(&key).filter(|(at, _)| *at == ssn.mutations).map(|(_, any)| *any),
        Scope::SameJob => None,
    };
    let any = cached.unwrap_or_else(|| {
        // `may_have_victims` can only turn true as candidates are added, so it is asked about
        // growing prefixes (64, 256, 1024, … eligible tasks) and the whole list last: the same
        // answer, usually without walking the whole cluster.
        let mut everywhere: Vec<TaskId> = Vec::new();
        let mut next_check = 64;
        for v in ssn.state.node_tasks.iter().flatten().copied().filter(|v| eligible(ssn, *v)) {
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
        anywhere.insert(key, (ssn.mutations, any));
    }
    if !any {
        return false;
    }
    // Nodes where the plugin predicates pass and evicting every eligible task would be enough,
    // visited by descending score (node id breaks ties).
    let mut nodes: Vec<(f64, NodeId, Vec<TaskId>)> = Vec::new();
    let (req, nq) = (ssn.state.tasks[task.idx()].request, ssn.state.queues.len());
    let need = Need::new(&req);
    let mut candidates: Vec<TaskId> = Vec::new();
    for (i, nd) in ssn.state.nodes.iter().enumerate() {
        if !nd.healthy {
            continue;
        }
        let n = NodeId(i as u32);
        if let Scope::OtherJobsSameQueue = scope {
            // At most: what is free plus every running task of the preemptor's queue.
            let row = &ssn.state.node_queue_running[i * nq..(i + 1) * nq];
            if !need.covered_by(&ssn.state.future_idle[i], row, &[pqueue.idx()]) {
                continue;
            }
        }
        candidates.clear();
        candidates.extend(ssn.state.node_tasks[i].iter().copied().filter(|v| eligible(ssn, *v)));
        if candidates.is_empty()
            || !could_fit(ssn, task, n, &candidates)
            || !ssn.may_have_victims(Hook::Preemptable, task, &candidates)
            || ssn.predicate(task, n).is_err()
        {
            continue;
        }
        nodes.push((ssn.node_score(task, n), n, candidates.clone()));
    }
    nodes.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(Ordering::Equal).then(a.1.cmp(&b.1)));
    for (_, n, candidates) in nodes {
        let candidates = in_victim_order(ssn, candidates);
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
