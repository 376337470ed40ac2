//! Jobs, their task roles and tasks (pods), with Volcano's task statuses and PodGroup phases.

use super::ids::{JobId, QueueId, TaskId};
use super::resources::Resources;
use super::time::SimTime;
use std::collections::BTreeMap;

/// A pod's status as the scheduler sees it (`api/types.go`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TaskStatus {
    /// Created, waiting for a node.
    Pending = 0,
    /// Placed tentatively inside a session.
    Allocated,
    /// Promised resources that are still being released (in-session only).
    Pipelined,
    /// Bind requested.
    Binding,
    /// Bound to a node, container starting.
    Bound,
    /// Running.
    Running,
    /// Terminating; its resources come back after the grace period.
    Releasing,
    /// Finished successfully.
    Succeeded,
    /// Finished with an error.
    Failed,
}

/// Number of [`TaskStatus`] values.
pub const TASK_STATUSES: usize = 9;

impl TaskStatus {
    /// All statuses in declaration order.
    pub const ALL: [TaskStatus; TASK_STATUSES] = [
        TaskStatus::Pending,
        TaskStatus::Allocated,
        TaskStatus::Pipelined,
        TaskStatus::Binding,
        TaskStatus::Bound,
        TaskStatus::Running,
        TaskStatus::Releasing,
        TaskStatus::Succeeded,
        TaskStatus::Failed,
    ];

    /// Volcano's `AllocatedStatus`: the task holds node resources for its job.
    #[inline]
    pub fn is_allocated(self) -> bool {
        matches!(self, TaskStatus::Allocated | TaskStatus::Binding | TaskStatus::Bound | TaskStatus::Running)
    }

    /// Whether a task in this status occupies a node slot.
    #[inline]
    pub fn on_node(self) -> bool {
        !matches!(self, TaskStatus::Pending | TaskStatus::Succeeded | TaskStatus::Failed)
    }

    /// Lower-case name for reports.
    pub fn name(self) -> &'static str {
        match self {
            TaskStatus::Pending => "pending",
            TaskStatus::Allocated => "allocated",
            TaskStatus::Pipelined => "pipelined",
            TaskStatus::Binding => "binding",
            TaskStatus::Bound => "bound",
            TaskStatus::Running => "running",
            TaskStatus::Releasing => "releasing",
            TaskStatus::Succeeded => "succeeded",
            TaskStatus::Failed => "failed",
        }
    }
}

/// PodGroup phase (`scheduling.volcano.sh/v1beta1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodGroupPhase {
    /// Not yet admitted by `enqueue`.
    Pending,
    /// Admitted; the controller creates pods.
    Inqueue,
    /// At least minMember pods scheduled.
    Running,
    /// Running pods but the gang lost readiness this cycle.
    Unknown,
    /// All scheduled pods finished.
    Completed,
}

/// Where a job is in its life, from the simulator's point of view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobState {
    /// Submitted, not finished.
    Active,
    /// All work done.
    Completed,
    /// Rejected at admission: no node or fleet could ever run it (reason in `Job::reason`).
    Unschedulable,
    /// Ended by the job controller: `maxRetry` reached (vcjob phase Failed).
    Failed,
    /// Ended by an AbortJob policy.
    Aborted,
    /// Ended by a TerminateJob policy.
    Terminated,
}

impl JobState {
    /// Lower-case name for reports.
    pub fn name(self) -> &'static str {
        match self {
            JobState::Active => "active",
            JobState::Completed => "completed",
            JobState::Unschedulable => "unschedulable",
            JobState::Failed => "failed",
            JobState::Aborted => "aborted",
            JobState::Terminated => "terminated",
        }
    }
}

/// How long a role's pods run, in the job's work: a role ends on its own (its pods succeed and
/// release their resources, Volcano's `TaskCompleted`) once the job has made that much progress.
///
/// Volcano has no such field — a task's pods run until their containers exit — so this is how a
/// trace says when they exit. The common AI layout is a master with the job's duration and workers
/// that never exit on their own ([`RoleDuration::UntilJobEnds`]): without a
/// `master/TaskCompleted:CompleteJob` policy such a job stays Running with its workers holding
/// their GPUs, as in Volcano (`pkg/controllers/job/state/running.go` completes a job only when
/// every pod has succeeded or failed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RoleDuration {
    /// The pods run as long as the job's work (the trace row's duration): every role ends
    /// together, the model before per-role durations.
    #[default]
    Job,
    /// The pods succeed once the job has made this much progress (ms), before the job's end.
    Own(u64),
    /// The pods have no end of their own: they run until the job is ended (by a policy such as
    /// `TaskCompleted:CompleteJob`, or never).
    UntilJobEnds,
}

/// One task role of a job (`vcjob.spec.tasks[]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Role {
    /// Role name (`worker`, `ps`).
    pub name: String,
    /// Number of pods.
    pub replicas: u32,
    /// Gang minimum for this role (`minTaskMember`).
    pub min_available: u32,
    /// Per-pod request.
    pub request: Resources,
    /// Accelerator model the pods need, if any (a node selector on the model label).
    pub accelerator_model: Option<String>,
    /// The pods' priority (their PriorityClass value), which orders tasks within a job and lets a
    /// job's pods preempt its own lower-priority pods.
    pub priority: i32,
    /// What each pod asks of accelerator cards (whole cards, a share of one, vGPU slices).
    pub device: super::devices::DeviceRequest,
    /// When the role's pods end (with the job unless the trace says otherwise).
    pub duration: RoleDuration,
}

impl Role {
    /// The job progress (ms) at which the role's pods succeed, for a job of `work_ms`; `None`
    /// when they have no end of their own.
    #[inline]
    pub fn end_ms(&self, work_ms: u64) -> Option<u64> {
        match self.duration {
            RoleDuration::Job => Some(work_ms),
            RoleDuration::Own(ms) => Some(ms.min(work_ms)),
            RoleDuration::UntilJobEnds => None,
        }
    }
}

/// A job as a trace describes it, before it is part of a cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct JobSpec {
    /// Name from the trace.
    pub name: String,
    /// Submit time.
    pub submit: SimTime,
    /// Work needed while the gang runs, in milliseconds.
    pub work_ms: u64,
    /// Queue name.
    pub queue: String,
    /// Job (PodGroup) priority: the highest of its roles' priorities.
    pub priority: i32,
    /// Task roles.
    pub roles: Vec<Role>,
    /// PodGroup annotations (`volcano.sh/sla-waiting-time`, `volcano.sh/preemptable`,
    /// task-topology, cooldown …): the per-job knobs Volcano's plugins read. Sorted, so iteration
    /// order never leaks into results.
    pub annotations: BTreeMap<String, String>,
    /// Where the spec came from (`traces/x.csv:12`), for messages.
    pub origin: String,
}

impl JobSpec {
    /// A job of one role with no accelerator model, priority 0 and no annotations, submitted at 0
    /// with 1 ms of work: the usual starting point of hand-built test states.
    pub fn one_role(
        name: &str,
        queue: &str,
        role: &str,
        replicas: u32,
        min_available: u32,
        request: Resources,
    ) -> JobSpec {
        JobSpec {
            name: name.into(),
            submit: SimTime(0),
            work_ms: 1,
            queue: queue.into(),
            priority: 0,
            roles: vec![Role {
                name: role.into(),
                replicas,
                min_available,
                request,
                accelerator_model: None,
                priority: 0,
                device: super::devices::DeviceRequest::NONE,
                duration: RoleDuration::Job,
            }],
            annotations: BTreeMap::new(),
            origin: String::new(),
        }
    }

    /// Gang minimum: the sum of the roles' minima (Volcano's default job minAvailable).
    pub fn min_available(&self) -> u32 {
        self.roles.iter().map(|r| r.min_available).sum()
    }

    /// Total pods.
    pub fn replicas(&self) -> u32 {
        self.roles.iter().map(|r| r.replicas).sum()
    }

    /// Settles per-role durations: the job's work becomes the longest role end (roles of
    /// [`RoleDuration::Job`] end at `work_ms`), and an own end equal to it becomes
    /// [`RoleDuration::Job`], so a job whose roles all end together is exactly the plain model.
    /// Errors when no role has an end (the job could never do its work).
    pub fn settle_role_durations(&mut self) -> Result<(), String> {
        let job_roles = self.roles.iter().any(|r| r.duration == RoleDuration::Job);
        let own = self.roles.iter().filter_map(|r| match r.duration {
            RoleDuration::Own(ms) => Some(ms),
            _ => None,
        });
        let longest = own.chain(job_roles.then_some(self.work_ms)).max();
        let Some(work) = longest else {
            return Err(format!(
                "job `{}`: every role runs until the job ends; at least one needs a duration",
                self.name
            ));
        };
        self.work_ms = work;
        for r in &mut self.roles {
            if r.duration == RoleDuration::Own(work) {
                r.duration = RoleDuration::Job;
            }
        }
        Ok(())
    }

    /// PodGroup `minResources` (`calcPGMinResources` with equal pod priorities): the requests of
    /// each role's minimum pods.
    pub fn min_resources(&self) -> Resources {
        self.roles.iter().fold(Resources::ZERO, |acc, r| acc + r.request.times(r.min_available as i64))
    }
}

/// One pod.
#[derive(Clone, Debug)]
pub struct Task {
    /// Dense id.
    pub id: TaskId,
    /// Owning job.
    pub job: JobId,
    /// Index of the role in the job.
    pub role: u16,
    /// Replica index within the role (the `<i>` of `<job>-<role>-<i>`).
    pub index: u32,
    /// Request.
    pub request: Resources,
    /// Pod priority (its role's).
    pub priority: i32,
    /// Current status.
    pub status: TaskStatus,
    /// Node, when the status is one that occupies a node.
    pub node: Option<super::ids::NodeId>,
    /// When the pod was last bound (its `PodScheduled` condition turned true): cooldown protection
    /// counts from here.
    pub bound_at: Option<SimTime>,
    /// What the pod asks of accelerator cards.
    pub device: super::devices::DeviceRequest,
    /// The cards it holds on its node (bit `i` = card `i`), when card tracking is on; a scheduler
    /// may set it just before placing the pod to choose the cards.
    pub cards: u64,
}

/// A job and its PodGroup, with live counters kept by [`super::cluster::ClusterState`].
#[derive(Clone, Debug)]
pub struct Job {
    /// Dense id: submission order, which is also Volcano's creation-time/UID fallback order.
    pub id: JobId,
    /// Name from the trace.
    pub name: String,
    /// Queue.
    pub queue: QueueId,
    /// Job priority.
    pub priority: i32,
    /// Submit time (PodGroup creation).
    pub submit: SimTime,
    /// Work needed while the gang runs (ms).
    pub work_ms: u64,
    /// Gang minimum (`minMember`).
    pub min_available: u32,
    /// PodGroup `minResources`.
    pub min_resources: Resources,
    /// Task roles.
    pub roles: Vec<Role>,
    /// For each role, the pools whose nodes satisfy its node selector (bit i = pool i).
    pub role_pools: Vec<u64>,
    /// Ids of this job's tasks: `tasks.start .. tasks.end`, role by role.
    pub first_task: u32,
    /// Number of tasks.
    pub task_count: u32,
    /// Whether the controller has created the pods.
    pub pods_created: bool,
    /// PodGroup phase.
    pub phase: PodGroupPhase,
    /// Tasks per status.
    pub counts: [u32; super::job::TASK_STATUSES],
    /// Sum of requests of tasks in an allocated status.
    pub allocated: Resources,
    /// Simulator-level state.
    pub state: JobState,
    /// Why the job is not running (last fit error, or the admission reason).
    pub reason: String,
    /// First time any pod of the job started running.
    pub first_start: Option<SimTime>,
    /// First time the gang was running (>= minAvailable pods running).
    pub gang_ready: Option<SimTime>,
    /// Completion time.
    pub finished: Option<SimTime>,
    /// Work done so far (ms), excluding the current progressing stretch.
    pub progress_ms: u64,
    /// Start of the current progressing stretch, if the gang is running.
    pub progressing_since: Option<SimTime>,
    /// Accelerator milli-units of the job's allocated pods per pool (sorted by pool, no zero
    /// entries): what moves into or out of the pools' goodput when the job starts or stops
    /// progressing, without walking its pods.
    pub accel_by_pool: Vec<(crate::model::ids::PoolId, i64)>,
    /// Work done per unit of time in the current stretch, per mille: the relative throughput of
    /// the slowest card model its running pods use (1000 = the reference speed).
    pub speed_milli: u64,
    /// Incremented whenever a scheduled finish becomes stale.
    pub generation: u32,
    /// Whether the job is in [`super::cluster::ClusterState::changed`].
    pub changed: bool,
    /// PodGroup annotations from the spec.
    pub annotations: BTreeMap<String, String>,
    /// `volcano.sh/preemptable` as (pods, PodGroup) read it, see [`Job::pods_preemptable`].
    pub preemptable: (bool, bool),
}

impl Job {
    /// Number of tasks in `s`.
    #[inline]
    pub fn count(&self, s: TaskStatus) -> u32 {
        self.counts[s as usize]
    }

    /// Volcano's `ReadyTaskNum`: Bound, Binding, Running, Allocated, Succeeded.
    #[inline]
    pub fn ready_tasks(&self) -> u32 {
        self.count(TaskStatus::Bound)
            + self.count(TaskStatus::Binding)
            + self.count(TaskStatus::Running)
            + self.count(TaskStatus::Allocated)
            + self.count(TaskStatus::Succeeded)
    }

    /// Volcano's `WaitingTaskNum`: pipelined tasks.
    #[inline]
    pub fn waiting_tasks(&self) -> u32 {
        self.count(TaskStatus::Pipelined)
    }

    /// Volcano's `ValidTaskNum`: allocated statuses, Succeeded, Pipelined and Pending.
    #[inline]
    pub fn valid_tasks(&self) -> u32 {
        self.ready_tasks() + self.count(TaskStatus::Pipelined) + self.count(TaskStatus::Pending)
    }

    /// Task ids of the job.
    pub fn task_ids(&self) -> impl Iterator<Item = TaskId> + use<> {
        (self.first_task..self.first_task + self.task_count).map(TaskId)
    }

    /// Whether the job is making progress now.
    #[inline]
    pub fn is_progressing(&self) -> bool {
        self.progressing_since.is_some()
    }

    /// An annotation's value, if the job carries it.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.get(key).map(String::as_str)
    }

    /// Pods running or done (Volcano counts Succeeded pods towards the gang): the job's work
    /// advances while this reaches minAvailable.
    #[inline]
    pub fn running_or_done(&self) -> u32 {
        self.count(TaskStatus::Running) + self.count(TaskStatus::Succeeded)
    }

    /// Whether some role ends apart from the job (per-role durations are in use).
    #[inline]
    pub fn has_role_ends(&self) -> bool {
        self.roles.iter().any(|r| r.duration != RoleDuration::Job)
    }

    /// Accelerators of all pods (milli-units).
    pub fn accelerators(&self) -> i64 {
        self.roles.iter().map(|r| r.request.accelerators() * r.replicas as i64).sum()
    }
}
