//! A binary heap ordered by a comparator supplied at each call.
//!
//! Volcano's priority queues compare through session callbacks (`JobOrderFn`, …) whose answers
//! depend on live session state, so the order cannot be a fixed `Ord`. The comparator is passed to
//! `push`/`pop`, like Go's `container/heap` with a closure-backed `Less`.

/// A heap of `T`; `less(a, b)` means `a` pops before `b`.
#[derive(Clone, Debug, Default)]
pub struct PriorityQueue<T> {
    items: Vec<T>,
}

impl<T: Copy> PriorityQueue<T> {
    /// An empty queue.
    pub fn new() -> Self {
        PriorityQueue { items: Vec::new() }
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The items in heap order (not pop order).
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.items.iter()
    }

    /// Adds an item.
    pub fn push(&mut self, x: T, less: &mut impl FnMut(T, T) -> bool) {
        self.items.push(x);
        let mut i = self.items.len() - 1;
        while i > 0 {
            let parent = (i - 1) / 2;
            if less(self.items[i], self.items[parent]) {
                self.items.swap(i, parent);
                i = parent;
            } else {
                break;
            }
        }
    }

    /// Removes and returns the first item.
    pub fn pop(&mut self, less: &mut impl FnMut(T, T) -> bool) -> Option<T> {
        if self.items.is_empty() {
            return None;
        }
        let last = self.items.len() - 1;
        self.items.swap(0, last);
        let top = self.items.pop();
        let n = self.items.len();
        let mut i = 0;
        loop {
            let (l, r) = (2 * i + 1, 2 * i + 2);
            let mut best = i;
            if l < n && less(self.items[l], self.items[best]) {
                best = l;
            }
            if r < n && less(self.items[r], self.items[best]) {
                best = r;
            }
            if best == i {
                break;
            }
            self.items.swap(i, best);
            i = best;
        }
        top
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_comparator_order() {
        let mut q = PriorityQueue::new();
        let mut less = |a: i32, b: i32| a > b;
        for x in [3, 9, 1, 7, 5, 9] {
            q.push(x, &mut less);
        }
        let mut out = vec![];
        while let Some(x) = q.pop(&mut less) {
            out.push(x);
        }
        assert_eq!(out, vec![9, 9, 7, 5, 3, 1]);
    }
}
