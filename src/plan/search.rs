//! The search for the cheapest fleet: bisection when one node count is varied (fewest runs), a
//! full grid otherwise. Each evaluated point runs the scenario over the same seeds; a point meets
//! the plan when every constraint holds for the **median over seeds** (the same reading as
//! `tephra check`: one unlucky seed neither makes nor breaks a fleet); whether every single seed
//! met it is recorded beside it.

use super::spec::{Constraint, NodeEffect, Variable};
use crate::experiment::{self, Change, Plan, Variant, overrides::Assignment};
use crate::gate::verdict::median;
use crate::runner::RunOptions;
use crate::scenario::Scenario;
use anyhow::{Context, Result, bail};
use serde::Serialize;
use std::collections::BTreeMap;

/// How to search.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Bisection on one node count; assumes the constraints, once met, stay met with more nodes.
    Bisection,
    /// Every combination of the variables' values.
    Grid,
}

/// What to plan.
#[derive(Clone, Debug)]
pub struct PlanSpec {
    /// Varied keys.
    pub variables: Vec<Variable>,
    /// The SLO (charted against cost); it also must hold.
    pub objective: Constraint,
    /// Further constraints.
    pub constraints: Vec<Constraint>,
    /// Seeds per point (the scenario's seed and the next ones).
    pub seeds: usize,
    /// Arrival-rate factors (`[1.0]` when no growth what-if).
    pub growth: Vec<f64>,
    /// Forced method (`None`: bisection when possible, else grid).
    pub method: Option<Method>,
}

impl PlanSpec {
    /// Objective first, then the constraints.
    pub fn all_constraints(&self) -> Vec<&Constraint> {
        std::iter::once(&self.objective).chain(&self.constraints).collect()
    }

    /// The method used: bisection for a single `fleet.pools.NAME.count` variable when every
    /// constraint's trend in the node count is known, unless grid is asked; grid otherwise.
    pub fn method(&self) -> Result<Method> {
        let single_count = self.variables.len() == 1 && self.variables[0].count_pool().is_some();
        let unknown = self.all_constraints().into_iter().find(|c| c.more_nodes() == NodeEffect::Unknown);
        match (self.method, unknown) {
            (Some(Method::Bisection), _) if !single_count => {
                bail!("--search bisection needs exactly one --vary fleet.pools.NAME.count")
            }
            (Some(Method::Bisection), Some(c)) => bail!(
                "--search bisection: `{}` has no known trend in the node count, so bisection could skip \
                 the answer; use --search grid",
                c.text
            ),
            (Some(m), _) => Ok(m),
            (None, None) if single_count => Ok(Method::Bisection),
            (None, _) => Ok(Method::Grid),
        }
    }
}

/// One evaluated fleet.
#[derive(Clone, Debug, Serialize)]
pub struct Point {
    /// Values of the variables, in `--vary` order.
    pub values: Vec<String>,
    /// Σ nodes × cost per node-hour over every pool of the fleet.
    pub cost_per_hour: f64,
    /// Median over seeds of each constraint's metric (objective first).
    pub medians: Vec<f64>,
    /// Each constraint's metric per seed (objective first).
    pub per_seed: Vec<Vec<f64>>,
    /// Every constraint holds for the median.
    pub meets: bool,
    /// Every constraint holds for every seed.
    pub meets_every_seed: bool,
    /// 1 for the first point evaluated, 2 for the next, … (bisection probes in order).
    pub probe: usize,
}

/// The search at one growth factor.
#[derive(Clone, Debug, Serialize)]
pub struct GrowthResult {
    /// Arrival-rate factor.
    pub growth: f64,
    /// Method used.
    pub method: Method,
    /// Evaluated points, cheapest first (ties by variable values).
    pub points: Vec<Point>,
    /// Index into `points` of the cheapest point that meets the plan.
    pub recommended: Option<usize>,
}

/// Parses a variable's value for ordering (numbers numerically, others as text).
fn order_key(v: &str) -> (u8, i64, String) {
    match v.parse::<i64>() {
        Ok(n) => (0, n, String::new()),
        Err(_) => (1, 0, v.to_string()),
    }
}

/// Runs `combos` (variable values) at `growth` over the seeds, in parallel, and measures them.
fn evaluate(
    base: &Scenario,
    spec: &PlanSpec,
    growth: f64,
    combos: &[Vec<String>],
    seeds: &[u64],
    done: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Point>> {
    let variants: Vec<Variant> = combos
        .iter()
        .map(|vals| {
            let mut set: Vec<Assignment> = spec
                .variables
                .iter()
                .zip(vals)
                .map(|(v, x)| Assignment { key: v.key.clone(), value: x.clone() })
                .collect();
            if growth != 1.0 {
                set.push(Assignment { key: "workload.arrival_scale".into(), value: format!("{growth}") });
            }
            Variant::new(Change::Set(set))
        })
        .collect();
    let plan = Plan::new(base.clone(), variants, seeds.to_vec()).map_err(anyhow::Error::msg)?;
    let constraints = spec.all_constraints();
    let grid = experiment::run_matrix(&plan, &RunOptions::default(), |_, _, out| {
        done(1);
        serde_json::to_value(&out.summary).map(|s| constraints.iter().map(|c| c.value_in(&s)).collect::<Vec<_>>())
    })
    .map_err(anyhow::Error::msg)?;
    let mut points = Vec::new();
    for (k, runs) in grid.into_iter().enumerate() {
        let sc = plan.variants[k].scenario(&plan.base, seeds[0]).map_err(anyhow::Error::msg)?;
        let mut per_seed = vec![Vec::new(); constraints.len()];
        for run in runs {
            let values = run.context("serializing a summary")?;
            for (i, (c, v)) in constraints.iter().zip(values).enumerate() {
                let v =
                    v.with_context(|| format!("metric `{}` ({}) is not a number in summary.json", c.metric, c.path))?;
                per_seed[i].push(v);
            }
        }
        let medians: Vec<f64> = per_seed.iter().map(|v| median(v)).collect();
        let meets = constraints.iter().zip(&medians).all(|(c, m)| c.holds(*m));
        let meets_every_seed = constraints.iter().zip(&per_seed).all(|(c, v)| v.iter().all(|x| c.holds(*x)));
        points.push(Point {
            values: combos[k].clone(),
            cost_per_hour: sc.fleet_cost_per_hour(),
            medians,
            per_seed,
            meets,
            meets_every_seed,
            probe: 0,
        });
    }
    Ok(points)
}

/// Runs the whole plan: one search per growth factor. `done(n)` reports n finished runs.
pub fn search(base: &Scenario, spec: &PlanSpec, done: &(dyn Fn(usize) + Sync)) -> Result<Vec<GrowthResult>> {
    if spec.seeds == 0 {
        bail!("--seeds must be at least 1");
    }
    if spec.variables.is_empty() {
        bail!("give at least one --vary KEY=RANGE");
    }
    let method = spec.method()?;
    let seeds = experiment::seeds(base.seed, spec.seeds);
    let mut results = Vec::new();
    for &g in &spec.growth {
        let mut points: Vec<Point> = match method {
            Method::Grid => {
                let combos = grid(&spec.variables);
                if combos.len() > super::spec::MAX_VALUES {
                    bail!("the grid has {} points (at most {})", combos.len(), super::spec::MAX_VALUES);
                }
                let mut pts = evaluate(base, spec, g, &combos, &seeds, done)?;
                for (i, p) in pts.iter_mut().enumerate() {
                    p.probe = i + 1;
                }
                pts
            }
            Method::Bisection => bisect(base, spec, g, &seeds, done)?,
        };
        points.sort_by(|a, b| {
            a.cost_per_hour.total_cmp(&b.cost_per_hour).then_with(|| {
                let ka: Vec<_> = a.values.iter().map(|v| order_key(v)).collect();
                let kb: Vec<_> = b.values.iter().map(|v| order_key(v)).collect();
                ka.cmp(&kb)
            })
        });
        // Cheapest meeting point; among equal costs the better objective, then the first in order.
        let obj = &spec.objective;
        let better = |a: f64, b: f64| match obj.op {
            super::spec::Op::Le | super::spec::Op::Lt => a < b,
            _ => a > b,
        };
        let mut best: Option<usize> = None;
        for (i, p) in points.iter().enumerate().filter(|(_, p)| p.meets) {
            match best {
                None => best = Some(i),
                Some(b) if p.cost_per_hour == points[b].cost_per_hour && better(p.medians[0], points[b].medians[0]) => {
                    best = Some(i)
                }
                _ => {}
            }
        }
        results.push(GrowthResult { growth: g, method, points, recommended: best });
    }
    Ok(results)
}

/// Every combination of the variables' values, the last variable varying fastest.
fn grid(vars: &[Variable]) -> Vec<Vec<String>> {
    let mut combos: Vec<Vec<String>> = vec![vec![]];
    for v in vars {
        combos = combos
            .into_iter()
            .flat_map(|c| {
                v.values.iter().map(move |x| {
                    let mut c = c.clone();
                    c.push(x.clone());
                    c
                })
            })
            .collect();
    }
    combos
}

/// Bisection on the one count variable over its values sorted ascending, on the constraints that
/// more nodes help (delay-type SLOs): evaluate the largest (if those fail, nothing smaller is
/// tried: the plan is missed within the range), then the smallest (if they hold, it is the
/// candidate), then halve the interval between the largest failing and the smallest holding
/// value until they are neighbours. Constraints that more nodes hurt (`gpu_allocation >= 80%`)
/// are best met at the smallest count, so the fleet meets the plan exactly when that smallest
/// candidate meets them too. The answer is exact when every metric is monotone in the count.
fn bisect(
    base: &Scenario,
    spec: &PlanSpec,
    growth: f64,
    seeds: &[u64],
    done: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Point>> {
    let mut values = spec.variables[0].values.clone();
    for v in &values {
        v.parse::<u32>().map_err(|_| anyhow::anyhow!("--vary {}: `{v}` is not a node count", spec.variables[0].key))?;
    }
    values.sort_by_key(|v| v.parse::<u32>().unwrap_or(0));
    values.dedup();
    let helped: Vec<usize> = spec
        .all_constraints()
        .iter()
        .enumerate()
        .filter(|(_, c)| c.more_nodes() == NodeEffect::Helps)
        .map(|(i, _)| i)
        .collect();
    let all = spec.all_constraints();
    let helped_hold = |p: &Point| helped.iter().all(|&i| all[i].holds(p.medians[i]));
    let mut seen: BTreeMap<usize, Point> = BTreeMap::new();
    let mut probe = 0;
    let mut eval = |i: usize, seen: &mut BTreeMap<usize, Point>| -> Result<bool> {
        if let Some(p) = seen.get(&i) {
            return Ok(helped_hold(p));
        }
        let mut p = evaluate(base, spec, growth, &[vec![values[i].clone()]], seeds, done)?.remove(0);
        probe += 1;
        p.probe = probe;
        let holds = helped_hold(&p);
        seen.insert(i, p);
        Ok(holds)
    };
    let (mut lo, mut hi) = (0, values.len() - 1);
    if eval(hi, &mut seen)? && !eval(lo, &mut seen)? {
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if eval(mid, &mut seen)? {
                hi = mid;
            } else {
                lo = mid;
            }
        }
    }
    Ok(seen.into_values().collect())
}
