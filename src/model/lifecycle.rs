//! Volcano's job controller as data: lifecycle policies (`spec.policies`, `spec.tasks[].policies`),
//! `maxRetry`, the vcjob phase machine of `pkg/controllers/job/state/*.go`, and the per-job recovery
//! knobs tephra adds (checkpointing, restart overhead, elastic scaling).
//!
//! A trace row carries them as annotations with a compact encoding (the annotation column is
//! `k=v;k=v`, so values avoid `;`):
//! - `tephra.io/policies`: comma-separated rules `[task/]Event:Action[@timeout]`, e.g.
//!   `PodEvicted:RestartJob,PodFailed:RestartJob,master/TaskCompleted:CompleteJob@5m`;
//! - `tephra.io/max-retry`: an integer (Volcano's default 3);
//! - `tephra.io/task-max-retry`: per task (role) `maxRetry`, comma-separated `role:N` (N ≥ 1, or
//!   -1: no limit; default 3), e.g. `worker:5,ps:-1` — the TaskFailed threshold;
//! - `tephra.io/checkpoint-interval`, `tephra.io/checkpoint-cost`, `tephra.io/restart-overhead`:
//!   durations;
//! - `tephra.io/scaling`: `linear` or `sublinear:<exponent in (0,1]>` (elastic jobs).

use super::time::{DurationMs, parse_duration};

/// Rules as a trace annotation.
pub const POLICIES: &str = "tephra.io/policies";
/// `maxRetry`.
pub const MAX_RETRY: &str = "tephra.io/max-retry";
/// Per task `maxRetry` (`spec.tasks[].maxRetry`).
pub const TASK_MAX_RETRY: &str = "tephra.io/task-max-retry";
/// Work between checkpoints.
pub const CHECKPOINT_INTERVAL: &str = "tephra.io/checkpoint-interval";
/// Time to write one checkpoint (no progress meanwhile).
pub const CHECKPOINT_COST: &str = "tephra.io/checkpoint-cost";
/// Re-initialisation (process start, data loading, checkpoint load) before progress resumes after a
/// failure.
pub const RESTART_OVERHEAD: &str = "tephra.io/restart-overhead";
/// Elastic speed curve.
pub const SCALING: &str = "tephra.io/scaling";

/// Volcano's default `maxRetry`.
pub const DEFAULT_MAX_RETRY: u32 = 3;

/// A task's `maxRetry` when unset or 0 (`cache.go: TaskFailed`, "compatible with existing job").
pub const DEFAULT_TASK_MAX_RETRY: u32 = 3;

/// The vcjob phase (`batch.volcano.sh` `JobPhase`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum JobPhase {
    /// Waiting for its gang.
    Pending,
    /// At least minAvailable pods running (or done).
    Running,
    /// Pods being killed for a restart.
    Restarting,
    /// Pods being killed after CompleteJob.
    Completing,
    /// Done (work finished, or CompleteJob).
    Completed,
    /// Pods being killed after AbortJob.
    Aborting,
    /// Aborted (tephra does not simulate ResumeJob, so this ends the job).
    Aborted,
    /// Pods being killed after TerminateJob.
    Terminating,
    /// Terminated.
    Terminated,
    /// `retryCount` reached `maxRetry`.
    Failed,
}

impl JobPhase {
    /// Every phase.
    pub const ALL: [JobPhase; 10] = [
        JobPhase::Pending,
        JobPhase::Running,
        JobPhase::Restarting,
        JobPhase::Completing,
        JobPhase::Completed,
        JobPhase::Aborting,
        JobPhase::Aborted,
        JobPhase::Terminating,
        JobPhase::Terminated,
        JobPhase::Failed,
    ];

    /// Phases after which nothing happens to the job any more.
    pub fn is_terminal(self) -> bool {
        matches!(self, JobPhase::Completed | JobPhase::Aborted | JobPhase::Terminated | JobPhase::Failed)
    }

    /// Phases in which the controller is killing pods and ignores further events.
    pub fn is_killing(self) -> bool {
        matches!(self, JobPhase::Restarting | JobPhase::Completing | JobPhase::Aborting | JobPhase::Terminating)
    }

    /// Name as Volcano spells it.
    pub fn name(self) -> &'static str {
        match self {
            JobPhase::Pending => "Pending",
            JobPhase::Running => "Running",
            JobPhase::Restarting => "Restarting",
            JobPhase::Completing => "Completing",
            JobPhase::Completed => "Completed",
            JobPhase::Aborting => "Aborting",
            JobPhase::Aborted => "Aborted",
            JobPhase::Terminating => "Terminating",
            JobPhase::Terminated => "Terminated",
            JobPhase::Failed => "Failed",
        }
    }
}

/// A controller event a policy can match (`bus/v1alpha1` `Event`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyEvent {
    /// `*`: any event.
    Any,
    /// A pod failed (its node or card died).
    #[default]
    PodFailed,
    /// A pod was evicted (preempt, reclaim, shuffle, maintenance deadline).
    PodEvicted,
    /// Every pod of a task succeeded.
    TaskCompleted,
    /// The restarts of a task's pending and running pods exceed the task's `maxRetry`
    /// (`cache.go: TaskFailed`; tephra counts pod recreations, see `simulation/recovery.rs`).
    TaskFailed,
    /// The gang fell below minAvailable while some pods still hold resources (PodGroup Unknown).
    Unknown,
}

/// What a policy does (`bus/v1alpha1` `Action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyAction {
    /// Kill every pod, end the job as Aborted.
    AbortJob,
    /// Kill every pod, `retryCount++`, recreate them.
    RestartJob,
    /// Kill the pods of the event's task, `retryCount++`, recreate them.
    RestartTask,
    /// Kill the event's pod, `retryCount++`, recreate it.
    RestartPod,
    /// Kill every pod, end the job as Terminated.
    TerminateJob,
    /// Kill every pod, end the job as Completed.
    CompleteJob,
}

impl PolicyEvent {
    /// Parses Volcano's spelling (`*` for any).
    pub fn parse(s: &str) -> Option<PolicyEvent> {
        Some(match s {
            "*" => PolicyEvent::Any,
            "PodFailed" => PolicyEvent::PodFailed,
            "PodEvicted" => PolicyEvent::PodEvicted,
            "TaskCompleted" => PolicyEvent::TaskCompleted,
            "TaskFailed" => PolicyEvent::TaskFailed,
            "Unknown" => PolicyEvent::Unknown,
            _ => return None,
        })
    }
}

impl PolicyAction {
    fn parse(s: &str) -> Option<PolicyAction> {
        Some(match s {
            "AbortJob" => PolicyAction::AbortJob,
            "RestartJob" => PolicyAction::RestartJob,
            "RestartTask" => PolicyAction::RestartTask,
            "RestartPod" => PolicyAction::RestartPod,
            "TerminateJob" => PolicyAction::TerminateJob,
            "CompleteJob" => PolicyAction::CompleteJob,
            _ => return None,
        })
    }

    /// Name as Volcano spells it.
    pub fn name(self) -> &'static str {
        match self {
            PolicyAction::AbortJob => "AbortJob",
            PolicyAction::RestartJob => "RestartJob",
            PolicyAction::RestartTask => "RestartTask",
            PolicyAction::RestartPod => "RestartPod",
            PolicyAction::TerminateJob => "TerminateJob",
            PolicyAction::CompleteJob => "CompleteJob",
        }
    }
}

/// One `{event, action, timeout}` rule, job-level or for one task (role).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Role name for a task-level rule.
    pub task: Option<String>,
    /// Event matched.
    pub event: PolicyEvent,
    /// Action taken.
    pub action: PolicyAction,
    /// Delay before the action; cancelled if the job runs again meanwhile.
    pub timeout: DurationMs,
}

/// Parses `[task/]Event:Action[@timeout]` rules separated by commas.
pub fn parse_policies(text: &str) -> Result<Vec<Policy>, String> {
    let mut out = Vec::new();
    for rule in text.split(',').map(str::trim).filter(|r| !r.is_empty()) {
        let (body, timeout) = match rule.split_once('@') {
            Some((b, t)) => (b, parse_duration(t.trim()).map_err(|e| format!("rule `{rule}`: timeout: {e}"))?),
            None => (rule, DurationMs(0)),
        };
        let (task, rest) = match body.split_once('/') {
            Some((t, r)) if !t.trim().is_empty() => (Some(t.trim().to_string()), r),
            Some(_) => return Err(format!("rule `{rule}`: empty task name before `/`")),
            None => (None, body),
        };
        let Some((ev, act)) = rest.split_once(':') else {
            return Err(format!("rule `{rule}` is not [task/]Event:Action[@timeout]"));
        };
        let event = PolicyEvent::parse(ev.trim()).ok_or_else(|| {
            format!(
                "rule `{rule}`: unknown event `{}` (PodFailed, PodEvicted, TaskCompleted, TaskFailed, Unknown, *)",
                ev.trim()
            )
        })?;
        let action = PolicyAction::parse(act.trim()).ok_or_else(|| {
            format!(
                "rule `{rule}`: unknown action `{}` (AbortJob, RestartJob, RestartTask, RestartPod, TerminateJob, CompleteJob)",
                act.trim()
            )
        })?;
        out.push(Policy { task, event, action, timeout });
    }
    Ok(out)
}

/// Volcano's lookup: task-level rules of the event's task first, then job-level; an exact event
/// match or `*`. `None` is the default `SyncJob` (a missing pod is simply recreated).
pub fn lookup<'a>(policies: &'a [Policy], event: PolicyEvent, task: Option<&str>) -> Option<&'a Policy> {
    let matches = |p: &&Policy| p.event == event || p.event == PolicyEvent::Any;
    policies
        .iter()
        .filter(|p| p.task.is_some() && p.task.as_deref() == task)
        .find(matches)
        .or_else(|| policies.iter().filter(|p| p.task.is_none()).find(matches))
}

/// How an elastic job's speed depends on its running pods.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scaling {
    /// Speed = running / replicas.
    Linear,
    /// Speed = (running / replicas)^exponent, exponent in (0, 1]: losing a pod costs less than
    /// its share (communication overhead shrinks with the ring).
    Sublinear(f64),
}

/// Per mille: full speed (the unit of [`super::job::Job::speed_milli`]).
pub const FULL_SPEED: u64 = 1000;

impl Scaling {
    /// Parses `linear` or `sublinear:<e>`.
    pub fn parse(text: &str) -> Result<Scaling, String> {
        match text.trim() {
            "linear" => Ok(Scaling::Linear),
            t => {
                let e = t
                    .strip_prefix("sublinear:")
                    .and_then(|e| e.trim().parse::<f64>().ok())
                    .ok_or_else(|| format!("`{t}` is not linear or sublinear:<exponent>"))?;
                if !(e > 0.0 && e <= 1.0) {
                    return Err(format!("`{t}`: the exponent must be in (0, 1]"));
                }
                Ok(Scaling::Sublinear(e))
            }
        }
    }

    /// Speed per mille with `running` of `replicas` pods (at least 1 when any run).
    pub fn speed_milli(self, running: u32, replicas: u32) -> u64 {
        if replicas == 0 || running >= replicas {
            return FULL_SPEED;
        }
        let f = running as f64 / replicas as f64;
        let s = match self {
            Scaling::Linear => f,
            Scaling::Sublinear(e) => f.powf(e),
        };
        ((s * FULL_SPEED as f64).round() as u64).clamp(1, FULL_SPEED)
    }
}

/// Everything the simulated controller needs to know about one job's failure handling.
#[derive(Clone, Debug, PartialEq)]
pub struct RecoverySpec {
    /// Lifecycle policies (job- and task-level).
    pub policies: Vec<Policy>,
    /// `maxRetry`.
    pub max_retry: u32,
    /// Work between checkpoints; `None`: the job never loses work (the model before faults).
    pub checkpoint_interval: Option<DurationMs>,
    /// Time to write a checkpoint.
    pub checkpoint_cost: DurationMs,
    /// Time from gang running again to progress after a failure.
    pub restart_overhead: DurationMs,
    /// Elastic speed curve; `None`: full speed whenever ≥ minAvailable run.
    pub scaling: Option<Scaling>,
    /// Per task (role) `maxRetry` as given: `-1` no limit, `0` the default.
    pub task_max_retry: Vec<(String, i32)>,
}

/// Parses `role:N` pairs separated by commas (N ≥ -1).
pub fn parse_task_max_retry(text: &str) -> Result<Vec<(String, i32)>, String> {
    let mut out: Vec<(String, i32)> = Vec::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((role, n)) = pair.split_once(':').filter(|(r, _)| !r.trim().is_empty()) else {
            return Err(format!("`{pair}` is not role:maxRetry"));
        };
        let n: i32 = n
            .trim()
            .parse()
            .ok()
            .filter(|n| *n >= -1)
            .ok_or_else(|| format!("`{pair}`: maxRetry `{}` is not an integer ≥ -1 (-1: no limit)", n.trim()))?;
        if out.iter().any(|(r, _)| r == role.trim()) {
            return Err(format!("`{pair}`: role `{}` is given twice", role.trim()));
        }
        out.push((role.trim().to_string(), n));
    }
    Ok(out)
}

impl Default for RecoverySpec {
    fn default() -> Self {
        RecoverySpec {
            policies: Vec::new(),
            max_retry: DEFAULT_MAX_RETRY,
            checkpoint_interval: None,
            checkpoint_cost: DurationMs(0),
            restart_overhead: DurationMs(0),
            scaling: None,
            task_max_retry: Vec::new(),
        }
    }
}

impl RecoverySpec {
    /// Whether this spec changes anything compared with the plain model.
    pub fn is_plain(&self) -> bool {
        *self == RecoverySpec::default()
    }

    /// Applies one `tephra.io/*` recovery key; `Ok(false)` when the key is not one of them.
    pub fn set(&mut self, key: &str, value: &str) -> Result<bool, String> {
        let dur = |v: &str| parse_duration(v.trim()).map_err(|e| format!("`{key}`: {e}"));
        match key {
            POLICIES => self.policies = parse_policies(value).map_err(|e| format!("`{key}`: {e}"))?,
            MAX_RETRY => {
                self.max_retry =
                    value.trim().parse().map_err(|_| format!("`{key}`: `{value}` is not a non-negative integer"))?
            }
            CHECKPOINT_INTERVAL => {
                let d = dur(value)?;
                if d.0 == 0 {
                    return Err(format!("`{key}`: must be positive"));
                }
                self.checkpoint_interval = Some(d);
            }
            CHECKPOINT_COST => self.checkpoint_cost = dur(value)?,
            RESTART_OVERHEAD => self.restart_overhead = dur(value)?,
            SCALING => self.scaling = Some(Scaling::parse(value).map_err(|e| format!("`{key}`: {e}"))?),
            TASK_MAX_RETRY => self.task_max_retry = parse_task_max_retry(value).map_err(|e| format!("`{key}`: {e}"))?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The TaskFailed threshold of `role`: restarts beyond it raise TaskFailed; `None`: no limit.
    pub fn task_limit(&self, role: &str) -> Option<u32> {
        match self.task_max_retry.iter().find(|(r, _)| r == role).map_or(0, |(_, n)| *n) {
            -1 => None,
            0 => Some(DEFAULT_TASK_MAX_RETRY),
            n => Some(n as u32),
        }
    }

    /// Wall-clock progress needed for `work_ms` of useful work: every full interval but the last
    /// is followed by a checkpoint write.
    pub fn wall_work(&self, work_ms: u64) -> u64 {
        match self.checkpoint_interval {
            Some(i) if work_ms > 0 => work_ms + (work_ms.div_ceil(i.0) - 1) * self.checkpoint_cost.0,
            _ => work_ms,
        }
    }

    /// The progress kept on a failure at wall progress `p`: the end of the last completed
    /// checkpoint write (everything without checkpointing).
    pub fn kept_progress(&self, p: u64) -> u64 {
        match self.checkpoint_interval {
            Some(i) => {
                let seg = i.0 + self.checkpoint_cost.0;
                p / seg * seg
            }
            None => p,
        }
    }

    /// Checkpoint-writing time contained in wall progress `p` (completed or in progress).
    pub fn checkpoint_time_in(&self, p: u64) -> u64 {
        match self.checkpoint_interval {
            Some(i) => {
                let seg = i.0 + self.checkpoint_cost.0;
                p / seg * self.checkpoint_cost.0 + (p % seg).saturating_sub(i.0)
            }
            None => 0,
        }
    }
}

/// Keys this module owns, for annotation validation.
pub const KEYS: [&str; 7] =
    [POLICIES, MAX_RETRY, TASK_MAX_RETRY, CHECKPOINT_INTERVAL, CHECKPOINT_COST, RESTART_OVERHEAD, SCALING];

/// The controller's state of one job: phase and retries (`status.state.phase`, `retryCount`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lifecycle {
    /// Phase.
    pub phase: JobPhase,
    /// Restarts so far.
    pub retry_count: u32,
    /// `maxRetry`.
    pub max_retry: u32,
}

/// What the controller must do after a transition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Nothing.
    None,
    /// Kill the action's target pods (all, the task's or the pod) and recreate them.
    KillAndRecreate,
    /// Kill every pod and recreate none: the job is Aborting, Terminating or Completing (it
    /// settles to Aborted, Terminated or Completed once no pod is left, see [`Lifecycle::sync`])
    /// or Failed (terminal at once; it leaves the cluster once its pods are gone).
    KillAndEnd,
}

/// What the controller sees on a sync: pods not terminating, running (or succeeded) pods,
/// terminating pods and the gang minimum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncView {
    /// Pods that are not terminating (pending, placed, running, done).
    pub live: u32,
    /// Running pods (plus succeeded ones).
    pub running: u32,
    /// Pods terminating (killed, within their grace period).
    pub terminating: u32,
    /// Pending, placed or running pods (not terminating, not done).
    pub alive: u32,
    /// minAvailable.
    pub min_available: u32,
    /// Whether all work is done.
    pub work_done: bool,
}

impl Lifecycle {
    /// A new job: Pending, no retries.
    pub fn new(max_retry: u32) -> Lifecycle {
        Lifecycle { phase: JobPhase::Pending, retry_count: 0, max_retry }
    }

    /// Executes a policy action in the current phase (`state/*.go: Execute`). Killing and terminal
    /// phases ignore actions.
    pub fn act(&mut self, action: PolicyAction) -> Effect {
        if self.phase.is_terminal() || self.phase.is_killing() {
            return Effect::None;
        }
        match action {
            PolicyAction::RestartJob | PolicyAction::RestartTask | PolicyAction::RestartPod => {
                self.retry_count += 1;
                self.phase = JobPhase::Restarting;
                if self.retry_count >= self.max_retry {
                    self.phase = JobPhase::Failed;
                    return Effect::KillAndEnd;
                }
                Effect::KillAndRecreate
            }
            PolicyAction::AbortJob => self.end(JobPhase::Aborting),
            PolicyAction::TerminateJob => self.end(JobPhase::Terminating),
            PolicyAction::CompleteJob => self.end(JobPhase::Completing),
        }
    }

    /// AbortJob, TerminateJob, CompleteJob: `KillJob` (soft: done pods stay) into the killing
    /// phase `via`; [`Lifecycle::sync`] settles it once no pod is left.
    fn end(&mut self, via: JobPhase) -> Effect {
        self.phase = via;
        Effect::KillAndEnd
    }

    /// Re-evaluates the phase from the pods (`SyncJob`, `state/*.go`):
    /// - Restarting → Pending once `total − terminating ≥ minAvailable` (then on to Running);
    /// - Pending → Running once `running + succeeded ≥ minAvailable`;
    /// - Aborting → Aborted, Terminating → Terminated, Completing → Completed once no pod is
    ///   pending, running or terminating.
    ///
    /// Running stays Running when the gang breaks without a policy: Volcano's `running.go` leaves
    /// the phase alone until every pod is done (only `initJobStatus` ever sets Pending).
    pub fn sync(&mut self, v: SyncView) {
        let gone = v.terminating == 0 && v.alive == 0;
        match self.phase {
            JobPhase::Restarting if v.live >= v.min_available => {
                self.phase = JobPhase::Pending;
                self.sync(v);
            }
            JobPhase::Pending if v.running >= v.min_available && v.min_available > 0 => self.phase = JobPhase::Running,
            JobPhase::Running | JobPhase::Pending if v.work_done => self.phase = JobPhase::Completed,
            JobPhase::Aborting if gone => self.phase = JobPhase::Aborted,
            JobPhase::Terminating if gone => self.phase = JobPhase::Terminated,
            JobPhase::Completing if gone => self.phase = JobPhase::Completed,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_with_tasks_and_timeouts() {
        let p = parse_policies("PodEvicted:RestartJob, master/TaskCompleted:CompleteJob@5m,*:AbortJob").unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(p[1].task.as_deref(), Some("master"));
        assert_eq!(p[1].timeout, DurationMs(300_000));
        assert_eq!(p[2].event, PolicyEvent::Any);
        assert!(parse_policies("PodEvicted=RestartJob").unwrap_err().contains("Event:Action"));
        assert!(parse_policies("PodGone:RestartJob").unwrap_err().contains("unknown event"));
        assert!(parse_policies("PodFailed:Reboot").unwrap_err().contains("unknown action"));
    }

    #[test]
    fn task_rules_come_before_job_rules() {
        let p = parse_policies("PodFailed:RestartJob,worker/PodFailed:RestartPod,ps/*:AbortJob").unwrap();
        assert_eq!(lookup(&p, PolicyEvent::PodFailed, Some("worker")).unwrap().action, PolicyAction::RestartPod);
        assert_eq!(lookup(&p, PolicyEvent::PodFailed, Some("ps")).unwrap().action, PolicyAction::AbortJob);
        assert_eq!(lookup(&p, PolicyEvent::PodFailed, Some("chief")).unwrap().action, PolicyAction::RestartJob);
        assert!(lookup(&p, PolicyEvent::PodEvicted, Some("chief")).is_none());
    }

    #[test]
    fn checkpoint_arithmetic() {
        // 100 min of work, checkpoint every 30 min taking 2 min: 3 checkpoints, 106 min of wall.
        let mut r = RecoverySpec::default();
        r.set(CHECKPOINT_INTERVAL, "30m").unwrap();
        r.set(CHECKPOINT_COST, "2m").unwrap();
        let m = 60_000;
        assert_eq!(r.wall_work(100 * m), 106 * m);
        // At 70 min of wall: 2 segments of 32 min kept (64), 6 min rolled back.
        assert_eq!(r.kept_progress(70 * m), 64 * m);
        // During the second checkpoint write (31 min): the first segment is not yet saved.
        assert_eq!(r.kept_progress(31 * m), 0);
        assert_eq!(r.checkpoint_time_in(31 * m), m);
        assert_eq!(r.checkpoint_time_in(70 * m), 4 * m);
        // Exactly divisible work: no checkpoint after the last interval.
        assert_eq!(r.wall_work(60 * m), 62 * m);
    }

    #[test]
    fn max_retry_three_fails_on_the_third_restart() {
        let mut l = Lifecycle::new(3);
        let v = SyncView { live: 4, running: 4, terminating: 0, alive: 4, min_available: 4, work_done: false };
        l.sync(v);
        assert_eq!(l.phase, JobPhase::Running);
        for expected in [1, 2] {
            assert_eq!(l.act(PolicyAction::RestartJob), Effect::KillAndRecreate);
            assert_eq!((l.phase, l.retry_count), (JobPhase::Restarting, expected));
            // While killing, further events are ignored.
            assert_eq!(l.act(PolicyAction::RestartJob), Effect::None);
            l.sync(v);
            assert_eq!(l.phase, JobPhase::Running);
        }
        assert_eq!(l.act(PolicyAction::RestartJob), Effect::KillAndEnd);
        assert_eq!((l.phase, l.retry_count), (JobPhase::Failed, 3));
    }

    #[test]
    fn task_max_retry_defaults_to_three_and_minus_one_is_unlimited() {
        let mut r = RecoverySpec::default();
        r.set(TASK_MAX_RETRY, "worker:5, ps:-1,chief:0").unwrap();
        assert_eq!(r.task_limit("worker"), Some(5));
        assert_eq!(r.task_limit("ps"), None);
        assert_eq!(r.task_limit("chief"), Some(3));
        assert_eq!(r.task_limit("other"), Some(3));
        assert!(r.set(TASK_MAX_RETRY, "worker:-2").unwrap_err().contains("integer ≥ -1"));
        assert!(r.set(TASK_MAX_RETRY, "worker").unwrap_err().contains("role:maxRetry"));
        assert!(r.set(TASK_MAX_RETRY, "a:1,a:2").unwrap_err().contains("twice"));
    }

    #[test]
    fn scaling_curves() {
        assert_eq!(Scaling::Linear.speed_milli(3, 4), 750);
        assert_eq!(Scaling::Sublinear(0.5).speed_milli(1, 4), 500);
        assert_eq!(Scaling::Linear.speed_milli(4, 4), FULL_SPEED);
        assert!(Scaling::parse("sublinear:1.5").is_err());
        assert_eq!(Scaling::parse("sublinear:0.8").unwrap(), Scaling::Sublinear(0.8));
    }
}
