//! The conformance suite: small scenarios whose expected decisions were written by hand from
//! Volcano's semantics (`../shared/reference/volcano-semantics.md` and `pkg/scheduler/` in
//! volcano-sh/volcano). Each case is one file in `tests/conformance/`:
//!
//! ```yaml
//! rule: what the case checks, in one sentence
//! source: where the rule comes from (reference section, Go file)
//! scenario: |          # a scenario; its trace is the case's `trace`, written to trace.csv
//!   name: c
//!   ...
//! trace: |             # native trace rows (the header is added when absent)
//!   a,0,100,q,0,w,1,1,8,64Gi,8,
//! expect:
//!   decisions: |       # the complete decision log, one `DecisionRow::line` per line
//!     1s enqueue a
//!     1s bind a-w-0 gpu-000
//!   jobs: |            # optional: `name gang_ready_s finish_s` per job (`-` for never)
//!     a 1 101
//!   topology_tiers: |  # optional (fleet.topology): `name tier` per job, as jobs.csv's topology_tier
//!     a 1
//! ```
//!
//! A case fails if any decision differs, is missing or is extra, so the expectation pins the
//! whole behaviour of the scenario, not one number. Runs check every accounting invariant after
//! every event.

mod common;

use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    rule: String,
    source: String,
    scenario: String,
    trace: String,
    expect: Expect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    decisions: String,
    #[serde(default)]
    jobs: Option<String>,
    /// Optional, with a declared topology: `name tier` per job, the highest HyperNode tier its pods
    /// spanned when its gang first ran, as jobs.csv reports it (`-` for never).
    #[serde(default)]
    topology_tiers: Option<String>,
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap().split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect()
}

fn fmt_s(v: Option<f64>) -> String {
    v.map(|s| format!("{s}")).unwrap_or_else(|| "-".into())
}

/// Runs one case; `Err` describes every difference.
fn check(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let case: Case = serde_saphyr::from_str(&text).map_err(|e| format!("bad case file: {e}"))?;
    assert!(
        !case.rule.trim().is_empty() && !case.source.trim().is_empty(),
        "{}: rule and source are required",
        path.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let trace = if case.trace.starts_with("job_id,") {
        case.trace.clone()
    } else {
        format!("{}{}", common::HEADER, case.trace)
    };
    std::fs::write(dir.path().join("trace.csv"), trace).unwrap();
    let scenario = dir.path().join("scenario.yaml");
    std::fs::write(&scenario, &case.scenario).unwrap();
    let sc = tephra::scenario::load(&scenario).map_err(|e| format!("scenario: {e}"))?;
    let out = tephra::runner::run(
        &sc,
        &tephra::runner::RunOptions { check_invariants: true, record_decisions: true },
        |_| {},
    )
    .map_err(|e| format!("run: {e}"))?;
    let mut problems = Vec::new();
    let got: Vec<String> = out.decisions.iter().map(|d| d.line()).collect();
    let want = lines(&case.expect.decisions);
    if got != want {
        problems.push(format!("decisions differ\n--- expected\n{}\n--- got\n{}", want.join("\n"), got.join("\n")));
    }
    if let Some(jobs) = &case.expect.jobs {
        let got: Vec<String> =
            out.jobs.iter().map(|r| format!("{} {} {}", r.job, fmt_s(r.gang_ready_s), fmt_s(r.finish_s))).collect();
        let want = lines(jobs);
        if got != want {
            problems.push(format!("jobs differ\n--- expected\n{}\n--- got\n{}", want.join("\n"), got.join("\n")));
        }
    }
    if let Some(tiers) = &case.expect.topology_tiers {
        let got: Vec<String> = out
            .jobs
            .iter()
            .map(|r| {
                let t = r.topology_tier.clone().unwrap_or_else(|| "no-topology".into());
                format!("{} {}", r.job, if t.is_empty() { "-".into() } else { t })
            })
            .collect();
        let want = lines(tiers);
        if got != want {
            problems.push(format!(
                "topology tiers differ\n--- expected\n{}\n--- got\n{}",
                want.join("\n"),
                got.join("\n")
            ));
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join("\n")) }
}

#[test]
fn conformance_cases() {
    let dir = common::repo().join("tests/conformance");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    let only = std::env::var("CONFORMANCE_CASE").ok();
    let mut failures = Vec::new();
    let mut ran = 0;
    for f in &files {
        let name = f.file_stem().unwrap().to_string_lossy().to_string();
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        ran += 1;
        if let Err(e) = check(f) {
            failures.push(format!("== {name}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{} of {ran} conformance cases failed:\n{}", failures.len(), failures.join("\n\n"));
    if only.is_none() {
        assert!(ran >= 40, "the suite lost its cases ({ran} found)");
    }
}
