//! `allocate` (`actions/allocate/allocate.go`): places pending tasks of admitted jobs.
//!
//! Queues are served in QueueOrder (an overused queue drops out), jobs in JobOrder, tasks in
//! TaskOrder. A job's tasks are placed inside a statement that is committed only once the job is
//! ready (gang), so a job takes exactly enough tasks to become ready on its first turn and one more
//! task on each later turn, interleaved with other jobs by the re-sorted orders. A job that is only
//! pipelined keeps its tentative placements until the session ends; any other job is discarded.

use super::placement::{Placement, place, place_among};
use crate::model::{JobId, NodeId, PodGroupPhase, QueueId, TaskId, TaskStatus};
use crate::sched::pq::PriorityQueue;
use crate::sched::session::Session;
use crate::sched::statement::Statement;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Result of one turn of a job.
pub(super) enum Turn {
    /// The job is ready: commit.
    Ready(Statement),
    /// The job is pipelined: leave its placements in the session.
    Pipelined,
    /// Nothing usable; already discarded. `fit_only` when every failure was a node-fit failure.
    Failed { fit_only: bool },
}

/// Runs the action.
pub fn execute(ssn: &mut Session) {
    if !ssn.enqueue_configured {
        // Without the enqueue action every PodGroup counts as admitted (Volcano force-sets
        // Pending groups Inqueue here), so the controller may create its pods.
        let pending: Vec<JobId> = ssn.state.pending_phase.iter().copied().collect();
        for j in pending {
            ssn.state.set_phase(j, PodGroupPhase::Inqueue);
            ssn.decisions.enqueued.push(j);
        }
    }
    let nq = ssn.state.queues.len();
    let mut queue_jobs: Vec<PriorityQueue<JobId>> = vec![PriorityQueue::new(); nq];
    let mut sheets: BTreeMap<JobId, PriorityQueue<TaskId>> = BTreeMap::new();
    let active: Vec<JobId> = ssn.state.with_pending_pods.iter().copied().collect();
    let epoch = ssn.state.release_epoch;
    for j in active {
        let job = &ssn.state.jobs[j.idx()];
        if !job.pods_created || job.count(TaskStatus::Pending) == 0 {
            continue;
        }
        if job.phase == PodGroupPhase::Pending {
            continue;
        }
        if let Err(why) = ssn.job_valid(j) {
            ssn.state.jobs[j.idx()].reason = why;
            continue;
        }
        // Skip a job whose last attempt failed on node fit when nothing was freed since: its pods
        // are identical (one role), so how many fit only depends on free resources, which have
        // only shrunk.
        if ssn.carry.fit_failed_at[j.idx()] == Some(epoch) {
            continue;
        }
        let job = &ssn.state.jobs[j.idx()];
        let mut sheet = PriorityQueue::new();
        for t in job.task_ids() {
            let task = &ssn.state.tasks[t.idx()];
            if task.status == TaskStatus::Pending && !task.request.is_empty() {
                sheet.push(t, &mut |a, b| ssn.task_order(a, b) == Ordering::Less);
            }
        }
        if sheet.is_empty() {
            continue;
        }
        sheets.insert(j, sheet);
        let q = job.queue.idx();
        queue_jobs[q].push(j, &mut |a, b| ssn.job_order(a, b) == Ordering::Less);
    }

    let mut queues: Vec<QueueId> = (0..nq).filter(|q| !queue_jobs[*q].is_empty()).map(|q| QueueId(q as u32)).collect();
    while !queues.is_empty() {
        let q = ssn.pop_best_queue(&mut queues);
        if ssn.overused(q) {
            continue;
        }
        let Some(j) = queue_jobs[q.idx()].pop(&mut |a, b| ssn.job_order(a, b) == Ordering::Less) else { continue };
        let mut sheet = sheets.remove(&j).expect("every queued job has a worksheet");
        // One branch when no topology is declared; jobs without a constraint take the usual path.
        let turn = match ssn.state.topology.is_some().then(|| ssn.state.jobs[j.idx()].network_topology()).flatten() {
            None => allocate_job(ssn, j, &mut sheet),
            Some(_) => super::allocate_topology::allocate_job(ssn, j, &mut sheet),
        };
        match turn {
            Turn::Ready(stmt) => {
                ssn.commit(stmt);
                if !sheet.is_empty() {
                    sheets.insert(j, sheet);
                    queue_jobs[q.idx()].push(j, &mut |a, b| ssn.job_order(a, b) == Ordering::Less);
                }
            }
            Turn::Pipelined => {}
            Turn::Failed { fit_only } => {
                if fit_only && ssn.state.jobs[j.idx()].roles.len() == 1 {
                    ssn.carry.fit_failed_at[j.idx()] = Some(ssn.state.release_epoch);
                }
            }
        }
        if !queue_jobs[q.idx()].is_empty() {
            queues.push(q);
        }
    }
}

/// `allocateResourcesForTasks`: one turn of a job.
fn allocate_job(ssn: &mut Session, j: JobId, sheet: &mut PriorityQueue<TaskId>) -> Turn {
    if !ssn.job_ready(j)
        && let Some(reason) = gang_cannot_fit(ssn, j)
    {
        ssn.state.jobs[j.idx()].reason = reason;
        return Turn::Failed { fit_only: true };
    }
    let mut stmt = Statement::new();
    let fit_only = place_tasks(ssn, j, sheet, &mut stmt, None);
    if ssn.job_ready(j) {
        Turn::Ready(stmt)
    } else if !stmt.is_empty() && ssn.job_pipelined(j) {
        Turn::Pipelined
    } else {
        ssn.discard(stmt);
        Turn::Failed { fit_only }
    }
}

/// The task loop of `allocateResourcesForTasks`: places the job's pending tasks in TaskOrder into
/// `stmt` until the job is ready, on any node (`scope` `None`) or only among `scope`'s nodes (a
/// HyperNode). Returns whether every failure was a node-fit failure.
pub(super) fn place_tasks(
    ssn: &mut Session,
    j: JobId,
    sheet: &mut PriorityQueue<TaskId>,
    stmt: &mut Statement,
    scope: Option<&[NodeId]>,
) -> bool {
    let queue = ssn.state.jobs[j.idx()].queue;
    let roles = ssn.state.jobs[j.idx()].roles.len();
    let mut failed_role: Vec<Option<String>> = vec![None; roles];
    let mut fit_only = true;
    while let Some(t) = sheet.pop(&mut |a, b| ssn.task_order(a, b) == Ordering::Less) {
        if !ssn.allocatable(queue, t) {
            fit_only = false;
            continue;
        }
        let role = ssn.state.tasks[t.idx()].role as usize;
        if failed_role[role].is_some() {
            if !need_continue(ssn, j, sheet, &failed_role) {
                break;
            }
            continue;
        }
        let placed = match scope {
            None => place(ssn, t),
            Some(nodes) => place_among(ssn, t, nodes),
        };
        match placed {
            Ok(Placement::Allocate(n)) => ssn.allocate(stmt, t, n),
            Ok(Placement::Pipeline(n)) => ssn.pipeline(stmt, t, n),
            Err(summary) => {
                let job = &ssn.state.jobs[j.idx()];
                let missing = job.min_available.saturating_sub(job.ready_tasks() + job.waiting_tasks());
                let reason = format!("{missing}/{} tasks in gang unschedulable: {summary}", job.task_count);
                failed_role[role] = Some(reason.clone());
                ssn.state.jobs[j.idx()].reason = reason;
                if !need_continue(ssn, j, sheet, &failed_role) {
                    break;
                }
                continue;
            }
        }
        if ssn.job_ready(j) {
            break;
        }
    }
    fit_only
}

/// `NeedContinueAllocating`: after a task failed, can the job still reach its gang minimum with
/// the tasks of roles that have not failed?
fn need_continue(ssn: &Session, j: JobId, sheet: &PriorityQueue<TaskId>, failed_role: &[Option<String>]) -> bool {
    let job = &ssn.state.jobs[j.idx()];
    if job.min_available == job.task_count {
        return false;
    }
    let open = sheet.iter().filter(|t| failed_role[ssn.state.tasks[t.idx()].role as usize].is_none()).count() as u32;
    if job.ready_tasks() + job.waiting_tasks() + open < job.min_available {
        return false;
    }
    if job.roles.len() > 1 {
        for (r, failed) in failed_role.iter().enumerate() {
            if failed.is_none() {
                continue;
            }
            let placed = job
                .task_ids()
                .filter(|t| {
                    let task = &ssn.state.tasks[t.idx()];
                    task.role as usize == r && (task.status.is_allocated() || task.status == TaskStatus::Pipelined)
                })
                .count() as u32;
            if placed < job.roles[r].min_available {
                return false;
            }
        }
    }
    true
}

/// Rejects, without placing anything, a gang whose missing pods cannot all fit: for each role that
/// asks for whole accelerators, the free-card histogram bounds how many such pods the matching
/// pools can still take. The bound is an over-estimate (it ignores CPU, memory and pod limits), so
/// a rejection is certain; the attempt it saves would have placed some pods and discarded them.
pub(super) fn gang_cannot_fit(ssn: &Session, j: JobId) -> Option<String> {
    let st = &*ssn.state;
    let job = &st.jobs[j.idx()];
    let single = job.roles.len() == 1;
    for (r, role) in job.roles.iter().enumerate() {
        let accel = role.request.accelerators();
        if accel <= 0 || accel % 1000 != 0 {
            continue;
        }
        let cards = (accel / 1000) as usize;
        let placed = if single {
            job.ready_tasks() + job.waiting_tasks()
        } else {
            job.task_ids()
                .filter(|t| {
                    let task = &st.tasks[t.idx()];
                    task.role as usize == r
                        && (task.status.is_allocated()
                            || task.status == TaskStatus::Pipelined
                            || task.status == TaskStatus::Succeeded)
                })
                .count() as u32
        };
        let min = if single { job.min_available } else { role.min_available };
        let need = min.saturating_sub(placed) as u64;
        if need == 0 {
            continue;
        }
        let mask = job.role_pools[r];
        let mut room = 0u64;
        for (p, hist) in st.free_cards.iter().enumerate() {
            if mask & (1 << p) == 0 {
                continue;
            }
            for (k, nodes) in hist.iter().enumerate().skip(cards) {
                room += (k / cards) as u64 * *nodes as u64;
            }
        }
        if room < need {
            return Some(format!(
                "{}/{} tasks in gang unschedulable: {need} pods of role `{}` need {cards} accelerators each at once; \
                 free capacity fits at most {room}",
                job.min_available.saturating_sub(job.ready_tasks() + job.waiting_tasks()),
                job.task_count,
                role.name
            ));
        }
    }
    None
}
