//! Volcano's job controller on failures, and fault injection, as part of the simulation loop.
//!
//! - A killed pod (node or card failure, maintenance deadline, scheduler eviction) terminates for
//!   the grace period and is then recreated as a new pending pod (`SyncJob`: missing pods are
//!   recreated), unless a lifecycle policy says otherwise. A pod on a failed card of a fleet with
//!   per-card inventories fails at once instead (its device is gone) and the card stays out of
//!   service until its repair (see `fail_card`).
//! - Policies are looked up per killed pod: the pod's event (PodFailed for faults, PodEvicted for
//!   evictions), then Unknown (the gang fell below minAvailable while pods still hold resources).
//!   The first rule found is executed (after its `timeout`, unless the job progresses again
//!   meanwhile); the phase machine ([`crate::model::lifecycle::Lifecycle`]) ignores events while it
//!   is killing.
//! - TaskFailed (`job_controller_handler.go: updatePod`, `cache.go: TaskFailed`) is raised when a
//!   pod of a task becomes pending and the restarts of the task's pending and running pods exceed
//!   the task's `maxRetry` (default 3, -1 no limit). Volcano sums container restarts in place;
//!   tephra has no in-place restarts, so a pod recreated by the default `SyncJob` after a fault or
//!   an eviction stands in for one restart of that pod. A pod killed by a restart action
//!   (RestartJob/Task/Pod) is a new pod with no restarts, as in Volcano.
//! - Work model: a gang that falls below minAvailable rolls back to its last checkpoint, and pays
//!   its restart overhead once it is running again; an elastic job with a scaling curve keeps
//!   progressing at reduced speed as long as minAvailable pods run.
//! - A policy that ends the job (AbortJob, TerminateJob, CompleteJob, or a restart past
//!   `maxRetry`) kills every pod like a restart does — pending pods are deleted at once, placed
//!   ones terminate for the grace period (resources Releasing) — but recreates none. The phase is
//!   Aborting, Terminating or Completing until the last pod is gone, then Aborted, Terminated or
//!   Completed (Failed is terminal at once); the job leaves the cluster at that moment.

use super::Simulation;
use crate::metrics::recovery::{GoodputRow, Incident, JobRecovery};
use crate::model::lifecycle::{
    Effect, FULL_SPEED, JobPhase, Lifecycle, PolicyAction, PolicyEvent, RecoverySpec, SyncView, lookup,
};
use crate::model::{DurationMs, JobId, JobState, NodeId, PodGroupPhase, SimTime, TaskId, TaskStatus};
use crate::sim::engine::Event;
use crate::sim::faults::{FaultConfig, FaultRuntime, down};
use std::collections::BTreeMap;

/// Milli-accelerator-ms that wall progress `p` of `job` stands for, split into (useful work,
/// checkpoint writing). Per role: its accelerators — every replica's for an elastic job with a
/// scaling curve (its speed is relative to all replicas), its gang minimum's otherwise (a rigid job
/// progresses at full speed with minAvailable pods) — over the part of `p` the role ran (up to its
/// own end, for roles that end before the job). A role marked in `done` ran to its end whatever
/// `p` is now (its pods succeeded; a later rollback does not undo them).
fn progress_gpu(job: &crate::model::Job, spec: &RecoverySpec, p: u64, done: &[bool]) -> (u128, u128) {
    let (mut useful, mut ckpt) = (0u128, 0u128);
    for (i, r) in job.roles.iter().enumerate() {
        let pods = if spec.scaling.is_some() { r.replicas } else { r.min_available };
        let acc = (r.request.accelerators() * pods as i64).max(0) as u128;
        let ran = match r.end_ms(job.work_ms) {
            Some(e) if done.get(i).copied().unwrap_or(false) => e,
            Some(e) => p.min(e),
            None => p,
        };
        let c = spec.checkpoint_time_in(ran);
        useful += (ran - c) as u128 * acc;
        ckpt += c as u128 * acc;
    }
    (useful, ckpt)
}

/// Milli-accelerator-ms of wall progress `p` (useful work and checkpoint writing together).
fn progress_gpu_total(job: &crate::model::Job, spec: &RecoverySpec, p: u64, done: &[bool]) -> u128 {
    let (u, c) = progress_gpu(job, spec, p, done);
    u + c
}

/// The controller's view of one job.
#[derive(Clone, Debug)]
pub struct JobCtl {
    /// Policies and work-model knobs.
    pub spec: RecoverySpec,
    /// Phase and retries.
    pub life: Lifecycle,
    /// Tallies for the report.
    pub stats: JobRecovery,
    /// Index of the incident not yet recovered from.
    pub incident: Option<usize>,
    /// The next gang start pays the restart overhead.
    pub needs_overhead: bool,
    /// A Resume event is queued.
    pub resume_pending: bool,
    /// A policy action waiting for its timeout: (token, action, pod, event).
    pub pending: Option<(u32, PolicyAction, TaskId, PolicyEvent)>,
    /// Last token handed out.
    pub token: u32,
    /// A policy ended the job: its pods are being killed and none is recreated.
    pub ending: bool,
    /// Every phase the job entered, with the time (starts with Pending at its submission).
    pub phases: Vec<(SimTime, JobPhase)>,
    /// Per pod (job order): restarts of the pod standing in for its container's (empty until
    /// the first recreation).
    pub pod_restarts: Vec<u32>,
    /// Per pod: killed by a restart action, comes back as a new pod (no restart counted).
    pub fresh: Vec<bool>,
}

/// The controller's view of `job`'s pods.
fn sync_view(job: &crate::model::Job) -> SyncView {
    let terminating = job.count(TaskStatus::Releasing);
    let done = job.count(TaskStatus::Succeeded) + job.count(TaskStatus::Failed);
    SyncView {
        live: job.task_count - terminating,
        running: job.running_or_done(),
        terminating,
        alive: job.task_count - terminating - done,
        min_available: job.min_available,
        work_done: false,
    }
}

impl JobCtl {
    /// Index of pod `t` of `job` in the per-pod counters (sized on first use).
    fn pod_slot(&mut self, job: &crate::model::Job, t: TaskId) -> usize {
        if self.pod_restarts.is_empty() {
            self.pod_restarts = vec![0; job.task_count as usize];
            self.fresh = vec![false; job.task_count as usize];
        }
        (t.0 - job.first_task) as usize
    }

    /// Records the phase if it changed.
    fn log_phase(&mut self, now: SimTime) {
        if self.phases.last().is_none_or(|(_, p)| *p != self.life.phase) {
            self.phases.push((now, self.life.phase));
        }
    }
}

/// Failure-handling state of a run (absent when neither faults nor policies are configured).
pub struct Recovery {
    /// Per job, in id order.
    pub jobs: Vec<JobCtl>,
    /// Every incident.
    pub incidents: Vec<Incident>,
    /// Incidents not yet recovered.
    open: Vec<usize>,
    /// Last integration time of idle-held GPU time.
    last: SimTime,
    /// Fault injection, when configured.
    pub faults: Option<FaultRuntime>,
    /// Goodput samples.
    pub timeline: Vec<GoodputRow>,
    /// Times of queued capacity returns (repairs, spares, maintenance ends) with their counts.
    returns: BTreeMap<SimTime, u32>,
    /// Once only fault events remain: the last capacity return then queued; later faults are not
    /// simulated (a failure model would otherwise run forever).
    horizon: Option<SimTime>,
}

impl Simulation {
    /// Turns on the job controller's failure handling and, with `faults`, fault injection drawn
    /// from `seed` (the run's fault sub-seed). Must be called before the run.
    pub fn with_recovery(mut self, faults: Option<FaultConfig>, seed: u64) -> Simulation {
        let mut rec = Recovery {
            jobs: Vec::new(),
            incidents: Vec::new(),
            open: Vec::new(),
            last: SimTime::ZERO,
            faults: None,
            timeline: Vec::new(),
            returns: BTreeMap::new(),
            horizon: None,
        };
        if let Some(cfg) = faults {
            let mut rt = FaultRuntime::new(cfg, &self.state, seed);
            for s in rt.config.spares.clone() {
                let nodes: Vec<NodeId> =
                    self.state.nodes.iter().filter(|n| n.pool.idx() == s.pool).map(|n| n.id).collect();
                for n in nodes.iter().rev().take(s.count as usize).rev() {
                    rt.down[n.idx()] |= down::SPARE;
                    self.state.set_node_health(*n, false);
                    rt.spare_free[s.pool].push(*n);
                }
            }
            for i in 0..self.state.nodes.len() {
                let n = NodeId(i as u32);
                if let Some(d) = rt.next_failure(n) {
                    self.events.push(SimTime(d.0), Event::NodeFail { node: n, until: None });
                }
                if let Some(d) = rt.next_device_failure(n, self.state.nodes[i].pool.idx()) {
                    self.events.push(SimTime(d.0), Event::DeviceFail(n));
                }
            }
            for w in &rt.config.windows {
                self.events.push(w.start, Event::NodeFail { node: w.node, until: Some(w.end) });
            }
            for c in &rt.config.card_faults {
                self.events.push(c.start, Event::CardFail { node: c.node, card: c.card, until: c.end });
            }
            for (i, m) in rt.config.maintenance.iter().enumerate() {
                self.events.push(m.start, Event::DrainStart(i as u32));
                self.events.push(m.deadline, Event::DrainDeadline(i as u32));
                self.events.push(m.end, Event::DrainEnd(i as u32));
                *rec.returns.entry(m.end).or_default() += 1;
            }
            // Admission counts the nodes in service: standby spares do not run gangs.
            self.nodes_per_pool = vec![0; self.state.pools.len()];
            for (n, d) in self.state.nodes.iter().zip(&rt.down) {
                if d & down::SPARE == 0 {
                    self.nodes_per_pool[n.pool.idx()] += 1;
                }
            }
            rec.faults = Some(rt);
        }
        self.recovery = Some(Box::new(rec));
        self
    }

    /// The failure-handling state, if on.
    pub fn recovery(&self) -> Option<&Recovery> {
        self.recovery.as_deref()
    }

    /// Registers a just-admitted job with the controller.
    pub(super) fn ctl_admit(&mut self, j: JobId) {
        let Some(rec) = self.recovery.as_mut() else { return };
        let job = &mut self.state.jobs[j.idx()];
        let mut spec = RecoverySpec::default();
        for (k, v) in &job.annotations {
            // Validated by the trace reader and the scenario loader.
            let _ = spec.set(k, v);
        }
        job.work_ms = spec.wall_work(job.work_ms);
        for r in &mut job.roles {
            if let crate::model::RoleDuration::Own(ms) = r.duration {
                r.duration = crate::model::RoleDuration::Own(spec.wall_work(ms));
            }
        }
        debug_assert_eq!(rec.jobs.len(), j.idx());
        let submit = job.submit;
        rec.jobs.push(JobCtl {
            life: Lifecycle::new(spec.max_retry),
            spec,
            stats: JobRecovery::default(),
            incident: None,
            needs_overhead: false,
            resume_pending: false,
            pending: None,
            token: 0,
            ending: false,
            phases: vec![(submit, JobPhase::Pending)],
            pod_restarts: Vec::new(),
            fresh: Vec::new(),
        });
    }

    /// Integrates idle-held GPU time of jobs recovering from a fault up to `now`.
    pub(super) fn ctl_advance(&mut self, now: SimTime) {
        let Some(rec) = self.recovery.as_mut() else { return };
        let dt = now.since(rec.last).0 as u128;
        rec.last = now;
        if dt == 0 {
            return;
        }
        for &i in &rec.open {
            let j = rec.incidents[i].job;
            let job = &self.state.jobs[j.idx()];
            if !job.is_progressing() {
                let held = dt * job.allocated.accelerators().max(0) as u128;
                rec.incidents[i].idle_held_gpu += held;
                rec.jobs[j.idx()].stats.idle_held_gpu += held;
            }
        }
    }

    /// Whether only fault events remain but a capacity return queued before the workload ran out
    /// of other work may still unblock an active job.
    pub(super) fn faults_keep_alive(&mut self) -> bool {
        let next = self.events.peek_time();
        let active = !self.state.active.is_empty();
        let Some(rec) = self.recovery.as_mut() else { return false };
        if self.events.has_work() || self.wake_wanted.is_some() {
            rec.horizon = None;
            return false;
        }
        if !active {
            return false;
        }
        if rec.horizon.is_none() {
            rec.horizon = rec.returns.keys().next_back().copied();
        }
        matches!((rec.horizon, next), (Some(h), Some(t)) if t <= h)
    }

    /// Whether the run goes on only for a capacity return (see [`Self::faults_keep_alive`]).
    pub(super) fn waiting_on_faults(&self) -> bool {
        self.recovery.as_ref().is_some_and(|r| r.horizon.is_some())
    }

    fn push_return(&mut self, at: SimTime, event: Event) {
        if let Some(rec) = self.recovery.as_mut() {
            *rec.returns.entry(at).or_default() += 1;
        }
        self.events.push(at, event);
    }

    fn pop_return(&mut self, at: SimTime) {
        if let Some(rec) = self.recovery.as_mut()
            && let Some(c) = rec.returns.get_mut(&at)
        {
            *c -= 1;
            if *c == 0 {
                rec.returns.remove(&at);
            }
        }
    }

    /// Handles the fault and controller events; returns whether the scheduler should look again.
    pub(super) fn handle_recovery_event(&mut self, now: SimTime, event: Event) -> bool {
        match event {
            Event::NodeFail { node, until } => self.fail_node(node, until, now),
            Event::NodeRepair(n) => {
                self.pop_return(now);
                self.repair_node(n, now)
            }
            Event::DeviceFail(n) => self.fail_device(n, now),
            Event::CardFail { node, card, until } => self.fail_card(node, card, Some(until), now),
            Event::CardRepair { node, card } => {
                self.pop_return(now);
                self.state.set_card_health(node, card, true)
            }
            Event::SpareIn(n) => {
                self.pop_return(now);
                self.set_down(n, down::SPARE, false);
                true
            }
            Event::DrainStart(i) => {
                for n in self.maintenance_nodes(i) {
                    self.set_down(n, down::DRAIN, true);
                }
                true
            }
            Event::DrainDeadline(i) => {
                let mut killed = Vec::new();
                for n in self.maintenance_nodes(i) {
                    killed.extend(self.kill_node_pods(n, now));
                    if !killed.is_empty() {
                        self.after_kills(now, &killed, PolicyEvent::PodEvicted, Some(("maintenance", n)));
                        killed.clear();
                    }
                }
                true
            }
            Event::DrainEnd(i) => {
                self.pop_return(now);
                for n in self.maintenance_nodes(i) {
                    self.set_down(n, down::DRAIN, false);
                }
                true
            }
            Event::PolicyDue { job, token } => {
                let Some(rec) = self.recovery.as_mut() else { return false };
                let ctl = &mut rec.jobs[job.idx()];
                let Some((tok, action, task, event)) = ctl.pending else { return false };
                if tok != token {
                    return false;
                }
                ctl.pending = None;
                // A delayed failure action is dropped if the job recovered in time; a task's
                // completion stays true.
                let j = &self.state.jobs[job.idx()];
                let recovered = event != PolicyEvent::TaskCompleted && (j.is_progressing() || ctl.resume_pending);
                if j.state != JobState::Active || recovered {
                    return false;
                }
                self.execute(job, action, task, now);
                true
            }
            Event::Resume { job, generation } => {
                let Some(rec) = self.recovery.as_mut() else { return false };
                rec.jobs[job.idx()].resume_pending = false;
                let j = &self.state.jobs[job.idx()];
                if j.generation != generation
                    || j.state != JobState::Active
                    || j.is_progressing()
                    || j.running_or_done() < j.min_available
                    || j.progress_ms >= j.work_ms
                {
                    return false;
                }
                self.start_running(job, now);
                true
            }
            _ => false,
        }
    }

    fn maintenance_nodes(&self, i: u32) -> Vec<NodeId> {
        let rt = self.recovery.as_ref().and_then(|r| r.faults.as_ref()).expect("maintenance needs faults");
        rt.config.maintenance[i as usize].nodes.clone()
    }

    /// Sets or clears one reason for `n` being out of service and updates its health.
    fn set_down(&mut self, n: NodeId, bit: u8, on: bool) {
        let Some(rt) = self.recovery.as_mut().and_then(|r| r.faults.as_mut()) else { return };
        let d = &mut rt.down[n.idx()];
        if on {
            *d |= bit;
        } else {
            *d &= !bit;
        }
        let healthy = *d == 0;
        self.state.set_node_health(n, healthy);
    }

    fn fail_node(&mut self, n: NodeId, until: Option<SimTime>, now: SimTime) -> bool {
        let pool = self.state.nodes[n.idx()].pool.idx();
        let Some(rt) = self.recovery.as_mut().and_then(|r| r.faults.as_mut()) else { return false };
        if rt.down[n.idx()] & down::FAILED != 0 {
            return false;
        }
        rt.node_failures += 1;
        let repair = match until {
            Some(u) => u,
            None => now.plus(rt.repair_time(n)),
        };
        let was_spare = rt.down[n.idx()] & down::SPARE != 0;
        if was_spare {
            rt.spare_free[pool].retain(|s| *s != n);
        }
        // A standby spare takes the failed node's place after the swap delay; with none free,
        // the node waits for the next spare to become free.
        let mut swap = None;
        if !was_spare && let Some(s) = rt.spares_of(pool).map(|s| s.swap_delay) {
            if rt.spare_free[pool].is_empty() {
                rt.waiting[pool].push(n);
            } else {
                let spare = rt.spare_free[pool].remove(0);
                rt.replaced[n.idx()] = true;
                rt.swaps += 1;
                swap = Some((spare, now.plus(s)));
            }
        }
        self.set_down(n, down::FAILED, true);
        self.push_return(repair, Event::NodeRepair(n));
        if let Some((spare, at)) = swap {
            self.push_return(at, Event::SpareIn(spare));
        }
        let killed = self.kill_node_pods(n, now);
        let event = self.recovery.as_ref().and_then(|r| r.faults.as_ref()).map(|f| f.config.pod_event);
        if !killed.is_empty() {
            self.after_kills(now, &killed, event.unwrap_or(PolicyEvent::PodFailed), Some(("node", n)));
        }
        true
    }

    fn repair_node(&mut self, n: NodeId, now: SimTime) -> bool {
        let pool = self.state.nodes[n.idx()].pool.idx();
        let Some(rt) = self.recovery.as_mut().and_then(|r| r.faults.as_mut()) else { return false };
        if rt.down[n.idx()] & down::FAILED == 0 {
            return false;
        }
        rt.waiting[pool].retain(|w| *w != n);
        let mut spare = rt.down[n.idx()] & down::SPARE != 0;
        if rt.replaced[n.idx()] {
            rt.replaced[n.idx()] = false;
            rt.down[n.idx()] |= down::SPARE;
            spare = true;
        }
        let mut swap = None;
        if spare {
            // A node still waiting for a replacement gets this one at once.
            match (rt.waiting[pool].first().copied(), rt.spares_of(pool).map(|s| s.swap_delay)) {
                (Some(w), Some(delay)) => {
                    rt.waiting[pool].remove(0);
                    rt.replaced[w.idx()] = true;
                    rt.swaps += 1;
                    swap = Some(now.plus(delay));
                }
                _ => rt.spare_free[pool].push(n),
            }
        }
        let next = rt.next_failure(n);
        self.set_down(n, down::FAILED, false);
        if let Some(d) = next {
            self.events.push(now.plus(d), Event::NodeFail { node: n, until: None });
        }
        if let Some(at) = swap {
            self.push_return(at, Event::SpareIn(n));
        }
        true
    }

    /// A random card fault on `n`: draws the next one and the failing card, then fails it.
    fn fail_device(&mut self, n: NodeId, now: SimTime) -> bool {
        let node = &self.state.nodes[n.idx()];
        let pool = node.pool.idx();
        // The pool's card count (the node's allocatable shrinks while some of its cards are out).
        let cards = (self.state.pools[pool].allocatable.accelerators().max(0) / 1000) as u32;
        let Some(rt) = self.recovery.as_mut().and_then(|r| r.faults.as_mut()) else { return false };
        if let Some(d) = rt.next_device_failure(n, pool) {
            self.events.push(now.plus(d), Event::DeviceFail(n));
        }
        let card = rt.failing_card(n, cards);
        self.fail_card(n, card, None, now)
    }

    /// Card `card` of `n` fails, until `until` (a listed fault) or a drawn repair time.
    ///
    /// With per-card tracking the pods holding the card (one whole-card pod, or every pod sharing
    /// it) fail at once — their device is gone, nothing is left to terminate gracefully — and are
    /// recreated pending; the card is out of service until its repair (no new pod lands on it).
    /// Without per-card inventories (a fleet whose pods ask for no cards) the simulator does not
    /// know which pod holds which card: cards are taken to be handed out in task-id order, the pod
    /// whose range holds the card is killed like a node failure's pods, and the card is reset at
    /// once.
    fn fail_card(&mut self, n: NodeId, card: u32, until: Option<SimTime>, now: SimTime) -> bool {
        let pool = self.state.nodes[n.idx()].pool.idx();
        let tracked = self.state.devices.on && self.state.devices.specs[pool].is_some();
        let Some(rt) = self.recovery.as_mut().and_then(|r| r.faults.as_mut()) else { return false };
        let already = self.state.devices.down.get(n.idx()).is_some_and(|d| d & (1 << card) != 0);
        if rt.down[n.idx()] != 0 || already {
            return false;
        }
        rt.device_failures += 1;
        let repair = match until {
            Some(u) => Some(u),
            None if tracked => rt.card_repair_time(n, pool).map(|d| now.plus(d)),
            None => None,
        };
        let killed = if tracked { self.card_holders(n, card) } else { self.legacy_card_holder(n, card) };
        for &t in &killed {
            if tracked {
                // Failed, gone and recreated in the same instant.
                self.state.transition(t, TaskStatus::Pending, None);
            } else {
                self.kill_task(t, now);
            }
        }
        if tracked && let Some(at) = repair.filter(|at| *at > now) {
            self.state.set_card_health(n, card, false);
            self.push_return(at, Event::CardRepair { node: n, card });
        }
        if killed.is_empty() {
            return false;
        }
        if tracked {
            // Recreated in the same instant: counted before the policies run (a restart action
            // then makes them new pods).
            for &t in &killed {
                self.ctl_recreated(t, now);
            }
        }
        let event = self.recovery.as_ref().and_then(|r| r.faults.as_ref()).map(|f| f.config.pod_event);
        let first_new = self.recovery.as_ref().map_or(0, |r| r.incidents.len());
        self.after_kills(now, &killed, event.unwrap_or(PolicyEvent::PodFailed), Some(("device", n)));
        if tracked && let Some(rec) = self.recovery.as_mut() {
            for i in &mut rec.incidents[first_new..] {
                i.card = Some(card);
            }
        }
        if tracked {
            for j in killed.iter().map(|t| self.state.tasks[t.idx()].job).collect::<std::collections::BTreeSet<_>>() {
                self.ctl_pod_gone(j, now);
            }
        }
        true
    }

    /// Bound or running pods holding card `card` of `n`, in task-id order.
    fn card_holders(&self, n: NodeId, card: u32) -> Vec<TaskId> {
        let mut on: Vec<TaskId> = self.state.node_tasks[n.idx()]
            .iter()
            .copied()
            .filter(|t| {
                let task = &self.state.tasks[t.idx()];
                matches!(task.status, TaskStatus::Bound | TaskStatus::Running) && task.cards & (1 << card) != 0
            })
            .collect();
        on.sort_unstable();
        on
    }

    /// Without per-card inventories: cards are taken to be handed out to the node's pods in
    /// task-id order; the pod whose range holds `card` (none for a free card).
    fn legacy_card_holder(&self, n: NodeId, card: u32) -> Vec<TaskId> {
        let mut on: Vec<TaskId> = self.state.node_tasks[n.idx()]
            .iter()
            .copied()
            .filter(|t| matches!(self.state.tasks[t.idx()].status, TaskStatus::Bound | TaskStatus::Running))
            .collect();
        on.sort_unstable();
        let mut first = 0u32;
        for t in on {
            let k = (self.state.tasks[t.idx()].request.accelerators().max(0) / 1000) as u32;
            if card >= first && card < first + k {
                return vec![t];
            }
            first += k;
        }
        Vec::new()
    }

    /// Kills every bound or running pod on `n`; returns them in task-id order.
    fn kill_node_pods(&mut self, n: NodeId, now: SimTime) -> Vec<TaskId> {
        let mut on: Vec<TaskId> = self.state.node_tasks[n.idx()].clone();
        on.sort_unstable();
        on.into_iter().filter(|t| self.kill_task(*t, now)).collect()
    }

    /// Starts terminating a pod that holds a node; it is recreated after the grace period.
    fn kill_task(&mut self, t: TaskId, now: SimTime) -> bool {
        if !matches!(self.state.tasks[t.idx()].status, TaskStatus::Bound | TaskStatus::Running) {
            return false;
        }
        self.state.transition(t, TaskStatus::Releasing, None);
        self.events.push(now.plus(self.settings.termination_grace), Event::PodGone(t));
        true
    }

    /// After `killed` pods (task-id order) died of `event`: per job, an incident for faults, the
    /// work-model consequences, then the policies.
    pub(super) fn after_kills(
        &mut self,
        now: SimTime,
        killed: &[TaskId],
        event: PolicyEvent,
        cause: Option<(&'static str, NodeId)>,
    ) {
        let mut by_job: BTreeMap<JobId, Vec<TaskId>> = BTreeMap::new();
        for t in killed {
            by_job.entry(self.state.tasks[t.idx()].job).or_default().push(*t);
        }
        for (j, tasks) in by_job {
            if self.state.jobs[j.idx()].state != JobState::Active {
                continue;
            }
            // A job whose work is done (only roles without an end of their own still run) has
            // nothing to recover.
            let job = &self.state.jobs[j.idx()];
            if let Some((what, n)) = cause
                && job.progress_ms < job.work_ms
            {
                self.open_incident(j, now, what, n, tasks.len() as u32);
            }
            self.pods_lost(j, now);
            if self.recovery.is_none() {
                continue;
            }
            for t in tasks {
                if self.state.jobs[j.idx()].state != JobState::Active {
                    break;
                }
                let job = &self.state.jobs[j.idx()];
                let gang_broken =
                    job.running_or_done() < job.min_available && job.allocated.accelerators() + job.allocated.cpu > 0;
                let _ = self.raise(j, event, t, now) || (gang_broken && self.raise(j, PolicyEvent::Unknown, t, now));
            }
        }
    }

    fn open_incident(&mut self, j: JobId, now: SimTime, what: &'static str, n: NodeId, pods: u32) {
        let node = self.state.nodes[n.idx()].name.clone();
        let Some(rec) = self.recovery.as_mut() else { return };
        let ctl = &mut rec.jobs[j.idx()];
        if let Some(i) = ctl.incident {
            rec.incidents[i].pods_killed += pods;
            return;
        }
        let i = rec.incidents.len();
        rec.incidents.push(Incident {
            job: j,
            at: now,
            cause: what,
            node,
            card: None,
            pods_killed: pods,
            rolled_back_ms: 0,
            rolled_back_gpu: 0,
            idle_held_gpu: 0,
            recovered: None,
            restarts: 0,
        });
        ctl.incident = Some(i);
        ctl.stats.incidents += 1;
        rec.open.push(i);
    }

    /// Some of `j`'s pods stopped running: below minAvailable the job stops, rolls back to its
    /// last checkpoint and will pay its restart overhead; an elastic job slows down.
    pub(super) fn pods_lost(&mut self, j: JobId, now: SimTime) {
        let job = &mut self.state.jobs[j.idx()];
        let broken = job.running_or_done() < job.min_available;
        if job.is_progressing() && broken {
            job.generation += 1;
            self.state.stop_progress(j, now);
            self.rollback(j);
        } else if job.is_progressing() {
            self.rescale(j, now);
        } else if broken && let Some(rec) = self.recovery.as_mut() {
            let ctl = &mut rec.jobs[j.idx()];
            if ctl.resume_pending {
                // The gang broke again during its restart overhead.
                ctl.resume_pending = false;
                job.generation += 1;
            }
        }
        self.close_if_progressing(j, now);
    }

    fn rollback(&mut self, j: JobId) {
        let done = self.roles_done(j);
        let Some(rec) = self.recovery.as_mut() else { return };
        let job = &mut self.state.jobs[j.idx()];
        let ctl = &mut rec.jobs[j.idx()];
        let kept = ctl.spec.kept_progress(job.progress_ms);
        let rolled = job.progress_ms - kept;
        job.progress_ms = kept;
        let gpu =
            progress_gpu_total(job, &ctl.spec, kept + rolled, &done) - progress_gpu_total(job, &ctl.spec, kept, &done);
        ctl.stats.rolled_back_ms += rolled;
        ctl.stats.rolled_back_gpu += gpu;
        if let Some(i) = ctl.incident {
            rec.incidents[i].rolled_back_ms += rolled;
            rec.incidents[i].rolled_back_gpu += gpu;
        }
        ctl.needs_overhead = ctl.spec.restart_overhead.0 > 0;
    }

    /// Elastic jobs: re-derives the speed from the running pods.
    fn rescale(&mut self, j: JobId, now: SimTime) {
        let Some(rec) = self.recovery.as_ref() else { return };
        let Some(scaling) = rec.jobs[j.idx()].spec.scaling else { return };
        let job = &self.state.jobs[j.idx()];
        let speed = self.state.job_speed(j) * scaling.speed_milli(job.running_or_done(), job.task_count) / 1000;
        let speed = speed.max(1);
        if speed == job.speed_milli || !job.is_progressing() {
            return;
        }
        self.state.stop_progress(j, now);
        let job = &mut self.state.jobs[j.idx()];
        job.speed_milli = speed;
        job.generation += 1;
        self.start_running(j, now);
    }

    /// A pod of `j` is running: start (or resume, after the restart overhead) its progress, or
    /// speed it up.
    pub(super) fn pod_running(&mut self, j: JobId, now: SimTime) {
        let job = &self.state.jobs[j.idx()];
        // A job whose work is done (only roles without an end of their own are left) has
        // nothing to progress.
        if job.running_or_done() >= job.min_available && !job.is_progressing() && job.progress_ms < job.work_ms {
            if job.gang_ready.is_none()
                && let Some(topo) = &self.state.topology
            {
                // Where the gang runs the first time it runs (topology metrics).
                let nodes = job.task_ids().filter_map(|x| {
                    let task = &self.state.tasks[x.idx()];
                    (task.status == TaskStatus::Running).then_some(task.node).flatten()
                });
                self.recorder.set_span(j, topo.span(nodes));
            }
            let job = &mut self.state.jobs[j.idx()];
            job.gang_ready.get_or_insert(now);
            let generation = job.generation;
            if let Some(rec) = self.recovery.as_mut() {
                let ctl = &mut rec.jobs[j.idx()];
                if ctl.resume_pending {
                    return;
                }
                if ctl.needs_overhead {
                    ctl.resume_pending = true;
                    let at = now.plus(ctl.spec.restart_overhead);
                    self.events.push(at, Event::Resume { job: j, generation });
                    return;
                }
            }
            self.start_running(j, now);
        } else if job.is_progressing() {
            self.rescale(j, now);
        }
    }

    /// Starts progress at the job's speed and schedules its finish (or its next role's end).
    pub(super) fn start_running(&mut self, j: JobId, now: SimTime) {
        if let Some(rec) = self.recovery.as_mut() {
            let ctl = &mut rec.jobs[j.idx()];
            ctl.needs_overhead = false;
            let job = &mut self.state.jobs[j.idx()];
            if let Some(s) = ctl.spec.scaling {
                job.speed_milli = s.speed_milli(job.running_or_done(), job.task_count);
            } else {
                job.speed_milli = FULL_SPEED;
            }
            ctl.life.sync(sync_view(job));
            ctl.log_phase(now);
        }
        // Card speed (the slowest model among its running pods) times the elastic scaling.
        let card = self.state.job_speed(j);
        let target = self.next_role_end(j);
        let job = &mut self.state.jobs[j.idx()];
        if self.recovery.is_some() {
            job.speed_milli = (card * job.speed_milli / FULL_SPEED).max(1);
        } else {
            job.speed_milli = card;
        }
        let left = target.saturating_sub(job.progress_ms);
        // Rounded up, so that the work banked at the finish covers what was left.
        let wall = (left * FULL_SPEED).div_ceil(job.speed_milli);
        let generation = job.generation;
        self.state.start_progress(j, now);
        self.events.push(now.plus(DurationMs(wall)), Event::Finish { job: j, generation });
        self.close_if_progressing(j, now);
    }

    fn close_if_progressing(&mut self, j: JobId, now: SimTime) {
        if !self.state.jobs[j.idx()].is_progressing() {
            return;
        }
        let Some(rec) = self.recovery.as_mut() else { return };
        if let Some(i) = rec.jobs[j.idx()].incident.take() {
            rec.incidents[i].recovered = Some(now);
            rec.open.retain(|x| *x != i);
        }
    }

    /// The status a terminating pod of `j` takes when its grace period ends: Pending (the
    /// controller recreates it) unless a policy is ending the job (Succeeded for CompleteJob,
    /// Failed otherwise).
    pub(super) fn ctl_gone_status(&self, j: JobId) -> TaskStatus {
        match self.recovery.as_ref().map(|r| &r.jobs[j.idx()]) {
            Some(c) if c.ending && c.life.phase == JobPhase::Completing => TaskStatus::Succeeded,
            Some(c) if c.ending => TaskStatus::Failed,
            _ => TaskStatus::Pending,
        }
    }

    /// Pod `t`'s grace period ended: it is recreated pending (or deleted for good when its job is
    /// ending), the controller re-syncs the phase and checks the task's restarts (TaskFailed).
    pub(super) fn pod_gone(&mut self, t: TaskId, now: SimTime) {
        let j = self.state.tasks[t.idx()].job;
        let to = self.ctl_gone_status(j);
        self.state.transition(t, to, None);
        self.ctl_pod_gone(j, now);
        if to == TaskStatus::Pending {
            self.ctl_recreated(t, now);
        }
    }

    /// Pod `t` was recreated pending by the default `SyncJob`: one more restart of the pod
    /// (unless a restart action killed it: then it is a new pod); TaskFailed when its task's
    /// pending and running pods have restarted more than the task's `maxRetry`.
    fn ctl_recreated(&mut self, t: TaskId, now: SimTime) {
        let Some(rec) = self.recovery.as_mut() else { return };
        let (j, role) = (self.state.tasks[t.idx()].job, self.state.tasks[t.idx()].role);
        let job = &self.state.jobs[j.idx()];
        let ctl = &mut rec.jobs[j.idx()];
        if ctl.ending || job.state != JobState::Active {
            return;
        }
        let i = ctl.pod_slot(job, t);
        if std::mem::take(&mut ctl.fresh[i]) {
            return;
        }
        ctl.pod_restarts[i] += 1;
        let name = job.roles[role as usize].name.as_str();
        if lookup(&ctl.spec.policies, PolicyEvent::TaskFailed, Some(name)).is_none() {
            return; // nothing would happen: skip the count
        }
        let Some(limit) = ctl.spec.task_limit(name) else { return };
        let restarted: u32 = job
            .task_ids()
            .zip(&ctl.pod_restarts)
            .filter(|(x, n)| {
                let task = &self.state.tasks[x.idx()];
                **n > 0
                    && task.role == role
                    && matches!(task.status, TaskStatus::Pending | TaskStatus::Bound | TaskStatus::Running)
            })
            .map(|(_, n)| *n)
            .sum();
        if restarted > limit {
            self.raise(j, PolicyEvent::TaskFailed, t, now);
        }
    }

    /// A pod of `j` is gone (recreated as pending, or deleted for good when the job is ending):
    /// the controller re-syncs the phase; an ending job with no pod left leaves the cluster.
    pub(super) fn ctl_pod_gone(&mut self, j: JobId, now: SimTime) {
        let Some(rec) = self.recovery.as_mut() else { return };
        let job = &self.state.jobs[j.idx()];
        let ctl = &mut rec.jobs[j.idx()];
        let view = sync_view(job);
        ctl.life.sync(view);
        ctl.log_phase(now);
        if ctl.ending && view.terminating == 0 && view.alive == 0 && job.state == JobState::Active {
            let phase = ctl.life.phase;
            self.leave(j, phase, now);
        }
    }

    /// The job finished its work.
    pub(super) fn ctl_finished(&mut self, j: JobId, now: SimTime) {
        if let Some(rec) = self.recovery.as_mut() {
            let ctl = &mut rec.jobs[j.idx()];
            ctl.life.phase = JobPhase::Completed;
            ctl.log_phase(now);
        }
    }

    /// Looks up the policy for `event` on pod `t`; executes it (or schedules it after its
    /// timeout). Returns whether a rule matched.
    pub(super) fn raise(&mut self, j: JobId, event: PolicyEvent, t: TaskId, now: SimTime) -> bool {
        let role = self.state.tasks[t.idx()].role as usize;
        let Some(rec) = self.recovery.as_mut() else { return false };
        let ctl = &mut rec.jobs[j.idx()];
        if ctl.ending {
            // The job's pods are being killed for good: events are ignored.
            return false;
        }
        let role_name = self.state.jobs[j.idx()].roles[role].name.as_str();
        let Some(p) = lookup(&ctl.spec.policies, event, Some(role_name)) else { return false };
        let (action, timeout) = (p.action, p.timeout);
        if timeout.0 > 0 {
            if ctl.pending.is_none() {
                ctl.token += 1;
                ctl.pending = Some((ctl.token, action, t, event));
                self.events.push(now.plus(timeout), Event::PolicyDue { job: j, token: ctl.token });
            }
            return true;
        }
        self.execute(j, action, t, now);
        true
    }

    fn execute(&mut self, j: JobId, action: PolicyAction, t: TaskId, now: SimTime) {
        let Some(rec) = self.recovery.as_mut() else { return };
        let ctl = &mut rec.jobs[j.idx()];
        let effect = ctl.life.act(action);
        ctl.log_phase(now);
        match effect {
            Effect::None => {}
            Effect::KillAndRecreate => {
                ctl.stats.restarts += 1;
                if let Some(i) = ctl.incident {
                    rec.incidents[i].restarts += 1;
                }
                let role = self.state.tasks[t.idx()].role;
                let targets: Vec<TaskId> = match action {
                    PolicyAction::RestartPod => vec![t],
                    PolicyAction::RestartTask => {
                        self.state.jobs[j.idx()].task_ids().filter(|x| self.state.tasks[x.idx()].role == role).collect()
                    }
                    _ => self.state.jobs[j.idx()].task_ids().collect(),
                };
                for x in targets {
                    self.kill_task(x, now);
                    // A new pod: no restarts; one that terminates comes back without counting.
                    let Some(ctl) = self.recovery.as_mut().map(|r| &mut r.jobs[j.idx()]) else { continue };
                    let i = ctl.pod_slot(&self.state.jobs[j.idx()], x);
                    ctl.pod_restarts[i] = 0;
                    ctl.fresh[i] = self.state.tasks[x.idx()].status == TaskStatus::Releasing;
                }
                self.pods_lost(j, now);
                self.ctl_pod_gone(j, now);
            }
            Effect::KillAndEnd => {
                if ctl.life.phase == JobPhase::Failed {
                    ctl.stats.hit_max_retry = true;
                    ctl.stats.restarts += 1;
                }
                self.end_job(j, now);
            }
        }
    }

    /// Ends a job by policy (`KillJob` without recreation): progress stops, pending pods are
    /// deleted, placed ones terminate for the grace period; the job leaves the cluster when the
    /// last one is gone ([`Self::ctl_pod_gone`]), at once if none held a node.
    fn end_job(&mut self, j: JobId, now: SimTime) {
        self.state.stop_progress(j, now);
        self.state.jobs[j.idx()].generation += 1;
        let Some(rec) = self.recovery.as_mut() else { return };
        let ctl = &mut rec.jobs[j.idx()];
        ctl.ending = true;
        ctl.pending = None;
        ctl.resume_pending = false;
        if let Some(i) = ctl.incident.take() {
            rec.open.retain(|x| *x != i);
        }
        let gone = self.ctl_gone_status(j);
        if !self.state.jobs[j.idx()].pods_created {
            // Not created yet: created and deleted in the same instant.
            self.state.create_pods(j);
        }
        let tasks: Vec<_> = self.state.jobs[j.idx()].task_ids().collect();
        for t in tasks {
            if !self.kill_task(t, now) && self.state.tasks[t.idx()].status == TaskStatus::Pending {
                self.state.transition(t, gone, None);
            }
        }
        self.ctl_pod_gone(j, now);
    }

    /// The last pod of a job ended by policy is gone: the job leaves the cluster in `phase`.
    fn leave(&mut self, j: JobId, phase: JobPhase, now: SimTime) {
        self.state.set_phase(j, PodGroupPhase::Completed);
        let job = &mut self.state.jobs[j.idx()];
        job.state = match phase {
            JobPhase::Completed => JobState::Completed,
            JobPhase::Aborted => JobState::Aborted,
            JobPhase::Terminated => JobState::Terminated,
            _ => JobState::Failed,
        };
        if phase == JobPhase::Completed {
            job.finished = Some(now);
        }
        job.reason = format!("job controller: {}", phase.name());
        self.state.deactivate(j);
    }

    /// Adds a goodput sample.
    pub(super) fn ctl_sample(&mut self, now: SimTime) {
        let Some(rec) = self.recovery.as_mut() else { return };
        let used = self.state.pool_used.iter().fold(crate::model::Resources::ZERO, |a, b| a + *b);
        let nodes_down = rec
            .faults
            .as_ref()
            .map_or(0, |f| f.down.iter().filter(|d| **d & (down::FAILED | down::DRAIN) != 0).count() as u32);
        rec.timeline.push(GoodputRow {
            time_s: now.secs_f64(),
            accel_healthy: self.state.total.accelerators() as f64 / 1000.0,
            accel_alloc: used.accelerators() as f64 / 1000.0,
            accel_progressing: self.state.progressing_alloc.accelerators() as f64 / 1000.0,
            nodes_down,
            jobs_recovering: rec.open.len() as u32,
        });
    }

    /// Checks that no pod is placed on a failed node.
    pub(super) fn ctl_check(&self) -> Result<(), String> {
        let Some(rt) = self.recovery.as_ref().and_then(|r| r.faults.as_ref()) else { return Ok(()) };
        for (i, d) in rt.down.iter().enumerate() {
            if d & (down::FAILED | down::SPARE) != 0 {
                for t in &self.state.node_tasks[i] {
                    let s = self.state.tasks[t.idx()].status;
                    if s != TaskStatus::Releasing {
                        return Err(format!(
                            "task {} is {} on out-of-service node {}",
                            t.0,
                            s.name(),
                            self.state.nodes[i].name
                        ));
                    }
                }
            }
            if (*d == 0) != self.state.nodes[i].healthy {
                return Err(format!("node {}: health disagrees with its fault state", self.state.nodes[i].name));
            }
        }
        Ok(())
    }

    /// Final per-job tallies (checkpoint time in the kept progress, final phase).
    pub fn job_recovery(&self) -> Vec<JobRecovery> {
        let Some(rec) = self.recovery.as_ref() else { return Vec::new() };
        rec.jobs
            .iter()
            .zip(&self.state.jobs)
            .map(|(c, job)| {
                let mut s = c.stats.clone();
                let mut p = job.progress_ms;
                if let Some(since) = job.progressing_since {
                    let d = self.end.since(since).0 as u128;
                    p += (d * job.speed_milli as u128 / FULL_SPEED as u128) as u64;
                }
                let p = p.min(job.work_ms);
                (s.useful_gpu, s.checkpoint_gpu) = progress_gpu(job, &c.spec, p, &self.roles_done(job.id));
                s.phase = match job.state {
                    JobState::Completed => "Completed",
                    _ => c.life.phase.name(),
                };
                s
            })
            .collect()
    }
}
