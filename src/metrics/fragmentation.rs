//! GPU fragmentation over a run (FGD paper's measure, [`crate::model::fragmentation`]), sampled
//! with the timeline into `fragmentation.csv` and summarized in `summary.json`. Only runs whose
//! workload shares cards produce it, so other runs' outputs are unchanged.
//!
//! The typical task mix is that of every task submitted so far (rebuilt when tasks arrive).
//!
//! Samples are taken with every timeline sample, from the start of the run when the workload
//! shares cards ([`FragTracker::workload_shares`], set by the runner from the whole trace). They
//! go to their own file rather than to `timeline.csv`, whose columns are the same for every run
//! (optional columns would change the bytes of runs without sharing). Before the runner said so,
//! sampling began only once a sharing job had been submitted: in `openb-volcano-fgd` the first
//! milli-GPU pod arrives at 427,061 s, hence a first sample at 428,400 s (the next hourly sample)
//! and no series for the first five days, when only whole-GPU pods had arrived.

use crate::model::{ClusterState, SimTime};
use crate::sched::plugins::fgd::Typical;
use serde::Serialize;

/// One sample (`fragmentation.csv`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FragRow {
    /// Sample time, seconds.
    pub time_s: f64,
    /// Fragmented GPU capacity, % of all GPU capacity of healthy nodes.
    pub frag_amount_pct: f64,
    /// Fragmented GPU capacity, % of idle GPU capacity.
    pub frag_rate_pct: f64,
    /// Idle GPU capacity, GPUs.
    pub idle_gpus: f64,
    /// Fragmented GPU capacity, GPUs.
    pub frag_gpus: f64,
}

/// Summary figures (`summary.json`, key `fragmentation`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FragSummary {
    /// Mean over samples of the amount, %.
    pub amount_pct_mean: f64,
    /// Largest amount sampled, %.
    pub amount_pct_max: f64,
    /// Mean over samples of the rate, %.
    pub rate_pct_mean: f64,
}

/// Samples fragmentation while the run shares cards.
#[derive(Clone, Debug, Default)]
pub struct FragTracker {
    typical: Typical,
    jobs_seen: usize,
    shares: bool,
    /// Samples so far.
    pub rows: Vec<FragRow>,
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

impl FragTracker {
    /// The run's workload shares cards somewhere in its trace: sample from the first timeline
    /// sample on, not only once a sharing job has been submitted.
    pub fn workload_shares(&mut self) {
        self.shares = true;
    }

    /// Takes a sample if the workload shares cards.
    pub fn sample(&mut self, now: SimTime, st: &ClusterState) {
        if !st.devices.on {
            return;
        }
        if !self.shares && self.jobs_seen != st.jobs.len() {
            self.jobs_seen = st.jobs.len();
            self.shares = st.shares_cards();
        }
        if !self.shares {
            return;
        }
        self.typical.refresh(st);
        let c = self.typical.cluster(st);
        self.rows.push(FragRow {
            time_s: now.secs_f64(),
            frag_amount_pct: round3(c.amount_pct()),
            frag_rate_pct: round3(c.rate_pct()),
            idle_gpus: round3(c.idle as f64 / 1000.0),
            frag_gpus: round3(c.amount / 1000.0),
        });
    }

    /// The summary, if any sample was taken.
    pub fn summary(&self) -> Option<FragSummary> {
        if self.rows.is_empty() {
            return None;
        }
        let n = self.rows.len() as f64;
        Some(FragSummary {
            amount_pct_mean: round3(self.rows.iter().map(|r| r.frag_amount_pct).sum::<f64>() / n),
            amount_pct_max: self.rows.iter().map(|r| r.frag_amount_pct).fold(0.0, f64::max),
            rate_pct_mean: round3(self.rows.iter().map(|r| r.frag_rate_pct).sum::<f64>() / n),
        })
    }
}
