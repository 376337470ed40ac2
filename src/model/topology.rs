//! HyperNodes (`topology.volcano.sh/v1alpha1 HyperNode`): the network topology as a tree of
//! domains in tiers. A lower tier means more bandwidth between its members (tier 1: an NVLink
//! domain or the nodes behind one leaf/ToR switch; tier 2: a spine; …). Volcano's
//! network-topology-aware scheduling keeps a gang inside one domain of a bounded tier.
//!
//! Like Volcano's session snapshot (`framework/session.go`), the tree gets a virtual root
//! `<cluster-top-hypernode>` one tier above the highest real tier, parent of every parentless
//! HyperNode and containing every node, so "anywhere in the cluster" is a domain too.

use super::ids::NodeId;
use std::collections::BTreeMap;

/// Name of the virtual root (Volcano's `framework.ClusterTopHyperNode`).
pub const CLUSTER_TOP: &str = "<cluster-top-hypernode>";

/// Index of a HyperNode in [`Topology::hypernodes`].
pub type HyperNodeId = u32;

/// One member of a HyperNode as declared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Member {
    /// A node, by name.
    Node(String),
    /// A lower-tier HyperNode, by name.
    HyperNode(String),
}

/// A HyperNode as declared (the CRD's `spec.tier`, `spec.tierName`, `spec.members`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HyperNodeSpec {
    /// Unique name.
    pub name: String,
    /// Tier, ≥ 1.
    pub tier: u32,
    /// Tier name (`leaf`, `spine`), may be empty.
    pub tier_name: String,
    /// Members.
    pub members: Vec<Member>,
}

/// One HyperNode of a built topology.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HyperNode {
    /// Name.
    pub name: String,
    /// Tier.
    pub tier: u32,
    /// Tier name (may be empty).
    pub tier_name: String,
    /// Parent (every real HyperNode has one: a declared parent or the virtual root).
    pub parent: Option<HyperNodeId>,
    /// Child HyperNodes, by name.
    pub children: Vec<HyperNodeId>,
    /// Every node below this HyperNode, in node id order (Volcano's `RealNodesList`).
    pub nodes: Vec<NodeId>,
}

/// A validated HyperNode tree over the fleet's nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct Topology {
    /// Real HyperNodes in name order, then the virtual root last.
    pub hypernodes: Vec<HyperNode>,
    /// The virtual root.
    pub root: HyperNodeId,
    /// Per node: the HyperNode that lists it as a member (its lowest-tier domain), if any.
    pub node_leaf: Vec<Option<HyperNodeId>>,
    /// Lowest real tier.
    pub min_tier: u32,
    /// Highest real tier (the root's tier is one more).
    pub max_tier: u32,
    /// Tier name → tier.
    pub tier_names: BTreeMap<String, u32>,
}

impl Topology {
    /// Validates `specs` against the fleet's node names (index = node id) and builds the tree.
    /// Errors name the offending HyperNode: unknown or duplicate names, a member listed twice, a
    /// child whose tier is not below its parent's, a tier name used for two tiers.
    pub fn build(specs: &[HyperNodeSpec], node_names: &[String]) -> Result<Topology, String> {
        if specs.is_empty() {
            return Err("topology declares no HyperNode".into());
        }
        let mut sorted: Vec<&HyperNodeSpec> = specs.iter().collect();
        sorted.sort_by(|a, b| a.name.cmp(&b.name));
        for w in sorted.windows(2) {
            if w[0].name == w[1].name {
                return Err(format!("HyperNode `{}` declared twice", w[0].name));
            }
        }
        let index: BTreeMap<&str, HyperNodeId> =
            sorted.iter().enumerate().map(|(i, s)| (s.name.as_str(), i as HyperNodeId)).collect();
        let node_index: BTreeMap<&str, usize> = node_names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
        let mut tier_names = BTreeMap::new();
        let mut hypernodes: Vec<HyperNode> = sorted
            .iter()
            .map(|s| HyperNode {
                name: s.name.clone(),
                tier: s.tier,
                tier_name: s.tier_name.clone(),
                parent: None,
                children: Vec::new(),
                nodes: Vec::new(),
            })
            .collect();
        let mut node_leaf: Vec<Option<HyperNodeId>> = vec![None; node_names.len()];
        for (i, s) in sorted.iter().enumerate() {
            let i = i as HyperNodeId;
            if s.tier == 0 {
                return Err(format!("HyperNode `{}`: tier must be at least 1", s.name));
            }
            if !s.tier_name.is_empty()
                && let Some(t) = tier_names.insert(s.tier_name.clone(), s.tier)
                && t != s.tier
            {
                return Err(format!(
                    "HyperNode `{}`: tier name `{}` is used for tiers {t} and {}",
                    s.name, s.tier_name, s.tier
                ));
            }
            for m in &s.members {
                match m {
                    Member::Node(n) => {
                        let Some(&k) = node_index.get(n.as_str()) else {
                            return Err(format!("HyperNode `{}`: member node `{n}` is not in the fleet", s.name));
                        };
                        if let Some(other) = node_leaf[k] {
                            return Err(format!(
                                "HyperNode `{}`: node `{n}` is already a member of `{}`",
                                s.name, hypernodes[other as usize].name
                            ));
                        }
                        node_leaf[k] = Some(i);
                    }
                    Member::HyperNode(h) => {
                        let Some(&c) = index.get(h.as_str()) else {
                            return Err(format!("HyperNode `{}`: member HyperNode `{h}` is not declared", s.name));
                        };
                        let child = &hypernodes[c as usize];
                        if let Some(p) = child.parent {
                            return Err(format!(
                                "HyperNode `{}`: member `{h}` is already a member of `{}`",
                                s.name, hypernodes[p as usize].name
                            ));
                        }
                        if child.tier >= s.tier {
                            return Err(format!(
                                "HyperNode `{}` (tier {}): member `{h}` has tier {}, which is not lower",
                                s.name, s.tier, child.tier
                            ));
                        }
                        hypernodes[c as usize].parent = Some(i);
                        hypernodes[i as usize].children.push(c);
                    }
                }
            }
        }
        let min_tier = hypernodes.iter().map(|h| h.tier).min().expect("non-empty");
        let max_tier = hypernodes.iter().map(|h| h.tier).max().expect("non-empty");
        let root = hypernodes.len() as HyperNodeId;
        let orphans: Vec<HyperNodeId> = (0..root).filter(|&h| hypernodes[h as usize].parent.is_none()).collect();
        for &h in &orphans {
            hypernodes[h as usize].parent = Some(root);
        }
        hypernodes.push(HyperNode {
            name: CLUSTER_TOP.into(),
            tier: max_tier + 1,
            tier_name: String::new(),
            parent: None,
            children: orphans,
            nodes: (0..node_names.len() as u32).map(NodeId).collect(),
        });
        for h in &mut hypernodes {
            h.children.sort();
        }
        // Every node below a HyperNode: walk up from each node's leaf (ids ascend, so lists are sorted).
        for (k, leaf) in node_leaf.iter().enumerate() {
            let mut cur = *leaf;
            while let Some(h) = cur {
                if h == root {
                    break;
                }
                hypernodes[h as usize].nodes.push(NodeId(k as u32));
                cur = hypernodes[h as usize].parent;
            }
        }
        Ok(Topology { hypernodes, root, node_leaf, min_tier, max_tier, tier_names })
    }

    /// The HyperNode's tier.
    #[inline]
    pub fn tier(&self, h: HyperNodeId) -> u32 {
        self.hypernodes[h as usize].tier
    }

    /// Whether `a` is `b` or one of its ancestors.
    pub fn contains(&self, a: HyperNodeId, b: HyperNodeId) -> bool {
        let mut cur = Some(b);
        while let Some(h) = cur {
            if h == a {
                return true;
            }
            cur = self.hypernodes[h as usize].parent;
        }
        false
    }

    /// Lowest common ancestor (`HyperNodeInfoMap.GetLCAHyperNode`); the root when nothing lower
    /// holds both.
    pub fn lca(&self, a: HyperNodeId, b: HyperNodeId) -> HyperNodeId {
        let mut cur = Some(a);
        while let Some(h) = cur {
            if self.contains(h, b) {
                return h;
            }
            cur = self.hypernodes[h as usize].parent;
        }
        self.root
    }

    /// The node's lowest domain, or the root for a node in no HyperNode.
    #[inline]
    pub fn leaf_of(&self, node: NodeId) -> HyperNodeId {
        self.node_leaf.get(node.idx()).copied().flatten().unwrap_or(self.root)
    }

    /// The node's HyperNode at `tier` (its leaf's ancestor of exactly that tier), if any.
    pub fn at_tier(&self, node: NodeId, tier: u32) -> Option<HyperNodeId> {
        let mut cur = self.node_leaf.get(node.idx()).copied().flatten();
        while let Some(h) = cur {
            let t = self.tier(h);
            if t == tier {
                return Some(h);
            }
            if t > tier {
                return None;
            }
            cur = self.hypernodes[h as usize].parent;
        }
        None
    }

    /// The smallest domain holding all of `nodes` (the root for none).
    pub fn span(&self, nodes: impl IntoIterator<Item = NodeId>) -> Option<HyperNodeId> {
        nodes.into_iter().map(|n| self.leaf_of(n)).reduce(|a, b| self.lca(a, b))
    }

    /// Real tiers, ascending.
    pub fn tiers(&self) -> Vec<u32> {
        let mut t: Vec<u32> = self.hypernodes[..self.root as usize].iter().map(|h| h.tier).collect();
        t.sort_unstable();
        t.dedup();
        t
    }
}

/// A node's name as [`super::ClusterState::new`] gives it: `<pool>-<index>`, the index zero-padded
/// to the pool size's digits (at least 3).
pub fn node_name(pool: &str, index: u32, count: u32) -> String {
    let width = count.to_string().len().max(3);
    format!("{pool}-{index:0width$}")
}

/// Regular shapes: tier 1 groups `nodes_per` consecutive nodes of `range`, each higher tier
/// groups `children_per` consecutive HyperNodes of the tier below. Names are
/// `<prefix><tier name>-<i>` with `i` counted per tier.
pub fn regular(
    tiers: &[(String, u32)],
    range: std::ops::Range<usize>,
    node_names: &[String],
    prefix: &str,
) -> Vec<HyperNodeSpec> {
    let mut out = Vec::new();
    let mut below: Vec<Member> = node_names[range].iter().map(|n| Member::Node(n.clone())).collect();
    for (t, (name, per)) in tiers.iter().enumerate() {
        let per = (*per).max(1) as usize;
        let mut level = Vec::new();
        for (i, chunk) in below.chunks(per).enumerate() {
            let hn = format!("{prefix}{name}-{i}");
            out.push(HyperNodeSpec {
                name: hn.clone(),
                tier: t as u32 + 1,
                tier_name: name.clone(),
                members: chunk.to_vec(),
            });
            level.push(Member::HyperNode(hn));
        }
        below = level;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| node_name("gpu", i as u32, n as u32)).collect()
    }

    #[test]
    fn regular_shape_builds_leaves_spines_and_a_root() {
        let nodes = names(8);
        let specs = regular(&[("leaf".into(), 2), ("spine".into(), 2)], 0..8, &nodes, "");
        let t = Topology::build(&specs, &nodes).unwrap();
        // 4 leaves, 2 spines, the root.
        assert_eq!(t.hypernodes.len(), 7);
        assert_eq!(t.tier(t.root), 3);
        let leaf = |n: u32| t.leaf_of(NodeId(n));
        assert_eq!(t.hypernodes[leaf(3) as usize].name, "leaf-1");
        assert_eq!(t.tier(t.lca(leaf(0), leaf(1))), 1);
        assert_eq!(t.tier(t.lca(leaf(0), leaf(3))), 2);
        assert_eq!(t.lca(leaf(0), leaf(7)), t.root);
        assert_eq!(
            t.span([NodeId(4), NodeId(6)]).map(|h| t.hypernodes[h as usize].name.clone()),
            Some("spine-1".into())
        );
        let spine0 = t.hypernodes.iter().position(|h| h.name == "spine-0").unwrap();
        assert_eq!(t.hypernodes[spine0].nodes, (0..4).map(NodeId).collect::<Vec<_>>());
        assert_eq!(t.at_tier(NodeId(5), 2).map(|h| t.hypernodes[h as usize].name.as_str()), Some("spine-1"));
        assert_eq!(t.tiers(), vec![1, 2]);
    }

    #[test]
    fn bad_trees_are_rejected_with_the_hypernode_named() {
        let nodes = names(2);
        let hn = |name: &str, tier, members: Vec<Member>| HyperNodeSpec {
            name: name.into(),
            tier,
            tier_name: String::new(),
            members,
        };
        let e = Topology::build(&[hn("a", 1, vec![Member::Node("gpu-009".into())])], &nodes).unwrap_err();
        assert!(e.contains("`a`") && e.contains("gpu-009"), "{e}");
        let e = Topology::build(
            &[hn("a", 1, vec![Member::Node("gpu-000".into())]), hn("b", 1, vec![Member::Node("gpu-000".into())])],
            &nodes,
        )
        .unwrap_err();
        assert!(e.contains("already a member"), "{e}");
        let e = Topology::build(&[hn("a", 2, vec![]), hn("b", 2, vec![Member::HyperNode("a".into())])], &nodes)
            .unwrap_err();
        assert!(e.contains("not lower"), "{e}");
    }

    #[test]
    fn node_names_match_the_cluster() {
        use crate::model::{ClusterState, Pool, Resources};
        let st = ClusterState::new(vec![(Pool::plain("p", Resources::new(1, 1), 1), 1200)], vec![]);
        assert_eq!(st.nodes[7].name, node_name("p", 7, 1200));
        assert_eq!(st.nodes[1199].name, node_name("p", 1199, 1200));
    }
}
