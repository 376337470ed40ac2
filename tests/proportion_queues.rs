//! Three queues with weights 1:2:3 share 24 GPUs (3 nodes × 8). Every queue asks for far more than
//! its share (30 one-GPU jobs each, all at t=0), so water-filling gives deserved = 24 × w / 6 =
//! 4, 8 and 12 GPUs, and allocate stops each queue exactly there (Allocatable: allocated + request
//! ≤ deserved). The configuration leaves out overcommit so that enqueue admits every queue's jobs
//! up to its capability (proportion's JobEnqueueable) rather than the first queue's only.

mod common;

use common::{run_checked, write_scenario};

const YAML: &str = "\
name: proportion
fleet:
  pools:
    - { name: gpu, count: 3, cpu: 64, memory: 512Gi, gpu: { model: H100, count: 8 } }
queues:
  - { name: a, weight: 1 }
  - { name: b, weight: 2 }
  - { name: c, weight: 3 }
workload: { trace: trace.csv }
scheduler:
  node_scan: exhaustive
  inline:
    actions: \"enqueue, allocate, backfill\"
    tiers:
    - plugins:
      - name: priority
      - name: gang
    - plugins:
      - name: drf
      - name: predicates
      - name: proportion
      - name: nodeorder
run: { until: 100s, pod_startup: 0s }
";

#[test]
fn weighted_queues_get_their_deserved_gpus() {
    let mut rows = String::new();
    for q in ["a", "b", "c"] {
        for i in 0..30 {
            rows.push_str(&format!("{q}{i:02},0,10000,{q},0,worker,1,1,1,1Gi,1,\n"));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let out = run_checked(&write_scenario(dir.path(), YAML, &rows));
    let gpus: Vec<i64> = out.state.queues.iter().map(|q| q.allocated.accelerators() / 1000).collect();
    assert_eq!(gpus, vec![4, 8, 12]);
    let running: Vec<usize> = ["a", "b", "c"]
        .iter()
        .map(|q| out.jobs.iter().filter(|r| r.queue == *q && r.gang_ready_s.is_some()).count())
        .collect();
    assert_eq!(running, vec![4, 8, 12]);
    // queues.csv reports the water-filled deserved GPUs and a share of exactly 1.
    for (q, want) in [("a", 4.0), ("b", 8.0), ("c", 12.0)] {
        let row = out.queues.iter().rev().find(|r| r.queue == q).unwrap();
        assert_eq!(row.accel_deserved, Some(want), "{row:?}");
        assert_eq!(row.accel_alloc, want);
        assert_eq!(row.share, Some(1.0));
    }
    // The t=0 cycle water-fills before any pod exists (requests 0 → deserved 0); from the 1 s
    // cycle on, c deserves 12: (0 × 1 s + 12 × 99 s) / 100 s.
    assert_eq!(out.summary.queues["c"].accel_deserved_mean, Some(11.88));
}
