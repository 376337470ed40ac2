//! The report metrics on a scenario small enough to compute by hand: one node with 4 GPUs (8 CPU,
//! 32Gi), queues `a` and `b` of weight 1, kube-default (pods exist at submission, binds in the
//! cycle of the same second), pod start-up 5 s.
//!
//! - j1 (a, 3 GPU, 100 s of work) and j2 (b, 1 GPU, 50 s) are bound at 0, run from 5;
//!   j2 ends at 55, j1 at 105.
//! - j3 (b, 2 GPU, 20 s) arrives at 10, fits only after j1 ends: bound at 105, runs 110 → 130.
//!
//! Allocation: 4 GPU on [0,55), 3 on [55,105), 2 on [105,130): 420 GPU·s / (4 × 130) = 0.807692.
//! Goodput: j1 3 × 100 + j2 1 × 50 + j3 2 × 20 = 390 GPU·s / 520 = 0.75.
//! Queueing delays 5, 5, 100 s: mean 36.666667, p50 5 (rank 2 of 3), p90 = p99 = 100.
//! JCT 105, 55, 120; slowdown 1.05, 1.1, 6.
//!
//! Fairness (dominant share = GPU share; CPU and memory requests are small):
//! - [0,10): demands a 0.75, b 0.25 → fair shares = demands; held 0.75 / 0.25 → J = 1, deviation 0.
//! - [10,55): demands a 0.75, b 0.75 → fair 0.5 / 0.5; held 0.75 / 0.25 → x = 1.5, 0.5,
//!   J = 2² / (2 × 2.5) = 0.8, deviation 0.25 / 0.25.
//! - [55,105): demands a 0.75, b 0.5 → b gets 0.5, a the remaining 0.5; held 0.75 / 0 →
//!   x = 1.5, 0, J = 0.5, deviation 0.25 / 0.5 (mean 0.375).
//! - [105,130): only b (0.5 demand, 0.5 held) → J = 1, deviation 0.
//!
//! J time-average = (10 + 0.8 × 45 + 0.5 × 50 + 25) / 130 = 96 / 130 = 0.738462; min 0.5;
//! deviation max 0.5, mean (0.25 × 45 + 0.375 × 50) / 130 = 30 / 130 = 0.230769.
//! Finish-time fairness: entitlement 2 GPU each; a: j1 alone on 2 GPU takes 100 × 3/2 = 150 s,
//! ρ = 105 / 150 = 0.7; b: (55 + 120) / (50 + 20) = 2.5.

mod common;

use common::{run_checked, write_scenario};

const TRACE: &str = "\
j1,0,100,a,0,worker,1,1,1,1Gi,3,
j2,0,50,b,0,worker,1,1,1,1Gi,1,
j3,10,20,b,0,worker,1,1,1,1Gi,2,
";

const SCENARIO: &str = "name: tiny\nseed: 1\nfleet:\n  pools:\n    - { name: gpu, count: 1, cpu: 8, memory: 32Gi, gpu: { model: H100, count: 4 } }\n\
queues:\n  - { name: a, weight: 1 }\n  - { name: b, weight: 1 }\n\
workload: { trace: trace.csv }\n\
scheduler: { policy: kube-default, node_scan: exhaustive, schedule_period: 1s }\n\
run: { pod_startup: 5s, sample_every: 10s }\n";

#[test]
fn hand_computed_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_checked(&write_scenario(dir.path(), SCENARIO, TRACE));
    let s = &out.summary;
    assert_eq!(s.end_s, 130.0);
    assert_eq!(s.accel_allocation, 0.807692);
    assert_eq!(s.accel_goodput, 0.75);
    let q = &s.queueing_delay_s;
    assert_eq!((q.count, q.mean, q.p50, q.p90, q.p99, q.max), (3, 36.666667, 5.0, 100.0, 100.0, 100.0));
    assert_eq!((s.jct_s.p50, s.jct_s.max), (105.0, 120.0));
    assert_eq!((s.slowdown.p50, s.slowdown.max), (1.1, 6.0));

    let a = &s.queues["a"];
    let b = &s.queues["b"];
    assert_eq!((a.accel_alloc_mean, b.accel_alloc_mean), (2.423077, 0.807692)); // 315/130, 105/130
    assert_eq!((a.accel_goodput_mean, b.accel_goodput_mean), (2.307692, 0.692308)); // 300/130, 90/130
    assert_eq!((a.longest_wait_s, b.longest_wait_s), (5.0, 100.0));
    assert_eq!(a.dominant_share_mean, Some(0.75)); // demand only while j1 is active, [0,105)
    assert_eq!(a.fair_share_mean, Some(0.52381)); // (0.75 × 10 + 0.5 × 95) / 105
    assert_eq!(b.dominant_share_mean, Some(0.201923)); // (0.25 × 55 + 0.5 × 25) / 130
    assert_eq!(b.fair_share_mean, Some(0.480769)); // (0.25 × 10 + 0.5 × 120) / 130
    assert_eq!((a.finish_time_fairness, b.finish_time_fairness), (Some(0.7), Some(2.5)));
    assert_eq!(a.share_mean, None, "kube-default has no deserved share");

    let f = &s.fairness;
    assert_eq!((f.jain_mean, f.jain_min), (Some(0.738462), Some(0.5)));
    assert_eq!((f.deviation_max, f.deviation_mean), (0.5, 0.230769));
    assert_eq!((f.longest_wait_s, f.finish_time_fairness_max), (100.0, Some(2.5)));

    let classes: Vec<(&str, usize)> = s.size_classes.iter().map(|c| (c.class, c.jobs)).collect();
    assert_eq!(classes, vec![("1", 1), ("2-4", 2)]);
    assert_eq!(s.pools["gpu"].accel_allocation, 0.807692);
    assert_eq!(s.device_models["H100"], 0.807692);
    // The only pool holds every progressing pod: its goodput is the cluster's 390 / 520.
    assert_eq!((s.pools["gpu"].accel_goodput, s.device_model_goodput["H100"]), (0.75, 0.75));

    // The fairness timeline at 20 s (inside [10,55)) and at 60 s (inside [55,105)).
    let at = |t: f64| out.fairness.iter().find(|r| r.time_s == t).unwrap();
    assert_eq!((at(20.0).jain_index, at(20.0).deviation_max), (Some(0.8), 0.25));
    assert_eq!((at(60.0).jain_index, at(60.0).deviation_mean), (Some(0.5), 0.375));
    // Goodput per queue in the timeline: at 60 s only j1 (3 GPU) progresses.
    let row = out.timeline.iter().find(|r| r.time_s == 60.0 && r.name == "a").unwrap();
    assert_eq!(row.accel_goodput, Some(3.0));
}

/// Queue names come from the trace: `<script>` and `&` in one must come out escaped in the HTML
/// page (tables, legends of the inlined SVG charts) and in the Markdown.
#[test]
fn report_escapes_trace_strings() {
    let dir = tempfile::tempdir().unwrap();
    let trace = TRACE.replace(",a,", ",<script>alert(1)</script>&a,");
    let scenario = SCENARIO.replace("queues:\n  - { name: a, weight: 1 }\n  - { name: b, weight: 1 }\n", "");
    let path = write_scenario(dir.path(), &scenario, &trace);
    let sc = tephra::scenario::load(&path).unwrap();
    let out = run_checked(&path);
    let report_dir = dir.path().join("out");
    tephra::report::run_report::write(&report_dir, &sc, &out).unwrap();
    let html = std::fs::read_to_string(report_dir.join("report.html")).unwrap();
    assert!(!html.contains("<script"), "unescaped script tag in report.html");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;a"), "escaped queue name in the tables");
    assert!(html.matches("<svg").count() >= 4, "charts inlined");
    let md = std::fs::read_to_string(report_dir.join("report.md")).unwrap();
    assert!(!md.contains("<script"));
    for chart in ["gpu-allocation", "gpu-goodput", "queue-share", "queueing-delay-cdf", "jct-by-size"] {
        let svg = std::fs::read_to_string(report_dir.join(format!("charts/{chart}.svg"))).unwrap();
        assert!(!svg.contains("<script"), "{chart}.svg");
        assert!(std::fs::metadata(report_dir.join(format!("charts/{chart}.png"))).unwrap().len() > 1000);
    }
}

/// The summary of the tiny scenario, field for field (`tests/golden/tiny-summary.json`; rewrite it
/// with `UPDATE_GOLDEN=1` after a deliberate schema change, and bump `SCHEMA_VERSION` when a field
/// changes meaning or goes away).
#[test]
fn golden_summary() {
    let conf = common::repo().join("scenarios/conf/volcano-default.conf");
    let volcano = format!("scheduler: {{ conf: {}, node_scan: exhaustive }}", conf.display());
    for (name, scenario) in [
        ("tiny-summary.json", SCENARIO.to_string()),
        (
            "tiny-volcano-summary.json",
            SCENARIO
                .replace("scheduler: { policy: kube-default, node_scan: exhaustive, schedule_period: 1s }", &volcano),
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = run_checked(&write_scenario(dir.path(), &scenario, TRACE));
        let json = tephra::report::pretty_json(&out.summary);
        let golden = common::repo().join("tests/golden").join(name);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
            std::fs::write(&golden, &json).unwrap();
        }
        let expected = std::fs::read_to_string(&golden).expect("golden file (run once with UPDATE_GOLDEN=1)");
        assert_eq!(json, expected, "{name}: summary.json schema or values changed");
        assert!(json.starts_with("{\n  \"schema_version\": 2,"));
    }
}
