//! `nodeorder` (`plugins/nodeorder/nodeorder.go`): Kubernetes' node scorers, each 0–100,
//! multiplied by its weight and summed, with no normalization.
//!
//! - LeastAllocated over cpu and memory (weights 50/50, integer math as in kube-scheduler): per
//!   resource `(allocatable − requested) × 100 / allocatable`, `requested` = node's requests plus
//!   the pod's, the pod's zero cpu/memory counted as 100m / 200Mi.
//! - MostAllocated: `min(requested, allocatable) × 100 / allocatable`, same averaging.
//! - BalancedAllocation over cpu, memory and `nvidia.com/gpu` (the GPU only when the pod asks for
//!   it and the node has it): `(1 − std(fractions)) × 100`, truncated.
//!
//! The other nodeorder scorers (node/pod affinity, taints, image locality, topology spread) give
//! every node the same score for simulated pods, which carry none of those constraints, so they
//! cannot change a choice and are not computed.

use crate::model::resources::GPU;
use crate::model::{ClusterState, Node, Resources, Task};
use crate::sched::conf::{Arguments, Hook};
use crate::sched::plugin::Plugin;

const DEFAULT_CPU_MILLI: i64 = 100;
const DEFAULT_MEMORY: i64 = 200 * 1024 * 1024;

/// The nodeorder plugin with its weights.
#[derive(Debug)]
pub struct NodeOrder {
    least: f64,
    most: f64,
    balanced: f64,
}

impl NodeOrder {
    /// Reads `leastrequested.weight` (1), `mostrequested.weight` (0), `balancedresource.weight` (1);
    /// the other Volcano weights are accepted.
    pub fn new(args: &Arguments) -> Result<NodeOrder, String> {
        args.check_known(
            "nodeorder",
            &[
                "leastrequested.weight",
                "mostrequested.weight",
                "balancedresource.weight",
                "nodeaffinity.weight",
                "podaffinity.weight",
                "tainttoleration.weight",
                "imagelocality.weight",
                "podtopologyspread.weight",
            ],
            &[],
        )?;
        Ok(NodeOrder {
            least: args.f64("leastrequested.weight", 1.0)?,
            most: args.f64("mostrequested.weight", 0.0)?,
            balanced: args.f64("balancedresource.weight", 1.0)?,
        })
    }
}

fn nonzero(req: &Resources) -> (i64, i64) {
    let cpu = if req.cpu == 0 { DEFAULT_CPU_MILLI } else { req.cpu };
    let mem = if req.memory == 0 { DEFAULT_MEMORY } else { req.memory };
    (cpu, mem)
}

/// kube-scheduler's LeastAllocated score (0–100) of placing `req` on a node using `used` of `alloc`.
pub fn least_allocated(req: &Resources, used: &Resources, alloc: &Resources) -> i64 {
    let (cpu, mem) = nonzero(req);
    weighted_mean(&[(used.cpu + cpu, alloc.cpu), (used.memory + mem, alloc.memory)], |r, a| {
        if r > a { 0 } else { (a - r) * 100 / a }
    })
}

/// kube-scheduler's MostAllocated score (0–100).
pub fn most_allocated(req: &Resources, used: &Resources, alloc: &Resources) -> i64 {
    let (cpu, mem) = nonzero(req);
    weighted_mean(&[(used.cpu + cpu, alloc.cpu), (used.memory + mem, alloc.memory)], |r, a| r.min(a) * 100 / a)
}

/// Equal-weight integer mean over resources with non-zero allocatable (weights 50/50 reduce to
/// `(50·a + 50·b) / 100`).
fn weighted_mean(pairs: &[(i64, i64)], score: impl Fn(i64, i64) -> i64) -> i64 {
    let mut sum = 0;
    let mut weight = 0;
    for &(r, a) in pairs {
        if a == 0 {
            continue;
        }
        sum += score(r, a) * 50;
        weight += 50;
    }
    if weight == 0 { 0 } else { sum / weight }
}

/// kube-scheduler's BalancedAllocation score (0–100).
pub fn balanced_allocation(req: &Resources, used: &Resources, alloc: &Resources) -> i64 {
    if req.cpu == 0 && req.memory == 0 && req.scalars[GPU] == 0 {
        return 0;
    }
    let mut f = [0.0f64; 3];
    let mut n = 0;
    let mut push = |r: i64, a: i64| {
        if a > 0 {
            f[n] = (r as f64 / a as f64).min(1.0);
            n += 1;
        }
    };
    push(used.cpu + req.cpu, alloc.cpu);
    push(used.memory + req.memory, alloc.memory);
    if req.scalars[GPU] > 0 {
        push(used.scalars[GPU] + req.scalars[GPU], alloc.scalars[GPU]);
    }
    let std = match n {
        0 | 1 => 0.0,
        2 => (f[0] - f[1]).abs() / 2.0,
        _ => {
            let mean = f[..n].iter().sum::<f64>() / n as f64;
            (f[..n].iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64).sqrt()
        }
    };
    ((1.0 - std) * 100.0) as i64
}

impl Plugin for NodeOrder {
    fn name(&self) -> &'static str {
        "nodeorder"
    }
    fn hooks(&self) -> &'static [Hook] {
        &[Hook::NodeOrder]
    }
    fn node_order_reads_node_only(&self) -> bool {
        true
    }
    fn node_order(&self, _st: &ClusterState, task: &Task, node: &Node) -> f64 {
        let mut score = 0.0;
        if self.least != 0.0 {
            score += least_allocated(&task.request, &node.used, &node.allocatable) as f64 * self.least;
        }
        if self.most != 0.0 {
            score += most_allocated(&task.request, &node.used, &node.allocatable) as f64 * self.most;
        }
        if self.balanced != 0.0 {
            score += balanced_allocation(&task.request, &node.used, &node.allocatable) as f64 * self.balanced;
        }
        score
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kube_scorers_by_hand() {
        let alloc = Resources::new(10_000, 100).with_scalar(GPU, 8000);
        let used = Resources::new(4_000, 20).with_scalar(GPU, 4000);
        let req = Resources::new(2_000, 20).with_scalar(GPU, 2000);
        // cpu (10-6)/10 = 40, memory (100-40)/100 = 60 → 50.
        assert_eq!(least_allocated(&req, &used, &alloc), 50);
        assert_eq!(most_allocated(&req, &used, &alloc), 50);
        // fractions 0.6, 0.4, 0.75: mean 0.5833, population std 0.1434 → 85.
        assert_eq!(balanced_allocation(&req, &used, &alloc), 85);
    }
}
