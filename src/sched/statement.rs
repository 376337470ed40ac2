//! Statements: tentative operations applied to the session at once and journaled, then committed
//! (forward) or discarded (in reverse) as one unit (`framework/statement.go`). This is how a gang
//! that cannot become ready backs out of every placement it made.

use crate::model::{NodeId, TaskId, TaskStatus};

/// One journaled operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Task placed on a node with its resources taken from `Idle`.
    Allocate(TaskId, NodeId),
    /// Task promised a node's future resources.
    Pipeline(TaskId, NodeId),
    /// Task being evicted for another (the second id; `None` for shuffle's evictions); the status
    /// restores it on discard.
    Evict(TaskId, Option<TaskId>, TaskStatus),
}

/// A journal of tentative operations.
#[derive(Clone, Debug, Default)]
pub struct Statement {
    /// Operations in the order they were applied.
    pub ops: Vec<Op>,
}

impl Statement {
    /// An empty statement.
    pub fn new() -> Statement {
        Statement::default()
    }

    /// True when nothing was journaled.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}
