//! `--set key=value` overrides on a loaded scenario. Only the keys below are accepted, each checked
//! as the scenario loader would check it, so a typo is an error naming the key rather than a
//! silently ignored setting.

use crate::model::DurationMs;
use crate::model::time::parse_duration;
use crate::scenario::{Policy, Scenario, ScenarioError, load::load_conf};
use crate::sched::node_scan::NodeScan;
use std::path::PathBuf;

/// The keys `--set` understands, for messages and the README.
pub const KEYS: &[&str] = &[
    "seed",
    "scheduler.conf",
    "scheduler.policy",
    "scheduler.node_scan",
    "scheduler.schedule_period",
    "run.until",
    "run.sample_every",
    "run.pod_startup",
    "run.controller_delay",
    "run.termination_grace",
    "queues.<name>.weight",
    "fleet.pools.<name>.count",
    "fleet.pools.<name>.cost",
    "queues.<name>.guarantee.<resource>",
    "workload.arrival_scale",
    "run.inflate.<policy|policies|target|step_pct|typical_share|ties|seeds>",
];

/// One `key=value` assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// Dotted key.
    pub key: String,
    /// Value as written.
    pub value: String,
}

/// Parses `k=v[,k=v…]`.
pub fn parse(text: &str) -> Result<Vec<Assignment>, ScenarioError> {
    text.split(',')
        .map(|part| {
            let (k, v) = part.split_once('=').ok_or_else(|| {
                ScenarioError::Input(format!("--set `{part}`: expected key=value (keys: {})", KEYS.join(", ")))
            })?;
            Ok(Assignment { key: k.trim().to_string(), value: v.trim().to_string() })
        })
        .collect()
}

fn bad(a: &Assignment, why: impl std::fmt::Display) -> ScenarioError {
    ScenarioError::Input(format!("--set {}={}: {why}", a.key, a.value))
}

fn duration(a: &Assignment) -> Result<DurationMs, ScenarioError> {
    parse_duration(&a.value).map_err(|e| bad(a, e))
}

/// Applies `a` to `sc`.
pub fn apply(sc: &mut Scenario, a: &Assignment) -> Result<(), ScenarioError> {
    let parts: Vec<&str> = a.key.split('.').collect();
    match parts.as_slice() {
        ["seed"] => sc.seed = a.value.parse().map_err(|e| bad(a, e))?,
        ["scheduler", "conf"] => sc.policy = load_conf(&PathBuf::from(&a.value))?,
        ["scheduler", "policy"] => match a.value.as_str() {
            "kube-default" => sc.policy = Policy::KubeDefault,
            _ => return Err(bad(a, "only `kube-default` (use scheduler.conf=FILE for Volcano)")),
        },
        ["scheduler", "node_scan"] => {
            sc.node_scan = match a.value.as_str() {
                "volcano" => NodeScan::Volcano,
                "exhaustive" => NodeScan::Exhaustive,
                _ => return Err(bad(a, "expected volcano or exhaustive")),
            }
        }
        ["scheduler", "schedule_period"] => {
            let d = duration(a)?;
            if d.0 == 0 {
                return Err(bad(a, "the cycle period must be positive"));
            }
            sc.run.schedule_period = d;
        }
        ["run", "until"] => sc.run.until = if a.value == "drained" { None } else { Some(duration(a)?) },
        ["run", "sample_every"] => {
            let d = duration(a)?;
            if d.0 == 0 {
                return Err(bad(a, "the sampling period must be positive"));
            }
            sc.run.sample_every = d;
        }
        ["run", "pod_startup"] => sc.run.pod_startup = duration(a)?,
        ["run", "controller_delay"] => sc.run.controller_delay = duration(a)?,
        ["run", "termination_grace"] => sc.run.termination_grace = duration(a)?,
        ["queues", name, "weight"] => {
            let w: u32 = a.value.parse().map_err(|e| bad(a, e))?;
            if w == 0 {
                return Err(bad(a, "weight must be at least 1"));
            }
            let names: Vec<String> = sc.queues.iter().map(|q| q.name.clone()).collect();
            let q = sc
                .queues
                .iter_mut()
                .find(|q| q.name == *name)
                .ok_or_else(|| bad(a, format!("no declared queue `{name}` (declared: {})", names.join(", "))))?;
            q.weight = w;
        }
        ["fleet", "pools", name, "count"] => {
            let n: u32 = a.value.parse().map_err(|e| bad(a, e))?;
            let names: Vec<String> = sc.pools.iter().map(|p| p.0.name.clone()).collect();
            let p = sc
                .pools
                .iter_mut()
                .find(|p| p.0.name == *name)
                .ok_or_else(|| bad(a, format!("no pool `{name}` (pools: {})", names.join(", "))))?;
            p.1 = n;
        }
        // Capacity planning (`tephra plan`): prices, guarantees and workload growth.
        ["fleet", "pools", name, "cost"] => {
            let c: f64 = a.value.parse().map_err(|e| bad(a, e))?;
            if !(c.is_finite() && c >= 0.0) {
                return Err(bad(a, "cost per node-hour must be a number ≥ 0"));
            }
            if !sc.pools.iter().any(|p| p.0.name == *name) {
                let names: Vec<String> = sc.pools.iter().map(|p| p.0.name.clone()).collect();
                return Err(bad(a, format!("no pool `{name}` (pools: {})", names.join(", "))));
            }
            sc.node_hour_costs.insert(name.to_string(), c);
        }
        ["queues", name, "guarantee", resource] => {
            use crate::model::quantity::{parse_cpu_milli, parse_memory_bytes, parse_quantity};
            use crate::model::resources::{ASCEND910, GPU};
            let scalar_names = sc.scalar_names;
            let names: Vec<String> = sc.queues.iter().map(|q| q.name.clone()).collect();
            let q = sc
                .queues
                .iter_mut()
                .find(|q| q.name == *name)
                .ok_or_else(|| bad(a, format!("no declared queue `{name}` (declared: {})", names.join(", "))))?;
            match *resource {
                "cpu" => q.guarantee.cpu = parse_cpu_milli(&a.value).map_err(|e| bad(a, e))?,
                "memory" => q.guarantee.memory = parse_memory_bytes(&a.value).map_err(|e| bad(a, e))?,
                other => {
                    let slot = match other {
                        "gpu" => GPU,
                        "npu" => ASCEND910,
                        _ => scalar_names.slot(other).ok_or_else(|| {
                            bad(
                                a,
                                format!(
                                    "unknown resource `{other}` (cpu, memory, gpu, npu, a full name or a declared extended resource)"
                                ),
                            )
                        })?,
                    };
                    let v = parse_quantity(&a.value).map_err(|e| bad(a, e))?;
                    q.guarantee.scalars[slot] = (v * 1000.0).round() as i64;
                }
            }
        }
        ["workload", "arrival_scale"] => {
            let f: f64 = a.value.parse().map_err(|e| bad(a, e))?;
            if !(f.is_finite() && f > 0.0) {
                return Err(bad(a, "the arrival-rate factor must be a positive number"));
            }
            sc.arrival_scale = f;
        }
        // The packing experiment (`run.mode: inflate`).
        ["run", "inflate", field] => {
            let s = sc.inflate.as_mut().ok_or_else(|| bad(a, "the scenario is not run.mode: inflate"))?;
            s.set(field, &a.value).map_err(|e| bad(a, e))?;
        }
        _ => return Err(bad(a, format!("unknown key (keys: {})", KEYS.join(", ")))),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let v = parse("queues.a.weight=3, run.pod_startup=30s").unwrap();
        assert_eq!(v[1], Assignment { key: "run.pod_startup".into(), value: "30s".into() });
        assert!(parse("nokey").unwrap_err().to_string().contains("expected key=value"));
    }
}
