//! Hand-computed preempt and reclaim cases (rules from `volcano-semantics.md` §2.4, §2.5, §3.1,
//! §3.2, §3.5). One node with 8 GPUs, 1 s cycles, no controller delay, no pod start-up, Kubernetes'
//! 30 s termination grace for evicted pods.

mod common;

use common::{run_checked, write_scenario};

fn scenario(actions: &str, queues: &str) -> String {
    format!(
        "name: evict\nfleet:\n  pools:\n    - {{ name: gpu, count: 1, cpu: 64, memory: 512Gi, gpu: {{ model: H100, count: 8 }} }}\n\
         {queues}workload: {{ trace: trace.csv }}\n\
         scheduler:\n  node_scan: exhaustive\n  inline:\n    actions: \"{actions}\"\n    tiers:\n\
         \x20   - plugins:\n      - name: priority\n      - name: gang\n        enablePreemptable: false\n      - name: conformance\n\
         \x20   - plugins:\n      - name: drf\n        enablePreemptable: false\n      - name: predicates\n      - name: proportion\n      - name: nodeorder\n\
         run: {{ pod_startup: 0s, controller_delay: 0s }}\n"
    )
}

/// Preempt (§2.4): a starving high-priority job evicts a lower-priority job of the same queue.
/// t=1 s `low` runs. t=10 s `high` arrives (allocate admits it: no enqueue action), t=11 s it does
/// not fit; preempt: priority allows `low` (0 < 100), gang's Preemptable is disabled, conformance
/// keeps it → `low` is evicted and `high` pipelined. `low`'s pod is gone at 41 s (30 s grace) and
/// `high` binds in that cycle, finishing at 141 s. `low` ran 10 s before eviction and gets the
/// node back at 141 s: 990 s left → done at 1,131 s. `low` cannot preempt back (lower priority).
#[test]
fn higher_priority_job_preempts_within_its_queue() {
    let trace = "low,0,1000,q,0,w,1,1,8,64Gi,8,\nhigh,10,100,q,100,w,1,1,8,64Gi,8,\n";
    let dir = tempfile::tempdir().unwrap();
    let out = run_checked(&write_scenario(dir.path(), &scenario("allocate, preempt", ""), trace));
    let rows: Vec<_> = out.jobs.iter().map(|r| (r.job.as_str(), r.first_start_s, r.gang_ready_s, r.finish_s)).collect();
    assert_eq!(rows, vec![("low", Some(1.0), Some(1.0), Some(1131.0)), ("high", Some(41.0), Some(41.0), Some(141.0))]);
    let q = &out.summary.queues["q"];
    assert_eq!((q.evictions_received, q.evictions_given, q.cross_queue_evictions_received), (1, 1, 0));
    assert_eq!((q.preempted, q.preempted_for, q.reclaimed, q.reclaimed_for), (1, 1, 0, 0));
}

/// Victim order (§1.7 `BuildVictimsPriorityQueue`: different jobs of one queue in reverse job
/// order): `hi` (priority 100, 4 GPUs) may evict both `lo` (0) and `mid` (50), each holding 4 GPUs;
/// the lowest-priority job goes first and is enough, so `mid` keeps running. `lo` ran 10 s, gets
/// the GPUs back when `hi` completes at 141 s and finishes its remaining 990 s at 1,131 s.
#[test]
fn lowest_priority_victim_is_evicted_first() {
    let trace = "lo,0,1000,q,0,w,1,1,8,64Gi,4,\nmid,0,1000,q,50,w,1,1,8,64Gi,4,\nhi,10,100,q,100,w,1,1,8,64Gi,4,\n";
    let dir = tempfile::tempdir().unwrap();
    let out = run_checked(&write_scenario(dir.path(), &scenario("allocate, preempt", ""), trace));
    let rows = common::timings(&out);
    assert_eq!(
        rows,
        vec![("lo", Some(1.0), Some(1131.0)), ("mid", Some(1.0), Some(1001.0)), ("hi", Some(41.0), Some(141.0))]
    );
    assert_eq!(out.summary.evictions, 1);
}

/// Gang commit vs discard (§1.6, §2.4): `hi` (2 × 8 GPUs, priority 100) can evict `lo` (priority 0)
/// from one node but not `peer` (priority 100) from the other, so it is never pipelined and every
/// tentative eviction is discarded — `lo` is never evicted. When `peer` completes (301 s) one node
/// is free, but preempt only visits nodes with victims and allocate cannot place the whole gang, so
/// `hi` waits for `lo` too and runs 1,001 s → 1,101 s.
#[test]
fn gang_preemption_that_cannot_complete_is_discarded() {
    let two_nodes = |yaml: String| yaml.replace("count: 1, cpu", "count: 2, cpu");
    let trace = "lo,0,1000,q,0,w,1,1,8,64Gi,8,\npeer,0,300,q,100,w,1,1,8,64Gi,8,\nhi,10,100,q,100,w,2,2,8,64Gi,8,\n";
    let dir = tempfile::tempdir().unwrap();
    let out = run_checked(&write_scenario(dir.path(), &two_nodes(scenario("allocate, preempt", "")), trace));
    let rows = common::timings(&out);
    assert_eq!(
        rows,
        vec![("lo", Some(1.0), Some(1001.0)), ("peer", Some(1.0), Some(301.0)), ("hi", Some(1001.0), Some(1101.0))]
    );
    assert_eq!(out.summary.evictions, 0);
}

/// Without `preempt` the same workload waits: `high` runs only after `low` completes.
#[test]
fn without_preempt_the_high_priority_job_waits() {
    let trace = "low,0,1000,q,0,w,1,1,8,64Gi,8,\nhigh,10,100,q,100,w,1,1,8,64Gi,8,\n";
    let dir = tempfile::tempdir().unwrap();
    let out = run_checked(&write_scenario(dir.path(), &scenario("allocate", ""), trace));
    assert_eq!(out.jobs[1].gang_ready_s, Some(1001.0));
    assert_eq!(out.jobs[0].finish_s, Some(1001.0));
}

/// Equal priorities: priority's Preemptable returns no victim, so nothing is evicted.
#[test]
fn equal_priority_does_not_preempt() {
    let trace = "a,0,1000,q,0,w,1,1,8,64Gi,8,\nb,10,100,q,0,w,1,1,8,64Gi,8,\n";
    let dir = tempfile::tempdir().unwrap();
    let out = run_checked(&write_scenario(dir.path(), &scenario("allocate, preempt", ""), trace));
    assert_eq!(out.jobs[0].finish_s, Some(1001.0));
    assert_eq!(out.jobs[1].gang_ready_s, Some(1001.0));
}

/// Reclaim (§2.5, gang Reclaimable §3.1): queue `a` runs an elastic job (8 one-GPU pods, gang
/// minimum 2) on the whole node. At 10 s queue `b` submits a 2-pod × 2-GPU gang: admitted, does not
/// fit at 11 s; reclaim: `b` is under its deserved share (4 of 8 GPUs, weights 1:1) so Preemptive
/// holds; tier 1 decides the victims — gang offers only `a1`'s pods above its minimum, evicted in
/// reverse task order (a1-7, a1-6 for b1-0; a1-5, a1-4 for b1-1). `a1` keeps 4 pods running, so
/// it never stops progressing (done at 1,001 s). The evicted pods are gone at 41 s, `b1` binds
/// then and finishes at 141 s.
#[test]
fn queue_under_its_share_reclaims_elastic_pods_only() {
    let queues = "queues:\n  - { name: a, weight: 1 }\n  - { name: b, weight: 1 }\n";
    let trace = "a1,0,1000,a,0,w,8,2,1,8Gi,1,\nb1,10,100,b,0,w,2,2,1,8Gi,2,\n";
    let dir = tempfile::tempdir().unwrap();
    let out = run_checked(&write_scenario(dir.path(), &scenario("enqueue, allocate, reclaim", queues), trace));
    let rows = common::timings(&out);
    assert_eq!(rows, vec![("a1", Some(1.0), Some(1001.0)), ("b1", Some(41.0), Some(141.0))]);
    let (a, b) = (&out.summary.queues["a"], &out.summary.queues["b"]);
    assert_eq!((a.evictions_received, a.cross_queue_evictions_received, a.evictions_given), (4, 4, 0));
    assert_eq!((b.evictions_received, b.evictions_given), (0, 4));
    assert_eq!((a.reclaimed, a.preempted, b.reclaimed_for, b.preempted_for), (4, 0, 4, 0));
    // queues.csv carries the running tallies: the last row of each queue has the totals.
    let last = |name: &str| out.queues.iter().rev().find(|r| r.queue == name).unwrap().clone();
    assert_eq!((last("a").reclaimed, last("a").cross_queue_evicted, last("b").reclaimed_for), (4, 4, 4));
    assert_eq!(out.summary.evictions, 4);

    // Stop at 60 s to see who holds what: b1 4 GPUs, a1 its 4 surviving pods (indices 0-3).
    let dir = tempfile::tempdir().unwrap();
    let yaml = scenario("enqueue, allocate, reclaim", queues)
        .replace("controller_delay: 0s", "controller_delay: 0s, until: 60s");
    let out = run_checked(&write_scenario(dir.path(), &yaml, trace));
    let gpus: Vec<i64> = out.state.queues.iter().map(|q| q.allocated.accelerators() / 1000).collect();
    assert_eq!(gpus, vec![4, 4]);
    let running: Vec<u32> = out.state.jobs[0]
        .task_ids()
        .map(|t| &out.state.tasks[t.idx()])
        .filter(|t| t.status == tephra::model::TaskStatus::Running)
        .map(|t| t.index)
        .collect();
    assert_eq!(running, vec![0, 1, 2, 3]);
}

/// Tier semantics of Reclaimable (§1.7): gang answers "no victim" for a job at its minimum, which
/// empties tier 1, and evaluation falls through to tier 2 where proportion allows victims from a
/// queue above its deserved share. So `a1` (8 pods, minimum 8) loses 4 pods at 11 s, `b1` runs at
/// 41 s. `a1` then holds 4 GPUs making no progress; its PodGroup drops back to Pending and
/// proportion will not re-admit it (minResources 8 + its queue's 4 allocated > 8): it never
/// finishes. Lifecycle policies (RestartJob on eviction) are what real clusters add against this.
#[test]
fn gang_veto_in_tier_one_falls_through_to_proportion() {
    let queues = "queues:\n  - { name: a, weight: 1 }\n  - { name: b, weight: 1 }\n";
    let trace = "a1,0,1000,a,0,w,8,8,1,8Gi,1,\nb1,10,100,b,0,w,2,2,1,8Gi,2,\n";
    let dir = tempfile::tempdir().unwrap();
    let out = run_checked(&write_scenario(dir.path(), &scenario("enqueue, allocate, reclaim", queues), trace));
    let rows = common::timings(&out);
    assert_eq!(rows, vec![("a1", Some(1.0), None), ("b1", Some(41.0), Some(141.0))]);
    let a1 = &out.state.jobs[0];
    assert_eq!(a1.progress_ms, 10_000, "ran from 1 s to 11 s only");
    assert!(out.jobs[0].reason.contains("not enqueueable"), "{}", out.jobs[0].reason);
}

/// With proportion's Reclaimable switched off (`enableReclaimable: false`), tier 1's gang veto is
/// the only answer: `a1` at its minimum is protected and `b1` waits until it finishes at 1,001 s.
#[test]
fn gang_at_minimum_is_protected_when_proportion_does_not_reclaim() {
    let queues = "queues:\n  - { name: a, weight: 1 }\n  - { name: b, weight: 1 }\n";
    let trace = "a1,0,1000,a,0,w,8,8,1,8Gi,1,\nb1,10,100,b,0,w,2,2,1,8Gi,2,\n";
    let yaml = scenario("enqueue, allocate, reclaim", queues)
        .replace("      - name: proportion\n", "      - name: proportion\n        enableReclaimable: false\n");
    let dir = tempfile::tempdir().unwrap();
    let out = run_checked(&write_scenario(dir.path(), &yaml, trace));
    let rows = common::timings(&out);
    assert_eq!(rows, vec![("a1", Some(1.0), Some(1001.0)), ("b1", Some(1001.0), Some(1101.0))]);
}

/// §2.5: only reclaimable queues give resources back. With `reclaimable: false` on queue `a`, `b1`
/// finds no candidates and waits for `a1` to finish at 1,001 s (its pods already exist, so it binds
/// in that cycle).
#[test]
fn non_reclaimable_queue_keeps_its_pods() {
    let queues = "queues:\n  - { name: a, weight: 1, reclaimable: false }\n  - { name: b, weight: 1 }\n";
    let trace = "a1,0,1000,a,0,w,8,2,1,8Gi,1,\nb1,10,100,b,0,w,2,2,1,8Gi,2,\n";
    let dir = tempfile::tempdir().unwrap();
    let out = run_checked(&write_scenario(dir.path(), &scenario("enqueue, allocate, reclaim", queues), trace));
    let rows = common::timings(&out);
    assert_eq!(rows, vec![("a1", Some(1.0), Some(1001.0)), ("b1", Some(1001.0), Some(1101.0))]);
    assert_eq!(out.summary.evictions, 0);
}

/// §2.4: preempt stays inside a queue. The same priorities as the first case, but `high` is in
/// another queue and only `preempt` runs: no victim, `high` waits for `low` (runs 1,001 s → 1,101 s).
#[test]
fn preempt_does_not_cross_queues() {
    let queues = "queues:\n  - { name: q }\n  - { name: other }\n";
    let trace = "low,0,1000,q,0,w,1,1,8,64Gi,8,\nhigh,10,100,other,100,w,1,1,8,64Gi,8,\n";
    let dir = tempfile::tempdir().unwrap();
    let out = run_checked(&write_scenario(dir.path(), &scenario("allocate, preempt", queues), trace));
    let rows = common::timings(&out);
    assert_eq!(rows, vec![("low", Some(1.0), Some(1001.0)), ("high", Some(1001.0), Some(1101.0))]);
    assert_eq!(out.summary.evictions, 0);
}
