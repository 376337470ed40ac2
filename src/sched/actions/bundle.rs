//! Victim bundles of the gang-aware evictions (`actions/gangevict/bundle.go`; design
//! `gang-aware-eviction-design.md`). A victim job's candidate pods are split in two: the **safe**
//! bundle — pods it can lose and stay gang-ready (above minAvailable and every role minimum) — and
//! the **whole** bundle — the rest, whose eviction breaks the gang and so costs the job all of
//! its pods. Bundles are ranked safe first, then by victim job or queue, then by return on
//! investment: how much of the evictor's need they free per unit of the victim's total footprint.

use crate::model::resources::ALL_DIMS;
use crate::model::{ClusterState, JobId, Resources, TaskId, TaskStatus};
use std::cmp::Ordering;

/// Safe or whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BundleKind {
    /// Evicting these pods leaves the victim gang-ready.
    Safe,
    /// Evicting these pods breaks the victim's gang.
    Whole,
}

/// Candidate pods of one victim job, of one kind.
#[derive(Clone, Debug, PartialEq)]
pub struct Bundle {
    /// Safe or whole.
    pub kind: BundleKind,
    /// Victim job.
    pub job: JobId,
    /// Pods, lowest task priority first, then task id.
    pub tasks: Vec<TaskId>,
    /// What evicting these pods frees.
    pub local: Resources,
    /// What the victim loses in total: every pod's request for a whole bundle, nothing for a safe one.
    pub global: Resources,
}

fn sum(st: &ClusterState, tasks: &[TaskId]) -> Resources {
    tasks.iter().fold(Resources::ZERO, |acc, t| acc + st.tasks[t.idx()].request)
}

/// `CreateJobBundles`: splits one victim job's candidates (`tasks`, on the eviction domain).
pub fn job_bundles(st: &ClusterState, job: JobId, mut tasks: Vec<TaskId>) -> Vec<Bundle> {
    if tasks.is_empty() {
        return Vec::new();
    }
    // Pods of one job share its priority in tephra, so the task id decides.
    tasks.sort();
    let j = &st.jobs[job.idx()];
    let mut job_surplus = j.ready_tasks() as i64 - j.min_available as i64;
    if job_surplus < 0 {
        // Already not gang-ready: evicting more cannot break it further.
        let local = sum(st, &tasks);
        return vec![Bundle { kind: BundleKind::Safe, job, tasks, local, global: Resources::ZERO }];
    }
    // Per-role surplus, enforced only when minAvailable covers the roles' minima (CheckTaskReady).
    let role_min_total: u32 = j.roles.iter().map(|r| r.min_available).sum();
    let enforce_roles = j.min_available >= role_min_total;
    let mut role_surplus: Vec<i64> = j.roles.iter().map(|r| -(r.min_available as i64)).collect();
    if enforce_roles {
        for t in j.task_ids() {
            let task = &st.tasks[t.idx()];
            let counts = task.status.is_allocated()
                || task.status == TaskStatus::Succeeded
                || (task.status == TaskStatus::Pending && task.request.is_empty());
            if counts {
                role_surplus[task.role as usize] += 1;
            }
        }
    }
    let (mut safe, mut whole) = (Vec::new(), Vec::new());
    for t in tasks {
        let role = st.tasks[t.idx()].role as usize;
        let has_role_min = enforce_roles && j.roles[role].min_available > 0;
        let role_safe = !has_role_min || role_surplus[role] > 0;
        if job_surplus > 0 && role_safe {
            safe.push(t);
            job_surplus -= 1;
            if has_role_min {
                role_surplus[role] -= 1;
            }
        } else {
            whole.push(t);
        }
    }
    let mut out = Vec::new();
    if !safe.is_empty() {
        let local = sum(st, &safe);
        out.push(Bundle { kind: BundleKind::Safe, job, tasks: safe, local, global: Resources::ZERO });
    }
    if !whole.is_empty() {
        let local = sum(st, &whole);
        let all: Vec<TaskId> = j.task_ids().collect();
        out.push(Bundle { kind: BundleKind::Whole, job, tasks: whole, local, global: sum(st, &all) });
    }
    out
}

/// Σ over the dimensions the evictor needs of `res / need` (capped at the need when `cap`).
fn score(res: &Resources, need: &Resources, cap: bool) -> f64 {
    ALL_DIMS
        .iter()
        .filter(|d| need.get(**d) > 0)
        .map(|d| {
            let (n, v) = (need.get(*d) as f64, res.get(*d) as f64);
            (if cap { v.min(n) } else { v }) / n
        })
        .sum()
}

/// `bundleROI`: useful freed resources over the victim's global cost (infinite for safe bundles).
pub fn roi(b: &Bundle, need: &Resources) -> f64 {
    let global = score(&b.global, need, false);
    if global == 0.0 { f64::INFINITY } else { score(&b.local, need, true) / global }
}

/// Sorts bundles: safe first, then `victim_first` between different jobs, then higher ROI, then
/// job id, first task id and size (`SortBundlesForPreempt` / `SortBundlesForReclaim`).
pub fn sort(bundles: &mut [Bundle], need: &Resources, victim_first: impl Fn(JobId, JobId) -> Ordering) {
    bundles.sort_by(|a, b| {
        a.kind
            .cmp(&b.kind)
            .then_with(|| if a.job != b.job { victim_first(a.job, b.job) } else { Ordering::Equal })
            .then_with(|| roi(b, need).partial_cmp(&roi(a, need)).unwrap_or(Ordering::Equal))
            .then_with(|| a.job.cmp(&b.job))
            .then_with(|| a.tasks.first().cmp(&b.tasks.first()))
            .then_with(|| a.tasks.len().cmp(&b.tasks.len()))
    });
}

/// `ApplyAllowedTasks`: a whole bundle survives only if every pod is allowed; a safe bundle
/// keeps its allowed pods.
pub fn keep_allowed(st: &ClusterState, bundles: Vec<Bundle>, allowed: &[TaskId]) -> Vec<Bundle> {
    let mut allowed = allowed.to_vec();
    allowed.sort();
    let ok = |t: &TaskId| allowed.binary_search(t).is_ok();
    bundles
        .into_iter()
        .filter_map(|mut b| match b.kind {
            BundleKind::Whole => b.tasks.iter().all(ok).then_some(b),
            BundleKind::Safe => {
                b.tasks.retain(ok);
                b.local = sum(st, &b.tasks);
                (!b.tasks.is_empty()).then_some(b)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::resources::GPU;

    fn gpus(n: i64) -> Resources {
        Resources::ZERO.with_scalar(GPU, n * 1000)
    }

    fn b(kind: BundleKind, job: u32, local: i64, global: i64) -> Bundle {
        Bundle { kind, job: JobId(job), tasks: vec![TaskId(job)], local: gpus(local), global: gpus(global) }
    }

    /// ROI = Σ min(freed, need)/need ÷ Σ victim total/need: a whole bundle freeing 4 of a job
    /// that holds 8 GPUs for a need of 4 scores 1/2; one freeing 4 of a 16-GPU job scores 1/4.
    #[test]
    fn roi_prefers_cheap_victims_and_safe_bundles_come_first() {
        let need = gpus(4);
        assert_eq!(roi(&b(BundleKind::Whole, 1, 4, 8), &need), 0.5);
        assert_eq!(roi(&b(BundleKind::Whole, 2, 8, 16), &need), 0.25);
        assert!(roi(&b(BundleKind::Safe, 3, 1, 0), &need).is_infinite());
        let mut v = vec![b(BundleKind::Whole, 2, 8, 16), b(BundleKind::Whole, 1, 4, 8), b(BundleKind::Safe, 3, 1, 0)];
        sort(&mut v, &need, |_, _| Ordering::Equal);
        assert_eq!(v.iter().map(|x| x.job.0).collect::<Vec<_>>(), vec![3, 1, 2]);
    }
}
