//! A scheduling session: one cycle's view of the cluster, the plugin registry with Volcano's rules
//! for combining callbacks (`framework/session_plugins.go`), and the statement operations.
//!
//! The session works on the live [`ClusterState`]; everything it does that is not committed is
//! undone at close (pipelined placements, tentative allocations of jobs that never became ready),
//! so only [`Decisions`] leave it.

use super::conf::{HOOKS, Hook, PluginOption};
use super::decisions::{Decisions, EvictCause};
use super::node_scan::ScanState;
use super::plugin::{EvictionKind, FitReason, Plugin, Vote};
use super::statement::{Op, Statement};
use crate::model::{ClusterState, JobId, NodeId, PodGroupPhase, QueueId, Resources, SimTime, TaskId, TaskStatus};
use rand_chacha::ChaCha8Rng;
use std::cmp::Ordering;

/// A configured plugin and the tier it sits in.
pub struct PluginSlot {
    /// Tier index (0-based).
    pub tier: usize,
    /// The entry from the configuration.
    pub option: PluginOption,
    /// The plugin.
    pub plugin: Box<dyn Plugin>,
}

/// For each hook, the slots that registered it and have it enabled, in tier order.
#[derive(Clone, Debug, Default)]
pub struct HookTable {
    by_hook: [Vec<usize>; HOOKS],
}

impl HookTable {
    /// Builds the table from the slots' declarations and enable flags.
    pub fn build(slots: &[PluginSlot]) -> HookTable {
        let mut t = HookTable::default();
        for (i, s) in slots.iter().enumerate() {
            for h in s.plugin.hooks() {
                if s.option.enabled(*h) {
                    t.by_hook[*h as usize].push(i);
                }
            }
        }
        t
    }

    /// Slots registered for `h`.
    pub fn slots(&self, h: Hook) -> &[usize] {
        &self.by_hook[h as usize]
    }
}

/// State the scheduler keeps across cycles and lends to each session.
pub struct Carry {
    /// Seeded stream for tie-breaks.
    pub rng: ChaCha8Rng,
    /// Node scan offset and mode.
    pub scan: ScanState,
    /// Per job: the release epoch at which its last allocation attempt failed on node fit.
    pub fit_failed_at: Vec<Option<u64>>,
    /// The plugins' combined [`Plugin::predicate_epoch`] at the last session.
    pub predicate_epoch: u64,
    /// Node scores kept across sessions (see [`ScoreCache`]).
    pub scores: std::cell::RefCell<ScoreCache>,
}

/// One scheduling cycle.
pub struct Session<'a> {
    /// The live cluster.
    pub state: &'a mut ClusterState,
    /// Simulated time of this cycle.
    pub now: SimTime,
    /// Plugins.
    pub slots: &'a mut [PluginSlot],
    /// Registered hooks.
    pub hooks: &'a HookTable,
    /// Cross-cycle scheduler state.
    pub carry: &'a mut Carry,
    /// Effects committed so far.
    pub decisions: Decisions,
    /// Tasks touched by tentative operations, reverted at close unless committed.
    touched: Vec<TaskId>,
    /// Whether the enqueue action is configured (allocate treats Pending groups accordingly).
    pub enqueue_configured: bool,
    /// Per pool: an upper bound of any healthy node's future-idle resources, per dimension. Exact
    /// at open; allocations only lower the true values, and every operation that raises a node's
    /// future-idle raises the bound, so "no pool bound covers the request" proves no node fits.
    /// Computed on first use: many cycles place nothing.
    pool_bound: Option<Vec<Resources>>,
    /// Counts every operation that changes placements in this session; a failed victim search
    /// remembered at count `n` is still a failure while the count is `n`.
    pub mutations: u64,
    /// What the running action's evictions count as (set by the scheduler before each action).
    pub evict_cause: EvictCause,
    /// Whether every NodeOrder plugin reads the node only, so [`Carry::scores`] may answer.
    cache_scores: bool,
}

impl Carry {
    /// Fresh state: tie-break stream from `seed`, scan offset 0, nothing remembered.
    pub fn new(seed: u64, scan: super::node_scan::NodeScan) -> Carry {
        Carry {
            rng: rand::SeedableRng::seed_from_u64(seed),
            scan: ScanState::new(scan),
            fit_failed_at: Vec::new(),
            predicate_epoch: 0,
            scores: Default::default(),
        }
    }
}

/// Node scores remembered across sessions by request and node, valid while the node's epoch
/// ([`ClusterState::node_epoch`]) is unchanged: the NodeOrder plugins that allow it compute a
/// score from the request and the node's accounting alone.
#[derive(Default)]
pub struct ScoreCache {
    /// Requests with a row, in row order.
    shapes: Vec<Resources>,
    /// Per row, per node: (node epoch + 1 when computed, row generation, score); 0 is empty.
    table: Vec<Vec<(u32, u32, f64)>>,
    /// Per row: bumped when the row is given to another request, which voids its entries.
    generation: Vec<u32>,
    /// The row used last (scans ask for one request many times in a row).
    last: usize,
    /// The row to reuse next once [`ScoreCache::ROWS`] rows exist.
    next_reuse: usize,
}

impl ScoreCache {
    /// At most this many requests keep a row (a row holds one entry per node).
    const ROWS: usize = 64;

    /// The row of `req`, taking one (the oldest, once all are used) if it has none.
    fn row(&mut self, req: &Resources, nodes: usize) -> usize {
        if self.shapes.get(self.last) == Some(req) {
            return self.last;
        }
        let r = match self.shapes.iter().position(|s| s == req) {
            Some(i) => i,
            None if self.shapes.len() < Self::ROWS => {
                self.shapes.push(*req);
                self.table.push(vec![(0, 0, 0.0); nodes]);
                self.generation.push(0);
                self.shapes.len() - 1
            }
            None => {
                let r = self.next_reuse;
                self.next_reuse = (r + 1) % Self::ROWS;
                self.shapes[r] = *req;
                self.generation[r] = self.generation[r].wrapping_add(1);
                r
            }
        };
        self.last = r;
        r
    }
}

impl<'a> Session<'a> {
    /// `OpenSession`: lets every plugin read the cluster.
    pub fn open(
        state: &'a mut ClusterState,
        now: SimTime,
        slots: &'a mut [PluginSlot],
        hooks: &'a HookTable,
        carry: &'a mut Carry,
        enqueue_configured: bool,
    ) -> Session<'a> {
        for s in slots.iter_mut() {
            s.plugin.on_session_open(state, now);
        }
        if carry.fit_failed_at.len() < state.jobs.len() {
            carry.fit_failed_at.resize(state.jobs.len(), None);
        }
        // A predicate that changed with time may let a job fit where it failed before.
        let epoch = slots.iter().fold(0u64, |acc, s| acc.rotate_left(7) ^ s.plugin.predicate_epoch(state, now));
        if epoch != carry.predicate_epoch {
            carry.predicate_epoch = epoch;
            carry.fit_failed_at.iter_mut().for_each(|f| *f = None);
        }
        Session {
            state,
            now,
            slots,
            hooks,
            carry,
            decisions: Decisions::default(),
            touched: Vec::new(),
            enqueue_configured,
            pool_bound: None,
            mutations: 0,
            evict_cause: EvictCause::Preempt,
            cache_scores: false,
        }
        .with_score_cache()
    }

    /// Turns on the node-score cache when every NodeOrder plugin reads the node only.
    fn with_score_cache(mut self) -> Session<'a> {
        // BatchNodeOrder scores are never cached: they are added to the (cached) NodeOrder sums.
        let pure = self.hooks.slots(Hook::NodeOrder).iter().all(|&i| self.slots[i].plugin.node_order_reads_node_only());
        self.cache_scores = pure;
        self
    }

    // ----- ordering (first non-equal answer wins, then Volcano's fallbacks) -----

    /// JobOrderFn chain, then creation time, then UID.
    pub fn job_order(&self, a: JobId, b: JobId) -> Ordering {
        let (ja, jb) = (&self.state.jobs[a.idx()], &self.state.jobs[b.idx()]);
        for &i in self.hooks.slots(Hook::JobOrder) {
            let c = self.slots[i].plugin.job_order(self.state, ja, jb);
            if c != Ordering::Equal {
                return c;
            }
        }
        ja.submit.cmp(&jb.submit).then(a.cmp(&b))
    }

    /// QueueOrderFn chain, then creation order.
    pub fn queue_order(&self, a: QueueId, b: QueueId) -> Ordering {
        let (qa, qb) = (&self.state.queues[a.idx()], &self.state.queues[b.idx()]);
        for &i in self.hooks.slots(Hook::QueueOrder) {
            let c = self.slots[i].plugin.queue_order(self.state, qa, qb);
            if c != Ordering::Equal {
                return c;
            }
        }
        a.cmp(&b)
    }

    /// Removes and returns the first queue of `queues` in QueueOrder (the actions' queue priority
    /// queue: always re-sorted, since shares change as tasks are placed). `queues` is non-empty.
    pub fn pop_best_queue(&self, queues: &mut Vec<QueueId>) -> QueueId {
        let best = (0..queues.len()).min_by(|a, b| self.queue_order(queues[*a], queues[*b])).expect("non-empty");
        queues.swap_remove(best)
    }

    /// VictimQueueOrderFn chain (no enable flag), then the reverse of QueueOrder: `Less` evicts
    /// from `a` first, for a preemptor of queue `by`.
    pub fn victim_queue_order(&self, a: QueueId, b: QueueId, by: QueueId) -> Ordering {
        let (qa, qb, qp) = (&self.state.queues[a.idx()], &self.state.queues[b.idx()], &self.state.queues[by.idx()]);
        for &i in self.hooks.slots(Hook::VictimQueueOrder) {
            let c = self.slots[i].plugin.victim_queue_order(self.state, qa, qb, qp);
            if c != Ordering::Equal {
                return c;
            }
        }
        self.queue_order(b, a)
    }

    /// TaskOrderFn chain, then pod index, then UID.
    pub fn task_order(&self, a: TaskId, b: TaskId) -> Ordering {
        let (ta, tb) = (&self.state.tasks[a.idx()], &self.state.tasks[b.idx()]);
        for &i in self.hooks.slots(Hook::TaskOrder) {
            let c = self.slots[i].plugin.task_order(self.state, ta, tb);
            if c != Ordering::Equal {
                return c;
            }
        }
        ta.index.cmp(&tb.index).then(a.cmp(&b))
    }

    // ----- node checks -----

    /// PredicateFn: all registered plugins must pass; the first failure is returned.
    pub fn predicate(&self, task: TaskId, node: NodeId) -> Result<(), FitReason> {
        let (t, n) = (&self.state.tasks[task.idx()], &self.state.nodes[node.idx()]);
        if self.state.devices.on && !self.state.device_fits(task, node) {
            return Err(FitReason::Devices);
        }
        for &i in self.hooks.slots(Hook::Predicate) {
            self.slots[i].plugin.predicate(self.state, t, n)?;
        }
        Ok(())
    }

    /// NodeOrderFn: the sum of all registered plugins' scores.
    pub fn node_score(&self, task: TaskId, node: NodeId) -> f64 {
        self.node_scores(task, &[node])[0]
    }

    /// [`Session::node_score`] for several nodes: the request's cache row is found once.
    pub fn node_scores(&self, task: TaskId, nodes: &[NodeId]) -> Vec<f64> {
        if !self.cache_scores {
            let mut scores: Vec<f64> = nodes.iter().map(|n| self.compute_node_score(task, *n)).collect();
            if !self.hooks.slots(Hook::BatchNodeOrder).is_empty() {
                self.add_batch_scores(task, nodes, &mut scores);
            }
            return scores;
        }
        let req = self.state.tasks[task.idx()].request;
        let mut c = self.carry.scores.borrow_mut();
        let row = c.row(&req, self.state.nodes.len());
        let generation = c.generation[row];
        let entries = &mut c.table[row];
        let mut scores: Vec<f64> = nodes
            .iter()
            .map(|n| {
                let stamp = self.state.node_epoch[n.idx()].wrapping_add(1).max(1);
                let slot = &mut entries[n.idx()];
                if slot.0 != stamp || slot.1 != generation {
                    *slot = (stamp, generation, self.compute_node_score(task, *n));
                }
                slot.2
            })
            .collect();
        drop(c);
        if !self.hooks.slots(Hook::BatchNodeOrder).is_empty() {
            self.add_batch_scores(task, nodes, &mut scores);
        }
        scores
    }

    /// BatchNodeOrderFn: every registered plugin's batch added to `scores`.
    fn add_batch_scores(&self, task: TaskId, nodes: &[NodeId], scores: &mut [f64]) {
        let t = &self.state.tasks[task.idx()];
        for &i in self.hooks.slots(Hook::BatchNodeOrder) {
            if let Some(batch) = self.slots[i].plugin.batch_node_order(self.state, t, nodes) {
                for (s, b) in scores.iter_mut().zip(batch) {
                    *s += b;
                }
            }
        }
    }

    /// HyperNodeGradientForJobFn: the first registered plugin that answers, else `[[within]]`;
    /// `evict` asks for eviction domains (gangpreempt, gangreclaim) instead of placement ones.
    pub fn hypernode_gradient(
        &self,
        job: JobId,
        within: crate::model::topology::HyperNodeId,
        allocated: Option<crate::model::topology::HyperNodeId>,
        evict: bool,
    ) -> Vec<Vec<crate::model::topology::HyperNodeId>> {
        let j = &self.state.jobs[job.idx()];
        self.hooks
            .slots(Hook::HyperNodeGradient)
            .iter()
            .find_map(|&i| self.slots[i].plugin.hypernode_gradient(self.state, j, within, allocated, evict))
            .unwrap_or_else(|| vec![vec![within]])
    }

    /// HyperNodeOrderFn: the sum of the registered plugins' scores.
    pub fn hypernode_score(&self, job: JobId, hn: crate::model::topology::HyperNodeId) -> f64 {
        let j = &self.state.jobs[job.idx()];
        self.hooks
            .slots(Hook::HyperNodeOrder)
            .iter()
            .map(|&i| self.slots[i].plugin.hypernode_order(self.state, j, hn))
            .sum()
    }

    fn compute_node_score(&self, task: TaskId, node: NodeId) -> f64 {
        let (t, n) = (&self.state.tasks[task.idx()], &self.state.nodes[node.idx()]);
        self.hooks.slots(Hook::NodeOrder).iter().map(|&i| self.slots[i].plugin.node_order(self.state, t, n)).sum()
    }

    // ----- job and queue predicates -----

    /// JobValidFn: the first failure in tier/plugin order.
    pub fn job_valid(&self, job: JobId) -> Result<(), String> {
        let j = &self.state.jobs[job.idx()];
        for &i in self.hooks.slots(Hook::JobValid) {
            self.slots[i].plugin.job_valid(self.state, j)?;
        }
        Ok(())
    }

    /// JobReadyFn: AND over all plugins.
    pub fn job_ready(&self, job: JobId) -> bool {
        let j = &self.state.jobs[job.idx()];
        self.hooks.slots(Hook::JobReady).iter().all(|&i| self.slots[i].plugin.job_ready(self.state, j))
    }

    /// Tier-wise vote: any Reject → false (with the rejecting plugin); a tier with a Permit →
    /// true; all abstain → true.
    fn vote(&self, hook: Hook, ask: impl Fn(&dyn Plugin) -> Vote) -> Result<(), &'static str> {
        let slots = self.hooks.slots(hook);
        let mut k = 0;
        while k < slots.len() {
            let tier = self.slots[slots[k]].tier;
            let mut permit = false;
            while k < slots.len() && self.slots[slots[k]].tier == tier {
                let p = &*self.slots[slots[k]].plugin;
                match ask(p) {
                    Vote::Reject => return Err(p.name()),
                    Vote::Permit => permit = true,
                    Vote::Abstain => {}
                }
                k += 1;
            }
            if permit {
                return Ok(());
            }
        }
        Ok(())
    }

    /// JobPipelinedFn vote.
    pub fn job_pipelined(&self, job: JobId) -> bool {
        let j = &self.state.jobs[job.idx()];
        self.vote(Hook::JobPipelined, |p| p.job_pipelined(self.state, j)).is_ok()
    }

    /// JobEnqueueableFn vote; `Err` names the plugin that rejected.
    pub fn job_enqueueable(&self, job: JobId) -> Result<(), &'static str> {
        let j = &self.state.jobs[job.idx()];
        self.vote(Hook::JobEnqueueable, |p| p.job_enqueueable(self.state, j))
    }

    /// JobEnqueuedFn: every plugin is told.
    pub fn job_enqueued(&mut self, job: JobId) {
        let st = &*self.state;
        let j = &st.jobs[job.idx()];
        for &i in self.hooks.slots(Hook::JobEnqueueable) {
            self.slots[i].plugin.job_enqueued(st, j);
        }
    }

    /// JobStarvingFn: the first tier with any registered plugin decides, by AND.
    pub fn job_starving(&self, job: JobId) -> bool {
        let j = &self.state.jobs[job.idx()];
        let slots = self.hooks.slots(Hook::JobStarving);
        let Some(&first) = slots.first() else { return false };
        let tier = self.slots[first].tier;
        slots
            .iter()
            .take_while(|&&i| self.slots[i].tier == tier)
            .all(|&i| self.slots[i].plugin.job_starving(self.state, j))
    }

    /// OverusedFn: OR over plugins.
    pub fn overused(&self, queue: QueueId) -> bool {
        let q = &self.state.queues[queue.idx()];
        self.hooks.slots(Hook::Overused).iter().any(|&i| self.slots[i].plugin.overused(self.state, q))
    }

    /// AllocatableFn: AND over plugins.
    pub fn allocatable(&self, queue: QueueId, task: TaskId) -> bool {
        let (q, t) = (&self.state.queues[queue.idx()], &self.state.tasks[task.idx()]);
        self.hooks.slots(Hook::Allocatable).iter().all(|&i| self.slots[i].plugin.allocatable(self.state, q, t))
    }

    // ----- victims -----

    /// Tiered victim selection (`Preemptable` / `Reclaimable`): within a tier, abstaining plugins
    /// are skipped and the others' answers intersected; a plugin answering "none" empties the tier;
    /// the first tier with victims decides. As in Volcano, an intersection that becomes empty
    /// mid-tier lets the next plugin's answer start the set again.
    fn victims(&self, hook: Hook, ask: impl Fn(&dyn Plugin) -> Option<Vec<TaskId>>) -> Vec<TaskId> {
        let slots = self.hooks.slots(hook);
        let mut k = 0;
        while k < slots.len() {
            let tier = self.slots[slots[k]].tier;
            let mut set: Option<Vec<TaskId>> = None;
            let mut vetoed = false;
            while k < slots.len() && self.slots[slots[k]].tier == tier {
                let p = &*self.slots[slots[k]].plugin;
                k += 1;
                if vetoed {
                    continue;
                }
                let Some(list) = ask(p) else { continue };
                if list.is_empty() {
                    vetoed = true;
                    set = None;
                    continue;
                }
                set = Some(match set {
                    None => list,
                    Some(prev) => prev.into_iter().filter(|x| list.contains(x)).collect(),
                });
                if set.as_ref().is_some_and(|s| s.is_empty()) {
                    set = None;
                }
            }
            if let Some(v) = set.filter(|v| !v.is_empty()) {
                return v;
            }
        }
        Vec::new()
    }

    /// Whether the tiered victim answer for `evictor` among `candidates` can be non-empty: a tier
    /// yields victims only if none of its plugins answers "none" (a veto), so some tier must have,
    /// for every plugin, at least one candidate that plugin may return. A cheap test that lets the
    /// actions skip nodes before asking for the full answer; it never skips a node with victims.
    pub fn may_have_victims(&self, hook: Hook, evictor: TaskId, candidates: &[TaskId]) -> bool {
        let t = &self.state.tasks[evictor.idx()];
        let slots = self.hooks.slots(hook);
        let mut k = 0;
        while k < slots.len() {
            let tier = self.slots[slots[k]].tier;
            let mut all = true;
            while k < slots.len() && self.slots[slots[k]].tier == tier {
                let p = &self.slots[slots[k]].plugin;
                all = all && candidates.iter().any(|c| p.may_be_victim(self.state, t, *c, hook));
                k += 1;
            }
            if all {
                return true;
            }
        }
        false
    }

    /// The evictor-side inputs of every plugin registered for `hook` (see [`Plugin::evictor_key`]).
    pub fn evictor_key(&self, hook: Hook, evictor: TaskId) -> Vec<i64> {
        let t = &self.state.tasks[evictor.idx()];
        self.hooks.slots(hook).iter().flat_map(|&i| self.slots[i].plugin.evictor_key(self.state, t)).collect()
    }

    /// PreemptableFn over the tiers.
    pub fn preemptable(&self, preemptor: TaskId, candidates: &[TaskId]) -> Vec<TaskId> {
        let t = &self.state.tasks[preemptor.idx()];
        self.victims(Hook::Preemptable, |p| p.preemptable(self.state, t, candidates))
    }

    /// ReclaimableFn over the tiers.
    pub fn reclaimable(&self, reclaimer: TaskId, candidates: &[TaskId]) -> Vec<TaskId> {
        let t = &self.state.tasks[reclaimer.idx()];
        self.victims(Hook::Reclaimable, |p| p.reclaimable(self.state, t, candidates))
    }

    /// UnifiedEvictableFn over the tiers (same combination as Preemptable/Reclaimable).
    pub fn unified_evictable(&self, kind: EvictionKind, evictor: JobId, candidates: &[TaskId]) -> Vec<TaskId> {
        let job = &self.state.jobs[evictor.idx()];
        self.victims(Hook::UnifiedEvictable, |p| p.unified_evictable(self.state, kind, job, candidates))
    }

    /// PreemptiveFn: AND over plugins.
    pub fn preemptive(&self, queue: QueueId, task: TaskId) -> bool {
        let (q, t) = (&self.state.queues[queue.idx()], &self.state.tasks[task.idx()]);
        self.hooks.slots(Hook::Preemptive).iter().all(|&i| self.slots[i].plugin.preemptive(self.state, q, t))
    }

    /// PreemptiveFn for several tasks at once (gangreclaim asks for a job's pending pods
    /// together): the plugins see one task carrying the summed request.
    pub fn preemptive_all(&self, queue: QueueId, tasks: &[TaskId]) -> bool {
        let Some(first) = tasks.first() else { return true };
        let mut t = self.state.tasks[first.idx()].clone();
        t.request = tasks.iter().fold(Resources::ZERO, |acc, x| acc + self.state.tasks[x.idx()].request);
        let q = &self.state.queues[queue.idx()];
        self.hooks.slots(Hook::Preemptive).iter().all(|&i| self.slots[i].plugin.preemptive(self.state, q, &t))
    }

    /// VictimTasks (`shuffle`): the union of the registered plugins' answers in the first tier whose
    /// union is not empty, in task id order.
    pub fn victim_tasks(&self, candidates: &[TaskId]) -> Vec<TaskId> {
        let slots = self.hooks.slots(Hook::VictimTasks);
        let mut k = 0;
        while k < slots.len() {
            let tier = self.slots[slots[k]].tier;
            let mut set = std::collections::BTreeSet::new();
            while k < slots.len() && self.slots[slots[k]].tier == tier {
                set.extend(self.slots[slots[k]].plugin.victim_tasks(self.state, candidates));
                k += 1;
            }
            if !set.is_empty() {
                return set.into_iter().collect();
            }
        }
        Vec::new()
    }

    /// `BuildVictimsPriorityQueue(victims, evictor)` order: within a job, reverse task order;
    /// across queues, VictimQueueOrder for the evictor's queue; otherwise reverse job order, then
    /// reverse task order.
    pub fn victim_order(&self, evictor: TaskId, a: TaskId, b: TaskId) -> Ordering {
        let (ta, tb) = (&self.state.tasks[a.idx()], &self.state.tasks[b.idx()]);
        if ta.job == tb.job {
            return self.task_order(b, a);
        }
        let (qa, qb) = (self.state.jobs[ta.job.idx()].queue, self.state.jobs[tb.job.idx()].queue);
        if qa != qb {
            let by = self.state.jobs[self.state.tasks[evictor.idx()].job.idx()].queue;
            return self.victim_queue_order(qa, qb, by);
        }
        self.job_order(tb.job, ta.job).then_with(|| self.task_order(b, a))
    }

    // ----- statement operations -----

    fn fire_allocate(&mut self, task: TaskId) {
        let st = &*self.state;
        for s in self.slots.iter_mut() {
            s.plugin.on_allocate(st, task);
        }
    }

    fn fire_deallocate(&mut self, task: TaskId) {
        let st = &*self.state;
        for s in self.slots.iter_mut() {
            s.plugin.on_deallocate(st, task);
        }
    }

    /// With card tracking on, lets the first plugin that has an opinion choose the task's cards
    /// on `node` before the task moves there.
    fn choose_cards(&mut self, task: TaskId, node: NodeId) {
        if !self.state.devices.on || self.state.tasks[task.idx()].device.is_none() {
            return;
        }
        let (t, n) = (&self.state.tasks[task.idx()], &self.state.nodes[node.idx()]);
        let mask = self.slots.iter().find_map(|s| s.plugin.select_cards(self.state, t, n)).unwrap_or(0);
        self.state.tasks[task.idx()].cards = mask;
    }

    /// `Statement.Allocate`: task takes the node's idle resources tentatively.
    pub fn allocate(&mut self, stmt: &mut Statement, task: TaskId, node: NodeId) {
        self.choose_cards(task, node);
        self.mutations += 1;
        self.state.transition(task, TaskStatus::Allocated, Some(node));
        self.touched.push(task);
        self.fire_allocate(task);
        stmt.ops.push(Op::Allocate(task, node));
    }

    /// `Statement.Pipeline`: task is promised the node's future resources.
    pub fn pipeline(&mut self, stmt: &mut Statement, task: TaskId, node: NodeId) {
        self.choose_cards(task, node);
        self.mutations += 1;
        self.state.transition(task, TaskStatus::Pipelined, Some(node));
        self.touched.push(task);
        self.fire_allocate(task);
        stmt.ops.push(Op::Pipeline(task, node));
    }

    /// Raises the pool bound to cover `node`'s current future-idle resources.
    fn raise_bound(&mut self, node: Option<NodeId>) {
        if let (Some(n), Some(bounds)) = (node, self.pool_bound.as_mut()) {
            let nd = &self.state.nodes[n.idx()];
            let b = &mut bounds[nd.pool.idx()];
            *b = b.max(nd.future_idle());
        }
    }

    /// Per pool, an upper bound of any healthy node's future-idle resources (computed on first
    /// use, then kept an upper bound by [`Session::raise_bound`]).
    pub fn pool_bounds(&mut self) -> &[Resources] {
        if self.pool_bound.is_none() {
            let mut b = vec![Resources::ZERO; self.state.pools.len()];
            // The cached future-idle vector (kept by every transition) saves recomputing it.
            for (n, idle) in self.state.nodes.iter().zip(&self.state.future_idle) {
                if n.healthy {
                    let p = n.pool.idx();
                    b[p] = b[p].max(*idle);
                }
            }
            self.pool_bound = Some(b);
        }
        self.pool_bound.as_deref().expect("just computed")
    }

    /// The bounds; [`Session::pool_bounds`] must have run in this session.
    pub fn computed_pool_bounds(&self) -> &[Resources] {
        self.pool_bound.as_deref().expect("pool bounds are computed before use")
    }

    /// Replaces the bounds with exact values measured by a scan of every healthy node.
    pub fn set_pool_bounds(&mut self, exact: Vec<Resources>) {
        self.pool_bound = Some(exact);
    }

    /// `Statement.Evict`: task starts releasing its node.
    pub fn evict(&mut self, stmt: &mut Statement, task: TaskId, by: TaskId) {
        self.evict_for(stmt, task, Some(by));
    }

    /// `Session.Evict` (shuffle): the task is evicted at once, for no preemptor.
    pub fn evict_now(&mut self, task: TaskId) {
        let mut stmt = Statement::new();
        self.evict_for(&mut stmt, task, None);
        self.commit(stmt);
    }

    fn evict_for(&mut self, stmt: &mut Statement, task: TaskId, by: Option<TaskId>) {
        self.mutations += 1;
        let prev = self.state.tasks[task.idx()].status;
        self.state.transition(task, TaskStatus::Releasing, None);
        self.raise_bound(self.state.tasks[task.idx()].node);
        self.fire_deallocate(task);
        stmt.ops.push(Op::Evict(task, by, prev));
    }

    /// `Statement.Commit`: evictions and binds leave the session; pipelines stay in-session.
    pub fn commit(&mut self, stmt: Statement) {
        self.mutations += !stmt.is_empty() as u64;
        for op in stmt.ops {
            match op {
                Op::Evict(t, by, _) => self.decisions.evictions.push((t, by, self.evict_cause)),
                Op::Pipeline(..) => {}
                Op::Allocate(t, n) => {
                    self.state.transition(t, TaskStatus::Binding, None);
                    self.decisions.binds.push((t, n));
                }
            }
        }
    }

    /// `Statement.Discard`: undoes every operation in reverse order.
    pub fn discard(&mut self, stmt: Statement) {
        self.mutations += !stmt.is_empty() as u64;
        for op in stmt.ops.into_iter().rev() {
            match op {
                Op::Evict(t, _, prev) => {
                    self.state.transition(t, prev, None);
                    self.fire_allocate(t);
                }
                Op::Allocate(t, n) | Op::Pipeline(t, n) => {
                    self.state.transition(t, TaskStatus::Pending, None);
                    self.raise_bound(Some(n));
                    self.fire_deallocate(t);
                }
            }
        }
    }

    /// `Session.Allocate` (non-transactional, used by backfill): allocates, and if the job is then
    /// ready, dispatches every allocated task of the job to bind.
    pub fn allocate_now(&mut self, task: TaskId, node: NodeId) {
        self.choose_cards(task, node);
        self.mutations += 1;
        self.state.transition(task, TaskStatus::Allocated, Some(node));
        self.touched.push(task);
        self.fire_allocate(task);
        let job = self.state.tasks[task.idx()].job;
        if self.job_ready(job) {
            let ids: Vec<TaskId> = self.state.jobs[job.idx()].task_ids().collect();
            for t in ids {
                if self.state.tasks[t.idx()].status == TaskStatus::Allocated {
                    let n = self.state.tasks[t.idx()].node.expect("allocated task has a node");
                    self.state.transition(t, TaskStatus::Binding, None);
                    self.decisions.binds.push((t, n));
                }
            }
        }
    }

    /// `CloseSession`: reverts uncommitted placements, lets plugins write conditions, and
    /// recomputes PodGroup phases. Returns the committed decisions.
    pub fn close(mut self) -> Decisions {
        let touched = std::mem::take(&mut self.touched);
        for t in touched.into_iter().rev() {
            let s = self.state.tasks[t.idx()].status;
            if s == TaskStatus::Allocated || s == TaskStatus::Pipelined {
                self.state.transition(t, TaskStatus::Pending, None);
            }
        }
        let now = self.now;
        self.decisions.wake_at = self.slots.iter().filter_map(|s| s.plugin.wake_up(self.state, now)).min();
        let changed = self.state.take_changed();
        for s in self.slots.iter_mut() {
            s.plugin.on_session_close(self.state, &changed);
        }
        for j in changed {
            if self.state.jobs[j.idx()].state == crate::model::JobState::Active {
                update_phase(self.state, j);
            }
        }
        self.decisions
    }
}

/// `getPodGroupPhase` after a session: Running once minMember tasks are scheduled (bound or
/// beyond), Completed when all of those finished, back to Pending if a running gang shrank.
pub fn update_phase(state: &mut ClusterState, j: JobId) {
    let job = &state.jobs[j.idx()];
    let scheduled = job.count(TaskStatus::Running)
        + job.count(TaskStatus::Bound)
        + job.count(TaskStatus::Succeeded)
        + job.count(TaskStatus::Failed)
        + job.count(TaskStatus::Releasing);
    let finished = job.count(TaskStatus::Succeeded) + job.count(TaskStatus::Failed);
    let phase = if job.pods_created && scheduled >= job.min_available && job.min_available > 0 {
        if finished == scheduled { PodGroupPhase::Completed } else { PodGroupPhase::Running }
    } else if job.phase == PodGroupPhase::Running || job.phase == PodGroupPhase::Unknown {
        PodGroupPhase::Pending
    } else {
        job.phase
    };
    state.set_phase(j, phase);
}

#[cfg(test)]
mod tests {
    //! One table per combination rule of `session_plugins.go`, with plugins that answer what they
    //! are told.

    use super::*;
    use crate::model::{Job, JobSpec, Pool, Queue, Resources};
    use crate::sched::node_scan::NodeScan;

    struct Fake {
        vote: Vote,
        yes: bool,
        order: Ordering,
        hooks: &'static [Hook],
    }

    impl Plugin for Fake {
        fn name(&self) -> &'static str {
            "fake"
        }
        fn hooks(&self) -> &'static [Hook] {
            self.hooks
        }
        fn job_order(&self, _: &ClusterState, _: &Job, _: &Job) -> Ordering {
            self.order
        }
        fn job_enqueueable(&self, _: &ClusterState, _: &Job) -> Vote {
            self.vote
        }
        fn job_pipelined(&self, _: &ClusterState, _: &Job) -> Vote {
            self.vote
        }
        fn job_starving(&self, _: &ClusterState, _: &Job) -> bool {
            self.yes
        }
        fn job_ready(&self, _: &ClusterState, _: &Job) -> bool {
            self.yes
        }
        fn overused(&self, _: &ClusterState, _: &Queue) -> bool {
            self.yes
        }
    }

    const ALL: &[Hook] =
        &[Hook::JobOrder, Hook::JobEnqueueable, Hook::JobPipelined, Hook::JobStarving, Hook::JobReady, Hook::Overused];

    fn state() -> ClusterState {
        let pool = Pool::plain("p", Resources::new(1000, 1000), 10);
        let mut st = ClusterState::new(vec![(pool, 1)], vec![Queue::new(QueueId(0), "q")]);
        for name in ["a", "b"] {
            let spec = JobSpec {
                submit: SimTime(5),
                annotations: Default::default(),
                ..JobSpec::one_role(name, "q", "w", 1, 1, Resources::new(1, 1))
            };
            st.add_job(spec, QueueId(0), vec![1]);
        }
        st
    }

    /// Builds slots from (tier, answers, enabled) and runs `f` on a session over them.
    fn with_session<R>(
        plugins: &[(usize, Vote, bool, Ordering)],
        disabled: Option<&str>,
        f: impl FnOnce(&Session) -> R,
    ) -> R {
        let mut slots: Vec<PluginSlot> = plugins
            .iter()
            .map(|&(tier, vote, yes, order)| {
                let mut option = PluginOption::named("fake");
                if let Some(flag) = disabled {
                    option = serde_saphyr::from_str(&format!("name: fake\n{flag}: false\n")).unwrap();
                }
                PluginSlot { tier, option, plugin: Box::new(Fake { vote, yes, order, hooks: ALL }) }
            })
            .collect();
        let hooks = HookTable::build(&slots);
        let mut st = state();
        let mut carry = Carry::new(1, NodeScan::Exhaustive);
        let ssn = Session::open(&mut st, SimTime(0), &mut slots, &hooks, &mut carry, true);
        f(&ssn)
    }

    use Ordering::{Equal, Greater, Less};
    use Vote::{Abstain, Permit, Reject};

    #[test]
    fn votes_go_tier_by_tier() {
        let j = JobId(0);
        let cases: &[(&[(usize, Vote)], bool)] = &[
            (&[], true),                           // nobody votes: allowed
            (&[(0, Abstain), (1, Abstain)], true), // all abstain: allowed
            (&[(0, Permit), (1, Reject)], true),   // a tier with a permit decides
            (&[(0, Permit), (0, Reject)], false),  // a reject in that tier wins
            (&[(0, Abstain), (1, Reject), (1, Permit)], false),
            (&[(0, Abstain), (1, Permit)], true),
        ];
        for (plugins, want) in cases {
            let p: Vec<_> = plugins.iter().map(|&(t, v)| (t, v, true, Equal)).collect();
            assert_eq!(with_session(&p, None, |s| s.job_enqueueable(j).is_ok()), *want, "{plugins:?}");
            assert_eq!(with_session(&p, None, |s| s.job_pipelined(j)), *want, "{plugins:?}");
        }
    }

    #[test]
    fn starving_is_decided_by_the_first_tier_that_has_it() {
        let j = JobId(0);
        let cases: &[(&[(usize, bool)], bool)] = &[
            (&[], false),
            (&[(0, true), (0, false)], false),
            (&[(0, true), (0, true), (1, false)], true),
            (&[(1, true)], true),
        ];
        for (plugins, want) in cases {
            let p: Vec<_> = plugins.iter().map(|&(t, y)| (t, Abstain, y, Equal)).collect();
            assert_eq!(with_session(&p, None, |s| s.job_starving(j)), *want, "{plugins:?}");
        }
    }

    #[test]
    fn ready_is_and_overused_is_or() {
        let p = [(0, Abstain, true, Equal), (1, Abstain, false, Equal)];
        assert!(!with_session(&p, None, |s| s.job_ready(JobId(0))));
        assert!(with_session(&p, None, |s| s.overused(QueueId(0))));
        // A disabled callback is not asked at all.
        let p = [(0, Abstain, false, Equal)];
        assert!(with_session(&p, Some("enableJobReady"), |s| s.job_ready(JobId(0))));
        assert!(!with_session(&p, Some("enabledOverused"), |s| s.overused(QueueId(0))));
    }

    #[test]
    fn order_takes_the_first_decision_then_falls_back_to_creation_and_uid() {
        let (a, b) = (JobId(0), JobId(1));
        assert_eq!(
            with_session(&[(0, Abstain, true, Equal), (1, Abstain, true, Greater)], None, |s| s.job_order(a, b)),
            Greater
        );
        assert_eq!(
            with_session(&[(0, Abstain, true, Less), (0, Abstain, true, Greater)], None, |s| s.job_order(a, b)),
            Less
        );
        // Same creation time: the older UID (lower id) first.
        assert_eq!(with_session(&[], None, |s| s.job_order(a, b)), Less);
        assert_eq!(with_session(&[], None, |s| s.job_order(b, a)), Greater);
    }
}
