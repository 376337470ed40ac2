//! `tephra sweep` and `tephra merge` end to end: grid errors name file and field, cells come in a
//! fixed order with stable ids, a resumed sweep skips finished cells and ends with the same bytes,
//! the table does not depend on the thread count, and n shards merged equal one unsharded run.

use std::path::{Path, PathBuf};
use std::process::Command;
use tephra::experiment::overrides::Assignment;
use tephra::sweep::grid::{Grid, cell_id};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tephra(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tephra"));
    cmd.args(args).current_dir(root()).env_remove("TEPHRA_SHARD").env_remove("RAYON_NUM_THREADS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Two scenarios × two H100 pool sizes × two seeds = 8 cells.
fn grid_file(dir: &Path) -> PathBuf {
    let p = dir.join("grid.yaml");
    let a = root().join("scenarios/ci/volcano-default.yaml");
    let b = root().join("scenarios/ci/kube-default.yaml");
    std::fs::write(
        &p,
        format!(
            "scenarios: [{}, {}]\nparameters:\n  fleet.pools.h100.count: [12, 16]\nseeds: [7, 8]\n",
            a.display(),
            b.display()
        ),
    )
    .unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn sweep(grid: &Path, out: &Path, extra: &[&str], env: &[(&str, &str)]) -> String {
    let mut args = vec!["sweep", s(grid), "--out", s(out)];
    args.extend(extra);
    let (code, stdout, err) = tephra(&args, env);
    assert_eq!(code, 0, "{stdout}{err}");
    stdout
}

#[test]
fn cells_come_in_grid_order_with_stable_ids() {
    let dir = tempfile::tempdir().unwrap();
    let grid = Grid::load(&grid_file(dir.path())).unwrap();
    let cells = grid.cells();
    let got: Vec<(usize, String, String, u64)> = cells
        .iter()
        .map(|c| (c.index, grid.scenarios[c.scenario].1.name.clone(), c.assignments[0].value.clone(), c.seed))
        .collect();
    let want: Vec<(usize, String, String, u64)> = [
        ("ci-volcano-default", "12", 7),
        ("ci-volcano-default", "12", 8),
        ("ci-volcano-default", "16", 7),
        ("ci-volcano-default", "16", 8),
        ("ci-kube-default", "12", 7),
        ("ci-kube-default", "12", 8),
        ("ci-kube-default", "16", 7),
        ("ci-kube-default", "16", 8),
    ]
    .iter()
    .enumerate()
    .map(|(i, (n, v, s))| (i, n.to_string(), v.to_string(), *s))
    .collect();
    assert_eq!(got, want);
    let a = Assignment { key: "fleet.pools.h100.count".into(), value: "16".into() };
    assert_eq!(cells[2].id, cell_id("ci-volcano-default", &[a], 7));
    let mut ids: Vec<&str> = cells.iter().map(|c| c.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 8, "ids are unique");
    // `seeds: 2` means the scenario's seed (7) and the next.
    let text = std::fs::read_to_string(dir.path().join("grid.yaml")).unwrap().replace("seeds: [7, 8]", "seeds: 2");
    std::fs::write(dir.path().join("grid.yaml"), text).unwrap();
    assert_eq!(Grid::load(&dir.path().join("grid.yaml")).unwrap().cells(), cells);
}

#[test]
fn bad_grids_name_the_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(grid_file(dir.path())).unwrap();
    let p = dir.path().join("grid.yaml");
    let cases: &[(&str, &str, &[&str])] = &[
        ("seeds: [7, 8]", "seed: [7, 8]", &["seed"]),
        ("fleet.pools.h100.count", "fleet.pools.a100.count", &["parameters.fleet.pools.a100.count[0]", "no pool"]),
        ("[12, 16]", "[12, many]", &["parameters.fleet.pools.h100.count[1]", "many"]),
        ("[12, 16]", "[12, 12]", &["`12` listed twice"]),
        ("seeds: [7, 8]", "seeds: 0", &["seeds: at least 1"]),
        ("fleet.pools.h100.count: [12, 16]", "seed: [1, 2]", &["parameters.seed", "seeds:"]),
        ("kube-default.yaml", "nope.yaml", &["scenarios[1]", "nope.yaml"]),
        (
            "fleet.pools.h100.count: [12, 16]",
            "queues.prod.weight: [1]\n  queues.prod.weight: [2]",
            &["duplicate mapping key", "line 4"],
        ),
    ];
    for (from, to, needles) in cases {
        std::fs::write(&p, good.replace(from, to)).unwrap();
        let e = Grid::load(&p).unwrap_err();
        assert!(e.contains("grid.yaml"), "{to}: {e}");
        for n in *needles {
            assert!(e.contains(n), "{to}: `{n}` not in: {e}");
        }
        // The command exits 2 on it.
        let (code, _, err) = tephra(&["sweep", s(&p), "--out", s(&dir.path().join("o")), "--quiet"], &[]);
        assert_eq!(code, 2, "{err}");
    }
}

#[test]
fn thread_count_does_not_change_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let grid = grid_file(dir.path());
    let mut tables = Vec::new();
    for threads in ["1", "2", "3"] {
        let out = dir.path().join(format!("t{threads}"));
        sweep(&grid, &out, &["--quiet"], &[("RAYON_NUM_THREADS", threads)]);
        tables.push(std::fs::read_to_string(out.join("results.csv")).unwrap());
    }
    assert_eq!(tables[0], tables[1]);
    assert_eq!(tables[0], tables[2]);
    let lines: Vec<&str> = tables[0].lines().collect();
    assert_eq!(lines.len(), 9);
    assert!(lines[0].starts_with("index,cell,scenario,fleet.pools.h100.count,seed,jobs.submitted,jobs.completed,"));
    // Cell 2 is the CI scenario as written (16 H100 nodes, seed 7): its allocation is the one
    // `tephra run scenarios/ci/volcano-default.yaml` reports (the committed CI baseline's value).
    assert!(lines[3].starts_with("2,"), "{}", lines[3]);
    assert!(lines[3].contains(",ci-volcano-default,16,7,400,400,0,0.305749,"), "{}", lines[3]);
}

#[test]
fn resume_skips_finished_cells_and_ends_with_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let grid = grid_file(dir.path());
    let full_dir = dir.path().join("full");
    sweep(&grid, &full_dir, &["--quiet"], &[]);
    let full = std::fs::read_to_string(full_dir.join("results.csv")).unwrap();

    // An interrupted sweep: cells 0, 5 and 3 finished (completion order), then a torn row.
    let lines: Vec<&str> = full.lines().collect();
    let out = dir.path().join("resumed");
    std::fs::create_dir_all(&out).unwrap();
    let torn = format!("{}\n{}\n{}\n{}\n{}", lines[0], lines[1], lines[6], lines[4], &lines[2][..20]);
    std::fs::write(out.join("results.csv"), torn).unwrap();
    let said = sweep(&grid, &out, &[], &[]);
    assert!(said.contains("8 cells (5 run now, 3 skipped"), "{said}");
    assert_eq!(std::fs::read_to_string(out.join("results.csv")).unwrap(), full);

    // Finished cells are really skipped: a marked row survives a rerun untouched.
    let marked = full.replacen(",400,400,0,", ",400,399,0,", 1);
    std::fs::write(out.join("results.csv"), &marked).unwrap();
    let said = sweep(&grid, &out, &[], &[]);
    assert!(said.contains("(0 run now, 8 skipped"), "{said}");
    assert_eq!(std::fs::read_to_string(out.join("results.csv")).unwrap(), marked);

    // The grid grows (a value added in the middle of an axis): the 8 finished cells keep their
    // rows under their new indices, the 4 new ones run, and the table equals a fresh run's.
    std::fs::write(out.join("results.csv"), &full).unwrap();
    let grown = dir.path().join("grown.yaml");
    std::fs::write(&grown, std::fs::read_to_string(&grid).unwrap().replace("[12, 16]", "[12, 14, 16]")).unwrap();
    let said = sweep(&grown, &out, &[], &[]);
    assert!(said.contains("12 cells (4 run now, 8 skipped"), "{said}");
    let fresh = dir.path().join("fresh");
    sweep(&grown, &fresh, &["--quiet"], &[]);
    assert_eq!(
        std::fs::read_to_string(out.join("results.csv")).unwrap(),
        std::fs::read_to_string(fresh.join("results.csv")).unwrap()
    );

    // A results file from another grid is refused rather than mixed.
    let other = dir.path().join("other.yaml");
    std::fs::write(&other, std::fs::read_to_string(&grid).unwrap().replace("[12, 16]", "[12, 14]")).unwrap();
    let (code, _, err) = tephra(&["sweep", s(&other), "--out", s(&full_dir), "--quiet"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("results.csv") && err.contains("not a cell of this shard"), "{err}");
}

#[test]
fn shards_merged_equal_one_unsharded_run() {
    let dir = tempfile::tempdir().unwrap();
    let grid = grid_file(dir.path());
    let whole = dir.path().join("whole");
    sweep(&grid, &whole, &["--quiet"], &[]);
    let want = std::fs::read(whole.join("results.csv")).unwrap();

    // Three pods sharing one folder: shard 0 by flag, shards 1 and 2 by $TEPHRA_SHARD.
    let shared = dir.path().join("shared");
    sweep(&grid, &shared, &["--quiet", "--shard", "0/3"], &[]);
    sweep(&grid, &shared, &["--quiet"], &[("TEPHRA_SHARD", "1/3")]);
    sweep(&grid, &shared, &["--quiet"], &[("TEPHRA_SHARD", "2/3")]);
    let shard1 = std::fs::read_to_string(shared.join("results-shard-1-of-3.csv")).unwrap();
    let idx: Vec<&str> = shard1.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(idx, vec!["1", "4", "7"]);

    let merged = dir.path().join("merged.csv");
    let (code, said, err) = tephra(&["merge", s(&shared), "--out", s(&merged)], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(said.contains("8 cells from 3 files (0 duplicates"), "{said}");
    assert_eq!(std::fs::read(&merged).unwrap(), want);

    // With the grid: complete (exit 0); without shard 2's file, its cells are missing (exit 1).
    let (code, _, err) = tephra(&["merge", s(&shared), "--grid", s(&grid), "--out", s(&merged)], &[]);
    assert_eq!(code, 0, "{err}");
    let two = [shared.join("results-shard-0-of-3.csv"), shared.join("results-shard-1-of-3.csv")];
    let (code, _, err) = tephra(&["merge", s(&two[0]), s(&two[1]), "--grid", s(&grid), "--out", s(&merged)], &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("2 cells of the grid are missing (indices 2, 5)"), "{err}");

    // Overlapping inputs: identical rows are kept once.
    let (code, said, err) = tephra(&["merge", s(&shared), s(&whole), "--out", s(&merged)], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(said.contains("8 cells from 4 files (8 duplicates"), "{said}");
    assert_eq!(std::fs::read(&merged).unwrap(), want);

    // Two different results for one cell: an error naming both files.
    let text = String::from_utf8(want.clone()).unwrap();
    let conflict = dir.path().join("conflict.csv");
    std::fs::write(&conflict, text.replacen(",400,400,0,", ",400,399,0,", 1)).unwrap();
    let (code, _, err) = tephra(&["merge", s(&whole), s(&conflict), "--out", s(&merged)], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("conflict.csv") && err.contains("results.csv") && err.contains("different results"), "{err}");

    // Files that are not results tables: bad input (exit 2) naming the file, and nothing written.
    std::fs::remove_file(&merged).unwrap();
    for (name, text) in [("junk.csv", "{bad"), ("other.csv", "a,b,c\n1,2,3\n"), ("header-only.csv", "x,y\n")] {
        let junk = dir.path().join(name);
        std::fs::write(&junk, text).unwrap();
        let (code, _, err) = tephra(&["merge", s(&whole), s(&junk), "--out", s(&merged)], &[]);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.contains(name) && err.contains("not a tephra sweep results table"), "{name}: {err}");
        assert!(!merged.exists(), "{name}");
    }
}

/// A default build writes no Parquet; asking `merge` for a `.parquet` table says how to get one
/// instead of writing CSV text into a file named .parquet (tests/parquet.rs covers the feature).
#[cfg(not(feature = "analytics"))]
#[test]
fn merge_to_parquet_needs_the_analytics_feature() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("results.csv");
    std::fs::write(&table, "index,cell,scenario,seed\n0,ab,q,1\n").unwrap();
    let out = dir.path().join("merged.parquet");
    let (code, _, err) = tephra(&["merge", s(&table), "--out", s(&out)], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("merged.parquet") && err.contains("--features analytics"), "{err}");
    assert!(!out.exists());
}

#[test]
fn deploy_manifests_parse() {
    for f in ["deploy/volcano-job.yaml", "deploy/indexed-job.yaml"] {
        let text = std::fs::read_to_string(root().join(f)).unwrap();
        let v: serde_json::Value = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(v["kind"].is_string() && v["spec"].is_object(), "{f}");
        assert!(text.contains("tephra sweep") && text.contains("--shard"), "{f}");
    }
    let v: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(root().join("deploy/volcano-job.yaml")).unwrap()).unwrap();
    assert_eq!(v["apiVersion"], "batch.volcano.sh/v1alpha1");
    let v: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(root().join("deploy/indexed-job.yaml")).unwrap()).unwrap();
    assert_eq!(v["spec"]["completionMode"], "Indexed");
}
