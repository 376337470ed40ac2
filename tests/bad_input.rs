//! Bad input through the real binary: exit code 2 and a message naming the file, line and field;
//! an impossible job is reported unschedulable while the run finishes.

mod common;

use std::process::Command;

fn tephra(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tephra")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

const YAML: &str = "name: bad\nfleet:\n  pools:\n    - { name: gpu, count: 2, cpu: 64, memory: 512Gi, gpu: { model: H100, count: 8 } }\nworkload: { trace: trace.csv }\n";

#[test]
fn negative_duration_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::write_scenario(dir.path(), YAML, "a,0,10,q,0,w,1,1,1,1Gi,1,\nb,5,-3,q,0,w,1,1,1,1Gi,1,\n");
    let (code, _, err) =
        tephra(&["run", path.to_str().unwrap(), "--quiet", "--out", dir.path().join("o").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("trace.csv:3: duration_s: `-3` is negative"), "{err}");
    assert!(!dir.path().join("o").exists(), "no partial reports on bad input");
}

#[test]
fn unknown_scenario_key_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = YAML.replace("workload:", "wrokload: 3\nworkload:");
    let path = common::write_scenario(dir.path(), &yaml, "a,0,10,q,0,w,1,1,1,1Gi,1,\n");
    let (code, _, err) = tephra(&["run", path.to_str().unwrap(), "--quiet"]);
    assert_eq!(code, 2);
    assert!(err.contains("scenario.yaml") && err.contains("line 5") && err.contains("wrokload"), "{err}");
}

#[test]
fn job_bigger_than_any_node_is_unschedulable_and_the_run_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::write_scenario(
        dir.path(),
        YAML,
        "small,0,10,q,0,w,1,1,1,1Gi,1,\nhuge,0,10,q,0,w,1,1,1,1Gi,16,\nwide,0,10,q,0,w,3,3,1,1Gi,8,\n",
    );
    let out = dir.path().join("o");
    let (code, stdout, err) = tephra(&["run", path.to_str().unwrap(), "--json", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["jobs"]["completed"], 1);
    assert_eq!(summary["jobs"]["unschedulable"], 2);
    let jobs = std::fs::read_to_string(out.join("jobs.csv")).unwrap();
    let huge = jobs.lines().find(|l| l.starts_with("huge,")).unwrap();
    assert!(huge.contains("unschedulable") && huge.contains("no node has that much nvidia.com/gpu"), "{huge}");
    let wide = jobs.lines().find(|l| l.starts_with("wide,")).unwrap();
    assert!(wide.contains("the gang needs 3 pods") && wide.contains("holds only 2"), "{wide}");
}

#[test]
fn unknown_plugin_in_conf_is_an_error_with_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.conf"), "actions: \"enqueue, allocate\"\ntiers:\n- plugins:\n  - name: gnag\n")
        .unwrap();
    let path = common::write_scenario(dir.path(), YAML, "a,0,10,q,0,w,1,1,1,1Gi,1,\n");
    let conf = dir.path().join("x.conf");
    let (code, _, err) = tephra(&["run", path.to_str().unwrap(), "--quiet", "--conf", conf.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("x.conf") && err.contains("unknown plugin `gnag`"), "{err}");
}

#[test]
fn validate_reports_ok_and_json_matches_summary_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::write_scenario(dir.path(), YAML, "a,0,10,q,0,w,1,1,1,1Gi,1,\n");
    let (code, out, _) = tephra(&["validate", path.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.contains(": ok (1 pools, 1 jobs, policy volcano-default)"), "{out}");

    let o = dir.path().join("o");
    let (code, stdout, _) = tephra(&["run", path.to_str().unwrap(), "--json", "--out", o.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(stdout, std::fs::read_to_string(o.join("summary.json")).unwrap());
    for f in ["perf.json", "jobs.csv", "timeline.csv", "queues.csv"] {
        assert!(o.join(f).exists(), "{f} missing");
    }
}

#[test]
fn validate_rejects_a_missing_trace_with_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = YAML.replace("trace.csv", "nope.csv");
    let path = common::write_scenario(dir.path(), &yaml, "a,0,10,q,0,w,1,1,1,1Gi,1,\n");
    let (code, _, err) = tephra(&["validate", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("scenario.yaml:5") && err.contains("nope.csv"), "{err}");
}

#[test]
fn malformed_annotation_names_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("trace.csv"),
        format!(
            "{},annotations\na,0,10,q,0,w,1,1,1,1Gi,1,,volcano.sh/preemptable=true\nb,5,10,q,0,w,1,1,1,1Gi,1,,volcano.sh/sla-waiting-time=soon\n",
            common::HEADER.trim_end()
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("scenario.yaml"), YAML).unwrap();
    let path = dir.path().join("scenario.yaml");
    let (code, _, err) = tephra(&["validate", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("trace.csv:3: annotations:") && err.contains("sla-waiting-time"), "{err}");
}

#[test]
fn parent_queue_cycle_is_an_error_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = YAML.replace("workload:", "queues:\n  - { name: a, parent: b }\n  - { name: b, parent: a }\nworkload:");
    let path = common::write_scenario(dir.path(), &yaml, "a1,0,10,a,0,w,1,1,1,1Gi,1,\n");
    let (code, _, err) = tephra(&["validate", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("scenario.yaml:6: queues.a.parent") && err.contains("cycle"), "{err}");
}

#[test]
fn placement_plugin_inputs_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let conf = "scheduler:\n  inline:\n    actions: allocate\n    tiers:\n    - plugins:\n      - name: usage\n        arguments:\n          thresholds: { cpu: 80, memroy: 70 }\n";
    let path = common::write_scenario(dir.path(), &format!("{YAML}{conf}"), "a,0,10,q,0,w,1,1,1,1Gi,1,\n");
    let (code, _, err) = tephra(&["run", path.to_str().unwrap(), "--quiet"]);
    assert_eq!(code, 2);
    assert!(err.contains("scenario.yaml") && err.contains("tier 1") && err.contains("memroy"), "{err}");

    // A queue affinity key that is not the Queue CRD's.
    let queues = "queues:\n  - name: q\n    affinity:\n      nodeGroupAffinty: {}\n";
    let path = common::write_scenario(dir.path(), &format!("{YAML}{queues}"), "a,0,10,q,0,w,1,1,1,1Gi,1,\n");
    let (code, _, err) = tephra(&["run", path.to_str().unwrap(), "--quiet"]);
    assert_eq!(code, 2);
    assert!(err.contains("line 9") && err.contains("nodeGroupAffinty"), "{err}");

    // A usage ratio that is not a number names the job's trace line.
    std::fs::write(
        dir.path().join("trace.csv"),
        format!(
            "{}annotations\na,0,10,q,0,w,1,1,1,1Gi,1,,\nb,0,10,q,0,w,1,1,1,1Gi,1,,tephra.io/usage-ratio-cpu=lots\n",
            common::HEADER.trim_end().to_string() + ","
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("scenario.yaml"), YAML).unwrap();
    let (code, _, err) = tephra(&["run", dir.path().join("scenario.yaml").to_str().unwrap(), "--quiet"]);
    assert_eq!(code, 2);
    assert!(err.contains("trace.csv:3") && err.contains("usage-ratio-cpu"), "{err}");
}
