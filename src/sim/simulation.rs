//! The simulation loop: trace arrivals, scheduling cycles, the job controller, pod start-up and
//! job progress, with the metrics recorder watching every event boundary.
//!
//! Timing model:
//! - a cycle runs on the `schedule_period` grid (Volcano's `wait.Until` with instantaneous cycles),
//!   but only when something changed since the last cycle, so idle stretches cost nothing;
//! - enqueue admits a PodGroup; the controller creates its pods `controller_delay` later (kube-default
//!   pods exist from submission); allocate binds them in a later cycle;
//! - a bound pod runs `pod_startup` later; a job's work advances only while at least
//!   `minAvailable` of its pods run (or succeeded), and it completes once its trace duration of
//!   work is done; roles with their own duration end on their way (`simulation/roles.rs`);
//! - with faults or lifecycle policies configured ([`Simulation::with_recovery`]), nodes and cards
//!   fail and return, the job controller applies the jobs' policies to killed pods, and jobs roll
//!   back to checkpoints, pay restart overheads and (elastic ones) change speed — see
//!   `simulation/recovery.rs`. Without them none of that code runs.

mod recovery;
mod roles;

pub use recovery::{JobCtl, Recovery};

use super::admission;
use super::engine::{Event, EventQueue};
use crate::metrics::Recorder;
use crate::model::{ClusterState, DurationMs, JobId, JobSpec, JobState, Queue, QueueId, SimTime, TaskStatus};
use crate::scenario::RunSettings;
use crate::sched::{Decisions, Scheduler};
use std::collections::BTreeMap;
use std::time::Instant;

/// Wall-clock cost of the run (kept out of the simulated results).
#[derive(Clone, Debug, Default)]
pub struct Perf {
    /// Wall time of each cycle, nanoseconds.
    pub cycle_ns: Vec<u64>,
    /// Events processed.
    pub events: u64,
}

/// A run in progress.
pub struct Simulation {
    /// The cluster.
    pub state: ClusterState,
    /// Metrics.
    pub recorder: Recorder,
    /// Wall-clock measurements.
    pub perf: Perf,
    scheduler: Box<dyn Scheduler>,
    settings: RunSettings,
    events: EventQueue,
    specs: std::iter::Peekable<std::vec::IntoIter<JobSpec>>,
    queue_ids: BTreeMap<String, QueueId>,
    nodes_per_pool: Vec<u64>,
    last_cycle: Option<SimTime>,
    cycle_queued: bool,
    /// The wake the last cycle asked for (earlier requests are superseded by it).
    wake_wanted: Option<SimTime>,
    /// Times of the wake events in the queue.
    wakes_queued: std::collections::BTreeSet<SimTime>,
    check_invariants: bool,
    /// The job controller's failure handling and fault injection (off: the plain model).
    recovery: Option<Box<Recovery>>,
    /// Per job with per-role durations: which of its roles ended on their own.
    roles_ended: BTreeMap<JobId, Vec<bool>>,
    /// Time of the last event processed.
    pub end: SimTime,
}

/// Builds the queue list: the declared ones, or one per queue name of the trace (weight 1).
pub fn resolve_queues(declared: &[Queue], specs: &[JobSpec]) -> Result<Vec<Queue>, String> {
    // Name lookups through a hash set: a trace may have thousands of tenants and millions of jobs
    // (a B-tree costs ~10 string compares a job). Never iterated: queues keep first-seen order.
    let mut seen: std::collections::HashSet<&str> = declared.iter().map(|q| q.name.as_str()).collect();
    if !declared.is_empty() {
        for s in specs {
            if !seen.contains(s.queue.as_str()) {
                let names: Vec<&str> = declared.iter().map(|q| q.name.as_str()).collect();
                return Err(format!(
                    "{}: queue: `{}` is not declared in the scenario (declared: {})",
                    s.origin,
                    s.queue,
                    names.join(", ")
                ));
            }
        }
        return Ok(declared.to_vec());
    }
    let mut queues: Vec<Queue> = Vec::new();
    for s in specs {
        if seen.insert(s.queue.as_str()) {
            queues.push(Queue::new(QueueId(queues.len() as u32), s.queue.clone()));
        }
    }
    Ok(queues)
}

impl Simulation {
    /// A simulation of `specs` (sorted by submit time) on `state` under `scheduler`.
    pub fn new(
        state: ClusterState,
        specs: Vec<JobSpec>,
        scheduler: Box<dyn Scheduler>,
        settings: RunSettings,
    ) -> Simulation {
        let queue_ids = state.queues.iter().map(|q| (q.name.clone(), q.id)).collect();
        let nodes_per_pool = admission::nodes_per_pool(&state);
        let mut events = EventQueue::new();
        if let Some(first) = specs.first() {
            events.push(first.submit, Event::Submit);
        }
        events.push(SimTime::ZERO, Event::Sample);
        Simulation {
            state,
            recorder: Recorder::default(),
            perf: Perf::default(),
            scheduler,
            settings,
            events,
            specs: specs.into_iter().peekable(),
            queue_ids,
            nodes_per_pool,
            last_cycle: None,
            cycle_queued: false,
            wake_wanted: None,
            wakes_queued: Default::default(),
            check_invariants: false,
            recovery: None,
            roles_ended: BTreeMap::new(),
            end: SimTime::ZERO,
        }
    }

    /// Checks every accounting invariant after every event (slow; for tests and debugging).
    pub fn with_invariant_checks(mut self, on: bool) -> Simulation {
        self.check_invariants = on;
        self
    }

    /// Keeps the decision log (see [`crate::metrics::DecisionLog`]).
    pub fn with_decision_log(mut self, on: bool) -> Simulation {
        self.recorder.decisions = crate::metrics::DecisionLog::new(on);
        self
    }

    /// Runs to the end; `progress` is called every few hundred events with the current time.
    /// Returns an error only if an invariant check (when enabled) fails.
    pub fn run(&mut self, mut progress: impl FnMut(SimTime, &ClusterState)) -> Result<(), String> {
        while self.events.has_work() || self.wake_wanted.is_some() || self.faults_keep_alive() {
            let at = self.events.peek_time().expect("work is queued");
            if let Some(until) = self.settings.until
                && at.0 > until.0
            {
                self.recorder.advance(SimTime(until.0), &self.state);
                self.ctl_advance(SimTime(until.0));
                self.end = SimTime(until.0);
                self.recorder.sample(self.end, &self.state);
                self.ctl_sample(self.end);
                return Ok(());
            }
            let (now, event) = self.events.pop().expect("peeked");
            if event == Event::Wake {
                self.wakes_queued.remove(&now);
                if self.wake_wanted != Some(now) {
                    continue; // superseded: as if it had never been asked for
                }
            }
            self.recorder.advance(now, &self.state);
            self.ctl_advance(now);
            self.end = now;
            let changed = self.handle(now, event);
            if changed && !self.cycle_queued {
                let p = self.settings.schedule_period.0;
                let mut next = now.0.div_ceil(p) * p;
                if let Some(last) = self.last_cycle
                    && next <= last.0
                {
                    next = last.0 + p;
                }
                self.events.push(SimTime(next), Event::Cycle);
                self.cycle_queued = true;
            }
            self.perf.events += 1;
            if self.check_invariants {
                self.state
                    .check_invariants()
                    .and_then(|()| self.ctl_check())
                    .and_then(|()| self.roles_check())
                    .map_err(|e| format!("invariant violated at {now} after {event:?}: {e}"))?;
            }
            if self.perf.events.is_multiple_of(512) {
                progress(now, &self.state);
            }
        }
        // Nothing but samples is left: close the timeline at the time of the last real event.
        if self.recorder.timeline.last().is_none_or(|r| r.time_s < self.end.secs_f64()) {
            self.recorder.sample(self.end, &self.state);
            self.ctl_sample(self.end);
        }
        Ok(())
    }

    /// Applies one event; returns whether the scheduler should look again.
    fn handle(&mut self, now: SimTime, event: Event) -> bool {
        match event {
            Event::Submit => {
                while self.specs.peek().is_some_and(|s| s.submit == now) {
                    let spec = self.specs.next().expect("peeked");
                    self.admit(spec);
                }
                if let Some(next) = self.specs.peek() {
                    self.events.push(next.submit, Event::Submit);
                }
                true
            }
            Event::Cycle => {
                self.cycle_queued = false;
                self.last_cycle = Some(now);
                let start = Instant::now();
                let decisions = self.scheduler.cycle(&mut self.state, now);
                self.perf.cycle_ns.push(start.elapsed().as_nanos() as u64);
                self.recorder.cycles += 1;
                self.recorder.deserved = self.state.queues.iter().map(|q| self.scheduler.deserved(q.id)).collect();
                self.apply(now, decisions);
                false
            }
            Event::PodsCreated(j) => {
                if self.state.jobs[j.idx()].state == JobState::Active {
                    self.state.create_pods(j);
                }
                true
            }
            Event::PodStarted(t) => {
                if self.state.tasks[t.idx()].status != TaskStatus::Bound {
                    return false;
                }
                self.state.transition(t, TaskStatus::Running, None);
                let j = self.state.tasks[t.idx()].job;
                self.state.jobs[j.idx()].first_start.get_or_insert(now);
                self.pod_running(j, now);
                true
            }
            Event::PodGone(t) => {
                if self.state.tasks[t.idx()].status != TaskStatus::Releasing {
                    return false;
                }
                self.pod_gone(t, now);
                true
            }
            Event::Finish { job: j, generation } => {
                if self.state.jobs[j.idx()].generation != generation
                    || self.state.jobs[j.idx()].state != JobState::Active
                {
                    return false;
                }
                if self.state.jobs[j.idx()].has_role_ends() {
                    self.role_end(j, now);
                } else {
                    self.finish(j, now);
                }
                true
            }
            Event::Wake => {
                self.wake_wanted = None;
                true
            }
            Event::Sample => {
                self.recorder.sample(now, &self.state);
                self.ctl_sample(now);
                if self.events.has_work() || self.wake_wanted.is_some() || self.waiting_on_faults() {
                    self.events.push(now.plus(self.settings.sample_every), Event::Sample);
                }
                false
            }
            _ => self.handle_recovery_event(now, event),
        }
    }

    fn admit(&mut self, spec: JobSpec) {
        let queue = self.queue_ids[&spec.queue];
        let masks = admission::role_pools(&spec, &self.state);
        let gate_queue = (!self.scheduler.pods_on_submit()).then(|| &self.state.queues[queue.idx()]);
        let verdict = admission::check(&spec, &masks, &self.state, &self.nodes_per_pool, gate_queue);
        let j = self.state.add_job(spec, queue, masks);
        self.ctl_admit(j);
        match verdict {
            Ok(()) => {
                if self.scheduler.pods_on_submit() {
                    self.state.create_pods(j);
                    self.state.set_phase(j, crate::model::PodGroupPhase::Inqueue);
                }
            }
            Err(reason) => {
                let job = &mut self.state.jobs[j.idx()];
                job.state = JobState::Unschedulable;
                job.reason = reason;
                self.state.deactivate(j);
            }
        }
    }

    fn apply(&mut self, now: SimTime, d: Decisions) {
        self.wake_wanted = d.wake_at.filter(|at| *at > now);
        if let Some(at) = self.wake_wanted
            && self.wakes_queued.insert(at)
        {
            self.events.push(at, Event::Wake);
        }
        let cycle = self.recorder.cycles;
        for j in d.enqueued {
            self.recorder.decisions.enqueue(&self.state, now, cycle, j);
            self.events.push(now.plus(self.settings.controller_delay), Event::PodsCreated(j));
        }
        for (t, node) in d.binds {
            self.recorder.decisions.bind(&self.state, now, cycle, t, node);
            self.state.transition(t, TaskStatus::Bound, None);
            self.state.tasks[t.idx()].bound_at = Some(now);
            self.recorder.binds += 1;
            self.events.push(now.plus(self.settings.pod_startup), Event::PodStarted(t));
        }
        self.recorder.evictions += d.evictions.len() as u64;
        let mut evicted = Vec::new();
        for (t, by, cause) in d.evictions {
            let queue_of = |x: crate::model::TaskId| self.state.jobs[self.state.tasks[x.idx()].job.idx()].queue;
            let (victim_q, by_q) = (queue_of(t), by.map(queue_of));
            self.recorder.eviction(victim_q, by_q, cause);
            self.recorder.evicted_hold(&self.state, t, by_q, now);
            if let Some(n) = self.state.tasks[t.idx()].node {
                self.recorder.decisions.evict(&self.state, now, cycle, t, n, (by, cause));
            }
            if self.recovery.is_some() {
                evicted.push(t);
            } else {
                self.pods_lost(self.state.tasks[t.idx()].job, now);
            }
            self.events.push(now.plus(self.settings.termination_grace), Event::PodGone(t));
        }
        if !evicted.is_empty() {
            evicted.sort_unstable();
            self.after_kills(now, &evicted, crate::model::lifecycle::PolicyEvent::PodEvicted, None);
        }
    }

    fn finish(&mut self, j: JobId, now: SimTime) {
        self.state.stop_progress(j, now);
        let tasks: Vec<_> = self.state.jobs[j.idx()].task_ids().collect();
        for t in tasks {
            let s = self.state.tasks[t.idx()].status;
            if s != TaskStatus::Succeeded && s != TaskStatus::Failed {
                self.state.transition(t, TaskStatus::Succeeded, None);
            }
        }
        self.state.set_phase(j, crate::model::PodGroupPhase::Completed);
        let job = &mut self.state.jobs[j.idx()];
        debug_assert!(job.progress_ms >= job.work_ms, "job {} finished early", job.name);
        job.state = JobState::Completed;
        job.finished = Some(now);
        job.reason.clear();
        self.state.deactivate(j);
        self.ctl_finished(j, now);
    }
}

/// Kubernetes' default termination grace period for evicted pods (`run.termination_grace`).
pub const TERMINATION_GRACE: DurationMs = DurationMs(30_000);
