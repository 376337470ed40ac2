//! Architecture invariants, checked on the source: the scheduling core (`src/sched`) depends on
//! the model only — never on the simulator, traces, scenarios, metrics, reports or the CLI — and
//! `src/model` depends on nothing else in the crate. This is what lets the same core one day sit
//! behind a real Kubernetes informer.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

fn check(dir: &str, forbidden: &[&str]) {
    let mut files = Vec::new();
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join(dir), &mut files);
    assert!(!files.is_empty(), "{dir} has no sources");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for m in forbidden {
                assert!(!code.contains(m), "{}:{}: `{m}` crosses a layer boundary", f.display(), n + 1);
            }
        }
    }
}

/// Everything above the scheduling core.
const ABOVE_SCHED: &[&str] = &[
    "crate::sim",
    "crate::trace",
    "crate::scenario",
    "crate::metrics",
    "crate::report",
    "crate::cli",
    "crate::runner",
    "crate::experiment",
];

#[test]
fn sched_depends_on_model_only() {
    check("src/sched", ABOVE_SCHED);
}

#[test]
fn model_depends_on_nothing() {
    check("src/model", &[ABOVE_SCHED, &["crate::sched"]].concat());
}
