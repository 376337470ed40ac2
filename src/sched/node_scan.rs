//! Which nodes a task is checked against, and how the best-scoring node is chosen.
//!
//! Volcano checks nodes from a rotating offset and stops once it has found
//! `numFeasibleNodesToFind` feasible ones (`util/scheduler_helper.go`), then breaks score ties
//! uniformly at random. `NodeScan::Volcano` does the same with a seeded stream, so runs stay
//! reproducible; `NodeScan::Exhaustive` checks every node and breaks ties by the lowest node id,
//! which makes hand-computed placements possible.

use crate::model::NodeId;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// Node scanning mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeScan {
    /// Volcano's sampling with a rotating offset and seeded random tie-breaks.
    Volcano,
    /// Every node; ties go to the lowest node id.
    Exhaustive,
}

/// `CalculateNumOfFeasibleNodesToFind` with Volcano's defaults (minimum 100 nodes, adaptive
/// percentage `max(5, 50 - N/125)`).
pub fn feasible_nodes_to_find(n: usize) -> usize {
    if n <= 100 {
        return n;
    }
    let pct = (50 - (n as i64) / 125).max(5) as usize;
    (n * pct / 100).max(100)
}

/// Scan state that persists across tasks and cycles (Volcano's `lastProcessedNodeIndex`).
#[derive(Clone, Debug)]
pub struct ScanState {
    /// Mode.
    pub mode: NodeScan,
    /// Offset of the next scan.
    pub offset: usize,
}

impl ScanState {
    /// Fresh state at offset 0.
    pub fn new(mode: NodeScan) -> ScanState {
        ScanState { mode, offset: 0 }
    }

    /// Visits node indices in scan order, calling `check` on each; stops once enough feasible
    /// nodes were found (Volcano mode). Advances the offset by the nodes processed.
    pub fn scan(&mut self, n: usize, check: impl FnMut(usize) -> bool) -> Vec<NodeId> {
        self.scan_skipping(n, |i, _| i, check)
    }

    /// [`ScanState::scan`] that asks `next(i, end)` for the first index in `i..end` that may pass
    /// `check` (`end` if none) and jumps there: the skipped nodes count as processed, exactly as
    /// if `check` had rejected each of them, so the nodes found and the offset are the same.
    pub fn scan_skipping(
        &mut self,
        n: usize,
        mut next: impl FnMut(usize, usize) -> usize,
        mut check: impl FnMut(usize) -> bool,
    ) -> Vec<NodeId> {
        let mut found = Vec::new();
        if n == 0 {
            return found;
        }
        let (start, limit) = match self.mode {
            NodeScan::Volcano => (self.offset % n, feasible_nodes_to_find(n)),
            NodeScan::Exhaustive => (0, n),
        };
        let mut processed = 0;
        'segments: for (lo, hi) in [(start, n), (0, start)] {
            let mut i = lo;
            loop {
                let j = next(i, hi).min(hi);
                processed += j - i;
                if j == hi {
                    break;
                }
                processed += 1;
                if check(j) {
                    found.push(NodeId(j as u32));
                    if found.len() >= limit {
                        break 'segments;
                    }
                }
                i = j + 1;
            }
        }
        if self.mode == NodeScan::Volcano {
            self.offset = (start + processed) % n;
        }
        found
    }

    /// Index of the best score; ties broken per mode. `scores` must be non-empty.
    pub fn pick_best(&self, nodes: &[NodeId], scores: &[f64], rng: &mut ChaCha8Rng) -> usize {
        let best = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        match self.mode {
            NodeScan::Exhaustive => {
                let mut pick = usize::MAX;
                for (i, s) in scores.iter().enumerate() {
                    if *s == best && (pick == usize::MAX || nodes[i] < nodes[pick]) {
                        pick = i;
                    }
                }
                pick
            }
            NodeScan::Volcano => {
                let ties: Vec<usize> = (0..scores.len()).filter(|i| scores[*i] == best).collect();
                if ties.len() == 1 { ties[0] } else { ties[rng.random_range(0..ties.len())] }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volcano_feasible_counts() {
        assert_eq!(feasible_nodes_to_find(50), 50);
        assert_eq!(feasible_nodes_to_find(1000), 420);
        assert_eq!(feasible_nodes_to_find(5000), 500);
        assert_eq!(feasible_nodes_to_find(10000), 500);
    }

    #[test]
    fn skipping_scan_equals_the_plain_scan() {
        let fits = |i: usize| i % 13 == 5 || i.is_multiple_of(29);
        for mode in [NodeScan::Volcano, NodeScan::Exhaustive] {
            for n in [0, 1, 7, 150, 1000, 3001] {
                for offset in [0, 3, 640, 2999] {
                    let mut a = ScanState { mode, offset };
                    let mut b = a.clone();
                    let plain = a.scan(n, fits);
                    let skip = b.scan_skipping(n, |i, end| (i..end).find(|k| fits(*k)).unwrap_or(end), fits);
                    assert_eq!((plain, a.offset), (skip, b.offset), "{mode:?} n={n} offset={offset}");
                }
            }
        }
    }

    #[test]
    fn offset_rotates_by_processed_nodes() {
        let mut s = ScanState::new(NodeScan::Volcano);
        let found = s.scan(1000, |_| true);
        assert_eq!(found.len(), 420);
        assert_eq!(s.offset, 420);
        let found = s.scan(1000, |i| i % 2 == 0);
        assert_eq!(found[0], NodeId(420));
        assert_eq!(s.offset, (420 + 839) % 1000);
    }
}
