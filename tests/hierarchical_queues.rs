//! Hierarchical queues (volcano-semantics §3.4, §3.6): leaf-only admission with its reason,
//! per-queue reports for inner queues, `ancestorReclaimLevel`, and the configuration errors.
//! The scheduling rules themselves are pinned by the `capacity-*` and `hdrf-*` conformance cases.

mod common;

use common::{run_checked, write_scenario};

const CONF: &str = "scheduler:\n  node_scan: exhaustive\n  inline:\n    actions: \"enqueue, allocate, reclaim\"\n    tiers:\n\
    \x20   - plugins:\n      - name: priority\n      - name: gang\n        enablePreemptable: false\n        enableReclaimable: false\n\
    \x20   - plugins:\n      - name: drf\n        enablePreemptable: false\n      - name: predicates\n      - name: capacity\n        enableHierarchy: true\n";

fn scenario(queues: &str, capacity_args: &str, run: &str) -> String {
    format!(
        "name: h\nfleet:\n  pools:\n    - {{ name: gpu, count: 1, cpu: 64, memory: 512Gi, gpu: {{ model: H100, count: 8 }} }}\n\
         queues:\n{queues}workload: {{ trace: trace.csv }}\n{CONF}{capacity_args}      - name: nodeorder\n\
         run: {{ pod_startup: 0s, controller_delay: 0s{run} }}\n"
    )
}

/// Jobs sent to `root` or to a queue with children never wait: they are unschedulable with
/// Volcano's webhook message, and the job in the leaf runs.
#[test]
fn jobs_outside_leaf_queues_are_reported_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let queues = "  - { name: root }\n  - { name: org }\n  - { name: team, parent: org }\n";
    let trace = "r,0,10,root,0,w,1,1,1,8Gi,1,\no,0,10,org,0,w,1,1,1,8Gi,1,\nt,0,10,team,0,w,1,1,1,8Gi,1,\n";
    let out = run_checked(&write_scenario(dir.path(), &scenario(queues, "", ""), trace));
    let row = |j: &str| out.jobs.iter().find(|r| r.job == j).unwrap();
    assert_eq!((row("r").state, row("o").state, row("t").state), ("unschedulable", "unschedulable", "completed"));
    assert_eq!(row("r").reason, "can not submit job to root queue (jobs go to leaf queues)");
    assert_eq!(row("o").reason, "can only submit job to leaf queue, queue `org` has 1 child queue");
    assert_eq!(out.summary.jobs.unschedulable, 2);
}

/// queues.csv: an inner queue reports its subtree's allocation against its own deserved share;
/// a declared root deserves the sum of its children's (each raised to its guarantee).
#[test]
fn inner_queues_report_their_subtree() {
    let dir = tempfile::tempdir().unwrap();
    let queues = "  - { name: root }\n  - { name: org, deserved: { gpu: 1 }, guarantee: { gpu: 6 } }\n\
                  \x20 - { name: team1, parent: org, deserved: { gpu: 4 } }\n  - { name: team2, parent: org, deserved: { gpu: 2 } }\n\
                  \x20 - { name: other, deserved: { gpu: 2 } }\n";
    let out = run_checked(&write_scenario(
        dir.path(),
        &scenario(queues, "", ", until: 20s, sample_every: 10s"),
        "t1,0,100,team1,0,w,3,1,1,8Gi,1,\n",
    ));
    let at = |q: &str| {
        let r = out.queues.iter().find(|r| r.queue == q && r.time_s == 10.0).unwrap();
        (r.accel_alloc, r.accel_deserved, r.share)
    };
    assert_eq!(at("team1"), (3.0, Some(4.0), Some(0.75)));
    assert_eq!(at("team2"), (0.0, Some(2.0), Some(0.0)));
    assert_eq!(at("org"), (3.0, Some(6.0), Some(0.5))); // deserved 1 raised to guarantee 6
    assert_eq!(at("other"), (0.0, Some(2.0), Some(0.0)));
    assert_eq!(at("root"), (3.0, Some(8.0), Some(0.375))); // 6 + 2
    let t = |q: &str| out.timeline.iter().find(|r| r.scope == "queue" && r.name == q && r.time_s == 10.0).unwrap();
    assert_eq!((t("org").accel_alloc, t("team1").accel_alloc), (3.0, 3.0));
}

/// capacity-08's scenario without `ancestorReclaimLevel`: a1 is above its own deserved share and
/// its parent is not consulted, so it does not reclaim and waits for a free GPU pair.
#[test]
fn without_ancestor_reclaim_level_the_leaf_alone_decides() {
    let dir = tempfile::tempdir().unwrap();
    let queues = "  - { name: a, deserved: { gpu: 6 } }\n  - { name: a1, parent: a, deserved: { gpu: 1 } }\n\
                  \x20 - { name: a2, parent: a, deserved: { gpu: 1 } }\n  - { name: b, deserved: { gpu: 2 } }\n\
                  \x20 - { name: b1, parent: b, deserved: { gpu: 2 } }\n";
    let trace = "b1j,0,1000,b1,0,w,6,1,1,8Gi,1,\na2j,0,1000,a2,0,w,2,1,1,8Gi,1,\na1j,10,100,a1,0,w,1,1,1,8Gi,2,\n";
    let out = run_checked(&write_scenario(dir.path(), &scenario(queues, "", ""), trace));
    assert_eq!(out.summary.evictions, 0);
    assert_eq!(common::timings(&out)[2], ("a1j", Some(1001.0), Some(1101.0)));
}

/// The error of loading, else of starting, a scenario (plugin arguments are read when the
/// scheduler is built).
fn load_error(yaml: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = write_scenario(dir.path(), yaml, "a,0,10,q,0,w,1,1,1,8Gi,1,\n");
    match tephra::scenario::load(&path) {
        Err(e) => e.to_string(),
        Ok(sc) => {
            tephra::runner::run(&sc, &Default::default(), |_| {}).err().map(|e| e.to_string()).unwrap_or_default()
        }
    }
}

#[test]
fn bad_hierarchy_configuration_is_an_error() {
    let q = "  - { name: q }\n";
    let err = load_error(&scenario(q, "        arguments: { ancestorReclaimLevel: -1 }\n", ""));
    assert!(err.contains("argument `ancestorReclaimLevel`: `-1` is not a non-negative integer"), "{err}");
    let err = load_error(&scenario(q, "        arguments: { ancestorLevel: 1 }\n", ""));
    assert!(err.contains("unknown argument `ancestorLevel`"), "{err}");

    let hdrf = |queues: &str, extra: &str| {
        format!(
            "name: h\nfleet:\n  pools:\n    - {{ name: gpu, count: 1, cpu: 64, memory: 512Gi, gpu: {{ model: H100, count: 8 }} }}\n\
             queues:\n{queues}workload: {{ trace: trace.csv }}\nscheduler:\n  inline:\n    actions: \"allocate\"\n    tiers:\n\
             \x20   - plugins:\n      - name: drf\n        enableHierarchy: true\n{extra}"
        )
    };
    let err = load_error(&hdrf(q, "      - name: proportion\n"));
    assert!(err.contains("proportion and drf with hierarchy enabled conflicts"), "{err}");
    let bad = "  - { name: q, annotations: { volcano.sh/hierarchy: root/a/q, volcano.sh/hierarchy-weights: 1/2 } }\n";
    let err = load_error(&hdrf(bad, ""));
    assert!(err.contains("scenario.yaml:6: queues.q.annotations"), "{err}");
    assert!(err.contains("has 3 segments but `volcano.sh/hierarchy-weights: 1/2` has 2"), "{err}");
    let bad = "  - { name: q, annotations: { volcano.sh/hierarchy: root/q } }\n";
    assert!(load_error(&hdrf(bad, "")).contains("go together"));
    let bad = "  - { name: q, annotations: { volcano.sh/hierarchy: a/q, volcano.sh/hierarchy-weights: 1/x } }\n";
    assert!(load_error(&hdrf(bad, "")).contains("is not a path from root"));
}

/// The example scenario runs to the end with every invariant checked, and at every sample `ai`
/// reports what research and prod hold together.
#[test]
fn example_scenario_runs_and_reports_the_branch() {
    let out = run_checked(&common::repo().join("scenarios/hierarchical-queues.yaml"));
    assert_eq!((out.summary.jobs.completed, out.summary.jobs.submitted), (400, 400));
    let rows =
        |q: &str| out.queues.iter().filter(|r| r.queue == q).map(|r| (r.time_s, r.accel_alloc)).collect::<Vec<_>>();
    let (ai, research, prod) = (rows("ai"), rows("research"), rows("prod"));
    assert!(ai.len() > 100);
    for ((a, r), p) in ai.iter().zip(&research).zip(&prod) {
        assert_eq!((a.0, a.1), (r.0, r.1 + p.1));
    }
    assert!(ai.iter().any(|a| a.1 > 0.0));
}
