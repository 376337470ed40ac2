//! The plan's outputs: `plan.json` (everything, machine-readable), `plan.md` (the recommendation,
//! then a table of every evaluated point) and `frontier.svg`/`.png` (cost against the objective's
//! metric, the recommended fleet marked).

use super::search::{GrowthResult, PlanSpec};
use super::spec::{Constraint, Unit, Variable};
use crate::report::charts::{Chart, Kind, Series, XAxis, YAxis};
use crate::report::write::write_atomic;
use serde::Serialize;
use std::path::Path;

#[derive(Serialize)]
struct PlanJson<'a> {
    scenario: &'a str,
    seeds: &'a [u64],
    aggregate: &'static str,
    variables: &'a [Variable],
    objective: &'a Constraint,
    constraints: &'a [Constraint],
    results: &'a [GrowthResult],
    met: bool,
}

/// Whether every growth factor has a recommended fleet.
pub fn met(results: &[GrowthResult]) -> bool {
    results.iter().all(|r| r.recommended.is_some())
}

/// `plan.json`.
pub fn json(scenario: &str, seeds: &[u64], spec: &PlanSpec, results: &[GrowthResult]) -> String {
    let mut s = serde_json::to_string_pretty(&PlanJson {
        scenario,
        seeds,
        aggregate: "median over seeds",
        variables: &spec.variables,
        objective: &spec.objective,
        constraints: &spec.constraints,
        results,
        met: met(results),
    })
    .expect("serializable");
    s.push('\n');
    s
}

fn fleet_label(spec: &PlanSpec, values: &[String]) -> String {
    spec.variables
        .iter()
        .zip(values)
        .map(|(v, x)| {
            let name = v.count_pool().map(str::to_string).unwrap_or_else(|| v.key.clone());
            format!("{name}={x}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn cost(c: f64) -> String {
    if c.fract() == 0.0 { format!("{c:.0}") } else { format!("{c:.2}") }
}

/// One line per growth factor: the recommendation (or that none was found).
pub fn answers(spec: &PlanSpec, results: &[GrowthResult]) -> Vec<String> {
    results
        .iter()
        .map(|r| {
            let g = if spec.growth.len() > 1 || r.growth != 1.0 {
                format!("growth ×{}: ", r.growth)
            } else {
                String::new()
            };
            match r.recommended {
                Some(i) => {
                    let p = &r.points[i];
                    format!(
                        "{g}{} — cost {}/h, {} = {} (median), {}",
                        fleet_label(spec, &p.values),
                        cost(p.cost_per_hour),
                        spec.objective.metric,
                        spec.objective.show(p.medians[0]),
                        if p.meets_every_seed { "met by every seed" } else { "not met by every seed" }
                    )
                }
                None => format!("{g}objective missed: no evaluated fleet meets every constraint"),
            }
        })
        .collect()
}

/// `plan.md`.
pub fn markdown(scenario: &str, seeds: &[u64], spec: &PlanSpec, results: &[GrowthResult]) -> String {
    let all = spec.all_constraints();
    let mut s = format!("# Capacity plan: {scenario}\n\n");
    s.push_str(&format!(
        "Objective `{}`{}. Varied: {}. {} seed(s) per point ({}); a point meets the plan when every \
         constraint holds for the **median over seeds**. Cost = Σ nodes × cost per node-hour.\n\n",
        spec.objective.text,
        if spec.constraints.is_empty() {
            String::new()
        } else {
            format!(
                ", constraints {}",
                spec.constraints.iter().map(|c| format!("`{}`", c.text)).collect::<Vec<_>>().join(", ")
            )
        },
        spec.variables
            .iter()
            .map(|v| format!("`{}` ({} values)", v.key, v.values.len()))
            .collect::<Vec<_>>()
            .join(", "),
        seeds.len(),
        seeds.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", "),
    ));
    s.push_str("## Recommendation\n\n");
    for a in answers(spec, results) {
        s.push_str(&format!("- {a}\n"));
    }
    s.push_str("\n![frontier](frontier.svg)\n");
    for r in results {
        s.push_str(&format!(
            "\n## Evaluated points{} ({}, {} points)\n\n",
            if results.len() > 1 || r.growth != 1.0 { format!(" at growth ×{}", r.growth) } else { String::new() },
            match r.method {
                super::search::Method::Bisection => "bisection",
                super::search::Method::Grid => "grid",
            },
            r.points.len()
        ));
        s.push_str("| ");
        for v in &spec.variables {
            s.push_str(&format!(
                "{} | ",
                v.count_pool().map(|p| format!("{p} nodes")).unwrap_or_else(|| v.key.clone())
            ));
        }
        s.push_str("cost/h | ");
        for c in &all {
            s.push_str(&format!("{} | ", c.metric));
        }
        s.push_str("meets? | every seed? | probe |\n|");
        for _ in 0..spec.variables.len() + all.len() + 4 {
            s.push_str("---|");
        }
        s.push('\n');
        for (i, p) in r.points.iter().enumerate() {
            s.push_str("| ");
            for v in &p.values {
                s.push_str(&format!("{v} | "));
            }
            s.push_str(&format!("{} | ", cost(p.cost_per_hour)));
            for (c, m) in all.iter().zip(&p.medians) {
                s.push_str(&format!("{} | ", c.show(*m)));
            }
            let meets = match (p.meets, Some(i) == r.recommended) {
                (true, true) => "**yes — recommended**",
                (true, false) => "yes",
                _ => "no",
            };
            s.push_str(&format!("{meets} | {} | {} |\n", if p.meets_every_seed { "yes" } else { "no" }, p.probe));
        }
    }
    s
}

/// The frontier chart: every evaluated point (cost, objective median) per growth factor, the
/// objective's threshold dashed, the recommended fleets marked.
pub fn frontier(spec: &PlanSpec, results: &[GrowthResult]) -> Chart {
    let obj = &spec.objective;
    // Fleets far too small would flatten the interesting part near the threshold: for an upper
    // bound, values over 3× the threshold are drawn at 3× (the table has the real numbers).
    let cap = match obj.op {
        super::spec::Op::Le | super::spec::Op::Lt if obj.threshold > 0.0 => 3.0 * obj.threshold,
        _ => f64::INFINITY,
    };
    let y = |v: f64| v.min(cap);
    let mut series = Vec::new();
    let mut recommended = Vec::new();
    for (k, r) in results.iter().enumerate() {
        let name = if results.len() > 1 || r.growth != 1.0 {
            format!("evaluated, growth ×{}", r.growth)
        } else {
            "evaluated fleets".to_string()
        };
        series.push(Series::solid(name, k % 5, r.points.iter().map(|p| (p.cost_per_hour, y(p.medians[0]))).collect()));
        if let Some(i) = r.recommended {
            recommended.push((r.points[i].cost_per_hour, y(r.points[i].medians[0])));
        }
    }
    let (lo, hi) = results
        .iter()
        .flat_map(|r| r.points.iter().map(|p| p.cost_per_hour))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    if lo.is_finite() {
        let pad = ((hi - lo) * 0.06).max(1.0);
        series.push(Series::dashed(
            format!("objective {} {}", obj.op.symbol(), obj.show(obj.threshold)),
            7,
            vec![((lo - pad).max(0.0), obj.threshold), (hi + pad, obj.threshold)],
        ));
    }
    if !recommended.is_empty() {
        series.push(Series::solid("recommended", 5, recommended));
    }
    Chart {
        id: "frontier".into(),
        title: format!("Cost vs {}", obj.metric),
        x_label: "fleet cost per hour".into(),
        y_label: format!("{} (median over seeds)", obj.metric),
        x: XAxis::Plain,
        y: match obj.unit {
            Unit::Seconds => YAxis::Duration,
            Unit::Fraction => YAxis::Percent,
            Unit::Number => YAxis::Plain,
        },
        kind: Kind::Scatter,
        series,
        caption: if cap.is_finite() && results.iter().flat_map(|r| &r.points).any(|p| p.medians[0] > cap) {
            format!(
                "Each dot is a fleet evaluated over the seeds; the dashed line is the objective's threshold. Values \
                 above 3× the threshold are drawn at {} (plan.md has the real numbers).",
                obj.show(cap)
            )
        } else {
            "Each dot is a fleet evaluated over the seeds; the dashed line is the objective's threshold.".into()
        },
    }
}

/// Writes plan.json, plan.md, frontier.svg and frontier.png into `out`.
pub fn write(
    out: &Path,
    scenario: &str,
    seeds: &[u64],
    spec: &PlanSpec,
    results: &[GrowthResult],
) -> anyhow::Result<()> {
    std::fs::create_dir_all(out)?;
    write_atomic(&out.join("plan.json"), json(scenario, seeds, spec, results).as_bytes())?;
    write_atomic(&out.join("plan.md"), markdown(scenario, seeds, spec, results).as_bytes())?;
    let chart = frontier(spec, results);
    let svg = chart.to_svg().map_err(anyhow::Error::msg)?;
    write_atomic(&out.join("frontier.svg"), svg.as_bytes())?;
    chart.write_png(&out.join("frontier.png")).map_err(anyhow::Error::msg)?;
    Ok(())
}
