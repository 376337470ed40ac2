//! `sla` (`plugins/sla/sla.go`; Volcano design doc `sla-plugin.md`): a job that has waited its SLA
//! waiting time goes first and is admitted and pipelined regardless of quota plugins in lower tiers
//! (its Permit vote ends the vote in its tier). A job's waiting time is its PodGroup annotation
//! `volcano.sh/sla-waiting-time` (or the legacy `sla-waiting-time`), else the plugin's
//! `sla-waiting-time` argument (a Go duration); a job with neither has no SLA.
//!
//! Its answers change with time alone, so it asks the simulator for a cycle at the next deadline of
//! a waiting job.

use crate::model::annotations::{self, SLA_WAITING_TIME, SLA_WAITING_TIME_LEGACY};
use crate::model::time::parse_duration;
use crate::model::{ClusterState, DurationMs, Job, SimTime};
use crate::sched::conf::{Arguments, Hook};
use crate::sched::plugin::{Plugin, Vote};
use std::cmp::Ordering;

/// The sla plugin.
#[derive(Debug)]
pub struct Sla {
    waiting: Option<DurationMs>,
    /// Each job's waiting time, by job id (annotations parsed once; jobs are only appended).
    per_job: Vec<Option<DurationMs>>,
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
        Ok(Sla { waiting, per_job: Vec::new(), now: SimTime::ZERO })
    }

    fn deadline(&self, job: &Job) -> Option<SimTime> {
        let w = match self.per_job.get(job.id.idx()) {
            Some(w) => *w,
            None => self.waiting_of(job),
        };
        w.map(|w| job.submit.plus(w))
    }

    /// `readJobWaitingTime`: the annotation wins over the argument.
    fn waiting_of(&self, job: &Job) -> Option<DurationMs> {
        let own = job.annotation(SLA_WAITING_TIME).or_else(|| job.annotation(SLA_WAITING_TIME_LEGACY));
        annotations::duration(own).or(self.waiting)
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
    fn on_session_open(&mut self, st: &ClusterState, now: SimTime) {
        self.now = now;
        for j in &st.jobs[self.per_job.len()..] {
            let w = self.waiting_of(j);
            self.per_job.push(w);
        }
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
