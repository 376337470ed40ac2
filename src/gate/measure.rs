//! Runs a suite: every scenario over its seeds, in parallel (rayon), results in suite order
//! whatever the thread count.

use super::metric::MetricSpec;
use super::suite::Suite;
use crate::runner::{self, RunOptions};
use crate::scenario;
use rayon::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One scenario's results over its seeds.
#[derive(Clone, Debug)]
pub struct Measured {
    /// Scenario name (unique in a suite).
    pub name: String,
    /// Scenario file.
    pub file: PathBuf,
    /// Seeds run, in order.
    pub seeds: Vec<u64>,
    /// Per gated metric path: its value for each seed (`None` where the summary lacks it).
    pub values: BTreeMap<String, Vec<Option<f64>>>,
}

/// Runs every scenario of `suite` over `suite.seeds` seeds (the scenario's own seed and the next
/// ones). `done` is called after each run (for a progress bar). Errors name the scenario file.
pub fn measure(suite: &Suite, done: &(dyn Fn() + Sync)) -> Result<Vec<Measured>, String> {
    let loaded = suite
        .scenarios
        .iter()
        .map(|p| scenario::load(p).map_err(|e| e.to_string()).map(|sc| (p.clone(), sc)))
        .collect::<Result<Vec<_>, String>>()?;
    let mut names = BTreeMap::new();
    for (p, sc) in &loaded {
        if let Some(other) = names.insert(sc.name.clone(), p.clone()) {
            return Err(format!(
                "{} and {}: two scenarios named `{}` in one suite (names key the baseline)",
                other.display(),
                p.display(),
                sc.name
            ));
        }
    }
    let jobs: Vec<(usize, u64)> =
        (0..loaded.len()).flat_map(|i| (0..suite.seeds as u64).map(move |k| (i, k))).collect();
    let summaries: Vec<Result<Value, String>> = jobs
        .par_iter()
        .map(|&(i, k)| {
            let (path, sc) = &loaded[i];
            let mut sc = sc.clone();
            sc.seed = sc.seed.wrapping_add(k);
            let out = runner::run(&sc, &RunOptions::default(), |_| {})
                .map_err(|e| format!("{}: seed {}: {e}", path.display(), sc.seed))?;
            done();
            serde_json::to_value(&out.summary).map_err(|e| e.to_string())
        })
        .collect();
    let mut summaries = summaries.into_iter();
    let mut measured = Vec::new();
    for (path, sc) in &loaded {
        let mut values: BTreeMap<String, Vec<Option<f64>>> = BTreeMap::new();
        let mut seeds = Vec::new();
        for k in 0..suite.seeds as u64 {
            let summary = summaries.next().expect("one per job")?;
            seeds.push(sc.seed.wrapping_add(k));
            for m in &suite.metrics {
                values.entry(m.path.clone()).or_default().push(m.value_in(&summary));
            }
        }
        measured.push(Measured { name: sc.name.clone(), file: path.clone(), seeds, values });
    }
    unknown_metrics(&suite.metrics, &measured)?;
    Ok(measured)
}

/// Refuses a gated metric that no run of the suite has: a misspelled path would otherwise write a
/// baseline of nulls and then fail every check as "missing" instead of saying what is wrong.
fn unknown_metrics(specs: &[MetricSpec], measured: &[Measured]) -> Result<(), String> {
    let absent: Vec<&str> = specs
        .iter()
        .filter(|s| measured.iter().all(|m| m.values.get(&s.path).is_none_or(|v| v.iter().all(Option::is_none))))
        .map(|s| s.path.as_str())
        .collect();
    if absent.is_empty() {
        return Ok(());
    }
    Err(format!(
        "gated metric(s) {} are in no scenario's summary.json (misspelled? a metric is a dotted path to a number, \
         such as `queueing_delay_s.p95` or `queues.prod.completed`; see docs/summary-schema.md)",
        absent.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
    ))
}

/// The gated metrics' values of one scenario, present for every seed, or `None`.
pub fn complete(values: &[Option<f64>]) -> Option<Vec<f64>> {
    values.iter().copied().collect()
}

/// Metrics of `specs` a measurement lacks for some seed.
pub fn missing<'a>(m: &Measured, specs: &'a [MetricSpec]) -> Vec<&'a str> {
    specs
        .iter()
        .filter(|s| m.values.get(&s.path).and_then(|v| complete(v)).is_none())
        .map(|s| s.path.as_str())
        .collect()
}
