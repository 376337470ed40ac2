//! `nodegroup` (`plugins/nodegroup/nodegroup.go`; user guide `how_to_use_nodegroup_plugin.md`):
//! queues are tied to groups of nodes. A node's group is its `volcano.sh/nodegroup-name` label
//! (in tephra, a pool label: `fleet.pools[].labels`); a queue's `spec.affinity` lists groups its
//! pods must (`nodeGroupAffinity.required…`), should (`…preferred…`), must not
//! (`nodeGroupAntiAffinity.required…`) or should not (`…anti-affinity preferred…`) use.
//!
//! Predicate, in Volcano's order:
//! - node without a group: allowed only with `strict: false` and a queue with no affinity at all;
//! - node with a group, queue without affinity (or with four empty lists): rejected;
//! - otherwise the group passes if it is required or preferred, unless anti-required; an
//!   anti-preferred group passes anyway (it is the fallback the user allows).
//!
//! Score (nodes without a group score 0): +100 for a required group, +50 for a preferred one
//! (with `enablePreferredOrder`, `50 × (n − i) / n` for the `i`-th of `n` preferred groups), and
//! exactly −1 for an anti-preferred group, whatever was added before.
//!
//! With `enableHierarchy`, a queue without affinity inherits the affinity of its nearest ancestor
//! that has one (`spec.parent`, `root` when unset).
//!
//! Not simulated: the per-queue node group resource limits annotation of the newest Volcano
//! versions (its key is not in the published API yet).

use crate::model::{ClusterState, Node, NodeGroupAffinity, Queue, Task};
use crate::sched::conf::{Arguments, Hook};
use crate::sched::plugin::{FitReason, Plugin};
use std::collections::BTreeMap;

/// The node label naming a node's group.
pub const NODE_GROUP_LABEL: &str = "volcano.sh/nodegroup-name";

/// The nodegroup plugin.
#[derive(Debug)]
pub struct NodeGroup {
    strict: bool,
    preferred_order: bool,
    hierarchy: bool,
    /// Per pool: its group, if labelled.
    pool_group: Vec<Option<String>>,
    /// Per queue: the affinity in force (own, or inherited under `enableHierarchy`).
    queue_affinity: Vec<Option<NodeGroupAffinity>>,
}

impl NodeGroup {
    /// Reads `strict` (default true) and `enablePreferredOrder` (default false); `hierarchy` is
    /// the entry's `enableHierarchy`.
    pub fn new(args: &Arguments, hierarchy: bool) -> Result<NodeGroup, String> {
        args.check_known("nodegroup", &["strict", "enablePreferredOrder"], &[])?;
        Ok(NodeGroup {
            strict: args.bool("strict", true)?,
            preferred_order: args.bool("enablePreferredOrder", false)?,
            hierarchy,
            pool_group: Vec::new(),
            queue_affinity: Vec::new(),
        })
    }

    fn group_of<'a>(&'a self, node: &Node) -> Option<&'a str> {
        self.pool_group.get(node.pool.idx()).and_then(|g| g.as_deref())
    }

    fn affinity_of(&self, st: &ClusterState, task: &Task) -> Option<&NodeGroupAffinity> {
        self.queue_affinity.get(st.jobs[task.job.idx()].queue.idx()).and_then(|a| a.as_ref())
    }
}

/// The affinity a queue uses: its own, else (with hierarchy) the nearest ancestor's. Parents are
/// looked up by name; the walk stops at `root`, at a parent that is not declared, or on a cycle.
fn effective_affinity(queues: &[Queue], q: &Queue, hierarchy: bool) -> Option<NodeGroupAffinity> {
    if q.affinity.is_some() || !hierarchy {
        return q.affinity.clone();
    }
    let by_name: BTreeMap<&str, &Queue> = queues.iter().map(|x| (x.name.as_str(), x)).collect();
    let mut cur = q;
    let mut seen = vec![q.id];
    while cur.name != "root" {
        let parent = cur.parent.as_deref().unwrap_or("root");
        let p = by_name.get(parent)?;
        if seen.contains(&p.id) {
            return None;
        }
        if p.affinity.is_some() {
            return p.affinity.clone();
        }
        seen.push(p.id);
        cur = p;
    }
    None
}

/// `queueGroupAffinity.predicate`.
fn group_allowed(a: &NodeGroupAffinity, group: &str) -> bool {
    let has = |list: &[String]| list.iter().any(|g| g == group);
    let mut ok = has(&a.required) || has(&a.preferred);
    if has(&a.anti_required) {
        ok = false;
    }
    if has(&a.anti_preferred) {
        ok = true;
    }
    ok
}

/// `queueGroupAffinity.score`.
fn group_score(a: &NodeGroupAffinity, group: &str, preferred_order: bool) -> f64 {
    let has = |list: &[String]| list.iter().any(|g| g == group);
    let mut score = 0.0;
    if has(&a.required) {
        score += 100.0;
    }
    if preferred_order {
        // Volcano keeps the index of the last occurrence of a repeated group, and counts distinct
        // groups.
        if let Some(i) = a.preferred.iter().rposition(|g| g == group) {
            let mut distinct: Vec<&String> = a.preferred.iter().collect();
            distinct.sort();
            distinct.dedup();
            let n = distinct.len() as f64;
            score += 50.0 * (n - i as f64) / n;
        }
    } else if has(&a.preferred) {
        score += 50.0;
    }
    if has(&a.anti_preferred) {
        score = -1.0;
    }
    score
}

fn unset(a: Option<&NodeGroupAffinity>) -> bool {
    a.is_none_or(|a| {
        a.required.is_empty() && a.preferred.is_empty() && a.anti_required.is_empty() && a.anti_preferred.is_empty()
    })
}

impl Plugin for NodeGroup {
    fn name(&self) -> &'static str {
        "nodegroup"
    }
    fn hooks(&self) -> &'static [Hook] {
        &[Hook::Predicate, Hook::NodeOrder]
    }
    fn on_session_open(&mut self, st: &ClusterState, _now: crate::model::SimTime) {
        self.pool_group = st.pools.iter().map(|p| p.labels.get(NODE_GROUP_LABEL).cloned()).collect();
        self.queue_affinity = st.queues.iter().map(|q| effective_affinity(&st.queues, q, self.hierarchy)).collect();
    }
    fn predicate(&self, st: &ClusterState, task: &Task, node: &Node) -> Result<(), FitReason> {
        let affinity = self.affinity_of(st, task);
        let Some(group) = self.group_of(node) else {
            return if !self.strict && unset(affinity) { Ok(()) } else { Err(FitReason::NodeGroupLabelNotFound) };
        };
        match affinity {
            _ if unset(affinity) => Err(FitReason::NodeGroupAffinityNotFound),
            Some(a) if group_allowed(a, group) => Ok(()),
            _ => Err(FitReason::NodeGroupUnsatisfied),
        }
    }
    fn node_order(&self, st: &ClusterState, task: &Task, node: &Node) -> f64 {
        match (self.group_of(node), self.affinity_of(st, task)) {
            (Some(group), Some(a)) => group_score(a, group, self.preferred_order),
            _ => 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aff(req: &[&str], pref: &[&str], anti_req: &[&str], anti_pref: &[&str]) -> NodeGroupAffinity {
        let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect();
        NodeGroupAffinity {
            required: v(req),
            preferred: v(pref),
            anti_required: v(anti_req),
            anti_preferred: v(anti_pref),
        }
    }

    #[test]
    fn predicate_and_score_follow_volcano_precedence() {
        // The user guide's example 3: anti-affinity wins over affinity; anti-preferred allows.
        let a = aff(&["g1", "g2"], &["g1"], &["g1"], &["g2"]);
        assert!(!group_allowed(&a, "g1"));
        assert!(group_allowed(&a, "g2"));
        assert!(!group_allowed(&a, "g3"));
        assert_eq!(group_score(&a, "g1", false), 150.0);
        assert_eq!(group_score(&a, "g2", false), -1.0);
        assert_eq!(group_score(&a, "g3", false), 0.0);
        // Preferred order: 50 × (n − i) / n over three groups.
        let b = aff(&[], &["a", "b", "c"], &[], &[]);
        assert_eq!(group_score(&b, "a", true), 50.0);
        assert!((group_score(&b, "c", true) - 50.0 / 3.0).abs() < 1e-9);
        assert_eq!(group_score(&b, "c", false), 50.0);
    }

    #[test]
    fn children_inherit_the_nearest_ancestor_affinity() {
        use crate::model::QueueId;
        let mut root = Queue::new(QueueId(0), "root");
        root.affinity = Some(aff(&["prod"], &[], &[], &[]));
        let mut eng = Queue::new(QueueId(1), "eng");
        eng.parent = Some("root".into());
        let mut team = Queue::new(QueueId(2), "team");
        team.parent = Some("eng".into());
        let mut own = Queue::new(QueueId(3), "own");
        own.parent = Some("eng".into());
        own.affinity = Some(aff(&["dev"], &[], &[], &[]));
        let qs = vec![root, eng, team, own];
        assert_eq!(effective_affinity(&qs, &qs[2], true).unwrap().required, vec!["prod".to_string()]);
        assert_eq!(effective_affinity(&qs, &qs[3], true).unwrap().required, vec!["dev".to_string()]);
        assert!(effective_affinity(&qs, &qs[2], false).is_none());
    }
}
