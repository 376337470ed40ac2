//! Evictions that are not made for a preemptor (shuffle) and pods that may not be evicted: what the
//! decision log and the per-queue tallies say, and the scenario setting tdm needs.

mod common;

use std::path::{Path, PathBuf};

const HEADER13: &str =
    "job_id,submit_s,duration_s,queue,priority,role,replicas,min_available,cpu,memory,gpu,gpu_model,annotations\n";

fn write(dir: &Path, yaml: &str, rows: &str) -> PathBuf {
    std::fs::write(dir.join("trace.csv"), format!("{HEADER13}{rows}")).unwrap();
    let path = dir.join("scenario.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

const TDM: &str = r#"name: t
fleet:
  pools:
    - name: rev
      count: 1
      cpu: 64
      memory: 512Gi
      gpu: { model: H100, count: 8 }
      labels: { volcano.sh/revocable-zone: rz1 }
workload: { trace: trace.csv }
scheduler:
  node_scan: exhaustive
  inline:
    actions: "allocate, shuffle"
    tiers:
      - plugins: [ { name: gang }, { name: predicates }, { name: tdm, arguments: { tdm.revocable-zone.rz1: "09:00-18:00" } } ]
run: { pod_startup: 0s, controller_delay: 0s, start: "2026-01-05T17:58:00", until: 1000s }
"#;

#[test]
fn shuffle_evictions_count_as_received_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), TDM, "spot,0,5000,q,0,w,2,1,4,32Gi,4,,volcano.sh/preemptable=true\n");
    let out = common::run_checked(&path);
    let evicts: Vec<_> = out.decisions.iter().filter(|d| d.kind == "evict").collect();
    assert_eq!(evicts.len(), 2);
    assert!(evicts.iter().all(|d| d.by_pod.is_empty() && d.by_queue.is_empty()));
    assert_eq!(evicts[0].line(), "180s evict spot-w-0 rev-000 (shuffle)");
    assert_eq!(out.summary.evictions, 2);
    let q = &out.summary.queues["q"];
    assert_eq!((q.evictions_received, q.evictions_given, q.cross_queue_evictions_received), (2, 0, 0));
}

#[test]
fn a_pod_annotated_not_preemptable_is_never_a_victim() {
    let yaml = r#"name: p
fleet:
  pools:
    - { name: gpu, count: 1, cpu: 64, memory: 512Gi, gpu: { model: H100, count: 8 } }
workload: { trace: trace.csv }
scheduler:
  node_scan: exhaustive
  inline:
    actions: "allocate, preempt"
    tiers:
      - plugins: [ { name: priority }, { name: gang, enablePreemptable: false }, { name: conformance } ]
      - plugins: [ { name: predicates }, { name: proportion } ]
run: { pod_startup: 0s, controller_delay: 0s }
"#;
    let dir = tempfile::tempdir().unwrap();
    // Same as conformance preempt-01 (where `low` is evicted at 11 s), but `low` opts out.
    let rows = "low,0,1000,q,0,w,1,1,8,64Gi,8,,volcano.sh/preemptable=false\nhigh,10,100,q,100,w,1,1,8,64Gi,8,,\n";
    let out = common::run_checked(&write(dir.path(), yaml, rows));
    let lines: Vec<String> = out.decisions.iter().map(|d| d.line()).collect();
    assert_eq!(lines, ["0s enqueue low", "1s bind low-w-0 gpu-000", "10s enqueue high", "1001s bind high-w-0 gpu-000"]);
    // Volcano reads an unparsable value as "not preemptable"; tephra rejects it when reading the
    // trace, naming the row, so a typo cannot silently change the experiment.
    let rows = rows.replace("=false", "=nope");
    let sc = tephra::scenario::load(&write(dir.path(), yaml, &rows)).unwrap();
    let err = sc.load_jobs().unwrap_err().to_string();
    assert!(err.contains("trace.csv:2: annotations") && err.contains("nope"), "{err}");
}

#[test]
fn run_start_must_be_a_time_of_day() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = TDM.replace("2026-01-05T17:58:00", "25:00");
    let path = write(dir.path(), &yaml, "a,0,10,q,0,w,1,1,1,1Gi,1,,\n");
    let err = tephra::scenario::load(&path).unwrap_err().to_string();
    assert!(err.contains("scenario.yaml:17:") && err.contains("run.start"), "{err}");
}

#[test]
fn a_gang_that_failed_in_an_open_zone_waits_for_a_release_not_for_every_opening() {
    // spot's gang (2 × 8 GPUs) needs the revocable node and the normal one, which `stable` holds
    // for 100000 s. It fails at 1 s with the zone open; tdm must not wake the scheduler at every
    // 09:00 after that (nothing was released), or a run like this one would never drain. Once
    // stable finishes (21:44:41 on day 2, zone closed), the next opening (09:00 on day 3, 40519 s
    // later) places it.
    let yaml = TDM
        .replace(
            "    - name: rev\n",
            "    - { name: gpu, count: 1, cpu: 64, memory: 512Gi, gpu: { model: H100, count: 8 } }\n    - name: rev\n",
        )
        .replace(", until: 1000s", "");
    let dir = tempfile::tempdir().unwrap();
    let rows = "stable,0,100000,q,0,w,1,1,8,64Gi,8,,\nspot,0,100,q,0,w,2,2,8,64Gi,8,,volcano.sh/preemptable=true\n";
    let out = common::run_checked(&write(dir.path(), &yaml, rows));
    let lines: Vec<String> = out.decisions.iter().map(|d| d.line()).collect();
    assert_eq!(
        lines,
        [
            "0s enqueue stable",
            "0s enqueue spot",
            "1s bind stable-w-0 gpu-000",
            "140520s bind spot-w-0 rev-000",
            "140520s bind spot-w-1 gpu-000",
        ]
    );
    assert_eq!(out.summary.end_s, 140620.0);
    assert!(out.summary.cycles < 10, "{} cycles", out.summary.cycles);
}
