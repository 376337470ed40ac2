//! `tephra plan` on scenarios whose answers are known by hand.
//!
//! Threshold scenario: six jobs, each one whole 8-GPU node for an hour, all submitted at 0 s. With
//! k ≥ 6 GPU nodes every job binds in the first cycle (queueing delay ≈ 1 s); with k ≤ 5 one job
//! waits for a node to free, over an hour. So `max_queue_delay <= 10m` holds exactly from k = 6.

mod common;

use std::path::Path;
use std::process::Command;
use tephra::plan::{self, Method, PlanSpec};

const YAML: &str = "name: threshold
seed: 3
fleet:
  pools:
    - { name: gpu, count: 1, cpu: 64, memory: 512Gi, gpu: { model: H100-80G, count: 8 }, cost: { per_node_hour: 2.5 } }
    - { name: cpu, count: 2, cpu: 64, memory: 256Gi }
workload: { trace: trace.csv }
run: { until: drained, pod_startup: 5s }
";

fn six_jobs() -> String {
    (0..6).map(|i| format!("j{i},0,3600,default,0,w,1,1,8,32Gi,8,\n")).collect()
}

fn spec(vary: &[&str], objective: &str, growth: Vec<f64>, method: Option<Method>) -> PlanSpec {
    PlanSpec {
        variables: vary.iter().map(|v| plan::parse_vary(v).unwrap()).collect(),
        objective: plan::parse_constraint(objective).unwrap(),
        constraints: vec![],
        seeds: 2,
        growth,
        method,
    }
}

fn tephra(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tephra")).args(args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// (probe order, node count, meets) of every evaluated point, in probe order.
fn probes(r: &plan::GrowthResult) -> Vec<(usize, &str, bool)> {
    let mut probes: Vec<(usize, &str, bool)> =
        r.points.iter().map(|p| (p.probe, p.values[0].as_str(), p.meets)).collect();
    probes.sort();
    probes
}

#[test]
fn bisection_finds_the_exact_smallest_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::write_scenario(dir.path(), YAML, &six_jobs());
    let sc = tephra::scenario::load(&path).unwrap();
    let s = spec(&["fleet.pools.gpu.count=1..20"], "max_queue_delay <= 10m", vec![1.0], None);
    assert_eq!(s.method().unwrap(), Method::Bisection);
    let r = &plan::search(&sc, &s, &|_| {}).unwrap()[0];
    let best = &r.points[r.recommended.unwrap()];
    assert_eq!(best.values, ["6"]);
    // 6 GPU nodes × 2.5 + the 2 CPU nodes at the default 1 per node-hour.
    assert_eq!(best.cost_per_hour, 17.0);
    assert!(best.meets_every_seed);
    // Probes by hand over values 1..20 (indices 0..19): 20 meets, 1 fails, then 10, 5, 7, 6.
    let probes = probes(r);
    assert_eq!(
        probes,
        [(1, "20", true), (2, "1", false), (3, "10", true), (4, "5", false), (5, "7", true), (6, "6", true)]
    );
    // 5 nodes: the sixth job waits for the first to finish (3600 s + start-up), far over 10 min.
    let five = r.points.iter().find(|p| p.values[0] == "5").unwrap();
    assert!(five.medians[0] > 3600.0, "{}", five.medians[0]);
}

#[test]
fn bisection_handles_constraints_that_more_nodes_hurt() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::write_scenario(dir.path(), YAML, &six_jobs());
    let sc = tephra::scenario::load(&path).unwrap();
    // Delay holds from 6 nodes up; allocation ≥ 90 % holds up to 6 nodes (6 busy of k ≈ 6/k), so
    // exactly 6 meets both. Bisection runs on the delay alone (same probes as above), and the
    // smallest count meeting it must also meet the allocation floor.
    let mut s = spec(&["fleet.pools.gpu.count=1..20"], "max_queue_delay <= 10m", vec![1.0], None);
    s.constraints = vec![plan::parse_constraint("gpu_allocation >= 90%").unwrap()];
    assert_eq!(s.method().unwrap(), Method::Bisection);
    let r = &plan::search(&sc, &s, &|_| {}).unwrap()[0];
    assert_eq!(r.points[r.recommended.unwrap()].values, ["6"]);
    let probes = probes(r);
    // 20, 10 and 7 meet the delay but sit under 90 % allocation (6/20, 6/10, 6/7).
    assert_eq!(
        probes,
        [(1, "20", false), (2, "1", false), (3, "10", false), (4, "5", false), (5, "7", false), (6, "6", true)]
    );

    // Only a floor on allocation: the smallest count is the answer (it failed before: 20 nodes
    // were evaluated first, missed the floor, and nothing smaller was tried).
    let s = spec(&["fleet.pools.gpu.count=1..20"], "gpu_allocation >= 50%", vec![1.0], None);
    let r = &plan::search(&sc, &s, &|_| {}).unwrap()[0];
    assert_eq!(r.points[r.recommended.unwrap()].values, ["1"]);

    // A metric of unknown trend: grid by default, and a forced bisection is refused.
    let s = spec(&["fleet.pools.gpu.count=1..3"], "binds >= 1", vec![1.0], None);
    assert_eq!(s.method().unwrap(), Method::Grid);
    let s = spec(&["fleet.pools.gpu.count=1..3"], "binds >= 1", vec![1.0], Some(Method::Bisection));
    assert!(s.method().unwrap_err().to_string().contains("use --search grid"));
}

#[test]
fn grid_over_two_pools_picks_the_cheapest_and_agrees_with_bisection() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::write_scenario(dir.path(), YAML, &six_jobs());
    let sc = tephra::scenario::load(&path).unwrap();
    let s =
        spec(&["fleet.pools.gpu.count=4..7", "fleet.pools.cpu.count=0,2"], "max_queue_delay <= 10m", vec![1.0], None);
    assert_eq!(s.method().unwrap(), Method::Grid);
    let r = &plan::search(&sc, &s, &|_| {}).unwrap()[0];
    assert_eq!(r.points.len(), 8);
    let best = &r.points[r.recommended.unwrap()];
    assert_eq!((best.values.clone(), best.cost_per_hour), (vec!["6".to_string(), "0".to_string()], 15.0));
    // Points come cheapest first: 4 GPU nodes and no CPU nodes (cost 10) lead.
    assert_eq!(r.points[0].values, ["4", "0"]);
    assert_eq!(r.points.iter().filter(|p| p.meets).count(), 4, "6 and 7 GPU nodes, with 0 or 2 CPU nodes");
}

#[test]
fn growth_compresses_submit_times_and_needs_more_nodes() {
    let dir = tempfile::tempdir().unwrap();
    // Ten one-node jobs of 50 s arriving every 100 s from t = 10 s.
    let rows: String = (0..10).map(|i| format!("j{i},{},50,default,0,w,1,1,8,32Gi,8,\n", 10 + 100 * i)).collect();
    let path = common::write_scenario(dir.path(), YAML, &rows);
    let mut sc = tephra::scenario::load(&path).unwrap();
    let set = tephra::experiment::overrides::parse("workload.arrival_scale=2").unwrap();
    let mut fast = sc.clone();
    tephra::experiment::overrides::apply(&mut fast, &set[0]).unwrap();
    let submits: Vec<u64> = fast.load_jobs().unwrap().iter().map(|j| j.submit.0).collect();
    assert_eq!(&submits[..3], [10_000, 60_000, 110_000], "first + (t - first) / 2");
    assert_eq!(submits[9], 460_000);
    let bad = tephra::experiment::overrides::parse("workload.arrival_scale=0").unwrap();
    assert!(tephra::experiment::overrides::apply(&mut sc, &bad[0]).unwrap_err().to_string().contains("positive"));

    // ×1: each job ends (≈ 56 s after submit) before the next arrives: one node. ×2: a job every
    // 50 s holds a node ≈ 56 s, so waits pile up on one node (≈ 6 s more per job, the tenth over
    // 20 s); two nodes alternate and never wait.
    let s = spec(&["fleet.pools.gpu.count=1..4"], "max_queue_delay <= 20s", vec![1.0, 2.0], None);
    let results = plan::search(&sc, &s, &|_| {}).unwrap();
    let answer: Vec<(f64, &str)> =
        results.iter().map(|r| (r.growth, r.points[r.recommended.unwrap()].values[0].as_str())).collect();
    assert_eq!(answer, [(1.0, "1"), (2.0, "2")]);
}

#[test]
fn deterministic_reports_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::write_scenario(dir.path(), YAML, &six_jobs());
    let p = path.to_str().unwrap();
    let run = |out: &Path, objective: &str| {
        tephra(&[
            "plan",
            p,
            "--vary",
            "fleet.pools.gpu.count=2..8:2",
            "--objective",
            objective,
            "--seeds",
            "2",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let (code, _, err) = run(&a, "max_queue_delay <= 10m");
    assert_eq!(code, 0, "{err}");
    assert_eq!(run(&b, "max_queue_delay <= 10m").0, 0);
    for f in ["plan.json", "plan.md", "frontier.svg", "frontier.png"] {
        assert_eq!(std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap(), "{f} differs");
    }
    let md = std::fs::read_to_string(a.join("plan.md")).unwrap();
    assert!(md.contains("| 6 | 17 |"), "{md}");
    assert!(md.contains("**yes — recommended**"), "{md}");

    // No fleet in range meets an impossible objective: exit 1, and the plan says so.
    let (code, _, _) = run(&a, "max_queue_delay <= 0");
    assert_eq!(code, 1);
    let json = std::fs::read_to_string(a.join("plan.json")).unwrap();
    assert!(json.contains("\"met\": false"), "{json}");

    // Bad input: exit 2 with a message naming the problem.
    let (code, _, err) = run(&a, "p95_delay <= 1h");
    assert_eq!(code, 2);
    assert!(err.contains("unknown metric `p95_delay`"), "{err}");
    let (code, _, err) = tephra(&["plan", p, "--vary", "fleet.pools.nope.count=1..3", "--objective", "makespan <= 1h"]);
    assert_eq!(code, 2);
    assert!(err.contains("no pool `nope`"), "{err}");
}
