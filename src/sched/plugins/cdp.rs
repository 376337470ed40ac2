//! `cdp` (`plugins/cdp/cdp.go`), cooldown protection: a pod carrying `volcano.sh/cooldown-time`
//! (a Go duration; here a PodGroup annotation, which tephra gives to every pod of the job) is not a
//! preempt or reclaim victim until that long after it was bound (its `PodScheduled` condition).
//!
//! As in Volcano, only pods whose phase is Running are protected: a pod still starting (Bound) is a
//! victim like any other, and so is one whose cooldown does not parse. The plugin answers with the
//! unprotected candidates (Permit), so a node whose candidates are all protected yields no victims
//! in its tier.
//!
//! Protection ends with time alone, so the plugin asks for a cycle when the first protection of a
//! running pod expires while some job waits for resources.

use crate::model::time::parse_duration;
use crate::model::{ClusterState, DurationMs, SimTime, Task, TaskId, TaskStatus};
use crate::sched::conf::Hook;
use crate::sched::plugin::Plugin;

/// `volcano.sh/cooldown-time`.
pub const COOLDOWN_TIME: &str = "volcano.sh/cooldown-time";

/// The cdp plugin.
#[derive(Debug, Default)]
pub struct Cdp {
    now: SimTime,
}

/// The pod's cooldown, if it has a valid one.
fn cooldown(st: &ClusterState, t: &Task) -> Option<DurationMs> {
    st.jobs[t.job.idx()].annotation(COOLDOWN_TIME).and_then(|v| parse_duration(v).ok())
}

/// When the pod's protection ends, if it is protected at all (Running, with a cooldown).
fn protected_until(st: &ClusterState, t: &Task) -> Option<SimTime> {
    if t.status != TaskStatus::Running {
        return None;
    }
    Some(t.bound_at?.plus(cooldown(st, t)?))
}

impl Cdp {
    fn filter(&self, st: &ClusterState, candidates: &[TaskId]) -> Option<Vec<TaskId>> {
        let free = |c: &TaskId| protected_until(st, &st.tasks[c.idx()]).is_none_or(|until| until <= self.now);
        Some(candidates.iter().copied().filter(free).collect())
    }
}

impl Plugin for Cdp {
    fn name(&self) -> &'static str {
        "cdp"
    }
    fn hooks(&self) -> &'static [Hook] {
        &[Hook::Preemptable, Hook::Reclaimable]
    }
    fn on_session_open(&mut self, _st: &ClusterState, now: SimTime) {
        self.now = now;
    }
    fn preemptable(&self, st: &ClusterState, _preemptor: &Task, candidates: &[TaskId]) -> Option<Vec<TaskId>> {
        self.filter(st, candidates)
    }
    fn reclaimable(&self, st: &ClusterState, _reclaimer: &Task, candidates: &[TaskId]) -> Option<Vec<TaskId>> {
        self.filter(st, candidates)
    }
    fn may_be_victim(&self, st: &ClusterState, _evictor: &Task, candidate: TaskId, _hook: Hook) -> bool {
        protected_until(st, &st.tasks[candidate.idx()]).is_none_or(|until| until <= self.now)
    }
    fn wake_up(&self, st: &ClusterState, now: SimTime) -> Option<SimTime> {
        if st.with_pending_pods.is_empty() {
            return None;
        }
        let mut next: Option<SimTime> = None;
        for j in &st.active {
            let job = &st.jobs[j.idx()];
            let Some(cd) = job.annotation(COOLDOWN_TIME).and_then(|v| parse_duration(v).ok()) else { continue };
            for t in job.task_ids().map(|t| &st.tasks[t.idx()]) {
                if let (TaskStatus::Running, Some(at)) = (t.status, t.bound_at) {
                    let until = at.plus(cd);
                    if until > now && next.is_none_or(|n| until < n) {
                        next = Some(until);
                    }
                }
            }
        }
        next
    }
}
