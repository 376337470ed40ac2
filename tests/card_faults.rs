//! Single-card faults on the per-card inventory, hand-computed. One node `gpu-000` with 2 H100
//! cards (`fleet.track_cards`), so the simulator knows which card each pod holds. Timing model:
//! enqueue at 0 s, bind at 1 s, pods run at 6 s (`pod_startup` 5 s). Cards are placed on the
//! fullest card that fits, lowest index first: the first 1-GPU pod takes card 0.

mod common;

use std::path::Path;
use tephra::runner::RunOutput;

const HEADER: &str = "job_id,submit_s,duration_s,queue,priority,role,replicas,min_available,cpu,memory,gpu,gpu_model\n";

fn run_in(dir: &Path, trace: &str, faults: &str) -> RunOutput {
    let yaml = format!(
        "name: t\nfleet:\n  track_cards: true\n  pools:\n    - {{ name: gpu, count: 1, cpu: 64, memory: 512Gi, gpu: {{ model: H100, count: 2 }} }}\nworkload: {{ trace: trace.csv }}\nfaults:\n{faults}run: {{ pod_startup: 5s, sample_every: 5m }}\n"
    );
    std::fs::write(dir.join("trace.csv"), format!("{HEADER}{trace}")).unwrap();
    let path = dir.join("scenario.yaml");
    std::fs::write(&path, yaml).unwrap();
    common::run_checked(&path)
}

fn run(trace: &str, faults: &str) -> RunOutput {
    let dir = tempfile::tempdir().unwrap();
    run_in(dir.path(), trace, faults)
}

const CARD_1: &str = "  card_faults: [{ node: gpu-000, card: 1, start: 600s, end: 1200s }]\n";
const CARD_0: &str = "  card_faults: [{ node: gpu-000, card: 0, start: 600s, end: 1200s }]\n";

#[test]
fn a_card_fault_kills_only_the_pod_on_that_card_and_the_card_stays_out_until_repaired() {
    // `a` holds card 0, `b` card 1. Card 1 fails at 600 s: `b` (594 s of its 1000 s done) fails
    // and is recreated pending at once; card 0 is `a`'s and card 1 is out, so `b` binds only at
    // the repair (1200 s), runs at 1205 s, 406 s left → 1611 s. `a` is untouched: 3006 s.
    let trace = "a,0,3000,q,0,w,1,1,8,64Gi,1,H100\nb,0,1000,q,0,w,1,1,8,64Gi,1,H100\n";
    let out = run(trace, CARD_1);
    assert_eq!(common::timings(&out), vec![("a", Some(6.0), Some(3006.0)), ("b", Some(6.0), Some(1611.0))]);
    let r = out.recovery.as_ref().unwrap();
    assert_eq!(r.incidents.len(), 1);
    let i = &r.incidents[0];
    assert_eq!(
        (i.job.as_str(), i.cause, i.node.as_str(), i.pods_killed, i.recovery_s),
        ("b", "device", "gpu-000/card-1", 1, Some(605.0))
    );
    assert_eq!(r.summary.device_failures, 1);
    // The failed card leaves the healthy capacity: 1 GPU at the 900 s sample, 2 again at 1200 s.
    let healthy: Vec<(f64, f64)> = r.timeline.iter().map(|g| (g.time_s, g.accel_healthy)).take(5).collect();
    assert_eq!(healthy, vec![(0.0, 2.0), (300.0, 2.0), (600.0, 1.0), (900.0, 1.0), (1200.0, 2.0)]);
    // The fault on card 0 kills `a` instead (594 s done, 2406 s left), recreated pending at 600 s:
    // `b` finishes at 1006 s and frees card 1, `a` binds it in that cycle, runs at 1011 s → 3417 s.
    let out = run(trace, CARD_0);
    assert_eq!(common::timings(&out), vec![("a", Some(6.0), Some(3417.0)), ("b", Some(6.0), Some(1006.0))]);
}

#[test]
fn a_shared_card_fault_kills_every_pod_on_it() {
    // `c` and `d` (0.5 GPU each) share card 0; `e` (1 GPU) holds card 1. Card 0 fails at 600 s:
    // both sharers fail (594 s done each), wait for the repair at 1200 s, run at 1205 s → 1611 s.
    let trace =
        "c,0,1000,q,0,w,1,1,4,16Gi,0.5,H100\nd,0,1000,q,0,w,1,1,4,16Gi,0.5,H100\ne,0,3000,q,0,w,1,1,8,64Gi,1,H100\n";
    let out = run(trace, CARD_0);
    assert_eq!(
        common::timings(&out),
        vec![("c", Some(6.0), Some(1611.0)), ("d", Some(6.0), Some(1611.0)), ("e", Some(6.0), Some(3006.0))]
    );
    let r = out.recovery.as_ref().unwrap();
    let hit: Vec<(&str, &str)> = r.incidents.iter().map(|i| (i.job.as_str(), i.node.as_str())).collect();
    assert_eq!(hit, vec![("c", "gpu-000/card-0"), ("d", "gpu-000/card-0")]);
}

#[test]
fn a_fault_on_a_free_card_only_takes_it_out_of_service() {
    // Card 1 is free when it fails at 600 s; `late` (1 GPU, submitted at 700 s) finds card 0 taken
    // by `a` and card 1 out: not even enqueued (overcommit: 1.2 healthy GPUs − 1 used < 1). At the
    // repair (1200 s) it is enqueued, binds in the next cycle (1201 s), runs 1206 s → 1306 s.
    let trace = "a,0,3000,q,0,w,1,1,8,64Gi,1,H100\nlate,700,100,q,0,w,1,1,8,64Gi,1,H100\n";
    let out = run(trace, CARD_1);
    assert_eq!(common::timings(&out), vec![("a", Some(6.0), Some(3006.0)), ("late", Some(1206.0), Some(1306.0))]);
    let r = out.recovery.as_ref().unwrap();
    assert!(r.incidents.is_empty());
    assert_eq!(r.summary.device_failures, 1);
}

#[test]
fn random_card_faults_with_repairs_run_and_are_reproducible() {
    let faults = "  device_failures: [{ pool: gpu, mtbf: 400s, repair: 100s, repair_distribution: fixed }]\n";
    let trace = "a,0,3000,q,0,w,1,1,8,64Gi,1,H100\nb,0,3000,q,0,w,1,1,8,64Gi,1,H100\n";
    let one = run(trace, faults);
    let two = run(trace, faults);
    assert_eq!(common::timings(&one), common::timings(&two));
    let r = one.recovery.as_ref().unwrap();
    assert!(r.summary.device_failures > 0);
    assert!(r.incidents.iter().all(|i| i.node.starts_with("gpu-000/card-")), "{:?}", r.incidents);
}

#[test]
fn bad_card_fault_input_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let trace = "a,0,100,q,0,w,1,1,8,64Gi,1,H100\n";
    let load = |faults: &str| {
        let yaml = format!(
            "name: t\nfleet:\n  track_cards: true\n  pools:\n    - {{ name: gpu, count: 1, cpu: 64, memory: 512Gi, gpu: {{ model: H100, count: 2 }} }}\nworkload: {{ trace: trace.csv }}\nfaults:\n{faults}"
        );
        std::fs::write(dir.path().join("trace.csv"), format!("{HEADER}{trace}")).unwrap();
        let path = dir.path().join("scenario.yaml");
        std::fs::write(&path, yaml).unwrap();
        let sc = tephra::scenario::load(&path).unwrap();
        let opts = tephra::runner::RunOptions { check_invariants: false, record_decisions: false };
        match tephra::runner::run(&sc, &opts, |_| {}) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    };
    let e = load("  card_faults: [{ node: gpu-009, card: 0, start: 1s, end: 2s }]\n");
    assert!(e.contains("`gpu-009` is not a node"), "{e}");
    let e = load("  card_faults: [{ node: gpu-000, card: 2, start: 1s, end: 2s }]\n");
    assert!(e.contains("has no card 2"), "{e}");
    let e = load(
        "  card_faults: [{ node: gpu-000, card: 0, start: 1s, end: 1h }, { node: gpu-000, card: 0, start: 10m, end: 2h }]\n",
    );
    assert!(e.contains("overlap"), "{e}");
    let bad = |faults: &str| {
        let yaml = format!(
            "name: t\nfleet:\n  pools:\n    - {{ name: gpu, count: 1, cpu: 64, memory: 512Gi, gpu: {{ model: H100, count: 2 }} }}\nworkload: {{ trace: trace.csv }}\nfaults:\n{faults}"
        );
        let path = dir.path().join("scenario.yaml");
        std::fs::write(&path, yaml).unwrap();
        tephra::scenario::load(&path).map(|_| ()).unwrap_err().to_string()
    };
    let e = bad("  card_faults: [{ node: gpu-000, card: 0, start: 2s, end: 1s }]\n");
    assert!(e.contains("faults.card_faults[0].end: must be after start"), "{e}");
    let e = bad("  device_failures: [{ pool: gpu, mtbf: 1d, repair_distribution: fixed }]\n");
    assert!(e.contains("repair_distribution: needs `repair`"), "{e}");
}

#[test]
fn a_node_failure_during_a_card_outage_keeps_the_accounting_straight() {
    // Card 1 is out 600..1200 s (`b` waits for it); the whole node fails 900..1000 s and kills `a`
    // (894 s done; gone at 930 s). At 1000 s `a` takes card 0 again (card 1 still out): runs at
    // 1005 s, 2106 s left → 3111 s. `b` gets card 1 at its repair: runs 1205 s → 1611 s.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("faults.csv"), "start_s,end_s,node\n900,1000,gpu-000\n").unwrap();
    let trace = "a,0,3000,q,0,w,1,1,8,64Gi,1,H100\nb,0,1000,q,0,w,1,1,8,64Gi,1,H100\n";
    let out = run_in(dir.path(), trace, &format!("  trace: faults.csv\n{CARD_1}"));
    assert_eq!(common::timings(&out), vec![("a", Some(6.0), Some(3111.0)), ("b", Some(6.0), Some(1611.0))]);
    let r = out.recovery.as_ref().unwrap();
    let causes: Vec<(&str, &str, &str)> =
        r.incidents.iter().map(|i| (i.job.as_str(), i.cause, i.node.as_str())).collect();
    assert_eq!(causes, vec![("b", "device", "gpu-000/card-1"), ("a", "node", "gpu-000")]);
    // Healthy GPUs: 1 during the card outage, 0 while the node is down, 2 after both repairs.
    let healthy: Vec<(f64, f64)> = r.timeline.iter().map(|g| (g.time_s, g.accel_healthy)).take(5).collect();
    assert_eq!(healthy, vec![(0.0, 2.0), (300.0, 2.0), (600.0, 1.0), (900.0, 0.0), (1200.0, 2.0)]);
}
