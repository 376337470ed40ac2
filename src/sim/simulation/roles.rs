//! Roles that end on their own (per-role durations, [`crate::model::RoleDuration`]).
//!
//! A role's end is a point in the job's progress. When the job's progress reaches it, every pod of
//! the role succeeds at once (its resources are free from that instant) and the job controller
//! sees Volcano's `TaskCompleted` for the role (`job_controller_handler.go: updatePod` raises it
//! when the last pod of a task succeeds, `cache.TaskCompleted`: succeeded ≥ replicas). The job
//! goes on as long as its roles with an end have not all ended; succeeded pods keep counting
//! towards the gang, as Volcano's ready-task count does.
//!
//! Once every role with an end is done the job's work is done. Without roles that have no end of
//! their own the job completes (the plain model). Otherwise the job stays Running with those pods
//! holding their resources, not progressing, as Volcano does (`state/running.go` completes a job
//! only once all its pods succeeded or failed) — until a policy such as
//! `master/TaskCompleted:CompleteJob` ends it.
//!
//! Succeeded pods are never killed again: a later restart recreates only the pods that had not
//! succeeded (Volcano's RestartJob would recreate them too; tephra keeps a finished role's work).

use super::Simulation;
use crate::model::lifecycle::PolicyEvent;
use crate::model::{JobId, SimTime, TaskId, TaskStatus};

impl Simulation {
    /// The job progress (ms) at which `j` next needs attention: its work for a job whose roles
    /// end together, else the earliest end among its roles that have not ended yet (its progress
    /// when none is left: nothing more to do).
    pub(super) fn next_role_end(&self, j: JobId) -> u64 {
        let job = &self.state.jobs[j.idx()];
        if !job.has_role_ends() {
            return job.work_ms;
        }
        (0..job.roles.len())
            .filter(|r| !self.role_done(j, *r))
            .filter_map(|r| job.roles[r].end_ms(job.work_ms))
            .min()
            .unwrap_or(job.progress_ms)
    }

    /// Per role of `j`, whether it ended on its own (empty for a job whose roles end together).
    pub(super) fn roles_done(&self, j: JobId) -> Vec<bool> {
        self.roles_ended.get(&j).cloned().unwrap_or_default()
    }

    /// Whether role `r` of `j` ended on its own.
    fn role_done(&self, j: JobId, r: usize) -> bool {
        self.roles_ended.get(&j).is_some_and(|d| d[r])
    }

    fn role_tasks(&self, j: JobId, r: usize) -> impl Iterator<Item = TaskId> + use<'_> {
        self.state.jobs[j.idx()].task_ids().filter(move |t| self.state.tasks[t.idx()].role as usize == r)
    }

    /// The job's progress reached the end of one or more of its roles: their pods succeed, the
    /// job completes if nothing is left, else goes on to its next role end (or, work done, waits
    /// with its endless roles); the controller then sees `TaskCompleted` for each ended role.
    pub(super) fn role_end(&mut self, j: JobId, now: SimTime) {
        self.state.stop_progress(j, now);
        let job = &self.state.jobs[j.idx()];
        let (p, work) = (job.progress_ms, job.work_ms);
        let endless = job.roles.iter().any(|r| r.end_ms(work).is_none());
        if p >= work && !endless {
            self.finish(j, now);
            return;
        }
        let ended: Vec<usize> = (0..job.roles.len())
            .filter(|r| job.roles[*r].end_ms(work).is_some_and(|e| e <= p))
            .filter(|r| !self.role_done(j, *r))
            .collect();
        let mut first_pods = Vec::new();
        let roles = self.state.jobs[j.idx()].roles.len();
        for &r in &ended {
            self.roles_ended.entry(j).or_insert_with(|| vec![false; roles])[r] = true;
            let tasks: Vec<TaskId> = self.role_tasks(j, r).collect();
            first_pods.push(tasks[0]);
            for t in tasks {
                let s = self.state.tasks[t.idx()].status;
                if s != TaskStatus::Succeeded && s != TaskStatus::Failed {
                    self.state.transition(t, TaskStatus::Succeeded, None);
                }
            }
        }
        self.state.jobs[j.idx()].generation += 1;
        if p < work {
            self.start_running(j, now);
        } else {
            self.state.jobs[j.idx()].reason = "work done; roles without an end of their own still run".into();
        }
        for t in first_pods {
            if self.state.jobs[j.idx()].state != crate::model::JobState::Active {
                break;
            }
            self.raise(j, PolicyEvent::TaskCompleted, t, now);
        }
    }

    /// Checks the roles that ended on their own: every pod of such a role succeeded, and only
    /// jobs with per-role durations have any.
    pub(super) fn roles_check(&self) -> Result<(), String> {
        for (j, ended) in &self.roles_ended {
            let job = &self.state.jobs[j.idx()];
            if !job.has_role_ends() || ended.len() != job.roles.len() {
                return Err(format!("job {}: roles ended without per-role durations", job.name));
            }
            for (r, _) in ended.iter().enumerate().filter(|(_, e)| **e) {
                if let Some(t) =
                    self.role_tasks(*j, r).find(|t| self.state.tasks[t.idx()].status != TaskStatus::Succeeded)
                {
                    return Err(format!(
                        "job {}: role {} ended but pod {} is {}",
                        job.name,
                        job.roles[r].name,
                        t.0,
                        self.state.tasks[t.idx()].status.name()
                    ));
                }
            }
        }
        Ok(())
    }
}
