//! The decision log (`decisions.csv`): every externally visible scheduler decision — a PodGroup
//! admitted, a pod bound, a pod evicted and for whom — with the cycle that made it. It answers
//! "why did this job wait?" after a run, and it is what the conformance cases compare against.
//! Off by default (`run.decisions: true` or `tephra run --decisions`): a month of trace makes
//! millions of rows.

use crate::model::{ClusterState, JobId, NodeId, SimTime, TaskId};
use crate::sched::decisions::EvictCause;
use serde::Serialize;

/// One decision.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DecisionRow {
    /// Simulated time of the cycle, milliseconds.
    pub time_ms: u64,
    /// Cycle number (1-based).
    pub cycle: u64,
    /// `enqueue`, `bind` or `evict`.
    pub kind: &'static str,
    /// Job name.
    pub job: String,
    /// Job's queue.
    pub queue: String,
    /// Pod name (`<job>-<role>-<index>`); empty for `enqueue`.
    pub pod: String,
    /// Node name; empty for `enqueue`. When cards are tracked, the pod's cards follow in brackets
    /// (`gpu-000[0,1]`).
    pub node: String,
    /// For `evict`: the pod the eviction made room for (empty for `shuffle`'s evictions, which are
    /// for no one).
    pub by_pod: String,
    /// For `evict`: that pod's queue.
    pub by_queue: String,
    /// For `evict`: `preempt` (preempt, gangpreempt), `reclaim` (reclaim, gangreclaim) or `shuffle`.
    pub cause: &'static str,
}

impl DecisionRow {
    /// The compact one-line form the conformance cases are written in:
    /// `12s enqueue j1`, `13s bind j1-w-0 n0`, `14s evict lo-w-0 n0 by hi-w-0`, and
    /// `15s evict lo-w-1 n1 (shuffle)` for an eviction without a preemptor.
    pub fn line(&self) -> String {
        let t = if self.time_ms.is_multiple_of(1000) {
            format!("{}s", self.time_ms / 1000)
        } else {
            format!("{}.{:03}s", self.time_ms / 1000, self.time_ms % 1000)
        };
        match self.kind {
            "enqueue" => format!("{t} enqueue {}", self.job),
            "bind" => format!("{t} bind {} {}", self.pod, self.node),
            _ if self.by_pod.is_empty() => format!("{t} evict {} {} (shuffle)", self.pod, self.node),
            _ => format!("{t} evict {} {} by {}", self.pod, self.node, self.by_pod),
        }
    }
}

/// Pod name as Volcano's job controller makes it: `<job>-<role>-<index>`.
pub fn pod_name(st: &ClusterState, t: TaskId) -> String {
    let task = &st.tasks[t.idx()];
    let job = &st.jobs[task.job.idx()];
    format!("{}-{}-{}", job.name, job.roles[task.role as usize].name, task.index)
}

/// The node's name, followed by the pod's card ids when cards are tracked (`gpu-000[0,3]`).
pub fn node_with_cards(st: &ClusterState, t: TaskId, n: NodeId) -> String {
    let name = &st.nodes[n.idx()].name;
    let cards = st.tasks[t.idx()].cards;
    if !st.devices.on || cards == 0 {
        return name.clone();
    }
    let ids: Vec<String> = (0..64).filter(|i| cards & (1 << i) != 0).map(|i| i.to_string()).collect();
    format!("{name}[{}]", ids.join(","))
}

/// Appends rows; `None` when logging is off.
#[derive(Clone, Debug, Default)]
pub struct DecisionLog {
    rows: Option<Vec<DecisionRow>>,
}

impl DecisionLog {
    /// A log that records (`on`) or ignores everything.
    pub fn new(on: bool) -> DecisionLog {
        DecisionLog { rows: on.then(Vec::new) }
    }

    /// Whether rows are kept.
    pub fn is_on(&self) -> bool {
        self.rows.is_some()
    }

    fn push(
        &mut self,
        st: &ClusterState,
        at: (SimTime, u64),
        kind: &'static str,
        job: JobId,
        pod: Option<(TaskId, NodeId)>,
        evicted: Option<(Option<TaskId>, EvictCause)>,
    ) {
        let by = evicted.and_then(|e| e.0);
        let Some(rows) = &mut self.rows else { return };
        let j = &st.jobs[job.idx()];
        let by_queue = by.map(|b| st.queues[st.jobs[st.tasks[b.idx()].job.idx()].queue.idx()].name.clone());
        rows.push(DecisionRow {
            time_ms: at.0.0,
            cycle: at.1,
            kind,
            job: j.name.clone(),
            queue: st.queues[j.queue.idx()].name.clone(),
            pod: pod.map(|(t, _)| pod_name(st, t)).unwrap_or_default(),
            node: pod.map(|(t, n)| node_with_cards(st, t, n)).unwrap_or_default(),
            by_pod: by.map(|b| pod_name(st, b)).unwrap_or_default(),
            by_queue: by_queue.unwrap_or_default(),
            cause: evicted.map_or("", |e| e.1.name()),
        });
    }

    /// A PodGroup was admitted.
    pub fn enqueue(&mut self, st: &ClusterState, now: SimTime, cycle: u64, job: JobId) {
        self.push(st, (now, cycle), "enqueue", job, None, None);
    }

    /// A pod was bound to a node.
    pub fn bind(&mut self, st: &ClusterState, now: SimTime, cycle: u64, t: TaskId, node: NodeId) {
        self.push(st, (now, cycle), "bind", st.tasks[t.idx()].job, Some((t, node)), None);
    }

    /// A pod was evicted (before its status changes, so its node is still known) for `by`, or for
    /// no one (`shuffle`).
    pub fn evict(
        &mut self,
        st: &ClusterState,
        now: SimTime,
        cycle: u64,
        t: TaskId,
        node: NodeId,
        by: (Option<TaskId>, EvictCause),
    ) {
        self.push(st, (now, cycle), "evict", st.tasks[t.idx()].job, Some((t, node)), Some(by));
    }

    /// The rows recorded, leaving the log empty.
    pub fn take(&mut self) -> Vec<DecisionRow> {
        self.rows.as_mut().map(std::mem::take).unwrap_or_default()
    }
}
