//! `enqueue` (`actions/enqueue/enqueue.go`): admits Pending PodGroups, queue by queue, best job
//! first, while the plugins' JobEnqueueable votes allow. A rejected job is skipped, not a barrier:
//! a smaller job behind it in the same queue can still enter.

use crate::model::{JobId, PodGroupPhase, QueueId};
use crate::sched::pq::PriorityQueue;
use crate::sched::session::Session;
use std::cmp::Ordering;

/// Runs the action.
pub fn execute(ssn: &mut Session) {
    let nq = ssn.state.queues.len();
    let mut jobs: Vec<PriorityQueue<JobId>> = vec![PriorityQueue::new(); nq];
    let pending: Vec<JobId> = ssn.state.pending_phase.iter().copied().collect();
    for j in pending {
        let q = ssn.state.jobs[j.idx()].queue.idx();
        jobs[q].push(j, &mut |a, b| ssn.job_order(a, b) == Ordering::Less);
    }
    let mut queues: Vec<QueueId> = (0..nq).filter(|q| !jobs[*q].is_empty()).map(|q| QueueId(q as u32)).collect();
    while !queues.is_empty() {
        let q = ssn.pop_best_queue(&mut queues);
        let Some(j) = jobs[q.idx()].pop(&mut |a, b| ssn.job_order(a, b) == Ordering::Less) else { continue };
        let job = &ssn.state.jobs[j.idx()];
        let verdict = if job.min_resources.is_empty() { Ok(()) } else { ssn.job_enqueueable(j) };
        match verdict {
            Ok(()) => {
                ssn.job_enqueued(j);
                ssn.state.set_phase(j, PodGroupPhase::Inqueue);
                ssn.state.jobs[j.idx()].reason.clear();
                ssn.decisions.enqueued.push(j);
            }
            Err(plugin) => {
                let qname = &ssn.state.queues[q.idx()].name;
                let reason =
                    format!("queue `{qname}`: not enqueueable yet (rejected by {plugin}: minResources do not fit)");
                ssn.state.jobs[j.idx()].reason = reason;
            }
        }
        if !jobs[q.idx()].is_empty() {
            queues.push(q);
        }
    }
}
