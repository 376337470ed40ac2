//! `sla` (`plugins/sla/sla.go`; Volcano design doc `sla-plugin.md`): a job that has waited its SLA
//! waiting time goes first and is admitted and pipelined regardless of quota plugins in lower tiers
//! (its Permit vote ends the vote in its tier). The waiting time is the `sla-waiting-time` argument
//! (a Go duration); tephra's traces carry no per-job annotation yet, so it applies to every job.
//!
//! Its answers change with time alone, so it asks the simulator for a cycle at the next deadline of
//! a waiting job.

use crate::model::time::parse_duration;
use crate::model::{ClusterState, DurationMs, Job, SimTime};
use crate::sched::conf::{Arguments, Hook};
use crate::sched::plugin::{Plugin, Vote};
use std::cmp::Ordering;

/// The sla plugin.
#[derive(Debug)]
pub struct Sla {
    waiting: Option<DurationMs>,
    now: SimTime,
}

impl Sla {
    /// Reads `sla-waiting-time` (absent: no job has an SLA and the plugin abstains).
    pub fn new(args: &Arguments) -> Result<Sla, String> {
        args.check_known("sla", &["sla-waiting-time"], &[])?;
        let waiting = match args.str("sla-waiting-time") {
            None => None,
            Some(s) => Some(parse_duration(&s).map_err(|e| format!("plugin `sla`: sla-waiting-time: {e}"))?),
        };
        Ok(Sla { waiting, now: SimTime::ZERO })
    }

    fn deadline(&self, job: &Job) -> Option<SimTime> {
        self.waiting.map(|w| job.submit.plus(w))
    }

    fn vote(&self, job: &Job) -> Vote {
        match self.deadline(job) {
            Some(d) if self.now >= d => Vote::Permit,
            _ => Vote::Abstain,
        }
    }
}

impl Plugin for Sla {
    fn name(&self) -> &'static str {
        "sla"
    }
    fn hooks(&self) -> &'static [Hook] {
        &[Hook::JobOrder, Hook::JobEnqueueable, Hook::JobPipelined]
    }
    fn on_session_open(&mut self, _st: &ClusterState, now: SimTime) {
        self.now = now;
    }
    fn job_order(&self, _st: &ClusterState, a: &Job, b: &Job) -> Ordering {
        match (self.deadline(a), self.deadline(b)) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
    fn job_enqueueable(&self, _st: &ClusterState, job: &Job) -> Vote {
        self.vote(job)
    }
    fn job_pipelined(&self, _st: &ClusterState, job: &Job) -> Vote {
        self.vote(job)
    }
    fn wake_up(&self, st: &ClusterState, now: SimTime) -> Option<SimTime> {
        st.pending_phase.iter().filter_map(|j| self.deadline(&st.jobs[j.idx()])).filter(|d| *d > now).min()
    }
}
