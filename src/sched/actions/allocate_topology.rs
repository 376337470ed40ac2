//! allocate's HyperNode path for jobs with a network topology constraint (`allocate.go:
//! allocateForJob`, reference §3.12), taken only when the fleet declares a topology.
//!
//! The HyperNodeGradient plugin (network-topology-aware) lists candidate HyperNodes tier by tier,
//! lowest first. For each tier, the job is dry-run in every candidate: its tasks are placed as in
//! the usual path but only on the candidate's nodes, the placements are recorded and discarded.
//! Among the candidates where the job became ready or pipelined, the one with the best
//! HyperNodeOrder score wins (ties: the first by name; Volcano iterates a Go map there, so its
//! tie-break is random) and its placements are replayed. The first tier with any solution ends the
//! search; no solution in any tier leaves the job pending.
//!
//! Without the plugin the gradient is the whole cluster, so the constraint has no effect, as in
//! Volcano. Soft mode differs from hard mode only in the gradient (it ends with the whole cluster).

use super::allocate::{Turn, gang_cannot_fit, place_tasks};
use crate::model::TaskId;
use crate::model::annotations::TopologyMode;
use crate::sched::pq::PriorityQueue;
use crate::sched::session::Session;
use crate::sched::statement::{Op, Statement};

/// One turn of a job with a network topology constraint.
pub(super) fn allocate_job(ssn: &mut Session, j: crate::model::JobId, sheet: &mut PriorityQueue<TaskId>) -> Turn {
    if !ssn.job_ready(j)
        && let Some(reason) = gang_cannot_fit(ssn, j)
    {
        ssn.state.jobs[j.idx()].reason = reason;
        return Turn::Failed { fit_only: true };
    }
    let topo = ssn.state.topology.clone().expect("the caller checked that a topology is declared");
    let allocated =
        crate::sched::plugins::network_topology_aware::job_domain(ssn.state, &topo, &ssn.state.jobs[j.idx()]);
    let gradient = ssn.hypernode_gradient(j, topo.root, allocated, false);
    // Dry runs in HyperNodes that fail write their fit errors; a job placed elsewhere keeps the
    // reason it had.
    let reason_before = ssn.state.jobs[j.idx()].reason.clone();
    let mut fit_only = true;
    let mut tried = 0usize;
    for tier in &gradient {
        let mut best: Option<(f64, Vec<Op>, PriorityQueue<TaskId>)> = None;
        for &hn in tier {
            tried += 1;
            let mut rest = sheet.clone();
            let mut stmt = Statement::new();
            let scope = (hn != topo.root).then(|| topo.hypernodes[hn as usize].nodes.as_slice());
            fit_only &= place_tasks(ssn, j, &mut rest, &mut stmt, scope);
            let solved = !stmt.is_empty() && (ssn.job_ready(j) || ssn.job_pipelined(j));
            let ops = stmt.ops.clone();
            ssn.discard(stmt);
            if !solved {
                continue;
            }
            let score = ssn.hypernode_score(j, hn);
            if best.as_ref().is_none_or(|b| score > b.0) {
                best = Some((score, ops, rest));
            }
        }
        if let Some((_, ops, rest)) = best {
            *sheet = rest;
            ssn.state.jobs[j.idx()].reason = reason_before;
            let mut stmt = Statement::new();
            for op in ops {
                match op {
                    Op::Allocate(t, n) => ssn.allocate(&mut stmt, t, n),
                    Op::Pipeline(t, n) => ssn.pipeline(&mut stmt, t, n),
                    Op::Evict(..) => unreachable!("allocate never evicts"),
                }
            }
            return if ssn.job_ready(j) { Turn::Ready(stmt) } else { Turn::Pipelined };
        }
    }
    let job = &ssn.state.jobs[j.idx()];
    let nt = job.network_topology().expect("the caller checked the constraint");
    let bound = match nt.mode {
        TopologyMode::Hard => format!("hard, highest tier {}", nt.highest_tier),
        TopologyMode::Soft => "soft".to_string(),
    };
    let last = if job.reason.is_empty() { String::new() } else { format!("; last: {}", job.reason) };
    let reason = format!("network topology ({bound}): no HyperNode can hold the gang ({tried} tried){last}");
    ssn.state.jobs[j.idx()].reason = reason;
    Turn::Failed { fit_only }
}
