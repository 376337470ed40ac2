//! Per-job quantities and their grouping (by queue, by GPU size class). Each job carries its own
//! timestamps (submit, gang ready, finish), so these are read once per job at the end of the run;
//! nothing is reconstructed from the timeline.
//!
//! - **Queueing delay** = submit → gang running (first time `minAvailable` pods ran).
//! - **JCT** = submit → completion.
//! - **Slowdown** = JCT / ideal runtime, the ideal runtime being the job's trace duration of work
//!   (what it would take alone on an idle fleet, without pod start-up). ≥ 1 up to start-up time.
//! - **Longest wait** (starvation) of a queue = the longest submit → gang-running time of its jobs,
//!   counting a job still waiting at the end of the run up to the end.
//! - **Finish-time fairness ρ** (Themis, NSDI'20) of a queue = Σ JCT / Σ T_id over its completed
//!   jobs, with T_id the job's estimated completion time on the queue's entitled slice of the fleet
//!   alone: E = time-averaged healthy accelerators × weight / Σ weights, and
//!   T_id = work × max(1, job accelerators / E) (the job time-shares a slice smaller than itself;
//!   CPU-only jobs: T_id = work). The estimate ignores the queue's own backlog, so ρ > 1 also
//!   counts waiting behind the queue's own jobs; ρ < 1 means the queue did better than its slice.

use crate::model::{ClusterState, Job};

/// GPU size classes by the job's total accelerators, in report order.
pub const SIZE_CLASSES: [&str; 7] = ["cpu", "<1", "1", "2-4", "5-8", "9-32", "33+"];

/// The size class of a job holding `accel_milli` accelerator milli-units over all its pods.
pub fn size_class(accel_milli: i64) -> &'static str {
    match accel_milli {
        ..=0 => "cpu",
        1..=999 => "<1",
        1000 => "1",
        1001..=4000 => "2-4",
        4001..=8000 => "5-8",
        8001..=32000 => "9-32",
        _ => "33+",
    }
}

/// Queueing delay of a job whose gang ran, seconds.
pub fn queueing_delay_s(j: &Job) -> Option<f64> {
    j.gang_ready.map(|g| g.since(j.submit).secs_f64())
}

/// JCT of a completed job, seconds.
pub fn jct_s(j: &Job) -> Option<f64> {
    j.finished.map(|f| f.since(j.submit).secs_f64())
}

/// Slowdown of a completed job with work.
pub fn slowdown(j: &Job) -> Option<f64> {
    (j.work_ms > 0).then_some(())?;
    j.finished.map(|f| f.since(j.submit).0 as f64 / j.work_ms as f64)
}

/// How long the job waited for its gang: to gang running, or to `end_ms` if it never ran.
pub fn wait_ms(j: &Job, end_ms: u64) -> u64 {
    j.gang_ready.map_or(end_ms.saturating_sub(j.submit.0), |g| g.since(j.submit).0)
}

/// The Themis estimate of a job's completion time alone on `entitled_milli` accelerators, ms.
pub fn isolated_ms(j: &Job, entitled_milli: f64) -> f64 {
    let acc = j.accelerators() as f64;
    let stretch = if acc > 0.0 && entitled_milli > 0.0 { (acc / entitled_milli).max(1.0) } else { 1.0 };
    j.work_ms as f64 * stretch
}

/// Each queue's entitled accelerators (milli): `mean_healthy_milli` × weight / Σ weights.
pub fn entitlements(st: &ClusterState, mean_healthy_milli: f64) -> Vec<f64> {
    let total: f64 = st.queues.iter().map(|q| q.weight.max(1) as f64).sum();
    st.queues.iter().map(|q| mean_healthy_milli * q.weight.max(1) as f64 / total).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_classes() {
        assert_eq!(size_class(0), "cpu");
        assert_eq!(size_class(500), "<1");
        assert_eq!(size_class(1000), "1");
        assert_eq!(size_class(4000), "2-4");
        assert_eq!(size_class(8000), "5-8");
        assert_eq!(size_class(16000), "9-32");
        assert_eq!(size_class(64000), "33+");
    }
}
