//! The plugin interface: one method per Volcano extension point (`framework/session_plugins.go`).
//!
//! A plugin declares which extension points it registers through [`Plugin::hooks`]; the session
//! only calls those, and only when the entry's enable flag allows it. Default method bodies are
//! never reached for undeclared hooks; they return the neutral answer so that a plugin only writes
//! what it needs.

use super::conf::Hook;
use crate::model::scalar_names::ScalarNames;
use crate::model::topology::HyperNodeId;
use crate::model::{ClusterState, Dim, Job, JobId, Node, NodeId, Queue, SimTime, Task, TaskId};
use std::cmp::Ordering;
use std::fmt;

/// A plugin's answer for votes (JobEnqueueable, JobPipelined).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vote {
    /// Allow, and stop at the end of this tier.
    Permit,
    /// Deny.
    Reject,
    /// No opinion.
    Abstain,
}

/// Which gang-aware eviction asks [`Plugin::unified_evictable`] (`api.EvictionKind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvictionKind {
    /// `gangpreempt`: victims from the evictor's own queue.
    GangPreempt,
    /// `gangreclaim`: victims from other, reclaimable queues.
    GangReclaim,
}

/// Why a node cannot host a task (the reasons of `FitError`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FitReason {
    /// The request exceeds the node's future-idle resources in this dimension.
    Insufficient(Dim),
    /// The node already runs its maximum number of pods.
    TooManyPods,
    /// The node does not match the pod's node selector (pool / accelerator model).
    NodeSelector,
    /// usage: the node's measured load of this dimension (cpu or memory) exceeds the threshold.
    UsageThreshold(Dim),
    /// resource-strategy-fit: placing the pod would leave less cpu/memory than the proportion
    /// reserved for the node's idle units of this scarce resource.
    Proportional(Dim),
    /// nodegroup: the node has no `volcano.sh/nodegroup-name` label.
    NodeGroupLabelNotFound,
    /// nodegroup: the node has a group but the pod's queue has no node group affinity.
    NodeGroupAffinityNotFound,
    /// nodegroup: the node's group is not allowed by the queue's affinity.
    NodeGroupUnsatisfied,
    /// The node is in a revocable zone that is closed now or that the pod may not use (tdm).
    RevocableZone,
    /// No card (or not enough cards) of the node has room for the pod's device request.
    Devices,
    /// deviceshare: the pod's kind of device sharing is not enabled.
    SharingDisabled,
}

impl FitReason {
    /// The reason in Kubernetes' words, naming the scenario's extended resources.
    pub fn describe(&self, names: &ScalarNames) -> String {
        match self {
            FitReason::Insufficient(d) => format!("insufficient {}", names.name(*d)),
            FitReason::Proportional(d) => format!("proportional of resource {} check failed", names.name(*d)),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for FitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FitReason::Insufficient(d) => write!(f, "insufficient {}", d.name()),
            FitReason::TooManyPods => write!(f, "too many pods"),
            FitReason::NodeSelector => write!(f, "node(s) didn't match node selector"),
            FitReason::UsageThreshold(d) => write!(f, "node(s) {} load exceeds the upper limit", d.name()),
            FitReason::Proportional(d) => write!(f, "proportional of resource {} check failed", d.name()),
            FitReason::NodeGroupLabelNotFound => write!(f, "node group label not found"),
            FitReason::NodeGroupAffinityNotFound => write!(f, "node group affinity not specified"),
            FitReason::NodeGroupUnsatisfied => write!(f, "node does not satisfy the node group affinity"),
            FitReason::RevocableZone => write!(f, "node is in a revocable zone the pod may not use now"),
            FitReason::Devices => write!(f, "insufficient free accelerator cards"),
            FitReason::SharingDisabled => write!(f, "device sharing of this kind is not enabled"),
        }
    }
}

/// A scheduling plugin. Methods take the live cluster read-only; event handlers and session
/// open/close may keep plugin-local state.
pub trait Plugin {
    /// Volcano's plugin name.
    fn name(&self) -> &'static str;
    /// Extension points this plugin registers.
    fn hooks(&self) -> &'static [Hook];
    /// `OnSessionOpen`: reset per-session state from the cluster.
    fn on_session_open(&mut self, _st: &ClusterState, _now: SimTime) {}
    /// `OnSessionClose`: may write job conditions. `changed` lists the jobs whose tasks changed
    /// since the previous session closed; no other job's conditions can have changed.
    fn on_session_close(&mut self, _st: &mut ClusterState, _changed: &[JobId]) {}
    /// JobOrderFn: `Less` means `a` first.
    fn job_order(&self, _st: &ClusterState, _a: &Job, _b: &Job) -> Ordering {
        Ordering::Equal
    }
    /// QueueOrderFn.
    fn queue_order(&self, _st: &ClusterState, _a: &Queue, _b: &Queue) -> Ordering {
        Ordering::Equal
    }
    /// VictimQueueOrderFn: between victims of queues `a` and `b`, `Less` evicts from `a` first,
    /// for a preemptor of queue `preemptor` (hierarchical capacity prefers close relatives).
    fn victim_queue_order(&self, _st: &ClusterState, _a: &Queue, _b: &Queue, _preemptor: &Queue) -> Ordering {
        Ordering::Equal
    }
    /// TaskOrderFn.
    fn task_order(&self, _st: &ClusterState, _a: &Task, _b: &Task) -> Ordering {
        Ordering::Equal
    }
    /// PredicateFn.
    fn predicate(&self, _st: &ClusterState, _task: &Task, _node: &Node) -> Result<(), FitReason> {
        Ok(())
    }
    /// Pools (bit `i` = pool `i`) outside of which [`Plugin::predicate`] rejects `task` on every
    /// node: node scans jump over the other pools' nodes instead of asking about each. `None` (the
    /// default) claims nothing.
    fn pool_mask(&self, _st: &ClusterState, _task: &Task) -> Option<u64> {
        None
    }
    /// NodeOrderFn: a score added to the other plugins' scores.
    fn node_order(&self, _st: &ClusterState, _task: &Task, _node: &Node) -> f64 {
        0.0
    }
    /// BatchNodeOrderFn: scores of `nodes` (feasible nodes for `task`) as one batch, added to the
    /// other plugins' scores; `None` adds nothing. Plugins whose score of a node depends on the
    /// other candidates (ties broken inside the batch) use this instead of
    /// [`Plugin::node_order`].
    fn batch_node_order(&self, _st: &ClusterState, _task: &Task, _nodes: &[NodeId]) -> Option<Vec<f64>> {
        None
    }
    /// HyperNodeGradientForJobFn: for a job with a network topology constraint, the HyperNodes
    /// to try inside `within`, grouped by tier from the lowest; `allocated` is the domain the
    /// job's placed pods already span; `evict` (`PurposeEvict`) asks for eviction domains, widest
    /// first. `None` abstains (the next plugin, else `[[within]]`).
    fn hypernode_gradient(
        &self,
        _st: &ClusterState,
        _job: &Job,
        _within: HyperNodeId,
        _allocated: Option<HyperNodeId>,
        _evict: bool,
    ) -> Option<Vec<Vec<HyperNodeId>>> {
        None
    }
    /// HyperNodeOrderFn: the score of placing `job` in HyperNode `hn` (higher is better).
    fn hypernode_order(&self, _st: &ClusterState, _job: &Job, _hn: HyperNodeId) -> f64 {
        0.0
    }
    /// Whether [`Plugin::node_order`] reads nothing but the task's request and the node's own
    /// accounting (allocatable, used, idle, releasing, pipelined, pods): then a score computed for
    /// one request on one node holds until that node changes, and the session reuses it.
    fn node_order_reads_node_only(&self) -> bool {
        false
    }
    /// JobValidFn.
    fn job_valid(&self, _st: &ClusterState, _job: &Job) -> Result<(), String> {
        Ok(())
    }
    /// JobReadyFn.
    fn job_ready(&self, _st: &ClusterState, _job: &Job) -> bool {
        true
    }
    /// JobPipelinedFn.
    fn job_pipelined(&self, _st: &ClusterState, _job: &Job) -> Vote {
        Vote::Abstain
    }
    /// JobStarvingFn.
    fn job_starving(&self, _st: &ClusterState, _job: &Job) -> bool {
        false
    }
    /// JobEnqueueableFn.
    fn job_enqueueable(&self, _st: &ClusterState, _job: &Job) -> Vote {
        Vote::Abstain
    }
    /// JobEnqueuedFn: the job was admitted.
    fn job_enqueued(&mut self, _st: &ClusterState, _job: &Job) {}
    /// OverusedFn.
    fn overused(&self, _st: &ClusterState, _queue: &Queue) -> bool {
        false
    }
    /// AllocatableFn.
    fn allocatable(&self, _st: &ClusterState, _queue: &Queue, _task: &Task) -> bool {
        true
    }
    /// PreemptableFn: which of `candidates` (tasks of other jobs or lower-priority tasks, in
    /// victim order) may be evicted for `preemptor`; `None` abstains.
    fn preemptable(&self, _st: &ClusterState, _preemptor: &Task, _candidates: &[TaskId]) -> Option<Vec<TaskId>> {
        None
    }
    /// ReclaimableFn: the same question for a reclaimer from another queue.
    fn reclaimable(&self, _st: &ClusterState, _reclaimer: &Task, _candidates: &[TaskId]) -> Option<Vec<TaskId>> {
        None
    }
    /// UnifiedEvictableFn: which of `candidates` (grouped in victim bundles, in bundle order) may
    /// be evicted so that the whole job `evictor` can run; `None` abstains.
    fn unified_evictable(
        &self,
        _st: &ClusterState,
        _kind: EvictionKind,
        _evictor: &Job,
        _candidates: &[TaskId],
    ) -> Option<Vec<TaskId>> {
        None
    }
    /// A necessary condition for `candidate` to appear in this plugin's Preemptable or
    /// Reclaimable answer for `evictor`, whatever the other candidates: lets the actions skip nodes
    /// where no candidate could be a victim without asking for the full answer. Must never return
    /// false for a task the plugin could return.
    fn may_be_victim(&self, _st: &ClusterState, _evictor: &Task, _candidate: TaskId, _hook: Hook) -> bool {
        true
    }
    /// Whether [`Plugin::may_be_victim`] can only turn from true to false while an action evicts
    /// running tasks and pipelines pending ones, never the other way: then a node where no
    /// candidate may be a victim stays so until the action undoes an eviction, and reclaim need
    /// not ask about it again. The default (false) is always safe.
    fn may_be_victim_shrinks(&self) -> bool {
        false
    }
    /// Everything [`Plugin::may_be_victim`] reads about the evictor, as numbers: evictors with the
    /// same key (and queue) get the same answers, so actions may reuse them.
    fn evictor_key(&self, _st: &ClusterState, _evictor: &Task) -> Vec<i64> {
        Vec::new()
    }
    /// PreemptiveFn: may `queue` still grow by `task` (reclaim side)?
    fn preemptive(&self, _st: &ClusterState, _queue: &Queue, _task: &Task) -> bool {
        true
    }
    /// VictimTasksFn: which of `candidates` (every Running task, in id order) `shuffle` should
    /// evict now.
    fn victim_tasks(&self, _st: &ClusterState, _candidates: &[TaskId]) -> Vec<TaskId> {
        Vec::new()
    }
    /// A value that changes whenever this plugin's Predicate answers change with time alone (tdm:
    /// which revocable zones are open). The session forgets remembered fit failures when it does.
    fn predicate_epoch(&self, _st: &ClusterState, _now: SimTime) -> u64 {
        0
    }
    /// When the plugin's answers will change with time alone (an SLA deadline passing), the time
    /// it wants the next cycle at; the simulator runs one then even if nothing else happens.
    fn wake_up(&self, _st: &ClusterState, _now: SimTime) -> Option<SimTime> {
        None
    }
    /// The queue's deserved resources as of the last session, for reports (proportion, capacity).
    fn deserved(&self, _queue: crate::model::QueueId) -> Option<crate::model::Resources> {
        None
    }
    /// Which cards of `node` the task should take (bit `i` = card `i`), for plugins that place
    /// per card (deviceshare, the fragmentation-aware policies); `None` leaves the choice to
    /// others, and the fullest fitting cards are taken when nobody chooses. Only asked when card
    /// tracking is on.
    fn select_cards(&self, _st: &ClusterState, _task: &Task, _node: &Node) -> Option<u64> {
        None
    }
    /// AllocateFunc event handler: `task` was just allocated or pipelined.
    fn on_allocate(&mut self, _st: &ClusterState, _task: TaskId) {}
    /// DeallocateFunc event handler: `task` was just un-allocated.
    fn on_deallocate(&mut self, _st: &ClusterState, _task: TaskId) {}
}
