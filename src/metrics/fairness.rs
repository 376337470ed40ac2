//! Fairness between queues, integrated over simulated time by the recorder.
//!
//! The definitions are policy-independent, so that kube-default (which has no notion of a queue's
//! share) and Volcano's proportion/capacity/drf configurations are measured with the same ruler:
//!
//! - **Dominant share** of a queue = max over resource dimensions with capacity (cpu, memory, each
//!   accelerator kind) of allocated / healthy capacity (DRF's dominant resource).
//! - **Demand** of a queue = the requests of every pod of its active jobs (running or waiting,
//!   pods created or not). A queue *has demand* while it has at least one active job.
//! - **Fair share** = weighted max-min fair division of the cluster (1.0 in dominant-share units)
//!   among the queues with demand, by queue weight, each capped at its demand's dominant share
//!   (water-filling: what proportion would give if resources were perfectly divisible).
//! - **Normalized share** xᵢ = dominant share / fair share.
//! - **Jain's index** J = (Σxᵢ)² / (n·Σxᵢ²) over the n queues with demand; 1 = every queue holds
//!   the same fraction of its fair share, 1/n = one queue holds everything. With no allocation at
//!   all (Σxᵢ² = 0) every queue is equally served and J = 1. Time with no queue with demand does
//!   not count. Reported time-averaged (∫J dt / time with demand), as its minimum, and over time.
//! - **Deviation from fair share** = |dominant share − fair share| of a queue with demand, in
//!   fractions of the cluster: its maximum over queues and time, and its time-average over queues.
//!
//! With a queue hierarchy (`spec.parent`) only leaf queues hold jobs; they are compared by their
//! own weights as if the tree were flat (hierarchical weights are not composed).

use crate::model::resources::ALL_DIMS;
use crate::model::{ClusterState, Resources};
use serde::Serialize;

/// Dominant share of `r` in `total` (0 when `total` is empty).
pub fn dominant_share(r: &Resources, total: &Resources) -> f64 {
    ALL_DIMS.iter().filter(|d| total.get(**d) > 0).map(|d| r.get(*d) as f64 / total.get(*d) as f64).fold(0.0, f64::max)
}

/// Weighted max-min fair division of 1.0 among claimants with `demands` (each capped at its
/// demand) and positive `weights`. Claimants are served in increasing order of demand / weight
/// (ties by index); a claimant whose demand fits its weighted part of what is left gets its demand,
/// the rest split what remains by weight.
pub fn water_fill(demands: &[f64], weights: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..demands.len()).collect();
    order.sort_by(|a, b| (demands[*a] / weights[*a]).total_cmp(&(demands[*b] / weights[*b])).then(a.cmp(b)));
    let mut fair = vec![0.0; demands.len()];
    let mut left = 1.0f64;
    let mut weight_left: f64 = weights.iter().sum();
    for (k, &i) in order.iter().enumerate() {
        let part = left * weights[i] / weight_left;
        if demands[i] <= part {
            fair[i] = demands[i];
            left -= demands[i];
            weight_left -= weights[i];
        } else {
            for &j in &order[k..] {
                fair[j] = left * weights[j] / weight_left;
            }
            break;
        }
    }
    fair
}

/// Jain's fairness index of `x` (1 for an empty or all-zero vector).
pub fn jain(x: &[f64]) -> f64 {
    let sum: f64 = x.iter().sum();
    let sq: f64 = x.iter().map(|v| v * v).sum();
    if x.is_empty() || sq == 0.0 { 1.0 } else { sum * sum / (x.len() as f64 * sq) }
}

/// The fairness picture at one instant.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// Per queue (by id): `(dominant share, fair share)` for queues with demand.
    pub queues: Vec<Option<(f64, f64)>>,
    /// Jain's index over the queues with demand (`None`: no queue has demand).
    pub jain: Option<f64>,
    /// Largest |dominant − fair| over queues with demand.
    pub deviation_max: f64,
    /// Mean |dominant − fair| over queues with demand.
    pub deviation_mean: f64,
}

impl Snapshot {
    /// Takes the snapshot of `st` (queues' own allocation; a queue with child queues holds no jobs
    /// itself and so never has demand).
    pub fn of(st: &ClusterState) -> Snapshot {
        let with_demand: Vec<usize> = (0..st.queues.len())
            .filter(|&i| st.queues[i].active_jobs > 0 && dominant_share(&st.queues[i].requested, &st.total) > 0.0)
            .collect();
        let mut snap = Snapshot { queues: vec![None; st.queues.len()], ..Snapshot::default() };
        if with_demand.is_empty() {
            return snap;
        }
        let demands: Vec<f64> =
            with_demand.iter().map(|&i| dominant_share(&st.queues[i].requested, &st.total).min(1.0)).collect();
        let weights: Vec<f64> = with_demand.iter().map(|&i| st.queues[i].weight.max(1) as f64).collect();
        let fair = water_fill(&demands, &weights);
        let mut x = Vec::with_capacity(with_demand.len());
        let mut dev_sum = 0.0;
        for (k, &i) in with_demand.iter().enumerate() {
            let dominant = dominant_share(&st.queues[i].allocated, &st.total);
            snap.queues[i] = Some((dominant, fair[k]));
            x.push(if fair[k] > 0.0 { dominant / fair[k] } else { 0.0 });
            let dev = (dominant - fair[k]).abs();
            snap.deviation_max = snap.deviation_max.max(dev);
            dev_sum += dev;
        }
        snap.deviation_mean = dev_sum / with_demand.len() as f64;
        snap.jain = Some(jain(&x));
        snap
    }
}

/// Time integrals of the fairness metrics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FairnessTally {
    /// ∫ J dt over time with demand (ms).
    pub jain_area: f64,
    /// Time with at least one queue with demand (ms).
    pub demand_ms: u64,
    /// Lowest instantaneous J.
    pub jain_min: Option<f64>,
    /// Largest instantaneous deviation.
    pub deviation_max: f64,
    /// ∫ mean deviation dt (ms).
    pub deviation_area: f64,
    /// Per queue: ∫ dominant share dt while it had demand (ms).
    pub dominant_area: Vec<f64>,
    /// Per queue: ∫ fair share dt while it had demand (ms).
    pub fair_area: Vec<f64>,
    /// Per queue: time with demand (ms).
    pub queue_demand_ms: Vec<u64>,
}

impl FairnessTally {
    /// Adds `dt` ms of `snap`.
    pub fn add(&mut self, dt: u64, snap: &Snapshot) {
        let n = snap.queues.len();
        if self.dominant_area.len() < n {
            self.dominant_area.resize(n, 0.0);
            self.fair_area.resize(n, 0.0);
            self.queue_demand_ms.resize(n, 0);
        }
        let Some(j) = snap.jain else { return };
        let t = dt as f64;
        self.jain_area += j * t;
        self.demand_ms += dt;
        self.jain_min = Some(self.jain_min.map_or(j, |m| m.min(j)));
        self.deviation_max = self.deviation_max.max(snap.deviation_max);
        self.deviation_area += snap.deviation_mean * t;
        for (i, q) in snap.queues.iter().enumerate() {
            if let Some((d, f)) = q {
                self.dominant_area[i] += d * t;
                self.fair_area[i] += f * t;
                self.queue_demand_ms[i] += dt;
            }
        }
    }
}

/// One sample of the fairness timeline (`fairness.csv`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FairnessRow {
    /// Sample time, seconds.
    pub time_s: f64,
    /// Queues with demand.
    pub queues_with_demand: u32,
    /// Jain's index over them (empty when none).
    pub jain_index: Option<f64>,
    /// Largest |dominant share − fair share|.
    pub deviation_max: f64,
    /// Mean |dominant share − fair share|.
    pub deviation_mean: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn water_fill_caps_small_demands_and_splits_the_rest_by_weight() {
        // Demands 0.1, 0.9, 0.9 with weights 1, 1, 2: the first gets its 0.1, the others split
        // 0.9 in 1:2.
        let f = water_fill(&[0.1, 0.9, 0.9], &[1.0, 1.0, 2.0]);
        assert!((f[0] - 0.1).abs() < 1e-12 && (f[1] - 0.3).abs() < 1e-12 && (f[2] - 0.6).abs() < 1e-12, "{f:?}");
        // Everyone fits: everyone gets its demand.
        assert_eq!(water_fill(&[0.2, 0.3], &[1.0, 1.0]), vec![0.2, 0.3]);
    }

    #[test]
    fn jain_index() {
        assert_eq!(jain(&[1.0, 1.0, 1.0]), 1.0);
        assert_eq!(jain(&[1.0, 0.0]), 0.5);
        // (1 + 3)² / (2 · (1 + 9)) = 16 / 20
        assert!((jain(&[1.0, 3.0]) - 0.8).abs() < 1e-12);
        assert_eq!(jain(&[0.0, 0.0]), 1.0);
    }
}
