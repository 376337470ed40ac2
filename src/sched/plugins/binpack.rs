//! `binpack` (`plugins/binpack/binpack.go`): prefers nodes that are already full, per weighted
//! resource: `Σ w_r (used_r + req_r) / alloc_r / Σ w_r × 100 × binpack.weight`, over the
//! resources the task requests that have a weight. A resource that would overflow, or that the
//! node lacks, scores 0 but its weight still counts.

use crate::model::resources::Dim;
use crate::model::scalar_names::NameLookup;
use crate::model::{ClusterState, Node, Task};
use crate::sched::conf::{Arguments, Hook};
use crate::sched::plugin::Plugin;

/// The binpack plugin with its weights.
#[derive(Debug)]
pub struct Binpack {
    weight: f64,
    /// (dimension, weight) pairs with a non-zero weight.
    dims: Vec<(Dim, f64)>,
}

impl Binpack {
    /// Reads `binpack.weight`, `binpack.cpu`, `binpack.memory`, `binpack.resources` and
    /// `binpack.resources.<name>` (negative resource weights fall back to 1, as in Volcano).
    /// Resource names resolve through `names` (the scenario's extended resources).
    pub fn new(args: &Arguments, names: NameLookup) -> Result<Binpack, String> {
        args.check_known(
            "binpack",
            &["binpack.weight", "binpack.cpu", "binpack.memory", "binpack.resources"],
            &["binpack.resources."],
        )?;
        let fix = |w: f64| if w < 0.0 { 1.0 } else { w };
        let mut dims =
            vec![(Dim::Cpu, fix(args.f64("binpack.cpu", 1.0)?)), (Dim::Memory, fix(args.f64("binpack.memory", 1.0)?))];
        if let Some(list) = args.str("binpack.resources") {
            for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let slot = names.slot(name).map_err(|_| format!("binpack.resources: unknown resource `{name}`"))?;
                let w = fix(args.f64(&format!("binpack.resources.{name}"), 1.0)?);
                if let Some(slot) = slot {
                    dims.push((Dim::Scalar(slot), w));
                }
            }
        }
        dims.retain(|(_, w)| *w != 0.0);
        Ok(Binpack { weight: args.f64("binpack.weight", 1.0)?, dims })
    }

    /// Whether the plugin registers a score at all (`binpack.weight != 0`).
    pub fn active(&self) -> bool {
        self.weight != 0.0
    }
}

impl Plugin for Binpack {
    fn name(&self) -> &'static str {
        "binpack"
    }
    fn hooks(&self) -> &'static [Hook] {
        &[Hook::NodeOrder]
    }
    fn node_order_reads_node_only(&self) -> bool {
        true
    }
    fn node_order(&self, _st: &ClusterState, task: &Task, node: &Node) -> f64 {
        if self.weight == 0.0 {
            return 0.0;
        }
        let mut sum = 0.0;
        let mut weights = 0.0;
        for &(d, w) in &self.dims {
            let req = task.request.get(d);
            if req <= 0 {
                continue;
            }
            weights += w;
            let (used, alloc) = (node.used.get(d), node.allocatable.get(d));
            if alloc == 0 || req + used > alloc {
                continue;
            }
            sum += (req + used) as f64 * w / alloc as f64;
        }
        if weights == 0.0 { 0.0 } else { sum / weights * 100.0 * self.weight }
    }
}
