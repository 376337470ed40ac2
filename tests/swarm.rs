//! Swarm test: fleets, queues and workloads drawn at random; every accounting invariant is checked
//! after every event under Volcano's default and CI configurations and kube-default, and under Volcano (gang admission, no eviction) every
//! admissible job completes — the liveness half. A failing case prints its inputs; keep it as a
//! named regression test.

mod common;

use proptest::prelude::*;
use tephra::runner::{self, RunOptions};
use tephra::scenario;

fn job_row() -> impl Strategy<Value = (u32, u32, u32, u32, u32, u32, u8)> {
    // submit s, duration s, replicas, min_available share, gpus per pod, cpu, queue
    (
        0u32..600,
        1u32..900,
        1u32..5,
        1u32..=4,
        prop_oneof![Just(0u32), Just(1), Just(2), Just(4), Just(8)],
        1u32..32,
        0u8..3,
    )
}

fn scenario_yaml(nodes: u32, policy: &str) -> String {
    format!(
        "name: swarm\nseed: 3\nfleet:\n  pools:\n    - {{ name: a, count: {nodes}, cpu: 64, memory: 512Gi, gpu: {{ model: H100, count: 8 }} }}\n    - {{ name: b, count: 1, cpu: 32, memory: 256Gi }}\n\
         queues:\n  - {{ name: q0, weight: 1 }}\n  - {{ name: q1, weight: 2 }}\n  - {{ name: q2, weight: 3 }}\n\
         workload: {{ trace: trace.csv }}\nscheduler: {{ {policy} }}\nrun: {{ pod_startup: 2s, controller_delay: 1s }}\n"
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn invariants_and_liveness(nodes in 1u32..5, jobs in prop::collection::vec(job_row(), 1..25)) {
        let mut rows = String::new();
        for (i, (submit, dur, replicas, minshare, gpu, cpu, q)) in jobs.iter().enumerate() {
            let min = (replicas * minshare).div_ceil(4).max(1);
            rows.push_str(&format!("j{i},{submit},{dur},q{q},0,w,{replicas},{min},{cpu},4Gi,{gpu},\n"));
        }
        let ci = common::repo().join("scenarios/conf/volcano-ci.conf");
        let policies = ["node_scan: volcano".to_string(), "policy: kube-default".to_string(), format!("conf: {}", ci.display())];
        for (k, policy) in policies.iter().enumerate() {
            let dir = tempfile::tempdir().unwrap();
            let path = common::write_scenario(dir.path(), &scenario_yaml(nodes, policy), &rows);
            let sc = scenario::load(&path).unwrap();
            let out = runner::run(&sc, &RunOptions { check_invariants: true, record_decisions: true }, |_| {});
            let out = match out { Ok(o) => o, Err(e) => panic!("{e}\ntrace:\n{rows}") };
            prop_assert_eq!(out.summary.jobs.submitted, jobs.len());
            // Liveness for the default configuration (no eviction); with reclaim and preempt a
            // gang can be broken and left waiting, as in Volcano without lifecycle policies.
            if k == 0 {
                prop_assert_eq!(out.summary.jobs.unfinished, 0, "volcano left jobs unfinished:\n{}", rows);
            }
        }
    }
}
