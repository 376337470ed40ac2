//! The Parquet copies written with the `analytics` feature hold exactly their CSV tables: same
//! columns in the same order, same number of rows, and in every cell the value the CSV text
//! spells (an empty field is a null; numbers compare exactly), for a run's `jobs`, `timeline` and
//! `queues` (quickstart scenario), a comparison's cross-run tables, and a sweep's results (one
//! shard, and the merged table).

#![cfg(feature = "analytics")]

mod common;

use polars::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn tephra(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_tephra"))
        .args(args)
        .current_dir(common::repo())
        .env_remove("TEPHRA_SHARD")
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Asserts that `parquet` holds the table of `csv`; returns (rows, the Parquet frame).
fn assert_same_table(csv_path: &Path, parquet_path: &Path) -> (usize, DataFrame) {
    let mut r = csv::Reader::from_path(csv_path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let df = tephra::report::parquet::read(parquet_path).unwrap();
    let names: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).collect();
    assert_eq!(names, header, "{}", parquet_path.display());
    assert_eq!(df.height(), rows.len(), "{}", parquet_path.display());
    assert!(!rows.is_empty() && !header.is_empty(), "{}: an empty table proves nothing", csv_path.display());
    for (j, name) in header.iter().enumerate() {
        let col = df.column(name).unwrap();
        for (i, rec) in rows.iter().enumerate() {
            let text = &rec[j];
            let ok = match col.get(i).unwrap() {
                AnyValue::Null => text.is_empty(),
                AnyValue::String(s) => s == text,
                AnyValue::StringOwned(s) => s.as_str() == text,
                AnyValue::Boolean(b) => text == b.to_string(),
                AnyValue::Int64(v) => text.parse::<i64>() == Ok(v),
                AnyValue::UInt64(v) => text.parse::<u64>() == Ok(v),
                AnyValue::Float64(v) => text.parse::<f64>().is_ok_and(|t| t.to_bits() == v.to_bits()),
                other => panic!("{name}: unexpected value {other:?}"),
            };
            assert!(ok, "{}: row {i} column {name}: csv `{text}`, parquet {:?}", parquet_path.display(), col.get(i));
        }
    }
    (rows.len(), df)
}

fn dtype(df: &DataFrame, name: &str) -> DataType {
    df.column(name).unwrap().dtype().clone()
}

#[test]
fn run_writes_parquet_equal_to_its_csv_tables() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("quickstart");
    tephra(&["run", "scenarios/quickstart.yaml", "--quiet", "--out", out.to_str().unwrap()]);
    let (jobs, df) = assert_same_table(&out.join("jobs.csv"), &out.join("jobs.parquet"));
    assert_eq!(jobs, 400, "the quickstart trace's jobs");
    assert_eq!(
        (dtype(&df, "job"), dtype(&df, "pods"), dtype(&df, "jct_s")),
        (DataType::String, DataType::Int64, DataType::Float64),
        "columns keep their Rust types"
    );
    let (_, df) = assert_same_table(&out.join("timeline.csv"), &out.join("timeline.parquet"));
    assert_eq!((dtype(&df, "time_s"), dtype(&df, "scope")), (DataType::Float64, DataType::String));
    assert!(df.column("accel_total").unwrap().null_count() > 0, "queue rows have no capacity: nulls, not zeros");
    let (_, df) = assert_same_table(&out.join("queues.csv"), &out.join("queues.parquet"));
    assert_eq!(dtype(&df, "overused"), DataType::Boolean);
    // The CSV tables are what a default build writes: summary.json does not mention Parquet.
    assert!(!std::fs::read_to_string(out.join("summary.json")).unwrap().contains("parquet"));
}

const TRACE: &str = "\
j1,0,100,a,0,worker,1,1,1,1Gi,3,
j2,0,50,b,0,worker,1,1,1,1Gi,1,
j3,10,20,b,0,worker,2,2,1,1Gi,1,
j4,12,40,a,0,worker,1,1,1,1Gi,2,
";

#[test]
fn compare_writes_the_cross_run_tables_as_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let conf = common::repo().join("scenarios/conf/volcano-default.conf");
    let yaml = format!(
        "name: tiny\nseed: 1\nfleet:\n  pools:\n    - {{ name: gpu, count: 2, cpu: 8, memory: 32Gi, gpu: {{ model: H100, count: 4 }} }}\n\
         queues:\n  - {{ name: a, weight: 1 }}\n  - {{ name: b, weight: 2 }}\nworkload: {{ trace: trace.csv }}\n\
         scheduler: {{ conf: {} }}\nrun: {{ pod_startup: 5s, sample_every: 10s }}\n",
        conf.display()
    );
    let path = common::write_scenario(dir.path(), &yaml, TRACE);
    let out = dir.path().join("cmp");
    tephra(&[
        "compare",
        path.to_str().unwrap(),
        "--policy",
        "kube-default",
        "--set",
        "queues.a.weight=3",
        "--seeds",
        "2",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    // Two variants (kube-default, the weight override) × two seeds.
    let (runs, df) = assert_same_table(&out.join("runs.csv"), &out.join("runs.parquet"));
    assert_eq!(runs, 2 * 2);
    assert_eq!((dtype(&df, "seed"), dtype(&df, "jobs.completed")), (DataType::Int64, DataType::Int64));
    // The 25 metrics every run defines (no faults, no shared cards: no recovery or fragmentation rows).
    let metrics = 25;
    let (rows, df) = assert_same_table(&out.join("variants.csv"), &out.join("variants.parquet"));
    assert_eq!(rows, 2 * metrics);
    assert_eq!(dtype(&df, "within_noise"), DataType::Boolean);
    // The sub-reports carry the run tables as Parquet too.
    assert_same_table(
        &out.join("variants/kube-default/timeline.csv"),
        &out.join("variants/kube-default/timeline.parquet"),
    );
}

fn grid(dir: &Path) -> PathBuf {
    let p = dir.join("grid.yaml");
    let sc = common::repo().join("scenarios/ci/volcano-default.yaml");
    std::fs::write(
        &p,
        format!("scenarios: [{}]\nparameters:\n  fleet.pools.h100.count: [12, 16]\nseeds: 2\n", sc.display()),
    )
    .unwrap();
    p
}

#[test]
fn sweep_and_merge_write_results_parquet_equal_to_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    let g = grid(dir.path());
    let shards = dir.path().join("shards");
    for shard in ["0/2", "1/2"] {
        tephra(&["sweep", g.to_str().unwrap(), "--out", shards.to_str().unwrap(), "--shard", shard, "--quiet"]);
    }
    let (rows, _) =
        assert_same_table(&shards.join("results-shard-1-of-2.csv"), &shards.join("results-shard-1-of-2.parquet"));
    assert_eq!(rows, 2, "cells 1 and 3 of 4");
    let merged = dir.path().join("merged.csv");
    tephra(&["merge", shards.to_str().unwrap(), "--out", merged.to_str().unwrap(), "--grid", g.to_str().unwrap()]);
    let (rows, df) = assert_same_table(&merged, &dir.path().join("merged.parquet"));
    assert_eq!(rows, 2 * 2, "two pool sizes × two seeds");
    assert_eq!(
        (dtype(&df, "index"), dtype(&df, "cell"), dtype(&df, "fleet.pools.h100.count"), dtype(&df, "accel_allocation")),
        (DataType::Int64, DataType::String, DataType::Int64, DataType::Float64)
    );
    // A whole sweep ends with results.parquet too, and merging it alone gives the same table.
    let whole = dir.path().join("whole");
    tephra(&["sweep", g.to_str().unwrap(), "--out", whole.to_str().unwrap(), "--quiet"]);
    let (_, df) = assert_same_table(&whole.join("results.csv"), &whole.join("results.parquet"));
    assert!(df.equals_missing(&tephra::report::parquet::read(&dir.path().join("merged.parquet")).unwrap()));

    let out = Command::new(env!("CARGO_BIN_EXE_tephra"))
        .args(["merge", shards.to_str().unwrap(), "--out"])
        .arg(dir.path().join("m.parquet"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("m.parquet") && err.contains("name the CSV table"), "{err}");
}
