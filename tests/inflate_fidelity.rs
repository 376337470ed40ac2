//! The packing experiment against the FGD paper's own published curves: the artifact of Weng et
//! al. (ATC'23), kubernetes-scheduler-simulator `experiments/analysis/expected_results/
//! analysis_allo_discrete.csv`, which gives each policy's GPU allocation at every 1 % of arrived
//! workload for seeds 42 to 51. `traces/openb/fgd_artifact_alloc_130.csv` keeps that file's minimum
//! and maximum over the ten seeds at 130 % arrived; one tephra seed must land inside, widened by
//! half a point.
//!
//! The sharing-heavy list (gpushare100, every GPU pod a share of one card) is where a wrong tie
//! rule or clustering tag shows: before both were fixed, fgd reached 81.5 % there (the artifact
//! 86.7-87.2) and clustering 71.2 % (81.6-83.5).

mod common;

use tephra::sched::plugins::fgd::Policy;
use tephra::sim::inflate::{Experiment, InflateSettings, Ties, run_all};

/// GPU allocation (%) at 130 % arrived for each policy, seed 42, on `pods` (a file in
/// `traces/openb/`) over the paper's 1,213-node cluster.
fn allocation_at_130(pods: &str, policies: &[Policy], ties: Ties) -> Vec<f64> {
    let dir = common::repo().join("traces/openb");
    let nodes = tephra::trace::openb::read_nodes(&dir.join("openb_node_list_gpu_node.csv")).unwrap();
    let pods = tephra::trace::openb::read_pods(&dir.join(pods)).unwrap();
    let settings = InflateSettings { seeds: vec![42], policies: policies.to_vec(), ties, ..Default::default() };
    let exp = Experiment::new(&nodes, &pods, settings.typical_share);
    let points = run_all(&exp, &settings);
    policies
        .iter()
        .map(|p| points.iter().rfind(|x| x.policy == p.name()).expect("a curve per policy").alloc_pct)
        .collect()
}

/// The artifact's (min, max) over its seeds at 130 % for a list and policy, from
/// `traces/openb/fgd_artifact_alloc_130.csv`.
fn artifact(list: &str, policy: Policy) -> (f64, f64) {
    let text = std::fs::read_to_string(common::repo().join("traces/openb/fgd_artifact_alloc_130.csv")).unwrap();
    let row = text
        .lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f[0] == list && f[1] == policy.name())
        .unwrap_or_else(|| panic!("no artifact row for {list} {}", policy.name()));
    (row[4].parse().unwrap(), row[5].parse().unwrap())
}

fn assert_within(list: &str, policy: Policy, got: f64) {
    let (lo, hi) = artifact(list, policy);
    assert!(
        got >= lo - 0.5 && got <= hi + 0.5,
        "{list} {}: {got:.2} % at 130 %, the artifact {lo}-{hi}",
        policy.name()
    );
}

#[test]
fn default_trace_matches_the_artifact() {
    let policies = [Policy::Fgd, Policy::BestFit];
    let got = allocation_at_130("openb_pod_list_default.csv", &policies, Ties::NodeOrder);
    for (p, g) in policies.iter().zip(&got) {
        assert_within("default", *p, *g);
    }
    assert!(got[0] > got[1] + 1.0, "{got:?}");
}

#[test]
fn sharing_heavy_trace_matches_the_artifact() {
    let policies = [Policy::Fgd, Policy::BestFit, Policy::Clustering, Policy::Packing];
    let got = allocation_at_130("openb_pod_list_gpushare100.csv", &policies, Ties::NodeOrder);
    for (p, g) in policies.iter().zip(&got) {
        assert_within("gpushare100", *p, *g);
    }
    assert!(got[0] > got[1] && got[1] > got[2].max(got[3]), "fgd > bestfit > clustering, packing: {got:?}");
}

/// With a fresh uniform draw among equally scored nodes (stock kube-scheduler) instead of the
/// simulator's fixed node order, fgd spreads its pods and loses about five points on gpushare100:
/// the rule is part of what the paper measured.
#[test]
fn the_tie_rule_moves_fgd_on_the_sharing_heavy_trace() {
    let order = allocation_at_130("openb_pod_list_gpushare100.csv", &[Policy::Fgd], Ties::NodeOrder)[0];
    let uniform = allocation_at_130("openb_pod_list_gpushare100.csv", &[Policy::Fgd], Ties::Random)[0];
    assert!(order - uniform > 3.0, "node order {order:.2} %, uniform {uniform:.2} %");
}
