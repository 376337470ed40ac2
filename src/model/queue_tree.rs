//! The queue hierarchy of `spec.parent` (hierarchical capacity, `hierarchical-queue-on-capacity-plugin.md`):
//! every queue without a parent hangs under `root`. A scenario may declare `root` itself (to give it
//! a capability or guarantee); otherwise the tree has a virtual root node after the real queues.
//!
//! The scenario loader rejects unknown parents and cycles; the tree still never panics on them (an
//! unknown parent or a cycle attaches the queue to root), so that states built by hand stay usable.

use super::queue::Queue;
use super::resources::Resources;

/// Name of the root queue.
pub const ROOT: &str = "root";

/// Parent/child links over the queues, with the root.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueTree {
    /// Node count: the queues, plus one when the root is virtual.
    pub len: usize,
    /// The root's node index (a queue index when `root` is declared, else `len - 1`).
    pub root: usize,
    /// Per node: its parent (`None` only for the root).
    pub parent: Vec<Option<usize>>,
    /// Per node: its children in queue order.
    pub children: Vec<Vec<usize>>,
    /// Per node: its ancestors from the root down to its parent (Volcano's `queueAttr.ancestors`).
    pub ancestors: Vec<Vec<usize>>,
    /// Per node: the real queues of its subtree, itself included when it is a queue.
    pub subtree: Vec<Vec<usize>>,
}

impl QueueTree {
    /// Builds the tree of `queues` (indices are queue ids).
    pub fn build(queues: &[Queue]) -> QueueTree {
        let nq = queues.len();
        let declared_root = queues.iter().position(|q| q.name == ROOT);
        let root = declared_root.unwrap_or(nq);
        let len = if declared_root.is_some() { nq } else { nq + 1 };
        let mut parent: Vec<Option<usize>> = vec![None; len];
        for (i, q) in queues.iter().enumerate() {
            if i == root {
                continue;
            }
            let p = q.parent.as_deref().and_then(|name| queues.iter().position(|x| x.name == name));
            parent[i] = Some(p.unwrap_or(root));
        }
        // A cycle (never produced by the loader) is cut by re-attaching its entry point to root.
        for i in 0..len {
            let mut seen = vec![i];
            let mut cur = parent[i];
            while let Some(p) = cur {
                if seen.contains(&p) {
                    parent[i] = Some(root);
                    break;
                }
                seen.push(p);
                cur = parent[p];
            }
        }
        let mut children = vec![Vec::new(); len];
        for (i, p) in parent.iter().enumerate() {
            if let Some(p) = p {
                children[*p].push(i);
            }
        }
        let mut ancestors = vec![Vec::new(); len];
        let mut subtree = vec![Vec::new(); len];
        for i in 0..len {
            let mut chain = Vec::new();
            let mut cur = parent[i];
            while let Some(p) = cur {
                chain.push(p);
                cur = parent[p];
            }
            chain.reverse();
            if i < nq {
                subtree[i].push(i);
                for a in &chain {
                    subtree[*a].push(i);
                }
            }
            ancestors[i] = chain;
        }
        for s in &mut subtree {
            s.sort_unstable();
        }
        QueueTree { len, root, parent, children, ancestors, subtree }
    }

    /// Whether node `i` has no child queue.
    pub fn is_leaf(&self, i: usize) -> bool {
        self.children[i].is_empty()
    }

    /// Whether the root is a node of its own rather than a declared queue.
    pub fn virtual_root(&self) -> bool {
        self.subtree[self.root].binary_search(&self.root).is_err()
    }

    /// Whether some queue has child queues (a declared root with children counts): the hierarchy is
    /// then more than a flat list of queues.
    pub fn is_nested(&self) -> bool {
        (0..self.len).any(|i| !self.is_leaf(i) && (i != self.root || !self.virtual_root()))
    }

    /// Sum of `value` over the real queues of node `i`'s subtree.
    pub fn sum(&self, i: usize, value: impl Fn(usize) -> Resources) -> Resources {
        self.subtree[i].iter().fold(Resources::ZERO, |acc, q| acc + value(*q))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::QueueId;

    fn queue(id: u32, name: &str, parent: Option<&str>) -> Queue {
        let mut q = Queue::new(QueueId(id), name);
        q.parent = parent.map(str::to_string);
        q
    }

    #[test]
    fn virtual_root_and_ancestors() {
        // a → {a1, a2}, b; root virtual at index 4.
        let qs = [queue(0, "a", None), queue(1, "a1", Some("a")), queue(2, "a2", Some("a")), queue(3, "b", None)];
        let t = QueueTree::build(&qs);
        assert_eq!((t.len, t.root), (5, 4));
        assert_eq!(t.children[4], vec![0, 3]);
        assert_eq!(t.children[0], vec![1, 2]);
        assert_eq!(t.ancestors[1], vec![4, 0]);
        assert_eq!(t.subtree[0], vec![0, 1, 2]);
        assert_eq!(t.subtree[4], vec![0, 1, 2, 3]);
        assert!(t.is_leaf(1) && !t.is_leaf(0) && t.is_leaf(3));
        assert!(t.is_nested());
    }

    #[test]
    fn declared_root_and_flat_lists() {
        let qs = [queue(0, "root", None), queue(1, "a", None), queue(2, "b", Some("root"))];
        let t = QueueTree::build(&qs);
        assert_eq!((t.len, t.root), (3, 0));
        assert_eq!(t.children[0], vec![1, 2]);
        assert_eq!(t.ancestors[2], vec![0]);
        assert!(t.is_nested());
        let flat = QueueTree::build(&[queue(0, "a", None), queue(1, "b", None)]);
        assert!(!flat.is_nested());
    }
}
