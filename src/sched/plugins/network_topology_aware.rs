//! `network-topology-aware` (`plugins/network-topology-aware/network_topology_aware.go`; docs
//! `Network Topology Aware Scheduling.md`; reference §3.12): HyperNode search and scores for jobs
//! with a network topology constraint, and HyperNode-level bin-packing for the other pods.
//!
//! - HyperNodeGradientForJobFn: breadth-first from the search root (the whole cluster, or, once
//!   some pods are placed, the highest ancestor of their domain still within the allowed tier),
//!   keep HyperNodes of tier ≤ the highest tier allowed whose idle or future-idle resources (as of
//!   session open) hold the job's `minResources` (no such filter once pods are placed), grouped by
//!   tier from the lowest, by name within a tier. Soft mode is hard mode with the highest tier =
//!   the virtual root's (`convertSoftToHardTopology`).
//! - HyperNodeOrderFn: bin-packing of the job's total request into the HyperNode,
//!   `Σ_r w_r (used_r + req_r) / alloc_r / Σ w_r`, 0 if any resource overflows; × 100 × `weight`.
//!   (Volcano also adds a task-count fraction to tied HyperNodes, but asks about one candidate at a
//!   time, so that term never applies.)
//! - BatchNodeOrderFn for pods of topology jobs: with `A` the domain the job's placed pods span, a
//!   node scores 1 if its leaf HyperNode is `A`, else `(maxTier − tier(LCA(leaf, A))) / (maxTier −
//!   minTier)` with maxTier the root's tier; nodes tied at the best score add the fraction of the
//!   job's pods already in their leaf; × 100 × `weight`. No placed pods: no score.
//! - BatchNodeOrderFn for other pods (`hypernode.binpack.normal-pod.enable`, default true):
//!   `Σ_tier f^(tier−1) · binpack(pod, node's HyperNode at tier) / Σ_tier f^(tier−1)` with `f` =
//!   `hypernode.binpack.normal-pod.fading` (0.8); a tier where the node has no HyperNode scores 1.
//!
//! Resource usage per HyperNode is summed as of session open (lazily) and kept current by the allocate and
//! deallocate events, as Volcano's `hyperNodeResourceCache` is. Without a declared topology the
//! plugin does nothing (and leaves the node-score cache on).

use crate::model::annotations::TopologyMode;
use crate::model::resources::Dim;
use crate::model::scalar_names::NameLookup;
use crate::model::topology::{HyperNodeId, Topology};
use crate::model::{ClusterState, Job, NodeId, Resources, SimTime, Task, TaskId};
use crate::sched::conf::{Arguments, Hook};
use crate::sched::plugin::Plugin;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The plugin with its arguments and per-session HyperNode usage.
#[derive(Debug)]
pub struct NetworkTopologyAware {
    weight: f64,
    /// (dimension, weight) for HyperNode bin-packing; cpu and memory always, scalars as configured.
    dims: Vec<(Dim, f64)>,
    normal_pod: bool,
    fading: f64,
    /// `hypernode.gradient.evict.max-hypernodes`: at most this many eviction domains.
    evict_max: i64,
    topo: Option<Arc<Topology>>,
    /// Per-HyperNode resources, summed on first use in a session (a session that places nothing
    /// pays nothing); the state then is the session-open state, since every change of node
    /// accounting inside a session fires an event, and the first event sums before it applies.
    usage: RefCell<Option<Usage>>,
    /// Where each task counted by an allocate event sits (its node is gone when it is discarded).
    counted: BTreeMap<TaskId, NodeId>,
}

/// Resources per HyperNode (index = HyperNode id), Volcano's `hyperNodeResourceCache`.
#[derive(Debug)]
struct Usage {
    alloc: Vec<Resources>,
    used: Vec<Resources>,
    idle: Vec<Resources>,
    future_idle: Vec<Resources>,
}

impl Usage {
    /// Sums healthy nodes into their leaves, leaves into their ancestors tier by tier, and every
    /// healthy node into the root.
    fn of(st: &ClusterState, topo: &Topology) -> Usage {
        let n = topo.hypernodes.len();
        let mut u = Usage {
            alloc: vec![Resources::ZERO; n],
            used: vec![Resources::ZERO; n],
            idle: vec![Resources::ZERO; n],
            future_idle: vec![Resources::ZERO; n],
        };
        let root = topo.root as usize;
        for node in st.nodes.iter().filter(|x| x.healthy) {
            let fi = node.future_idle();
            let mut add = |h: usize| {
                u.alloc[h] += node.allocatable;
                u.used[h] += node.used;
                u.idle[h] += node.idle;
                u.future_idle[h] += fi;
            };
            add(root);
            if let Some(leaf) = topo.node_leaf[node.id.idx()] {
                add(leaf as usize);
            }
        }
        let mut order: Vec<usize> = (0..root).collect();
        order.sort_by_key(|h| topo.hypernodes[*h].tier);
        for h in order {
            if let Some(p) = topo.hypernodes[h].parent.map(|p| p as usize).filter(|p| *p != root) {
                let (a, b, c, d) = (u.alloc[h], u.used[h], u.idle[h], u.future_idle[h]);
                u.alloc[p] += a;
                u.used[p] += b;
                u.idle[p] += c;
                u.future_idle[p] += d;
            }
        }
        u
    }
}

const HOOKS: &[Hook] = &[Hook::BatchNodeOrder, Hook::HyperNodeOrder, Hook::HyperNodeGradient];

impl NetworkTopologyAware {
    /// Reads `weight`, `hypernode.binpack.cpu|memory`, `hypernode.binpack.resources` with
    /// `hypernode.binpack.resources.<name>`, `hypernode.binpack.normal-pod.enable|fading` and
    /// `hypernode.gradient.evict.max-hypernodes`; negative values fall back to the defaults, as in
    /// Volcano.
    pub fn new(args: &Arguments, names: NameLookup) -> Result<NetworkTopologyAware, String> {
        args.check_known(
            "network-topology-aware",
            &[
                "weight",
                "hypernode.binpack.cpu",
                "hypernode.binpack.memory",
                "hypernode.binpack.resources",
                "hypernode.binpack.normal-pod.enable",
                "hypernode.binpack.normal-pod.fading",
                "hypernode.gradient.evict.max-hypernodes",
            ],
            &["hypernode.binpack.resources."],
        )?;
        let int = |k: &str| -> Result<i64, String> {
            let v = args.int(k, 1).map_err(|e| format!("plugin `network-topology-aware`: {e}"))?;
            Ok(if v < 0 { 1 } else { v })
        };
        let mut dims = vec![
            (Dim::Cpu, int("hypernode.binpack.cpu")? as f64),
            (Dim::Memory, int("hypernode.binpack.memory")? as f64),
        ];
        if let Some(list) = args.str("hypernode.binpack.resources") {
            for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let slot = names.slot(name).map_err(|_| {
                    format!("plugin `network-topology-aware`: hypernode.binpack.resources: unknown resource `{name}`")
                })?;
                let w = int(&format!("hypernode.binpack.resources.{name}"))? as f64;
                if let Some(slot) = slot {
                    dims.push((Dim::Scalar(slot), w));
                }
            }
        }
        let fading = args
            .f64("hypernode.binpack.normal-pod.fading", 0.8)
            .map_err(|e| format!("plugin `network-topology-aware`: {e}"))?;
        let evict_max = args
            .int("hypernode.gradient.evict.max-hypernodes", 8)
            .map_err(|e| format!("plugin `network-topology-aware`: {e}"))?;
        Ok(NetworkTopologyAware {
            weight: int("weight")? as f64,
            dims,
            normal_pod: args
                .bool("hypernode.binpack.normal-pod.enable", true)
                .map_err(|e| format!("plugin `network-topology-aware`: {e}"))?,
            fading: if fading < 0.0 { 0.8 } else { fading },
            evict_max: if evict_max <= 0 { 8 } else { evict_max },
            topo: None,
            usage: RefCell::new(None),
            counted: BTreeMap::new(),
        })
    }

    /// `Σ w (used + req) / alloc / Σ w` of `req` in HyperNode `h`; 0 if a resource overflows.
    /// The per-HyperNode sums, computed on first use.
    fn usage(&self, st: &ClusterState, topo: &Topology) -> std::cell::Ref<'_, Usage> {
        if self.usage.borrow().is_none() {
            *self.usage.borrow_mut() = Some(Usage::of(st, topo));
        }
        std::cell::Ref::map(self.usage.borrow(), |u| u.as_ref().expect("just computed"))
    }

    /// Only the resources `req` asks for count (`Resource.ResourceNames`).
    fn binpack(&self, usage: &Usage, req: &Resources, h: HyperNodeId) -> f64 {
        let (mut total, mut weights) = (0.0, 0.0);
        for &(d, w) in &self.dims {
            let r = req.get(d);
            if w == 0.0 || r <= 0 {
                continue;
            }
            let (alloc, used) = (usage.alloc[h as usize].get(d), usage.used[h as usize].get(d));
            if used + r > alloc {
                return 0.0;
            }
            if alloc <= 0 {
                continue;
            }
            total += w * (used + r) as f64 / alloc as f64;
            weights += w;
        }
        if weights > 0.0 { total / weights } else { 0.0 }
    }

    /// Applies an allocate (`sign` 1) or deallocate (-1) event; `reflected` says whether the
    /// node's `used` in `st` already includes it (an allocation, an undone allocation).
    fn add_used(&mut self, st: &ClusterState, node: NodeId, req: Resources, sign: i64, reflected: bool) {
        let Some(topo) = self.topo.clone() else { return };
        if self.usage.borrow().is_none() {
            // The first event of the session: the sums come from the state, which the session
            // changed just before firing. An allocation is already in the node's `used`; a
            // pipelined pod or an eviction is not (Volcano's cache counts both), so only those
            // are applied on top.
            *self.usage.borrow_mut() = Some(Usage::of(st, &topo));
            if reflected {
                return;
            }
        }
        let mut usage = self.usage.borrow_mut();
        let usage = usage.as_mut().expect("computed above");
        let mut cur = Some(topo.leaf_of(node));
        while let Some(h) = cur {
            let u = &mut usage.used[h as usize];
            if sign > 0 {
                *u += req
            } else {
                *u -= req
            }
            if h == topo.root {
                break;
            }
            cur = topo.hypernodes[h as usize].parent;
        }
    }

    /// Scores of topology pods: closeness of each node's leaf to the job's current domain.
    fn topology_pod_scores(&self, st: &ClusterState, topo: &Topology, job: &Job, nodes: &[NodeId]) -> Option<Vec<f64>> {
        let allocated = job_domain(st, topo, job)?;
        let (min, max) = (topo.min_tier, topo.max_tier + 1);
        let mut scores: Vec<f64> = nodes
            .iter()
            .map(|n| {
                let Some(leaf) = topo.node_leaf[n.idx()] else { return 0.0 };
                if leaf == allocated {
                    return 1.0;
                }
                let t = topo.tier(topo.lca(leaf, allocated));
                if min == max {
                    1.0
                } else if (min..=max).contains(&t) {
                    (max - t) as f64 / (max - min) as f64
                } else {
                    0.0
                }
            })
            .collect();
        let best = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        if scores.iter().filter(|s| **s == best).count() > 1 && job.task_count > 0 {
            for (i, n) in nodes.iter().enumerate() {
                if scores[i] != best {
                    continue;
                }
                let leaf = topo.leaf_of(*n);
                let here = job
                    .task_ids()
                    .filter(|t| st.tasks[t.idx()].node.is_some_and(|x| topo.contains(leaf, topo.leaf_of(x))))
                    .count();
                scores[i] += here as f64 / job.task_count as f64;
            }
        }
        Some(scores.into_iter().map(|s| s * 100.0 * self.weight).collect())
    }

    /// Scores of other pods: tier-weighted bin-packing of the node's HyperNodes.
    fn normal_pod_scores(&self, st: &ClusterState, topo: &Topology, task: &Task, nodes: &[NodeId]) -> Vec<f64> {
        let usage = self.usage(st, topo);
        let tiers: Vec<u32> = (topo.min_tier..=topo.max_tier).collect();
        let weights: Vec<f64> = tiers.iter().map(|t| self.fading.powi(*t as i32 - 1)).collect();
        let sum: f64 = weights.iter().sum();
        nodes
            .iter()
            .map(|n| {
                if sum <= 0.0 {
                    return 0.0;
                }
                let total: f64 = tiers
                    .iter()
                    .zip(&weights)
                    .map(|(t, w)| w * topo.at_tier(*n, *t).map_or(1.0, |h| self.binpack(&usage, &task.request, h)))
                    .sum();
                total / sum * 100.0 * self.weight
            })
            .collect()
    }
}

/// The smallest HyperNode holding every pod of `job` that sits on a node (Volcano's
/// `AllocatedHyperNode`, kept there as the LCA of the job's placements), if any pod does.
pub fn job_domain(st: &ClusterState, topo: &Topology, job: &Job) -> Option<HyperNodeId> {
    topo.span(job.task_ids().filter_map(|t| st.tasks[t.idx()].node))
}

impl Plugin for NetworkTopologyAware {
    fn name(&self) -> &'static str {
        "network-topology-aware"
    }

    fn hooks(&self) -> &'static [Hook] {
        HOOKS
    }

    fn on_session_open(&mut self, st: &ClusterState, _now: SimTime) {
        self.topo = st.topology.clone();
        self.counted.clear();
        *self.usage.get_mut() = None;
    }

    fn batch_node_order(&self, st: &ClusterState, task: &Task, nodes: &[NodeId]) -> Option<Vec<f64>> {
        let topo = self.topo.as_deref()?;
        let job = &st.jobs[task.job.idx()];
        if job.network_topology().is_some() {
            self.topology_pod_scores(st, topo, job, nodes)
        } else if self.normal_pod {
            Some(self.normal_pod_scores(st, topo, task, nodes))
        } else {
            None
        }
    }

    fn hypernode_gradient(
        &self,
        st: &ClusterState,
        job: &Job,
        within: HyperNodeId,
        allocated: Option<HyperNodeId>,
        evict: bool,
    ) -> Option<Vec<Vec<HyperNodeId>>> {
        let topo = self.topo.as_deref()?;
        let nt = job.network_topology()?;
        let soft = nt.mode == TopologyMode::Soft;
        let highest = if soft { topo.tier(topo.root) } else { nt.highest_tier };
        let start = match allocated {
            None => within,
            Some(a) => {
                // `getSearchRoot`: the highest ancestor of the placed domain still allowed,
                // intersected with `within`.
                let mut best = None;
                let mut cur = Some(a);
                while let Some(h) = cur {
                    if (h == topo.root && !soft) || topo.tier(h) > highest {
                        break;
                    }
                    best = Some(h);
                    cur = topo.hypernodes[h as usize].parent;
                }
                let Some(allowed) = best else { return Some(Vec::new()) };
                match topo.lca(within, allowed) {
                    l if l == allowed => within,
                    l if l == within => allowed,
                    _ => return Some(Vec::new()),
                }
            }
        };
        let usage = self.usage(st, topo);
        let mut by_tier: BTreeMap<u32, Vec<HyperNodeId>> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        while let Some(h) = queue.pop_front() {
            let t = topo.tier(h);
            let fits = allocated.is_some()
                || if evict {
                    job.min_resources.le_on_own_dims(&usage.alloc[h as usize])
                } else {
                    job.min_resources.le_on_own_dims(&usage.idle[h as usize])
                        || job.min_resources.le_on_own_dims(&usage.future_idle[h as usize])
                };
            if t <= highest && fits {
                by_tier.entry(t).or_default().push(h);
            }
            queue.extend(topo.hypernodes[h as usize].children.iter().copied());
        }
        // Within a tier by name: HyperNode ids follow names, the root comes alone.
        let gradient: Vec<Vec<HyperNodeId>> = by_tier
            .into_values()
            .map(|mut v| {
                v.sort_unstable();
                v
            })
            .collect();
        if !evict {
            return Some(gradient);
        }
        // `reverseAndCapEvictionGradients`: widest tiers first, at most `max-hypernodes` in all,
        // keeping the last ones of a tier that does not fit whole.
        let mut left = self.evict_max as usize;
        let mut out = Vec::new();
        for tier in gradient.into_iter().rev() {
            if left == 0 {
                break;
            }
            let keep = tier.len().min(left);
            out.push(tier[tier.len() - keep..].to_vec());
            left -= keep;
        }
        Some(out)
    }

    fn hypernode_order(&self, st: &ClusterState, job: &Job, hn: HyperNodeId) -> f64 {
        let Some(topo) = self.topo.as_deref() else { return 0.0 };
        let req = job.task_ids().fold(Resources::ZERO, |a, t| a + st.tasks[t.idx()].request);
        self.binpack(&self.usage(st, topo), &req, hn) * 100.0 * self.weight
    }

    fn on_allocate(&mut self, st: &ClusterState, task: TaskId) {
        if self.topo.is_none() {
            return;
        }
        let t = &st.tasks[task.idx()];
        if let Some(n) = t.node {
            self.add_used(st, n, t.request, 1, t.status == crate::model::TaskStatus::Allocated);
            self.counted.insert(task, n);
        }
    }

    fn on_deallocate(&mut self, st: &ClusterState, task: TaskId) {
        if self.topo.is_none() {
            return;
        }
        let t = &st.tasks[task.idx()];
        if let Some(n) = self.counted.remove(&task).or(t.node) {
            self.add_used(st, n, t.request, -1, t.status == crate::model::TaskStatus::Pending);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build_nta(a: &Arguments) -> Result<NetworkTopologyAware, String> {
        NetworkTopologyAware::new(a, NameLookup::BUILTIN)
    }
    use crate::model::topology::regular;
    use crate::model::{JobSpec, Pool, Queue, QueueId};
    use crate::sched::conf::ArgValue;

    fn args(pairs: &[(&str, ArgValue)]) -> Arguments {
        Arguments(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
    }

    #[test]
    fn arguments_are_checked_and_negative_ones_fall_back() {
        let p = build_nta(&args(&[
            ("weight", ArgValue::Int(-3)),
            ("hypernode.binpack.resources", ArgValue::Str("nvidia.com/gpu".into())),
            ("hypernode.binpack.resources.nvidia.com/gpu", ArgValue::Int(5)),
            ("hypernode.binpack.normal-pod.fading", ArgValue::Float(-1.0)),
        ]))
        .unwrap();
        assert_eq!((p.weight, p.fading, p.evict_max), (1.0, 0.8, 8));
        assert_eq!(p.dims.last(), Some(&(Dim::Scalar(crate::model::resources::GPU), 5.0)));
        let e = build_nta(&args(&[("hypernode.binpak.cpu", ArgValue::Int(1))])).unwrap_err();
        assert!(e.contains("network-topology-aware") && e.contains("hypernode.binpak.cpu"), "{e}");
        let e = build_nta(&args(&[("hypernode.binpack.resources", ArgValue::Str("foo.com/x".into()))])).unwrap_err();
        assert!(e.contains("unknown resource `foo.com/x`"), "{e}");
    }

    #[test]
    fn eviction_gradient_is_widest_first_and_capped() {
        // 8 nodes: leaves of 2 (4), spines of 2 leaves (2), root.
        let pool = Pool::plain("n", Resources::new(8000, 8 << 30), 110);
        let mut st = ClusterState::new(vec![(pool, 8)], vec![Queue::new(QueueId(0), "q")]);
        let names: Vec<String> = st.nodes.iter().map(|n| n.name.clone()).collect();
        let specs = regular(&[("leaf".into(), 2), ("spine".into(), 2)], 0..8, &names, "");
        st.topology = Some(Arc::new(Topology::build(&specs, &names).unwrap()));
        let mut spec = JobSpec::one_role("j", "q", "w", 2, 2, Resources::new(1000, 1 << 30));
        spec.annotations.insert(crate::model::annotations::NETWORK_TOPOLOGY_MODE.into(), "hard".into());
        spec.annotations.insert(crate::model::annotations::NETWORK_TOPOLOGY_HIGHEST_TIER.into(), "2".into());
        let j = st.add_job(spec, QueueId(0), vec![1]);
        let mut p = build_nta(&args(&[("hypernode.gradient.evict.max-hypernodes", ArgValue::Int(3))])).unwrap();
        p.on_session_open(&st, SimTime(0));
        let topo = st.topology.clone().unwrap();
        let name = |g: Vec<Vec<HyperNodeId>>| -> Vec<Vec<String>> {
            g.into_iter().map(|t| t.into_iter().map(|h| topo.hypernodes[h as usize].name.clone()).collect()).collect()
        };
        let job = &st.jobs[j.idx()];
        let place = p.hypernode_gradient(&st, job, topo.root, None, false).unwrap();
        assert_eq!(name(place), [vec!["leaf-0", "leaf-1", "leaf-2", "leaf-3"], vec!["spine-0", "spine-1"]]);
        // Eviction: spines first, then the last leaf that still fits under the cap of 3.
        let evict = p.hypernode_gradient(&st, job, topo.root, None, true).unwrap();
        assert_eq!(name(evict), [vec!["spine-0", "spine-1"], vec!["leaf-3"]]);
    }
}
