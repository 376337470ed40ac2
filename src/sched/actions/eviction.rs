//! What preempt and reclaim share: collecting a starving job's pending tasks, and making room for
//! one task on one node by evicting victims in Volcano's victim order, then pipelining the task
//! there (it binds in a later cycle, once the victims are gone).

use crate::model::resources::SCALAR_SLOTS;
use crate::model::{JobId, NodeId, PodGroupPhase, QueueId, Resources, TaskId, TaskStatus};
use crate::sched::pq::PriorityQueue;
use crate::sched::session::Session;
use crate::sched::statement::Statement;
use std::cmp::Ordering;

/// Jobs that may take resources from others: admitted, valid, starving, with pending pods.
pub fn starving_jobs(ssn: &Session) -> Vec<JobId> {
    ssn.state
        .with_pending_pods
        .iter()
        .copied()
        .filter(|j| {
            let job = &ssn.state.jobs[j.idx()];
            job.pods_created && job.phase != PodGroupPhase::Pending && ssn.job_valid(*j).is_ok() && ssn.job_starving(*j)
        })
        .collect()
}

/// Starving jobs in a job-order queue per queue, and the queues that have any.
pub fn starving_by_queue(ssn: &Session) -> (Vec<PriorityQueue<JobId>>, Vec<QueueId>) {
    let nq = ssn.state.queues.len();
    let mut per_queue: Vec<PriorityQueue<JobId>> = vec![PriorityQueue::new(); nq];
    for j in starving_jobs(ssn) {
        let q = ssn.state.jobs[j.idx()].queue.idx();
        per_queue[q].push(j, &mut |a, b| ssn.job_order(a, b) == Ordering::Less);
    }
    let queues = (0..nq).filter(|q| !per_queue[*q].is_empty()).map(|q| QueueId(q as u32)).collect();
    (per_queue, queues)
}

/// The job's pending tasks in task order.
pub fn pending_tasks(ssn: &Session, j: JobId) -> PriorityQueue<TaskId> {
    let mut pq = PriorityQueue::new();
    for t in ssn.state.jobs[j.idx()].task_ids() {
        if ssn.state.tasks[t.idx()].status == TaskStatus::Pending {
            pq.push(t, &mut |a, b| ssn.task_order(a, b) == Ordering::Less);
        }
    }
    pq
}

/// One dimension of a [`Resources`] by index: 0 cpu, 1 memory, `2 + s` scalar slot `s`.
#[inline(always)]
fn at(r: &Resources, i: u8) -> i64 {
    match i {
        0 => r.cpu,
        1 => r.memory,
        _ => r.scalars[i as usize - 2],
    }
}

/// A request prepared for node scans: its positive dimensions, accelerators first (they are what
/// is short on an AI fleet, so most nodes are rejected after one comparison).
#[derive(Clone, Copy, Debug)]
pub struct Need {
    dims: [(u8, i64); 2 + SCALAR_SLOTS],
    len: usize,
}

impl Need {
    /// The positive dimensions of `req`.
    pub fn new(req: &Resources) -> Need {
        let mut need = Need { dims: [(0, 0); 2 + SCALAR_SLOTS], len: 0 };
        for i in (2..2 + SCALAR_SLOTS as u8).chain([0, 1]) {
            let r = at(req, i);
            if r > 0 {
                need.dims[need.len] = (i, r);
                need.len += 1;
            }
        }
        need
    }

    /// `req.le_on_own_dims(&(future_idle + row[add[0]] + row[add[1]] + …))` — the same saturating
    /// sums, dimension by dimension, stopping at the first dimension that falls short instead of
    /// building every vector first. Node scans call this for every node they visit, with
    /// `future_idle` from [`crate::model::ClusterState::future_idle`].
    #[inline]
    pub fn covered_by(&self, future_idle: &Resources, row: &[Resources], add: &[usize]) -> bool {
        self.dims[..self.len].iter().all(|&(i, r)| {
            let mut v = at(future_idle, i);
            for &o in add {
                v = v.saturating_add(at(&row[o], i));
            }
            r <= v
        })
    }
}

/// A small number for `x` in `list` (appended on first sight), so that cache keys compare
/// integers rather than requests or key vectors.
pub fn intern<T: PartialEq>(list: &mut Vec<T>, x: T) -> u32 {
    match list.iter().position(|k| *k == x) {
        Some(i) => i as u32,
        None => {
            list.push(x);
            (list.len() - 1) as u32
        }
    }
}

/// The statements of one run of an eviction action, and which of them were undone. Evictions and
/// pipelines only shrink the plugins' possible victims (see
/// [`crate::sched::plugin::Plugin::may_be_victim_shrinks`]), and undoing a statement brings the
/// session back to where that statement began. So a proof "no possible victim here" made during
/// statement `s` holds for the rest of the action unless `s` itself is undone: the statements
/// after `s` are either kept (more evictions) or undone (back to where they began, which is after
/// the proof).
#[derive(Clone, Debug)]
pub struct Proofs {
    /// Per statement serial (0: before the first statement): whether it was undone.
    undone: Vec<bool>,
}

impl Default for Proofs {
    fn default() -> Proofs {
        Proofs { undone: vec![false] }
    }
}

impl Proofs {
    /// Starts the next statement; proofs made from now on carry its serial.
    pub fn begin(&mut self) {
        self.undone.push(false);
    }

    /// The current statement is being discarded: its proofs no longer hold. A statement that
    /// changed nothing undoes nothing.
    pub fn discard(&mut self, stmt_was_empty: bool) {
        *self.undone.last_mut().expect("serial 0 exists") |= !stmt_was_empty;
    }

    /// The serial of the current statement.
    pub fn serial(&self) -> u64 {
        (self.undone.len() - 1) as u64
    }

    /// Whether a proof made during statement `serial` still holds.
    pub fn hold(&self, serial: u64) -> bool {
        !self.undone[serial as usize]
    }
}

/// The nodes an eviction search still has to look at, for one kind of evictor: a node leaves the
/// set once it is shown to have no possible victim for that kind (or is unhealthy). Such a proof
/// holds until the statement it was made in is undone (see [`Proofs`]); the set remembers which
/// nodes left during the statement it was last used in and takes them back if that statement was
/// undone ([`NodeSet::sync`]). Nodes are visited in id order by [`NodeSet::next`], which skips 64
/// proven nodes per step.
#[derive(Clone, Debug)]
pub struct NodeSet {
    /// The statement serial `journal` belongs to.
    serial: u64,
    /// Nodes removed during statement `serial`.
    journal: Vec<u32>,
    maybe: Vec<u64>,
    checked: Vec<u64>,
}

impl NodeSet {
    /// Every one of `n` nodes, none checked yet, as of statement `serial`.
    pub fn new(n: usize, serial: u64) -> NodeSet {
        let mut maybe = vec![u64::MAX; n.div_ceil(64)];
        if !n.is_multiple_of(64) {
            *maybe.last_mut().expect("n > 0") = (1u64 << (n % 64)) - 1;
        }
        NodeSet { serial, journal: Vec::new(), maybe, checked: vec![0; n.div_ceil(64)] }
    }

    /// The nodes whose bits are set in `maybe` (one bit per node id), none checked yet, as of
    /// statement `serial`.
    pub fn from_bits(maybe: Vec<u64>, serial: u64) -> NodeSet {
        let checked = vec![0; maybe.len()];
        NodeSet { serial, journal: Vec::new(), maybe, checked }
    }

    /// Brings the set to the current statement: the nodes removed during an undone statement come
    /// back (already checked, so they are looked at like any other node).
    pub fn sync(&mut self, proofs: &Proofs) {
        if self.serial == proofs.serial() {
            return;
        }
        if !proofs.hold(self.serial) {
            for &i in &self.journal {
                self.maybe[i as usize / 64] |= 1 << (i % 64);
            }
        }
        self.journal.clear();
        self.serial = proofs.serial();
    }

    /// The first node at or after `from` still in the set.
    pub fn next(&self, from: usize) -> Option<usize> {
        let mut w = from / 64;
        let mut bits = self.maybe.get(w)? & (u64::MAX << (from % 64));
        loop {
            if bits != 0 {
                return Some(w * 64 + bits.trailing_zeros() as usize);
            }
            w += 1;
            bits = *self.maybe.get(w)?;
        }
    }

    /// Takes node `i` out of the set.
    pub fn remove(&mut self, i: usize) {
        let (w, b) = (i / 64, 1u64 << (i % 64));
        if self.maybe[w] & b != 0 {
            self.maybe[w] &= !b;
            self.journal.push(i as u32);
        }
    }

    /// Marks node `i` checked; true the first time.
    pub fn first_check(&mut self, i: usize) -> bool {
        let (w, b) = (i / 64, 1u64 << (i % 64));
        let first = self.checked[w] & b == 0;
        self.checked[w] |= b;
        first
    }
}

/// Whether evicting every candidate would free enough for `task` on `node` — a necessary
/// condition whatever the plugins then allow, checked before any scoring or plugin call.
pub fn could_fit(ssn: &Session, task: TaskId, node: NodeId, candidates: &[TaskId]) -> bool {
    let req = ssn.state.tasks[task.idx()].request;
    let most = candidates
        .iter()
        .fold(ssn.state.nodes[node.idx()].future_idle(), |acc, c| acc + ssn.state.tasks[c.idx()].request);
    req.le_on_own_dims(&most)
}

/// Candidates sorted in victim order before the plugins see them, so that filters which take
/// "some of" a job's tasks (gang: those above the minimum) take the least important ones. Volcano
/// hands them over in map order, which is random; this is the deterministic reading.
pub fn in_victim_order(ssn: &Session, evictor: TaskId, mut candidates: Vec<TaskId>) -> Vec<TaskId> {
    candidates.sort_by(|a, b| ssn.victim_order(evictor, *a, *b));
    candidates
}

/// Tries to make room for `task` on `node` from `victims` (already filtered by the plugins):
/// checks that all of them would be enough, evicts them in victim order until the task fits the
/// node's future-idle resources (and, if `queue_check`, the queue may take it), then pipelines the
/// task. Returns whether the task was placed.
pub fn evict_and_pipeline(
    ssn: &mut Session,
    stmt: &mut Statement,
    task: TaskId,
    node: NodeId,
    mut victims: Vec<TaskId>,
    queue_check: bool,
) -> bool {
    let req = ssn.state.tasks[task.idx()].request;
    let freed =
        victims.iter().fold(ssn.state.nodes[node.idx()].future_idle(), |acc, v| acc + ssn.state.tasks[v.idx()].request);
    if !req.le_on_own_dims(&freed) {
        return false;
    }
    victims.sort_by(|a, b| ssn.victim_order(task, *a, *b));
    let queue = ssn.state.jobs[ssn.state.tasks[task.idx()].job.idx()].queue;
    let fits = |s: &Session| {
        req.le_on_own_dims(&s.state.nodes[node.idx()].future_idle()) && (!queue_check || s.allocatable(queue, task))
    };
    for v in victims {
        if fits(ssn) {
            break;
        }
        ssn.evict(stmt, v, task);
    }
    if !req.le_on_own_dims(&ssn.state.nodes[node.idx()].future_idle()) {
        return false;
    }
    ssn.pipeline(stmt, task, node);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::resources::GPU;
    use crate::model::{Node, NodeId, PoolId};

    #[test]
    fn node_set_visits_what_is_left_in_order() {
        let mut s = NodeSet::new(130, 0);
        assert_eq!(s.next(0), Some(0));
        for i in (0..130).filter(|i| i % 7 != 3) {
            s.remove(i);
        }
        let mut seen = vec![];
        let mut i = 0;
        while let Some(k) = s.next(i) {
            seen.push(k);
            i = k + 1;
        }
        assert_eq!(seen, (0..130).filter(|i| i % 7 == 3).collect::<Vec<_>>());
        assert_eq!(s.next(130), None);
        assert!(s.first_check(65) && !s.first_check(65));
    }

    #[test]
    fn node_set_takes_back_what_an_undone_statement_removed() {
        let mut proofs = Proofs::default();
        let mut s = NodeSet::new(10, proofs.serial());
        s.remove(1); // before any statement: holds for good
        proofs.begin();
        s.sync(&proofs);
        s.remove(2); // statement 1, kept
        proofs.begin();
        s.sync(&proofs);
        s.remove(3); // statement 2, undone
        s.remove(3);
        proofs.discard(false);
        proofs.begin();
        s.sync(&proofs);
        assert_eq!(s.next(1), Some(3));
        s.remove(4); // statement 3, undone but empty: holds
        proofs.discard(true);
        proofs.begin();
        s.sync(&proofs);
        assert_eq!((s.next(0), s.next(1), s.next(4)), (Some(0), Some(3), Some(5)));
        assert!(proofs.hold(0) && proofs.hold(1) && !proofs.hold(2) && proofs.hold(3));
    }

    #[test]
    fn need_agrees_with_the_vector_sums() {
        let mut node = Node::new(NodeId(0), "n".into(), PoolId(0), Resources::new(100, 100).with_scalar(GPU, 8000), 10);
        node.add(Resources::new(10, 20).with_scalar(GPU, 4000), TaskStatus::Running);
        node.add(Resources::new(10, 10).with_scalar(GPU, 1000), TaskStatus::Releasing);
        node.add(Resources::new(5, 0).with_scalar(GPU, 2000), TaskStatus::Pipelined);
        let row = [Resources::new(3, 3).with_scalar(GPU, 3000), Resources::new(0, 50)];
        for cpu in [0, 70, 80, 90, 100] {
            for mem in [0, 70, 121, 130] {
                for gpu in [0, 2000, 3000, 5000, 6000, 9000] {
                    let req = Resources::new(cpu, mem).with_scalar(GPU, gpu);
                    for add in [&[][..], &[0], &[1], &[0, 1]] {
                        let most = add.iter().fold(node.future_idle(), |acc, o| acc + row[*o]);
                        assert_eq!(
                            Need::new(&req).covered_by(&node.future_idle(), &row, add),
                            req.le_on_own_dims(&most),
                            "{req:?} {add:?}"
                        );
                    }
                }
            }
        }
    }
}
