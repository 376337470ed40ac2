//! `capacity` (volcano-semantics §3.6, flat mode): user-set deserved shares, borrowing idle
//! resources up to realCapability, and reclaim back to deserved. One node with 8 GPUs, two queues
//! deserving 4 GPUs each; gang's Reclaimable is switched off so that capacity alone picks victims.

mod common;

use common::{run_checked, write_scenario};

fn scenario(queue_a: &str, run: &str) -> String {
    format!(
        "name: capacity\nfleet:\n  pools:\n    - {{ name: gpu, count: 1, cpu: 64, memory: 512Gi, gpu: {{ model: H100, count: 8 }} }}\n\
         queues:\n  - {{ name: a, {queue_a} }}\n  - {{ name: b, deserved: {{ gpu: 4 }} }}\n\
         workload: {{ trace: trace.csv }}\n\
         scheduler:\n  node_scan: exhaustive\n  inline:\n    actions: \"enqueue, allocate, reclaim\"\n    tiers:\n\
         \x20   - plugins:\n      - name: priority\n      - name: gang\n        enablePreemptable: false\n        enableReclaimable: false\n\
         \x20   - plugins:\n      - name: drf\n        enablePreemptable: false\n      - name: predicates\n      - name: capacity\n      - name: nodeorder\n\
         run: {{ pod_startup: 0s, controller_delay: 0s{run} }}\n"
    )
}

const TRACE: &str = "a1,0,1000,a,0,w,8,2,1,8Gi,1,\nb1,10,100,b,0,w,2,2,1,8Gi,2,\n";

/// `a1` (8 one-GPU pods, minimum 2) borrows the whole node at 1 s although `a` deserves 4. At 10 s
/// `b1` (2 × 2 GPUs) is admitted (4 ≤ realCapability 8), does not fit at 11 s, and reclaims:
/// `b` is below deserved (Preemptive), `a` is above it, so capacity offers `a1`'s pods in victim
/// order while `a` stays above 4 GPUs (a1-7, a1-6, a1-5, a1-4); two are evicted per `b1` pod. The
/// victims are gone at 41 s, `b1` runs 41 s → 141 s; `a1` keeps 4 pods (≥ its minimum) and
/// finishes at 1,001 s.
#[test]
fn borrowed_gpus_are_reclaimed_down_to_deserved() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_checked(&write_scenario(dir.path(), &scenario("deserved: { gpu: 4 }", ", sample_every: 10s"), TRACE));
    let rows = common::timings(&out);
    assert_eq!(rows, vec![("a1", Some(1.0), Some(1001.0)), ("b1", Some(41.0), Some(141.0))]);
    let a = &out.summary.queues["a"];
    assert_eq!((a.evictions_received, a.cross_queue_evictions_received), (4, 4));
    // queues.csv (sampled every 10 s here): at 100 s each queue holds its deserved 4 GPUs; at
    // 200 s, after b1 finished, a has borrowed the whole node again.
    let at = |q: &str, t: f64| out.queues.iter().find(|r| r.queue == q && r.time_s == t).unwrap().accel_alloc;
    assert_eq!((at("a", 100.0), at("b", 100.0)), (4.0, 4.0));
    assert_eq!((at("a", 200.0), at("b", 200.0)), (8.0, 0.0));
    let row = out.queues.iter().find(|r| r.queue == "a" && r.time_s == 100.0).unwrap();
    assert_eq!((row.accel_deserved, row.share), (Some(4.0), Some(1.0)));
}

/// A capability caps borrowing: with `capability: {gpu: 6}` only 6 of `a1`'s pods are placed.
#[test]
fn capability_caps_borrowing() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = scenario("deserved: { gpu: 4 }, capability: { gpu: 6 }", ", until: 5s");
    let out = run_checked(&write_scenario(dir.path(), &yaml, "a1,0,1000,a,0,w,8,2,1,8Gi,1,\n"));
    assert_eq!(out.state.queues[0].allocated.accelerators(), 6000);
}
