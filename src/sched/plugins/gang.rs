//! `gang` (`plugins/gang/gang.go`): a job is valid, ready or pipelined only when at least
//! `minAvailable` of its tasks (and each role's minimum) are; not-ready jobs are served first.

use crate::model::{ClusterState, Job, JobId, JobState, Task, TaskId, TaskStatus};
use crate::sched::conf::Hook;
use crate::sched::plugin::{EvictionKind, Plugin, Vote};
use std::cmp::Ordering;

/// The gang plugin.
#[derive(Debug, Default)]
pub struct Gang;

/// Per-role counts of tasks whose status satisfies `pred`, when the job has several roles.
fn role_counts(st: &ClusterState, job: &Job, pred: impl Fn(TaskStatus) -> bool) -> Vec<u32> {
    let mut counts = vec![0u32; job.roles.len()];
    for t in job.task_ids() {
        let task = &st.tasks[t.idx()];
        if pred(task.status) {
            counts[task.role as usize] += 1;
        }
    }
    counts
}

fn is_ready_status(s: TaskStatus) -> bool {
    matches!(
        s,
        TaskStatus::Bound | TaskStatus::Binding | TaskStatus::Running | TaskStatus::Allocated | TaskStatus::Succeeded
    )
}

/// Each role has at least its minimum of tasks satisfying `pred` (`minTaskMember` checks); only
/// meaningful, and only checked, for jobs with several roles.
fn roles_meet(st: &ClusterState, job: &Job, pred: impl Fn(TaskStatus) -> bool) -> bool {
    if job.roles.len() < 2 {
        return true;
    }
    let counts = role_counts(st, job, pred);
    job.roles.iter().zip(counts).all(|(r, c)| c >= r.min_available)
}

/// `IsReady`: ready tasks plus pending best-effort tasks reach minAvailable.
pub fn job_is_ready(st: &ClusterState, job: &Job) -> bool {
    let best_effort = pending_best_effort(st, job);
    job.ready_tasks() + best_effort >= job.min_available && roles_meet(st, job, is_ready_status)
}

fn pending_best_effort(st: &ClusterState, job: &Job) -> u32 {
    if job.count(TaskStatus::Pending) == 0 || job.roles.iter().all(|r| !r.request.is_empty()) {
        return 0;
    }
    job.task_ids()
        .filter(|t| st.tasks[t.idx()].status == TaskStatus::Pending && st.tasks[t.idx()].request.is_empty())
        .count() as u32
}

/// From each victim job, only tasks above its gang minimum: taking them cannot break the gang.
fn beyond_min_available(st: &ClusterState, candidates: &[TaskId]) -> Vec<TaskId> {
    let mut occupied: std::collections::BTreeMap<JobId, u32> = Default::default();
    let mut out = Vec::new();
    for &t in candidates {
        let j = st.tasks[t.idx()].job;
        let job = &st.jobs[j.idx()];
        let occ = occupied.entry(j).or_insert_with(|| job.ready_tasks());
        if *occ > job.min_available {
            *occ -= 1;
            out.push(t);
        }
    }
    out
}

impl Plugin for Gang {
    fn name(&self) -> &'static str {
        "gang"
    }
    fn hooks(&self) -> &'static [Hook] {
        &[
            Hook::JobValid,
            Hook::JobOrder,
            Hook::JobReady,
            Hook::JobPipelined,
            Hook::JobStarving,
            Hook::Preemptable,
            Hook::Reclaimable,
            Hook::UnifiedEvictable,
        ]
    }
    fn job_valid(&self, st: &ClusterState, job: &Job) -> Result<(), String> {
        if job.valid_tasks() < job.min_available {
            return Err(format!(
                "not enough valid tasks for gang-scheduling, valid: {}, min: {}",
                job.valid_tasks(),
                job.min_available
            ));
        }
        let valid = |s: TaskStatus| is_ready_status(s) || s == TaskStatus::Pipelined || s == TaskStatus::Pending;
        if !roles_meet(st, job, valid) {
            return Err("not enough valid tasks of some role for gang-scheduling".into());
        }
        Ok(())
    }
    fn job_order(&self, st: &ClusterState, a: &Job, b: &Job) -> Ordering {
        let (ra, rb) = (job_is_ready(st, a), job_is_ready(st, b));
        ra.cmp(&rb) // not ready (false) first
    }
    fn job_ready(&self, st: &ClusterState, job: &Job) -> bool {
        job_is_ready(st, job)
    }
    fn job_pipelined(&self, st: &ClusterState, job: &Job) -> Vote {
        let occupied = job.waiting_tasks() + job.ready_tasks() + pending_best_effort(st, job);
        let roles = roles_meet(st, job, |s| is_ready_status(s) || s == TaskStatus::Pipelined);
        if occupied >= job.min_available && roles { Vote::Permit } else { Vote::Reject }
    }
    fn job_starving(&self, _st: &ClusterState, job: &Job) -> bool {
        job.waiting_tasks() + job.ready_tasks() < job.min_available
    }
    fn preemptable(&self, st: &ClusterState, _p: &Task, c: &[TaskId]) -> Option<Vec<TaskId>> {
        Some(beyond_min_available(st, c))
    }
    fn reclaimable(&self, st: &ClusterState, _p: &Task, c: &[TaskId]) -> Option<Vec<TaskId>> {
        Some(beyond_min_available(st, c))
    }
    /// Gang-aware eviction keeps minAvailable through its safe/whole bundles, so gang permits
    /// every candidate there.
    fn unified_evictable(&self, _st: &ClusterState, _k: EvictionKind, _e: &Job, c: &[TaskId]) -> Option<Vec<TaskId>> {
        Some(c.to_vec())
    }
    fn may_be_victim_shrinks(&self) -> bool {
        true // evictions lower ready counts; pipelined tasks are not ready
    }
    fn may_be_victim(&self, st: &ClusterState, _e: &Task, c: TaskId, _h: Hook) -> bool {
        let job = &st.jobs[st.tasks[c.idx()].job.idx()];
        job.ready_tasks() > job.min_available
    }
    fn on_session_close(&mut self, st: &mut ClusterState, changed: &[JobId]) {
        // Unschedulable condition: "x/y tasks in gang unschedulable". The allocate action already
        // wrote the fit errors; jobs that became ready lose their reason.
        for &j in changed {
            let job = &st.jobs[j.idx()];
            if job.state != JobState::Active || !job.pods_created {
                continue;
            }
            let ready = job_is_ready(st, job);
            let job = &mut st.jobs[j.idx()];
            if ready {
                job.reason.clear();
            } else if job.reason.is_empty() {
                let schedulable = job.ready_tasks();
                job.reason = format!(
                    "{}/{} tasks in gang unschedulable",
                    job.min_available.saturating_sub(schedulable),
                    job.task_count
                );
            }
        }
    }
}
