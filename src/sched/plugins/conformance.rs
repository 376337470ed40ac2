//! `conformance` (`plugins/conformance/conformance.go`): protects system-critical pods
//! (`system-cluster-critical`, `system-node-critical`, namespace `kube-system`) from eviction.
//!
//! Its only callbacks are victim filters (Preemptable / Reclaimable). Simulated workloads carry no
//! system-critical pods, so every candidate passes; the plugin still votes in its tier like
//! Volcano's (a non-abstaining answer that keeps the candidates).

use crate::model::{ClusterState, Task, TaskId};
use crate::sched::conf::Hook;
use crate::sched::plugin::Plugin;

/// The conformance plugin.
#[derive(Debug, Default)]
pub struct Conformance;

impl Plugin for Conformance {
    fn name(&self) -> &'static str {
        "conformance"
    }
    fn hooks(&self) -> &'static [Hook] {
        &[Hook::Preemptable, Hook::Reclaimable]
    }
    fn may_be_victim_shrinks(&self) -> bool {
        true // every candidate may be a victim, always
    }
    fn preemptable(&self, _st: &ClusterState, _p: &Task, candidates: &[TaskId]) -> Option<Vec<TaskId>> {
        Some(candidates.to_vec())
    }
    fn reclaimable(&self, _st: &ClusterState, _p: &Task, candidates: &[TaskId]) -> Option<Vec<TaskId>> {
        Some(candidates.to_vec())
    }
}
