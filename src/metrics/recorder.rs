//! The metrics recorder: observes the cluster at every event boundary and integrates utilization
//! over simulated time, so no metric is computed by re-scanning history.
//!
//! Definitions (repeated in the README):
//! - **Accelerator allocation** = ∫ allocated accelerators dt / ∫ healthy accelerators dt, where
//!   allocated counts every accelerator a pod holds (binding, starting, running or terminating).
//! - **Accelerator goodput** = the same integral counting only accelerators of jobs that are making
//!   progress (at least `minAvailable` pods running). The gap to allocation is capacity held by
//!   pods that do no work: partially placed gangs, pods still starting.
//! - **CPU allocation**: as accelerator allocation, for CPU cores.
//! - **Per pool / per device model**: the same ratios over the pool's (the model's pools') healthy
//!   nodes. **Per queue**: time-weighted mean of the queue's allocated (and progressing)
//!   accelerators, in units.
//! - **Evicted GPU-hours** ("interference"): for every evicted pod, its accelerators × the time
//!   since it was bound, i.e. the held capacity the eviction threw away; *cross-queue* when the
//!   eviction made room for another queue's pod.
//! - Fairness: see [`super::fairness`].

use crate::model::queue_tree::QueueTree;
use crate::model::{ClusterState, QueueId, Resources, SimTime};
use crate::sched::decisions::EvictCause;
use serde::Serialize;

/// One timeline row (long format: one row per scope and sample time).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TimelineRow {
    /// Sample time, seconds.
    pub time_s: f64,
    /// `cluster`, `pool` or `queue`.
    pub scope: &'static str,
    /// Pool or queue name (`all` for the cluster).
    pub name: String,
    /// Allocated accelerators (GPUs + NPUs).
    pub accel_alloc: f64,
    /// Healthy accelerators (empty for queues).
    pub accel_total: Option<f64>,
    /// Allocated CPU cores.
    pub cpu_alloc: f64,
    /// Healthy CPU cores (empty for queues).
    pub cpu_total: Option<f64>,
    /// Jobs submitted whose gang has not run yet (empty for pools).
    pub jobs_pending: Option<u32>,
    /// Jobs making progress (empty for pools).
    pub jobs_running: Option<u32>,
    /// Accelerators of progressing jobs (goodput; empty for pools).
    pub accel_goodput: Option<f64>,
}

/// One queue's sampled state (`queues.csv`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct QueueRow {
    /// Sample time, seconds.
    pub time_s: f64,
    /// Queue name.
    pub queue: String,
    /// Queue weight.
    pub weight: u32,
    /// Allocated accelerators (for a queue with child queues: its whole subtree's).
    pub accel_alloc: f64,
    /// Deserved accelerators from the last cycle (empty when the policy has no deserved share or
    /// the queue had no jobs).
    pub accel_deserved: Option<f64>,
    /// Allocated CPU cores.
    pub cpu_alloc: f64,
    /// Deserved CPU cores.
    pub cpu_deserved: Option<f64>,
    /// Dominant share: max over the deserved dimensions of allocated / deserved.
    pub share: Option<f64>,
    /// Whether the queue is overused (allocated ≥ deserved in every dimension).
    pub overused: Option<bool>,
    /// Pods of the queue evicted by preempt / gangpreempt so far.
    pub preempted: u64,
    /// Pods evicted by preempt / gangpreempt for the queue's pods so far.
    pub preempted_for: u64,
    /// Pods of the queue evicted by reclaim / gangreclaim so far.
    pub reclaimed: u64,
    /// Pods evicted by reclaim / gangreclaim for the queue's pods so far.
    pub reclaimed_for: u64,
    /// Pods of the queue evicted for another queue's pods so far.
    pub cross_queue_evicted: u64,
    /// Pods of the queue evicted by shuffle so far.
    pub shuffled: u64,
    /// Dominant share of the cluster the queue holds (own allocation; empty without demand).
    pub dominant_share: Option<f64>,
    /// Its policy-independent fair share (see [`super::fairness`]; empty without demand).
    pub fair_share: Option<f64>,
}

/// Per-queue integrals and counters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueueTally {
    /// ∫ allocated accelerator milli-units dt (ms).
    pub accel_area: i128,
    /// ∫ accelerator milli-units of the queue's progressing jobs dt (ms).
    pub goodput_area: i128,
    /// ∫ policy share (allocated / deserved, dominant over deserved dims) dt while deserved known.
    pub share_area: f64,
    /// ∫ deserved accelerator milli-units dt while a deserved share was known.
    pub deserved_area: i128,
    /// Time with a known deserved share (ms).
    pub deserved_ms: u64,
    /// Time spent overused (ms).
    pub overused_ms: u64,
    /// Pods of this queue evicted.
    pub evictions_received: u64,
    /// Pods evicted to make room for this queue's pods (shuffle's evictions are for no queue).
    pub evictions_given: u64,
    /// Pods of this queue evicted for another queue's pods.
    pub cross_queue_received: u64,
    /// Pods of this queue evicted by preempt / gangpreempt.
    pub preempted: u64,
    /// Pods evicted by preempt / gangpreempt for this queue's pods.
    pub preempted_for: u64,
    /// Pods of this queue evicted by reclaim / gangreclaim.
    pub reclaimed: u64,
    /// Pods evicted by reclaim / gangreclaim for this queue's pods.
    pub reclaimed_for: u64,
    /// Pods of this queue evicted by shuffle (rescheduling, tdm, …).
    pub shuffled: u64,
    /// Accelerator milli-unit × ms held by this queue's evicted pods (bind → eviction).
    pub evicted_accel_ms: i128,
    /// The part of `evicted_accel_ms` evicted for another queue's pods.
    pub cross_queue_evicted_accel_ms: i128,
}

/// Per-pool integrals (milli-units × ms).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PoolTally {
    /// ∫ allocated accelerators dt.
    pub accel_alloc_area: i128,
    /// ∫ healthy accelerators dt.
    pub accel_healthy_area: i128,
    /// ∫ allocated CPU dt.
    pub cpu_alloc_area: i128,
    /// ∫ healthy CPU dt.
    pub cpu_healthy_area: i128,
    /// ∫ accelerators of progressing jobs' pods on the pool's nodes dt (goodput).
    pub accel_goodput_area: i128,
}

/// Volcano's Overused: deserved ≤ allocated in every dimension.
pub fn overused(allocated: &Resources, deserved: &Resources) -> bool {
    deserved.le(allocated)
}

/// Dominant share over the dimensions present in `deserved`.
pub fn share(allocated: &Resources, deserved: &Resources) -> f64 {
    deserved.dims().map(|d| allocated.get(d) as f64 / deserved.get(d) as f64).fold(0.0, f64::max)
}

/// Time integrals and samples.
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    last: SimTime,
    /// ∫ allocated accelerator milli-units dt (ms).
    pub accel_alloc_area: i128,
    /// ∫ healthy accelerator milli-units dt.
    pub accel_healthy_area: i128,
    /// ∫ accelerators of progressing jobs dt.
    pub accel_goodput_area: i128,
    /// ∫ allocated CPU millicores dt.
    pub cpu_alloc_area: i128,
    /// ∫ healthy CPU millicores dt.
    pub cpu_healthy_area: i128,
    /// Per accelerator slot, (∫ allocated dt, ∫ healthy dt); kept only when the scenario binds
    /// extended accelerators (`fleet.pools[].extended`), so the summary can tell them apart.
    pub accel_slot_areas: Option<[(i128, i128); crate::model::resources::ACCELERATOR_SLOTS.len()]>,
    /// Sampled timeline.
    pub timeline: Vec<TimelineRow>,
    /// Scheduling cycles run.
    pub cycles: u64,
    /// Pods bound.
    pub binds: u64,
    /// Pods evicted (preempt, reclaim and shuffle).
    pub evictions: u64,
    /// Per queue.
    pub queues: Vec<QueueTally>,
    /// Per queue: deserved resources as of the last cycle.
    pub deserved: Vec<Option<Resources>>,
    /// Sampled queue rows.
    pub queue_rows: Vec<QueueRow>,
    /// Every decision, when the run asks for the log.
    pub decisions: super::DecisionLog,
    /// GPU fragmentation samples (runs that share cards only).
    pub fragmentation: super::fragmentation::FragTracker,
    /// The queue hierarchy (`spec.parent`) and whether it nests, built on first use.
    tree: Option<(QueueTree, bool)>,
    /// Per pool.
    pub pools: Vec<PoolTally>,
    /// Fairness integrals.
    pub fairness: super::fairness::FairnessTally,
    /// Sampled fairness rows.
    pub fairness_rows: Vec<super::fairness::FairnessRow>,
    /// Per job, with a declared topology: the smallest HyperNode holding the nodes of its running
    /// pods when its gang first ran (none if it never ran).
    pub job_span: Vec<Option<u32>>,
}

impl Recorder {
    /// Records `job`'s span (see [`Recorder::job_span`]).
    pub fn set_span(&mut self, job: crate::model::JobId, span: Option<u32>) {
        if self.job_span.len() <= job.idx() {
            self.job_span.resize(job.idx() + 1, None);
        }
        self.job_span[job.idx()] = span;
    }

    /// Per queue, its allocation as reported: an inner queue of a hierarchy (`spec.parent`) holds
    /// what its subtree holds. `None` when no queue has children (every queue's own allocation).
    fn subtree_allocated(&mut self, st: &ClusterState) -> Option<Vec<Resources>> {
        let (tree, nested) = self.tree.get_or_insert_with(|| {
            let t = QueueTree::build(&st.queues);
            let nested = t.is_nested();
            (t, nested)
        });
        nested.then(|| (0..st.queues.len()).map(|i| tree.sum(i, |q| st.queues[q].allocated)).collect())
    }

    /// Per queue, accelerator milli-units of its progressing jobs as reported: an inner queue of a
    /// hierarchy counts its whole subtree, like its allocation. `None` when no queue has children.
    fn subtree_progressing(&self, st: &ClusterState) -> Option<Vec<i64>> {
        let (tree, nested) = self.tree.as_ref()?;
        let gpu = |q: usize| Resources::ZERO.with_scalar(crate::model::resources::GPU, st.queues[q].progressing_accel);
        nested.then(|| (0..st.queues.len()).map(|i| tree.sum(i, gpu).accelerators()).collect())
    }

    /// Healthy resources per pool (a node scan only when the healthy total moved).
    /// Integrates the current state from the last event to `now`.
    pub fn advance(&mut self, now: SimTime, st: &ClusterState) {
        let dt = now.since(self.last).0 as i128;
        if dt > 0 {
            let healthy = &st.pool_healthy;
            self.pools.resize(st.pools.len(), PoolTally::default());
            for (((p, used), h), good) in
                self.pools.iter_mut().zip(&st.pool_used).zip(healthy).zip(&st.pool_progressing_accel)
            {
                p.accel_alloc_area += dt * used.accelerators() as i128;
                p.accel_goodput_area += dt * *good as i128;
                p.accel_healthy_area += dt * h.accelerators() as i128;
                p.cpu_alloc_area += dt * used.cpu as i128;
                p.cpu_healthy_area += dt * h.cpu as i128;
            }
            self.fairness.add(dt as u64, &super::fairness::Snapshot::of(st));
            let used = st.pool_used.iter().fold(crate::model::Resources::ZERO, |a, b| a + *b);
            self.accel_alloc_area += dt * used.accelerators() as i128;
            self.accel_healthy_area += dt * st.total.accelerators() as i128;
            self.accel_goodput_area += dt * st.progressing_alloc.accelerators() as i128;
            self.cpu_alloc_area += dt * used.cpu as i128;
            self.cpu_healthy_area += dt * st.total.cpu as i128;
            if st.scalar_names.has_extended_accelerators() {
                let areas = self.accel_slot_areas.get_or_insert_with(Default::default);
                for (a, s) in areas.iter_mut().zip(crate::model::resources::ACCELERATOR_SLOTS) {
                    a.0 += dt * used.scalars[s] as i128;
                    a.1 += dt * st.total.scalars[s] as i128;
                }
            }
            self.queues.resize(st.queues.len(), QueueTally::default());
            let nested = self.subtree_allocated(st);
            let progressing = self.subtree_progressing(st);
            for (q, tally) in st.queues.iter().zip(self.queues.iter_mut()) {
                let allocated = nested.as_ref().map_or(q.allocated, |a| a[q.id.idx()]);
                tally.accel_area += dt * allocated.accelerators() as i128;
                tally.goodput_area += dt * progressing.as_ref().map_or(q.progressing_accel, |p| p[q.id.idx()]) as i128;
                if let Some(d) = self.deserved.get(q.id.idx()).copied().flatten() {
                    tally.share_area += dt as f64 * share(&allocated, &d);
                    tally.deserved_area += dt * d.accelerators() as i128;
                    tally.deserved_ms += dt as u64;
                    if overused(&allocated, &d) {
                        tally.overused_ms += dt as u64;
                    }
                }
            }
        }
        self.last = now;
    }

    /// Records one eviction of a pod of `victim` made for a pod of `by` (`None`: shuffle evicted it
    /// for no one; it counts as received, not given nor cross-queue).
    pub fn eviction(&mut self, victim: QueueId, by: Option<QueueId>, cause: EvictCause) {
        let n = self.queues.len().max(victim.idx() + 1).max(by.map_or(0, |b| b.idx() + 1));
        self.queues.resize(n, QueueTally::default());
        self.queues[victim.idx()].evictions_received += 1;
        match cause {
            EvictCause::Preempt => self.queues[victim.idx()].preempted += 1,
            EvictCause::Reclaim => self.queues[victim.idx()].reclaimed += 1,
            EvictCause::Shuffle => self.queues[victim.idx()].shuffled += 1,
        }
        if let Some(by) = by {
            match cause {
                EvictCause::Preempt => self.queues[by.idx()].preempted_for += 1,
                EvictCause::Reclaim => self.queues[by.idx()].reclaimed_for += 1,
                EvictCause::Shuffle => {}
            }
        }
        if let Some(by) = by {
            self.queues[by.idx()].evictions_given += 1;
            if victim != by {
                self.queues[victim.idx()].cross_queue_received += 1;
            }
        }
    }

    /// Records the capacity an evicted pod held (call before the pod's status changes; `by` is the
    /// queue the eviction made room for).
    pub fn evicted_hold(&mut self, st: &ClusterState, t: crate::model::TaskId, by: Option<QueueId>, now: SimTime) {
        let task = &st.tasks[t.idx()];
        let victim = st.jobs[task.job.idx()].queue;
        let held = task.request.accelerators() as i128 * task.bound_at.map_or(0, |b| now.since(b).0) as i128;
        let n = self.queues.len().max(victim.idx() + 1);
        self.queues.resize(n, QueueTally::default());
        self.queues[victim.idx()].evicted_accel_ms += held;
        if by.is_some_and(|b| b != victim) {
            self.queues[victim.idx()].cross_queue_evicted_accel_ms += held;
        }
    }

    /// Adds timeline rows for `now`.
    pub fn sample(&mut self, now: SimTime, st: &ClusterState) {
        self.fragmentation.sample(now, st);
        let t = now.secs_f64();
        let nq = st.queues.len();
        let mut pending = vec![0u32; nq];
        let mut running = vec![0u32; nq];
        for j in &st.active {
            let job = &st.jobs[j.idx()];
            if job.gang_ready.is_none() {
                pending[job.queue.idx()] += 1;
            }
            if job.is_progressing() {
                running[job.queue.idx()] += 1;
            }
        }
        let used = st.pool_used.iter().fold(crate::model::Resources::ZERO, |a, b| a + *b);
        self.timeline.push(TimelineRow {
            time_s: t,
            scope: "cluster",
            name: "all".into(),
            accel_alloc: used.accelerators() as f64 / 1000.0,
            accel_total: Some(st.total.accelerators() as f64 / 1000.0),
            cpu_alloc: used.cpu as f64 / 1000.0,
            cpu_total: Some(st.total.cpu as f64 / 1000.0),
            jobs_pending: Some(pending.iter().sum()),
            jobs_running: Some(running.iter().sum()),
            accel_goodput: Some(st.progressing_alloc.accelerators() as f64 / 1000.0),
        });
        let mut healthy = vec![crate::model::Resources::ZERO; st.pools.len()];
        for n in st.nodes.iter().filter(|n| n.healthy) {
            healthy[n.pool.idx()] += n.allocatable;
        }
        for (i, pool) in st.pools.iter().enumerate() {
            self.timeline.push(TimelineRow {
                time_s: t,
                scope: "pool",
                name: pool.name.clone(),
                accel_alloc: st.pool_used[i].accelerators() as f64 / 1000.0,
                accel_total: Some(healthy[i].accelerators() as f64 / 1000.0),
                cpu_alloc: st.pool_used[i].cpu as f64 / 1000.0,
                cpu_total: Some(healthy[i].cpu as f64 / 1000.0),
                jobs_pending: None,
                jobs_running: None,
                accel_goodput: Some(st.pool_progressing_accel[i] as f64 / 1000.0),
            });
        }
        let snap = super::fairness::Snapshot::of(st);
        self.fairness_rows.push(super::fairness::FairnessRow {
            time_s: t,
            queues_with_demand: snap.queues.iter().flatten().count() as u32,
            jain_index: snap.jain.map(super::summary::round6),
            deviation_max: super::summary::round6(snap.deviation_max),
            deviation_mean: super::summary::round6(snap.deviation_mean),
        });
        let nested = self.subtree_allocated(st);
        let progressing = self.subtree_progressing(st);
        let allocated = |q: &crate::model::Queue| nested.as_ref().map_or(q.allocated, |a| a[q.id.idx()]);
        for q in &st.queues {
            let d = self.deserved.get(q.id.idx()).copied().flatten();
            let a = allocated(q);
            let tally = self.queues.get(q.id.idx()).cloned().unwrap_or_default();
            self.queue_rows.push(QueueRow {
                time_s: t,
                queue: q.name.clone(),
                weight: q.weight,
                accel_alloc: a.accelerators() as f64 / 1000.0,
                accel_deserved: d.map(|d| d.accelerators() as f64 / 1000.0),
                cpu_alloc: a.cpu as f64 / 1000.0,
                cpu_deserved: d.map(|d| d.cpu as f64 / 1000.0),
                share: d.map(|d| super::summary::round6(share(&a, &d))),
                overused: d.map(|d| overused(&a, &d)),
                preempted: tally.preempted,
                preempted_for: tally.preempted_for,
                reclaimed: tally.reclaimed,
                reclaimed_for: tally.reclaimed_for,
                cross_queue_evicted: tally.cross_queue_received,
                shuffled: tally.shuffled,
                dominant_share: snap.queues[q.id.idx()].map(|x| super::summary::round6(x.0)),
                fair_share: snap.queues[q.id.idx()].map(|x| super::summary::round6(x.1)),
            });
        }
        for (i, q) in st.queues.iter().enumerate() {
            self.timeline.push(TimelineRow {
                time_s: t,
                scope: "queue",
                name: q.name.clone(),
                accel_alloc: allocated(q).accelerators() as f64 / 1000.0,
                accel_total: None,
                cpu_alloc: allocated(q).cpu as f64 / 1000.0,
                cpu_total: None,
                jobs_pending: Some(pending[i]),
                jobs_running: Some(running[i]),
                accel_goodput: Some(
                    progressing.as_ref().map_or(q.progressing_accel, |p| p[q.id.idx()]) as f64 / 1000.0,
                ),
            });
        }
    }
}
