//! `sla` (volcano-semantics §3.8): once a job has waited `sla-waiting-time`, sla's Permit in tier 1
//! admits it past overcommit's Reject in tier 2.
//!
//! Two 2-pod × 8-GPU gangs on two 8-GPU nodes, both at t=0, 1 s cycles, no delays. Without sla, J2
//! is admitted only when J1 completes (101 s), its pods appear then and it binds one cycle later
//! (102 s). With a 10 s SLA the simulator wakes the scheduler at 10 s although nothing else happens;
//! J2 is admitted then, its pods exist when J1 completes, and it binds at 101 s.

mod common;

use common::{run_checked, write_scenario};

const TRACE: &str = "J1,0,100,q,0,worker,2,2,8,64Gi,8,\nJ2,0,100,q,0,worker,2,2,8,64Gi,8,\n";

fn scenario(sla: &str) -> String {
    format!(
        "name: sla\nfleet:\n  pools:\n    - {{ name: gpu, count: 2, cpu: 64, memory: 512Gi, gpu: {{ model: H100, count: 8 }} }}\n\
         workload: {{ trace: trace.csv }}\n\
         scheduler:\n  node_scan: exhaustive\n  inline:\n    actions: \"enqueue, allocate, backfill\"\n    tiers:\n\
         \x20   - plugins:\n      - name: priority\n      - name: gang\n      - name: conformance\n{sla}\
         \x20   - plugins:\n      - name: overcommit\n      - name: drf\n      - name: predicates\n      - name: proportion\n      - name: nodeorder\n\
         run: {{ pod_startup: 0s, controller_delay: 0s }}\n"
    )
}

#[test]
fn waiting_time_admits_past_overcommit() {
    let dir = tempfile::tempdir().unwrap();
    let without = run_checked(&write_scenario(dir.path(), &scenario(""), TRACE));
    assert_eq!((without.jobs[1].gang_ready_s, without.jobs[1].finish_s), (Some(102.0), Some(202.0)));

    let sla = "      - name: sla\n        arguments: { sla-waiting-time: 10s }\n";
    let dir = tempfile::tempdir().unwrap();
    let with = run_checked(&write_scenario(dir.path(), &scenario(sla), TRACE));
    assert_eq!((with.jobs[0].gang_ready_s, with.jobs[0].finish_s), (Some(1.0), Some(101.0)));
    assert_eq!((with.jobs[1].gang_ready_s, with.jobs[1].finish_s), (Some(101.0), Some(201.0)));
}

#[test]
fn bad_waiting_time_is_an_error() {
    let sla = "      - name: sla\n        arguments: { sla-waiting-time: soon }\n";
    let dir = tempfile::tempdir().unwrap();
    let path = write_scenario(dir.path(), &scenario(sla), TRACE);
    // Plugin arguments are checked when the conf is loaded (the error names the file and tier).
    let err = tephra::scenario::load(&path).expect_err("rejected").to_string();
    assert!(err.contains("sla-waiting-time") && err.contains("tier 1"), "{err}");
}
