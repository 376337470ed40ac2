//! Queues (`scheduling.volcano.sh/v1beta1 Queue`): the tenants that share the fleet.

use super::ids::QueueId;
use super::resources::Resources;

/// Whether a queue accepts work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueState {
    /// Accepts jobs and allocations.
    Open,
    /// Rejects enqueue and allocation (proportion/capacity check this).
    Closed,
}

/// A queue's spec plus the live totals the scheduler reads every cycle.
#[derive(Clone, Debug)]
pub struct Queue {
    /// Dense id (creation order; Volcano's creation-time fallback).
    pub id: QueueId,
    /// Queue name.
    pub name: String,
    /// Proportion weight (default 1).
    pub weight: u32,
    /// Hard upper bound; unbounded dimensions hold [`super::resources::UNBOUNDED`].
    pub capability: Resources,
    /// Resources reserved for the queue.
    pub guarantee: Resources,
    /// User-specified deserved share (capacity plugin); `None` when not given. Dimensions the user
    /// did not name hold [`super::resources::UNBOUNDED`] (Volcano's Infinity convention).
    pub deserved: Option<Resources>,
    /// Queue priority (`spec.priority`): higher queues are served first.
    pub priority: i32,
    /// Open or closed.
    pub state: QueueState,
    /// Whether other queues may reclaim from this one.
    pub reclaimable: bool,
    /// Parent queue name (`spec.parent`); `None` means `root`. The scenario loader checks that it
    /// names a declared queue (or `root`) and that parents form a tree.
    pub parent: Option<String>,
    /// Queue annotations (hierarchical DRF reads `volcano.sh/hierarchy` and `-weights`).
    pub annotations: std::collections::BTreeMap<String, String>,
    /// `spec.affinity`: which node groups the queue's pods may or prefer to use (nodegroup plugin).
    pub affinity: Option<NodeGroupAffinity>,
    /// Live: requests of this queue's tasks in an allocated status.
    pub allocated: Resources,
    /// Live: requests of this queue's tasks that are pending (pods created, not placed).
    pub pending: Resources,
    /// Live: jobs of this queue that are submitted and not ended.
    pub active_jobs: u32,
    /// Live tallies over the queue's jobs, see [`super::cluster::JobTallies`].
    pub tallies: super::cluster::JobTallies,
    /// Live (metrics only): accelerator milli-units allocated to this queue's jobs that are making
    /// progress, so the recorder integrates per-queue goodput without walking jobs.
    pub progressing_accel: i64,
    /// Live (metrics only): requests of every pod of this queue's active jobs (created or not), the
    /// queue's demand for the fairness metrics.
    pub requested: Resources,
}

impl Queue {
    /// A queue with Volcano's defaults: weight 1, unbounded, open, reclaimable.
    pub fn new(id: QueueId, name: impl Into<String>) -> Queue {
        Queue {
            id,
            name: name.into(),
            weight: 1,
            capability: Resources::UNBOUNDED,
            guarantee: Resources::ZERO,
            deserved: None,
            priority: 0,
            state: QueueState::Open,
            reclaimable: true,
            parent: None,
            annotations: Default::default(),
            affinity: None,
            allocated: Resources::ZERO,
            pending: Resources::ZERO,
            active_jobs: 0,
            tallies: Default::default(),
            progressing_accel: 0,
            requested: Resources::ZERO,
        }
    }
}

/// A queue's `spec.affinity`: node groups (values of the `volcano.sh/nodegroup-name` node label)
/// its pods must, should, must not or should not use. Lists keep their written order, which the
/// nodegroup plugin's `enablePreferredOrder` reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeGroupAffinity {
    /// `nodeGroupAffinity.requiredDuringSchedulingIgnoredDuringExecution`.
    pub required: Vec<String>,
    /// `nodeGroupAffinity.preferredDuringSchedulingIgnoredDuringExecution`.
    pub preferred: Vec<String>,
    /// `nodeGroupAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution`.
    pub anti_required: Vec<String>,
    /// `nodeGroupAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution`.
    pub anti_preferred: Vec<String>,
}
