//! Roles that end on their own (per-role durations) and Volcano's `TaskCompleted`, hand-computed.
//!
//! Fleet: 3 H100 nodes of 8 GPUs. Timing model: enqueue at 0 s, bind at 1 s, pods run at 6 s
//! (`pod_startup` 5 s); a job progresses from 6 s. Pods hold their GPUs from the bind.

mod common;

use std::path::Path;
use tephra::runner::RunOutput;

const HEADER: &str =
    "job_id,submit_s,duration_s,queue,priority,role,replicas,min_available,cpu,memory,gpu,gpu_model,annotations\n";

fn run_in(dir: &Path, trace: &str) -> RunOutput {
    run_with_faults(dir, trace, "")
}

/// With a fault list (`start_s,end_s,node` rows) when `faults` is not empty.
fn run_with_faults(dir: &Path, trace: &str, faults: &str) -> RunOutput {
    let section = if faults.is_empty() { String::new() } else { "faults: { trace: faults.csv }\n".to_string() };
    let yaml = format!(
        "name: t\nfleet:\n  pools:\n    - {{ name: gpu, count: 3, cpu: 64, memory: 512Gi, gpu: {{ model: H100, count: 8 }} }}\nworkload: {{ trace: trace.csv }}\n{section}run: {{ pod_startup: 5s, sample_every: 10m }}\n"
    );
    std::fs::write(dir.join("faults.csv"), format!("start_s,end_s,node\n{faults}")).unwrap();
    std::fs::write(dir.join("trace.csv"), format!("{HEADER}{trace}")).unwrap();
    let path = dir.join("scenario.yaml");
    std::fs::write(&path, yaml).unwrap();
    common::run_checked(&path)
}

fn run(trace: &str) -> RunOutput {
    let dir = tempfile::tempdir().unwrap();
    run_in(dir.path(), trace)
}

/// A master (1 GPU, 1000 s) and two 8-GPU workers with no end of their own (empty duration);
/// `next`, a 2 × 8-GPU gang submitted at 1500 s, needs the workers' GPUs.
fn master_workers(policy: &str) -> String {
    format!(
        "train,0,1000,q,0,master,1,1,8,64Gi,1,H100,{policy}\ntrain,0,,q,0,worker,2,2,8,64Gi,8,H100,\nnext,1500,100,q,0,worker,2,2,8,64Gi,8,H100,\n"
    )
}

#[test]
fn master_task_completed_completes_the_job_and_frees_the_workers() {
    // The master's work ends at 6 + 1000 = 1006 s: its pod succeeds, TaskCompleted(master) fires
    // and CompleteJob kills both workers (Completing); they are gone after the 30 s grace and the
    // job is Completed at 1036 s. `next` arrives at 1500 s to an idle fleet: bind 1501 s, runs
    // 1506 s, done 1606 s.
    let out = run(&master_workers("tephra.io/policies=master/TaskCompleted:CompleteJob"));
    assert_eq!(common::timings(&out), vec![("train", Some(6.0), Some(1036.0)), ("next", Some(1506.0), Some(1606.0))]);
    assert_eq!(out.jobs[0].state, "completed");
    let r = out.recovery.as_ref().expect("a lifecycle policy turns the controller on");
    assert_eq!(out.jobs[0].phase, Some("Completed"));
    assert_eq!(r.phases[0][2..], [(1006.0, "Completing"), (1036.0, "Completed")]);
    // Samples every 600 s: 17 GPUs held at 600 s, none at 1200 s (the workers went at 1036 s).
    let alloc: Vec<(f64, f64)> = r.timeline.iter().map(|g| (g.time_s, g.accel_alloc)).take(3).collect();
    assert_eq!(alloc, vec![(0.0, 0.0), (600.0, 17.0), (1200.0, 0.0)]);
    // Held from the bind (1 s) to 1006 s: 1005 s × 17 GPUs, the workers' grace 30 s × 16, then
    // `next` 1501..1606 s × 16.
    let want = (1005.0 * 17.0 + 30.0 * 16.0 + 105.0 * 16.0) / 3600.0;
    assert!((r.summary.allocated_gpu_hours - want).abs() < 1e-6, "{} vs {want}", r.summary.allocated_gpu_hours);
}

#[test]
fn without_the_policy_the_workers_keep_running_as_in_volcano() {
    // Volcano completes a job only when all its pods succeeded or failed
    // (pkg/controllers/job/state/running.go): the master succeeds at 1006 s and frees its GPU, the
    // workers keep their 16 GPUs and the job stays Running; `next` cannot fit (8 GPUs free).
    let out = run(&master_workers("tephra.io/max-retry=3"));
    assert_eq!(common::timings(&out), vec![("train", Some(6.0), None), ("next", None, None)]);
    assert_eq!(out.jobs[0].state, "active");
    let r = out.recovery.as_ref().unwrap();
    assert_eq!(out.jobs[0].phase, Some("Running"));
    let at_1200 = r.timeline.iter().find(|g| g.time_s == 1200.0).expect("a sample at 1200 s");
    // 16 GPUs held, none progressing: the job's work is done.
    assert_eq!((at_1200.accel_alloc, at_1200.accel_progressing), (16.0, 0.0));
    assert!(out.state.tasks.iter().filter(|t| t.role == 0 && t.job.0 == 0).all(|t| t.status.name() == "succeeded"));
}

#[test]
fn a_short_role_frees_its_gpus_early() {
    // Role `prep` (8 GPUs) runs 1000 s of the job's work, `train` (8 GPUs) 3000 s: prep's pod
    // succeeds at 1006 s, the job completes at 3006 s. GPU time held from the bind at 1 s:
    // (1005 + 3005) s × 8 GPUs = 32080 GPU-s; productive: (1000 + 3000) s × 8 = 32000 GPU-s.
    let out = run("j,0,1000,q,0,prep,1,1,8,64Gi,8,H100,tephra.io/max-retry=3\nj,0,3000,q,0,train,1,1,8,64Gi,8,H100,\n");
    assert_eq!(common::timings(&out), vec![("j", Some(6.0), Some(3006.0))]);
    let r = out.recovery.as_ref().unwrap();
    let gh = |x: f64| (x / 3600.0 * 1e6).round() / 1e6;
    assert_eq!(r.summary.allocated_gpu_hours, gh(32080.0));
    assert_eq!(r.summary.productive_gpu_hours, gh(32000.0));
    let alloc: Vec<(f64, f64)> = r.timeline.iter().map(|g| (g.time_s, g.accel_alloc)).take(3).collect();
    assert_eq!(alloc, vec![(0.0, 0.0), (600.0, 16.0), (1200.0, 8.0)]);
    // Without the controller the same run frees the GPUs at the same instants.
    let plain = run("j,0,1000,q,0,prep,1,1,8,64Gi,8,H100,\nj,0,3000,q,0,train,1,1,8,64Gi,8,H100,\n");
    assert_eq!(common::timings(&plain), vec![("j", Some(6.0), Some(3006.0))]);
    let mean = plain.summary.queues["q"].accel_alloc_mean;
    assert!((mean * 3006.0 - 32080.0).abs() < 0.01, "{mean}");
}

#[test]
fn job_and_task_level_rules_and_timeouts() {
    for (policy, finish) in [
        // A job-level rule matches any task's completion (the workers' grace ends at 1036 s).
        ("TaskCompleted:CompleteJob", Some(1036.0)),
        // A rule for another task does not match the master's completion.
        ("worker/TaskCompleted:CompleteJob", None),
        // With a timeout the action runs 5 min later; the workers are held until then (+30 s).
        ("master/TaskCompleted:CompleteJob@5m", Some(1336.0)),
    ] {
        let out = run(&master_workers(&format!("tephra.io/policies={policy}")));
        assert_eq!(out.jobs[0].finish_s, finish, "{policy}");
    }
}

#[test]
fn a_restart_after_a_role_ended_keeps_its_pods_and_its_work() {
    // `prep` (8 GPUs, 1000 s) ends at 1006 s; `train` (8 GPUs, 3000 s, checkpoint every 600 s)
    // runs on. All nodes fail from 2000 s to 2100 s: train has 1994 s of progress, keeps 1800 s,
    // rolls back 194 s; RestartJob kills what still runs (train only: prep's pod succeeded and is
    // not recreated). Train binds at the repair (2100 s), runs at 2105 s, 1200 s left → 3305 s.
    let dir = tempfile::tempdir().unwrap();
    let ann = "tephra.io/policies=PodFailed:RestartJob;tephra.io/checkpoint-interval=10m";
    let trace = format!("j,0,1000,q,0,prep,1,1,8,64Gi,8,H100,{ann}\nj,0,3000,q,0,train,1,1,8,64Gi,8,H100,\n");
    let faults = "2000,2100,gpu-000\n2000,2100,gpu-001\n2000,2100,gpu-002\n";
    let out = run_with_faults(dir.path(), &trace, faults);
    assert_eq!(common::timings(&out), vec![("j", Some(6.0), Some(3305.0))]);
    assert_eq!(out.summary.binds, 3, "prep is bound once, train twice");
    let r = out.recovery.as_ref().unwrap();
    // Only train's GPUs roll back: 194 s × 8; productive (1000 + 3000) s × 8.
    let gh = |x: f64| (x / 3600.0 * 1e6).round() / 1e6;
    assert_eq!(r.summary.rolled_back_gpu_hours, gh(194.0 * 8.0));
    assert_eq!(r.summary.productive_gpu_hours, gh(32_000.0));
    assert_eq!((out.jobs[0].restarts, out.jobs[0].phase), (Some(1), Some("Completed")));
}

#[test]
fn a_volcano_job_template_with_a_master_policy_runs_end_to_end() {
    // The same master + workers job written as a Volcano Job: the master task's policy and the
    // workers' `tephra.io/task-duration: until-job-ends` come from the template; the trace row
    // gives the duration (1000 s). Same outcome as the native rows: complete at 1036 s.
    let dir = tempfile::tempdir().unwrap();
    let objects = r#"
apiVersion: batch.volcano.sh/v1alpha1
kind: Job
metadata: { name: mw }
spec:
  queue: q
  tasks:
    - name: master
      replicas: 1
      policies: [ { event: TaskCompleted, action: CompleteJob } ]
      template: { spec: { containers: [ { resources: { requests: { cpu: 8, memory: 64Gi, nvidia.com/gpu: 1 } } } ] } }
    - name: worker
      replicas: 2
      template:
        metadata: { annotations: { tephra.io/task-duration: until-job-ends } }
        spec: { containers: [ { resources: { requests: { cpu: 8, memory: 64Gi, nvidia.com/gpu: 8 } } } ] }
"#;
    std::fs::write(dir.path().join("objects.yaml"), objects).unwrap();
    let yaml = "name: t\nfleet:\n  pools:\n    - { name: gpu, count: 3, cpu: 64, memory: 512Gi, gpu: { model: H100, count: 8 } }\nworkload: { trace: trace.csv, templates: objects.yaml }\nrun: { pod_startup: 5s, sample_every: 10m }\n";
    std::fs::write(dir.path().join("trace.csv"), format!("{HEADER}train,0,1000,default,0,@mw,1,1,1,1Gi,0,,\n"))
        .unwrap();
    let path = dir.path().join("scenario.yaml");
    std::fs::write(&path, yaml).unwrap();
    let out = common::run_checked(&path);
    assert_eq!(common::timings(&out), vec![("train", Some(6.0), Some(1036.0))]);
    assert!(out.state.nodes.iter().all(|n| n.used.accelerators() == 0));
}
