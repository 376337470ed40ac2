//! The quickstart scenario, as shipped: same seed ⇒ byte-identical outputs; every accounting
//! invariant holds after every event under both policies; the timeline never shows more allocated
//! than healthy accelerators.

mod common;

use tephra::report;
use tephra::runner::{self, RunOptions};
use tephra::scenario::{self, Policy};

fn quickstart() -> scenario::Scenario {
    scenario::load(&common::repo().join("scenarios/quickstart.yaml")).unwrap_or_else(|e| panic!("{e}"))
}

fn write_run(sc: &scenario::Scenario, dir: &std::path::Path) {
    let out = runner::run(sc, &RunOptions { check_invariants: false, record_decisions: true }, |_| {}).unwrap();
    // Every bind the run counted is in the log, and every log row names a real pod and node.
    assert_eq!(out.decisions.iter().filter(|d| d.kind == "bind").count() as u64, out.summary.binds);
    assert!(out.decisions.iter().filter(|d| d.kind != "enqueue").all(|d| !d.pod.is_empty() && !d.node.is_empty()));
    report::write_all(dir, &out.summary, &out.perf, &out.jobs, &out.timeline, &out.queues, Some(&out.decisions))
        .unwrap();
}

#[test]
fn same_seed_same_bytes() {
    let sc = quickstart();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_run(&sc, a.path());
    write_run(&sc, b.path());
    for f in ["summary.json", "jobs.csv", "timeline.csv", "queues.csv", "decisions.csv"] {
        let x = std::fs::read(a.path().join(f)).unwrap();
        let y = std::fs::read(b.path().join(f)).unwrap();
        assert!(!x.is_empty());
        assert!(x == y, "{f} differs between identical runs");
    }
}

#[test]
fn invariants_hold_after_every_event_under_both_policies() {
    let mut sc = quickstart();
    for policy in [None, Some(Policy::KubeDefault)] {
        if let Some(p) = policy {
            sc.policy = p;
        }
        let out = runner::run(&sc, &RunOptions { check_invariants: true, record_decisions: true }, |_| {})
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.summary.jobs.completed, 400, "{}", sc.policy.name());
        for row in &out.timeline {
            if let Some(total) = row.accel_total {
                assert!(row.accel_alloc <= total, "{row:?}");
            }
        }
        // Work is conserved: nothing interrupts a gang in this build, so each completed job ran
        // exactly its trace duration from the moment its gang was running.
        for j in &out.state.jobs {
            let (ready, done) = (j.gang_ready.unwrap(), j.finished.unwrap());
            assert_eq!(done.since(ready).0, j.work_ms, "job {}", j.name);
            assert_eq!(j.progress_ms, j.work_ms, "job {}", j.name);
        }
        assert!(out.summary.accel_goodput <= out.summary.accel_allocation + 1e-9);
    }
}

#[test]
fn volcano_ci_configuration_runs_the_quickstart_with_invariants() {
    // Reclaim and preempt on, sla in tier 1 (no waiting time configured: it abstains).
    let mut sc = quickstart();
    sc.policy = scenario::load::load_conf(&common::repo().join("scenarios/conf/volcano-ci.conf")).unwrap();
    let Policy::Volcano { conf, .. } = &sc.policy else { unreachable!() };
    assert_eq!(conf.actions, vec!["enqueue", "allocate", "backfill", "reclaim", "preempt"]);
    assert!(conf.warnings.is_empty(), "{:?}", conf.warnings);
    let out = runner::run(&sc, &RunOptions { check_invariants: true, record_decisions: true }, |_| {})
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.summary.jobs.submitted, 400);
    assert!(out.summary.jobs.completed > 0);
}
