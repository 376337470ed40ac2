//! `proportion` (`plugins/proportion/proportion.go`; Volcano design doc `proportional.md`): queues
//! share the cluster by weight. Each cycle, `deserved` is water-filled from the cluster total:
//! every unmet queue gets `remaining × weight / Σweights`, capped by its capability and its
//! request and raised to its guarantee, until every queue is met or nothing is left.
//!
//! A queue at or above `deserved` in every dimension is overused (skipped by allocate); a task is
//! allocatable while `allocated + request <= deserved` on the dimensions it requests; a job is
//! enqueueable while `minResources + allocated + inqueue − elastic <= realCapability`.
//!
//! Volcano computes in `f64` and compares with a 0.1 tolerance; the water-filling here does the same
//! so that deserved shares with fractions (16 GPUs over weights 1:2) match Volcano's exactly.

// Per-dimension loops over parallel vectors read clearer with an index.
#![allow(clippy::needless_range_loop)]

use crate::model::resources::{ALL_DIMS, UNBOUNDED};
use crate::model::{ClusterState, Job, Queue, QueueState, Resources, SimTime, Task, TaskId};
use crate::sched::conf::Hook;
use crate::sched::plugin::{Plugin, Vote};
use std::cmp::Ordering;
use std::collections::BTreeMap;

const DIMS: usize = ALL_DIMS.len();
/// Volcano's `minResource` tolerance, in milli-units / bytes.
const TOLERANCE: f64 = 0.1;

/// A float resource vector in tephra's units (millicores, bytes, milli-units).
pub type FRes = [f64; DIMS];

/// Converts an integer vector (unbounded dimensions become infinity).
pub fn to_f(r: &Resources) -> FRes {
    let mut out = [0.0; DIMS];
    for (i, d) in ALL_DIMS.iter().enumerate() {
        let v = r.get(*d);
        out[i] = if v >= UNBOUNDED { f64::INFINITY } else { v as f64 };
    }
    out
}

fn le(l: f64, r: f64) -> bool {
    l < r + TOLERANCE
}

fn le_all(a: &FRes, b: &FRes) -> bool {
    a.iter().zip(b).all(|(x, y)| le(*x, *y))
}

fn is_empty(a: &FRes) -> bool {
    a.iter().all(|x| *x < TOLERANCE)
}

/// One queue's inputs to the water-filling.
#[derive(Clone, Debug)]
pub struct FillInput {
    /// Queue weight.
    pub weight: f64,
    /// `realCapability` (infinite where unbounded).
    pub real_capability: FRes,
    /// Allocated plus pending requests.
    pub request: FRes,
    /// Guarantee.
    pub guarantee: FRes,
}

/// Water-fills `total` over the queues; returns each queue's deserved resources.
pub fn water_fill(total: &FRes, queues: &[FillInput]) -> Vec<FRes> {
    let mut deserved = vec![[0.0; DIMS]; queues.len()];
    let mut met = vec![false; queues.len()];
    let mut remaining = *total;
    loop {
        let total_weight: f64 = queues.iter().zip(&met).filter(|(_, m)| !**m).map(|(q, _)| q.weight).sum();
        if total_weight == 0.0 {
            break;
        }
        let old_remaining = remaining;
        let mut increased = [0.0; DIMS];
        let mut decreased = [0.0; DIMS];
        for (i, q) in queues.iter().enumerate() {
            if met[i] {
                continue;
            }
            let old = deserved[i];
            let mut d = old;
            for k in 0..DIMS {
                d[k] += remaining[k] * (q.weight / total_weight);
                d[k] = d[k].min(q.real_capability[k]);
                d[k] = d[k].min(q.request[k]);
                d[k] = d[k].max(q.guarantee[k]);
            }
            if le_all(&q.request, &d) || d == old {
                met[i] = true;
            }
            for k in 0..DIMS {
                let delta = d[k] - old[k];
                if delta > 0.0 {
                    increased[k] += delta;
                } else {
                    decreased[k] -= delta;
                }
            }
            deserved[i] = d;
        }
        for k in 0..DIMS {
            remaining[k] = (remaining[k] + decreased[k] - increased[k]).max(0.0);
        }
        if is_empty(&remaining) || remaining == old_remaining {
            break;
        }
    }
    deserved
}

#[derive(Clone, Debug)]
struct Attr {
    deserved: FRes,
    real_capability: FRes,
    inqueue: FRes,
    elastic: FRes,
}

/// The proportion plugin.
#[derive(Debug, Default)]
pub struct Proportion {
    attrs: Vec<Option<Attr>>,
}

impl Proportion {
    /// Deserved resources of a queue this session (None if the queue has no jobs).
    pub fn deserved(&self, q: usize) -> Option<FRes> {
        self.attrs.get(q).and_then(|a| a.as_ref()).map(|a| a.deserved)
    }

    fn share(&self, q: &Queue) -> f64 {
        let Some(attr) = self.attrs[q.id.idx()].as_ref() else { return 0.0 };
        let alloc = to_f(&q.allocated);
        let mut share: f64 = 0.0;
        for k in 0..DIMS {
            if attr.deserved[k] >= TOLERANCE {
                share = share.max(alloc[k] / attr.deserved[k]);
            }
        }
        share
    }
}

impl Plugin for Proportion {
    fn name(&self) -> &'static str {
        "proportion"
    }
    fn hooks(&self) -> &'static [Hook] {
        &[
            Hook::QueueOrder,
            Hook::Overused,
            Hook::Allocatable,
            Hook::JobEnqueueable,
            Hook::Reclaimable,
            Hook::Preemptive,
        ]
    }
    fn on_session_open(&mut self, st: &ClusterState, _now: SimTime) {
        let nq = st.queues.len();
        let has_jobs: Vec<bool> = st.queues.iter().map(|q| q.active_jobs > 0).collect();
        let inqueue: Vec<FRes> = st.queues.iter().map(|q| to_f(&q.tallies.inqueue_unmet)).collect();
        let elastic: Vec<FRes> = st.queues.iter().map(|q| to_f(&q.tallies.elastic)).collect();
        let total = to_f(&st.total);
        let guarantees = st.queues.iter().fold(Resources::ZERO, |a, q| a + q.guarantee);
        let spare = to_f(&st.total.sub_clamped(guarantees));
        let mut inputs = Vec::new();
        let mut index = Vec::new();
        let mut caps = Vec::new();
        for q in &st.queues {
            if !has_jobs[q.id.idx()] {
                continue;
            }
            let cap = to_f(&q.capability);
            let guarantee = to_f(&q.guarantee);
            let mut real = [0.0; DIMS];
            for k in 0..DIMS {
                real[k] = cap[k].min(spare[k] + guarantee[k]);
            }
            inputs.push(FillInput {
                weight: q.weight as f64,
                real_capability: real,
                request: to_f(&(q.allocated + q.pending)),
                guarantee,
            });
            index.push(q.id.idx());
            caps.push(real);
        }
        let deserved = water_fill(&total, &inputs);
        self.attrs = vec![None; nq];
        for (k, qi) in index.into_iter().enumerate() {
            self.attrs[qi] = Some(Attr {
                deserved: deserved[k],
                real_capability: caps[k],
                inqueue: inqueue[qi],
                elastic: elastic[qi],
            });
        }
    }
    fn deserved(&self, q: crate::model::QueueId) -> Option<Resources> {
        let attr = self.attrs.get(q.idx())?.as_ref()?;
        let mut r = Resources::ZERO;
        for (k, d) in ALL_DIMS.iter().enumerate() {
            *r.get_mut(*d) = (attr.deserved[k] + TOLERANCE).floor().min(UNBOUNDED as f64) as i64;
        }
        Some(r)
    }
    fn queue_order(&self, _st: &ClusterState, a: &Queue, b: &Queue) -> Ordering {
        b.priority.cmp(&a.priority).then_with(|| self.share(a).partial_cmp(&self.share(b)).unwrap_or(Ordering::Equal))
    }
    fn overused(&self, _st: &ClusterState, q: &Queue) -> bool {
        let Some(attr) = self.attrs[q.id.idx()].as_ref() else { return false };
        le_all(&attr.deserved, &to_f(&q.allocated))
    }
    fn allocatable(&self, _st: &ClusterState, q: &Queue, task: &Task) -> bool {
        if q.state != QueueState::Open {
            return false;
        }
        let Some(attr) = self.attrs[q.id.idx()].as_ref() else { return false };
        let want = to_f(&(q.allocated + task.request));
        let req = to_f(&task.request);
        (0..DIMS).all(|k| req[k] < TOLERANCE || le(want[k], attr.deserved[k]))
    }
    fn reclaimable(&self, st: &ClusterState, _r: &Task, candidates: &[TaskId]) -> Option<Vec<TaskId>> {
        // A victim's queue must be above its deserved share in some dimension, counting the
        // victims already taken from it.
        let mut left: BTreeMap<usize, FRes> = BTreeMap::new();
        let mut out = Vec::new();
        for &c in candidates {
            let v = &st.tasks[c.idx()];
            let q = st.jobs[v.job.idx()].queue.idx();
            let Some(attr) = self.attrs[q].as_ref() else { continue };
            let alloc = left.entry(q).or_insert_with(|| to_f(&st.queues[q].allocated));
            if !le_all(alloc, &attr.deserved) {
                let req = to_f(&v.request);
                for k in 0..DIMS {
                    alloc[k] -= req[k];
                }
                out.push(c);
            }
        }
        Some(out)
    }
    fn may_be_victim_shrinks(&self) -> bool {
        true // evictions lower queue allocations, pipelines leave them; deserved is fixed per session
    }
    fn may_be_victim(&self, st: &ClusterState, _r: &Task, c: TaskId, _h: Hook) -> bool {
        let q = st.jobs[st.tasks[c.idx()].job.idx()].queue.idx();
        self.attrs[q].as_ref().is_some_and(|a| !le_all(&to_f(&st.queues[q].allocated), &a.deserved))
    }
    fn preemptive(&self, _st: &ClusterState, q: &Queue, task: &Task) -> bool {
        let Some(attr) = self.attrs[q.id.idx()].as_ref() else { return false };
        let want = to_f(&(q.allocated + task.request));
        let req = to_f(&task.request);
        (0..DIMS).all(|k| req[k] < TOLERANCE || le(want[k], attr.deserved[k]))
    }
    fn job_enqueueable(&self, st: &ClusterState, job: &Job) -> Vote {
        if let Some(v) = super::queue_gate(st, job) {
            return v;
        }
        let q = &st.queues[job.queue.idx()];
        let Some(attr) = self.attrs[q.id.idx()].as_ref() else { return Vote::Permit };
        let min = to_f(&job.min_resources);
        let alloc = to_f(&q.allocated);
        let fits = (0..DIMS).all(|k| {
            min[k] < TOLERANCE || le(min[k] + alloc[k] + attr.inqueue[k] - attr.elastic[k], attr.real_capability[k])
        });
        if fits { Vote::Permit } else { Vote::Reject }
    }
    fn job_enqueued(&mut self, _st: &ClusterState, job: &Job) {
        if let Some(attr) = self.attrs[job.queue.idx()].as_mut() {
            let min = to_f(&job.min_resources);
            for k in 0..DIMS {
                attr.inqueue[k] += min[k];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gpus(n: f64) -> FRes {
        let mut r = [0.0; DIMS];
        r[2] = n * 1000.0;
        r
    }

    #[test]
    fn water_fill_by_hand() {
        // 24 GPUs; weights 1:2:3; queue a only asks for 2 GPUs. Round 1 gives a=min(4,2)=2 (met),
        // b=8, c=12, leaving 2; round 2 splits the 2 left 2:3 between b and c: 8.8 and 13.2.
        let inf = [f64::INFINITY; DIMS];
        let q = |w: f64, req: f64| FillInput {
            weight: w,
            real_capability: inf,
            request: gpus(req),
            guarantee: [0.0; DIMS],
        };
        let d = water_fill(&gpus(24.0), &[q(1.0, 2.0), q(2.0, 24.0), q(3.0, 24.0)]);
        assert!((d[0][2] - 2000.0).abs() < 1e-6);
        assert!((d[1][2] - 8800.0).abs() < 1e-6);
        assert!((d[2][2] - 13200.0).abs() < 1e-6);
    }
}
