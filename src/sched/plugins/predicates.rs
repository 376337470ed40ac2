//! `predicates` (`plugins/predicates/predicates.go`): the Kubernetes filters that apply to
//! simulated pods — node selector (pool and accelerator model) and the node's pod limit.
//!
//! CPU/memory/accelerator fit is not here: as in Volcano, the action checks the request against
//! the node's future-idle resources. Unhealthy nodes are not in the session at all.

use crate::model::{ClusterState, Node, Task};
use crate::sched::conf::{Arguments, Hook};
use crate::sched::plugin::{FitReason, Plugin};

/// The predicates plugin.
#[derive(Debug, Default)]
pub struct Predicates;

impl Predicates {
    /// Accepts Volcano's `predicate.*` switches; the ones for features simulated pods do not have
    /// (volumes, ports, affinity, taints) have nothing to act on.
    pub fn new(args: &Arguments) -> Result<Predicates, String> {
        args.check_known("predicates", &[], &["predicate."])?;
        Ok(Predicates)
    }
}

impl Plugin for Predicates {
    fn name(&self) -> &'static str {
        "predicates"
    }
    fn hooks(&self) -> &'static [Hook] {
        &[Hook::Predicate]
    }
    fn pool_mask(&self, st: &ClusterState, task: &Task) -> Option<u64> {
        Some(st.jobs[task.job.idx()].role_pools[task.role as usize])
    }
    fn predicate(&self, st: &ClusterState, task: &Task, node: &Node) -> Result<(), FitReason> {
        let mask = st.jobs[task.job.idx()].role_pools[task.role as usize];
        if mask & (1u64 << node.pool.0) == 0 {
            return Err(FitReason::NodeSelector);
        }
        if node.pods >= node.max_pods {
            return Err(FitReason::TooManyPods);
        }
        Ok(())
    }
}
