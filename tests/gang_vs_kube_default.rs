//! Two 8-GPU nodes and three whole-node jobs submitted together: two 2-pod gangs and one 1-pod job.
//!
//! kube-default takes pods one at a time in queue order (replica 0 of every job, then replica 1),
//! so J1-0 and J2-0 each take a node, and nothing else ever fits: two half-placed gangs hold all 16
//! GPUs forever and make no progress (allocation 100 %, goodput 0 %).
//!
//! Volcano's default configuration admits one job at a time (overcommit: 16 GPUs × 1.2 = 19.2 ≥
//! inqueue + minResources only for the first gang), so the jobs run one after another. With a 1 s
//! cycle, zero controller delay and zero pod start-up, by hand:
//! - t=0 cycle: enqueue J1 → pods created at t=0 → t=1 s cycle: allocate J1 on node 0 and node 1,
//!   running at 1 s, done at 101 s;
//! - t=101 s: J1 done, cycle enqueues J2 → t=102 s allocate, done at 202 s;
//! - t=202 s: cycle enqueues J3 → t=203 s allocate, done at 253 s.

mod common;

use common::{run_checked, write_scenario};
use tephra::model::NodeId;

const TRACE: &str = "\
J1,0,100,q,0,worker,2,2,8,64Gi,8,
J2,0,100,q,0,worker,2,2,8,64Gi,8,
J3,0,50,q,0,worker,1,1,8,64Gi,8,
";

fn scenario(policy: &str) -> String {
    format!(
        "name: deadlock\nseed: 1\nfleet:\n  pools:\n    - {{ name: gpu, count: 2, cpu: 64, memory: 512Gi, gpu: {{ model: H100, count: 8 }} }}\n\
         workload: {{ trace: trace.csv }}\n\
         scheduler: {{ {policy}, node_scan: exhaustive, schedule_period: 1s }}\n\
         run: {{ pod_startup: 0s, controller_delay: 0s }}\n"
    )
}

#[test]
fn kube_default_deadlocks_two_gangs() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_scenario(dir.path(), &scenario("policy: kube-default"), TRACE);
    let out = run_checked(&path);
    let s = &out.summary;
    assert_eq!((s.jobs.completed, s.jobs.unfinished), (0, 3));
    // J1-0 on node 0, J2-0 on node 1, both running since t=0; nothing else placed.
    let node_of = |job: usize, idx: u32| {
        let j = &out.state.jobs[job];
        j.task_ids().map(|t| &out.state.tasks[t.idx()]).find(|t| t.index == idx).unwrap().node
    };
    assert_eq!(node_of(0, 0), Some(NodeId(0)));
    assert_eq!(node_of(1, 0), Some(NodeId(1)));
    assert_eq!(node_of(0, 1), None);
    assert_eq!(node_of(1, 1), None);
    assert_eq!(node_of(2, 0), None);
    for row in &out.jobs {
        assert_eq!(row.gang_ready_s, None, "{}", row.job);
        assert_eq!(row.state, "active");
    }
    assert_eq!(out.jobs[0].first_start_s, Some(0.0));
    assert_eq!(out.jobs[1].first_start_s, Some(0.0));
    assert_eq!(s.accel_allocation, 1.0);
    assert_eq!(s.accel_goodput, 0.0);
}

#[test]
fn volcano_default_runs_gangs_one_after_another() {
    let dir = tempfile::tempdir().unwrap();
    let conf = common::repo().join("scenarios/conf/volcano-default.conf");
    let path = write_scenario(dir.path(), &scenario(&format!("conf: {}", conf.display())), TRACE);
    let out = run_checked(&path);
    assert_eq!(out.summary.jobs.completed, 3);
    let times = common::timings(&out);
    assert_eq!(
        times,
        vec![("J1", Some(1.0), Some(101.0)), ("J2", Some(102.0), Some(202.0)), ("J3", Some(203.0), Some(253.0)),]
    );
    assert_eq!(out.summary.makespan_s, 253.0);
    // 16 GPUs busy from 1 s to 101 s and 102 s to 202 s, 8 GPUs from 203 s to 253 s, over 253 s.
    let expected = (16.0 * 100.0 + 16.0 * 100.0 + 8.0 * 50.0) / (16.0 * 253.0);
    assert!((out.summary.accel_allocation - expected).abs() < 1e-6, "{}", out.summary.accel_allocation);
    assert_eq!(out.summary.accel_goodput, out.summary.accel_allocation);
}

#[test]
fn volcano_places_first_gang_on_both_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let conf = common::repo().join("scenarios/conf/volcano-default.conf");
    let yaml = scenario(&format!("conf: {}", conf.display()))
        .replace("controller_delay: 0s", "controller_delay: 0s, until: 50s");
    let out = run_checked(&write_scenario(dir.path(), &yaml, TRACE));
    // Exhaustive scan: equal scores go to the lowest node id, so pod 0 → node 0, pod 1 → node 1.
    let nodes: Vec<_> = out.state.jobs[0].task_ids().map(|t| out.state.tasks[t.idx()].node).collect();
    assert_eq!(nodes, vec![Some(NodeId(0)), Some(NodeId(1))]);
    assert_eq!(out.jobs[1].first_start_s, None);
    assert_eq!(out.summary.end_s, 50.0);
}
