//! `overcommit` (`plugins/overcommit/overcommit.go`): admits a job only while the minimum
//! resources of admitted-but-unplaced jobs fit in `total × factor − used`.

use crate::model::{ClusterState, Dim, Job, Resources, SimTime};
use crate::sched::conf::{Arguments, Hook};
use crate::sched::plugin::{Plugin, Vote};

/// The overcommit plugin.
#[derive(Debug)]
pub struct Overcommit {
    factor: f64,
    idle: Resources,
    inqueue: Resources,
}

impl Overcommit {
    /// Reads `overcommit-factor` (default 1.2; values below 1 fall back to 1.2).
    pub fn new(args: &Arguments) -> Result<Overcommit, String> {
        args.check_known("overcommit", &["overcommit-factor"], &[])?;
        let mut factor = args.f64("overcommit-factor", 1.2)?;
        if factor < 1.0 {
            factor = 1.2;
        }
        Ok(Overcommit { factor, idle: Resources::ZERO, inqueue: Resources::ZERO })
    }
}

impl Plugin for Overcommit {
    fn name(&self) -> &'static str {
        "overcommit"
    }
    fn hooks(&self) -> &'static [Hook] {
        &[Hook::JobEnqueueable]
    }
    fn on_session_open(&mut self, st: &ClusterState, _now: SimTime) {
        let mut scaled = st.total;
        for d in crate::model::resources::ALL_DIMS {
            let v: &mut i64 = scaled.get_mut(d);
            *v = (*v as f64 * self.factor) as i64;
        }
        let used = st.pool_used.iter().fold(Resources::ZERO, |a, b| a + *b);
        self.idle = scaled - used;
        let inqueue = st.queues.iter().fold(Resources::ZERO, |a, q| a + q.tallies.inqueue_min);
        self.inqueue = inqueue;
    }
    fn job_enqueueable(&self, _st: &ClusterState, job: &Job) -> Vote {
        if job.min_resources.is_empty() {
            return Vote::Permit;
        }
        let need = self.inqueue + job.min_resources;
        let fits = job.min_resources.dims().all(|d: Dim| need.get(d) <= self.idle.get(d));
        if fits { Vote::Permit } else { Vote::Reject }
    }
    fn job_enqueued(&mut self, _st: &ClusterState, job: &Job) {
        self.inqueue += job.min_resources;
    }
}
