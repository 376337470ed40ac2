//! `resource-strategy-fit` (`plugins/resource-strategy-fit/{resource_strategy_fit,sra,proportional}.go`;
//! docs `resource-strategy-fit-scheduling.md`): three policies in one plugin.
//!
//! - **Per-resource strategy** (NodeOrder, `resourceStrategyFitWeight`, default 10, 0 turns it
//!   off): for each resource the pod requests that has an entry in `resources` (exact name first,
//!   else the longest matching `prefix*` pattern), LeastAllocated scores
//!   `(alloc − used − req) × w / alloc` and MostAllocated `(used + req) × w / alloc`; the sum is
//!   divided by the summed weights and scaled by `100 × resourceStrategyFitWeight`. A requested
//!   resource that would overflow the node makes the whole score 0; one the node lacks scores 0
//!   but its weight counts. Default entries: cpu and memory, LeastAllocated, weight 1.
//! - **SRA** (NodeOrder, `sra.weight`): keeps pods off nodes carrying scarce resources they do not
//!   need. 0 if the node lacks any resource the pod requests; otherwise
//!   `(1 − Σ weights of the listed resources the node has / Σ listed weights) × 100 × sra.weight`.
//! - **Proportional** (Predicate): a pod that requests none of the listed scarce resources may
//!   only take a node's cpu and memory if what stays idle still covers, per idle scarce unit,
//!   `<res>.cpu` cores and `<res>.memory` GB (10⁹ bytes).
//!
//! Volcano silently replaces bad values (unknown strategy types, invalid wildcard patterns,
//! unknown keys) with defaults; tephra rejects them with the key, since a typo in a policy file
//! would otherwise change what a what-if measures. Numeric fallbacks Volcano documents are kept:
//! a resource weight ≤ 0 becomes 1, negative SRA weights and proportions become 1.
//!
//! The user guide also describes pod annotations (`volcano.sh/resource-strategy-scoring-type`,
//! `volcano.sh/resource-strategy-weight`) that no published version of the Go source reads; they
//! are not simulated.

use crate::model::resources::Dim;
use crate::model::scalar_names::{NameLookup, ScalarNames};
use crate::model::{ClusterState, Node, Task};
use crate::sched::conf::{ArgValue, Arguments, Hook};
use crate::sched::plugin::{FitReason, Plugin};

/// A scoring strategy of one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Strategy {
    /// Prefer nodes with more free of the resource (spread).
    Least,
    /// Prefer nodes with less free of the resource (pack).
    Most,
}

/// Which resources an entry of `resources:` applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Pattern {
    /// One resource.
    Exact(Dim),
    /// Every resource whose name starts with the prefix (`nvidia.com/*`).
    Prefix(String),
}

/// The plugin's parsed configuration.
#[derive(Debug)]
pub struct ResourceStrategyFit {
    weight: i64,
    resources: Vec<(Pattern, Strategy, i64)>,
    sra_weight: i64,
    /// Listed scarce resources with their weights.
    sra: Vec<(Dim, i64)>,
    sra_weight_sum: i64,
    /// `None` when the proportional policy is off; else (resource, cpu cores, memory GB) per unit.
    proportional: Option<Vec<(Dim, f64, f64)>>,
    /// The scenario's extended resource names, which prefix patterns match against.
    names: ScalarNames,
}

/// `Ok(None)`: a well-formed extended name a lenient lookup leaves unresolved.
fn dim_named(name: &str, names: NameLookup) -> Result<Option<Dim>, ()> {
    match name {
        "cpu" => Ok(Some(Dim::Cpu)),
        "memory" => Ok(Some(Dim::Memory)),
        other => names.slot(other).map(|s| s.map(Dim::Scalar)),
    }
}

fn comma_list(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty())
}

impl ResourceStrategyFit {
    /// Reads `resourceStrategyFitWeight`, `resources`, `sra` and `proportional`.
    pub fn new(args: &Arguments, names: NameLookup) -> Result<ResourceStrategyFit, String> {
        const P: &str = "resource-strategy-fit";
        args.check_known(P, &["resourceStrategyFitWeight", "resources", "sra", "proportional"], &[])?;
        let mut weight = args.int("resourceStrategyFitWeight", 10)?;
        if weight < 0 {
            weight = 10;
        }
        let mut resources = Vec::new();
        if let Some(map) = args.map("resources")? {
            for (name, entry) in &map.0 {
                let ArgValue::Map(fields) = entry else {
                    return Err(format!("{P}: resources.{name}: expected a map with `type` and `weight`"));
                };
                let fields = Arguments(fields.clone());
                fields.check_known(&format!("{P}: resources.{name}"), &["type", "weight"], &[])?;
                let strategy = match fields.str("type").as_deref() {
                    None | Some("LeastAllocated") => Strategy::Least,
                    Some("MostAllocated") => Strategy::Most,
                    Some(other) => {
                        return Err(format!(
                            "{P}: resources.{name}.type: `{other}` is not LeastAllocated or MostAllocated"
                        ));
                    }
                };
                let mut w = fields.int("weight", 1)?;
                if w <= 0 {
                    w = 1;
                }
                let pattern = if name.contains('*') {
                    if name == "*" || !name.ends_with('*') || name.matches('*').count() != 1 {
                        return Err(format!(
                            "{P}: resources: `{name}` is not a valid pattern (one trailing `*`, such as `nvidia.com/*`)"
                        ));
                    }
                    Pattern::Prefix(name.trim_end_matches('*').to_string())
                } else {
                    match dim_named(name, names).map_err(|_| format!("{P}: resources: unknown resource `{name}`"))? {
                        Some(d) => Pattern::Exact(d),
                        None => continue,
                    }
                };
                resources.push((pattern, strategy, w));
            }
        }
        if resources.is_empty() {
            resources =
                vec![(Pattern::Exact(Dim::Cpu), Strategy::Least, 1), (Pattern::Exact(Dim::Memory), Strategy::Least, 1)];
        }

        let (mut sra_weight, mut sra, mut sra_weight_sum) = (0, Vec::new(), 0);
        if let Some(cfg) = args.map("sra")? {
            cfg.check_known(&format!("{P}: sra"), &["enable", "resources", "weight", "resourceWeight"], &[])?;
            if cfg.bool("enable", false)? {
                sra_weight = cfg.int("weight", 0)?;
                let weights = cfg.map("resourceWeight")?.unwrap_or_default();
                let listed = cfg.str("resources").unwrap_or_default();
                for key in weights.0.keys() {
                    if !comma_list(&listed).any(|r| r == key) {
                        return Err(format!("{P}: sra.resourceWeight: `{key}` is not in sra.resources"));
                    }
                }
                for name in comma_list(&listed) {
                    let d =
                        dim_named(name, names).map_err(|_| format!("{P}: sra.resources: unknown resource `{name}`"))?;
                    let mut w = weights.int(name, 1)?;
                    if w < 0 {
                        w = 1;
                    }
                    let Some(d) = d else { continue };
                    sra.push((d, w));
                    sra_weight_sum += w;
                }
            }
        }

        let mut proportional = None;
        if let Some(cfg) = args.map("proportional")? {
            cfg.check_known(&format!("{P}: proportional"), &["enable", "resources", "resourceProportion"], &[])?;
            if cfg.bool("enable", false)? {
                let rates = cfg.map("resourceProportion")?.unwrap_or_default();
                let listed = cfg.str("resources").unwrap_or_default();
                for key in rates.0.keys() {
                    let ok = comma_list(&listed).any(|r| *key == format!("{r}.cpu") || *key == format!("{r}.memory"));
                    if !ok {
                        return Err(format!(
                            "{P}: proportional.resourceProportion: `{key}` is not `<resource>.cpu` or `<resource>.memory` of a listed resource"
                        ));
                    }
                }
                let mut list = Vec::new();
                for name in comma_list(&listed) {
                    let slot = match names.slot(name) {
                        Ok(Some(slot)) => slot,
                        Ok(None) => continue,
                        Err(()) => {
                            return Err(format!("{P}: proportional.resources: `{name}` is not a scalar resource"));
                        }
                    };
                    let rate = |suffix: &str| -> Result<f64, String> {
                        let v = rates.f64(&format!("{name}.{suffix}"), 1.0)?;
                        Ok(if v < 0.0 { 1.0 } else { v })
                    };
                    list.push((Dim::Scalar(slot), rate("cpu")?, rate("memory")?));
                }
                proportional = Some(list);
            }
        }
        let names = names.names();
        Ok(ResourceStrategyFit { weight, resources, sra_weight, sra, sra_weight_sum, proportional, names })
    }

    /// The entry for a resource: an exact entry, else the longest matching prefix pattern.
    fn entry(&self, d: Dim) -> Option<(Strategy, i64)> {
        let exact = self.resources.iter().find(|(p, ..)| *p == Pattern::Exact(d));
        if let Some((_, s, w)) = exact {
            return Some((*s, *w));
        }
        let name = self.names.name(d);
        let mut best: Option<(&str, Strategy, i64)> = None;
        for (p, s, w) in &self.resources {
            if let Pattern::Prefix(prefix) = p
                && name.starts_with(prefix.as_str())
                && best.is_none_or(|(b, ..)| prefix.len() > b.len())
            {
                best = Some((prefix, *s, *w));
            }
        }
        best.map(|(_, s, w)| (s, w))
    }

    /// The per-resource strategy score (`Score`).
    fn strategy_score(&self, task: &Task, node: &Node) -> f64 {
        let mut score = 0.0;
        let mut weights = 0;
        for d in task.request.dims() {
            let Some((strategy, w)) = self.entry(d) else { continue };
            let (req, used, alloc) = (task.request.get(d), node.used.get(d), node.allocatable.get(d));
            if alloc != 0 {
                if req + used > alloc {
                    return 0.0;
                }
                score += match strategy {
                    Strategy::Least => (alloc - used - req) as f64 * w as f64 / alloc as f64,
                    Strategy::Most => (used + req) as f64 * w as f64 / alloc as f64,
                };
            }
            weights += w;
        }
        if weights > 0 {
            score /= weights as f64;
        }
        score * 100.0 * self.weight as f64
    }

    /// The SRA score (`sraScore`).
    fn sra_score(&self, task: &Task, node: &Node) -> f64 {
        if task.request.dims().any(|d| node.allocatable.get(d) == 0) {
            return 0.0;
        }
        let mut score: f64 =
            self.sra.iter().filter(|(d, _)| node.allocatable.get(*d) > 0).map(|(_, w)| *w as f64).sum();
        if self.sra_weight_sum > 0 {
            score = 1.0 - score / self.sra_weight_sum as f64;
        }
        score * 100.0 * self.sra_weight as f64
    }
}

impl Plugin for ResourceStrategyFit {
    fn name(&self) -> &'static str {
        "resource-strategy-fit"
    }
    fn hooks(&self) -> &'static [Hook] {
        let order = self.weight > 0 || self.sra_weight > 0;
        match (self.proportional.is_some(), order) {
            (true, true) => &[Hook::Predicate, Hook::NodeOrder],
            (true, false) => &[Hook::Predicate],
            (false, true) => &[Hook::NodeOrder],
            (false, false) => &[],
        }
    }
    fn predicate(&self, _st: &ClusterState, task: &Task, node: &Node) -> Result<(), FitReason> {
        let Some(list) = &self.proportional else { return Ok(()) };
        if list.iter().any(|(d, ..)| task.request.get(*d) > 0) {
            return Ok(());
        }
        for &(d, cpu, memory) in list {
            if node.allocatable.get(d) <= 0 {
                continue;
            }
            // Idle scalars are milli-units: `idle × cpu` is millicores for `cpu` cores per unit,
            // and `idle × memory × 10⁶` is bytes for `memory` GB per unit.
            let idle = node.idle.get(d) as f64;
            let (cpu_reserved, mem_reserved) = (idle * cpu, idle * memory * 1e6);
            if ((node.idle.cpu - task.request.cpu) as f64) < cpu_reserved
                || ((node.idle.memory - task.request.memory) as f64) < mem_reserved
            {
                return Err(FitReason::Proportional(d));
            }
        }
        Ok(())
    }
    fn node_order(&self, _st: &ClusterState, task: &Task, node: &Node) -> f64 {
        let mut score = 0.0;
        if self.weight > 0 {
            score += self.strategy_score(task, node);
        }
        if self.sra_weight > 0 {
            score += self.sra_score(task, node);
        }
        score
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build_rsf(a: &Arguments) -> Result<ResourceStrategyFit, String> {
        ResourceStrategyFit::new(a, NameLookup::BUILTIN)
    }
    use crate::model::resources::GPU;
    use crate::model::{JobId, NodeId, PoolId, Resources, TaskId, TaskStatus};

    fn args(yaml: &str) -> Arguments {
        serde_saphyr::from_str(yaml).unwrap()
    }

    fn task(r: Resources) -> Task {
        Task {
            id: TaskId(0),
            job: JobId(0),
            role: 0,
            index: 0,
            request: r,
            priority: 0,
            status: TaskStatus::Pending,
            node: None,
            bound_at: None,
            device: Default::default(),
            cards: 0,
        }
    }

    fn node(alloc: Resources, used: Resources) -> Node {
        let mut n = Node::new(NodeId(0), "n".into(), PoolId(0), alloc, 110);
        n.add(used, TaskStatus::Running);
        n
    }

    #[test]
    fn strategies_weights_and_patterns() {
        let p = build_rsf(&args(
            "resourceStrategyFitWeight: 2\nresources:\n  nvidia.com/*: {type: MostAllocated, weight: 3}\n  cpu: {type: LeastAllocated, weight: 1}\n",
        ))
        .unwrap();
        let n =
            node(Resources::new(10_000, 100).with_scalar(GPU, 8000), Resources::new(4000, 0).with_scalar(GPU, 2000));
        let t = task(Resources::new(2000, 10).with_scalar(GPU, 2000));
        // cpu least: (10−4−2)/10 × 1 = 0.4; gpu most: 4/8 × 3 = 1.5; memory has no entry.
        // (0.4 + 1.5) / 4 × 100 × 2 = 95.
        assert!((p.node_order(&ClusterState::default(), &t, &n) - 95.0).abs() < 1e-9);
        // Overflow of any entry zeroes the score.
        let big = task(Resources::new(7000, 0));
        assert_eq!(p.strategy_score(&big, &n), 0.0);
        assert!(build_rsf(&args("resources:\n  cpu: {type: Spread}\n")).is_err());
        assert!(build_rsf(&args("resources:\n  '*': {type: MostAllocated}\n")).is_err());
    }

    #[test]
    fn sra_and_proportional() {
        let p = build_rsf(&args(
            "resourceStrategyFitWeight: 0\nsra: {enable: true, resources: nvidia.com/gpu, weight: 10}\nproportional: {enable: true, resources: nvidia.com/gpu, resourceProportion: {nvidia.com/gpu.cpu: 4, nvidia.com/gpu.memory: 8}}\n",
        ))
        .unwrap();
        assert_eq!(p.hooks(), &[Hook::Predicate, Hook::NodeOrder]);
        let gpu_node = node(Resources::new(32_000, 128_000_000_000).with_scalar(GPU, 4000), Resources::ZERO);
        let cpu_node = node(Resources::new(32_000, 128_000_000_000), Resources::ZERO);
        let cpu_task = task(Resources::new(8000, 10_000_000_000));
        let st = ClusterState::default();
        assert_eq!(p.node_order(&st, &cpu_task, &gpu_node), 0.0);
        assert_eq!(p.node_order(&st, &cpu_task, &cpu_node), 1000.0);
        // 4 idle GPUs reserve 16 cores and 32 GB: 32 − 8 = 24 cores and 118 GB stay; passes.
        assert!(p.predicate(&st, &cpu_task, &gpu_node).is_ok());
        let hungry = task(Resources::new(17_000, 0));
        assert_eq!(p.predicate(&st, &hungry, &gpu_node), Err(FitReason::Proportional(Dim::Scalar(GPU))));
        let gpu_task = task(Resources::new(17_000, 0).with_scalar(GPU, 1000));
        assert!(p.predicate(&st, &gpu_task, &gpu_node).is_ok());
    }
}
