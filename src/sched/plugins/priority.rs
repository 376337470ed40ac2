//! `priority` (`plugins/priority/priority.go`): higher job priority first, higher task priority
//! first; a job is starving while any of its tasks is unplaced.

use crate::model::{ClusterState, Job, Task, TaskId};
use crate::sched::conf::Hook;
use crate::sched::plugin::Plugin;
use std::cmp::Ordering;

/// The priority plugin. Tasks inherit their job's priority in tephra's traces, so task order is
/// decided by the fallbacks (pod index).
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
    fn task_order(&self, st: &ClusterState, a: &Task, b: &Task) -> Ordering {
        let pa = st.jobs[a.job.idx()].priority;
        let pb = st.jobs[b.job.idx()].priority;
        pb.cmp(&pa)
    }
    fn preemptable(&self, st: &ClusterState, preemptor: &Task, candidates: &[TaskId]) -> Option<Vec<TaskId>> {
        // Across jobs the victim's job priority must be strictly lower; within a job the task
        // priority (tephra's tasks carry their job's) must be, so no task of the same job qualifies.
        let mine = st.jobs[preemptor.job.idx()].priority;
        Some(
            candidates
                .iter()
                .copied()
                .filter(|c| {
                    let victim = &st.tasks[c.idx()];
                    victim.job != preemptor.job && st.jobs[victim.job.idx()].priority < mine
                })
                .collect(),
        )
    }
    fn may_be_victim_shrinks(&self) -> bool {
        true // job priorities never change
    }
    fn may_be_victim(&self, st: &ClusterState, preemptor: &Task, c: TaskId, _h: Hook) -> bool {
        // Weaker than the answer (which also excludes the preemptor's own job) so that it depends on
        // the preemptor only through its priority.
        st.jobs[st.tasks[c.idx()].job.idx()].priority < st.jobs[preemptor.job.idx()].priority
    }
    fn evictor_key(&self, st: &ClusterState, preemptor: &Task) -> Vec<i64> {
        vec![st.jobs[preemptor.job.idx()].priority as i64]
    }
    fn job_starving(&self, _st: &ClusterState, job: &Job) -> bool {
        job.ready_tasks() + job.waiting_tasks() < job.task_count
    }
}
