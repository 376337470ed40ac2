//! `tephra check` end to end, as CI runs it: write a baseline, pass against it, fail (exit 1) on a
//! regression with a JUnit failure naming the metric, and exit 2 on bad input.

use std::path::Path;
use std::process::Command;

fn tephra(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tephra"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn suite(dir: &Path) {
    let scenario =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/ci/volcano-default.yaml"))
            .unwrap();
    std::fs::write(dir.join("one.yaml"), scenario).unwrap();
    std::fs::write(
        dir.join("check.yaml"),
        "seeds: 2\nmetrics:\n  - { metric: accel_allocation, better: higher, tolerance: 0.01 }\n  - { metric: jobs.completed, better: higher, tolerance: 0 }\n",
    )
    .unwrap();
}

#[test]
fn baseline_then_pass_then_regression_then_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    suite(dir.path());
    let d = dir.path().to_str().unwrap();
    let (code, _, err) = tephra(&["check", d, "--update-baseline", "--quiet"]);
    assert_eq!(code, 0, "{err}");
    let baseline_path = dir.path().join("baseline.json");
    let baseline: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&baseline_path).unwrap()).unwrap();
    let seeds = &baseline["scenarios"]["ci-volcano-default"]["seeds"];
    assert_eq!(seeds, &serde_json::json!([7, 8]));
    assert_eq!(
        baseline["scenarios"]["ci-volcano-default"]["metrics"]["jobs.completed"],
        serde_json::json!([400.0, 400.0])
    );

    // Same code, same seeds: every metric equal, exit 0.
    let junit = dir.path().join("junit.xml");
    let (code, out, err) = tephra(&["check", d, "--quiet", "--junit", junit.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("## tephra check: PASS"), "{out}");
    assert!(std::fs::read_to_string(&junit).unwrap().contains("tests=\"2\" failures=\"0\""));

    // A baseline that allocated 5 points more: now is worse by 0.05 > 0.01 and > the seed spread.
    let mut b = baseline.clone();
    let alloc = &mut b["scenarios"]["ci-volcano-default"]["metrics"]["accel_allocation"];
    let raised: Vec<f64> = alloc.as_array().unwrap().iter().map(|v| v.as_f64().unwrap() + 0.05).collect();
    *alloc = serde_json::json!(raised);
    std::fs::write(&baseline_path, serde_json::to_string(&b).unwrap()).unwrap();
    let (code, out, _) = tephra(&["check", d, "--quiet", "--junit", junit.to_str().unwrap(), "--json"]);
    assert_eq!(code, 1, "{out}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((report["passed"].as_bool(), report["regressions"].as_u64()), (Some(false), Some(1)));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("tests=\"2\" failures=\"1\"") && xml.contains("<failure message=\"accel_allocation REGRESSION\""),
        "{xml}"
    );

    // Fewer seeds than the baseline ran: still judged, but the report warns that seeds differ.
    std::fs::write(&baseline_path, serde_json::to_string(&baseline).unwrap()).unwrap();
    let (code, out, _) = tephra(&["check", d, "--quiet", "--seeds", "1"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("seeds differ from the baseline") && out.contains("[7, 8]") && out.contains("[7]"), "{out}");

    // A misspelled metric is bad input (exit 2), both when writing a baseline and when checking.
    std::fs::write(
        dir.path().join("check.yaml"),
        "seeds: 1\nmetrics:\n  - { metric: accel_alocation, better: higher, tolerance: 0.01 }\n",
    )
    .unwrap();
    for extra in [&["--update-baseline"][..], &[][..]] {
        let mut args = vec!["check", d, "--quiet"];
        args.extend_from_slice(extra);
        let (code, _, err) = tephra(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("`accel_alocation` are in no scenario's summary.json"), "{err}");
    }
    let kept: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&baseline_path).unwrap()).unwrap();
    assert_eq!(kept, baseline, "a refused --update-baseline leaves the baseline alone");

    // Bad input: no baseline at the given path, and an unknown settings key.
    let (code, _, err) = tephra(&["check", d, "--quiet", "--baseline", dir.path().join("nope.json").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("nope.json") && err.contains("--update-baseline"), "{err}");
    std::fs::write(dir.path().join("check.yaml"), "seeds: 2\ntolerance: 5%\n").unwrap();
    let (code, _, err) = tephra(&["check", d, "--quiet"]);
    assert_eq!(code, 2);
    assert!(err.contains("check.yaml") && err.contains("tolerance"), "{err}");
}

#[test]
fn the_committed_ci_suite_passes_against_its_baseline() {
    let (code, out, err) = tephra(&["check", "scenarios/ci", "--quiet"]);
    assert_eq!(code, 0, "{out}{err}");
}
