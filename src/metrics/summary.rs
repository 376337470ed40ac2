//! The end-of-run summary (`summary.json`): simulated results only, so it is byte-identical across
//! reruns of the same scenario and seed. The schema is documented field by field below and in
//! `docs/summary-schema.md`; [`SCHEMA_VERSION`] changes whenever a field changes meaning or goes
//! away (adding a field does not remove any).
//!
//! Per job: **queueing delay** = submit → gang running (first time `minAvailable` pods ran);
//! **JCT** = submit → completion; slowdown, starvation and finish-time fairness are defined in
//! [`super::job_stats`]. Percentiles use the nearest-rank rule (p95 of n values is the
//! ⌈0.95·n⌉-th smallest). **Makespan** = first submit → last completion.

use super::job_stats::{self, SIZE_CLASSES};
use super::recorder::Recorder;
use crate::model::{ClusterState, JobState};
use serde::Serialize;
use std::collections::BTreeMap;

/// Version of the `summary.json` schema (1 had no `schema_version` field).
pub const SCHEMA_VERSION: u32 = 2;

/// Distribution of a per-job quantity (seconds, or a ratio for slowdown).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Stats {
    /// Number of values.
    pub count: usize,
    /// Mean.
    pub mean: f64,
    /// Median (nearest rank).
    pub p50: f64,
    /// 90th percentile (nearest rank).
    pub p90: f64,
    /// 95th percentile (nearest rank).
    pub p95: f64,
    /// 99th percentile (nearest rank).
    pub p99: f64,
    /// Maximum.
    pub max: f64,
}

/// Rounds to 6 decimals so that summaries read cleanly and snapshot stably.
pub fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

impl Stats {
    /// Statistics of `values` (any order).
    pub fn of(mut values: Vec<f64>) -> Stats {
        if values.is_empty() {
            return Stats::default();
        }
        values.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        Stats {
            count: values.len(),
            mean: round6(mean),
            p50: round6(percentile(&values, 0.5)),
            p90: round6(percentile(&values, 0.9)),
            p95: round6(percentile(&values, 0.95)),
            p99: round6(percentile(&values, 0.99)),
            max: round6(*values.last().expect("non-empty")),
        }
    }
}

/// Job counts by outcome.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct JobCounts {
    /// Jobs in the trace.
    pub submitted: usize,
    /// Jobs that finished their work.
    pub completed: usize,
    /// Jobs rejected at admission (can never fit the fleet or their queue).
    pub unschedulable: usize,
    /// Jobs still waiting or running when the run ended.
    pub unfinished: usize,
    /// Jobs the job controller ended (maxRetry reached, AbortJob, TerminateJob); written only
    /// when non-zero so runs without lifecycle policies keep their summary.
    #[serde(skip_serializing_if = "is_zero")]
    pub ended_by_policy: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Per-queue results.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct QueueSummary {
    /// Jobs submitted to the queue.
    pub jobs: usize,
    /// Completed jobs.
    pub completed: usize,
    /// Queueing delay of jobs whose gang ran.
    pub queueing_delay_s: Stats,
    /// Time-weighted mean of allocated accelerators over the run.
    pub accel_alloc_mean: f64,
    /// Time-weighted mean of deserved accelerators while the queue had a deserved share.
    pub accel_deserved_mean: Option<f64>,
    /// Time the queue was overused (allocated ≥ deserved in every dimension), seconds.
    pub overused_s: f64,
    /// Its pods evicted by preempt, reclaim or shuffle.
    pub evictions_received: u64,
    /// Pods evicted to make room for its pods (shuffle's evictions are for no one).
    pub evictions_given: u64,
    /// Its pods evicted for another queue's pods.
    pub cross_queue_evictions_received: u64,
    /// Its pods evicted by preempt / gangpreempt (always for a pod of the same queue).
    pub preempted: u64,
    /// Pods preempted for its pods.
    pub preempted_for: u64,
    /// Its pods evicted by reclaim / gangreclaim.
    pub reclaimed: u64,
    /// Pods of other queues reclaimed for its pods.
    pub reclaimed_for: u64,
    /// Its pods evicted by shuffle (rescheduling, tdm).
    pub shuffled: u64,
    /// Time-weighted mean of the accelerators of its progressing jobs (goodput), units.
    pub accel_goodput_mean: f64,
    /// JCT of its completed jobs.
    pub jct_s: Stats,
    /// Slowdown (JCT / ideal runtime) of its completed jobs.
    pub slowdown: Stats,
    /// Starvation: its longest submit → gang-running wait (jobs still waiting count to the end).
    pub longest_wait_s: f64,
    /// Time-weighted mean of allocated / deserved (dominant over the deserved dimensions) while
    /// the policy gave it a deserved share (`null`: never, e.g. kube-default).
    pub share_mean: Option<f64>,
    /// Time-weighted mean of its dominant share of the cluster while it had demand.
    pub dominant_share_mean: Option<f64>,
    /// Time-weighted mean of its fair share (weighted max-min, demand-capped) while it had demand.
    pub fair_share_mean: Option<f64>,
    /// Finish-time fairness ρ (Themis estimate; `null` without completed jobs).
    pub finish_time_fairness: Option<f64>,
    /// GPU-hours its evicted pods had held when evicted (accelerators × bind → eviction).
    pub evicted_gpu_hours: f64,
    /// The part of `evicted_gpu_hours` evicted for other queues' pods.
    pub cross_queue_evicted_gpu_hours: f64,
}

/// Jobs of one GPU size class (total accelerators over the job's pods).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct SizeClassSummary {
    /// `cpu`, `<1`, `1`, `2-4`, `5-8`, `9-32` or `33+`.
    pub class: &'static str,
    /// Jobs submitted.
    pub jobs: usize,
    /// Jobs completed.
    pub completed: usize,
    /// Queueing delay of jobs whose gang ran.
    pub queueing_delay_s: Stats,
    /// JCT of completed jobs.
    pub jct_s: Stats,
    /// Slowdown of completed jobs.
    pub slowdown: Stats,
}

/// One pool's utilization.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct PoolSummary {
    /// Accelerator model (`null` for CPU pools).
    pub model: Option<String>,
    /// Time-weighted allocated / healthy accelerators of the pool.
    pub accel_allocation: f64,
    /// Time-weighted allocated / healthy CPU of the pool.
    pub cpu_allocation: f64,
    /// Time-weighted accelerators of progressing jobs on the pool / healthy accelerators.
    pub accel_goodput: f64,
}

/// Fairness between queues (definitions in `metrics::fairness` and `metrics::job_stats`).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct FairnessSummary {
    /// Jain's index over queues with demand, time-averaged over the time any queue had demand.
    pub jain_mean: Option<f64>,
    /// Lowest instantaneous Jain's index.
    pub jain_min: Option<f64>,
    /// Largest |dominant share − fair share| of any queue at any time.
    pub deviation_max: f64,
    /// Time-average of the mean |dominant share − fair share| over queues with demand.
    pub deviation_mean: f64,
    /// Longest wait of any job (starvation), seconds.
    pub longest_wait_s: f64,
    /// Largest finish-time fairness ρ over queues.
    pub finish_time_fairness_max: Option<f64>,
    /// Pods evicted for another queue's pods.
    pub cross_queue_evictions: u64,
    /// GPU-hours held by evicted pods.
    pub evicted_gpu_hours: f64,
    /// GPU-hours held by pods evicted for another queue's pods (interference).
    pub cross_queue_evicted_gpu_hours: f64,
}

/// The run summary (`summary.json`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Summary {
    /// Schema version ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// tephra version.
    pub tephra_version: &'static str,
    /// Scenario name.
    pub scenario: String,
    /// Root seed.
    pub seed: u64,
    /// Policy name.
    pub policy: String,
    /// Job outcomes.
    pub jobs: JobCounts,
    /// Time-weighted allocated / healthy accelerators.
    pub accel_allocation: f64,
    /// Time-weighted accelerators of progressing jobs / healthy accelerators.
    pub accel_goodput: f64,
    /// Time-weighted allocated / healthy CPU.
    pub cpu_allocation: f64,
    /// Queueing delay (submit → gang running) of jobs whose gang ran.
    pub queueing_delay_s: Stats,
    /// Job completion time of completed jobs.
    pub jct_s: Stats,
    /// First submit → last completion.
    pub makespan_s: f64,
    /// Simulated time at which the run ended.
    pub end_s: f64,
    /// Scheduling cycles run.
    pub cycles: u64,
    /// Pods bound.
    pub binds: u64,
    /// Pods evicted by preempt, reclaim and shuffle.
    pub evictions: u64,
    /// Per queue, by name.
    pub queues: BTreeMap<String, QueueSummary>,
    /// Slowdown (JCT / ideal runtime) of completed jobs.
    pub slowdown: Stats,
    /// Per GPU size class with jobs, smallest first.
    pub size_classes: Vec<SizeClassSummary>,
    /// Per pool, by name.
    pub pools: BTreeMap<String, PoolSummary>,
    /// Per accelerator model: time-weighted allocated / healthy accelerators of its pools.
    pub device_models: BTreeMap<String, f64>,
    /// Per accelerator model: the goodput of its pools (progressing jobs' accelerators / healthy).
    pub device_model_goodput: BTreeMap<String, f64>,
    /// Per accelerator resource name with capacity (`nvidia.com/gpu`, `kunlunxin.com/xpu`):
    /// time-weighted allocated / healthy units. Only when the fleet declares extended
    /// accelerators (`fleet.pools[].extended`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub accel_by_resource: BTreeMap<String, f64>,
    /// Fairness between queues.
    pub fairness: FairnessSummary,
    /// Where gangs landed in the HyperNode tree (only when the fleet declares a topology).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topology: Option<TopologySummary>,
    /// GPU fragmentation (only when the workload shares cards).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fragmentation: Option<super::fragmentation::FragSummary>,
    /// Failures and recovery (only when faults or lifecycle policies are configured).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery: Option<super::recovery::RecoverySummary>,
}

/// Gang placement over the network topology (`fleet.topology`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TopologySummary {
    /// Jobs whose gang ran.
    pub gangs_placed: usize,
    /// Share of them whose pods all sat in one HyperNode of the lowest tier (a leaf / NVLink
    /// domain). Counts single-pod jobs, which always do: read
    /// [`TopologySummary::multi_pod_within_one_tier1_domain`] for how well gangs were packed.
    pub within_one_tier1_domain: f64,
    /// Jobs of more than one pod (replicas over all roles) whose gang ran.
    pub multi_pod_gangs_placed: usize,
    /// Share of those whose pods all sat in one lowest-tier HyperNode; `null` when none ran.
    pub multi_pod_within_one_tier1_domain: Option<f64>,
    /// Gangs by the highest tier their pods spanned when the gang first ran (the tier of the
    /// smallest HyperNode holding them all; `cluster` when only the virtual root does).
    pub by_highest_tier: BTreeMap<String, usize>,
}

impl TopologySummary {
    /// From each job's span (the smallest HyperNode holding its running pods when its gang first
    /// ran) and its number of pods.
    pub fn build(topo: &crate::model::topology::Topology, spans: &[Option<u32>], pods: &[u32]) -> TopologySummary {
        let mut by_highest_tier = BTreeMap::new();
        let (mut placed, mut within, mut multi, mut multi_within) = (0usize, 0usize, 0usize, 0usize);
        for (j, span) in spans.iter().enumerate() {
            let Some(h) = *span else { continue };
            let one_leaf = (topo.tier(h) == topo.min_tier && h != topo.root) as usize;
            placed += 1;
            within += one_leaf;
            if pods.get(j).copied().unwrap_or(0) > 1 {
                multi += 1;
                multi_within += one_leaf;
            }
            *by_highest_tier.entry(span_tier_label(topo, h)).or_insert(0) += 1;
        }
        let share = if placed == 0 { 0.0 } else { round6(within as f64 / placed as f64) };
        TopologySummary {
            gangs_placed: placed,
            within_one_tier1_domain: share,
            multi_pod_gangs_placed: multi,
            multi_pod_within_one_tier1_domain: (multi > 0).then(|| round6(multi_within as f64 / multi as f64)),
            by_highest_tier,
        }
    }
}

/// A span's tier for reports: its tier number, or `cluster` for the virtual root.
pub fn span_tier_label(topo: &crate::model::topology::Topology, h: u32) -> String {
    if h == topo.root { "cluster".into() } else { topo.tier(h).to_string() }
}

/// Per-job values collected for one group (queue or size class).
#[derive(Default)]
struct Group {
    waits: Vec<f64>,
    jcts: Vec<f64>,
    slowdowns: Vec<f64>,
}

impl Group {
    fn add(&mut self, job: &crate::model::Job) {
        self.waits.extend(job_stats::queueing_delay_s(job));
        self.jcts.extend(job_stats::jct_s(job));
        self.slowdowns.extend(job_stats::slowdown(job));
    }
}

impl Summary {
    /// Builds the summary of a finished run.
    pub fn build(st: &ClusterState, rec: &Recorder, scenario: &str, seed: u64, policy: &str, end_s: f64) -> Summary {
        let mut counts = JobCounts { submitted: st.jobs.len(), ..JobCounts::default() };
        let mut all = Group::default();
        let mut queues: BTreeMap<String, (QueueSummary, Group)> = BTreeMap::new();
        let mut classes: Vec<(SizeClassSummary, Group)> = SIZE_CLASSES
            .iter()
            .map(|c| (SizeClassSummary { class: c, ..SizeClassSummary::default() }, Group::default()))
            .collect();
        let run_ms = (end_s * 1000.0).round() as i128;
        let mean_healthy = if run_ms > 0 { rec.accel_healthy_area as f64 / run_ms as f64 } else { 0.0 };
        let entitled = job_stats::entitlements(st, mean_healthy);
        let mut rho = vec![(0.0f64, 0.0f64); st.queues.len()];
        let mut longest_wait = vec![0u64; st.queues.len()];
        let mut first_submit = f64::INFINITY;
        let mut last_finish: f64 = 0.0;
        for job in &st.jobs {
            let q = &mut queues.entry(st.queues[job.queue.idx()].name.clone()).or_default();
            q.0.jobs += 1;
            let class =
                SIZE_CLASSES.iter().position(|c| *c == job_stats::size_class(job.accelerators())).expect("class");
            classes[class].0.jobs += 1;
            first_submit = first_submit.min(job.submit.secs_f64());
            match job.state {
                JobState::Completed => {
                    counts.completed += 1;
                    q.0.completed += 1;
                    classes[class].0.completed += 1;
                }
                JobState::Unschedulable => counts.unschedulable += 1,
                JobState::Active => counts.unfinished += 1,
                JobState::Failed | JobState::Aborted | JobState::Terminated => counts.ended_by_policy += 1,
            }
            all.add(job);
            q.1.add(job);
            classes[class].1.add(job);
            if job.state != JobState::Unschedulable {
                let w = &mut longest_wait[job.queue.idx()];
                *w = (*w).max(job_stats::wait_ms(job, run_ms as u64));
            }
            if let Some(f) = job.finished {
                last_finish = last_finish.max(f.secs_f64());
                let r = &mut rho[job.queue.idx()];
                r.0 += f.since(job.submit).0 as f64;
                r.1 += job_stats::isolated_ms(job, entitled[job.queue.idx()]);
            }
        }
        let ratio = |a: i128, b: i128| if b == 0 { 0.0 } else { round6(a as f64 / b as f64) };
        let gpu_hours = |milli_ms: i128| round6(milli_ms as f64 / 1000.0 / 3_600_000.0);
        let mut fairness = FairnessSummary::default();
        for q in &st.queues {
            let s = &mut queues.entry(q.name.clone()).or_default().0;
            let i = q.id.idx();
            s.longest_wait_s = round6(longest_wait[i] as f64 / 1000.0);
            fairness.longest_wait_s = fairness.longest_wait_s.max(s.longest_wait_s);
            s.finish_time_fairness = (rho[i].1 > 0.0).then(|| round6(rho[i].0 / rho[i].1));
            if let Some(r) = s.finish_time_fairness {
                fairness.finish_time_fairness_max =
                    Some(fairness.finish_time_fairness_max.map_or(r, |m: f64| m.max(r)));
            }
            let f = &rec.fairness;
            if let Some(ms) = f.queue_demand_ms.get(i).copied().filter(|ms| *ms > 0) {
                s.dominant_share_mean = Some(round6(f.dominant_area[i] / ms as f64));
                s.fair_share_mean = Some(round6(f.fair_area[i] / ms as f64));
            }
            let Some(t) = rec.queues.get(i) else { continue };
            s.accel_alloc_mean = ratio(t.accel_area, run_ms * 1000);
            s.accel_goodput_mean = ratio(t.goodput_area, run_ms * 1000);
            s.accel_deserved_mean = (t.deserved_ms > 0).then(|| ratio(t.deserved_area, t.deserved_ms as i128 * 1000));
            s.share_mean = (t.deserved_ms > 0).then(|| round6(t.share_area / t.deserved_ms as f64));
            s.overused_s = round6(t.overused_ms as f64 / 1000.0);
            s.evictions_received = t.evictions_received;
            s.evictions_given = t.evictions_given;
            s.cross_queue_evictions_received = t.cross_queue_received;
            s.preempted = t.preempted;
            s.preempted_for = t.preempted_for;
            s.reclaimed = t.reclaimed;
            s.reclaimed_for = t.reclaimed_for;
            s.shuffled = t.shuffled;
            s.evicted_gpu_hours = gpu_hours(t.evicted_accel_ms);
            s.cross_queue_evicted_gpu_hours = gpu_hours(t.cross_queue_evicted_accel_ms);
            fairness.cross_queue_evictions += t.cross_queue_received;
        }
        let evicted: i128 = rec.queues.iter().map(|t| t.evicted_accel_ms).sum();
        let cross: i128 = rec.queues.iter().map(|t| t.cross_queue_evicted_accel_ms).sum();
        fairness.evicted_gpu_hours = gpu_hours(evicted);
        fairness.cross_queue_evicted_gpu_hours = gpu_hours(cross);
        let f = &rec.fairness;
        if f.demand_ms > 0 {
            fairness.jain_mean = Some(round6(f.jain_area / f.demand_ms as f64));
            fairness.deviation_mean = round6(f.deviation_area / f.demand_ms as f64);
        }
        fairness.jain_min = f.jain_min.map(round6);
        fairness.deviation_max = round6(f.deviation_max);
        let mut pools = BTreeMap::new();
        let mut models: BTreeMap<String, (i128, i128, i128)> = BTreeMap::new();
        for (pool, t) in st.pools.iter().zip(&rec.pools) {
            pools.insert(
                pool.name.clone(),
                PoolSummary {
                    model: pool.accelerator_model.clone(),
                    accel_allocation: ratio(t.accel_alloc_area, t.accel_healthy_area),
                    cpu_allocation: ratio(t.cpu_alloc_area, t.cpu_healthy_area),
                    accel_goodput: ratio(t.accel_goodput_area, t.accel_healthy_area),
                },
            );
            if let Some(m) = &pool.accelerator_model {
                let e = models.entry(m.clone()).or_default();
                e.0 += t.accel_alloc_area;
                e.1 += t.accel_healthy_area;
                e.2 += t.accel_goodput_area;
            }
        }
        Summary {
            schema_version: SCHEMA_VERSION,
            tephra_version: env!("CARGO_PKG_VERSION"),
            scenario: scenario.to_string(),
            seed,
            policy: policy.to_string(),
            jobs: counts,
            accel_allocation: ratio(rec.accel_alloc_area, rec.accel_healthy_area),
            accel_goodput: ratio(rec.accel_goodput_area, rec.accel_healthy_area),
            cpu_allocation: ratio(rec.cpu_alloc_area, rec.cpu_healthy_area),
            queueing_delay_s: Stats::of(all.waits),
            jct_s: Stats::of(all.jcts),
            makespan_s: if first_submit.is_finite() && last_finish > 0.0 {
                round6(last_finish - first_submit)
            } else {
                0.0
            },
            end_s: round6(end_s),
            cycles: rec.cycles,
            binds: rec.binds,
            evictions: rec.evictions,
            queues: queues
                .into_iter()
                .map(|(k, (mut s, g))| {
                    s.queueing_delay_s = Stats::of(g.waits);
                    s.jct_s = Stats::of(g.jcts);
                    s.slowdown = Stats::of(g.slowdowns);
                    (k, s)
                })
                .collect(),
            slowdown: Stats::of(all.slowdowns),
            size_classes: classes
                .into_iter()
                .filter(|(c, _)| c.jobs > 0)
                .map(|(mut c, g)| {
                    c.queueing_delay_s = Stats::of(g.waits);
                    c.jct_s = Stats::of(g.jcts);
                    c.slowdown = Stats::of(g.slowdowns);
                    c
                })
                .collect(),
            pools,
            accel_by_resource: match &rec.accel_slot_areas {
                None => BTreeMap::new(),
                Some(areas) => crate::model::resources::ACCELERATOR_SLOTS
                    .iter()
                    .zip(areas)
                    .filter(|(_, a)| a.1 > 0)
                    .map(|(s, a)| (st.scalar_names.name(crate::model::Dim::Scalar(*s)).to_string(), ratio(a.0, a.1)))
                    .collect(),
            },
            device_model_goodput: models.iter().map(|(m, (_, h, g))| (m.clone(), ratio(*g, *h))).collect(),
            device_models: models.into_iter().map(|(m, (a, h, _))| (m, ratio(a, h))).collect(),
            fairness,
            topology: st.topology.as_deref().map(|t| {
                let pods: Vec<u32> = st.jobs.iter().map(|j| j.task_count).collect();
                TopologySummary::build(t, &rec.job_span, &pods)
            }),
            fragmentation: rec.fragmentation.summary(),
            recovery: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let v: Vec<f64> = (1..=20).map(|x| x as f64).collect();
        assert_eq!(percentile(&v, 0.95), 19.0);
        assert_eq!(percentile(&v, 0.5), 10.0);
        assert_eq!(percentile(&[3.0], 0.95), 3.0);
        let s = Stats::of(vec![4.0, 1.0, 2.0, 3.0]);
        assert_eq!((s.mean, s.p50, s.p90, s.p95, s.p99, s.max), (2.5, 2.0, 4.0, 4.0, 4.0, 4.0));
    }
}
