//! `gangpreempt` and `gangreclaim` (`actions/gangpreempt`, `actions/gangreclaim`,
//! `actions/gangevict`; design `gang-aware-eviction-design.md`): eviction planned for a whole
//! starving job at once instead of pod by pod.
//!
//! For each starving job (queues in queue order, jobs in job order; gangreclaim skips overused
//! queues and needs `Preemptive` for the job's pending pods together):
//! 1. candidates: running pods of other jobs — gangpreempt: same queue, strictly lower job
//!    priority; gangreclaim: other queues that are reclaimable — not annotated
//!    `volcano.sh/preemptable: false`;
//! 2. grouped per victim job into safe and whole bundles ([`super::bundle`]), sorted, filtered by
//!    the plugins' `UnifiedEvictable` (tiers, like Preemptable), whole bundles dropped unless
//!    `allowWholeBundle` (default true);
//! 3. bundles are added one by one until the job's need fits the domain's idle + releasing
//!    resources plus the victims'; then a dry run evicts those victims and pipelines **every**
//!    pending pod (Allocatable, predicates, idle nodes before future-idle ones, best score); if
//!    the job is then pipelined the plan stands, otherwise it is undone and the next bundle added;
//! 4. the job's statement commits if the job is pipelined, else it is discarded.
//!
//! Steps 2–3 run in eviction domains: for a job with a network topology constraint on a fleet with
//! HyperNodes, the HyperNodes of the HyperNodeGradient plugin's eviction gradient (tiers whose
//! allocatable resources hold the job's minimum, widest tier first, capped by the plugin's
//! `hypernode.gradient.evict.max-hypernodes` and by `maxDomains`), tried in order until one works;
//! victims, idle resources and placements are then those of the domain's nodes. Every other job
//! has one domain, the whole cluster. Across queues, victims are ranked by `VictimQueueOrderFn`
//! for the evictor's queue (reverse queue order when no plugin decides).

use super::bundle::{self, Bundle};
use super::eviction::starving_by_queue;
use super::placement::{Placement, choose, node_fits};
use crate::model::{JobId, NodeId, QueueId, Resources, TaskId, TaskStatus};
use crate::sched::conf::Arguments;
use crate::sched::plugin::EvictionKind;
use crate::sched::session::Session;
use crate::sched::statement::Statement;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// The action's arguments (`configurations: - name: gangpreempt, arguments: {...}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GangEvictionArgs {
    /// `maxDomains` (default 8): HyperNode domains searched per job.
    pub max_domains: u32,
    /// `allowWholeBundle` (default true): whether breaking a victim's gang is allowed.
    pub allow_whole_bundle: bool,
}

impl GangEvictionArgs {
    /// Reads and checks the arguments of `action`; a non-positive `maxDomains` falls back to 8
    /// as in Volcano.
    pub fn parse(action: &str, args: &Arguments) -> Result<GangEvictionArgs, String> {
        for key in args.0.keys() {
            if key != "maxDomains" && key != "allowWholeBundle" {
                return Err(format!(
                    "action `{action}`: unknown argument `{key}` (known: maxDomains, allowWholeBundle)"
                ));
            }
        }
        let max = args.f64("maxDomains", 8.0).map_err(|e| format!("action `{action}`: {e}"))?;
        let allow = args.bool("allowWholeBundle", true).map_err(|e| format!("action `{action}`: {e}"))?;
        Ok(GangEvictionArgs { max_domains: if max >= 1.0 { max as u32 } else { 8 }, allow_whole_bundle: allow })
    }
}

impl Default for GangEvictionArgs {
    fn default() -> GangEvictionArgs {
        GangEvictionArgs { max_domains: 8, allow_whole_bundle: true }
    }
}

/// Runs `gangpreempt` or `gangreclaim`.
pub fn execute(ssn: &mut Session, kind: EvictionKind, args: GangEvictionArgs) {
    let (mut per_queue, mut queues) = starving_by_queue(ssn);
    while !queues.is_empty() {
        let q = ssn.pop_best_queue(&mut queues);
        if kind == EvictionKind::GangReclaim && ssn.overused(q) {
            continue;
        }
        while let Some(j) = per_queue[q.idx()].pop(&mut |a, b| ssn.job_order(a, b) == Ordering::Less) {
            let mut stmt = Statement::new();
            evict_for_job(ssn, &mut stmt, kind, args, q, j);
            if ssn.job_pipelined(j) {
                ssn.commit(stmt);
            } else {
                ssn.discard(stmt);
            }
        }
    }
}

/// The job's pending pods that need resources, in task order (`CollectPendingTasksForGangEviction`;
/// without sub-groups a ready and a starting job both take every pending pod).
fn pending(ssn: &Session, j: JobId) -> Vec<TaskId> {
    let mut tasks: Vec<TaskId> = ssn.state.jobs[j.idx()]
        .task_ids()
        .filter(|t| {
            let task = &ssn.state.tasks[t.idx()];
            task.status == TaskStatus::Pending && !task.request.is_empty()
        })
        .collect();
    tasks.sort_by(|a, b| ssn.task_order(*a, *b));
    tasks
}

fn evict_for_job(
    ssn: &mut Session,
    stmt: &mut Statement,
    kind: EvictionKind,
    args: GangEvictionArgs,
    q: QueueId,
    j: JobId,
) {
    let tasks = pending(ssn, j);
    if tasks.is_empty() || !ssn.job_starving(j) {
        return;
    }
    if kind == EvictionKind::GangReclaim && !ssn.preemptive_all(q, &tasks) {
        return;
    }
    let need = tasks.iter().fold(Resources::ZERO, |acc, t| acc + ssn.state.tasks[t.idx()].request);
    for domain in domains(ssn, args, j) {
        if evict_in_domain(ssn, stmt, kind, args, q, j, &tasks, &need, domain.as_deref()) {
            return;
        }
    }
}

/// The job's eviction domains in search order: `None` is the whole cluster (every job without a
/// network topology constraint, or without a declared topology), `Some` a HyperNode's nodes.
fn domains(ssn: &Session, args: GangEvictionArgs, j: JobId) -> Vec<Option<Vec<NodeId>>> {
    let Some(topo) = ssn.state.topology.clone() else { return vec![None] };
    if ssn.state.jobs[j.idx()].network_topology().is_none() {
        return vec![None];
    }
    let allocated =
        crate::sched::plugins::network_topology_aware::job_domain(ssn.state, &topo, &ssn.state.jobs[j.idx()]);
    ssn.hypernode_gradient(j, topo.root, allocated, true)
        .into_iter()
        .flatten()
        .take(args.max_domains as usize)
        .map(|h| (h != topo.root).then(|| topo.hypernodes[h as usize].nodes.clone()))
        .collect()
}

/// Steps 2–3 in one domain (`scope`: its nodes, `None` for all); true if a plan stands.
#[allow(clippy::too_many_arguments)]
fn evict_in_domain(
    ssn: &mut Session,
    stmt: &mut Statement,
    kind: EvictionKind,
    args: GangEvictionArgs,
    q: QueueId,
    j: JobId,
    tasks: &[TaskId],
    need: &Resources,
    scope: Option<&[NodeId]>,
) -> bool {
    let need = *need;
    let bundles = select_bundles(ssn, kind, args, j, &need, scope);
    if bundles.is_empty() {
        return false;
    }
    let domain_idle = match scope {
        None => ssn.state.nodes.iter().filter(|n| n.healthy).fold(Resources::ZERO, |acc, n| acc + n.idle + n.releasing),
        Some(nodes) => nodes
            .iter()
            .map(|n| &ssn.state.nodes[n.idx()])
            .filter(|n| n.healthy)
            .fold(Resources::ZERO, |acc, n| acc + n.idle + n.releasing),
    };
    let mut victims: Vec<TaskId> = Vec::new();
    let mut freed = Resources::ZERO;
    for b in bundles {
        for t in &b.tasks {
            freed += ssn.state.tasks[t.idx()].request;
        }
        victims.extend(b.tasks);
        if !need.le(&(domain_idle + freed)) {
            continue;
        }
        let mut trial = Statement::new();
        if dry_run(ssn, &mut trial, q, j, tasks, &victims, scope) {
            stmt.ops.append(&mut trial.ops);
            return true;
        }
        ssn.discard(trial);
    }
    false
}

/// Candidates grouped in bundles, sorted, filtered by the plugins.
fn select_bundles(
    ssn: &Session,
    kind: EvictionKind,
    args: GangEvictionArgs,
    j: JobId,
    need: &Resources,
    scope: Option<&[NodeId]>,
) -> Vec<Bundle> {
    let st = &*ssn.state;
    let evictor = &st.jobs[j.idx()];
    let mut by_job: BTreeMap<JobId, Vec<TaskId>> = BTreeMap::new();
    let nodes: Box<dyn Iterator<Item = &crate::model::Node>> = match scope {
        None => Box::new(st.nodes.iter()),
        Some(list) => Box::new(list.iter().map(|n| &st.nodes[n.idx()])),
    };
    for node in nodes.filter(|n| n.healthy) {
        for &t in &st.node_tasks[node.id.idx()] {
            let task = &st.tasks[t.idx()];
            let victim = &st.jobs[task.job.idx()];
            let status_ok = match kind {
                EvictionKind::GangPreempt => matches!(task.status, TaskStatus::Running | TaskStatus::Bound),
                EvictionKind::GangReclaim => task.status == TaskStatus::Running,
            };
            if !status_ok || !victim.pods_preemptable() {
                continue;
            }
            let scope_ok = match kind {
                EvictionKind::GangPreempt => {
                    victim.queue == evictor.queue && victim.id != evictor.id && evictor.priority > victim.priority
                }
                EvictionKind::GangReclaim => victim.queue != evictor.queue && st.queues[victim.queue.idx()].reclaimable,
            };
            if scope_ok {
                by_job.entry(task.job).or_default().push(t);
            }
        }
    }
    let mut bundles: Vec<Bundle> = by_job.into_iter().flat_map(|(vj, ts)| bundle::job_bundles(st, vj, ts)).collect();
    if bundles.is_empty() {
        return bundles;
    }
    let victim_first = |a: JobId, b: JobId| match kind {
        // `!JobOrderFn(l, r)`: the job that would be scheduled last goes first.
        EvictionKind::GangPreempt => ssn.job_order(b, a),
        EvictionKind::GangReclaim => {
            let (qa, qb) = (st.jobs[a.idx()].queue, st.jobs[b.idx()].queue);
            if qa == qb { Ordering::Equal } else { ssn.victim_queue_order(qa, qb, evictor.queue) }
        }
    };
    bundle::sort(&mut bundles, need, victim_first);
    let flat: Vec<TaskId> = bundles.iter().flat_map(|b| b.tasks.iter().copied()).collect();
    let allowed = ssn.unified_evictable(kind, j, &flat);
    if allowed.is_empty() {
        return Vec::new();
    }
    let mut valid = bundle::keep_allowed(st, bundles, &allowed);
    bundle::sort(&mut valid, need, victim_first);
    valid.retain(|b| args.allow_whole_bundle || b.kind == bundle::BundleKind::Safe);
    valid
}

/// `BuildNominationPlanInDomain`: evicts `victims`, then pipelines every pending pod; true if the
/// job is then pipelined (the caller keeps `trial`), false otherwise (the caller discards it).
fn dry_run(
    ssn: &mut Session,
    trial: &mut Statement,
    q: QueueId,
    j: JobId,
    tasks: &[TaskId],
    victims: &[TaskId],
    scope: Option<&[NodeId]>,
) -> bool {
    let by = tasks[0];
    for &v in victims {
        ssn.evict(trial, v, by);
    }
    for &t in tasks {
        if !ssn.allocatable(q, t) {
            return false;
        }
        let Some(node) = best_node(ssn, t, scope) else { return false };
        ssn.pipeline(trial, t, node);
    }
    ssn.job_ready(j) || ssn.job_pipelined(j)
}

/// `prioritizeNodesForSimulate`: every healthy node passing the predicate, nodes whose idle
/// resources fit before those that fit only future-idle ones, best score (ties per node scan mode).
fn best_node(ssn: &mut Session, t: TaskId, scope: Option<&[NodeId]>) -> Option<NodeId> {
    let feasible: Vec<NodeId> = match scope {
        None => ssn
            .state
            .nodes
            .iter()
            .filter(|n| n.healthy)
            .map(|n| n.id)
            .filter(|n| node_fits(ssn, t, *n).is_ok())
            .collect(),
        Some(nodes) => nodes
            .iter()
            .copied()
            .filter(|n| ssn.state.nodes[n.idx()].healthy && node_fits(ssn, t, *n).is_ok())
            .collect(),
    };
    if feasible.is_empty() {
        return None;
    }
    Some(match choose(ssn, t, feasible) {
        Placement::Allocate(n) | Placement::Pipeline(n) => n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::conf::ArgValue;

    fn args(pairs: &[(&str, ArgValue)]) -> Arguments {
        Arguments(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
    }

    #[test]
    fn arguments_default_fall_back_and_reject_unknown_keys() {
        assert_eq!(GangEvictionArgs::parse("gangpreempt", &args(&[])).unwrap(), GangEvictionArgs::default());
        let a = args(&[("maxDomains", ArgValue::Int(0)), ("allowWholeBundle", ArgValue::Bool(false))]);
        assert_eq!(
            GangEvictionArgs::parse("gangreclaim", &a).unwrap(),
            GangEvictionArgs { max_domains: 8, allow_whole_bundle: false }
        );
        let err = GangEvictionArgs::parse("gangreclaim", &args(&[("maxDomain", ArgValue::Int(2))])).unwrap_err();
        assert!(err.contains("gangreclaim") && err.contains("maxDomain"), "{err}");
    }
}
