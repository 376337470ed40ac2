//! Turning a scenario file into a validated [`Scenario`]: quantities and durations parsed, paths
//! resolved, the scheduler configuration loaded and checked.

use super::error::ScenarioError;
use super::schema::{At, RawScenario, Scalar};
use crate::model::devices::{ASCEND310P_AICORES, CardKind, CardSpec, DEFAULT_MAX_SHARES};
use crate::model::quantity::{parse_cpu_milli, parse_memory_bytes, parse_quantity};
use crate::model::resources::{ASCEND310, ASCEND910, EXTENDED_ACCELERATOR_SLOTS, GPU};
use crate::model::scalar_names::ScalarNames;
use crate::model::time::parse_duration;
use crate::model::{DurationMs, JobSpec, NodeGroupAffinity, Pool, Queue, QueueId, QueueState, Resources};
use crate::sched::conf::SchedulerConf;
use crate::sched::node_scan::NodeScan;
use crate::sched::plugins::usage::{USAGE_RATIO_CPU, USAGE_RATIO_MEMORY, parse_ratio};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The policy a run uses.
#[derive(Clone, Debug)]
pub enum Policy {
    /// Volcano with a configuration; `name` is the conf file stem or `inline`.
    Volcano {
        /// Name for reports.
        name: String,
        /// The configuration.
        conf: SchedulerConf,
    },
    /// The stock Kubernetes scheduler baseline.
    KubeDefault,
}

impl Policy {
    /// Whether a configured plugin works on cards (deviceshare, the fragmentation-aware policies):
    /// then the run tracks per-card state.
    pub fn uses_cards(&self) -> bool {
        match self {
            Policy::Volcano { conf, .. } => conf
                .tiers
                .iter()
                .flat_map(|t| &t.plugins)
                .any(|p| crate::sched::plugins::CARD_PLUGINS.contains(&p.name.as_str())),
            Policy::KubeDefault => false,
        }
    }

    /// Name for reports.
    pub fn name(&self) -> &str {
        match self {
            Policy::Volcano { name, .. } => name,
            Policy::KubeDefault => "kube-default",
        }
    }
}

/// Timing and stopping settings.
#[derive(Clone, Debug)]
pub struct RunSettings {
    /// Stop at this simulated time instead of when the workload drains.
    pub until: Option<DurationMs>,
    /// Timeline sampling period.
    pub sample_every: DurationMs,
    /// Bind to pod running.
    pub pod_startup: DurationMs,
    /// PodGroup admitted to pods created.
    pub controller_delay: DurationMs,
    /// Killed or evicted pod to its resources freed (`run.termination_grace`).
    pub termination_grace: DurationMs,
    /// Scheduling cycle period.
    pub schedule_period: DurationMs,
    /// Keep the decision log and write `decisions.csv`.
    pub decisions: bool,
    /// Wall-clock seconds after midnight at t = 0 (`run.start`).
    pub start_of_day_s: u64,
}

/// A validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Name.
    pub name: String,
    /// The file it came from.
    pub path: PathBuf,
    /// Root seed.
    pub seed: u64,
    /// Pools and their node counts.
    pub pools: Vec<(Pool, u32)>,
    /// Declared queues (empty: create from the trace).
    pub queues: Vec<Queue>,
    /// Trace file.
    pub trace: PathBuf,
    /// Its format (`workload.format`, default native).
    pub trace_format: crate::trace::Format,
    /// A synthetic workload generator used instead of the trace (`workload.synth`).
    pub synth: Option<crate::trace::synth::Synth>,
    /// PriorityClass values by name.
    pub priority_classes: BTreeMap<String, i32>,
    /// Volcano Job / PodGroup templates and queues from `workload.templates`.
    pub templates: Option<crate::k8s::objects::Objects>,
    /// Policy.
    pub policy: Policy,
    /// Node scan mode.
    pub node_scan: NodeScan,
    /// Run settings.
    pub run: RunSettings,
    /// Warnings to show the user (unsupported conf entries).
    pub warnings: Vec<String>,
    /// `workload.usage_ratio` as the job annotations it defaults (usage-ratio key → value).
    pub usage_ratio: BTreeMap<String, String>,
    /// The HyperNode tree (`fleet.topology`), if declared.
    pub topology: Option<std::sync::Arc<crate::model::topology::Topology>>,
    /// `workload.network_topology` as the job annotations it defaults.
    pub network_topology: BTreeMap<String, String>,
    /// `fleet.track_cards`: track per-card state even without sharing.
    pub track_cards: bool,
    /// Trace format.
    pub format: TraceFormat,
    /// The nodes of `fleet.node_list`, when the fleet comes from one.
    pub nodes: Option<Vec<crate::trace::openb::OpenbNode>>,
    /// `run.mode: inflate` and its settings.
    pub inflate: Option<crate::sim::inflate::InflateSettings>,
    /// `faults:`, when present.
    pub faults: Option<super::faults::FaultSpec>,
    /// `recovery:` defaults as job annotations.
    pub recovery: super::faults::RecoveryDefaults,
    /// Declared `cost.per_node_hour` by pool name (pools without one cost
    /// [`DEFAULT_NODE_HOUR_COST`]).
    pub node_hour_costs: BTreeMap<String, f64>,
    /// Arrival-rate factor (`--set workload.arrival_scale=1.5`): submit times after the first are
    /// compressed by it, so the trace arrives that much faster. 1 leaves the trace untouched.
    pub arrival_scale: f64,
    /// Names bound to the spare scalar slots (`fleet.pools[].extended`, node lists).
    pub scalar_names: ScalarNames,
    /// Extended accelerator models (`fleet.pools[].extended[].model`) → their slot: a trace row
    /// whose `gpu_model` names one asks for that many units of that resource.
    pub extended_models: BTreeMap<String, usize>,
}

/// Cost of a node-hour for pools that declare none: 1, so a fleet's cost reads as nodes (node-hours
/// per hour).
pub const DEFAULT_NODE_HOUR_COST: f64 = 1.0;

/// The trace's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceFormat {
    /// tephra's native CSV.
    Native,
    /// An openb pod list (each pod a one-pod job).
    Openb,
}

/// Reads a `model,relative_throughput` table; models are matched case-insensitively.
fn read_speeds(path: &Path) -> Result<BTreeMap<String, f64>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.trim().starts_with("model,relative_throughput") => {}
        _ => return Err(format!("{}: expected the header `model,relative_throughput`", path.display())),
    }
    let mut out = BTreeMap::new();
    for (i, l) in lines.filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#')) {
        let f: Vec<&str> = l.split(',').map(str::trim).collect();
        let v: f64 =
            f.get(1).and_then(|v| v.parse().ok()).filter(|v: &f64| *v > 0.0 && v.is_finite()).ok_or_else(|| {
                format!("{}:{}: relative_throughput must be a positive number", path.display(), i + 1)
            })?;
        out.insert(f[0].to_ascii_lowercase(), v);
    }
    Ok(out)
}

/// AI cores per chip of the fleet's Ascend 310P cards (8 when it has none): vNPU requests are
/// shares of a chip, so pools whose 310P chips have different core counts are an error.
fn vnpu_cores(pools: &[(crate::model::node::Pool, u32)]) -> Result<u32, String> {
    let mut found: Option<(u32, &str)> = None;
    for (p, _) in pools {
        let Some(c) = p.cards.as_ref().filter(|c| c.kind == CardKind::Npu310P) else { continue };
        match found {
            Some((u, other)) if u != c.compute_units => {
                return Err(format!(
                    "pools `{other}` and `{}` have Ascend 310P chips of {u} and {} AI cores (compute_units); \
                     a vNPU template's share of a chip would differ between them, which tephra does not model",
                    p.name, c.compute_units
                ));
            }
            Some(_) => {}
            None => found = Some((c.compute_units, &p.name)),
        }
    }
    Ok(found.map_or(ASCEND310P_AICORES, |f| f.0))
}

/// Reads `run.mode` and `run.inflate`: inflate needs an openb node list and pod list.
fn inflate_settings(
    raw: &RawScenario,
    cx: &Ctx<'_>,
    format: TraceFormat,
    has_node_list: bool,
) -> Result<Option<crate::sim::inflate::InflateSettings>, ScenarioError> {
    let Some(r) = &raw.run else { return Ok(None) };
    let inflate = match &r.mode {
        None => false,
        Some(m) if m.value == "simulate" => false,
        Some(m) if m.value == "inflate" => {
            if format != TraceFormat::Openb || !has_node_list {
                return Err(cx.at(m, "run.mode: inflate needs fleet.node_list and workload.format: openb".into()));
            }
            true
        }
        Some(m) => return Err(cx.at(m, format!("run.mode: `{}` is not simulate or inflate", m.value))),
    };
    if !inflate {
        if r.inflate.is_some() {
            return Err(ScenarioError::Input(format!("{}: run.inflate needs run.mode: inflate", cx.file)));
        }
        return Ok(None);
    }
    use crate::sim::inflate::InflateSettings as S;
    let mut s = S::default();
    let field = |name: &str, e: String| ScenarioError::Input(format!("{}: run.inflate.{name}: {e}", cx.file));
    if let Some(i) = &r.inflate {
        if let Some(t) = i.target {
            s.target = S::check_target(t).map_err(|e| field("target", e))?;
        }
        if let Some(seeds) = &i.seeds {
            if seeds.is_empty() {
                return Err(ScenarioError::Input(format!("{}: run.inflate.seeds is empty", cx.file)));
            }
            s.seeds = seeds.clone();
        }
        if let Some(ps) = &i.policies {
            s.policies = Vec::new();
            for p in ps {
                s.policies.push(S::policy(&p.value).map_err(|e| cx.at(p, format!("run.inflate.policies: {e}")))?);
            }
        }
        if let Some(st) = i.step_pct {
            s.step_pct = S::check_step_pct(st).map_err(|e| field("step_pct", e))?;
        }
        if let Some(ts) = i.typical_share {
            s.typical_share = S::check_typical_share(ts).map_err(|e| field("typical_share", e))?;
        }
        if let Some(t) = &i.ties {
            s.ties =
                crate::sim::inflate::Ties::parse(&t.value).map_err(|e| cx.at(t, format!("run.inflate.ties: {e}")))?;
        }
    }
    Ok(Some(s))
}

/// Every `parent` names a declared queue (or the implicit `root`), and following parents always
/// reaches `root`.
fn check_queue_tree(raw: &RawScenario, queues: &[Queue], cx: &Ctx<'_>) -> Result<(), ScenarioError> {
    for (q, raw_q) in queues.iter().zip(raw.queues.iter().flatten()) {
        let Some(at) = &raw_q.parent else { continue };
        if q.name == "root" {
            return Err(cx.at(at, "queues.root.parent: the root queue has no parent".into()));
        }
        let mut seen = vec![q.name.as_str()];
        let mut cur = q.parent.as_deref();
        while let Some(p) = cur {
            if seen.contains(&p) {
                return Err(
                    cx.at(at, format!("queues.{}.parent: parents form a cycle ({} → {p})", q.name, seen.join(" → ")))
                );
            }
            let Some(pq) = queues.iter().find(|x| x.name == p) else {
                return Err(cx.at(at, format!("queues.{}.parent: `{p}` is not a declared queue (nor `root`)", q.name)));
            };
            seen.push(p);
            cur = pq.parent.as_deref();
        }
    }
    Ok(())
}

/// Hierarchical DRF's queue annotations come in pairs of equal length: a path from `root` and one
/// numeric weight per segment (Volcano indexes the weights by segment and fails on a short list).
fn check_hierarchy_annotations(raw: &RawScenario, cx: &Ctx<'_>) -> Result<(), ScenarioError> {
    const PATH: &str = "volcano.sh/hierarchy";
    const WEIGHTS: &str = "volcano.sh/hierarchy-weights";
    for q in raw.queues.iter().flatten() {
        let (path, weights) = (q.annotations.get(PATH), q.annotations.get(WEIGHTS));
        let bad = |m: String| Err(cx.at(&q.name, format!("queues.{}.annotations: {m}", q.name.value)));
        match (path, weights) {
            (None, None) => {}
            (Some(_), None) | (None, Some(_)) => return bad(format!("`{PATH}` and `{WEIGHTS}` go together")),
            (Some(p), Some(w)) => {
                let (segs, ws): (Vec<&str>, Vec<&str>) = (p.split('/').collect(), w.split('/').collect());
                if segs[0] != "root" || segs.iter().any(|s| s.is_empty()) {
                    return bad(format!("`{PATH}: {p}` is not a path from root (`root/a/b`)"));
                }
                if segs.len() != ws.len() {
                    return bad(format!(
                        "`{PATH}: {p}` has {} segments but `{WEIGHTS}: {w}` has {}",
                        segs.len(),
                        ws.len()
                    ));
                }
                if let Some(x) = ws.iter().find(|x| x.trim().parse::<f64>().is_err()) {
                    return bad(format!("`{WEIGHTS}: {w}`: `{x}` is not a number"));
                }
            }
        }
    }
    Ok(())
}

struct Ctx<'a> {
    file: &'a str,
}

impl Ctx<'_> {
    fn at<T>(&self, v: &At<T>, msg: String) -> ScenarioError {
        ScenarioError::At { file: self.file.to_string(), line: v.referenced.line(), msg }
    }

    fn duration(&self, v: &At<Scalar>, key: &str) -> Result<DurationMs, ScenarioError> {
        parse_duration(&v.value.text()).map_err(|m| self.at(v, format!("{key}: {m}")))
    }

    fn resources(
        &self,
        map: &BTreeMap<String, At<Scalar>>,
        key: &str,
        base: Resources,
        names: &ScalarNames,
    ) -> Result<Resources, ScenarioError> {
        let mut r = base;
        for (name, v) in map {
            let text = v.value.text();
            let bad = |m: String| self.at(v, format!("{key}.{name}: {m}"));
            match name.as_str() {
                "cpu" => r.cpu = parse_cpu_milli(&text).map_err(bad)?,
                "memory" => r.memory = parse_memory_bytes(&text).map_err(bad)?,
                other => {
                    let slot = match other {
                        "gpu" => GPU,
                        "npu" => ASCEND910,
                        _ => names.slot(other).ok_or_else(|| {
                            self.at(v, format!("{key}: unknown resource `{other}` (use cpu, memory, gpu, npu, a full name such as nvidia.com/gpu, or an extended resource a fleet pool declares)"))
                        })?,
                    };
                    r.scalars[slot] = (parse_quantity(&text).map_err(bad)? * 1000.0).round() as i64;
                }
            }
        }
        Ok(r)
    }
}

/// Finds a relative path in the current directory, else next to the scenario or in one of its
/// parent folders (so `traces/x.csv` works from the repository root and from `scenarios/`).
pub fn resolve(path: &str, scenario: &Path) -> Option<PathBuf> {
    let p = PathBuf::from(path);
    if p.is_absolute() || p.exists() {
        return p.exists().then_some(p);
    }
    let mut dir = scenario.parent();
    while let Some(d) = dir {
        let candidate = d.join(&p);
        if candidate.exists() {
            return Some(candidate);
        }
        dir = d.parent();
    }
    None
}

/// Loads and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ScenarioError::Input(format!("{file}: cannot read scenario: {e}")))?;
    let raw: RawScenario =
        serde_saphyr::from_str(&text).map_err(|e| ScenarioError::Parse { file: file.clone(), msg: e.to_string() })?;
    let cx = Ctx { file: &file };

    let mut pools = Vec::new();
    let mut node_warnings = Vec::new();
    let mut names = ScalarNames::default();
    if let Some(n) = &raw.fleet.from_nodes {
        let p =
            resolve(&n.value, path).ok_or_else(|| cx.at(n, format!("fleet.from_nodes: `{}` not found", n.value)))?;
        let fleet = crate::k8s::nodes::read(&p).map_err(|m| cx.at(n, format!("fleet.from_nodes: {m}")))?;
        node_warnings = fleet.warnings;
        names = fleet.names;
        pools.extend(fleet.pools);
    }
    let mut extended_models: BTreeMap<String, usize> = BTreeMap::new();
    // A node list's pool whose only accelerator is an extended one: its model label names it.
    for (pool, _) in &pools {
        let a = &pool.allocatable;
        let ext: Vec<usize> = EXTENDED_ACCELERATOR_SLOTS.iter().copied().filter(|s| a.scalars[*s] > 0).collect();
        if let (Some(m), [slot]) = (&pool.accelerator_model, ext.as_slice())
            && a.scalars[GPU] + a.scalars[ASCEND910] + a.scalars[ASCEND310] == 0
        {
            extended_models.insert(m.clone(), *slot);
        }
    }
    let mut node_hour_costs: BTreeMap<String, f64> = BTreeMap::new();
    let mut node_list = None;
    if let Some(nl) = &raw.fleet.node_list {
        if !raw.fleet.pools.is_empty() || raw.fleet.from_nodes.is_some() {
            return Err(cx.at(nl, "fleet: give pools (or from_nodes) or node_list, not both".into()));
        }
        let p =
            resolve(&nl.value, path).ok_or_else(|| cx.at(nl, format!("fleet.node_list: `{}` not found", nl.value)))?;
        let nodes = crate::trace::openb::read_nodes(&p).map_err(|e| ScenarioError::Input(e.to_string()))?;
        pools = super::node_list::pools_of(&nodes);
        if pools.len() > 64 {
            return Err(cx.at(nl, format!("fleet.node_list: {} kinds of node; at most 64 pools", pools.len())));
        }
        node_list = Some((p, nodes));
    } else if raw.fleet.pools.is_empty() && pools.is_empty() {
        return Err(ScenarioError::Input(format!("{file}: fleet.pools is empty")));
    }
    if raw.fleet.pools.len() + pools.len() > 64 {
        return Err(ScenarioError::Input(format!("{file}: at most 64 pools are supported")));
    }
    let speeds = match &raw.fleet.speeds {
        None => BTreeMap::new(),
        Some(at) => {
            let f =
                resolve(&at.value, path).ok_or_else(|| cx.at(at, format!("fleet.speeds: `{}` not found", at.value)))?;
            read_speeds(&f).map_err(|m| cx.at(at, format!("fleet.speeds: {m}")))?
        }
    };
    for p in &raw.fleet.pools {
        let name = p.name.value.clone();
        if pools.iter().any(|(q, _): &(Pool, u32)| q.name == name) {
            return Err(cx.at(&p.name, format!("pool `{name}` declared twice")));
        }
        let cpu =
            parse_cpu_milli(&p.cpu.value.text()).map_err(|m| cx.at(&p.cpu, format!("fleet.pools.{name}.cpu: {m}")))?;
        let memory = parse_memory_bytes(&p.memory.value.text())
            .map_err(|m| cx.at(&p.memory, format!("fleet.pools.{name}.memory: {m}")))?;
        let mut allocatable = Resources::new(cpu, memory);
        let mut model = None;
        let mut labels = p.labels.clone();
        labels.insert("tephra.io/pool".into(), name.clone());
        if p.gpu.is_some() && p.npu.is_some() {
            return Err(cx.at(&p.name, format!("pool `{name}` has both gpu and npu; split it into two pools")));
        }
        if let Some(g) = &p.gpu {
            allocatable.scalars[GPU] = g.count as i64 * 1000;
            model = Some(g.model.clone());
            labels.insert("nvidia.com/gpu.product".into(), g.model.clone());
        }
        if let Some(n) = &p.npu {
            let slot = if n.model.to_ascii_lowercase().starts_with("ascend310") { ASCEND310 } else { ASCEND910 };
            allocatable.scalars[slot] = n.count as i64 * 1000;
            model = Some(n.model.clone());
            labels.insert("accelerator".into(), n.model.clone());
        }
        for e in &p.extended {
            let key = format!("fleet.pools.{name}.extended.{}", e.name.value);
            let slot = names.bind(&e.name.value, e.accelerator).map_err(|m| cx.at(&e.name, format!("{key}: {m}")))?;
            let text = e.count.value.text();
            let amount = parse_quantity(&text).map_err(|m| cx.at(&e.count, format!("{key}.count: {m}")))?;
            if !(amount >= 0.0 && amount.is_finite()) {
                return Err(cx.at(&e.count, format!("{key}.count: `{text}` must be a number ≥ 0")));
            }
            if allocatable.scalars[slot] != 0 {
                return Err(cx.at(&e.name, format!("{key}: pool `{name}` already has this resource")));
            }
            allocatable.scalars[slot] = (amount * 1000.0).round() as i64;
            let accel = ScalarNames::is_accelerator(slot);
            if accel && (p.gpu.is_some() || p.npu.is_some()) {
                return Err(cx.at(
                    &e.name,
                    format!("{key}: pool `{name}` has gpu or npu and another accelerator; split it into two pools"),
                ));
            }
            if let Some(m) = &e.model {
                if !accel {
                    return Err(cx.at(&e.name, format!("{key}.model: only an accelerator has a model")));
                }
                if model.as_ref().is_some_and(|old| old != m) {
                    return Err(cx.at(&e.name, format!("{key}.model: pool `{name}` already has model `{}`", m)));
                }
                match extended_models.insert(m.clone(), slot) {
                    Some(s) if s != slot => {
                        return Err(
                            cx.at(&e.name, format!("{key}.model: `{m}` is already the model of another resource"))
                        );
                    }
                    _ => {}
                }
                model = Some(m.clone());
                labels.insert("accelerator".into(), m.clone());
            }
        }
        let mut cards = None;
        for (acc, is_gpu) in [(&p.gpu, true), (&p.npu, false)] {
            let Some(acc) = acc else { continue };
            let mut memory_mib = 0;
            if let Some(m) = &acc.memory {
                memory_mib = parse_memory_bytes(&m.value.text())
                    .map_err(|e| cx.at(m, format!("fleet.pools.{name}: memory: {e}")))?
                    / (1024 * 1024);
            }
            let kind = if is_gpu {
                CardKind::Gpu
            } else if acc.model.to_ascii_lowercase().starts_with("ascend310") {
                CardKind::Npu310P
            } else {
                CardKind::Npu910
            };
            if kind == CardKind::Npu310P && memory_mib == 0 {
                memory_mib = 24 * 1024;
            }
            if acc.count > 64 {
                return Err(cx.at(&p.name, format!("pool `{name}`: at most 64 cards per node")));
            }
            // AI cores per chip are what 310P vNPU templates take; GPU and 910 shares are fractions
            // of a card, so a count of compute units would have no effect there.
            let units = match (acc.compute_units, kind) {
                (None, CardKind::Npu310P) => ASCEND310P_AICORES,
                (None, _) => 0,
                (Some(u), CardKind::Npu310P) if (1..=64).contains(&u) => u,
                (Some(u), CardKind::Npu310P) => {
                    return Err(cx.at(&p.name, format!("pool `{name}`: compute_units {u}: AI cores per chip, 1 to 64")));
                }
                (Some(_), _) => {
                    return Err(cx.at(
                        &p.name,
                        format!(
                            "pool `{name}`: compute_units applies to Ascend 310P cards only (AI cores per chip, \
                             taken by vNPU templates); GPU and Ascend 910 shares are fractions of a card"
                        ),
                    ));
                }
            };
            let max_shares = acc.max_shares.unwrap_or(DEFAULT_MAX_SHARES).max(1);
            let speed = match acc.speed {
                None => speeds.get(&acc.model.to_ascii_lowercase()).copied().unwrap_or(1.0),
                Some(v) if v > 0.0 && v.is_finite() => v,
                Some(v) => return Err(cx.at(&p.name, format!("pool `{name}`: speed {v} must be positive"))),
            };
            cards = Some(CardSpec {
                kind,
                model: acc.model.clone(),
                count: acc.count,
                memory_mib,
                compute_units: units,
                max_shares,
                speed_milli: (speed * 1000.0).round().max(1.0) as u64,
            });
        }
        let max_pods = p.max_pods.unwrap_or(110);
        if let Some(c) = &p.cost {
            if !(c.per_node_hour.is_finite() && c.per_node_hour >= 0.0) {
                return Err(cx.at(&p.name, format!("pool `{name}`: cost.per_node_hour must be a number ≥ 0")));
            }
            node_hour_costs.insert(name.clone(), c.per_node_hour);
        }
        let pool = Pool { name, allocatable, accelerator_model: model, labels, max_pods, cards };
        pools.push((pool, p.count));
    }

    let topology = match &raw.fleet.topology {
        None => None,
        Some(t) => {
            let err = |m: &str| cx.at(t, m.to_string());
            Some(std::sync::Arc::new(super::topology::build(t, &pools, path, &err)?))
        }
    };
    let mut network_topology = BTreeMap::new();
    if let Some(nt) = &raw.workload.network_topology {
        use crate::model::annotations::{NETWORK_TOPOLOGY_HIGHEST_TIER, NETWORK_TOPOLOGY_MODE, TopologyMode};
        let mode = TopologyMode::parse(&nt.mode.value).ok_or_else(|| {
            cx.at(&nt.mode, format!("workload.network_topology.mode: `{}` is not hard or soft", nt.mode.value))
        })?;
        let tier = match (&nt.highest_tier_allowed, &nt.highest_tier_name) {
            (Some(_), Some(n)) => {
                return Err(
                    cx.at(n, "workload.network_topology: give highestTierAllowed or highestTierName, not both".into())
                );
            }
            (Some(t), None) if t.value == 0 => {
                return Err(cx.at(t, "workload.network_topology.highestTierAllowed: tiers start at 1".into()));
            }
            (Some(t), None) => Some(t.value),
            (None, Some(n)) => {
                let known = topology.as_ref().map(|t| t.tier_names.clone()).unwrap_or_default();
                let tier = known.get(&n.value).copied().ok_or_else(|| {
                    let names: Vec<&String> = known.keys().collect();
                    cx.at(
                        n,
                        format!(
                            "workload.network_topology.highestTierName: no tier is named `{}` (named tiers: {names:?})",
                            n.value
                        ),
                    )
                })?;
                Some(tier)
            }
            (None, None) => None,
        };
        let mode = match mode {
            TopologyMode::Hard => "hard",
            TopologyMode::Soft => "soft",
        };
        network_topology.insert(NETWORK_TOPOLOGY_MODE.to_string(), mode.to_string());
        if let Some(t) = tier {
            network_topology.insert(NETWORK_TOPOLOGY_HIGHEST_TIER.to_string(), t.to_string());
        }
    }

    let mut queues = Vec::new();
    for q in raw.queues.iter().flatten() {
        let name = q.name.value.clone();
        if queues.iter().any(|x: &Queue| x.name == name) {
            return Err(cx.at(&q.name, format!("queue `{name}` declared twice")));
        }
        let mut queue = Queue::new(QueueId(queues.len() as u32), name.clone());
        queue.weight = q.weight.unwrap_or(1).max(1);
        if let Some(m) = &q.capability {
            queue.capability = cx.resources(m, &format!("queues.{name}.capability"), Resources::UNBOUNDED, &names)?;
        }
        if let Some(m) = &q.guarantee {
            queue.guarantee = cx.resources(m, &format!("queues.{name}.guarantee"), Resources::ZERO, &names)?;
        }
        if let Some(m) = &q.deserved {
            queue.deserved = Some(cx.resources(m, &format!("queues.{name}.deserved"), Resources::UNBOUNDED, &names)?);
        }
        queue.priority = q.priority.unwrap_or(0);
        queue.reclaimable = q.reclaimable.unwrap_or(true);
        queue.parent = q.parent.as_ref().map(|p| p.value.clone()).filter(|p| p != "root" || name == "root");
        queue.annotations = q.annotations.clone();
        queue.affinity = q.affinity.as_ref().map(|a| {
            let terms = |t: &Option<super::schema::RawNodeGroupTerms>| {
                t.as_ref()
                    .map(|t| {
                        (
                            t.required_during_scheduling_ignored_during_execution.clone(),
                            t.preferred_during_scheduling_ignored_during_execution.clone(),
                        )
                    })
                    .unwrap_or_default()
            };
            let (required, preferred) = terms(&a.node_group_affinity);
            let (anti_required, anti_preferred) = terms(&a.node_group_anti_affinity);
            NodeGroupAffinity { required, preferred, anti_required, anti_preferred }
        });
        if let Some(s) = &q.state {
            queue.state = match s.value.as_str() {
                "open" | "Open" => QueueState::Open,
                "closed" | "Closed" => QueueState::Closed,
                other => return Err(cx.at(s, format!("queues.{name}.state: `{other}` is not open or closed"))),
            };
        }
        queues.push(queue);
    }
    let mut priority_classes = raw.priority_classes.clone();
    let objects = match &raw.workload.templates {
        None => None,
        Some(t_at) => {
            let p = resolve(&t_at.value, path)
                .ok_or_else(|| cx.at(t_at, format!("workload.templates: `{}` not found", t_at.value)))?;
            let mut o = crate::k8s::objects::read(&p, &raw.priority_classes, &names).map_err(ScenarioError::Input)?;
            // `highestTierName` → the tier it names in the declared topology (Volcano translates
            // it at session open and leaves an unknown name untranslated; tephra rejects it).
            for t in o.templates.values_mut() {
                let Some(nt) = &mut t.network_topology else { continue };
                let Some(n) = &nt.highest_tier_name else { continue };
                let known = topology.as_ref().map(|tp| tp.tier_names.clone()).unwrap_or_default();
                let tier = known.get(n).copied().ok_or_else(|| {
                    let names: Vec<&String> = known.keys().collect();
                    cx.at(
                        t_at,
                        format!(
                            "workload.templates: template `{}`: spec.networkTopology.highestTierName: no tier is named `{n}` (named tiers: {names:?})",
                            t.name
                        ),
                    )
                })?;
                nt.highest_tier = Some(tier);
            }
            if raw.queues.is_none() {
                queues = o.queues.clone();
            }
            priority_classes = o.priority_classes.clone();
            Some(o)
        }
    };
    check_queue_tree(&raw, &queues, &cx)?;
    check_hierarchy_annotations(&raw, &cx)?;

    let trace_format = match &raw.workload.format {
        None => crate::trace::Format::Native,
        Some(f) if f.value == "auto" => crate::trace::Format::Native,
        Some(f) => crate::trace::Format::parse(&f.value).map_err(|m| cx.at(f, format!("workload.format: {m}")))?,
    };
    let format = if trace_format == crate::trace::Format::Openb { TraceFormat::Openb } else { TraceFormat::Native };
    let mut usage_ratio = BTreeMap::new();
    for (name, v) in raw.workload.usage_ratio.iter().flatten() {
        let key = match name.as_str() {
            "cpu" => USAGE_RATIO_CPU,
            "memory" => USAGE_RATIO_MEMORY,
            other => {
                return Err(cx.at(v, format!("workload.usage_ratio: unknown resource `{other}` (cpu or memory)")));
            }
        };
        let text = v.value.text();
        parse_ratio(&text).map_err(|m| cx.at(v, format!("workload.usage_ratio.{name}: {m}")))?;
        usage_ratio.insert(key.to_string(), text);
    }
    let synth = match (&raw.workload.trace, &raw.workload.synth) {
        (Some(_), Some(sy)) => return Err(cx.at(sy, "workload: give trace or synth, not both".into())),
        (None, None) => return Err(ScenarioError::Input(format!("{file}: workload: give a trace or a synth section"))),
        (None, Some(sy)) => Some(
            crate::trace::synth::Synth::from_spec(&sy.value, raw.seed.unwrap_or(1))
                .map_err(|e| cx.at(sy, format!("workload.synth: {}", e.msg)))?,
        ),
        (Some(_), None) => None,
    };
    let trace = match &raw.workload.trace {
        None => PathBuf::new(),
        Some(t) => resolve(&t.value, path).ok_or_else(|| {
            cx.at(
                t,
                format!(
                    "workload.trace: `{}` not found (looked in the current folder and next to the scenario)",
                    t.value
                ),
            )
        })?,
    };

    let mut warnings = Vec::new();
    let mut node_scan = NodeScan::Volcano;
    let mut schedule_period = DurationMs(1000);
    let policy = match &raw.scheduler {
        None => {
            let conf =
                SchedulerConf::parse(DEFAULT_CONF, "built-in volcano-default.conf").map_err(ScenarioError::Input)?;
            Policy::Volcano { name: "volcano-default".into(), conf }
        }
        Some(s) => {
            if let Some(m) = &s.node_scan {
                node_scan = match m.value.as_str() {
                    "volcano" => NodeScan::Volcano,
                    "exhaustive" => NodeScan::Exhaustive,
                    other => {
                        return Err(cx.at(m, format!("scheduler.node_scan: `{other}` is not volcano or exhaustive")));
                    }
                };
            }
            if let Some(p) = &s.schedule_period {
                schedule_period = cx.duration(p, "scheduler.schedule_period")?;
                if schedule_period.0 == 0 {
                    return Err(cx.at(p, "scheduler.schedule_period must be positive".into()));
                }
            }
            let kube = match &s.policy {
                None => false,
                Some(p) if p.value == "volcano" => false,
                Some(p) if p.value == "kube-default" => true,
                Some(p) => {
                    return Err(cx.at(p, format!("scheduler.policy: `{}` is not volcano or kube-default", p.value)));
                }
            };
            match (kube, &s.conf, &s.inline) {
                (true, None, None) => Policy::KubeDefault,
                (true, _, _) => {
                    return Err(ScenarioError::Input(format!(
                        "{file}: scheduler: kube-default takes no conf or inline"
                    )));
                }
                (false, Some(_), Some(_)) => {
                    return Err(ScenarioError::Input(format!("{file}: scheduler: give conf or inline, not both")));
                }
                (false, Some(c), None) => {
                    let p = resolve(&c.value, path)
                        .ok_or_else(|| cx.at(c, format!("scheduler.conf: `{}` not found", c.value)))?;
                    load_conf(&p)?
                }
                (false, None, Some(inline)) => {
                    let conf = SchedulerConf::from_raw(inline.clone(), &format!("{file}: scheduler.inline"))
                        .map_err(ScenarioError::Input)?;
                    Policy::Volcano { name: "inline".into(), conf }
                }
                (false, None, None) => {
                    let conf = SchedulerConf::parse(DEFAULT_CONF, "built-in volcano-default.conf")
                        .map_err(ScenarioError::Input)?;
                    Policy::Volcano { name: "volcano-default".into(), conf }
                }
            }
        }
    };
    if let Policy::Volcano { conf, .. } = &policy {
        warnings.extend(conf.warnings.iter().cloned());
    }
    warnings.extend(node_warnings);
    if let Some(o) = &objects {
        warnings.extend(o.warnings.iter().cloned());
    }

    let mut run = RunSettings {
        until: None,
        sample_every: DurationMs(300_000),
        pod_startup: DurationMs(5_000),
        controller_delay: DurationMs(0),
        termination_grace: crate::sim::TERMINATION_GRACE,
        schedule_period,
        decisions: false,
        start_of_day_s: 0,
    };
    if let Some(r) = &raw.run {
        if let Some(u) = &r.until
            && u.value.text() != "drained"
        {
            run.until = Some(cx.duration(u, "run.until")?);
        }
        if let Some(v) = &r.sample_every {
            run.sample_every = cx.duration(v, "run.sample_every")?;
            if run.sample_every.0 == 0 {
                return Err(cx.at(v, "run.sample_every must be positive".into()));
            }
        }
        if let Some(v) = &r.pod_startup {
            run.pod_startup = cx.duration(v, "run.pod_startup")?;
        }
        run.decisions = r.decisions.unwrap_or(false);
        if let Some(v) = &r.controller_delay {
            run.controller_delay = cx.duration(v, "run.controller_delay")?;
        }
        if let Some(v) = &r.termination_grace {
            run.termination_grace = cx.duration(v, "run.termination_grace")?;
        }
        if let Some(v) = &r.start {
            run.start_of_day_s =
                crate::model::Clock::parse_start(&v.value).map_err(|m| cx.at(v, format!("run.start: {m}")))?;
        }
    }
    let inflate = inflate_settings(&raw, &cx, format, node_list.is_some())?;

    let fcx = super::faults::Cx { file: &file };
    let faults = match &raw.faults {
        Some(f) => {
            let names: Vec<String> = pools.iter().map(|(p, _)| p.name.clone()).collect();
            let counts: Vec<u32> = pools.iter().map(|(_, c)| *c).collect();
            Some(super::faults::load_faults(f, &names, &counts, path, &fcx)?)
        }
        None => None,
    };
    let recovery = match &raw.recovery {
        Some(r) => {
            let declared: Vec<String> = queues.iter().map(|q| q.name.clone()).collect();
            super::faults::load_recovery(r, (!declared.is_empty()).then_some(declared.as_slice()), &fcx)?
        }
        None => Default::default(),
    };

    vnpu_cores(&pools).map_err(|m| ScenarioError::Input(format!("{file}: fleet.pools: {m}")))?;
    Ok(Scenario {
        faults,
        recovery,
        name: raw.name,
        path: path.to_path_buf(),
        seed: raw.seed.unwrap_or(1),
        pools,
        queues,
        trace_format: match &raw.workload.format {
            Some(f) if f.value == "auto" && synth.is_none() => {
                crate::trace::format::detect(&trace).map_err(|e| ScenarioError::Input(e.to_string()))?
            }
            _ => trace_format,
        },
        trace,
        synth,
        priority_classes,
        templates: objects,
        policy,
        node_scan,
        run,
        warnings,
        usage_ratio,
        topology,
        network_topology,
        track_cards: raw.fleet.track_cards.unwrap_or(false),
        format,
        nodes: node_list.map(|(_, n)| n),
        inflate,
        node_hour_costs,
        arrival_scale: 1.0,
        scalar_names: names,
        extended_models,
    })
}

/// Volcano's shipped default configuration (`scenarios/conf/volcano-default.conf`), built in so a
/// scenario without a `scheduler` section behaves like a stock install.
pub const DEFAULT_CONF: &str = include_str!("../../scenarios/conf/volcano-default.conf");

/// Loads a `volcano-scheduler.conf` file as a Volcano policy named after the file.
pub fn load_conf(path: &Path) -> Result<Policy, ScenarioError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ScenarioError::Input(format!("{}: cannot read scheduler conf: {e}", path.display())))?;
    let conf = SchedulerConf::parse(&text, &path.display().to_string()).map_err(ScenarioError::Input)?;
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "conf".into());
    Ok(Policy::Volcano { name, conf })
}

/// Compresses submit times by `factor` around the first submission (`first + (t − first) / factor`,
/// rounded to the millisecond): the same jobs arriving `factor` times as fast. Order is kept.
pub fn scale_arrivals(jobs: &mut [JobSpec], factor: f64) {
    let Some(first) = jobs.iter().map(|j| j.submit.0).min() else { return };
    for j in jobs.iter_mut() {
        let delta = (j.submit.0 - first) as f64 / factor;
        j.submit = crate::model::SimTime(first + delta.round() as u64);
    }
}

impl Scenario {
    /// Cost of one node-hour of `pool` (declared, else [`DEFAULT_NODE_HOUR_COST`]).
    pub fn node_hour_cost(&self, pool: &str) -> f64 {
        self.node_hour_costs.get(pool).copied().unwrap_or(DEFAULT_NODE_HOUR_COST)
    }

    /// Cost of the fleet for one hour: Σ nodes × cost per node-hour over pools.
    pub fn fleet_cost_per_hour(&self) -> f64 {
        self.pools.iter().map(|(p, n)| *n as f64 * self.node_hour_cost(&p.name)).sum()
    }

    /// Reads the workload trace; jobs without their own usage-ratio annotations get the
    /// scenario's `workload.usage_ratio`, and every usage ratio must be a non-negative number.
    pub fn load_jobs(&self) -> Result<Vec<JobSpec>, ScenarioError> {
        let slice = crate::trace::load::Slice::default();
        let mut jobs = match (&self.synth, self.format) {
            (Some(s), _) => {
                let file = format!("{} (workload.synth)", self.path.display());
                let run_seeded;
                let s = if s.seed_follows_run && s.seed != self.seed {
                    run_seeded = crate::trace::synth::Synth { seed: self.seed, ..s.clone() };
                    &run_seeded
                } else {
                    s
                };
                s.generate().iter().map(|j| j.to_spec(0.0, &file)).collect()
            }
            // openb pod lists become one-pod jobs in the `default` queue, by creation time.
            (None, TraceFormat::Openb) => {
                let pods =
                    crate::trace::openb::read_pods(&self.trace).map_err(|e| ScenarioError::Input(e.to_string()))?;
                let file = self.trace.display().to_string();
                let mut jobs: Vec<JobSpec> =
                    pods.iter().enumerate().map(|(i, p)| p.job("default", format!("{file}:{}", i + 2))).collect();
                jobs.sort_by_key(|j| j.submit);
                jobs
            }
            (None, TraceFormat::Native) => {
                crate::trace::load::load_jobs(&self.trace, self.trace_format, &self.priority_classes, &slice)
                    .map_err(|e| ScenarioError::Input(e.to_string()))?
            }
        };
        if let Some(o) = &self.templates {
            crate::k8s::objects::expand(&mut jobs, o).map_err(ScenarioError::Input)?;
        }
        super::extended_requests::apply(&mut jobs, &self.scalar_names, &self.extended_models)
            .map_err(ScenarioError::Input)?;
        let cores = vnpu_cores(&self.pools).map_err(ScenarioError::Input)?;
        if cores != ASCEND310P_AICORES {
            for job in &mut jobs {
                crate::trace::device_requests::rescale_vnpu(&mut job.roles, cores);
            }
        }
        for job in &mut jobs {
            for key in [USAGE_RATIO_CPU, USAGE_RATIO_MEMORY] {
                if let Some(v) = job.annotations.get(key) {
                    parse_ratio(v)
                        .map_err(|m| ScenarioError::Input(format!("{}: annotation {key}: {m}", job.origin)))?;
                } else if let Some(v) = self.usage_ratio.get(key) {
                    job.annotations.insert(key.to_string(), v.clone());
                }
            }
            // The scenario's constraint applies to jobs that set none of their own.
            use crate::model::annotations::{NETWORK_TOPOLOGY_HIGHEST_TIER, NETWORK_TOPOLOGY_MODE};
            if !job.annotations.contains_key(NETWORK_TOPOLOGY_MODE)
                && !job.annotations.contains_key(NETWORK_TOPOLOGY_HIGHEST_TIER)
            {
                for (k, v) in &self.network_topology {
                    job.annotations.insert(k.clone(), v.clone());
                }
            }
            let queue_defaults = self.recovery.queues.get(&job.queue);
            for (k, v) in queue_defaults.into_iter().flatten().chain(&self.recovery.all) {
                job.annotations.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        if self.arrival_scale != 1.0 {
            scale_arrivals(&mut jobs, self.arrival_scale);
        }
        Ok(jobs)
    }
}
