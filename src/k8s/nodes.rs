//! A fleet from `kubectl get nodes -o json`: nodes with the same allocatable resources,
//! accelerator model, pool-defining labels and taints become one pool.
//!
//! | pool field | from |
//! |---|---|
//! | allocatable | `status.allocatable` (`cpu`, `memory`, `nvidia.com/gpu`, `huawei.com/Ascend910`, …; `pods` → max pods) |
//! | accelerator model | label `nvidia.com/gpu.product` (or `accelerator`) |
//! | labels | `node.kubernetes.io/instance-type`, `topology.kubernetes.io/zone`, the model label, `volcano.sh/nodegroup-name` |
//! | pool name | the instance type or model, lower-cased (`-tainted` for tainted nodes), numbered when several pools share it |
//!
//! Extended resources other than the built-in ones (`kunlunxin.com/xpu`, `vpc.amazonaws.com/efa`,
//! `rdma/hca`) are bound to the spare scalar slots in the order met (nodes in file order, names
//! sorted): the known accelerator names (`crate::model::scalar_names::KNOWN_ACCELERATORS`) as
//! accelerators — an error when their slots are full — and others while slots remain, with a
//! warning naming those left out.
//!
//! Taints are not simulated (pods carry no tolerations in tephra): tainted nodes get their own
//! pool with a `tephra.io/taints` label, and a warning says so. Unschedulable (cordoned) nodes
//! are left out with a warning.

use super::resources::{quantity_text, resource_list};
use crate::model::devices::{ASCEND310P_AICORES, CardKind, CardSpec, DEFAULT_MAX_SHARES};
use crate::model::resources::{ASCEND310, ASCEND910, GPU, SCALAR_SLOTS};
use crate::model::scalar_names::{KNOWN_ACCELERATORS, ScalarNames};
use crate::model::{Pool, Resources};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Labels that define a pool (the rest vary per node: hostname, ids).
pub const POOL_LABELS: [&str; 5] = [
    "node.kubernetes.io/instance-type",
    "topology.kubernetes.io/zone",
    "nvidia.com/gpu.product",
    "accelerator",
    "volcano.sh/nodegroup-name",
];

/// Pools read from a node list, with their node counts, and warnings.
#[derive(Clone, Debug)]
pub struct Fleet {
    /// Pools and node counts, in a stable order (by pool key).
    pub pools: Vec<(Pool, u32)>,
    /// Things the simulation will not reproduce.
    pub warnings: Vec<String>,
    /// The extended resources the nodes carry, bound to spare slots.
    pub names: ScalarNames,
}

/// Reads a `kubectl get nodes -o json` file.
pub fn read(path: &Path) -> Result<Fleet, String> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{file}: {e}"))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{file}:{}: {e}", e.line()))?;
    parse(&v, &file)
}

/// Groups the nodes of a `NodeList` (or a single `Node`) into pools.
pub fn parse(v: &Value, file: &str) -> Result<Fleet, String> {
    let items: Vec<&Value> = match v.get("items").and_then(Value::as_array) {
        Some(a) => a.iter().collect(),
        None if v.get("kind").and_then(Value::as_str) == Some("Node") => vec![v],
        None => return Err(format!("{file}: not a NodeList (`kubectl get nodes -o json`)")),
    };
    if items.is_empty() {
        return Err(format!("{file}: the node list is empty"));
    }
    type Key = ((i64, i64, [i64; SCALAR_SLOTS]), u32, Option<String>, BTreeMap<String, String>);
    let mut groups: BTreeMap<Key, (u32, String)> = BTreeMap::new();
    let mut warnings = Vec::new();
    let mut ignored_resources = std::collections::BTreeSet::new();
    let mut names = ScalarNames::default();
    for (i, n) in items.iter().enumerate() {
        let name = n.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("?").to_string();
        let at = format!("{file}: items[{i}] ({name})");
        if n.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
            warnings.push(format!("{at}: cordoned (unschedulable), left out"));
            continue;
        }
        let alloc = n.pointer("/status/allocatable").ok_or_else(|| format!("{at}: no status.allocatable"))?;
        for k in alloc.as_object().into_iter().flat_map(|m| m.keys()) {
            let k = k.as_str();
            if matches!(k, "cpu" | "memory" | "pods")
                || super::resources::IGNORED.contains(&k)
                || names.slot(k).is_some()
            {
                continue;
            }
            match names.bind(k, None) {
                Ok(_) => {}
                Err(m) if KNOWN_ACCELERATORS.contains(&k) => return Err(format!("{at}: status.allocatable.{k}: {m}")),
                Err(_) => {}
            }
        }
        let (r, ignored) = resource_list(alloc, &format!("{at}: status.allocatable"), &names)?;
        ignored_resources.extend(ignored);
        let max_pods = match alloc.get("pods").and_then(quantity_text) {
            Some(p) => p.parse::<u32>().map_err(|_| format!("{at}: status.allocatable.pods: `{p}` is not a count"))?,
            None => 110,
        };
        let labels_v = n.pointer("/metadata/labels").and_then(Value::as_object);
        let mut labels = BTreeMap::new();
        for k in POOL_LABELS {
            if let Some(v) = labels_v.and_then(|l| l.get(k)).and_then(Value::as_str) {
                labels.insert(k.to_string(), v.to_string());
            }
        }
        let model = labels.get("nvidia.com/gpu.product").or_else(|| labels.get("accelerator")).cloned();
        let taints: Vec<String> = n
            .pointer("/spec/taints")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|t| {
                let s = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or("");
                format!("{}={}:{}", s("key"), s("value"), s("effect"))
            })
            .collect();
        if !taints.is_empty() {
            labels.insert("tephra.io/taints".into(), taints.join(","));
        }
        let accel = r.accelerators();
        let base = labels
            .get("node.kubernetes.io/instance-type")
            .cloned()
            .or_else(|| model.clone())
            .unwrap_or_else(|| if accel > 0 { "gpu".into() } else { "cpu".into() });
        groups.entry(((r.cpu, r.memory, r.scalars), max_pods, model, labels)).or_insert((0, base)).0 += 1;
    }
    if !ignored_resources.is_empty() {
        warnings.push(format!(
            "{file}: extended resources not simulated: {}",
            ignored_resources.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    let mut pools = Vec::new();
    let mut used: BTreeMap<String, u32> = BTreeMap::new();
    for (((cpu, memory, scalars), max_pods, model, mut labels), (count, base)) in groups {
        let allocatable = Resources { cpu, memory, scalars };
        let mut base: String =
            base.to_ascii_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
        if labels.contains_key("tephra.io/taints") {
            base.push_str("-tainted");
        }
        let k = used.entry(base.clone()).or_default();
        *k += 1;
        let name = if *k == 1 { base } else { format!("{base}-{k}") };
        if let Some(t) = labels.get("tephra.io/taints") {
            warnings.push(format!("pool `{name}`: taints {t} are not simulated (pods have no tolerations)"));
        }
        labels.insert("tephra.io/pool".into(), name.clone());
        let cards = card_spec(&allocatable, model.as_deref());
        pools.push((Pool { name, allocatable, accelerator_model: model, labels, max_pods, cards }, count));
    }
    if pools.is_empty() {
        return Err(format!("{file}: no schedulable nodes"));
    }
    Ok(Fleet { pools, warnings, names })
}

/// The cards of a node with whole GPUs or NPUs, so that per-card tracking (sharing workloads,
/// device plugins, `fleet.track_cards`) can place whole-card pods on it: without a card spec no
/// card request fits. Memory per card is unknown from `status.allocatable` (0: memory-based
/// sharing cannot use these cards); an Ascend 310 gets the 310P defaults a scenario pool gets.
fn card_spec(r: &Resources, model: Option<&str>) -> Option<CardSpec> {
    let (kind, units) = [(CardKind::Gpu, GPU), (CardKind::Npu910, ASCEND910), (CardKind::Npu310P, ASCEND310)]
        .into_iter()
        .find(|(_, s)| r.scalars[*s] > 0)?;
    let count = (r.scalars[units] / 1000) as u32;
    if count == 0 || count > 64 || r.scalars[units] % 1000 != 0 {
        return None;
    }
    let p310 = kind == CardKind::Npu310P;
    Some(CardSpec {
        kind,
        model: model.unwrap_or("unknown").to_string(),
        count,
        memory_mib: if p310 { 24 * 1024 } else { 0 },
        compute_units: if p310 { ASCEND310P_AICORES } else { 0 },
        max_shares: DEFAULT_MAX_SHARES,
        speed_milli: 1000,
    })
}

/// The pools as a scenario `fleet:` section.
pub fn to_yaml(f: &Fleet) -> String {
    use crate::trace::write::{cpu_text, memory_text};
    let mut s = String::from("fleet:\n  pools:\n");
    for (p, count) in &f.pools {
        let r = &p.allocatable;
        s.push_str(&format!(
            "    - {{ name: {}, count: {count}, cpu: {}, memory: {}",
            p.name,
            cpu_text(r.cpu),
            memory_text(r.memory)
        ));
        let model = p.accelerator_model.as_deref().unwrap_or("unknown");
        if r.scalars[GPU] > 0 {
            s.push_str(&format!(", gpu: {{ model: {model}, count: {} }}", r.scalars[GPU] / 1000));
        } else if r.scalars[ASCEND910] + r.scalars[ASCEND310] > 0 {
            s.push_str(&format!(
                ", npu: {{ model: {model}, count: {} }}",
                (r.scalars[ASCEND910] + r.scalars[ASCEND310]) / 1000
            ));
        }
        let extended: Vec<String> = f
            .names
            .extended()
            .filter(|(slot, _)| r.scalars[*slot] > 0)
            .map(|(slot, name)| {
                let v = r.scalars[slot];
                let count = if v % 1000 == 0 { format!("{}", v / 1000) } else { format!("{}m", v) };
                let accel = ScalarNames::is_accelerator(slot);
                let plain = r.scalars[GPU] + r.scalars[ASCEND910] + r.scalars[ASCEND310] == 0;
                match p.accelerator_model.as_deref().filter(|_| accel && plain) {
                    Some(m) => format!("{{ name: {name}, count: {count}, accelerator: true, model: {m} }}"),
                    None => format!("{{ name: {name}, count: {count}, accelerator: {accel} }}"),
                }
            })
            .collect();
        if !extended.is_empty() {
            s.push_str(&format!(", extended: [{}]", extended.join(", ")));
        }
        if p.max_pods != 110 {
            s.push_str(&format!(", max_pods: {}", p.max_pods));
        }
        let extra: Vec<String> = p
            .labels
            .iter()
            .filter(|(k, _)| *k != "tephra.io/pool" && *k != "nvidia.com/gpu.product" && *k != "accelerator")
            .map(|(k, v)| format!("\"{k}\": \"{v}\""))
            .collect();
        if !extra.is_empty() {
            s.push_str(&format!(", labels: {{ {} }}", extra.join(", ")));
        }
        s.push_str(" }\n");
    }
    s
}
