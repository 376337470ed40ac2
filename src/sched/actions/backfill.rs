//! `backfill` (`actions/backfill/backfill.go`): places best-effort tasks (no resource request) of
//! admitted jobs, outside any statement; a job whose tasks are then ready is bound at once.

use super::placement::{Placement, place};
use crate::model::{JobId, PodGroupPhase, TaskId, TaskStatus};
use crate::sched::session::Session;

/// Runs the action.
pub fn execute(ssn: &mut Session) {
    let mut jobs: Vec<JobId> = ssn
        .state
        .with_pending_pods
        .iter()
        .copied()
        .filter(|j| {
            let job = &ssn.state.jobs[j.idx()];
            job.pods_created
                && job.phase != PodGroupPhase::Pending
                && job.count(TaskStatus::Pending) > 0
                && job.roles.iter().any(|r| r.request.is_empty())
        })
        .collect();
    if jobs.is_empty() {
        return;
    }
    jobs.retain(|j| ssn.job_valid(*j).is_ok());
    jobs.sort_by(|a, b| {
        let (qa, qb) = (ssn.state.jobs[a.idx()].queue, ssn.state.jobs[b.idx()].queue);
        ssn.queue_order(qa, qb).then_with(|| ssn.job_order(*a, *b))
    });
    for j in jobs {
        let mut tasks: Vec<TaskId> = ssn.state.jobs[j.idx()]
            .task_ids()
            .filter(|t| {
                let task = &ssn.state.tasks[t.idx()];
                task.status == TaskStatus::Pending && task.request.is_empty()
            })
            .collect();
        tasks.sort_by(|a, b| ssn.task_order(*a, *b));
        for t in tasks {
            match place(ssn, t) {
                Ok(Placement::Allocate(n)) | Ok(Placement::Pipeline(n)) => ssn.allocate_now(t, n),
                Err(summary) => {
                    let job = &mut ssn.state.jobs[j.idx()];
                    job.reason = format!("best-effort task unschedulable: {summary}");
                }
            }
        }
    }
}
