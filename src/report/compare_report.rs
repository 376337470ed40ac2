//! The comparison report (`tephra compare`): one side-by-side table of every variant (median over
//! seeds, [min–max] spread, relative change of the median against the first column, and a
//! within-noise marker), overlaid charts, and links to each variant's own full report.
//!
//! **Within seed noise** (marked ≈): with at least two seeds, a variant's [min, max] range over
//! seeds overlaps the first column's range, i.e. some seed of each variant gives values on the
//! other side of the difference; the change is then not distinguishable from the effect of the
//! seed (job arrival tie-breaks, node choice) at this number of seeds. With one seed there is no
//! noise estimate and nothing is marked.
//!
//! Machine-readable: `compare.json` (the table with every seed's value), and the cross-run
//! tables `runs.csv` (one row per variant × seed, see [`runs_frame`]) and `variants.csv` (median,
//! min and max per variant and metric, see [`variants_frame`]), also as Parquet with the
//! `analytics` feature.
//!
//! Everything here comes from simulated results only, so the whole folder (except the
//! sub-reports' `perf.json`) is byte-identical for any thread count.

use super::charts::{Chart, Kind, Series, XAxis, YAxis};
use super::document::{Block, Document};
use super::frame::{Frame, at_path};
use super::run_report::{
    DEFINITIONS, FRAGMENTATION_DEFINITIONS, RECOVERY_DEFINITIONS, cdf_points, cluster_series, jct_by_class,
    render_charts, settings_rows,
};
use super::table::human_secs;
use crate::experiment::{Change, Plan};
use crate::metrics::Summary;
use crate::runner::RunOutput;
use serde::Serialize;
use serde_json::Value;
use std::path::Path;

/// What a comparison keeps of each run.
#[derive(Clone, Debug)]
pub struct RunDigest {
    /// The run's summary.
    pub summary: Summary,
    /// Allocated accelerators over time (cluster).
    pub alloc: Vec<(f64, f64)>,
    /// Accelerators of progressing jobs over time (cluster).
    pub goodput: Vec<(f64, f64)>,
    /// Healthy accelerators over time.
    pub capacity: Vec<(f64, f64)>,
    /// Queueing delays of jobs whose gang ran, seconds.
    pub delays: Vec<f64>,
    /// Jain's index over the queues with demand, over time.
    pub jain: Vec<(f64, f64)>,
}

impl RunDigest {
    /// The digest of one run.
    pub fn of(out: &RunOutput) -> RunDigest {
        RunDigest {
            summary: out.summary.clone(),
            alloc: cluster_series(out, |r| Some(r.accel_alloc)),
            goodput: cluster_series(out, |r| r.accel_goodput),
            capacity: cluster_series(out, |r| r.accel_total),
            delays: out.jobs.iter().filter_map(|j| j.queueing_delay_s).collect(),
            jain: out.fairness.iter().filter_map(|r| Some((r.time_s, r.jain_index?))).collect(),
        }
    }
}

/// How a metric is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// A fraction shown as %.
    Percent,
    /// Seconds.
    Seconds,
    /// A plain ratio or index.
    Ratio,
    /// A count.
    Count,
    /// GPU-hours.
    GpuHours,
    /// A share already in percent (fragmentation), shown as %.
    #[serde(rename = "percent_points")]
    PercentPoints,
}

impl Unit {
    fn show(self, v: f64) -> String {
        match self {
            Unit::Percent => format!("{:.1}%", v * 100.0),
            Unit::Seconds => human_secs(v),
            Unit::Ratio => format!("{v:.3}"),
            Unit::Count => format!("{v:.0}"),
            Unit::GpuHours => format!("{v:.1}"),
            Unit::PercentPoints => format!("{v:.1}%"),
        }
    }
}

type Getter = fn(&Summary) -> Option<f64>;

/// The compared metrics, in table order: display name, its path in `summary.json` (the column
/// name in the cross-run tables `runs.csv` and `variants.csv`), unit, value.
pub const METRICS: &[(&str, &str, Unit, Getter)] = &[
    ("jobs completed", "jobs.completed", Unit::Count, |s| Some(s.jobs.completed as f64)),
    ("GPU allocation", "accel_allocation", Unit::Percent, |s| Some(s.accel_allocation)),
    ("GPU goodput", "accel_goodput", Unit::Percent, |s| Some(s.accel_goodput)),
    ("CPU allocation", "cpu_allocation", Unit::Percent, |s| Some(s.cpu_allocation)),
    ("queueing delay mean", "queueing_delay_s.mean", Unit::Seconds, |s| Some(s.queueing_delay_s.mean)),
    ("queueing delay p50", "queueing_delay_s.p50", Unit::Seconds, |s| Some(s.queueing_delay_s.p50)),
    ("queueing delay p90", "queueing_delay_s.p90", Unit::Seconds, |s| Some(s.queueing_delay_s.p90)),
    ("queueing delay p99", "queueing_delay_s.p99", Unit::Seconds, |s| Some(s.queueing_delay_s.p99)),
    ("JCT p50", "jct_s.p50", Unit::Seconds, |s| Some(s.jct_s.p50)),
    ("JCT p90", "jct_s.p90", Unit::Seconds, |s| Some(s.jct_s.p90)),
    ("JCT p99", "jct_s.p99", Unit::Seconds, |s| Some(s.jct_s.p99)),
    ("slowdown p50", "slowdown.p50", Unit::Ratio, |s| Some(s.slowdown.p50)),
    ("slowdown p90", "slowdown.p90", Unit::Ratio, |s| Some(s.slowdown.p90)),
    ("makespan", "makespan_s", Unit::Seconds, |s| Some(s.makespan_s)),
    ("Jain's index (time mean)", "fairness.jain_mean", Unit::Ratio, |s| s.fairness.jain_mean),
    ("Jain's index (min)", "fairness.jain_min", Unit::Ratio, |s| s.fairness.jain_min),
    ("deviation from fair share, max", "fairness.deviation_max", Unit::Percent, |s| Some(s.fairness.deviation_max)),
    ("deviation from fair share, mean", "fairness.deviation_mean", Unit::Percent, |s| Some(s.fairness.deviation_mean)),
    ("longest wait", "fairness.longest_wait_s", Unit::Seconds, |s| Some(s.fairness.longest_wait_s)),
    ("finish-time fairness ρ, max", "fairness.finish_time_fairness_max", Unit::Ratio, |s| {
        s.fairness.finish_time_fairness_max
    }),
    ("evictions", "evictions", Unit::Count, |s| Some(s.evictions as f64)),
    ("cross-queue evictions", "fairness.cross_queue_evictions", Unit::Count, |s| {
        Some(s.fairness.cross_queue_evictions as f64)
    }),
    ("evicted GPU-hours", "fairness.evicted_gpu_hours", Unit::GpuHours, |s| Some(s.fairness.evicted_gpu_hours)),
    ("cross-queue evicted GPU-hours", "fairness.cross_queue_evicted_gpu_hours", Unit::GpuHours, |s| {
        Some(s.fairness.cross_queue_evicted_gpu_hours)
    }),
    ("scheduling cycles", "cycles", Unit::Count, |s| Some(s.cycles as f64)),
    // Present only when the runs share cards.
    ("fragmentation amount (mean)", "fragmentation.amount_pct_mean", Unit::PercentPoints, |s| {
        s.fragmentation.as_ref().map(|f| f.amount_pct_mean)
    }),
    ("fragmentation rate (mean)", "fragmentation.rate_pct_mean", Unit::PercentPoints, |s| {
        s.fragmentation.as_ref().map(|f| f.rate_pct_mean)
    }),
    // Present only when faults or lifecycle policies are on.
    ("node failures", "recovery.node_failures", Unit::Count, |s| s.recovery.as_ref().map(|r| r.node_failures as f64)),
    ("incidents", "recovery.incidents", Unit::Count, |s| s.recovery.as_ref().map(|r| r.incidents as f64)),
    ("unrecovered incidents", "recovery.unrecovered", Unit::Count, |s| {
        s.recovery.as_ref().map(|r| r.unrecovered as f64)
    }),
    ("MTTR p50", "recovery.mttr_s.p50", Unit::Seconds, |s| {
        s.recovery.as_ref().filter(|r| r.mttr_s.count > 0).map(|r| r.mttr_s.p50)
    }),
    ("MTTR p95", "recovery.mttr_s.p95", Unit::Seconds, |s| {
        s.recovery.as_ref().filter(|r| r.mttr_s.count > 0).map(|r| r.mttr_s.p95)
    }),
    ("MTTR max", "recovery.mttr_s.max", Unit::Seconds, |s| {
        s.recovery.as_ref().filter(|r| r.mttr_s.count > 0).map(|r| r.mttr_s.max)
    }),
    ("restarts", "recovery.restarts", Unit::Count, |s| s.recovery.as_ref().map(|r| r.restarts as f64)),
    ("lost GPU-hours", "recovery.lost_gpu_hours", Unit::GpuHours, |s| s.recovery.as_ref().map(|r| r.lost_gpu_hours)),
    ("useful-compute ratio", "recovery.useful_compute_ratio", Unit::Ratio, |s| {
        s.recovery.as_ref().map(|r| r.useful_compute_ratio)
    }),
];

/// One variant's values of one metric over seeds.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CompareCell {
    /// Per seed, in seed order (`null` where undefined).
    pub values: Vec<Option<f64>>,
    /// Median over the seeds with a value (mean of the middle two for an even count).
    pub median: Option<f64>,
    /// Smallest value.
    pub min: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
    /// (median − first column's median) / |first column's median|; `null` in the first column or
    /// when the reference is 0.
    pub rel_change: Option<f64>,
    /// The ranges over seeds overlap the first column's (needs ≥ 2 seeds).
    pub within_noise: bool,
}

/// One table row.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CompareRow {
    /// Metric name.
    pub metric: &'static str,
    /// Its path in `summary.json` (the column name in the cross-run tables).
    pub path: &'static str,
    /// Unit.
    pub unit: Unit,
    /// Per variant.
    pub cells: Vec<CompareCell>,
}

/// `compare.json`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CompareJson {
    /// Schema version of this file.
    pub schema_version: u32,
    /// Scenario name.
    pub scenario: String,
    /// Seeds.
    pub seeds: Vec<u64>,
    /// Variant labels.
    pub variants: Vec<String>,
    /// Policy of each variant.
    pub policies: Vec<String>,
    /// The table.
    pub rows: Vec<CompareRow>,
}

fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// The table rows for `grid` (`[variant][seed]`); a metric no run has (recovery figures without
/// faults, fragmentation without shared cards) gets no row.
pub fn rows(grid: &[Vec<RunDigest>]) -> Vec<CompareRow> {
    let seeds = grid.first().map_or(0, |g| g.len());
    METRICS
        .iter()
        .map(|(name, path, unit, get)| {
            let mut cells: Vec<CompareCell> = grid
                .iter()
                .map(|runs| {
                    let values: Vec<Option<f64>> = runs.iter().map(|r| get(&r.summary)).collect();
                    let mut v: Vec<f64> = values.iter().flatten().copied().collect();
                    v.sort_by(|a, b| a.total_cmp(b));
                    CompareCell {
                        values,
                        median: median(&v).map(crate::metrics::summary::round6),
                        min: v.first().copied(),
                        max: v.last().copied(),
                        rel_change: None,
                        within_noise: false,
                    }
                })
                .collect();
            let reference = cells.first().cloned();
            if let Some(r) = reference {
                for c in cells.iter_mut().skip(1) {
                    c.rel_change = match (c.median, r.median) {
                        (Some(m), Some(m0)) if m0 != 0.0 => Some(crate::metrics::summary::round6((m - m0) / m0.abs())),
                        _ => None,
                    };
                    c.within_noise = seeds >= 2
                        && matches!((c.min, c.max, r.min, r.max), (Some(a0), Some(a1), Some(b0), Some(b1)) if a0 <= b1 && b0 <= a1);
                }
            }
            CompareRow { metric: name, path, unit: *unit, cells }
        })
        .filter(|row| row.cells.iter().any(|c| c.median.is_some()))
        .collect()
}

fn show_cell(row: &CompareRow, c: &CompareCell, first: bool, seeds: usize) -> String {
    let Some(m) = c.median else { return "–".into() };
    let mut s = row.unit.show(m);
    if seeds >= 2
        && let (Some(lo), Some(hi)) = (c.min, c.max)
    {
        s.push_str(&format!(" [{}–{}]", row.unit.show(lo), row.unit.show(hi)));
    }
    if !first {
        match c.rel_change {
            Some(r) => s.push_str(&format!(" ({:+.1}%)", r * 100.0)),
            None if m == 0.0 => {}
            None => s.push_str(" (n/a)"),
        }
        if c.within_noise {
            s.push_str(" ≈");
        }
    }
    s
}

/// File-system-safe folder name for a variant label.
pub fn slug(label: &str) -> String {
    label.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' { c } else { '-' }).collect()
}

/// Overlaid charts: allocation and goodput over time (first seed of each variant), queueing-delay
/// CDF pooled over seeds, JCT p50 by size class (first seed).
pub fn charts(plan: &Plan, grid: &[Vec<RunDigest>]) -> Vec<Chart> {
    let over_time = |id: &str, title: &str, caption: &str, pick: &dyn Fn(&RunDigest) -> Vec<(f64, f64)>| {
        let mut series: Vec<Series> = plan
            .variants
            .iter()
            .zip(grid)
            .enumerate()
            .map(|(i, (v, runs))| Series::solid(v.label.clone(), i, pick(&runs[0])))
            .collect();
        if let Some(runs) = grid.first() {
            series.push(Series::dashed("healthy capacity", 7, runs[0].capacity.clone()));
        }
        Chart {
            id: id.into(),
            title: title.into(),
            x_label: "simulated time".into(),
            y_label: "accelerators".into(),
            x: XAxis::Time,
            y: YAxis::Plain,
            kind: Kind::Lines,
            series,
            caption: caption.into(),
        }
    };
    let mut charts = vec![
        over_time(
            "gpu-allocation",
            "GPU allocation over time",
            "Allocated accelerators per variant (first seed); dashed: healthy capacity.",
            &|r| r.alloc.clone(),
        ),
        over_time(
            "gpu-goodput",
            "GPU goodput over time",
            "Accelerators of jobs making progress per variant (first seed); dashed: healthy capacity.",
            &|r| r.goodput.clone(),
        ),
    ];
    let delays: Vec<Series> = plan
        .variants
        .iter()
        .zip(grid)
        .enumerate()
        .map(|(i, (v, runs))| {
            let all: Vec<f64> = runs.iter().flat_map(|r| r.delays.iter().copied()).collect();
            Series::solid(v.label.clone(), i, cdf_points(&all, 400))
        })
        .collect();
    charts.push(Chart::queueing_delay_cdf(delays, "Queueing delay of all jobs of all seeds, per variant."));
    let firsts: Vec<(String, &Summary)> =
        plan.variants.iter().zip(grid).map(|(v, runs)| (v.label.clone(), &runs[0].summary)).collect();
    charts.push(jct_by_class(&firsts));
    if grid.iter().any(|runs| runs[0].summary.queues.len() > 1) {
        let jain = plan
            .variants
            .iter()
            .zip(grid)
            .enumerate()
            .map(|(i, (v, runs))| Series::solid(v.label.clone(), i, runs[0].jain.clone()))
            .collect();
        charts.push(Chart {
            id: "fairness".into(),
            title: "Jain's index over time".into(),
            x_label: "simulated time".into(),
            y_label: "Jain's index over queues with demand".into(),
            x: XAxis::Time,
            y: YAxis::Plain,
            kind: Kind::Lines,
            series: jain,
            caption: "Jain's index over the queues with demand per variant (first seed); 1 = every queue at the same \
                      fraction of its fair share."
                .into(),
        });
    }
    charts.extend(recovery_charts(plan, grid));
    charts.retain(|c| !c.is_empty());
    charts
}

/// With faults in some run: MTTR p50/p95 and lost GPU-hours per variant (medians over seeds).
fn recovery_charts(plan: &Plan, grid: &[Vec<RunDigest>]) -> Vec<Chart> {
    if !grid.iter().flatten().any(|r| r.summary.recovery.is_some()) {
        return Vec::new();
    }
    let labels: Vec<String> = plan.variants.iter().map(|v| v.label.clone()).collect();
    let per_variant = |f: &dyn Fn(&crate::metrics::recovery::RecoverySummary) -> f64| -> Vec<(f64, f64)> {
        grid.iter()
            .enumerate()
            .filter_map(|(i, runs)| {
                let mut v: Vec<f64> = runs.iter().filter_map(|r| r.summary.recovery.as_ref().map(f)).collect();
                v.sort_by(f64::total_cmp);
                median(&v).map(|m| (i as f64, m))
            })
            .collect()
    };
    let bars = |id: &str, title: &str, y_label: &str, y: YAxis, series: Vec<Series>, caption: &str| Chart {
        id: id.into(),
        title: title.into(),
        x_label: "variant".into(),
        y_label: y_label.into(),
        x: XAxis::Categories(labels.clone()),
        y,
        kind: Kind::Bars,
        series,
        caption: caption.into(),
    };
    vec![
        bars(
            "recovery-mttr",
            "Time to recover per variant",
            "time until the job progresses again",
            YAxis::Duration,
            vec![
                Series::solid("MTTR p50", 0, per_variant(&|r| r.mttr_s.p50)),
                Series::solid("MTTR p95", 1, per_variant(&|r| r.mttr_s.p95)),
            ],
            "Recovery time of failures that touched a running job, median over seeds per variant.",
        ),
        bars(
            "recovery-lost",
            "Lost GPU-hours per variant",
            "GPU-hours",
            YAxis::Plain,
            vec![Series::solid("lost GPU-hours", 2, per_variant(&|r| r.lost_gpu_hours))],
            "Rolled-back work and accelerators held idle during recovery, median over seeds per variant.",
        ),
    ]
}

fn describe(change: &Change) -> String {
    match change {
        Change::AsWritten => "the scenario as written".into(),
        Change::Conf(p) => format!("Volcano with {}", p.display()),
        Change::KubeDefault => "the stock Kubernetes scheduler (kube-default)".into(),
        Change::Set(list) => {
            format!("--set {}", list.iter().map(|a| format!("{}={}", a.key, a.value)).collect::<Vec<_>>().join(","))
        }
    }
}

/// `runs.csv`: one row per variant × seed, variants in column order and seeds in plan order:
/// `variant`, `policy`, `seed`, then every metric of the side-by-side `table` under its
/// `summary.json` path, with the value `summary.json` holds (empty where the metric is undefined).
pub fn runs_frame(plan: &Plan, grid: &[Vec<RunDigest>], table: &[CompareRow]) -> Frame {
    let mut header: Vec<String> = vec!["variant".into(), "policy".into(), "seed".into()];
    header.extend(table.iter().map(|r| r.path.to_string()));
    let rows = plan
        .variants
        .iter()
        .zip(grid)
        .flat_map(|(v, runs)| {
            runs.iter().map(move |r| {
                let doc = serde_json::to_value(&r.summary).expect("summaries serialize");
                let mut row: Vec<Value> =
                    vec![v.label.clone().into(), r.summary.policy.clone().into(), r.summary.seed.into()];
                row.extend(table.iter().map(|m| at_path(&doc, m.path)));
                row
            })
        })
        .collect();
    Frame { header, rows }
}

/// `variants.csv`: the side-by-side table in long form, one row per variant × metric (variant
/// order, then metric order): `variant`, `policy`, `metric` (its `summary.json` path), `unit`,
/// `seeds` (how many seeds define it), `median`, `min`, `max`, `rel_change` (against the first
/// variant) and `within_noise`, the same numbers as `compare.json`.
pub fn variants_frame(plan: &Plan, policies: &[String], table: &[CompareRow]) -> Frame {
    let header = ["variant", "policy", "metric", "unit", "seeds", "median", "min", "max", "rel_change", "within_noise"];
    let num = |x: Option<f64>| x.map_or(Value::Null, Value::from);
    let mut rows = Vec::new();
    for (i, (v, policy)) in plan.variants.iter().zip(policies).enumerate() {
        for row in table {
            let c = &row.cells[i];
            rows.push(vec![
                v.label.clone().into(),
                policy.clone().into(),
                row.path.into(),
                serde_json::to_value(row.unit).expect("units serialize"),
                c.values.iter().flatten().count().into(),
                num(c.median),
                num(c.min),
                num(c.max),
                num(c.rel_change),
                c.within_noise.into(),
            ]);
        }
    }
    Frame { header: header.iter().map(|h| h.to_string()).collect(), rows }
}

/// Writes a cross-run table as `NAME.csv`, and with the `analytics` feature `NAME.parquet`.
fn write_table(dir: &Path, name: &str, frame: &Frame) -> std::io::Result<()> {
    super::write::write_atomic(&dir.join(format!("{name}.csv")), &frame.to_csv())?;
    #[cfg(feature = "analytics")]
    super::parquet::write(&dir.join(format!("{name}.parquet")), frame)?;
    Ok(())
}

/// Writes `report.md`, `report.html`, `compare.json`, the cross-run tables (`runs.csv`,
/// `variants.csv`; with `analytics` also as Parquet) and `charts/` into `dir`; the per-variant
/// sub-reports are expected under `variants/<slug>/` (written by the caller while running).
pub fn write(dir: &Path, plan: &Plan, grid: &[Vec<RunDigest>]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let table = rows(grid);
    let seeds = plan.seeds.len();
    let policies: Vec<String> = grid.iter().map(|runs| runs[0].summary.policy.clone()).collect();
    let json = CompareJson {
        schema_version: 1,
        scenario: plan.base.name.clone(),
        seeds: plan.seeds.clone(),
        variants: plan.variants.iter().map(|v| v.label.clone()).collect(),
        policies: policies.clone(),
        rows: table.clone(),
    };
    super::write::write_atomic(&dir.join("compare.json"), super::pretty_json(&json).as_bytes())?;
    write_table(dir, "runs", &runs_frame(plan, grid, &table))?;
    write_table(dir, "variants", &variants_frame(plan, &policies, &table))?;

    let mut settings = settings_rows(&plan.base);
    settings.retain(|r| r[0] != "seed" && r[0] != "policy");
    settings.insert(1, vec!["seeds".into(), plan.seeds.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ")]);
    let mut blocks = vec![
        Block::Heading(2, "Settings".into()),
        Block::Table { header: vec!["setting".into(), "value".into()], rows: settings },
        Block::Heading(2, "Variants".into()),
        Block::Table {
            header: vec!["variant".into(), "policy".into(), "what changes".into(), "full report".into()],
            rows: plan
                .variants
                .iter()
                .zip(&policies)
                .map(|(v, p)| {
                    vec![
                        v.label.clone(),
                        p.clone(),
                        describe(&v.change),
                        format!("variants/{}/report.html", slug(&v.label)),
                    ]
                })
                .collect(),
        },
        Block::Heading(2, "Side by side".into()),
        Block::Para(if seeds >= 2 {
            format!(
                "Median over {seeds} seeds, [min–max] over seeds, (relative change of the median against {}). \
                 ≈ marks a difference within seed noise: the variant's range over seeds overlaps {}'s.",
                plan.variants[0].label, plan.variants[0].label
            )
        } else {
            format!(
                "One seed per variant: (relative change against {}). With one seed there is no estimate of seed \
                 noise; run with --seeds 3 or more before trusting small differences.",
                plan.variants[0].label
            )
        }),
    ];
    let mut header = vec!["metric".to_string()];
    header.extend(plan.variants.iter().map(|v| v.label.clone()));
    blocks.push(Block::Table {
        header,
        rows: table
            .iter()
            .map(|r| {
                let mut row = vec![r.metric.to_string()];
                row.extend(r.cells.iter().enumerate().map(|(i, c)| show_cell(r, c, i == 0, seeds)));
                row
            })
            .collect(),
    });
    let chart_blocks = render_charts(dir, &charts(plan, grid))?;
    if !chart_blocks.is_empty() {
        blocks.push(Block::Heading(2, "Charts".into()));
        blocks.extend(chart_blocks);
    }
    blocks.push(Block::Heading(2, "Metric definitions".into()));
    let mut defs: Vec<(String, String)> = DEFINITIONS.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    let has = |f: &dyn Fn(&Summary) -> bool| grid.iter().flatten().any(|r| f(&r.summary));
    if has(&|s| s.fragmentation.is_some()) {
        defs.extend(FRAGMENTATION_DEFINITIONS.iter().map(|(a, b)| (a.to_string(), b.to_string())));
    }
    if has(&|s| s.recovery.is_some()) {
        defs.extend(RECOVERY_DEFINITIONS.iter().map(|(a, b)| (a.to_string(), b.to_string())));
    }
    defs.push((
        "Within seed noise (≈)".into(),
        "with at least two seeds, the variant's [min, max] over seeds overlaps the first column's; the difference \
         is then not distinguishable from the effect of the seed at this number of seeds."
            .into(),
    ));
    blocks.push(Block::Definitions(defs));
    let doc = Document { title: format!("tephra comparison: {}", plan.base.name), blocks };
    super::write::write_atomic(&dir.join("report.md"), doc.to_markdown().as_bytes())?;
    super::write::write_atomic(&dir.join("report.html"), doc.to_html().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_noise() {
        assert_eq!(median(&[1.0, 2.0, 10.0]), Some(2.0));
        assert_eq!(median(&[1.0, 2.0, 3.0, 10.0]), Some(2.5));
        assert_eq!(slug("a b/c=d"), "a-b-c-d");
    }
}
