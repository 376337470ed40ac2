//! Admission: resolving a trace job against the fleet before it enters the cluster. A job that no
//! amount of waiting could run — a pod larger than any matching node, a gang larger than the whole
//! matching fleet, minimum resources above its queue's capability — is reported unschedulable with
//! the reason instead of waiting forever (and, under Volcano, holding an enqueue reservation). So is
//! a job sent to `root` or to a queue with child queues, which Volcano's webhook refuses.

use crate::model::resources::ALL_DIMS;
use crate::model::{ClusterState, JobSpec, Pool, Queue, Resources};

/// For each role, the bit mask of pools whose nodes satisfy its node selector.
pub fn role_pools(spec: &JobSpec, st: &ClusterState) -> Vec<u64> {
    spec.roles
        .iter()
        .map(|r| {
            let mut mask = 0u64;
            for (i, p) in st.pools.iter().enumerate() {
                let ok = r.accelerator_model.as_deref().is_none_or(|m| model_admits(m, p.accelerator_model.as_deref()));
                if ok {
                    mask |= 1 << i;
                }
            }
            mask
        })
        .collect()
}

/// Whether a role's accelerator model selector admits a pool's model. `A|B`: any of several
/// models (the 2023 trace's `gpu_spec`).
pub fn model_admits(selector: &str, pool_model: Option<&str>) -> bool {
    pool_model.is_some_and(|pm| selector.split('|').any(|x| x == pm))
}

/// The accelerator models jobs ask for that no pool of the fleet has, one message per model
/// (with the first asking row's `file:line`, the field, and how many jobs ask). Such a job can
/// never run: the simulation reports it unschedulable with the reason when it is submitted, and
/// `validate` prints these so a misspelt model is seen before a run.
pub fn missing_models(specs: &[JobSpec], pools: &[Pool]) -> Vec<String> {
    let mut missing: std::collections::BTreeMap<&str, (u64, &JobSpec)> = std::collections::BTreeMap::new();
    // Each distinct selector is matched against the pools once (a trace has a handful of models
    // and may have millions of roles). Looked up, never iterated.
    let mut admitted: std::collections::HashMap<&str, bool> = std::collections::HashMap::new();
    for spec in specs {
        for role in &spec.roles {
            let Some(m) = role.accelerator_model.as_deref() else { continue };
            let ok = *admitted
                .entry(m)
                .or_insert_with(|| pools.iter().any(|p| model_admits(m, p.accelerator_model.as_deref())));
            if !ok {
                missing.entry(m).or_insert((0, spec)).0 += 1;
            }
        }
    }
    let fleet: std::collections::BTreeSet<&str> = pools.iter().filter_map(|p| p.accelerator_model.as_deref()).collect();
    let fleet = if fleet.is_empty() { "none".to_string() } else { fleet.into_iter().collect::<Vec<_>>().join(", ") };
    missing
        .into_iter()
        .map(|(model, (roles, first))| {
            format!(
                "{}: gpu_model: `{model}` is the accelerator model of no node pool (the fleet has: {fleet}); \
                 {roles} role(s) ask for it, first of job `{}`: they will be reported unschedulable",
                first.origin, first.name
            )
        })
        .collect()
}

/// How many pods of `req` fit an empty node of `alloc` with `max_pods`.
fn pods_per_node(req: &Resources, alloc: &Resources, max_pods: u32) -> u64 {
    let mut n = max_pods as u64;
    for d in ALL_DIMS {
        let r = req.get(d);
        if r > 0 {
            n = n.min((alloc.get(d) / r).max(0) as u64);
        }
    }
    n
}

/// Checks that the job could run on the empty fleet and within its queue's capability.
/// `nodes_per_pool` is the node count of each pool.
pub fn check(
    spec: &JobSpec,
    masks: &[u64],
    st: &ClusterState,
    nodes_per_pool: &[u64],
    queue: Option<&Queue>,
) -> Result<(), String> {
    for (role, mask) in spec.roles.iter().zip(masks) {
        let selector = match &role.accelerator_model {
            Some(m) => format!(" with accelerator model {m}"),
            None => String::new(),
        };
        if *mask == 0 {
            return Err(format!("role `{}`: no node pool{selector}", role.name));
        }
        let mut capacity = 0u64;
        let mut largest: Option<Resources> = None;
        for (i, (pool, count)) in st.pools.iter().zip(nodes_per_pool.iter().copied()).enumerate() {
            if mask & (1 << i) == 0 {
                continue;
            }
            largest = Some(largest.map_or(pool.allocatable, |l: Resources| l.max(pool.allocatable)));
            capacity += pods_per_node(&role.request, &pool.allocatable, pool.max_pods) * count;
        }
        if capacity == 0 {
            let node = largest.unwrap_or_default();
            let names = &st.scalar_names;
            let d = role.request.first_exceeding(&node).map(|d| names.name(d)).unwrap_or("resources");
            return Err(format!(
                "role `{}`: a pod requests {} but no node{selector} has that much {d} (largest node: {})",
                role.name,
                names.format(&role.request),
                names.format(&node)
            ));
        }
        if capacity < role.min_available as u64 {
            return Err(format!(
                "role `{}`: the gang needs {} pods of {} at once but the whole fleet{selector} holds only {capacity}",
                role.name,
                role.min_available,
                st.scalar_names.format(&role.request)
            ));
        }
    }
    if let Some(q) = queue {
        leaf_queue(q, &st.queues)?;
        let min = spec.min_resources();
        if let Some(d) = min.dims().find(|d| min.get(*d) > q.capability.get(*d)) {
            return Err(format!(
                "minResources ({}) exceed queue `{}` capability in {} ({})",
                st.scalar_names.format(&min),
                q.name,
                st.scalar_names.name(d),
                crate::model::resources::format_dim(d, q.capability.get(d))
            ));
        }
    }
    Ok(())
}

/// Volcano's job admission webhook (`validateJobCreate`): jobs go to leaf queues only — never to
/// `root`, never to a queue that is some queue's `parent` — since hierarchical capacity allocates to
/// leaves only. Such a job would otherwise wait forever.
pub fn leaf_queue(q: &Queue, queues: &[Queue]) -> Result<(), String> {
    if q.name == crate::model::queue_tree::ROOT {
        return Err("can not submit job to root queue (jobs go to leaf queues)".into());
    }
    let children = queues.iter().filter(|c| c.parent.as_deref() == Some(q.name.as_str())).count();
    if children > 0 {
        return Err(format!(
            "can only submit job to leaf queue, queue `{}` has {children} child queue{}",
            q.name,
            if children == 1 { "" } else { "s" }
        ));
    }
    Ok(())
}

/// Node count of each pool.
pub fn nodes_per_pool(st: &ClusterState) -> Vec<u64> {
    let mut counts = vec![0u64; st.pools.len()];
    for n in &st.nodes {
        counts[n.pool.idx()] += 1;
    }
    counts
}
