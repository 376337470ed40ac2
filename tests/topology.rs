//! HyperNode topology end to end: the scenario forms (regular shape, explicit list, Lingjun file),
//! scenario defaults for the job constraint, the outputs that appear only with a topology, and bad
//! input naming the file and line.

mod common;

use tephra::runner::{RunOptions, run};

const FLEET: &str = "name: t\nfleet:\n  pools:\n    - { name: gpu, count: 4, cpu: 64, memory: 512Gi, gpu: { model: H100, count: 8 } }\n";
const SCHED: &str = "workload: { trace: trace.csv }\nscheduler:\n  node_scan: exhaustive\n  inline:\n    actions: allocate\n    tiers:\n      - plugins: [ { name: gang }, { name: predicates }, { name: network-topology-aware } ]\nrun: { pod_startup: 0s, controller_delay: 0s, decisions: true }\n";

/// Writes the scenario and a trace with the `annotations` column (rows without one get it empty).
fn write(dir: &std::path::Path, yaml: &str, rows: &str) -> std::path::PathBuf {
    let mut trace = common::HEADER.trim_end().to_string() + ",annotations\n";
    for row in rows.lines() {
        trace += row;
        if row.split(',').count() == 12 {
            trace += ",";
        }
        trace += "\n";
    }
    std::fs::write(dir.join("trace.csv"), trace).unwrap();
    let path = dir.join("scenario.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

fn load_err(yaml: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), yaml, "a,0,10,q,0,w,1,1,1,1Gi,1,\n");
    tephra::scenario::load(&path).unwrap_err().to_string()
}

fn binds(yaml: &str, trace: &str) -> (Vec<String>, tephra::runner::RunOutput) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), yaml, trace);
    let out = common::run_checked(&path);
    let lines = out.decisions.iter().map(|d| d.line()).filter(|l| l.contains(" bind ")).collect();
    (lines, out)
}

#[test]
fn explicit_hypernodes_and_a_scenario_default_keep_a_gang_in_one_leaf() {
    // Leaves {000, 003} and {001, 002}: a lowest-id scan would take 000 and 001 (two leaves).
    let yaml = format!(
        "{FLEET}  topology:\n    hypernodes:\n      - {{ name: a, tier: 1, tier_name: leaf, nodes: [gpu-000, gpu-003] }}\n      - {{ name: b, tier: 1, tier_name: leaf, nodes: [gpu-001, gpu-002] }}\n      - {{ name: s, tier: 2, hypernodes: [a, b] }}\n{}",
        SCHED.replace(
            "trace: trace.csv }",
            "trace: trace.csv, network_topology: { mode: hard, highestTierName: leaf } }"
        )
    );
    let (b, out) = binds(&yaml, "g,0,10,q,0,w,2,2,8,64Gi,8,\n");
    // Both leaves qualify and score the same: the first by name, `a`.
    assert_eq!(b, ["1s bind g-w-0 gpu-000", "1s bind g-w-1 gpu-003"]);
    assert_eq!(out.jobs[0].topology_tier.as_deref(), Some("1"));
    let t = out.summary.topology.as_ref().expect("a topology summary");
    assert_eq!((t.gangs_placed, t.within_one_tier1_domain), (1, 1.0));
    assert_eq!((t.multi_pod_gangs_placed, t.multi_pod_within_one_tier1_domain), (1, Some(1.0)));
}

/// Single-pod jobs always sit in one leaf: the packing share of gangs counts only jobs of more
/// than one pod (`multi_pod_*`), next to the all-jobs share.
#[test]
fn single_pod_jobs_do_not_count_as_packed_gangs() {
    let yaml = format!(
        "{FLEET}  topology:\n    hypernodes:\n      - {{ name: a, tier: 1, tier_name: leaf, nodes: [gpu-000, gpu-003] }}\n      - {{ name: b, tier: 1, tier_name: leaf, nodes: [gpu-001, gpu-002] }}\n      - {{ name: s, tier: 2, hypernodes: [a, b] }}\n{}",
        SCHED.replace(", { name: network-topology-aware }", "")
    );
    // No topology plugin: the gang takes the lowest ids, gpu-000 (leaf a) and gpu-001 (leaf b).
    let (b, out) =
        binds(&yaml, "g,0,10,q,0,w,2,2,8,64Gi,8,\ns1,0,10,q,0,w,1,1,8,64Gi,8,\ns2,0,10,q,0,w,1,1,8,64Gi,8,\n");
    assert_eq!(
        b,
        ["1s bind g-w-0 gpu-000", "1s bind g-w-1 gpu-001", "1s bind s1-w-0 gpu-002", "1s bind s2-w-0 gpu-003"]
    );
    let t = out.summary.topology.as_ref().expect("a topology summary");
    // All jobs: s1 and s2 in one leaf each, g across two: 2 of 3.
    assert_eq!((t.gangs_placed, t.within_one_tier1_domain), (3, 0.666667));
    // Jobs of more than one pod: g only, not in one leaf.
    assert_eq!((t.multi_pod_gangs_placed, t.multi_pod_within_one_tier1_domain), (1, Some(0.0)));
    assert_eq!(t.by_highest_tier.get("2"), Some(&1));
    assert_eq!(t.by_highest_tier.get("1"), Some(&2));
}

#[test]
fn a_job_annotation_overrides_the_default_and_per_pool_shapes_stay_inside_pools() {
    let fleet = FLEET.replace(
        "    - { name: gpu, count: 4,",
        "    - { name: p, count: 2, cpu: 64, memory: 512Gi, gpu: { model: H100, count: 8 } }\n    - { name: gpu, count: 2,",
    );
    // per_pool: leaves p-leaf-0 {p-000, p-001}, gpu-leaf-0 {gpu-000, gpu-001}; no common spine.
    let yaml = format!(
        "{fleet}  topology: {{ per_pool: true, tiers: [ {{ name: leaf, nodes_per: 2 }} ] }}\n{}",
        SCHED.replace(
            "trace: trace.csv }",
            "trace: trace.csv, network_topology: { mode: hard, highestTierAllowed: 1 } }"
        )
    );
    // A 3-pod gang fits no leaf: the default (hard, tier 1) keeps it pending, while the same gang
    // annotated soft spans both pools.
    let trace = "hard,0,10,q,0,w,3,3,8,64Gi,8,\nsoft,0,10,q,0,w,3,3,8,64Gi,8,,volcano.sh/network-topology-mode=soft\n";
    let (b, out) = binds(&yaml, trace);
    assert_eq!(b, ["1s bind soft-w-0 p-000", "1s bind soft-w-1 p-001", "1s bind soft-w-2 gpu-000"]);
    assert!(out.jobs[0].reason.contains("network topology (hard, highest tier 1)"), "{}", out.jobs[0].reason);
    assert_eq!(out.jobs[0].topology_tier.as_deref(), Some(""));
    assert_eq!(out.jobs[1].topology_tier.as_deref(), Some("cluster"));
}

#[test]
fn outputs_without_a_topology_have_no_topology_fields() {
    let yaml = format!("{FLEET}{SCHED}");
    let (b, out) = binds(&yaml, "g,0,10,q,0,w,2,2,8,64Gi,8,,volcano.sh/network-topology-mode=hard\n");
    // Without HyperNodes the constraint has nothing to act on (Volcano's virtual root holds all).
    assert_eq!(b, ["1s bind g-w-0 gpu-000", "1s bind g-w-1 gpu-001"]);
    assert!(out.summary.topology.is_none() && out.jobs[0].topology_tier.is_none());
    let json = serde_json::to_string(&out.summary).unwrap();
    assert!(!json.contains("topology"), "{json}");
}

#[test]
fn the_topology_scenario_runs_on_the_lingjun_excerpt() {
    let sc = tephra::scenario::load(&common::repo().join("scenarios/topology.yaml")).unwrap();
    let topo = sc.topology.as_ref().unwrap();
    // 12 ToRs, 3 aggregation switches, 1 core switch, the virtual root.
    assert_eq!(topo.hypernodes.len(), 17);
    assert_eq!((topo.min_tier, topo.max_tier), (1, 3));
    let out = run(&sc, &RunOptions::default(), |_| {}).unwrap();
    assert_eq!(out.summary.jobs.completed, 600);
    // Hard gangs of up to 8 pods never leave their ToR; those of 16 never leave their PSW.
    for r in out.jobs.iter().filter(|r| r.job.starts_with("hard-") && r.pods > 1) {
        let want = if r.pods <= 8 { "1" } else { "2" };
        assert_eq!(r.topology_tier.as_deref(), Some(want), "{}", r.job);
    }
}

#[test]
fn bad_topologies_name_the_file_line_and_field() {
    let cases = [
        ("  topology: { tiers: [ { name: leaf, children_per: 2 } ] }\n", "tier 1 takes `nodes_per`"),
        ("  topology: { tiers: [ { name: leaf, nodes_per: 2 } ], hypernodes: [] }\n", "exactly one of"),
        ("  topology: { hypernodes: [ { name: a, tier: 1, nodes: [gpu-009] } ] }\n", "`gpu-009` is not in the fleet"),
        ("  topology: { file: nowhere.csv, format: lingjun }\n", "`nowhere.csv` not found"),
        ("  topology: { file: trace.csv, format: xml }\n", "`xml` is not supported"),
        ("  topology: { tiers: [ { name: leaf, nodes_per: 2, size: 3 } ] }\n", "size"),
    ];
    for (topology, want) in cases {
        let e = load_err(&format!("{FLEET}{topology}{SCHED}"));
        assert!(e.contains("scenario.yaml") && e.contains(want), "{want}: {e}");
        if !want.contains("size") {
            assert!(e.contains("scenario.yaml:5:"), "{e}");
        }
    }
    let e = load_err(&format!(
        "{FLEET}  topology: {{ tiers: [ {{ name: leaf, nodes_per: 2 }} ] }}\n{}",
        SCHED.replace(
            "trace: trace.csv }",
            "trace: trace.csv, network_topology: { mode: hard, highestTierName: spine } }"
        )
    ));
    assert!(e.contains("no tier is named `spine`"), "{e}");
    let e = load_err(&format!(
        "{FLEET}{}",
        SCHED.replace("trace: trace.csv }", "trace: trace.csv, network_topology: { mode: strict } }")
    ));
    assert!(e.contains("`strict` is not hard or soft"), "{e}");
}

#[test]
fn a_bad_topology_annotation_names_the_trace_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        &format!("{FLEET}{SCHED}"),
        "a,0,10,q,0,w,1,1,1,1Gi,1,,volcano.sh/network-topology-highest-tier=spine\n",
    );
    let sc = tephra::scenario::load(&path).unwrap();
    let e = sc.load_jobs().unwrap_err().to_string();
    assert!(e.contains("trace.csv:2") && e.contains("network-topology-highest-tier"), "{e}");
}
