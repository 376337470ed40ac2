//! `conformance` (`plugins/conformance/conformance.go`): protects system-critical pods
//! (`system-cluster-critical`, `system-node-critical`, namespace `kube-system`) from eviction.
//!
//! Its only callbacks are victim filters (Preemptable / Reclaimable). Simulated workloads carry no
//! system-critical pods and the actions in this build evict nothing, so it registers no hook here;
//! it is a real no-op, not a missing piece, and victim filtering arrives with preempt and reclaim.

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
        &[]
    }
}
