//! Extended resources beyond the built-in table (`fleet.pools[].extended`): Kunlun XPUs and RDMA
//! HCAs declared by a pool, requested through `gpu_model` and through annotations (per job and per
//! role), placed, limited by queue capability, reported per resource; and the load errors.

mod common;

use common::repo;

const ANN_HEADER: &str =
    "job_id,submit_s,duration_s,queue,priority,role,replicas,min_available,cpu,memory,gpu,gpu_model,annotations\n";

const FLEET: &str = "fleet:
  pools:
    - { name: gpu, count: 1, cpu: 64, memory: 256Gi, gpu: { model: H100, count: 8 } }
    - name: xpu
      count: 2
      cpu: 64
      memory: 256Gi
      extended:
        - { name: kunlunxin.com/xpu, count: 8, accelerator: true, model: P800 }
        - { name: rdma/hca, count: 1 }
";

fn write(dir: &std::path::Path, yaml: &str, rows: &str) -> std::path::PathBuf {
    std::fs::write(dir.join("trace.csv"), format!("{ANN_HEADER}{rows}")).unwrap();
    let path = dir.join("scenario.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

/// Timing model (controller_delay 0, pod_startup 0): a job submitted at t binds and runs at t + 1.
/// - a (0 s, 100 s): 2 pods × 8 P800 units → `kunlunxin.com/xpu` 8 each, both XPU nodes full;
///   runs 1 → 101.
/// - d (0 s, 100 s): 1 H100 → the GPU node; runs 1 → 101.
/// - b (200 s, 50 s): 2 pods, `worker:kunlunxin.com/xpu=2` and job-level `rdma/hca=1`: one pod per
///   XPU node (one HCA each); runs 201 → 251.
/// - c (200 s, 50 s): 1 pod asking only `rdma/hca=1`. The HCA is a dimension of the enqueue
///   gate too: overcommit (factor 1.2) admits b first (same submit time, earlier in the file) with
///   2.4 − 0 − 0 ≥ 2 HCAs, then c sees 2.4 − 2 (b's inqueue) = 0.4 < 1 and waits; once b runs,
///   its 2 HCAs are used. b finishes at 251, the cycle at 251 enqueues c (pods created in the same
///   instant), the next one at 252 binds it: c runs 252 → 302.
/// - e (0 s, small queue, capability 4 XPUs): 1 pod of 8 P800 → unschedulable at admission.
///
/// Utilization over [0, 302]: XPUs (1 600 + 200) / (16 × 302) = 1 800 / 4 832; GPUs 100 / 2 416;
/// all accelerators 1 900 / 7 248.
#[test]
fn extended_accelerators_and_hcas_are_placed_limited_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        "name: kunlun\n{FLEET}queues:\n  - {{ name: q }}\n  - {{ name: small, capability: {{ kunlunxin.com/xpu: 4 }} }}\n\
         workload: {{ trace: trace.csv }}\nrun: {{ pod_startup: 0s, controller_delay: 0s }}\n"
    );
    let rows = "a,0,100,q,0,worker,2,2,1,8Gi,8,P800,\n\
                d,0,100,q,0,worker,1,1,1,8Gi,1,H100,\n\
                e,0,100,small,0,worker,1,1,1,8Gi,8,P800,\n\
                b,200,50,q,0,worker,2,2,1,8Gi,0,,worker:kunlunxin.com/xpu=2;rdma/hca=1\n\
                c,200,50,q,0,worker,1,1,1,8Gi,0,,rdma/hca=1\n";
    let out = common::run_checked(&write(dir.path(), &yaml, rows));
    let t = common::timings(&out);
    assert_eq!(
        t,
        [
            ("a", Some(1.0), Some(101.0)),
            ("d", Some(1.0), Some(101.0)),
            ("e", None, None),
            ("b", Some(201.0), Some(251.0)),
            ("c", Some(252.0), Some(302.0)),
        ]
    );
    let e = out.jobs.iter().find(|j| j.job == "e").unwrap();
    assert_eq!(e.state, "unschedulable");
    assert!(e.reason.contains("capability in kunlunxin.com/xpu (4)"), "{}", e.reason);
    let xpu = out.summary.accel_by_resource["kunlunxin.com/xpu"];
    let gpu = out.summary.accel_by_resource["nvidia.com/gpu"];
    assert!((xpu - 1800.0 / 4832.0).abs() < 1e-6, "{xpu}");
    assert!((gpu - 100.0 / 2416.0).abs() < 1e-6, "{gpu}");
    assert_eq!(out.summary.accel_by_resource.len(), 2, "no capacity, no entry: {:?}", out.summary.accel_by_resource);
    assert!((out.summary.accel_allocation - 1900.0 / 7248.0).abs() < 1e-6, "{}", out.summary.accel_allocation);
    assert!((out.summary.device_models["P800"] - 1800.0 / 4832.0).abs() < 1e-6);
    let c = out.decisions.iter().filter(|d| d.job == "c").map(|d| (d.time_ms, d.kind)).collect::<Vec<_>>();
    assert_eq!(c, [(251_000, "enqueue"), (252_000, "bind")]);
    let json = serde_json::to_string(&out.summary).unwrap();
    assert!(json.contains("\"accel_by_resource\""));
}

/// A scenario without extended resources writes no `accel_by_resource` (summary.json unchanged).
#[test]
fn no_extended_resources_no_new_summary_field() {
    let sc = tephra::scenario::load(&repo().join("scenarios/quickstart.yaml")).unwrap();
    let out = tephra::runner::run(&sc, &Default::default(), |_| {}).unwrap();
    assert!(out.summary.accel_by_resource.is_empty());
    assert!(!serde_json::to_string(&out.summary).unwrap().contains("accel_by_resource"));
}

fn load_err(yaml: &str, rows: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), yaml, rows);
    match tephra::scenario::load(&path).and_then(|sc| sc.load_jobs().map(|_| ())) {
        Ok(()) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn too_many_names_and_unknown_names_are_errors_naming_the_field() {
    // One spare slot for accelerators (src/model/resources.rs): a second extended accelerator is
    // an error at its line.
    let base = "workload: { trace: trace.csv }\n";
    let three = "name: x\nfleet:\n  pools:\n    - name: p\n      count: 1\n      cpu: 8\n      memory: 8Gi\n      extended:\n\
                 \x20       - { name: kunlunxin.com/xpu, count: 8, accelerator: true }\n\
                 \x20       - { name: cambricon.com/mlu, count: 8, accelerator: true }\n\
                 \x20       - { name: hygon.com/dcu, count: 8, accelerator: true }\n";
    let e = load_err(&format!("{three}{base}"), "");
    assert!(e.contains(":10:"), "the line of the second accelerator name: {e}");
    assert!(e.contains("fleet.pools.p.extended.cambricon.com/mlu"), "{e}");
    assert!(e.contains("1 spare slot(s) for extended accelerators, taken by kunlunxin.com/xpu"), "{e}");

    let quota = format!("name: x\n{FLEET}queues:\n  - {{ name: q, capability: {{ hygon.com/dcu: 4 }} }}\n{base}");
    let e = load_err(&quota, "");
    assert!(e.contains("queues.q.capability: unknown resource `hygon.com/dcu`"), "{e}");

    let ok = format!("name: x\n{FLEET}{base}");
    let e = load_err(&ok, "a,0,10,q,0,worker,1,1,1,8Gi,0,,chief:rdma/hca=1\n");
    assert!(e.contains("the job has no role `chief`"), "{e}");
    let e = load_err(&ok, "a,0,10,q,0,worker,1,1,1,8Gi,0.5,P800,\n");
    assert!(e.contains("whole units only"), "{e}");
    let kind = "name: x\nfleet:\n  pools:\n    - name: p\n      count: 1\n      cpu: 8\n      memory: 8Gi\n      extended:\n\
                \x20       - { name: volcano.sh/gpu-memory, count: 8, accelerator: true }\n";
    let e = load_err(&format!("{kind}{base}"), "");
    assert!(e.contains("a built-in resource that is not an accelerator"), "{e}");
}

/// binpack may weigh an extended resource the fleet declares; an undeclared one is an error when
/// the scheduler is built for the scenario.
#[test]
fn plugin_arguments_resolve_declared_extended_names() {
    let dir = tempfile::tempdir().unwrap();
    let conf = |res: &str| {
        format!(
            "scheduler:\n  inline:\n    actions: \"enqueue, allocate\"\n    tiers:\n    - plugins:\n      - name: gang\n      - name: predicates\n      - name: binpack\n        arguments: {{ binpack.resources: {res}, binpack.resources.{res}: 5 }}\n"
        )
    };
    let ok = format!("name: x\n{FLEET}workload: {{ trace: trace.csv }}\n{}", conf("kunlunxin.com/xpu"));
    let path = write(dir.path(), &ok, "a,0,10,q,0,worker,1,1,1,8Gi,8,P800,\n");
    let out = common::run_checked(&path);
    assert_eq!(out.summary.jobs.completed, 1);
    let bad = format!("name: x\n{FLEET}workload: {{ trace: trace.csv }}\n{}", conf("hygon.com/dcu"));
    let path = write(dir.path(), &bad, "a,0,10,q,0,worker,1,1,1,8Gi,8,P800,\n");
    let sc = tephra::scenario::load(&path).unwrap();
    let e = tephra::runner::run(&sc, &Default::default(), |_| {}).err().expect("unknown resource").to_string();
    assert!(e.contains("binpack.resources: unknown resource `hygon.com/dcu`"), "{e}");
}

/// drf's dominant share counts an extended resource like any other dimension: 8 of 16 XPUs
/// dominate 16 of 192 CPUs.
#[test]
fn drf_dominant_share_sees_the_extended_dimension() {
    use tephra::model::Resources;
    use tephra::sched::plugins::drf::dominant_share;
    let total = Resources::new(192_000, 0).with_scalar(6, 16_000).with_scalar(0, 8_000);
    let alloc = Resources::new(16_000, 0).with_scalar(6, 8_000);
    assert_eq!(dominant_share(&alloc, &total), 0.5);
    assert_eq!(dominant_share(&Resources::new(16_000, 0), &total), 16.0 / 192.0);
}
