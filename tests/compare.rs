//! `tephra compare`: variants × seeds in parallel give the same bytes for any thread count, the
//! table keeps command-line order, and the noise marker follows its definition.

mod common;

use common::write_scenario;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const TRACE: &str = "\
j1,0,100,a,0,worker,1,1,1,1Gi,3,
j2,0,50,b,0,worker,1,1,1,1Gi,1,
j3,10,20,b,0,worker,2,2,1,1Gi,1,
j4,12,40,a,0,worker,1,1,1,1Gi,2,
j5,15,30,b,0,worker,1,1,1,1Gi,4,
";

const SCENARIO: &str = "name: tiny\nseed: 1\nfleet:\n  pools:\n    - { name: gpu, count: 2, cpu: 8, memory: 32Gi, gpu: { model: H100, count: 4 } }\n\
queues:\n  - { name: a, weight: 1 }\n  - { name: b, weight: 2 }\n\
workload: { trace: trace.csv }\n\
scheduler: { conf: CONF }\n\
run: { pod_startup: 5s, sample_every: 10s }\n";

/// Every file under `dir` except the wall-clock `perf.json`, by relative path.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, d: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else if p.file_name().unwrap() != "perf.json" {
                out.insert(p.strip_prefix(root).unwrap().display().to_string(), std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn compare(dir: &Path, scenario: &Path, threads: &str, out: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tephra"))
        .args(["compare", scenario.to_str().unwrap(), "--policy", "kube-default", "--conf"])
        .arg(common::repo().join("scenarios/conf/volcano-default.conf"))
        .args(["--set", "queues.a.weight=3", "--seeds", "3", "--quiet", "--out"])
        .arg(dir.join(out))
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .unwrap()
}

#[test]
fn compare_is_identical_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let conf = common::repo().join("scenarios/conf/volcano-default.conf");
    let path = write_scenario(dir.path(), &SCENARIO.replace("CONF", conf.to_str().unwrap()), TRACE);
    let one = compare(dir.path(), &path, "1", "one");
    assert!(one.status.success(), "{}", String::from_utf8_lossy(&one.stderr));
    let two = compare(dir.path(), &path, "2", "two");
    assert!(two.status.success(), "{}", String::from_utf8_lossy(&two.stderr));
    let (a, b) = (files(&dir.path().join("one")), files(&dir.path().join("two")));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, v) in &a {
        assert!(v == &b[k], "{k} differs between 1 and 2 threads");
    }
    // Three variants in command-line order, three seeds, one sub-report each.
    let json: serde_json::Value = serde_json::from_slice(&a["compare.json"]).unwrap();
    assert_eq!(json["variants"], serde_json::json!(["kube-default", "volcano-default", "queues.a.weight=3"]));
    assert_eq!(json["seeds"], serde_json::json!([1, 2, 3]));
    for v in ["kube-default", "volcano-default", "queues.a.weight-3"] {
        assert!(a.contains_key(&format!("variants/{v}/report.html")), "{v}");
        assert!(a.contains_key(&format!("variants/{v}/summary-seed3.json")), "{v}");
    }
    // The first column is the reference: no relative change, never within noise.
    let row = &json["rows"][1];
    assert_eq!(row["metric"], "GPU allocation");
    assert_eq!(row["cells"][0]["rel_change"], serde_json::Value::Null);
    assert_eq!(row["cells"][0]["within_noise"], false);
    // Noise marker by definition: ranges overlap.
    for row in json["rows"].as_array().unwrap() {
        let c0 = &row["cells"][0];
        for c in row["cells"].as_array().unwrap().iter().skip(1) {
            if let (Some(lo), Some(hi), Some(lo0), Some(hi0)) =
                (c["min"].as_f64(), c["max"].as_f64(), c0["min"].as_f64(), c0["max"].as_f64())
            {
                assert_eq!(c["within_noise"].as_bool().unwrap(), lo <= hi0 && lo0 <= hi, "{}", row["metric"]);
            }
        }
    }
    let html = String::from_utf8(a["report.html"].clone()).unwrap();
    assert!(html.matches("<svg").count() >= 3, "overlaid charts inlined");

    // The cross-run tables: one row per variant × seed with each run's summary values, and one
    // row per variant × metric with the numbers of compare.json.
    let table = |name: &str| -> Vec<Vec<String>> {
        let mut r = csv::Reader::from_reader(&a[name][..]);
        let mut rows = vec![r.headers().unwrap().iter().map(str::to_string).collect::<Vec<_>>()];
        rows.extend(r.records().map(|rec| rec.unwrap().iter().map(str::to_string).collect()));
        rows
    };
    let runs = table("runs.csv");
    // The table's metrics (those some run defines: no recovery or fragmentation rows here).
    let metrics: Vec<String> =
        json["rows"].as_array().unwrap().iter().map(|r| r["path"].as_str().unwrap().to_string()).collect();
    assert_eq!(metrics.len(), 25);
    assert_eq!(runs[0][..4], ["variant", "policy", "seed", "jobs.completed"]);
    assert_eq!(runs.len() - 1, 3 * 3, "3 variants × 3 seeds");
    for (k, row) in runs[1..].iter().enumerate() {
        let (v, s) = (k / 3, k % 3);
        assert_eq!((row[0].as_str(), row[2].clone()), (json["variants"][v].as_str().unwrap(), (1 + s).to_string()));
        let summary: serde_json::Value =
            serde_json::from_slice(&a[&format!("variants/{}/summary-seed{}.json", slug(v), 1 + s)]).unwrap();
        assert_eq!(row[1], summary["policy"].as_str().unwrap());
        for (m, path) in metrics.iter().enumerate() {
            let from_json = json["rows"][m]["cells"][v]["values"][s].as_f64();
            assert_eq!(row[3 + m].parse::<f64>().ok(), from_json, "{path}: runs.csv vs compare.json");
            let mut at = &summary;
            for key in path.split('.') {
                at = &at[key];
            }
            assert_eq!(row[3 + m].parse::<f64>().ok(), at.as_f64(), "{path}: runs.csv vs summary.json");
        }
    }
    let variants = table("variants.csv");
    assert_eq!(variants.len() - 1, 3 * metrics.len(), "3 variants × every metric");
    let row = &variants[1 + metrics.len() + 1]; // second variant, GPU allocation
    assert_eq!(
        [&row[0], &row[1], &row[2], &row[3]],
        ["volcano-default", json["policies"][1].as_str().unwrap(), "accel_allocation", "percent"]
    );
    assert_eq!(row[4], "3");
    assert_eq!(row[5].parse::<f64>().ok(), json["rows"][1]["cells"][1]["median"].as_f64());
}

fn slug(v: usize) -> &'static str {
    ["kube-default", "volcano-default", "queues.a.weight-3"][v]
}

#[test]
fn compare_rejects_unknown_set_keys() {
    let dir = tempfile::tempdir().unwrap();
    let conf = common::repo().join("scenarios/conf/volcano-default.conf");
    let path = write_scenario(dir.path(), &SCENARIO.replace("CONF", conf.to_str().unwrap()), TRACE);
    let out = Command::new(env!("CARGO_BIN_EXE_tephra"))
        .args(["compare", path.to_str().unwrap(), "--set", "queues.nope.weight=2", "--quiet", "--out"])
        .arg(dir.path().join("x"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("queues.nope.weight=2") && err.contains("no declared queue `nope`"), "{err}");
}

/// `--set` changes exactly the named settings of the variant's scenario, and the seed follows the
/// plan's seed list.
#[test]
fn set_overrides_apply_to_the_variant() {
    use tephra::experiment::{Change, Variant, overrides};
    let dir = tempfile::tempdir().unwrap();
    let conf = common::repo().join("scenarios/conf/volcano-default.conf");
    let path = write_scenario(dir.path(), &SCENARIO.replace("CONF", conf.to_str().unwrap()), TRACE);
    let base = tephra::scenario::load(&path).unwrap();
    let v = Variant::new(Change::Set(
        overrides::parse("queues.a.weight=5,run.pod_startup=30s,fleet.pools.gpu.count=3,scheduler.policy=kube-default")
            .unwrap(),
    ));
    let sc = v.scenario(&base, 9).unwrap();
    assert_eq!(sc.seed, 9);
    assert_eq!(sc.queues.iter().map(|q| q.weight).collect::<Vec<_>>(), vec![5, 2]);
    assert_eq!(sc.run.pod_startup.0, 30_000);
    assert_eq!(sc.pools[0].1, 3);
    assert_eq!(sc.policy.name(), "kube-default");
    assert_eq!(base.queues[0].weight, 1, "the base scenario is untouched");
    let err = Variant::new(Change::Set(overrides::parse("run.pod_startup=soon").unwrap())).scenario(&base, 1);
    assert!(err.unwrap_err().to_string().contains("--set run.pod_startup=soon"));
}

/// With faults on, the comparison gains the recovery rows (hand-computed for one failure of a
/// 4-node gang, as in tests/recovery.rs: the A100 pool gives overcommit room to re-admit the
/// shrunk gang) and each variant's report its recovery section and
/// chart; without faults none of them appear.
#[test]
fn recovery_rows_appear_only_with_faults() {
    let dir = tempfile::tempdir().unwrap();
    let conf = common::repo().join("scenarios/conf/volcano-default.conf");
    let yaml = format!(
        "name: faulty\nseed: 1\nfleet:\n  pools:\n    - {{ name: gpu, count: 4, cpu: 64, memory: 512Gi, gpu: {{ model: H100, count: 8 }} }}\n\
         \x20   - {{ name: other, count: 3, cpu: 64, memory: 512Gi, gpu: {{ model: A100, count: 8 }} }}\n\
         workload: {{ trace: trace.csv }}\nscheduler: {{ conf: {} }}\nfaults:\n  trace: faults.csv\n\
         run: {{ pod_startup: 5s, sample_every: 10m }}\n",
        conf.display()
    );
    let path = write_scenario(dir.path(), &yaml, "train,0,3600,q,0,worker,4,4,8,64Gi,8,H100\n");
    std::fs::write(dir.path().join("faults.csv"), "start_s,end_s,node\n600,1200,gpu-000\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tephra"))
        .args(["compare", path.to_str().unwrap(), "--seeds", "2", "--quiet", "--out"])
        .arg(dir.path().join("cmp"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("cmp/compare.json")).unwrap()).unwrap();
    let row = |name: &str| -> Option<f64> {
        json["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["metric"] == name)
            .map(|r| r["cells"][0]["median"].as_f64().unwrap())
    };
    // The pod on gpu-000 dies at 600 s; the recreated pod binds at the repair (1200 s) and runs at
    // 1205 s: recovery 605 s. Three surviving pods hold 24 GPUs idle for 600 s, then 32 GPUs start
    // up for 5 s: 14,560 GPU-s lost, nothing rolled back (no checkpoints).
    assert_eq!(row("incidents"), Some(1.0));
    assert_eq!(row("MTTR p50"), Some(605.0));
    assert_eq!(row("lost GPU-hours"), Some((14_560.0f64 / 3600.0 * 1e6).round() / 1e6));
    assert_eq!(row("fragmentation amount (mean)"), None, "no shared cards, no fragmentation row");
    let md = std::fs::read_to_string(dir.path().join("cmp/report.md")).unwrap();
    assert!(md.contains("| MTTR p50 | 10m 05s"), "{md}");
    let variant = dir.path().join("cmp/variants/as-written");
    let vmd = std::fs::read_to_string(variant.join("report.md")).unwrap();
    assert!(vmd.contains("| MTTR p50 | 10m 05s |") && vmd.contains("**MTTR**"), "{vmd}");
    assert!(variant.join("charts/recovery.svg").exists());
    let runs = std::fs::read_to_string(dir.path().join("cmp/runs.csv")).unwrap();
    let header = runs.lines().next().unwrap();
    assert!(header.contains(",recovery.mttr_s.p50,") && !header.contains("fragmentation"), "{header}");
    assert!(
        runs.lines().nth(1).unwrap().contains(",605,") || runs.lines().nth(1).unwrap().contains(",605.0,"),
        "{runs}"
    );

    // The same comparison without faults has none of it.
    std::fs::write(&path, yaml.replace("faults:\n  trace: faults.csv\n", "")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tephra"))
        .args(["compare", path.to_str().unwrap(), "--quiet", "--out"])
        .arg(dir.path().join("plain"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let md = std::fs::read_to_string(dir.path().join("plain/report.md")).unwrap();
    assert!(!md.contains("MTTR") && !md.contains("incidents"), "{md}");
    assert!(!std::fs::read_to_string(dir.path().join("plain/runs.csv")).unwrap().contains("recovery."));
    assert!(!dir.path().join("plain/variants/as-written/charts/recovery.svg").exists());
}
