//! The packing experiment against the FGD paper's own published curves: the artifact of Weng et
//! al. (ATC'23), kubernetes-scheduler-simulator `experiments/analysis/expected_results/
//! analysis_allo_discrete.csv`, which gives each policy's GPU allocation at every 1 % of arrived
//! workload for seeds 42 to 51. The ranges below are that file's minimum and maximum over the ten
//! seeds at 130 % arrived, widened by half a point; one tephra seed must land inside.
//!
//! The sharing-heavy list (gpushare100, every GPU pod a share of one card) is where a wrong tie
//! rule or clustering tag shows: before both were fixed, fgd reached 81.5 % there (the artifact
//! 86.2-87.2) and clustering 71.2 % (82.3-83.1).

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

fn assert_within(policy: Policy, got: f64, (lo, hi): (f64, f64)) {
    assert!(got >= lo - 0.5 && got <= hi + 0.5, "{}: {got:.2} % at 130 %, the artifact {lo}-{hi}", policy.name());
}

#[test]
fn default_trace_matches_the_artifact() {
    let got = allocation_at_130("openb_pod_list_default.csv", &[Policy::Fgd, Policy::BestFit], Ties::NodeOrder);
    assert_within(Policy::Fgd, got[0], (95.1, 95.5));
    assert_within(Policy::BestFit, got[1], (92.6, 93.3));
    assert!(got[0] > got[1] + 1.0, "{got:?}");
}

#[test]
fn sharing_heavy_trace_matches_the_artifact() {
    let policies = [Policy::Fgd, Policy::BestFit, Policy::Clustering, Policy::Packing];
    let got = allocation_at_130("openb_pod_list_gpushare100.csv", &policies, Ties::NodeOrder);
    assert_within(Policy::Fgd, got[0], (86.2, 87.2));
    assert_within(Policy::BestFit, got[1], (84.7, 85.4));
    assert_within(Policy::Clustering, got[2], (81.6, 83.5));
    assert_within(Policy::Packing, got[3], (81.5, 83.3));
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
