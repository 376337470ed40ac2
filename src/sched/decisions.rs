//! What leaves a scheduling cycle: the only effects the simulator applies.

use crate::model::{JobId, NodeId, SimTime, TaskId};

/// Which kind of action evicted a pod, for the per-queue preempt / reclaim tallies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EvictCause {
    /// `preempt` or `gangpreempt`: for a pod of the same queue.
    #[default]
    Preempt,
    /// `reclaim` or `gangreclaim`: for a pod of another queue.
    Reclaim,
    /// `shuffle`: for no pod (VictimTasks of rescheduling, tdm, …).
    Shuffle,
}

impl EvictCause {
    /// Lower-case name for reports.
    pub fn name(self) -> &'static str {
        match self {
            EvictCause::Preempt => "preempt",
            EvictCause::Reclaim => "reclaim",
            EvictCause::Shuffle => "shuffle",
        }
    }
}

/// Committed effects of one cycle, in the order they were committed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decisions {
    /// Bind requests (task now `Binding` on the node).
    pub binds: Vec<(TaskId, NodeId)>,
    /// Evictions (task now `Releasing`), each with the task it made room for (`None`: evicted by
    /// `shuffle`, for no one) and the kind of action that evicted it.
    pub evictions: Vec<(TaskId, Option<TaskId>, EvictCause)>,
    /// PodGroups that became `Inqueue` (the controller may create their pods).
    pub enqueued: Vec<JobId>,
    /// A time at which the scheduler must run again even if nothing changes (time-driven plugins).
    pub wake_at: Option<SimTime>,
}

impl Decisions {
    /// True when the cycle changed nothing outside the scheduler.
    pub fn is_empty(&self) -> bool {
        self.binds.is_empty() && self.evictions.is_empty() && self.enqueued.is_empty()
    }
}
