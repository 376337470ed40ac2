//! The end-of-run summary: simulated results only, so it is byte-identical across reruns.
//!
//! Per job: **queueing delay** = submit → gang running (first time `minAvailable` pods ran);
//! **JCT** = submit → completion. Percentiles use the nearest-rank rule (p95 of n values is the
//! ⌈0.95·n⌉-th smallest). **Makespan** = first submit → last completion.

use super::recorder::Recorder;
use crate::model::{ClusterState, JobState};
use serde::Serialize;
use std::collections::BTreeMap;

/// Distribution of a per-job quantity, in seconds.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Stats {
    /// Number of values.
    pub count: usize,
    /// Mean.
    pub mean: f64,
    /// Median (nearest rank).
    pub p50: f64,
    /// 95th percentile (nearest rank).
    pub p95: f64,
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
            p95: round6(percentile(&values, 0.95)),
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
}

/// The run summary (`summary.json`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Summary {
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
    /// Failures and recovery (only when faults or lifecycle policies are configured).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery: Option<super::recovery::RecoverySummary>,
}

impl Summary {
    /// Builds the summary of a finished run.
    pub fn build(st: &ClusterState, rec: &Recorder, scenario: &str, seed: u64, policy: &str, end_s: f64) -> Summary {
        let mut counts = JobCounts { submitted: st.jobs.len(), ..JobCounts::default() };
        let mut waits = Vec::new();
        let mut jcts = Vec::new();
        let mut queues: BTreeMap<String, (QueueSummary, Vec<f64>)> = BTreeMap::new();
        let mut first_submit = f64::INFINITY;
        let mut last_finish: f64 = 0.0;
        for job in &st.jobs {
            let q = &mut queues.entry(st.queues[job.queue.idx()].name.clone()).or_default();
            q.0.jobs += 1;
            first_submit = first_submit.min(job.submit.secs_f64());
            match job.state {
                JobState::Completed => {
                    counts.completed += 1;
                    q.0.completed += 1;
                }
                JobState::Unschedulable => counts.unschedulable += 1,
                JobState::Active => counts.unfinished += 1,
                JobState::Failed | JobState::Aborted | JobState::Terminated => counts.ended_by_policy += 1,
            }
            if let Some(g) = job.gang_ready {
                let w = g.since(job.submit).secs_f64();
                waits.push(w);
                q.1.push(w);
            }
            if let Some(f) = job.finished {
                jcts.push(f.since(job.submit).secs_f64());
                last_finish = last_finish.max(f.secs_f64());
            }
        }
        let ratio = |a: i128, b: i128| if b == 0 { 0.0 } else { round6(a as f64 / b as f64) };
        let run_ms = (end_s * 1000.0).round() as i128;
        for q in &st.queues {
            let Some(t) = rec.queues.get(q.id.idx()) else { continue };
            let s = &mut queues.entry(q.name.clone()).or_default().0;
            s.accel_alloc_mean = ratio(t.accel_area, run_ms * 1000);
            s.accel_deserved_mean = (t.deserved_ms > 0).then(|| ratio(t.deserved_area, t.deserved_ms as i128 * 1000));
            s.overused_s = round6(t.overused_ms as f64 / 1000.0);
            s.evictions_received = t.evictions_received;
            s.evictions_given = t.evictions_given;
            s.cross_queue_evictions_received = t.cross_queue_received;
            s.preempted = t.preempted;
            s.preempted_for = t.preempted_for;
            s.reclaimed = t.reclaimed;
            s.reclaimed_for = t.reclaimed_for;
            s.shuffled = t.shuffled;
        }
        Summary {
            tephra_version: env!("CARGO_PKG_VERSION"),
            scenario: scenario.to_string(),
            seed,
            policy: policy.to_string(),
            jobs: counts,
            accel_allocation: ratio(rec.accel_alloc_area, rec.accel_healthy_area),
            accel_goodput: ratio(rec.accel_goodput_area, rec.accel_healthy_area),
            cpu_allocation: ratio(rec.cpu_alloc_area, rec.cpu_healthy_area),
            queueing_delay_s: Stats::of(waits),
            jct_s: Stats::of(jcts),
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
                .map(|(k, (mut s, w))| {
                    s.queueing_delay_s = Stats::of(w);
                    (k, s)
                })
                .collect(),
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
        assert_eq!((s.mean, s.p50, s.p95, s.max), (2.5, 2.0, 4.0, 4.0));
    }
}
