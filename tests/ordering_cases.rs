//! Hand-computed cases for admission and ordering rules (volcano-semantics §2.1, §2.2, §3.4, §3.5).
//! One node with 8 GPUs, 1 s cycles, no delays; each case names its rule.

mod common;

use common::{run_checked, write_scenario};

fn scenario(queues: &str, tier2: &str, run: &str) -> String {
    format!(
        "name: order\nfleet:\n  pools:\n    - {{ name: gpu, count: 1, cpu: 64, memory: 512Gi, gpu: {{ model: H100, count: 8 }} }}\n\
         {queues}workload: {{ trace: trace.csv }}\n\
         scheduler:\n  node_scan: exhaustive\n  inline:\n    actions: \"enqueue, allocate\"\n    tiers:\n\
         \x20   - plugins:\n      - name: priority\n      - name: gang\n\
         \x20   - plugins:\n{tier2}\
         run: {{ pod_startup: 0s, controller_delay: 0s{run} }}\n"
    )
}

const DEFAULT_TIER2: &str = "      - name: overcommit\n      - name: drf\n      - name: predicates\n      - name: proportion\n      - name: nodeorder\n";

/// §2.1 enqueue is not a barrier: `big` (16 GPUs of minResources on an 8-GPU node) is rejected by
/// overcommit (16 > 8 × 1.2) and stays Pending, but `small`, behind it in the same queue, is admitted
/// in the same cycle and runs from 1 s. (`big` is also rejected at admission: a 2-pod gang of 8 GPUs
/// needs two nodes — so it is reported unschedulable, not left waiting.)
#[test]
fn enqueue_skips_a_rejected_job_without_blocking_the_queue() {
    let trace = "big,0,100,q,0,w,2,2,1,1Gi,8,\nsmall,0,100,q,0,w,1,1,1,1Gi,1,\n";
    let dir = tempfile::tempdir().unwrap();
    let out = run_checked(&write_scenario(dir.path(), &scenario("", DEFAULT_TIER2, ""), trace));
    assert_eq!(out.jobs[0].state, "unschedulable");
    assert_eq!(out.jobs[1].gang_ready_s, Some(1.0));

    // The same with a job that fits the fleet but not overcommit's headroom right now: at the 1 s
    // cycle `hog` (6 GPUs) is admitted first; `next` (minimum 4) is rejected (inqueue 6 + 4 > 8 × 1.2)
    // but `tiny` behind it (1 GPU) is admitted (6 + 1 ≤ 9.6) and runs at 2 s. `next` is admitted when
    // `hog` completes at 101 s and, one controller round-trip later, runs at 102 s.
    let trace = "hog,0,100,q,0,w,6,6,1,1Gi,1,\nnext,1,100,q,0,w,4,4,1,1Gi,1,\ntiny,1,100,q,0,w,1,1,1,1Gi,1,\n";
    let dir = tempfile::tempdir().unwrap();
    let out = run_checked(&write_scenario(dir.path(), &scenario("", DEFAULT_TIER2, ""), trace));
    let ready: Vec<_> = out.jobs.iter().map(|r| (r.job.as_str(), r.gang_ready_s)).collect();
    assert_eq!(ready, vec![("hog", Some(1.0)), ("next", Some(102.0)), ("tiny", Some(2.0))]);
}

/// §2.2 + §3.4: after gang readiness a job gets one more task per turn, and DRF (lower dominant
/// share first) interleaves two elastic jobs: 8 one-GPU pods each, minimum 1, on 8 GPUs → 4 and 4.
/// Without drf, job order falls back to creation order and the first job takes 7.
#[test]
fn drf_interleaves_elastic_tasks() {
    let trace = "e1,0,1000,q,0,w,8,1,1,1Gi,1,\ne2,0,1000,q,0,w,8,1,1,1Gi,1,\n";
    let count = |tier2: &str| {
        let dir = tempfile::tempdir().unwrap();
        let out = run_checked(&write_scenario(dir.path(), &scenario("", tier2, ", until: 5s"), trace));
        out.state.jobs.iter().map(|j| j.allocated.accelerators() / 1000).collect::<Vec<_>>()
    };
    assert_eq!(count(DEFAULT_TIER2), vec![4, 4]);
    let no_drf = "      - name: predicates\n      - name: proportion\n      - name: nodeorder\n";
    assert_eq!(count(no_drf), vec![7, 1]);
}

/// §3.5 guarantee and realCapability: queues a and b, weight 1 each, a guarantees 6 GPUs. b's
/// realCapability is 8 − 6 = 2; water-filling gives a = max(4, 6) = 6 and b = min(4, 2) = 2, so with
/// eight one-GPU jobs waiting in each queue, a runs 6 and b runs 2.
#[test]
fn guarantee_and_real_capability_shape_deserved() {
    let queues = "queues:\n  - { name: a, guarantee: { gpu: 6 } }\n  - { name: b }\n";
    let mut trace = String::new();
    for q in ["a", "b"] {
        for i in 0..8 {
            trace.push_str(&format!("{q}{i},0,1000,{q},0,w,1,1,1,1Gi,1,\n"));
        }
    }
    let tier2 = "      - name: drf\n      - name: predicates\n      - name: proportion\n      - name: nodeorder\n";
    let dir = tempfile::tempdir().unwrap();
    let out = run_checked(&write_scenario(dir.path(), &scenario(queues, tier2, ", until: 5s"), &trace));
    let gpus: Vec<i64> = out.state.queues.iter().map(|q| q.allocated.accelerators() / 1000).collect();
    assert_eq!(gpus, vec![6, 2]);
    let deserved: Vec<_> =
        ["a", "b"].iter().map(|q| out.queues.iter().rev().find(|r| r.queue == *q).unwrap().accel_deserved).collect();
    assert_eq!(deserved, vec![Some(6.0), Some(2.0)]);
}
