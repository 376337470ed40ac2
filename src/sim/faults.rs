//! Fault injection: what can break (nodes, single cards), when (random per-pool failure models,
//! trace-driven fault lists, planned maintenance windows) and what stands in (hot-standby spares).
//!
//! Reproducibility: every node draws its failure and repair times from its own ChaCha stream
//! (seeded from the root seed and the node's name) and its card faults from a second one, so the
//! fault history of a node never depends on the order in which events happen, on the scheduler's
//! random stream, or on what the rest of the fleet does.

use crate::model::lifecycle::PolicyEvent;
use crate::model::{ClusterState, DurationMs, NodeId, SimTime};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A positive random duration.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    /// Always the same.
    Fixed(DurationMs),
    /// Exponential with this mean (memoryless failures).
    Exponential(DurationMs),
    /// Weibull with this mean and shape `k` (k < 1: infant mortality, k > 1: wear-out).
    Weibull {
        /// Mean.
        mean: DurationMs,
        /// Shape.
        shape: f64,
    },
    /// Log-normal with this median and log-space standard deviation (repair times: most are
    /// short, a few take days).
    LogNormal {
        /// Median.
        median: DurationMs,
        /// σ of the logarithm.
        sigma: f64,
    },
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7): enough precision to turn a Weibull mean into its scale.
fn ln_gamma(x: f64) -> f64 {
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + 7.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

impl Dist {
    /// Mean of the distribution in ms (for documentation and tests).
    pub fn mean_ms(&self) -> f64 {
        match self {
            Dist::Fixed(d) | Dist::Exponential(d) | Dist::Weibull { mean: d, .. } => d.0 as f64,
            Dist::LogNormal { median, sigma } => median.0 as f64 * (sigma * sigma / 2.0).exp(),
        }
    }

    /// Draws one duration (at least 1 ms).
    pub fn sample(&self, rng: &mut ChaCha8Rng) -> DurationMs {
        // 1 - u is in (0, 1], so its logarithm is finite.
        let mut u = || 1.0 - rng.random::<f64>();
        let ms = match self {
            Dist::Fixed(d) => d.0 as f64,
            Dist::Exponential(m) => -(m.0 as f64) * u().ln(),
            Dist::Weibull { mean, shape } => {
                let scale = mean.0 as f64 / ln_gamma(1.0 + 1.0 / shape).exp();
                scale * (-u().ln()).powf(1.0 / shape)
            }
            Dist::LogNormal { median, sigma } => {
                let (a, b) = (u(), u());
                let z = (-2.0 * a.ln()).sqrt() * (2.0 * std::f64::consts::PI * b).cos();
                median.0 as f64 * (sigma * z).exp()
            }
        };
        DurationMs((ms.round() as u64).max(1))
    }
}

/// Random failures of one pool's nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeFailureModel {
    /// Pool index.
    pub pool: usize,
    /// Time between failures of one node (from its repair to its next failure).
    pub between: Dist,
    /// Repair time.
    pub repair: Dist,
    /// Fraction of the pool's nodes that are flaky (chosen per node from its own stream).
    pub flaky_fraction: f64,
    /// Flaky nodes fail this many times as often.
    pub flaky_factor: f64,
}

/// Random single-card faults of one pool's nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceFailureModel {
    /// Pool index.
    pub pool: usize,
    /// Time between card faults on one node.
    pub between: Dist,
    /// Time until a failed card is back (with per-card tracking); `None`: it is reset at once.
    pub repair: Option<Dist>,
}

/// One card out of service, from the scenario's card fault list.
#[derive(Clone, Debug, PartialEq)]
pub struct CardFault {
    /// Node.
    pub node: NodeId,
    /// Card index on the node.
    pub card: u32,
    /// Failure time.
    pub start: SimTime,
    /// Repair time.
    pub end: SimTime,
}

/// A node outage from a fault list.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultWindow {
    /// Node.
    pub node: NodeId,
    /// Failure time.
    pub start: SimTime,
    /// Repair time.
    pub end: SimTime,
}

/// Planned maintenance of some nodes: no new pods from `start`, pods still there are evicted at
/// `deadline`, the nodes return at `end`.
#[derive(Clone, Debug, PartialEq)]
pub struct Maintenance {
    /// Nodes.
    pub nodes: Vec<NodeId>,
    /// Drain start.
    pub start: SimTime,
    /// Eviction deadline.
    pub deadline: SimTime,
    /// Back in service.
    pub end: SimTime,
}

/// Hot-standby nodes of a pool: kept out of service, one replaces a failed node `swap_delay`
/// after the failure; a repaired node becomes a standby spare.
#[derive(Clone, Debug, PartialEq)]
pub struct Spares {
    /// Pool index.
    pub pool: usize,
    /// How many of the pool's nodes (its last ones) are standby at t = 0.
    pub count: u32,
    /// Failure to spare in service.
    pub swap_delay: DurationMs,
}

/// Every fault source of a run, validated against the fleet.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultConfig {
    /// Random node failures per pool.
    pub node_failures: Vec<NodeFailureModel>,
    /// Random card faults per pool.
    pub device_failures: Vec<DeviceFailureModel>,
    /// Trace-driven outages.
    pub windows: Vec<FaultWindow>,
    /// Listed card faults.
    pub card_faults: Vec<CardFault>,
    /// Maintenance windows.
    pub maintenance: Vec<Maintenance>,
    /// Standby pools.
    pub spares: Vec<Spares>,
    /// What a dead node or card raises for its pods (`PodFailed` unless told otherwise).
    pub pod_event: PolicyEvent,
}

/// Why a node is out of service (bits; the node is healthy iff none is set).
pub mod down {
    /// Failed, waiting for repair.
    pub const FAILED: u8 = 1;
    /// Drained for maintenance.
    pub const DRAIN: u8 = 2;
    /// Standby spare.
    pub const SPARE: u8 = 4;
}

/// The live fault state: per-node streams, why each node is down, standby spares.
pub struct FaultRuntime {
    /// The configuration.
    pub config: FaultConfig,
    /// Per node: failure/repair stream (only nodes of pools with a failure model).
    node_rng: Vec<Option<ChaCha8Rng>>,
    /// Per node: card fault stream.
    device_rng: Vec<Option<ChaCha8Rng>>,
    /// Per node: index into `config.node_failures`.
    node_model: Vec<Option<usize>>,
    /// Per node: inter-failure time multiplier (1, or 1/flaky_factor for flaky nodes).
    pub flaky: Vec<bool>,
    /// Per node: reasons it is out of service.
    pub down: Vec<u8>,
    /// Per node: a spare stands in for it (it becomes a spare when repaired).
    pub replaced: Vec<bool>,
    /// Per pool: standby spares ready to swap in, in node order.
    pub spare_free: Vec<Vec<NodeId>>,
    /// Per pool with spares: failed nodes that no spare replaces yet (the next spare to become
    /// free goes to the first of them), in failure order.
    pub waiting: Vec<Vec<NodeId>>,
    /// Node failures so far.
    pub node_failures: u64,
    /// Card faults so far.
    pub device_failures: u64,
    /// Spare swaps so far.
    pub swaps: u64,
}

impl FaultRuntime {
    /// Builds the streams for `st`'s nodes from `seed` (the fault sub-seed of the run).
    pub fn new(config: FaultConfig, st: &ClusterState, seed: u64) -> FaultRuntime {
        let n = st.nodes.len();
        let mut node_model = vec![None; n];
        let mut node_rng = Vec::with_capacity(n);
        let mut device_rng = Vec::with_capacity(n);
        let mut flaky = vec![false; n];
        for node in &st.nodes {
            let m = config.node_failures.iter().position(|m| m.pool == node.pool.idx());
            node_model[node.id.idx()] = m;
            let mut rng =
                m.map(|_| ChaCha8Rng::seed_from_u64(crate::runner::sub_seed(seed, &format!("node/{}", node.name))));
            if let (Some(mi), Some(r)) = (m, rng.as_mut()) {
                flaky[node.id.idx()] = r.random::<f64>() < config.node_failures[mi].flaky_fraction;
            }
            node_rng.push(rng);
            let dev = config.device_failures.iter().any(|d| d.pool == node.pool.idx());
            device_rng.push(
                dev.then(|| ChaCha8Rng::seed_from_u64(crate::runner::sub_seed(seed, &format!("card/{}", node.name)))),
            );
        }
        FaultRuntime {
            spare_free: vec![Vec::new(); st.pools.len()],
            waiting: vec![Vec::new(); st.pools.len()],
            config,
            node_rng,
            device_rng,
            node_model,
            flaky,
            down: vec![0; n],
            replaced: vec![false; n],
            node_failures: 0,
            device_failures: 0,
            swaps: 0,
        }
    }

    /// Time to the node's next failure, if it has a failure model.
    pub fn next_failure(&mut self, node: NodeId) -> Option<DurationMs> {
        let m = &self.config.node_failures[self.node_model[node.idx()]?];
        let rng = self.node_rng[node.idx()].as_mut()?;
        let d = m.between.sample(rng);
        Some(if self.flaky[node.idx()] { DurationMs(((d.0 as f64 / m.flaky_factor).round() as u64).max(1)) } else { d })
    }

    /// Repair time of a node that just failed.
    pub fn repair_time(&mut self, node: NodeId) -> DurationMs {
        match (self.node_model[node.idx()], self.node_rng[node.idx()].as_mut()) {
            (Some(m), Some(rng)) => self.config.node_failures[m].repair.sample(rng),
            _ => DurationMs(0),
        }
    }

    /// Time to the node's next card fault, if its pool has a card fault model.
    pub fn next_device_failure(&mut self, node: NodeId, pool: usize) -> Option<DurationMs> {
        let m = self.config.device_failures.iter().find(|d| d.pool == pool)?;
        Some(m.between.sample(self.device_rng[node.idx()].as_mut()?))
    }

    /// Repair time of a card of `pool` that just failed on `node`, if the pool's model has one.
    pub fn card_repair_time(&mut self, node: NodeId, pool: usize) -> Option<DurationMs> {
        let m = self.config.device_failures.iter().find(|d| d.pool == pool)?;
        let repair = m.repair.clone()?;
        Some(repair.sample(self.device_rng[node.idx()].as_mut()?))
    }

    /// Which card of `cards` fails (from the node's card stream).
    pub fn failing_card(&mut self, node: NodeId, cards: u32) -> u32 {
        match self.device_rng[node.idx()].as_mut() {
            Some(rng) if cards > 0 => rng.random_range(0..cards),
            _ => 0,
        }
    }

    /// The spare model of a pool.
    pub fn spares_of(&self, pool: usize) -> Option<&Spares> {
        self.config.spares.iter().find(|s| s.pool == pool)
    }
}

/// Reads a fault list CSV: `start_s,end_s,node` (header required; times in seconds, node names
/// as the fleet names them). Rows are checked against the fleet.
pub fn read_fault_list(path: &std::path::Path, st: &ClusterState) -> Result<Vec<FaultWindow>, String> {
    let file = path.display().to_string();
    let mut rd = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_path(path)
        .map_err(|e| format!("{file}: cannot read fault list: {e}"))?;
    let headers = rd.headers().map_err(|e| format!("{file}: {e}"))?.clone();
    let want = ["start_s", "end_s", "node"];
    if headers.iter().collect::<Vec<_>>() != want {
        return Err(format!(
            "{file}: header must be `start_s,end_s,node` (found `{}`)",
            headers.iter().collect::<Vec<_>>().join(",")
        ));
    }
    let names: std::collections::BTreeMap<&str, NodeId> = st.nodes.iter().map(|n| (n.name.as_str(), n.id)).collect();
    let mut out = Vec::new();
    for (i, rec) in rd.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| format!("{file}:{line}: {e}"))?;
        let secs = |k: usize, col: &str| -> Result<SimTime, String> {
            let v: f64 =
                rec[k].trim().parse().map_err(|_| format!("{file}:{line}: {col}: `{}` is not a number", &rec[k]))?;
            if !(v >= 0.0 && v.is_finite()) {
                return Err(format!("{file}:{line}: {col}: must be a non-negative number of seconds"));
            }
            Ok(SimTime((v * 1000.0).round() as u64))
        };
        let (start, end) = (secs(0, "start_s")?, secs(1, "end_s")?);
        if end <= start {
            return Err(format!("{file}:{line}: end_s must be after start_s"));
        }
        let node = *names.get(rec[2].trim()).ok_or_else(|| {
            format!("{file}:{line}: node: `{}` is not a node of the fleet (names are <pool>-<nnn>)", rec[2].trim())
        })?;
        out.push(FaultWindow { node, start, end });
    }
    let mut sorted = out.clone();
    sorted.sort_by_key(|w| (w.node, w.start));
    for w in sorted.windows(2) {
        if w[0].node == w[1].node && w[1].start < w[0].end {
            return Err(format!("{file}: outages of node {} overlap", st.nodes[w[0].node.idx()].name));
        }
    }
    Ok(out)
}

#[derive(serde::Deserialize)]
struct HbdEvent {
    node_id: String,
    event_time: f64,
    event_type: String,
}

/// Reads a fault trace in the StepFun InfiniteHBD format (`fault_trace.json`: a JSON array of
/// `{node_id, event_time (days), event_type: fault_start|fault_end, fault_type}`). The trace's
/// servers are anonymous: the i-th distinct `node_id` (in order of first appearance) becomes the
/// fleet's i-th node; servers beyond the fleet's size are dropped. A start without its end lasts to
/// the end of the run.
pub fn read_infinitehbd(path: &std::path::Path, st: &ClusterState) -> Result<Vec<FaultWindow>, String> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{file}: cannot read fault trace: {e}"))?;
    let events: Vec<HbdEvent> =
        serde_json::from_str(&text).map_err(|e| format!("{file}: not an InfiniteHBD fault trace: {e}"))?;
    let mut index: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    let mut open: Vec<Option<SimTime>> = Vec::new();
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        if !(e.event_time >= 0.0 && e.event_time.is_finite()) {
            return Err(format!("{file}: event {i}: event_time must be a non-negative number of days"));
        }
        let next = index.len();
        let k = *index.entry(e.node_id.as_str()).or_insert(next);
        if k == open.len() {
            open.push(None);
        }
        let at = SimTime((e.event_time * 86_400_000.0).round() as u64);
        match e.event_type.as_str() {
            "fault_start" => {
                if open[k].is_none() {
                    open[k] = Some(at);
                }
            }
            "fault_end" => {
                if let Some(start) = open[k].take()
                    && k < st.nodes.len()
                    && at > start
                {
                    out.push(FaultWindow { node: NodeId(k as u32), start, end: at });
                }
            }
            other => return Err(format!("{file}: event {i}: `{other}` is not fault_start or fault_end")),
        }
    }
    for (k, start) in open.iter().enumerate() {
        if let Some(start) = start
            && k < st.nodes.len()
        {
            out.push(FaultWindow { node: NodeId(k as u32), start: *start, end: SimTime(u64::MAX / 4) });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gamma_and_means() {
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-10);
        assert!((ln_gamma(1.5) - (std::f64::consts::PI.sqrt() / 2.0).ln()).abs() < 1e-10);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for d in [
            Dist::Exponential(DurationMs(1_000_000)),
            Dist::Weibull { mean: DurationMs(1_000_000), shape: 0.7 },
            Dist::Weibull { mean: DurationMs(1_000_000), shape: 2.0 },
        ] {
            let n = 20_000;
            let mean = (0..n).map(|_| d.sample(&mut rng).0 as f64).sum::<f64>() / n as f64;
            assert!((mean / 1_000_000.0 - 1.0).abs() < 0.05, "{d:?}: sample mean {mean}");
        }
    }
}
