//! Experiments: one base scenario, several variants of it (another scheduler conf, kube-default,
//! `--set key=value` overrides) and several seeds each, run in parallel (rayon) and returned in a
//! fixed variant × seed order. Each run is the same single-threaded deterministic simulation as
//! `tephra run`, so the results do not depend on the number of threads (`RAYON_NUM_THREADS`).
//!
//! `tephra compare` is built on this; `check`, `plan` and `sweep` are meant to reuse it: build a
//! [`Plan`] (variants and seeds), call [`run_matrix`] with a closure that keeps what the command
//! needs from each run (a summary, or the whole [`RunOutput`]).

pub mod overrides;

use crate::runner::{self, RunOptions, RunOutput};
use crate::scenario::{Policy, Scenario, ScenarioError, load::load_conf};
use overrides::Assignment;
use rayon::prelude::*;
use std::path::PathBuf;

/// What a variant changes in the base scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// The scenario as written.
    AsWritten,
    /// Volcano with this `volcano-scheduler.conf`.
    Conf(PathBuf),
    /// The stock Kubernetes scheduler.
    KubeDefault,
    /// `--set` assignments, applied in order.
    Set(Vec<Assignment>),
}

/// One column of an experiment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variant {
    /// Short unique label (table column, folder name).
    pub label: String,
    /// The change.
    pub change: Change,
}

impl Variant {
    /// A variant with a label derived from the change.
    pub fn new(change: Change) -> Variant {
        let label = match &change {
            Change::AsWritten => "as-written".to_string(),
            Change::Conf(p) => p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "conf".into()),
            Change::KubeDefault => "kube-default".into(),
            Change::Set(a) => a.iter().map(|a| format!("{}={}", a.key, a.value)).collect::<Vec<_>>().join(","),
        };
        Variant { label, change }
    }

    /// The scenario this variant runs with `seed`.
    pub fn scenario(&self, base: &Scenario, seed: u64) -> Result<Scenario, ScenarioError> {
        let mut sc = base.clone();
        match &self.change {
            Change::AsWritten => {}
            Change::Conf(p) => sc.policy = load_conf(p)?,
            Change::KubeDefault => sc.policy = Policy::KubeDefault,
            Change::Set(list) => {
                for a in list {
                    overrides::apply(&mut sc, a)?;
                }
            }
        }
        sc.warnings = match &sc.policy {
            Policy::Volcano { conf, .. } => conf.warnings.clone(),
            Policy::KubeDefault => vec![],
        };
        sc.seed = seed;
        Ok(sc)
    }
}

/// Variants × seeds over one base scenario.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The scenario as loaded.
    pub base: Scenario,
    /// Columns, the first being the reference for relative changes.
    pub variants: Vec<Variant>,
    /// Seeds, the same for every variant.
    pub seeds: Vec<u64>,
}

/// `n` seeds starting at `first`: `first, first + 1, …` (so seed 0 of a comparison is the
/// scenario's own seed and its run matches `tephra run`).
pub fn seeds(first: u64, n: usize) -> Vec<u64> {
    (0..n as u64).map(|i| first.wrapping_add(i)).collect()
}

impl Plan {
    /// A plan; labels are made unique (`x`, `x#2`, …) and every variant's scenario is built once
    /// here, so bad input fails before anything runs.
    pub fn new(base: Scenario, variants: Vec<Variant>, seeds: Vec<u64>) -> Result<Plan, ScenarioError> {
        let mut out: Vec<Variant> = Vec::new();
        for mut v in variants {
            let stem = v.label.clone();
            let mut k = 1;
            while out.iter().any(|o| o.label == v.label) {
                k += 1;
                v.label = format!("{stem}#{k}");
            }
            out.push(v);
        }
        if seeds.is_empty() {
            return Err(ScenarioError::Input("an experiment needs at least one seed".into()));
        }
        let plan = Plan { base, variants: out, seeds };
        for v in &plan.variants {
            v.scenario(&plan.base, plan.seeds[0])?;
        }
        Ok(plan)
    }
}

/// Where a run sits in the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell {
    /// Variant index.
    pub variant: usize,
    /// Seed index.
    pub seed_index: usize,
    /// The seed.
    pub seed: u64,
}

/// Runs every variant × seed in parallel and returns `keep`'s results as `[variant][seed]`.
/// The order never depends on scheduling: rayon's indexed collect puts each result in its slot.
pub fn run_matrix<T: Send>(
    plan: &Plan,
    opts: &RunOptions,
    keep: impl Fn(Cell, &Scenario, RunOutput) -> T + Sync,
) -> Result<Vec<Vec<T>>, ScenarioError> {
    let cells: Vec<Cell> = (0..plan.variants.len())
        .flat_map(|v| plan.seeds.iter().enumerate().map(move |(i, s)| Cell { variant: v, seed_index: i, seed: *s }))
        .collect();
    let results: Vec<Result<T, ScenarioError>> = cells
        .par_iter()
        .map(|c| {
            let sc = plan.variants[c.variant].scenario(&plan.base, c.seed)?;
            let out = runner::run(&sc, opts, |_| {})?;
            Ok(keep(*c, &sc, out))
        })
        .collect();
    let mut grid: Vec<Vec<T>> = (0..plan.variants.len()).map(|_| Vec::with_capacity(plan.seeds.len())).collect();
    for (c, r) in cells.iter().zip(results) {
        grid[c.variant].push(r?);
    }
    Ok(grid)
}
