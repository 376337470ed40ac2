//! Accelerator devices end to end: heterogeneous speeds (hand-computed finish times), per-card
//! invariants under a mixed sharing workload with preemption, card tracking that changes no
//! decision, fragmentation outputs only for sharing runs, and the inflate experiment on an openb
//! excerpt.

mod common;

use common::{repo, run_checked, write_scenario};

const ANN_HEADER: &str =
    "job_id,submit_s,duration_s,queue,priority,role,replicas,min_available,cpu,memory,gpu,gpu_model,annotations\n";

fn inline(tiers: &str) -> String {
    format!(
        "scheduler:\n  node_scan: exhaustive\n  inline:\n    actions: \"enqueue, allocate, preempt, backfill\"\n    tiers:\n{tiers}"
    )
}

/// K80 runs at 0.2972 of V100 (traces/gavel/gpu_speeds.csv). A 100 s job on the K80 node takes
/// ⌈100 000 ms / 0.297⌉ = 336 701 ms of wall time; on the V100, 100 s; a gang with one pod on
/// each runs at the slower speed.
#[test]
fn jobs_run_at_their_slowest_cards_speed() {
    let dir = tempfile::tempdir().unwrap();
    let speeds = repo().join("traces/gavel/gpu_speeds.csv");
    let yaml = format!(
        "name: speed\nfleet:\n  speeds: {}\n  pools:\n    - {{ name: k80, count: 1, cpu: 64, memory: 256Gi, gpu: {{ model: K80, count: 1 }} }}\n\
         \x20   - {{ name: v100, count: 1, cpu: 64, memory: 256Gi, gpu: {{ model: V100, count: 1 }} }}\n\
         workload: {{ trace: trace.csv }}\n{}run: {{ pod_startup: 0s, controller_delay: 0s }}\n",
        speeds.display(),
        inline(
            "      - plugins:\n        - name: priority\n        - name: gang\n      - plugins:\n        - name: predicates\n"
        )
    );
    let trace = "a,0,100,q,0,w,1,1,1,8Gi,1,K80\nb,0,100,q,0,w,1,1,1,8Gi,1,V100\nc,400,100,q,0,w,2,2,1,8Gi,1,K80|V100\n";
    let out = run_checked(&write_scenario(dir.path(), &yaml, trace));
    let t = common::timings(&out);
    assert_eq!(t[0], ("a", Some(1.0), Some(337.701)));
    assert_eq!(t[1], ("b", Some(1.0), Some(101.0)));
    assert_eq!(t[2], ("c", Some(401.0), Some(737.701)));
}

/// A mixed workload — whole cards, milli-GPU shares, gpu-memory shares, priorities that preempt —
/// with every invariant (card holdings = the sum of their holders, no card over 100 %) checked after
/// every event; everything completes and the fragmentation outputs appear.
#[test]
fn sharing_workload_keeps_every_card_within_its_capacity() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = String::new();
    let mut x: u64 = 7;
    let mut next = |m: u64| {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (x >> 33) % m
    };
    for j in 0..80 {
        let submit = next(600);
        let dur = 30 + next(300);
        let prio = if next(4) == 0 { 100 } else { 0 };
        let (gpu, ann) = match next(4) {
            0 => (format!("{}", 1 + next(2)), String::new()),
            1 => (format!("0.{}", 1 + next(9)), String::new()),
            2 => ("0".to_string(), format!("volcano.sh/gpu-memory={}", 1024 * (1 + next(15)))),
            _ => (format!("0.{}", 2 + next(7)), String::new()),
        };
        let replicas = 1 + next(2);
        rows.push_str(&format!("j{j},{submit},{dur},q,{prio},w,{replicas},{replicas},2,8Gi,{gpu},,{ann}\n"));
    }
    std::fs::write(dir.path().join("trace.csv"), format!("{ANN_HEADER}{rows}")).unwrap();
    let yaml = format!(
        "name: share\nfleet:\n  pools:\n    - {{ name: t4, count: 3, cpu: 64, memory: 256Gi, gpu: {{ model: T4, count: 2, memory: 16Gi }} }}\n\
         workload: {{ trace: trace.csv }}\n{}run: {{ pod_startup: 2s, controller_delay: 0s }}\n",
        inline(
            "      - plugins:\n        - name: priority\n        - name: gang\n        - name: conformance\n\
             \x20     - plugins:\n        - name: drf\n        - name: predicates\n        - name: proportion\n        - name: fgd\n\
             \x20       - name: deviceshare\n          arguments: { deviceshare.GPUSharingEnable: true }\n"
        )
    );
    let path = dir.path().join("scenario.yaml");
    std::fs::write(&path, yaml).unwrap();
    let out = run_checked(&path);
    assert_eq!(out.summary.jobs.completed, 80, "{:?}", out.summary.jobs);
    assert!(out.summary.fragmentation.is_some());
    assert!(!out.fragmentation.is_empty());
    assert!(out.fragmentation.iter().all(|r| (0.0..=100.0).contains(&r.frag_rate_pct)));
    assert_eq!(out.state.devices.misses, 0);
}

/// Tracking cards (`fleet.track_cards`) on a whole-card workload records each pod's cards in the
/// decision log and changes no decision or figure; no fragmentation output appears.
#[test]
fn tracking_whole_cards_changes_nothing_but_the_log() {
    let trace = "a,0,100,q,0,w,2,2,8,64Gi,4,\nb,0,50,q,0,w,3,3,8,64Gi,2,\nc,10,80,q,0,w,1,1,8,64Gi,8,\n";
    let yaml = |track: bool| {
        format!(
            "name: t\nfleet:\n  track_cards: {track}\n  pools:\n    - {{ name: gpu, count: 2, cpu: 64, memory: 512Gi, gpu: {{ model: H100, count: 8 }} }}\n\
             workload: {{ trace: trace.csv }}\n{}run: {{ pod_startup: 0s, controller_delay: 0s }}\n",
            inline(
                "      - plugins:\n        - name: priority\n        - name: gang\n      - plugins:\n        - name: predicates\n        - name: binpack\n"
            )
        )
    };
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let plain = run_checked(&write_scenario(d1.path(), &yaml(false), trace));
    let tracked = run_checked(&write_scenario(d2.path(), &yaml(true), trace));
    assert_eq!(common::timings(&plain), common::timings(&tracked));
    let strip = |s: &str| s.split('[').next().unwrap().to_string();
    let lines = |o: &tephra::runner::RunOutput| o.decisions.iter().map(|d| strip(&d.line())).collect::<Vec<_>>();
    assert_eq!(lines(&plain), lines(&tracked));
    let binds: Vec<String> = tracked.decisions.iter().filter(|d| d.kind == "bind").map(|d| d.line()).collect();
    assert_eq!(binds[0], "1s bind a-w-0 gpu-000[0,1,2,3]");
    assert_eq!(binds[1], "1s bind a-w-1 gpu-000[4,5,6,7]");
    assert!(plain.summary.fragmentation.is_none() && tracked.summary.fragmentation.is_none());
}

/// An inflate scenario on the openb excerpt (target 120 %, 5 % steps) with `seeds`, written into
/// `dir`: its text and path.
fn inflate_scenario(dir: &std::path::Path, seeds: &str) -> (String, std::path::PathBuf) {
    let data = repo().join("tests/data");
    let yaml = format!(
        "name: inf\nfleet:\n  node_list: {}\nworkload:\n  trace: {}\n  format: openb\nrun:\n  mode: inflate\n  inflate: {{ target: 1.2, seeds: [{seeds}], step_pct: 5 }}\n",
        data.join("openb_nodes_excerpt.csv").display(),
        data.join("openb_pods_excerpt.csv").display()
    );
    let path = dir.join("s.yaml");
    std::fs::write(&path, &yaml).unwrap();
    (yaml, path)
}

/// The packing experiment on an openb excerpt: curves for every policy reach the target, never
/// allocate more than arrived or than capacity, and the scenario errors name their line.
#[test]
fn inflate_on_an_openb_excerpt() {
    let dir = tempfile::tempdir().unwrap();
    let (yaml, path) = inflate_scenario(dir.path(), "1, 2, 3");
    let sc = tephra::scenario::load(&path).unwrap();
    let settings = sc.inflate.clone().unwrap();
    assert_eq!(settings.policies.len(), 6);
    let pods = tephra::trace::openb::read_pods(&sc.trace).unwrap();
    let exp = tephra::sim::inflate::Experiment::new(sc.nodes.as_deref().unwrap(), &pods, settings.typical_share);
    let points = tephra::sim::inflate::run_all(&exp, &settings);
    for p in &points {
        assert!(p.alloc_pct <= p.arrived_pct + 1e-9 && p.alloc_pct <= 100.0, "{p:?}");
    }
    let summary = tephra::sim::inflate::summarize(&points, &settings);
    assert_eq!(summary.iter().filter(|s| s.arrived_pct == 120.0).count(), 6);
    assert!(summary.iter().all(|s| s.seeds == 3));

    // The same fleet as pools runs the discrete-event simulator (each pod a one-pod job).
    assert_eq!(sc.pools.iter().map(|p| p.1).sum::<u32>(), 13);
    assert_eq!(sc.pools[0].0.name, "P100-2x-64c");

    let bad = yaml.replace("  format: openb\n", "");
    std::fs::write(&path, bad).unwrap();
    let err = tephra::scenario::load(&path).unwrap_err().to_string();
    assert!(err.contains("run.mode: inflate needs fleet.node_list and workload.format: openb"), "{err}");
}

/// Bad device requests are errors naming the row.
#[test]
fn bad_device_requests_name_the_row() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.csv"),
        format!("{ANN_HEADER}a,0,10,q,0,w,1,1,1,1Gi,1,,volcano.sh/gpu-memory=1024\n"),
    )
    .unwrap();
    let err = tephra::trace::native::read(&dir.path().join("t.csv")).unwrap_err().to_string();
    assert!(err.contains(":2: annotations") && err.contains("gpu column and by annotation"), "{err}");
    std::fs::write(
        dir.path().join("t.csv"),
        format!("{ANN_HEADER}a,0,10,q,0,w,1,1,1,1Gi,0,,volcano.sh/vgpu-cores=150;volcano.sh/vgpu-number=1\n"),
    )
    .unwrap();
    let err = tephra::trace::native::read(&dir.path().join("t.csv")).unwrap_err().to_string();
    assert!(err.contains("vgpu-cores=150"), "{err}");
}

/// `tephra compare` on a packing experiment: variants are policies (a conf naming one of the six
/// node-order plugins, or `--set run.inflate.policy`), each curve family is exactly the curve
/// `tephra run` draws for that policy and seeds, and what would be ignored is an error.
#[test]
fn compare_runs_the_packing_experiment_per_policy() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path) = inflate_scenario(dir.path(), "7, 8, 9");
    let tephra = |args: &[&str]| std::process::Command::new(env!("CARGO_BIN_EXE_tephra")).args(args).output().unwrap();
    let conf = |p: &str| repo().join(format!("scenarios/conf/fgd-{p}.conf")).display().to_string();
    let s = path.to_str().unwrap();
    let out = dir.path().join("cmp");
    let o = tephra(&[
        "compare",
        s,
        "--conf",
        &conf("bestfit"),
        "--set",
        "run.inflate.policy=fgd",
        "--seeds",
        "2",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = std::fs::read_to_string(out.join("compare.csv")).unwrap();
    let firsts: Vec<String> =
        rows.lines().skip(1).map(|l| l.split(',').take(3).collect::<Vec<_>>().join(",")).collect();
    assert_eq!(firsts, ["fgd-bestfit,bestfit,2", "run.inflate.policy=fgd,fgd,2"]);
    for f in ["inflate_curves.csv", "inflate_summary.csv", "allocation.svg", "fragmentation.svg", "report.md"] {
        assert!(out.join(f).exists(), "{f}");
    }
    // The bestfit family is `tephra run --conf fgd-bestfit.conf` over the first two seeds (7, 8),
    // row for row, with the variant label in front.
    let summary = std::fs::read_to_string(out.join("inflate_summary.csv")).unwrap();
    for seed in ["7", "8"] {
        let r = dir.path().join(format!("run{seed}"));
        let o =
            tephra(&["run", s, "--conf", &conf("bestfit"), "--seed", seed, "--quiet", "--out", r.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let curve = std::fs::read_to_string(r.join("inflate_curves.csv")).unwrap();
        let cmp = std::fs::read_to_string(out.join("inflate_curves.csv")).unwrap();
        let mine: Vec<&str> = cmp
            .lines()
            .filter_map(|l| l.strip_prefix("fgd-bestfit,"))
            .filter(|l| l.split(',').nth(1) == Some(seed))
            .collect();
        assert_eq!(mine, curve.lines().skip(1).collect::<Vec<_>>());
    }
    assert!(summary.starts_with("variant,policy,arrived_pct,seeds,"));
    assert_eq!(summary.lines().filter(|l| l.starts_with("fgd-bestfit,bestfit,120.0,2,")).count(), 1);

    // No variants: one per policy of the scenario, every seed of it.
    let all = dir.path().join("all");
    let o = tephra(&["compare", s, "--quiet", "--out", all.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = std::fs::read_to_string(all.join("compare.csv")).unwrap();
    let names: Vec<&str> = rows.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(names, ["random", "dotprod", "clustering", "packing", "bestfit", "fgd"]);
    assert!(rows.lines().skip(1).all(|l| l.split(',').nth(2) == Some("3")));

    // What a packing experiment cannot honour is an error, not a silent ordinary run.
    let err = |args: &[&str]| {
        let o = tephra(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let volcano = repo().join("scenarios/conf/volcano-default.conf").display().to_string();
    assert!(err(&["compare", s, "--conf", &volcano]).contains("names none of the packing policies"));
    assert!(err(&["compare", s, "--set", "run.until=1h"]).contains("has no effect in run.mode: inflate"));
    assert!(err(&["compare", s, "--policy", "kube-default"]).contains("kube-default has no packing policy"));
    assert!(err(&["compare", s, "--set", "run.inflate.policy=worstfit"]).contains("`worstfit` is not one of"));
    assert!(err(&["run", s, "--decisions"]).contains("--decisions: has no effect in run.mode: inflate"));
    let sc = tephra::scenario::load(&path).unwrap();
    let e = tephra::runner::run(&sc, &Default::default(), |_| {}).err().unwrap().to_string();
    assert!(e.contains("run.mode: inflate is the packing experiment"), "{e}");
}

/// `compute_units` means AI cores of an Ascend 310P chip; on other cards it would have no effect,
/// so it is an error, as are 310P pools that disagree on it.
#[test]
fn compute_units_only_for_310p_and_one_value_per_fleet() {
    let dir = tempfile::tempdir().unwrap();
    let load = |pools: &str| {
        let yaml = format!("name: c\nfleet:\n  pools:\n{pools}workload: {{ trace: trace.csv }}\n");
        let path = write_scenario(dir.path(), &yaml, "a,0,10,q,0,w,1,1,1,1Gi,1,\n");
        tephra::scenario::load(&path).err().map(|e| e.to_string())
    };
    let e =
        load("    - { name: g, count: 1, cpu: 8, memory: 64Gi, gpu: { model: T4, count: 2, compute_units: 40 } }\n");
    assert!(e.unwrap().contains("pool `g`: compute_units applies to Ascend 310P cards only"));
    let e = load(
        "    - { name: p, count: 1, cpu: 8, memory: 64Gi, npu: { model: Ascend310P, count: 2, compute_units: 10 } }\n    - { name: q, count: 1, cpu: 8, memory: 64Gi, npu: { model: Ascend310P, count: 2 } }\n",
    );
    assert!(e.unwrap().contains("pools `p` and `q` have Ascend 310P chips of 10 and 8 AI cores"));
    assert!(load("    - { name: p, count: 1, cpu: 8, memory: 64Gi, npu: { model: Ascend310P, count: 2, compute_units: 10 } }\n").is_none());
}
