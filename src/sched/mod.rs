//! The scheduling core. It sees the cluster ([`crate::model`]) and the `now` passed in, never the
//! simulator: no event queue, no clock. That keeps it a pure policy that could one day run behind
//! a real informer.

pub mod actions;
pub mod conf;
pub mod decisions;
pub mod kube_default;
pub mod node_scan;
pub mod plugin;
pub mod plugins;
pub mod pq;
pub mod session;
pub mod statement;
pub mod volcano;

use crate::model::{ClusterState, SimTime};
pub use decisions::Decisions;

/// A scheduling policy, run once per cycle.
pub trait Scheduler {
    /// Name for reports.
    fn name(&self) -> &str;
    /// Whether pods exist from submission (kube-default) or only after the PodGroup is admitted
    /// (Volcano's job controller).
    fn pods_on_submit(&self) -> bool;
    /// Runs one cycle on the live cluster and returns what it committed.
    fn cycle(&mut self, state: &mut ClusterState, now: SimTime) -> Decisions;
    /// A queue's deserved resources as the last cycle computed them (None: the policy has none).
    fn deserved(&self, _queue: crate::model::QueueId) -> Option<crate::model::Resources> {
        None
    }
}

// Architecture invariant: `sched` depends on `model` only. A `use crate::sim` here is a bug.
