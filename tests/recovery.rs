//! Failures and recovery, hand-computed. The fleet is 4 H100 nodes of 8 GPUs (plus 3 A100 nodes
//! that the job cannot use but that give overcommit room to re-admit a shrunk gang: see
//! `without_room_to_readmit_...`), the job a 4-pod H100 gang of 8 GPUs each (one pod per node) with 3600 s of work; node gpu-000 fails at 600 s and is repaired
//! at 1200 s (a fault list). Timing model: enqueue at 0 s, bind at 1 s, pods run at 6 s
//! (`pod_startup` 5 s), so at the failure the job has 594 s of progress. A killed pod terminates
//! for 30 s (gone at 630 s) and comes back pending; it can bind again only when a node is back.

mod common;

use std::path::Path;
use tephra::runner::RunOutput;

const HEADER: &str =
    "job_id,submit_s,duration_s,queue,priority,role,replicas,min_available,cpu,memory,gpu,gpu_model,annotations\n";

fn scenario(dir: &Path, extra: &str, trace: &str, faults: &str) -> std::path::PathBuf {
    let other = if extra.contains("# tiny") { 0 } else { 3 };
    let spare = if extra.contains("spares") { 1 } else { 0 };
    let yaml = format!(
        "name: t\nfleet:\n  pools:\n    - {{ name: gpu, count: {}, cpu: 64, memory: 512Gi, gpu: {{ model: H100, count: 8 }} }}\n    - {{ name: other, count: {other}, cpu: 64, memory: 512Gi, gpu: {{ model: A100, count: 8 }} }}\nworkload: {{ trace: trace.csv }}\nfaults:\n  trace: faults.csv\n{extra}run: {{ pod_startup: 5s, sample_every: 10m }}\n",
        4 + spare,
    );
    let yaml = if other == 0 {
        yaml.replace("    - { name: other, count: 0, cpu: 64, memory: 512Gi, gpu: { model: A100, count: 8 } }\n", "")
    } else {
        yaml
    };
    std::fs::write(dir.join("trace.csv"), format!("{HEADER}{trace}")).unwrap();
    std::fs::write(dir.join("faults.csv"), format!("start_s,end_s,node\n{faults}")).unwrap();
    let path = dir.join("scenario.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

fn run(extra: &str, annotations: &str, faults: &str) -> RunOutput {
    let dir = tempfile::tempdir().unwrap();
    let trace = format!("train,0,3600,q,0,worker,4,4,8,64Gi,8,H100,{annotations}\n");
    common::run_checked(&scenario(dir.path(), extra, &trace, faults))
}

const ONE_FAILURE: &str = "600,1200,gpu-000\n";

fn recovery(out: &RunOutput) -> &tephra::report::recovery::RecoveryOutput {
    out.recovery.as_ref().expect("faults are configured")
}

#[test]
fn no_policy_recreates_the_pod_and_the_gang_waits_for_the_repair() {
    let out = run("", "", ONE_FAILURE);
    // Repair at 1200 s → cycle at 1200 s binds the recreated pod → runs at 1205 s; 3006 s of work
    // are left: finish at 4211 s.
    assert_eq!(common::timings(&out), vec![("train", Some(6.0), Some(4211.0))]);
    let r = recovery(&out);
    assert_eq!(r.incidents.len(), 1);
    let i = &r.incidents[0];
    assert_eq!((i.time_s, i.node.as_str(), i.pods_killed, i.recovery_s), (600.0, "gpu-000", 1, Some(605.0)));
    // Without checkpointing nothing is rolled back; three surviving pods hold 24 GPUs idle from
    // 600 s to 1200 s, then all 32 for the 5 s start-up: 14400 + 160 GPU-s.
    assert_eq!(i.rolled_back_s, 0.0);
    assert_eq!(i.idle_held_gpu_h, crate_round(14_560.0 / 3600.0));
    assert_eq!(r.summary.restarts, 0);
    assert_eq!(out.jobs[0].phase, Some("Completed"));
}

#[test]
fn checkpoint_rollback_and_restart_overhead() {
    // Checkpoint every 300 s (free): 594 s of progress keep 300 s, 294 s roll back. The restart
    // overhead of 60 s starts when the gang runs again (1205 s): progress resumes at 1265 s with
    // 3300 s left → finish at 4565 s.
    let ann = "tephra.io/checkpoint-interval=5m;tephra.io/restart-overhead=1m";
    let out = run("", ann, ONE_FAILURE);
    assert_eq!(common::timings(&out), vec![("train", Some(6.0), Some(4565.0))]);
    let r = recovery(&out);
    let i = &r.incidents[0];
    assert_eq!((i.rolled_back_s, i.recovery_s), (294.0, Some(665.0)));
    // Rolled back: 294 s × 32 GPUs.
    assert_eq!(i.rolled_back_gpu_h, crate_round(294.0 * 32.0 / 3600.0));
    // Idle-held: 24 GPUs × 600 s + 32 GPUs × 65 s.
    assert_eq!(i.idle_held_gpu_h, crate_round(((24 * 600 + 32 * 65) as f64) / 3600.0));
    assert_eq!(out.jobs[0].rolled_back_s, Some(294.0));
}

fn crate_round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

#[test]
fn restart_job_frees_the_gang_and_counts_a_retry() {
    let out = run("", "tephra.io/policies=PodFailed:RestartJob", ONE_FAILURE);
    // All four pods are killed at 600 s and gone at 630 s; three healthy nodes cannot hold the
    // gang, so it binds at the repair (1200 s) and runs at 1205 s: same finish as without policy,
    // but no GPU is held idle while waiting — only the 5 s start-up of 32 GPUs.
    assert_eq!(common::timings(&out), vec![("train", Some(6.0), Some(4211.0))]);
    let r = recovery(&out);
    let i = &r.incidents[0];
    assert_eq!((i.recovery_s, i.restarts), (Some(605.0), 1));
    assert_eq!(i.idle_held_gpu_h, crate_round(160.0 / 3600.0));
    assert_eq!(
        (out.jobs[0].restarts, out.jobs[0].phase, out.jobs[0].hit_max_retry),
        (Some(1), Some("Completed"), Some(false))
    );
}

#[test]
fn a_spare_replaces_the_failed_node_after_the_swap_delay() {
    let out = run("  spares: [{ pool: gpu, count: 1, swap_delay: 2m }]\n", "", ONE_FAILURE);
    // Spare gpu-004 enters service at 720 s: the recreated pod (pending since 630 s) binds at
    // 720 s and runs at 725 s; 3006 s left → finish at 3731 s. Recovery 125 s.
    assert_eq!(common::timings(&out), vec![("train", Some(6.0), Some(3731.0))]);
    let r = recovery(&out);
    assert_eq!(r.incidents[0].recovery_s, Some(125.0));
    assert_eq!(r.summary.spare_swaps, 1);
}

#[test]
fn an_elastic_job_keeps_going_at_reduced_speed() {
    // minAvailable 2 of 4, linear scaling: after the failure three pods run at 0.75 speed from
    // 600 s to 1205 s (453.75 s of progress), then full speed: 594 + 453.75 = 1047.75 s done,
    // 2552.25 s left → finish at 3757.25 s. The job never stops: recovery time 0.
    let dir = tempfile::tempdir().unwrap();
    let trace = "train,0,3600,q,0,worker,4,2,8,64Gi,8,H100,tephra.io/scaling=linear\n";
    let out = common::run_checked(&scenario(dir.path(), "", trace, ONE_FAILURE));
    assert_eq!(common::timings(&out), vec![("train", Some(6.0), Some(3757.25))]);
    let r = recovery(&out);
    assert_eq!((r.incidents[0].recovery_s, r.incidents[0].rolled_back_s), (Some(0.0), 0.0));
}

#[test]
fn max_retry_leads_to_failed() {
    // maxRetry 2: the first failure restarts (retryCount 1), the second (retryCount 2 ≥ 2) fails
    // the job — Volcano's restarting state checks retryCount >= maxRetry after incrementing it.
    let faults = "600,700,gpu-000\n2000,2100,gpu-001\n";
    let out = run("", "tephra.io/policies=PodFailed:RestartJob;tephra.io/max-retry=2", faults);
    let job = &out.jobs[0];
    assert_eq!((job.state, job.finish_s), ("failed", None));
    let r = recovery(&out);
    assert_eq!((job.phase, job.hit_max_retry, job.restarts), (Some("Failed"), Some(true), Some(2)));
    assert_eq!(r.summary.jobs_failed_max_retry, 1);
    assert_eq!(out.summary.jobs.ended_by_policy, 1);
    // Nothing is left allocated.
    assert!(out.state.nodes.iter().all(|n| n.used.accelerators() == 0));
}

#[test]
fn a_failure_of_an_idle_node_costs_nothing() {
    let plain = run("", "", "");
    let idle = run("", "", "600,1200,other-000\n");
    assert_eq!(common::timings(&plain), common::timings(&idle));
    let r = recovery(&idle);
    assert!(r.incidents.is_empty());
    assert_eq!((r.summary.node_failures, r.summary.lost_gpu_hours), (1, 0.0));
}

#[test]
fn gpu_hours_are_conserved() {
    // Allocated GPU time = productive + rolled back + checkpoint writing + idle while not
    // progressing (start-ups included). With one failure and checkpoints every 300 s (10 s each):
    let ann = "tephra.io/checkpoint-interval=5m;tephra.io/checkpoint-cost=10s";
    let out = run("", ann, ONE_FAILURE);
    let s = &recovery(&out).summary;
    // Useful 3600 s × 32 GPUs is exactly the productive time.
    assert!((s.productive_gpu_hours - 32.0).abs() < 1e-6, "{s:?}");
    // Allocated = productive + rolled back + checkpoint + idle-held + the first start-up (5 s × 32)
    // + the killed pod's 8 GPUs while it terminates (30 s; pods hold their node until gone).
    let parts = s.productive_gpu_hours
        + s.rolled_back_gpu_hours
        + s.checkpoint_gpu_hours
        + s.idle_held_gpu_hours
        + (160.0 + 240.0) / 3600.0;
    assert!((s.allocated_gpu_hours - parts).abs() < 1e-5, "{s:?} vs {parts}");
}

#[test]
fn without_room_to_readmit_a_shrunk_gang_only_restart_job_recovers() {
    // Only the 4 H100 nodes. A gang that lost a pod goes back to PodGroup Pending and must pass
    // enqueue again; overcommit then counts its surviving pods as used: idle = 32 × 1.2 − 24 =
    // 14.4 GPUs < minResources 32, forever (Volcano behaves the same: the gang is stuck). The run
    // ends with the stale finish event at 3606 s, the job unfinished and holding 24 GPUs idle.
    let out = run("# tiny\n", "", ONE_FAILURE);
    assert_eq!(common::timings(&out), vec![("train", Some(6.0), None)]);
    assert!(out.jobs[0].reason.contains("overcommit"), "{}", out.jobs[0].reason);
    let r = recovery(&out);
    assert_eq!((r.summary.unrecovered, r.incidents[0].idle_held_gpu_h), (1, crate_round(24.0 * 3006.0 / 3600.0)));
    // RestartJob frees the survivors: at the repair (1200 s) idle = 38.4 ≥ 32, the gang is
    // re-admitted and bound in the same cycle, runs at 1205 s and finishes at 4211 s.
    let out = run("# tiny\n", "tephra.io/policies=PodFailed:RestartJob", ONE_FAILURE);
    assert_eq!(common::timings(&out), vec![("train", Some(6.0), Some(4211.0))]);
}

#[test]
fn maintenance_drains_then_evicts_at_the_deadline() {
    // All four H100 nodes drain from 100 s (no new pods), the gang's pods are evicted at the 700 s
    // deadline (694 s of progress, kept: no checkpointing configured) and the nodes return at
    // 1000 s. Job `late` (1 pod, submitted at 200 s) cannot bind during the drain.
    let dir = tempfile::tempdir().unwrap();
    let extra = "  maintenance:\n    - { nodes: [gpu-000, gpu-001, gpu-002, gpu-003], start: 100s, deadline: 700s, end: 1000s }\n";
    let trace = "train,0,3600,q,0,worker,4,4,8,64Gi,8,H100,\nlate,200,100,q,0,worker,1,1,8,64Gi,8,H100,\n";
    let out = common::run_checked(&scenario(dir.path(), extra, trace, ""));
    // At 1000 s the older gang takes all four nodes (runs at 1005 s, 2906 s left → 3911 s); `late`
    // binds when it finishes (3911 s), runs at 3916 s, done at 4016 s.
    assert_eq!(common::timings(&out), vec![("train", Some(6.0), Some(3911.0)), ("late", Some(3916.0), Some(4016.0))]);
    let r = recovery(&out);
    assert_eq!(r.incidents.len(), 1);
    assert_eq!(
        (r.incidents[0].cause, r.incidents[0].pods_killed, r.incidents[0].recovery_s),
        ("maintenance", 4, Some(305.0))
    );
}

#[test]
fn a_card_fault_kills_only_the_pod_on_that_card() {
    // Card faults every 600 s on the A100 nodes; a 1-pod job there dies at 600 s (594 s done), is
    // recreated at 630 s, runs at 635 s with 406 s left → 1041 s. The H100 gang is untouched.
    let dir = tempfile::tempdir().unwrap();
    let extra = "  device_failures: [{ pool: other, mtbf: 600s, distribution: fixed }]\n";
    let trace = "train,0,3600,q,0,worker,4,4,8,64Gi,8,H100,\nsolo,0,1000,q,0,worker,1,1,8,64Gi,8,A100,\n";
    let out = common::run_checked(&scenario(dir.path(), extra, trace, ""));
    assert_eq!(common::timings(&out), vec![("train", Some(6.0), Some(3606.0)), ("solo", Some(6.0), Some(1041.0))]);
    let r = recovery(&out);
    assert_eq!(r.incidents.len(), 1);
    assert_eq!((r.incidents[0].cause, r.incidents[0].recovery_s), ("device", Some(35.0)));
}

#[test]
fn a_policy_timeout_is_cancelled_when_the_job_recovers_in_time() {
    // Node back at 700 s: the recreated pod binds at 700 s, the gang runs at 705 s (3006 s left →
    // 3711 s). RestartJob after 10 min is dropped (the job runs again); after 1 min it fires at
    // 660 s, kills the gang (gone at 690 s), which binds at the repair: same finish, one restart.
    let faults = "600,700,gpu-000\n";
    let late = run("", "tephra.io/policies=PodFailed:RestartJob@10m", faults);
    let early = run("", "tephra.io/policies=PodFailed:RestartJob@1m", faults);
    for out in [&late, &early] {
        assert_eq!(common::timings(out), vec![("train", Some(6.0), Some(3711.0))]);
    }
    assert_eq!((recovery(&late).summary.restarts, recovery(&early).summary.restarts), (0, 1));
}

#[test]
fn random_faults_are_reproducible_from_the_seed() {
    let path = common::repo().join("scenarios/recovery-policies-restartjob.yaml");
    let sc = tephra::scenario::load(&path).unwrap();
    let opts = tephra::runner::RunOptions { check_invariants: true, record_decisions: false };
    let a = tephra::runner::run(&sc, &opts, |_| {}).unwrap();
    let b = tephra::runner::run(&sc, &opts, |_| {}).unwrap();
    assert_eq!(a.summary, b.summary);
    assert_eq!(a.recovery, b.recovery);
    // The written files too, byte for byte.
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for (dir, out) in [(da.path(), &a), (db.path(), &b)] {
        tephra::report::write_all(dir, &out.summary, &out.perf, &out.jobs, &out.timeline, &out.queues, None).unwrap();
        recovery(out).write(dir).unwrap();
    }
    for f in ["jobs.csv", "incidents.csv", "recovery_timeline.csv"] {
        assert_eq!(std::fs::read(da.path().join(f)).unwrap(), std::fs::read(db.path().join(f)).unwrap(), "{f}");
    }
    assert!(recovery(&a).summary.node_failures > 10);
    let mut other = sc.clone();
    other.seed += 1;
    let c = tephra::runner::run(&other, &opts, |_| {}).unwrap();
    assert_ne!(recovery(&a).incidents, recovery(&c).incidents);
}

#[test]
fn a_failure_model_that_never_fires_changes_no_decision() {
    // Fault draws come from per-node streams, not the scheduler's: a model whose first failure
    // comes after the workload leaves every decision as without faults.
    let dir = tempfile::tempdir().unwrap();
    let trace = "train,0,3600,q,0,worker,4,4,8,64Gi,8,H100,\nb,10,500,q,0,worker,2,2,8,64Gi,8,A100,\n";
    let plain = common::run_checked(&scenario(dir.path(), "", trace, ""));
    let extra = "  node_failures: [{ pool: gpu, mtbf: 100000d, distribution: fixed, repair: 1h }]\n";
    let quiet = common::run_checked(&scenario(dir.path(), extra, trace, ""));
    assert_eq!(plain.decisions, quiet.decisions);
    assert_eq!(common::timings(&plain), common::timings(&quiet));
}

fn load_err(extra: &str, trace: &str, faults: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario(dir.path(), extra, trace, faults);
    match tephra::scenario::load(&path) {
        Err(e) => e.to_string(),
        Ok(sc) => match tephra::runner::run(&sc, &Default::default(), |_| {}) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted"),
        },
    }
}

#[test]
fn bad_fault_and_policy_input_is_named() {
    let job = "train,0,3600,q,0,worker,4,4,8,64Gi,8,H100,\n";
    let e = load_err("  node_failures: [{ pool: tpu, mtbf: 10d, repair: 1h }]\n", job, "");
    assert!(e.contains("scenario.yaml:9") && e.contains("`tpu` is not a pool"), "{e}");
    let e = load_err("  node_failures: [{ pool: gpu, mtbf: 10d, repair: 1h, distribution: gamma }]\n", job, "");
    assert!(e.contains("`gamma` is not exponential, weibull, fixed or lognormal"), "{e}");
    let e = load_err("", job, "600,500,gpu-000\n");
    assert!(e.contains("faults.csv:2: end_s must be after start_s"), "{e}");
    let e = load_err("", job, "600,700,gpu-099\n");
    assert!(e.contains("faults.csv:2: node: `gpu-099` is not a node"), "{e}");
    let e = load_err("  spares: [{ pool: gpu, count: 5 }]\n", job, "");
    assert!(e.contains("leave no node of `gpu`"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let path = scenario(dir.path(), "", job, "");
    let yaml = std::fs::read_to_string(&path).unwrap().replace("run: {", "run: { termination_grace: soon,");
    std::fs::write(&path, yaml).unwrap();
    let e = tephra::scenario::load(&path).unwrap_err().to_string();
    assert!(e.contains("scenario.yaml:") && e.contains("run.termination_grace:"), "{e}");
    let e = load_err("recovery: { policies: \"PodFailed:Reboot\" }\n", job, "");
    assert!(e.contains("recovery: `tephra.io/policies`: rule `PodFailed:Reboot`: unknown action"), "{e}");
    let bad = "train,0,3600,q,0,worker,4,4,8,64Gi,8,H100,tephra.io/max-retry=many\n";
    let e = load_err("", bad, "");
    assert!(
        e.contains("trace.csv:2") && e.contains("`tephra.io/max-retry`: `many` is not a non-negative integer"),
        "{e}"
    );
}

#[test]
fn restart_job_unsticks_a_gang_preempted_below_min_available() {
    // volcano-ci (preempt on); 40 GPUs, so overcommit admits up to 48 − used. A: 4-pod gang at 0 s
    // (bound 1 s, runs 6 s). B: 1 pod, priority 100, same queue, submitted at 100 s: enqueued
    // (48 − 32 ≥ 8), preempts one pod of A at 101 s, binds when the victim is gone (131 s), runs
    // 136–236 s. A's PodGroup is Pending again with 3 pods held: 48 − (24 + 8) < 32 and, after B,
    // 48 − 24 < 32, so without a policy A is stuck for good. With PodEvicted → RestartJob all of
    // A's pods go (131 s), A is re-admitted at 136 s (48 − 8 ≥ 32) and binds when B is done
    // (236 s): runs at 241 s with 95 s done, finishes at 241 + 9905 = 10146 s.
    let dir = tempfile::tempdir().unwrap();
    let conf = common::repo().join("scenarios/conf/volcano-ci.conf");
    let yaml = format!(
        "name: t\nfleet:\n  pools:\n    - {{ name: gpu, count: 4, cpu: 64, memory: 512Gi, gpu: {{ model: H100, count: 8 }} }}\n    - {{ name: other, count: 1, cpu: 64, memory: 512Gi, gpu: {{ model: A100, count: 8 }} }}\nworkload: {{ trace: trace.csv }}\nscheduler: {{ conf: {} }}\nrun: {{ pod_startup: 5s }}\n",
        conf.display()
    );
    let go = |policy: &str| {
        let trace = format!(
            "{HEADER}A,0,10000,q,0,worker,4,4,8,64Gi,8,H100,{policy}\nB,100,100,q,100,worker,1,1,8,64Gi,8,H100,\n"
        );
        std::fs::write(dir.path().join("trace.csv"), trace).unwrap();
        std::fs::write(dir.path().join("scenario.yaml"), &yaml).unwrap();
        common::run_checked(&dir.path().join("scenario.yaml"))
    };
    let stuck = go("");
    assert_eq!(common::timings(&stuck), vec![("A", Some(6.0), None), ("B", Some(136.0), Some(236.0))]);
    assert!(stuck.recovery.is_none(), "no faults and no policy: plain outputs");
    let restarted = go("tephra.io/policies=PodEvicted:RestartJob");
    assert_eq!(common::timings(&restarted), vec![("A", Some(6.0), Some(10146.0)), ("B", Some(136.0), Some(236.0))]);
    assert_eq!(restarted.jobs[0].restarts, Some(1));
}

#[test]
fn flaky_nodes_fail_more_often_and_idle_pools_cost_nothing() {
    // The three A100 nodes fail every 1000 s after their repair (fixed), repairs take 100 s: at
    // 1000, 2100 and 3200 s while the H100 gang runs (to 3606 s) — 9 failures. Flaky (factor 10):
    // every 100 s after a repair, at 100, 300, …, 3500 s — 18 a node, 54.
    let trace = "train,0,3600,q,0,worker,4,4,8,64Gi,8,H100,\n";
    let go = |flaky: &str| {
        let dir = tempfile::tempdir().unwrap();
        let extra = format!(
            "  node_failures: [{{ pool: other, mtbf: 1000s, distribution: fixed, repair: 100s, repair_distribution: fixed{flaky} }}]\n"
        );
        common::run_checked(&scenario(dir.path(), &extra, trace, ""))
    };
    let steady = go("");
    let flaky = go(", flaky_fraction: 1, flaky_factor: 10");
    for out in [&steady, &flaky] {
        assert_eq!(common::timings(out), vec![("train", Some(6.0), Some(3606.0))]);
        assert!(recovery(out).incidents.is_empty());
    }
    assert_eq!((recovery(&steady).summary.node_failures, recovery(&flaky).summary.node_failures), (9, 54));
    // The goodput timeline (every 10 min) sees the nodes down: at 600 s none, at 1200 s none
    // (repaired at 1100 s), and never more than the three A100 nodes.
    let t = &recovery(&steady).timeline;
    assert_eq!(t.iter().map(|r| r.time_s).take(3).collect::<Vec<_>>(), vec![0.0, 600.0, 1200.0]);
    assert!(t.iter().all(|r| r.nodes_down == 0), "samples fall between failures");
    assert!(recovery(&flaky).timeline.iter().any(|r| r.nodes_down == 3));
}

#[test]
fn queue_defaults_apply_to_their_queue_and_annotations_win() {
    // Scenario default PodFailed → RestartJob, queue `q` default maxRetry 1 (the first restart
    // already fails the job), but the job's own annotation asks for maxRetry 5.
    let extra = "recovery:\n  policies: PodFailed:RestartJob\n  queues: { q: { max_retry: 1 } }\n";
    let dir = tempfile::tempdir().unwrap();
    let go = |ann: &str| {
        let trace = format!("train,0,3600,q,0,worker,4,4,8,64Gi,8,H100,{ann}\n");
        common::run_checked(&scenario(dir.path(), extra, &trace, ONE_FAILURE))
    };
    let strict = go("");
    assert_eq!((strict.jobs[0].state, strict.jobs[0].hit_max_retry), ("failed", Some(true)));
    let lenient = go("tephra.io/max-retry=5");
    assert_eq!(common::timings(&lenient), vec![("train", Some(6.0), Some(4211.0))]);
    assert_eq!(lenient.jobs[0].restarts, Some(1));
}

#[test]
fn a_job_waiting_for_a_repair_keeps_the_run_alive() {
    // Submitted at 700 s while gpu-000 is down (until 1200 s): the 4-node gang cannot fit and
    // nothing but fault events is queued; the run waits for the repair, binds at 1200 s, runs at
    // 1205 s and finishes at 1305 s. Later failures of the model are not simulated.
    let dir = tempfile::tempdir().unwrap();
    let trace = "late,700,100,q,0,worker,4,4,8,64Gi,8,H100,\n";
    let out = common::run_checked(&scenario(dir.path(), "", trace, ONE_FAILURE));
    assert_eq!(common::timings(&out), vec![("late", Some(1205.0), Some(1305.0))]);
    assert!(recovery(&out).incidents.is_empty(), "the job was not running when the node failed");
    // The goodput timeline keeps sampling (every 10 min) while the run waits for the repair.
    let times: Vec<f64> = recovery(&out).timeline.iter().map(|r| r.time_s).collect();
    assert_eq!(times, vec![0.0, 600.0, 1200.0, 1305.0]);
    assert_eq!(recovery(&out).timeline[1].nodes_down, 1);
}

#[test]
fn abort_terminate_and_complete_end_the_job_when_its_pods_are_gone() {
    // The pods are killed at the failure (600 s) and gone after the 30 s grace: the job ends at
    // 630 s (a CompleteJob'd job finishes then).
    for (rule, state, finish) in [
        ("PodFailed:AbortJob", "aborted", None),
        ("PodFailed:TerminateJob", "terminated", None),
        ("PodFailed:CompleteJob", "completed", Some(630.0)),
        // The other events reach the same rule when no PodFailed rule matches (TaskFailed needs
        // more restarts: `task_failed_...` below).
        ("Unknown:AbortJob", "aborted", None),
        ("*:AbortJob", "aborted", None),
    ] {
        let out = run("", &format!("tephra.io/policies={rule}"), ONE_FAILURE);
        assert_eq!((out.jobs[0].state, out.jobs[0].finish_s), (state, finish), "{rule}");
        assert!(out.state.nodes.iter().all(|n| n.used.accelerators() == 0), "{rule}: pods freed");
    }
}

#[test]
fn restart_task_kills_only_the_task_of_the_failed_pod() {
    // A master pod on an A100 node and four H100 workers; gpu-000's worker dies at 600 s. Both
    // policies bring the workers back at the repair (bind 1200 s, run 1205 s, finish 4211 s), but
    // RestartJob also kills and re-binds the master (10 binds) while RestartTask leaves it (9).
    let go = |rule: &str| {
        let dir = tempfile::tempdir().unwrap();
        let trace = format!(
            "train,0,3600,q,0,master,1,1,4,16Gi,8,A100,tephra.io/policies=worker/PodFailed:{rule}\ntrain,0,3600,q,0,worker,4,4,8,64Gi,8,H100,\n"
        );
        common::run_checked(&scenario(dir.path(), "", &trace, ONE_FAILURE))
    };
    let task = go("RestartTask");
    let job = go("RestartJob");
    for out in [&task, &job] {
        assert_eq!(common::timings(out), vec![("train", Some(6.0), Some(4211.0))]);
        assert_eq!(out.jobs[0].restarts, Some(1));
    }
    assert_eq!((task.summary.binds, job.summary.binds), (9, 10));
}

#[test]
fn a_failed_node_waits_for_the_next_free_spare() {
    // One spare (gpu-004), 2 min swaps. gpu-000 fails at 600 s: the spare is in at 720 s, the
    // recreated pod runs at 725 s (594 s done). gpu-001 fails at 900 s (769 s done) with no spare
    // free; at 1200 s the repaired gpu-000 becomes the spare and goes straight to gpu-001's place:
    // in at 1320 s, the pod runs at 1325 s with 2831 s left → 4156 s.
    let faults = "600,1200,gpu-000\n900,10000,gpu-001\n";
    let out = run("  spares: [{ pool: gpu, count: 1, swap_delay: 2m }]\n", "", faults);
    assert_eq!(common::timings(&out), vec![("train", Some(6.0), Some(4156.0))]);
    let r = recovery(&out);
    let rec: Vec<_> = r.incidents.iter().map(|i| (i.node.as_str(), i.recovery_s)).collect();
    assert_eq!(rec, vec![("gpu-000", Some(125.0)), ("gpu-001", Some(425.0))]);
    assert_eq!(r.summary.spare_swaps, 2);
}

/// `tephra recovery-compare` runs the scenarios (in parallel), keeps their command-line order in
/// `recovery-compare.csv`, writes each run's full folder (report, incidents) under `reports/`, and
/// prints nothing with `--quiet`.
#[test]
fn recovery_compare_keeps_order_and_writes_each_run() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let pa = scenario(&a, "", "train,0,3600,q,0,worker,4,4,8,64Gi,8,H100,\n", ONE_FAILURE);
    let pb = scenario(
        &b,
        "",
        "train,0,3600,q,0,worker,4,4,8,64Gi,8,H100,tephra.io/policies=PodFailed:RestartJob\n",
        ONE_FAILURE,
    );
    std::fs::write(&pb, std::fs::read_to_string(&pb).unwrap().replace("name: t\n", "name: t-restart\n")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tephra"))
        .args(["recovery-compare", "--quiet"])
        .arg(&pb)
        .arg(&pa)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty(), "--quiet prints nothing");
    let csv = std::fs::read_to_string(dir.path().join("reports/recovery-compare.csv")).unwrap();
    let names: Vec<&str> = csv.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(names, ["t-restart", "t"]);
    // Both recover 605 s after the fault (see the two tests above); only RestartJob restarts.
    for (line, restarts) in csv.lines().skip(1).zip(["1", "0"]) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!((f[7], f[13]), ("605.0", restarts), "{line}");
    }
    for run in ["t", "t-restart"] {
        let d = dir.path().join("reports").join(run);
        for file in ["report.html", "incidents.csv", "recovery_timeline.csv", "charts/recovery.svg"] {
            assert!(d.join(file).exists(), "{run}/{file}");
        }
    }
}

#[test]
fn every_vcjob_phase_is_reached_at_the_hand_computed_time() {
    // Gang 4 × 8 H100, gpu-000 down 600–1200 s, pods run at 6 s, 30 s grace (see the top).
    let phases = |ann: &str, faults: &str| -> Vec<(f64, &'static str)> {
        let out = run("", ann, faults);
        recovery(&out).phases[0].clone()
    };
    let mut seen = std::collections::BTreeSet::new();
    type Phases = Vec<(f64, &'static str)>;
    let cases: [(&str, &str, Phases); 6] = [
        // No policy: the gang breaks but the phase stays Running (Volcano's running.go only
        // leaves Running when every pod is done); the work ends at 4211 s.
        ("", ONE_FAILURE, vec![(0.0, "Pending"), (6.0, "Running"), (4211.0, "Completed")]),
        // RestartJob: Restarting at the kill; Pending once every killed pod is gone (630 s, the
        // 4 recreated pods ≥ minAvailable); Running when the gang runs again (1205 s).
        (
            "tephra.io/policies=PodFailed:RestartJob",
            ONE_FAILURE,
            vec![
                (0.0, "Pending"),
                (6.0, "Running"),
                (600.0, "Restarting"),
                (630.0, "Pending"),
                (1205.0, "Running"),
                (4211.0, "Completed"),
            ],
        ),
        // maxRetry 2: the second restart (2000 s) fails the job; the first one's gang runs again
        // at 705 s (repair at 700 s, bind, 5 s start-up).
        (
            "tephra.io/policies=PodFailed:RestartJob;tephra.io/max-retry=2",
            "600,700,gpu-000\n2000,2100,gpu-001\n",
            vec![
                (0.0, "Pending"),
                (6.0, "Running"),
                (600.0, "Restarting"),
                (630.0, "Pending"),
                (705.0, "Running"),
                (2000.0, "Failed"),
            ],
        ),
        // The ending actions: killing phase at 600 s, settled when the pods are gone at 630 s.
        (
            "tephra.io/policies=PodFailed:AbortJob",
            ONE_FAILURE,
            vec![(0.0, "Pending"), (6.0, "Running"), (600.0, "Aborting"), (630.0, "Aborted")],
        ),
        (
            "tephra.io/policies=PodFailed:TerminateJob",
            ONE_FAILURE,
            vec![(0.0, "Pending"), (6.0, "Running"), (600.0, "Terminating"), (630.0, "Terminated")],
        ),
        (
            "tephra.io/policies=PodFailed:CompleteJob",
            ONE_FAILURE,
            vec![(0.0, "Pending"), (6.0, "Running"), (600.0, "Completing"), (630.0, "Completed")],
        ),
    ];
    for (ann, faults, want) in cases {
        let got = phases(ann, faults);
        assert_eq!(got, want, "{ann}");
        seen.extend(got.into_iter().map(|(_, p)| p));
    }
    let all: std::collections::BTreeSet<&str> =
        tephra::model::lifecycle::JobPhase::ALL.iter().map(|p| p.name()).collect();
    assert_eq!(seen, all);
}

#[test]
fn an_ending_job_holds_its_nodes_for_the_grace_and_a_longer_grace_delays_the_end() {
    // run.termination_grace 2m: AbortJob at 600 s, the pods are gone at 720 s.
    let dir = tempfile::tempdir().unwrap();
    let trace = "train,0,3600,q,0,worker,4,4,8,64Gi,8,H100,tephra.io/policies=PodFailed:AbortJob\n";
    let path = scenario(dir.path(), "", trace, ONE_FAILURE);
    let yaml = std::fs::read_to_string(&path).unwrap().replace(
        "run: { pod_startup: 5s, sample_every: 10m",
        "run: { pod_startup: 5s, sample_every: 1m, termination_grace: 2m",
    );
    std::fs::write(&path, yaml).unwrap();
    let out = common::run_checked(&path);
    let r = recovery(&out);
    assert_eq!(r.phases[0][2..], [(600.0, "Aborting"), (720.0, "Aborted")]);
    // The four terminating pods hold their 32 GPUs until 720 s.
    let alloc = |t: f64| r.timeline.iter().find(|x| x.time_s == t).unwrap().accel_alloc;
    assert_eq!((alloc(660.0), alloc(780.0)), (32.0, 0.0));
}

#[test]
fn task_failed_fires_when_a_tasks_restarts_exceed_its_max_retry() {
    const TWO: &str = "600,1200,gpu-000\n600,1200,gpu-001\n";
    let phases = |ann: &str, faults: &str| {
        let out = run("", ann, faults);
        (out.jobs[0].state, out.jobs[0].finish_s, recovery(&out).phases[0].clone())
    };
    // Task maxRetry 1: the two killed pods are recreated at 630 s, one restart each; the second
    // makes 2 > 1: TaskFailed → AbortJob at 630 s. The two recreated pods are deleted, the two
    // still running terminate until 660 s.
    let (state, finish, p) = phases("tephra.io/policies=TaskFailed:AbortJob;tephra.io/task-max-retry=worker:1", TWO);
    assert_eq!((state, finish), ("aborted", None));
    assert_eq!(p[2..], [(630.0, "Aborting"), (660.0, "Aborted")]);
    // The default task maxRetry (3) and -1 (no limit) tolerate two restarts: the gang runs again
    // at the repair and finishes at 4211 s as without the rule.
    for ann in [
        "tephra.io/policies=TaskFailed:AbortJob",
        "tephra.io/policies=TaskFailed:AbortJob;tephra.io/task-max-retry=worker:-1",
    ] {
        assert_eq!(phases(ann, TWO).1, Some(4211.0), "{ann}");
    }
    // Restarts add up over time: gpu-000 dies four times (the pod is recreated at 630, 1030,
    // 1530 and 2030 s, and binds back on the repaired node in between); the fourth restart makes
    // 4 > 3 at 2030 s, the other three pods terminate until 2060 s.
    let four = "600,700,gpu-000\n1000,1100,gpu-000\n1500,1600,gpu-000\n2000,2100,gpu-000\n";
    let (state, _, p) = phases("tephra.io/policies=TaskFailed:AbortJob", four);
    assert_eq!(state, "aborted");
    assert_eq!(p[2..], [(2030.0, "Aborting"), (2060.0, "Aborted")]);
    // Pods replaced by a restart action are new pods: RestartJob at 600 s, nothing counts, the
    // job finishes at 4211 s.
    let ann = "\"tephra.io/policies=PodFailed:RestartJob,TaskFailed:AbortJob;tephra.io/task-max-retry=worker:1\"";
    let (state, finish, _) = phases(ann, TWO);
    assert_eq!((state, finish), ("completed", Some(4211.0)));
}

#[test]
fn task_max_retry_names_a_role_of_the_job() {
    let bad = "train,0,3600,q,0,worker,4,4,8,64Gi,8,H100,tephra.io/task-max-retry=ps:2\n";
    let e = load_err("", bad, "");
    assert!(e.contains("trace.csv:2") && e.contains("no role `ps` (roles: worker)"), "{e}");
    let bad = "train,0,3600,q,0,worker,4,4,8,64Gi,8,H100,tephra.io/task-max-retry=worker:-5\n";
    let e = load_err("", bad, "");
    assert!(e.contains("integer ≥ -1"), "{e}");
}

#[test]
fn restart_pod_recreates_only_the_dead_pod_and_the_gang_holds_its_gpus_meanwhile() {
    // RestartPod on the pod of gpu-000 (already terminating: nothing more to kill), retryCount 1,
    // Restarting; the pod is recreated at 630 s (4 pods again: Pending). The three others keep
    // running, so — unlike RestartJob — 24 GPUs are held idle from 600 s to the repair at 1200 s,
    // then 32 for the 5 s start-up: 14,400 + 160 GPU-s. Bind 1200 s, run 1205 s, finish 4211 s;
    // five binds in all (RestartJob: eight).
    let out = run("", "tephra.io/policies=PodFailed:RestartPod", ONE_FAILURE);
    assert_eq!(common::timings(&out), vec![("train", Some(6.0), Some(4211.0))]);
    assert_eq!(out.summary.binds, 5);
    let r = recovery(&out);
    let i = &r.incidents[0];
    assert_eq!((i.pods_killed, i.restarts, i.recovery_s), (1, 1, Some(605.0)));
    assert_eq!(i.idle_held_gpu_h, crate_round(14_560.0 / 3600.0));
    assert_eq!((out.jobs[0].restarts, out.jobs[0].phase), (Some(1), Some("Completed")));
    assert_eq!(
        r.phases[0],
        [
            (0.0, "Pending"),
            (6.0, "Running"),
            (600.0, "Restarting"),
            (630.0, "Pending"),
            (1205.0, "Running"),
            (4211.0, "Completed")
        ]
    );
    let job = run("", "tephra.io/policies=PodFailed:RestartJob", ONE_FAILURE);
    assert_eq!(job.summary.binds, 8);
}

#[test]
fn a_failure_of_an_idle_node_of_the_gangs_own_pool_costs_nothing() {
    // A 3-pod gang on the 4 H100 nodes: the one it does not use fails at 600 s (found from the
    // plain run's binds) — same timings, no incident, nothing lost.
    let go = |faults: &str| {
        let dir = tempfile::tempdir().unwrap();
        let trace = "train,0,3600,q,0,worker,3,3,8,64Gi,8,H100,tephra.io/policies=PodFailed:RestartJob\n";
        common::run_checked(&scenario(dir.path(), "", trace, faults))
    };
    let plain = go("");
    let used: Vec<&str> = plain.decisions.iter().filter(|d| d.kind == "bind").map(|d| d.node.as_str()).collect();
    assert_eq!(used.len(), 3);
    let idle = ["gpu-000", "gpu-001", "gpu-002", "gpu-003"].into_iter().find(|n| !used.contains(n)).unwrap();
    let out = go(&format!("600,1200,{idle}\n"));
    assert_eq!(common::timings(&out), vec![("train", Some(6.0), Some(3606.0))]);
    assert_eq!(common::timings(&out), common::timings(&plain));
    let r = recovery(&out);
    assert!(r.incidents.is_empty());
    assert_eq!((r.summary.node_failures, r.summary.lost_gpu_hours, r.summary.restarts), (1, 0.0, 0));
}
