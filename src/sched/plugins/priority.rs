//! `priority` (`plugins/priority/priority.go`): higher job priority first, higher task priority
//! first; a job is starving while any of its tasks is unplaced.

use crate::model::{ClusterState, Job, Task, TaskId};
use crate::sched::conf::Hook;
use crate::sched::plugin::Plugin;
use std::cmp::Ordering;

/// The priority plugin. A task's priority is its role's (the trace row's PriorityClass value); the
/// job's is the highest of its roles'.
#[derive(Debug, Default)]
pub struct Priority;

impl Plugin for Priority {
    fn name(&self) -> &'static str {
        "priority"
    }
    fn hooks(&self) -> &'static [Hook] {
        &[Hook::JobOrder, Hook::TaskOrder, Hook::JobStarving, Hook::Preemptable]
    }
    fn job_order(&self, _st: &ClusterState, a: &Job, b: &Job) -> Ordering {
        b.priority.cmp(&a.priority)
    }
    fn task_order(&self, _st: &ClusterState, a: &Task, b: &Task) -> Ordering {
        b.priority.cmp(&a.priority)
    }
    fn preemptable(&self, st: &ClusterState, preemptor: &Task, candidates: &[TaskId]) -> Option<Vec<TaskId>> {
        // Across jobs the victim's job priority must be strictly lower; within a job the victim
        // task's priority must be.
        Some(candidates.iter().copied().filter(|c| self.may_be_victim(st, preemptor, *c, Hook::Preemptable)).collect())
    }
    fn may_be_victim_shrinks(&self) -> bool {
        true // job priorities never change
    }
    fn may_be_victim(&self, st: &ClusterState, preemptor: &Task, c: TaskId, _h: Hook) -> bool {
        let victim = &st.tasks[c.idx()];
        if victim.job == preemptor.job {
            victim.priority < preemptor.priority
        } else {
            st.jobs[victim.job.idx()].priority < st.jobs[preemptor.job.idx()].priority
        }
    }
    fn evictor_key(&self, st: &ClusterState, preemptor: &Task) -> Vec<i64> {
        // For candidates of other jobs (the only ones preempt's cached phase-A answers cover) the
        // answer depends on the job priority alone; the task priority covers the same-job rule.
        vec![st.jobs[preemptor.job.idx()].priority as i64, preemptor.priority as i64]
    }
    fn job_starving(&self, _st: &ClusterState, job: &Job) -> bool {
        job.ready_tasks() + job.waiting_tasks() < job.task_count
    }
}
