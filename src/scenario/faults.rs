//! The scenario's `faults:` and `recovery:` sections: what breaks, and the job controller defaults
//! (lifecycle policies, maxRetry, checkpointing, restart overhead, elastic scaling) that jobs get
//! unless their trace annotations say otherwise (job annotation > queue default > scenario default).
//!
//! ```yaml
//! faults:
//!   node_failures:          # random, per pool; one stream per node
//!     - { pool: h100, mtbf: 30d, distribution: weibull, shape: 0.8,
//!         repair: 4h, repair_distribution: lognormal, repair_sigma: 1.0,
//!         flaky_fraction: 0.05, flaky_factor: 10 }
//!   device_failures:        # a single card fails: the pods on that card die
//!     - { pool: h100, mtbf: 60d, repair: 2h }   # repair: the card is out until then
//!   card_faults:            # listed card faults (node, card index, out from start to end)
//!     - { node: h100-003, card: 1, start: 10m, end: 1h }
//!   trace: traces/infinitehbd-faults-excerpt.csv   # start_s,end_s,node
//!   maintenance:
//!     - { nodes: [h100-000, h100-001], start: 2h, deadline: 3h, end: 5h }
//!   spares:
//!     - { pool: h100, count: 2, swap_delay: 10m }
//!   pod_event: PodFailed    # what a dead node or card raises for its pods
//! recovery:
//!   policies: PodEvicted:RestartJob,PodFailed:RestartJob
//!   max_retry: 3
//!   checkpoint_interval: 30m
//!   checkpoint_cost: 1m
//!   restart_overhead: 2m
//!   scaling: linear
//!   queues: { research: { policies: "PodFailed:RestartPod" } }
//! ```

use super::error::ScenarioError;
use super::schema::{At, Scalar};
use crate::model::lifecycle::{self, PolicyEvent, RecoverySpec};
use crate::model::time::parse_duration;
use crate::model::{ClusterState, DurationMs, SimTime};
use crate::sim::faults::{CardFault, DeviceFailureModel, Dist, FaultConfig, Maintenance, NodeFailureModel, Spares};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// `faults:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFaults {
    /// Random node failures per pool.
    #[serde(default)]
    pub node_failures: Vec<RawNodeFailures>,
    /// Random single-card faults per pool.
    #[serde(default)]
    pub device_failures: Vec<RawDeviceFailures>,
    /// Listed single-card faults.
    #[serde(default)]
    pub card_faults: Vec<RawCardFault>,
    /// Fault list: CSV `start_s,end_s,node`, or a `.json` InfiniteHBD `fault_trace.json` (servers
    /// mapped onto the fleet's nodes in order).
    #[serde(default)]
    pub trace: Option<At<String>>,
    /// Maintenance windows.
    #[serde(default)]
    pub maintenance: Vec<RawMaintenance>,
    /// Standby spares per pool.
    #[serde(default)]
    pub spares: Vec<RawSpares>,
    /// Event raised for pods of a dead node or card (`PodFailed` default, or `PodEvicted`).
    #[serde(default)]
    pub pod_event: Option<At<String>>,
}

/// One pool's random node failures.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNodeFailures {
    /// Pool name.
    pub pool: At<String>,
    /// Mean time between failures of one node.
    pub mtbf: At<Scalar>,
    /// `exponential` (default) or `weibull`.
    #[serde(default)]
    pub distribution: Option<At<String>>,
    /// Weibull shape (default 1).
    #[serde(default)]
    pub shape: Option<f64>,
    /// Mean repair time (median for `lognormal`).
    pub repair: At<Scalar>,
    /// `exponential` (default), `fixed` or `lognormal`.
    #[serde(default)]
    pub repair_distribution: Option<At<String>>,
    /// Log-normal σ (default 1).
    #[serde(default)]
    pub repair_sigma: Option<f64>,
    /// Fraction of flaky nodes (default 0).
    #[serde(default)]
    pub flaky_fraction: Option<f64>,
    /// How much more often flaky nodes fail (default 10).
    #[serde(default)]
    pub flaky_factor: Option<f64>,
}

/// One pool's random card faults.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDeviceFailures {
    /// Pool name.
    pub pool: At<String>,
    /// Mean time between card faults of one node.
    pub mtbf: At<Scalar>,
    /// `exponential` (default) or `weibull`.
    #[serde(default)]
    pub distribution: Option<At<String>>,
    /// Weibull shape.
    #[serde(default)]
    pub shape: Option<f64>,
    /// Mean time until a failed card is back (median for `lognormal`); without it the card is
    /// reset at once.
    #[serde(default)]
    pub repair: Option<At<Scalar>>,
    /// `exponential` (default), `fixed` or `lognormal`.
    #[serde(default)]
    pub repair_distribution: Option<At<String>>,
    /// Log-normal σ (default 1).
    #[serde(default)]
    pub repair_sigma: Option<f64>,
}

/// One listed card fault.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCardFault {
    /// Node name.
    pub node: At<String>,
    /// Card index on the node (0-based).
    pub card: At<u32>,
    /// Failure time.
    pub start: At<Scalar>,
    /// Repair time.
    pub end: At<Scalar>,
}

/// One maintenance window.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMaintenance {
    /// Node names.
    pub nodes: At<Vec<String>>,
    /// Drain start.
    pub start: At<Scalar>,
    /// Eviction deadline (default: `start`).
    #[serde(default)]
    pub deadline: Option<At<Scalar>>,
    /// Back in service.
    pub end: At<Scalar>,
}

/// One pool's standby spares.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpares {
    /// Pool name.
    pub pool: At<String>,
    /// How many of the pool's nodes are standby.
    pub count: u32,
    /// Failure to spare in service (default 0).
    #[serde(default)]
    pub swap_delay: Option<At<Scalar>>,
}

/// Recovery knobs (scenario or queue default).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRecoveryKnobs {
    /// `[task/]Event:Action[@timeout]` rules, comma-separated.
    #[serde(default)]
    pub policies: Option<At<Scalar>>,
    /// maxRetry.
    #[serde(default)]
    pub max_retry: Option<At<Scalar>>,
    /// Work between checkpoints.
    #[serde(default)]
    pub checkpoint_interval: Option<At<Scalar>>,
    /// Checkpoint write time.
    #[serde(default)]
    pub checkpoint_cost: Option<At<Scalar>>,
    /// Re-initialisation after a failure.
    #[serde(default)]
    pub restart_overhead: Option<At<Scalar>>,
    /// `linear` or `sublinear:<e>`.
    #[serde(default)]
    pub scaling: Option<At<Scalar>>,
}

/// `recovery:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRecovery {
    /// `[task/]Event:Action[@timeout]` rules, comma-separated.
    #[serde(default)]
    pub policies: Option<At<Scalar>>,
    /// maxRetry.
    #[serde(default)]
    pub max_retry: Option<At<Scalar>>,
    /// Work between checkpoints.
    #[serde(default)]
    pub checkpoint_interval: Option<At<Scalar>>,
    /// Checkpoint write time.
    #[serde(default)]
    pub checkpoint_cost: Option<At<Scalar>>,
    /// Re-initialisation after a failure.
    #[serde(default)]
    pub restart_overhead: Option<At<Scalar>>,
    /// `linear` or `sublinear:<e>`.
    #[serde(default)]
    pub scaling: Option<At<Scalar>>,
    /// Per-queue overrides.
    #[serde(default)]
    pub queues: BTreeMap<String, RawRecoveryKnobs>,
}

/// Faults as the scenario states them, pools and times parsed; node names are resolved against
/// the built fleet by [`FaultSpec::resolve`].
#[derive(Clone, Debug, PartialEq)]
pub struct FaultSpec {
    /// The configuration without trace windows and with maintenance nodes unresolved.
    pub config: FaultConfig,
    /// Maintenance windows: (node names, start, deadline, end, scenario line).
    pub maintenance: Vec<(Vec<String>, SimTime, SimTime, SimTime, u64)>,
    /// Fault list file.
    pub trace: Option<PathBuf>,
    /// Listed card faults: (node name, card, start, end, scenario line).
    pub card_faults: Vec<(String, u32, SimTime, SimTime, u64)>,
}

/// Recovery defaults as annotation values (key → value): scenario-wide and per queue.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecoveryDefaults {
    /// For every job.
    pub all: BTreeMap<String, String>,
    /// Per queue name.
    pub queues: BTreeMap<String, BTreeMap<String, String>>,
}

impl RecoveryDefaults {
    /// Whether any default is set.
    pub fn is_empty(&self) -> bool {
        self.all.is_empty() && self.queues.values().all(|m| m.is_empty())
    }
}

pub(super) struct Cx<'a> {
    pub file: &'a str,
}

impl Cx<'_> {
    fn at<T>(&self, v: &At<T>, msg: String) -> ScenarioError {
        ScenarioError::At { file: self.file.to_string(), line: v.referenced.line(), msg }
    }

    fn dur(&self, v: &At<Scalar>, key: &str) -> Result<DurationMs, ScenarioError> {
        parse_duration(&v.value.text()).map_err(|m| self.at(v, format!("{key}: {m}")))
    }

    fn positive(&self, v: &At<Scalar>, key: &str) -> Result<DurationMs, ScenarioError> {
        let d = self.dur(v, key)?;
        if d.0 == 0 {
            return Err(self.at(v, format!("{key}: must be positive")));
        }
        Ok(d)
    }

    fn pool(&self, v: &At<String>, pools: &[String], key: &str) -> Result<usize, ScenarioError> {
        pools
            .iter()
            .position(|p| *p == v.value)
            .ok_or_else(|| self.at(v, format!("{key}: `{}` is not a pool (pools: {})", v.value, pools.join(", "))))
    }

    fn dist(
        &self,
        kind: Option<&At<String>>,
        mean: DurationMs,
        shape: Option<f64>,
        sigma: Option<f64>,
        key: &str,
    ) -> Result<Dist, ScenarioError> {
        let name = kind.map_or("exponential", |k| k.value.as_str());
        let bad_param = |what: &str| {
            let k = kind.expect("a parameter without its distribution is caught first");
            self.at(k, format!("{key}: {what}"))
        };
        Ok(match name {
            "exponential" => Dist::Exponential(mean),
            "fixed" => Dist::Fixed(mean),
            "weibull" => {
                let k = shape.unwrap_or(1.0);
                if !(k > 0.0 && k.is_finite()) {
                    return Err(bad_param("shape must be positive"));
                }
                Dist::Weibull { mean, shape: k }
            }
            "lognormal" => {
                let s = sigma.unwrap_or(1.0);
                if !(s >= 0.0 && s.is_finite()) {
                    return Err(bad_param("sigma must be non-negative"));
                }
                Dist::LogNormal { median: mean, sigma: s }
            }
            other => {
                let k = kind.expect("a named distribution");
                return Err(self.at(k, format!("{key}: `{other}` is not exponential, weibull, fixed or lognormal")));
            }
        })
    }
}

/// Validates `faults:`; `pools` are the pool names in order, `counts` their node counts.
pub(super) fn load_faults(
    raw: &RawFaults,
    pools: &[String],
    counts: &[u32],
    scenario: &std::path::Path,
    cx: &Cx<'_>,
) -> Result<FaultSpec, ScenarioError> {
    let mut config = FaultConfig::default();
    for (i, f) in raw.node_failures.iter().enumerate() {
        let key = format!("faults.node_failures[{i}]");
        let pool = cx.pool(&f.pool, pools, &format!("{key}.pool"))?;
        if config.node_failures.iter().any(|m: &NodeFailureModel| m.pool == pool) {
            return Err(cx.at(&f.pool, format!("{key}.pool: `{}` has two failure models", f.pool.value)));
        }
        let mtbf = cx.positive(&f.mtbf, &format!("{key}.mtbf"))?;
        let between = cx.dist(f.distribution.as_ref(), mtbf, f.shape, None, &format!("{key}.distribution"))?;
        let repair_mean = cx.positive(&f.repair, &format!("{key}.repair"))?;
        let repair = cx.dist(
            f.repair_distribution.as_ref(),
            repair_mean,
            None,
            f.repair_sigma,
            &format!("{key}.repair_distribution"),
        )?;
        let flaky_fraction = f.flaky_fraction.unwrap_or(0.0);
        let flaky_factor = f.flaky_factor.unwrap_or(10.0);
        if !((0.0..=1.0).contains(&flaky_fraction) && flaky_factor >= 1.0 && flaky_factor.is_finite()) {
            return Err(cx.at(&f.pool, format!("{key}: flaky_fraction must be in [0, 1] and flaky_factor ≥ 1")));
        }
        config.node_failures.push(NodeFailureModel { pool, between, repair, flaky_fraction, flaky_factor });
    }
    for (i, f) in raw.device_failures.iter().enumerate() {
        let key = format!("faults.device_failures[{i}]");
        let pool = cx.pool(&f.pool, pools, &format!("{key}.pool"))?;
        if config.device_failures.iter().any(|m: &DeviceFailureModel| m.pool == pool) {
            return Err(cx.at(&f.pool, format!("{key}.pool: `{}` has two card fault models", f.pool.value)));
        }
        let mtbf = cx.positive(&f.mtbf, &format!("{key}.mtbf"))?;
        let between = cx.dist(f.distribution.as_ref(), mtbf, f.shape, None, &format!("{key}.distribution"))?;
        let repair = match &f.repair {
            Some(r) => {
                let mean = cx.positive(r, &format!("{key}.repair"))?;
                let k = format!("{key}.repair_distribution");
                Some(cx.dist(f.repair_distribution.as_ref(), mean, None, f.repair_sigma, &k)?)
            }
            None if f.repair_distribution.is_some() => {
                let d = f.repair_distribution.as_ref().expect("checked");
                return Err(cx.at(d, format!("{key}.repair_distribution: needs `repair`")));
            }
            None => None,
        };
        config.device_failures.push(DeviceFailureModel { pool, between, repair });
    }
    for (i, s) in raw.spares.iter().enumerate() {
        let key = format!("faults.spares[{i}]");
        let pool = cx.pool(&s.pool, pools, &format!("{key}.pool"))?;
        if s.count >= counts[pool] {
            return Err(cx.at(
                &s.pool,
                format!(
                    "{key}.count: {} spares leave no node of `{}` ({} nodes) in service",
                    s.count, s.pool.value, counts[pool]
                ),
            ));
        }
        let swap_delay = match &s.swap_delay {
            Some(d) => cx.dur(d, &format!("{key}.swap_delay"))?,
            None => DurationMs(0),
        };
        config.spares.push(Spares { pool, count: s.count, swap_delay });
    }
    if let Some(e) = &raw.pod_event {
        config.pod_event = match PolicyEvent::parse(&e.value) {
            Some(ev @ (PolicyEvent::PodFailed | PolicyEvent::PodEvicted)) => ev,
            _ => return Err(cx.at(e, format!("faults.pod_event: `{}` is not PodFailed or PodEvicted", e.value))),
        };
    }
    let mut maintenance = Vec::new();
    for (i, m) in raw.maintenance.iter().enumerate() {
        let key = format!("faults.maintenance[{i}]");
        let start = SimTime(cx.dur(&m.start, &format!("{key}.start"))?.0);
        let deadline = match &m.deadline {
            Some(d) => SimTime(cx.dur(d, &format!("{key}.deadline"))?.0),
            None => start,
        };
        let end = SimTime(cx.dur(&m.end, &format!("{key}.end"))?.0);
        if !(start <= deadline && deadline <= end) {
            return Err(cx.at(&m.start, format!("{key}: needs start ≤ deadline ≤ end")));
        }
        if m.nodes.value.is_empty() {
            return Err(cx.at(&m.nodes, format!("{key}.nodes: empty")));
        }
        maintenance.push((m.nodes.value.clone(), start, deadline, end, m.nodes.referenced.line()));
    }
    let mut card_faults = Vec::new();
    for (i, c) in raw.card_faults.iter().enumerate() {
        let key = format!("faults.card_faults[{i}]");
        let start = SimTime(cx.dur(&c.start, &format!("{key}.start"))?.0);
        let end = SimTime(cx.dur(&c.end, &format!("{key}.end"))?.0);
        if end <= start {
            return Err(cx.at(&c.end, format!("{key}.end: must be after start")));
        }
        card_faults.push((c.node.value.clone(), c.card.value, start, end, c.node.referenced.line()));
    }
    let trace = match &raw.trace {
        Some(t) => Some(super::load::resolve(&t.value, scenario).ok_or_else(|| {
            cx.at(
                t,
                format!(
                    "faults.trace: `{}` not found (looked in the current folder and next to the scenario)",
                    t.value
                ),
            )
        })?),
        None => None,
    };
    Ok(FaultSpec { config, maintenance, trace, card_faults })
}

impl FaultSpec {
    /// The configuration against the built fleet: fault list read, maintenance nodes resolved.
    pub fn resolve(&self, st: &ClusterState, file: &str) -> Result<FaultConfig, ScenarioError> {
        let mut config = self.config.clone();
        if let Some(t) = &self.trace {
            let json = t.extension().is_some_and(|e| e == "json");
            config.windows = if json {
                crate::sim::faults::read_infinitehbd(t, st)
            } else {
                crate::sim::faults::read_fault_list(t, st)
            }
            .map_err(ScenarioError::Input)?;
        }
        for (names, start, deadline, end, line) in &self.maintenance {
            let mut nodes = Vec::new();
            for name in names {
                let n = st.nodes.iter().find(|n| n.name == *name).ok_or_else(|| ScenarioError::At {
                    file: file.to_string(),
                    line: *line,
                    msg: format!("faults.maintenance: `{name}` is not a node of the fleet (names are <pool>-<nnn>)"),
                })?;
                nodes.push(n.id);
            }
            config.maintenance.push(Maintenance { nodes, start: *start, deadline: *deadline, end: *end });
        }
        for (name, card, start, end, line) in &self.card_faults {
            let at = |msg: String| ScenarioError::At { file: file.to_string(), line: *line, msg };
            let n = st.nodes.iter().find(|n| n.name == *name).ok_or_else(|| {
                at(format!("faults.card_faults: `{name}` is not a node of the fleet (names are <pool>-<nnn>)"))
            })?;
            let cards = (n.allocatable.accelerators().max(0) / 1000) as u32;
            if *card >= cards.min(64) {
                return Err(at(format!("faults.card_faults: node `{name}` has no card {card} (cards 0..{cards})")));
            }
            let overlaps = config
                .card_faults
                .iter()
                .any(|c| c.node == n.id && c.card == *card && c.start < *end && *start < c.end);
            if overlaps {
                return Err(at(format!("faults.card_faults: outages of card {card} of `{name}` overlap")));
            }
            config.card_faults.push(CardFault { node: n.id, card: *card, start: *start, end: *end });
        }
        Ok(config)
    }
}

fn knobs_to_map(
    k: [(&str, Option<&At<Scalar>>); 6],
    prefix: &str,
    cx: &Cx<'_>,
) -> Result<BTreeMap<String, String>, ScenarioError> {
    let mut out = BTreeMap::new();
    for (key, v) in k {
        let Some(v) = v else { continue };
        let text = v.value.text();
        RecoverySpec::default().set(key, &text).map_err(|m| cx.at(v, format!("{prefix}: {m}")))?;
        out.insert(key.to_string(), text);
    }
    Ok(out)
}

/// Validates `recovery:` into annotation defaults.
pub(super) fn load_recovery(
    raw: &RawRecovery,
    queues: Option<&[String]>,
    cx: &Cx<'_>,
) -> Result<RecoveryDefaults, ScenarioError> {
    let all = knobs_to_map(
        [
            (lifecycle::POLICIES, raw.policies.as_ref()),
            (lifecycle::MAX_RETRY, raw.max_retry.as_ref()),
            (lifecycle::CHECKPOINT_INTERVAL, raw.checkpoint_interval.as_ref()),
            (lifecycle::CHECKPOINT_COST, raw.checkpoint_cost.as_ref()),
            (lifecycle::RESTART_OVERHEAD, raw.restart_overhead.as_ref()),
            (lifecycle::SCALING, raw.scaling.as_ref()),
        ],
        "recovery",
        cx,
    )?;
    let mut per_queue = BTreeMap::new();
    for (name, k) in &raw.queues {
        if let Some(qs) = queues
            && !qs.contains(name)
        {
            return Err(ScenarioError::Input(format!(
                "{}: recovery.queues: `{name}` is not a declared queue ({})",
                cx.file,
                qs.join(", ")
            )));
        }
        let m = knobs_to_map(
            [
                (lifecycle::POLICIES, k.policies.as_ref()),
                (lifecycle::MAX_RETRY, k.max_retry.as_ref()),
                (lifecycle::CHECKPOINT_INTERVAL, k.checkpoint_interval.as_ref()),
                (lifecycle::CHECKPOINT_COST, k.checkpoint_cost.as_ref()),
                (lifecycle::RESTART_OVERHEAD, k.restart_overhead.as_ref()),
                (lifecycle::SCALING, k.scaling.as_ref()),
            ],
            &format!("recovery.queues.{name}"),
            cx,
        )?;
        per_queue.insert(name.clone(), m);
    }
    Ok(RecoveryDefaults { all, queues: per_queue })
}
