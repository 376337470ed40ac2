//! The report of one run (`report.md`, `report.html`, and each chart as `charts/<id>.svg` and
//! `.png`): run settings, summary tables, charts, metric definitions.
//!
//! Sections render only when their data exists: a chart with no points is left out, a table with
//! no rows too. Data that other parts of tephra add later (fragmentation over time when devices are
//! shared, failures and recovery when faults are on) plugs in through [`optional_charts`].

use super::charts::{Chart, Kind, Series, XAxis, YAxis};
use super::document::{Block, Document};
use super::table::human_secs;
use crate::metrics::Summary;
use crate::metrics::summary::Stats;
use crate::runner::RunOutput;
use crate::scenario::Scenario;
use std::collections::BTreeMap;
use std::path::Path;

/// The metric definitions printed in every report (and the code docs say the same).
pub const DEFINITIONS: &[(&str, &str)] = &[
    (
        "GPU allocation",
        "time-weighted allocated accelerators (GPUs + NPUs; fractions for shared cards) over healthy \
         accelerators; a pod holds its devices from bind until its resources are released.",
    ),
    (
        "GPU goodput",
        "the same ratio counting only the accelerators of jobs making progress (at least minAvailable \
         pods running). The gap to allocation is capacity held by partial gangs and starting pods.",
    ),
    ("Queueing delay", "submit → the first time the job's gang (minAvailable pods) runs."),
    ("JCT", "job completion time: submit → completion."),
    (
        "Slowdown",
        "JCT / ideal runtime, the ideal runtime being the job's duration of work in the trace (alone on an \
         idle fleet, without pod start-up).",
    ),
    ("Percentiles", "nearest rank: p90 of n values is the ⌈0.9·n⌉-th smallest. CDFs are drawn from all values."),
    (
        "GPU size class",
        "the job's total accelerators over all pods: cpu (none), <1 (a share of a card), 1, 2-4, 5-8, 9-32, 33+.",
    ),
    (
        "Dominant share",
        "a queue's allocation divided by healthy capacity in each resource (cpu, memory, each accelerator \
         kind), maximum over resources (DRF's dominant resource).",
    ),
    (
        "Fair share",
        "weighted max-min fair division of the cluster among queues with demand (active jobs), by queue weight, \
         each capped at the dominant share of its demand (requests of all pods of its active jobs). \
         Policy-independent, so kube-default and Volcano are measured alike.",
    ),
    (
        "Share / deserved",
        "allocated / deserved as the policy's proportion or capacity plugin computed it (dominant over the \
         deserved dimensions), time-weighted; absent for policies without a deserved share.",
    ),
    (
        "Jain's index",
        "(Σx)² / (n·Σx²) over the n queues with demand, x = dominant share / fair share; 1 is perfectly fair, \
         1/n is one queue holding everything. Time-averaged over the time any queue has demand.",
    ),
    (
        "Deviation from fair share",
        "|dominant share − fair share| of a queue with demand, in fractions of the cluster: maximum over queues \
         and time, and time-averaged mean over queues.",
    ),
    (
        "Starvation (longest wait)",
        "the longest submit → gang-running time of a queue's jobs, jobs still waiting at the end counted up to the end.",
    ),
    (
        "Finish-time fairness ρ",
        "Themis (NSDI'20): Σ JCT / Σ T_id over a queue's completed jobs, T_id = work × max(1, job accelerators / E) \
         the estimated time on the queue's slice E = mean healthy accelerators × weight / Σ weights. An estimate: \
         it ignores the queue's own backlog. ρ ≤ 1: the queue did at least as well as on its own slice.",
    ),
    (
        "Evicted GPU-hours",
        "for every evicted pod, its accelerators × time from bind to eviction; cross-queue when the eviction made \
         room for another queue's pod (interference between tenants).",
    ),
    (
        "Scheduler cost",
        "cycles run (summary.json); wall time per cycle p50/p99 and decisions (binds + evictions) per second of \
         scheduling time are in perf.json, which is the only output that varies between reruns.",
    ),
];

/// Leaf queues (those no other queue names as parent), in declaration order: their allocations
/// add up without double counting a hierarchy.
fn leaf_queues(out: &RunOutput) -> Vec<String> {
    let qs = &out.state.queues;
    qs.iter()
        .filter(|q| !qs.iter().any(|c| c.parent.as_deref() == Some(q.name.as_str())))
        .map(|q| q.name.clone())
        .collect()
}

/// Points of a queue-scope timeline column, by queue name.
fn queue_series(
    out: &RunOutput,
    pick: impl Fn(&crate::metrics::TimelineRow) -> Option<f64>,
) -> BTreeMap<String, Vec<(f64, f64)>> {
    let mut m: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for r in out.timeline.iter().filter(|r| r.scope == "queue") {
        if let Some(v) = pick(r) {
            m.entry(r.name.clone()).or_default().push((r.time_s, v));
        }
    }
    m
}

/// Healthy accelerators over time (the cluster rows).
pub fn capacity_series(out: &RunOutput) -> Vec<(f64, f64)> {
    out.timeline.iter().filter(|r| r.scope == "cluster").filter_map(|r| Some((r.time_s, r.accel_total?))).collect()
}

/// A column of the cluster rows over time.
pub fn cluster_series(out: &RunOutput, pick: impl Fn(&crate::metrics::TimelineRow) -> Option<f64>) -> Vec<(f64, f64)> {
    out.timeline.iter().filter(|r| r.scope == "cluster").filter_map(|r| Some((r.time_s, pick(r)?))).collect()
}

/// An empirical CDF as at most `max_points` points (x = log₁₀ of the value, floored at 1 s).
pub fn cdf_points(values: &[f64], max_points: usize) -> Vec<(f64, f64)> {
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n == 0 {
        return vec![];
    }
    let step = n.div_ceil(max_points).max(1);
    let mut pts = vec![(v[0].max(1.0).log10(), 0.0)];
    let mut i = step - 1;
    loop {
        let i_clamped = i.min(n - 1);
        pts.push((v[i_clamped].max(1.0).log10(), (i_clamped + 1) as f64 / n as f64));
        if i_clamped == n - 1 {
            break;
        }
        i += step;
    }
    pts
}

/// The stacked per-queue chart of one timeline column, with healthy capacity dashed on top.
fn stacked_by_queue(out: &RunOutput, id: &str, title: &str, caption: &str, goodput: bool) -> Chart {
    let per_queue = queue_series(out, |r| if goodput { r.accel_goodput } else { Some(r.accel_alloc) });
    let mut series: Vec<Series> = leaf_queues(out)
        .iter()
        .enumerate()
        .filter_map(|(i, q)| per_queue.get(q).map(|p| Series::solid(q.clone(), i, p.clone())))
        .collect();
    series.push(Series::dashed("healthy capacity", 7, capacity_series(out)));
    Chart {
        id: id.into(),
        title: title.into(),
        x_label: "simulated time".into(),
        y_label: "accelerators".into(),
        x: XAxis::Time,
        y: YAxis::Plain,
        kind: Kind::Stacked,
        series,
        caption: caption.into(),
    }
}

/// The charts every run has (when its data exists), then [`optional_charts`].
pub fn charts(out: &RunOutput) -> Vec<Chart> {
    let mut charts = Vec::new();
    let has_accel = out.summary.pools.values().any(|p| p.model.is_some());
    if has_accel {
        charts.push(stacked_by_queue(
            out,
            "gpu-allocation",
            "GPU allocation by queue",
            "Allocated accelerators stacked by (leaf) queue; dashed: healthy capacity.",
            false,
        ));
        charts.push(stacked_by_queue(
            out,
            "gpu-goodput",
            "GPU goodput by queue",
            "Accelerators of jobs making progress, stacked by (leaf) queue; dashed: healthy capacity.",
            true,
        ));
    }
    // Queue dominant share (solid) against its fair share (dashed, same colour).
    let leaves = leaf_queues(out);
    let mut share: Vec<Series> = Vec::new();
    for (i, q) in leaves.iter().enumerate() {
        let rows: Vec<_> = out.queues.iter().filter(|r| &r.queue == q).collect();
        if rows.iter().all(|r| r.fair_share.is_none()) {
            continue;
        }
        share.push(Series::solid(
            q.clone(),
            i,
            rows.iter().map(|r| (r.time_s, r.dominant_share.unwrap_or(0.0))).collect(),
        ));
        share.push(Series::dashed(
            format!("{q} fair share"),
            i,
            rows.iter().map(|r| (r.time_s, r.fair_share.unwrap_or(0.0))).collect(),
        ));
    }
    charts.push(Chart {
        id: "queue-share".into(),
        title: "Queue share vs fair share".into(),
        x_label: "simulated time".into(),
        y_label: "dominant share of the cluster".into(),
        x: XAxis::Time,
        y: YAxis::Percent,
        kind: Kind::Lines,
        series: share,
        caption: "Each queue's dominant share (solid) and its fair share (dashed, same colour) while it has demand."
            .into(),
    });
    // The policy's own view, where it has one: allocated / deserved per queue (1 = at deserved).
    let mut deserved: Vec<Series> = Vec::new();
    for (i, q) in leaves.iter().enumerate() {
        let pts: Vec<(f64, f64)> =
            out.queues.iter().filter(|r| &r.queue == q).filter_map(|r| Some((r.time_s, r.share?))).collect();
        if !pts.is_empty() {
            deserved.push(Series::solid(q.clone(), i, pts));
        }
    }
    if let (Some(first), Some(last)) = (out.queues.first(), out.queues.last())
        && !deserved.is_empty()
    {
        deserved.push(Series::dashed("deserved", 7, vec![(first.time_s, 1.0), (last.time_s, 1.0)]));
    }
    charts.push(Chart {
        id: "queue-deserved".into(),
        title: "Queue allocation / deserved (policy)".into(),
        x_label: "simulated time".into(),
        y_label: "allocated / deserved (dominant)".into(),
        x: XAxis::Time,
        y: YAxis::Plain,
        kind: Kind::Lines,
        series: deserved,
        caption: "Allocated over the deserved share the policy's proportion or capacity plugin computed, per queue; \
                  1 = exactly at deserved. Absent for policies without a deserved share."
            .into(),
    });
    // Jain's index over time.
    let jain: Vec<(f64, f64)> = out.fairness.iter().filter_map(|r| Some((r.time_s, r.jain_index?))).collect();
    let dev: Vec<(f64, f64)> =
        out.fairness.iter().filter(|r| r.jain_index.is_some()).map(|r| (r.time_s, r.deviation_max)).collect();
    if leaves.len() > 1 {
        charts.push(Chart {
            id: "fairness".into(),
            title: "Fairness over time".into(),
            x_label: "simulated time".into(),
            y_label: "index / share of the cluster".into(),
            x: XAxis::Time,
            y: YAxis::Plain,
            kind: Kind::Lines,
            series: vec![
                Series::solid("Jain's index", 0, jain),
                Series::solid("max deviation from fair share", 1, dev),
            ],
            caption: "Jain's index over the queues with demand (1 = every queue at the same fraction of its fair \
                      share), and the largest |dominant share − fair share| of any queue."
                .into(),
        });
    }
    // Queueing-delay CDF, all jobs and per queue.
    let mut cdf = vec![Series::solid(
        "all jobs",
        7,
        cdf_points(&out.jobs.iter().filter_map(|j| j.queueing_delay_s).collect::<Vec<_>>(), 400),
    )];
    if leaves.len() > 1 {
        for (i, q) in leaves.iter().enumerate() {
            let v: Vec<f64> = out.jobs.iter().filter(|j| &j.queue == q).filter_map(|j| j.queueing_delay_s).collect();
            if !v.is_empty() {
                cdf.push(Series::solid(q.clone(), i, cdf_points(&v, 400)));
            }
        }
    }
    charts.push(Chart::queueing_delay_cdf(cdf, "Fraction of jobs whose gang ran within a given delay of submission."));
    // JCT per GPU size class, queueing delay per size class, and JCT per queue (CDFs).
    let class_name = |c: &str| if c == "cpu" { "CPU only".to_string() } else { format!("{c} GPU") };
    let by_class = |value: &dyn Fn(&crate::report::jobs::JobRow) -> Option<f64>| -> Vec<Series> {
        let classes = crate::metrics::job_stats::SIZE_CLASSES.iter().enumerate();
        classes
            .filter_map(|(i, class)| {
                let v: Vec<f64> = out.jobs.iter().filter(|j| j.size_class == *class).filter_map(value).collect();
                (!v.is_empty()).then(|| Series::solid(class_name(class), i, cdf_points(&v, 400)))
            })
            .collect()
    };
    charts.push(Chart::cdf(
        "jct-cdf",
        "Job completion time by GPU size class (CDF)",
        "JCT (log scale)",
        by_class(&|j| j.jct_s),
        "Fraction of completed jobs of each GPU size class that finished within a given time of submission.",
    ));
    if out.summary.size_classes.len() > 1 {
        charts.push(Chart::cdf(
            "delay-cdf-size",
            "Queueing delay by GPU size class (CDF)",
            "queueing delay (log scale; under 1 s drawn at 1 s)",
            by_class(&|j| j.queueing_delay_s),
            "Fraction of jobs of each GPU size class whose gang ran within a given delay of submission: \
             large gangs wait for whole nodes to free.",
        ));
    }
    if leaves.len() > 1 {
        let series = leaves
            .iter()
            .enumerate()
            .filter_map(|(i, q)| {
                let v: Vec<f64> = out.jobs.iter().filter(|j| &j.queue == q).filter_map(|j| j.jct_s).collect();
                (!v.is_empty()).then(|| Series::solid(q.clone(), i, cdf_points(&v, 400)))
            })
            .collect();
        charts.push(Chart::cdf(
            "jct-cdf-queue",
            "Job completion time by queue (CDF)",
            "JCT (log scale)",
            series,
            "Fraction of each queue's completed jobs that finished within a given time of submission.",
        ));
    }
    charts.push(jct_by_class(&[(String::new(), &out.summary)]));
    charts.extend(optional_charts(out));
    charts.retain(|c| !c.is_empty());
    charts
}

/// JCT p50 and p90 per GPU size class; with several runs (a comparison), the p50 of each.
pub fn jct_by_class(runs: &[(String, &Summary)]) -> Chart {
    let mut classes: Vec<&'static str> = Vec::new();
    for c in crate::metrics::job_stats::SIZE_CLASSES {
        if runs.iter().any(|(_, s)| s.size_classes.iter().any(|x| x.class == c && x.jct_s.count > 0)) {
            classes.push(c);
        }
    }
    let pick = |s: &Summary, f: &dyn Fn(&Stats) -> f64| -> Vec<(f64, f64)> {
        classes
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                s.size_classes.iter().find(|x| x.class == *c && x.jct_s.count > 0).map(|x| (i as f64, f(&x.jct_s)))
            })
            .collect()
    };
    let series = if runs.len() == 1 {
        vec![Series::solid("p50", 0, pick(runs[0].1, &|s| s.p50)), Series::solid("p90", 1, pick(runs[0].1, &|s| s.p90))]
    } else {
        runs.iter()
            .enumerate()
            .map(|(i, (name, s))| Series::solid(format!("{name} p50"), i, pick(s, &|x| x.p50)))
            .collect()
    };
    Chart {
        id: "jct-by-size".into(),
        title: "JCT by GPU size class".into(),
        x_label: "GPUs per job".into(),
        y_label: "job completion time".into(),
        x: XAxis::Categories(classes.iter().map(|c| c.to_string()).collect()),
        y: YAxis::Duration,
        kind: Kind::Bars,
        series,
        caption: "Job completion time per GPU size class (completed jobs).".into(),
    }
}

/// Definitions of the fragmentation figures, printed when a run shares cards.
pub const FRAGMENTATION_DEFINITIONS: &[(&str, &str)] = &[
    (
        "Fragmentation amount",
        "GPU capacity of healthy nodes that the workload's typical task mix cannot use (the FGD paper's \
         expected fragmentation, ATC'23), as % of all GPU capacity; sampled over time.",
    ),
    ("Fragmentation rate", "the same fragmented capacity as % of idle GPU capacity."),
];

/// Definitions of the failure and recovery figures, printed when faults or lifecycle policies are on.
pub const RECOVERY_DEFINITIONS: &[(&str, &str)] = &[
    (
        "Incident",
        "a fault (node failure, card fault, maintenance deadline) that killed pods of a job with running pods; \
         unrecovered: the job never progressed again.",
    ),
    ("MTTR", "recovery time of an incident: fault → the job makes progress again (percentiles over incidents)."),
    (
        "Lost GPU-hours",
        "rolled-back work (progress since the last checkpoint, times the job's GPUs) plus GPU time held idle by \
         the job's surviving pods while it recovers.",
    ),
    (
        "Useful-compute ratio",
        "productive GPU-hours (progress kept, checkpoint writing excluded) / GPU-hours held by pods.",
    ),
];

/// The definitions a report on `s` prints: the common ones, then those of the optional sections
/// the run has.
pub fn definitions(s: &Summary) -> Vec<(String, String)> {
    let mut defs = DEFINITIONS.to_vec();
    if s.fragmentation.is_some() {
        defs.extend_from_slice(FRAGMENTATION_DEFINITIONS);
    }
    if s.recovery.is_some() {
        defs.extend_from_slice(RECOVERY_DEFINITIONS);
    }
    defs.into_iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

/// Charts that exist only when their data does: fragmentation over time (when the workload shares
/// cards) and the failures and recovery timeline (when faults or lifecycle policies are on). A run
/// without that data gets no chart and no empty section.
pub fn optional_charts(out: &RunOutput) -> Vec<Chart> {
    let mut charts = Vec::new();
    if !out.fragmentation.is_empty() {
        let pick = |f: &dyn Fn(&crate::metrics::fragmentation::FragRow) -> f64| -> Vec<(f64, f64)> {
            out.fragmentation.iter().map(|r| (r.time_s, f(r) / 100.0)).collect()
        };
        charts.push(Chart {
            id: "fragmentation".into(),
            title: "GPU fragmentation over time".into(),
            x_label: "simulated time".into(),
            y_label: "fragmented GPU capacity".into(),
            x: XAxis::Time,
            y: YAxis::Percent,
            kind: Kind::Lines,
            series: vec![
                Series::solid("amount (% of all GPUs)", 0, pick(&|r| r.frag_amount_pct)),
                Series::solid("rate (% of idle GPUs)", 1, pick(&|r| r.frag_rate_pct)),
            ],
            caption: "Fragmented GPU capacity (FGD's expected fragmentation under the workload's task mix), as a \
                      share of all GPUs of healthy nodes and of idle GPUs."
                .into(),
        });
    }
    if let Some(rec) = &out.recovery
        && !rec.timeline.is_empty()
    {
        let pick = |f: &dyn Fn(&crate::metrics::recovery::GoodputRow) -> f64| -> Vec<(f64, f64)> {
            rec.timeline.iter().map(|r| (r.time_s, f(r))).collect()
        };
        charts.push(Chart {
            id: "recovery".into(),
            title: "Failures and recovery".into(),
            x_label: "simulated time".into(),
            y_label: "accelerators".into(),
            x: XAxis::Time,
            y: YAxis::Plain,
            kind: Kind::Lines,
            series: vec![
                Series::dashed("in service (healthy)", 7, pick(&|r| r.accel_healthy)),
                Series::solid("of jobs making progress", 2, pick(&|r| r.accel_progressing)),
                Series::solid("held by pods", 0, pick(&|r| r.accel_alloc)),
            ],
            caption: format!(
                "Accelerators in service (dips are failed or drained nodes), held by jobs making progress, and held \
                 by pods (drawn on top: where it shows above the progress line, jobs are recovering or starting). {} incidents, MTTR p50 \
                 {}, {:.1} GPU-hours lost.",
                rec.summary.incidents,
                human_secs(rec.summary.mttr_s.p50),
                rec.summary.lost_gpu_hours
            ),
        });
    }
    charts
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn opt(x: Option<f64>, f: impl Fn(f64) -> String) -> String {
    x.map(f).unwrap_or_else(|| "–".into())
}

/// The run settings table.
pub fn settings_rows(sc: &Scenario) -> Vec<Vec<String>> {
    let fleet: Vec<String> = sc
        .pools
        .iter()
        .map(|(p, n)| match &p.accelerator_model {
            Some(m) => format!("{} × {} ({} × {})", n, p.name, p.allocatable.accelerators() / 1000, m),
            None => format!("{} × {}", n, p.name),
        })
        .collect();
    let queues: Vec<String> = sc.queues.iter().map(|q| format!("{} (weight {})", q.name, q.weight)).collect();
    let r = &sc.run;
    vec![
        vec!["scenario".into(), sc.name.clone()],
        vec!["seed".into(), sc.seed.to_string()],
        vec!["policy".into(), sc.policy.name().to_string()],
        vec!["fleet".into(), fleet.join(", ")],
        vec!["queues".into(), if queues.is_empty() { "from the trace".into() } else { queues.join(", ") }],
        vec!["trace".into(), sc.trace.display().to_string()],
        vec![
            "timing".into(),
            format!(
                "cycle every {}, pod start-up {}, controller delay {}, until {}",
                human_secs(r.schedule_period.0 as f64 / 1000.0),
                human_secs(r.pod_startup.0 as f64 / 1000.0),
                human_secs(r.controller_delay.0 as f64 / 1000.0),
                r.until.map_or("drained".to_string(), |u| human_secs(u.0 as f64 / 1000.0))
            ),
        ],
        vec!["tephra".into(), env!("CARGO_PKG_VERSION").into()],
    ]
}

/// The headline figures of a summary as (metric, value) rows; `compare` reuses the metric list.
pub fn headline(s: &Summary) -> Vec<(&'static str, String)> {
    let f = &s.fairness;
    let mut rows = vec![
        (
            "jobs completed",
            format!(
                "{} / {} ({} unschedulable, {} unfinished)",
                s.jobs.completed, s.jobs.submitted, s.jobs.unschedulable, s.jobs.unfinished
            ),
        ),
        ("GPU allocation", pct(s.accel_allocation)),
        ("GPU goodput", pct(s.accel_goodput)),
        ("CPU allocation", pct(s.cpu_allocation)),
        ("queueing delay mean", human_secs(s.queueing_delay_s.mean)),
        ("queueing delay p50", human_secs(s.queueing_delay_s.p50)),
        ("queueing delay p90", human_secs(s.queueing_delay_s.p90)),
        ("queueing delay p99", human_secs(s.queueing_delay_s.p99)),
        ("JCT p50", human_secs(s.jct_s.p50)),
        ("JCT p90", human_secs(s.jct_s.p90)),
        ("JCT p99", human_secs(s.jct_s.p99)),
        ("slowdown p50", format!("{:.2}", s.slowdown.p50)),
        ("slowdown p90", format!("{:.2}", s.slowdown.p90)),
        ("makespan", human_secs(s.makespan_s)),
        ("Jain's index (time mean)", opt(f.jain_mean, |x| format!("{x:.3}"))),
        ("Jain's index (min)", opt(f.jain_min, |x| format!("{x:.3}"))),
        ("deviation from fair share, max", pct(f.deviation_max)),
        ("deviation from fair share, mean", pct(f.deviation_mean)),
        ("longest wait", human_secs(f.longest_wait_s)),
        ("finish-time fairness ρ, max", opt(f.finish_time_fairness_max, |x| format!("{x:.2}"))),
        ("evictions", s.evictions.to_string()),
        ("cross-queue evictions", f.cross_queue_evictions.to_string()),
        ("evicted GPU-hours", format!("{:.1}", f.evicted_gpu_hours)),
        ("cross-queue evicted GPU-hours", format!("{:.1}", f.cross_queue_evicted_gpu_hours)),
        ("scheduling cycles", s.cycles.to_string()),
    ];
    if let Some(fr) = &s.fragmentation {
        rows.push(("fragmentation amount (mean)", format!("{:.1}%", fr.amount_pct_mean)));
        rows.push(("fragmentation amount (max)", format!("{:.1}%", fr.amount_pct_max)));
        rows.push(("fragmentation rate (mean)", format!("{:.1}%", fr.rate_pct_mean)));
    }
    if let Some(r) = &s.recovery {
        rows.extend([
            ("node failures", r.node_failures.to_string()),
            ("card faults", r.device_failures.to_string()),
            ("incidents (unrecovered)", format!("{} ({})", r.incidents, r.unrecovered)),
            ("MTTR p50", human_secs(r.mttr_s.p50)),
            ("MTTR p95", human_secs(r.mttr_s.p95)),
            ("MTTR max", human_secs(r.mttr_s.max)),
            ("restarts", r.restarts.to_string()),
            ("jobs failed at maxRetry", r.jobs_failed_max_retry.to_string()),
            ("lost GPU-hours", format!("{:.1}", r.lost_gpu_hours)),
            ("useful-compute ratio", format!("{:.3}", r.useful_compute_ratio)),
        ]);
    }
    rows
}

/// The per-queue tables: shares and fairness, then delays and completion times.
fn queue_tables(s: &Summary) -> [Block; 2] {
    let header = |h: &[&str]| h.iter().map(|h| h.to_string()).collect::<Vec<_>>();
    let shares = s
        .queues
        .iter()
        .map(|(name, q)| {
            vec![
                name.clone(),
                format!("{:.1}", q.accel_alloc_mean),
                format!("{:.1}", q.accel_goodput_mean),
                opt(q.dominant_share_mean, pct),
                opt(q.fair_share_mean, pct),
                opt(q.share_mean, |x| format!("{x:.2}")),
                human_secs(q.longest_wait_s),
                opt(q.finish_time_fairness, |x| format!("{x:.2}")),
                q.cross_queue_evictions_received.to_string(),
                format!("{:.1}", q.evicted_gpu_hours),
            ]
        })
        .collect();
    let times = s
        .queues
        .iter()
        .map(|(name, q)| {
            let mut row = vec![name.clone(), q.jobs.to_string(), q.completed.to_string()];
            row.extend(percentile_cells(&q.queueing_delay_s, &q.jct_s, &q.slowdown));
            row
        })
        .collect();
    [
        Block::Table {
            header: header(&[
                "queue",
                "GPU alloc (mean)",
                "GPU goodput (mean)",
                "dominant share",
                "fair share",
                "share / deserved",
                "longest wait",
                "ρ",
                "cross-queue evicted",
                "evicted GPU-h",
            ]),
            rows: shares,
        },
        Block::Table { header: times_header("queue"), rows: times },
    ]
}

/// Columns of a delay / JCT / slowdown percentile table whose first column is `what`.
fn times_header(what: &str) -> Vec<String> {
    [
        what,
        "jobs",
        "done",
        "delay p50",
        "delay p90",
        "delay p99",
        "JCT p50",
        "JCT p90",
        "JCT p99",
        "slowdown p50",
        "slowdown p90",
        "slowdown p99",
    ]
    .iter()
    .map(|h| h.to_string())
    .collect()
}

/// The percentile cells of [`times_header`] after its first three columns.
fn percentile_cells(delay: &Stats, jct: &Stats, slowdown: &Stats) -> Vec<String> {
    let mut cells: Vec<String> = [delay, jct].iter().flat_map(|st| [st.p50, st.p90, st.p99].map(human_secs)).collect();
    cells.extend([slowdown.p50, slowdown.p90, slowdown.p99].map(|x| format!("{x:.2}")));
    cells
}

/// The document of one run; `chart_blocks` are the rendered charts in order.
pub fn document(sc: &Scenario, out: &RunOutput, chart_blocks: Vec<Block>) -> Document {
    let s = &out.summary;
    let mut blocks = vec![
        Block::Heading(2, "Run settings".into()),
        Block::Table { header: vec!["setting".into(), "value".into()], rows: settings_rows(sc) },
        Block::Heading(2, "Summary".into()),
        Block::Table {
            header: vec!["metric".into(), "value".into()],
            rows: headline(s).into_iter().map(|(k, v)| vec![k.to_string(), v]).collect(),
        },
    ];
    if !s.queues.is_empty() {
        blocks.push(Block::Heading(3, "Per queue".into()));
        blocks.extend(queue_tables(s));
    }
    if !s.size_classes.is_empty() {
        blocks.push(Block::Heading(3, "Per GPU size class".into()));
        blocks.push(Block::Table {
            header: times_header("size class"),
            rows: s
                .size_classes
                .iter()
                .map(|c| {
                    let mut row = vec![c.class.to_string(), c.jobs.to_string(), c.completed.to_string()];
                    row.extend(percentile_cells(&c.queueing_delay_s, &c.jct_s, &c.slowdown));
                    row
                })
                .collect(),
        });
    }
    if !s.pools.is_empty() {
        blocks.push(Block::Heading(3, "Per pool".into()));
        blocks.push(Block::Table {
            header: ["pool", "device model", "GPU allocation", "GPU goodput", "CPU allocation"]
                .iter()
                .map(|h| h.to_string())
                .collect(),
            rows: s
                .pools
                .iter()
                .map(|(n, p)| {
                    vec![
                        n.clone(),
                        p.model.clone().unwrap_or_else(|| "–".into()),
                        pct(p.accel_allocation),
                        pct(p.accel_goodput),
                        pct(p.cpu_allocation),
                    ]
                })
                .collect(),
        });
    }
    if s.device_models.len() > 1 {
        blocks.push(Block::Heading(3, "Per device model".into()));
        blocks.push(Block::Table {
            header: ["device model", "GPU allocation", "GPU goodput"].iter().map(|h| h.to_string()).collect(),
            rows: s
                .device_models
                .iter()
                .map(|(m, a)| vec![m.clone(), pct(*a), opt(s.device_model_goodput.get(m).copied(), pct)])
                .collect(),
        });
    }
    if !chart_blocks.is_empty() {
        blocks.push(Block::Heading(2, "Charts".into()));
        blocks.extend(chart_blocks);
    }
    blocks.push(Block::Heading(2, "Metric definitions".into()));
    blocks.push(Block::Definitions(definitions(s)));
    blocks.push(Block::Para(
        "Machine-readable: summary.json (schema in docs/summary-schema.md), jobs.csv, queues.csv, timeline.csv, \
         fairness.csv; wall-clock figures in perf.json."
            .into(),
    ));
    Document { title: format!("tephra report: {} ({})", s.scenario, s.policy), blocks }
}

/// Renders `charts` into `dir/charts/` (SVG and PNG) and returns their report blocks.
pub fn render_charts(dir: &Path, charts: &[Chart]) -> std::io::Result<Vec<Block>> {
    let chart_dir = dir.join("charts");
    std::fs::create_dir_all(&chart_dir)?;
    let mut blocks = Vec::new();
    for c in charts {
        let svg = c.to_svg().map_err(std::io::Error::other)?;
        super::write::write_atomic(&chart_dir.join(format!("{}.svg", c.id)), svg.as_bytes())?;
        c.write_png(&chart_dir.join(format!("{}.png", c.id))).map_err(std::io::Error::other)?;
        blocks.push(Block::Chart {
            title: c.title.clone(),
            svg,
            file: format!("charts/{}.svg", c.id),
            caption: c.caption.clone(),
        });
    }
    Ok(blocks)
}

/// Writes `fairness.csv`, the charts, `report.md` and `report.html` of one run into `dir`.
pub fn write(dir: &Path, sc: &Scenario, out: &RunOutput) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    super::write::write_atomic(
        &dir.join("fairness.csv"),
        &super::write::csv_bytes(&out.fairness).map_err(std::io::Error::other)?,
    )?;
    let blocks = render_charts(dir, &charts(out))?;
    let doc = document(sc, out, blocks);
    super::write::write_atomic(&dir.join("report.md"), doc.to_markdown().as_bytes())?;
    super::write::write_atomic(&dir.join("report.html"), doc.to_html().as_bytes())
}
