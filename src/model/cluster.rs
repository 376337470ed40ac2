//! The live cluster: fleet, queues, jobs and tasks, with every counter the scheduler reads kept
//! up to date by one transition function.
//!
//! There is no per-cycle snapshot copy: a scheduling session works on this state directly and its
//! statement journal undoes what it does not commit. Because every task status change goes through
//! [`ClusterState::transition`], per-job counts, per-job and per-queue allocations and node
//! accounting cannot drift apart.

use super::devices::{CardPick, Devices};
use super::ids::{JobId, NodeId, PoolId, QueueId, TaskId};
use super::job::{Job, JobSpec, JobState, PodGroupPhase, TASK_STATUSES, Task, TaskStatus};
use super::node::{Node, Pool};
use super::queue::Queue;
use super::resources::Resources;
use super::resources::scalar_slot;
use super::time::SimTime;
use std::collections::BTreeSet;

/// Everything the scheduler and the simulator share.
#[derive(Clone, Debug, Default)]
pub struct ClusterState {
    /// Node pools.
    pub pools: Vec<Pool>,
    /// Nodes, pool by pool.
    pub nodes: Vec<Node>,
    /// Queues.
    pub queues: Vec<Queue>,
    /// Every job ever submitted.
    pub jobs: Vec<Job>,
    /// Every task ever created.
    pub tasks: Vec<Task>,
    /// Jobs submitted and not yet ended, in id order.
    pub active: BTreeSet<JobId>,
    /// Active jobs whose PodGroup is `Pending` (what `enqueue` looks at).
    pub pending_phase: BTreeSet<JobId>,
    /// Active jobs with at least one pending pod (what `allocate` and `backfill` look at).
    pub with_pending_pods: BTreeSet<JobId>,
    /// Jobs whose tasks changed since the last scheduling session closed (phases are recomputed
    /// for these only; every other job's phase inputs are unchanged).
    pub changed: Vec<JobId>,
    /// Allocatable resources of healthy nodes (`TotalResource`).
    pub total: Resources,
    /// Per pool: resources used on its nodes.
    pub pool_used: Vec<Resources>,
    /// Per pool: allocatable resources of its healthy nodes (kept with `total`, so metrics need
    /// no scan of the fleet when nodes fail or come back).
    pub pool_healthy: Vec<Resources>,
    /// Per node: the tasks on it (any on-node status), for victim searches.
    pub node_tasks: Vec<Vec<TaskId>>,
    /// Per node: [`Node::future_idle`], kept current by [`ClusterState::transition`]. Node scans
    /// visit thousands of nodes per task and most of them fail on resources; this dense copy
    /// answers that test from one cache line per node instead of three fields of a large struct.
    pub future_idle: Vec<Resources>,
    /// Per node: a counter bumped whenever the node's accounting changes, so that answers
    /// computed from a node's state (node scores) can be reused while it is unchanged.
    pub node_epoch: Vec<u32>,
    /// Per node and queue (`node * queues + queue`): requests of the queue's Bound and Running
    /// tasks on the node — what preempt and reclaim could free there at most.
    pub node_queue_running: Vec<Resources>,
    /// Allocated resources of jobs that are making progress (goodput).
    pub progressing_alloc: Resources,
    /// Per pool, accelerator milli-units of progressing jobs' pods on its nodes (goodput per pool).
    pub pool_progressing_accel: Vec<i64>,
    /// Incremented whenever resources are given back on any node; lets the allocate action skip
    /// jobs whose last attempt failed on node fit when nothing has been freed since.
    pub release_epoch: u64,
    /// Per pool: how many healthy nodes have `k` whole accelerators of future-idle capacity
    /// (index `k`). Gives, in O(cards), an upper bound of how many pods of an accelerator request
    /// the pool can still take, so a gang that cannot fit is rejected without a node scan.
    pub free_cards: Vec<Vec<u32>>,
    /// `card_bits.0[k - 1]` is a bitset over node ids: a bit is set iff the node is healthy and
    /// has at least `k` whole accelerators of future-idle capacity. Node scans jump over the
    /// nodes that cannot hold a request's accelerators, 64 nodes a word.
    pub card_bits: CardBits,
    /// Time of day at t = 0 and the cycle period, for time-driven plugins.
    pub clock: super::clock::Clock,
    /// The HyperNode tree, when the scenario declares one (`fleet.topology`); shared, never
    /// changed by a run.
    pub topology: Option<std::sync::Arc<super::topology::Topology>>,
    /// Per-card accelerator state (off unless [`ClusterState::enable_devices`] ran).
    pub devices: Devices,
    /// Names of the scenario's extended resources (spare scalar slots), for messages and reports.
    pub scalar_names: super::scalar_names::ScalarNames,
}

/// Per-queue sums over jobs that the enqueue plugins read every cycle, kept current on every
/// allocation and phase change so that no plugin has to walk all jobs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JobTallies {
    /// overcommit's `inqueue`: `minResources` of Inqueue jobs, plus `(minResources − allocated)⁺`
    /// of Running jobs whose ready tasks reach minAvailable.
    pub inqueue_min: Resources,
    /// proportion's `inqueue`: `(minResources − allocated)⁺` of both kinds of jobs above.
    pub inqueue_unmet: Resources,
    /// proportion's `elastic`: `(allocated − minResources)⁺` of every job.
    pub elastic: Resources,
}

impl JobTallies {
    /// The contribution of one job.
    pub fn of(job: &Job) -> JobTallies {
        let unmet = job.min_resources.sub_clamped(job.allocated);
        let (inqueue_min, inqueue_unmet) = match job.phase {
            PodGroupPhase::Inqueue => (job.min_resources, unmet),
            PodGroupPhase::Running if job.ready_tasks() >= job.min_available => (unmet, unmet),
            _ => (Resources::ZERO, Resources::ZERO),
        };
        JobTallies { inqueue_min, inqueue_unmet, elastic: job.allocated.sub_clamped(job.min_resources) }
    }

    fn add(&mut self, o: &JobTallies) {
        self.inqueue_min += o.inqueue_min;
        self.inqueue_unmet += o.inqueue_unmet;
        self.elastic += o.elastic;
    }

    fn sub(&mut self, o: &JobTallies) {
        self.inqueue_min -= o.inqueue_min;
        self.inqueue_unmet -= o.inqueue_unmet;
        self.elastic -= o.elastic;
    }
}

/// Per number of whole free accelerators `k ≥ 1`, the nodes that have at least `k`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CardBits(pub Vec<Vec<u64>>);

impl CardBits {
    fn set(&mut self, node: usize, cards: usize, on: bool) {
        for k in 1..=cards.min(self.0.len()) {
            let w = &mut self.0[k - 1][node / 64];
            if on {
                *w |= 1 << (node % 64);
            } else {
                *w &= !(1 << (node % 64));
            }
        }
    }

    /// The first node in `i..end` with at least `cards` free accelerators, or `end`.
    pub fn next(&self, cards: usize, mut i: usize, end: usize) -> usize {
        if cards == 0 {
            return i;
        }
        let Some(bits) = self.0.get(cards - 1) else { return end };
        while i < end {
            let word = bits[i / 64] >> (i % 64);
            if word != 0 {
                return (i + word.trailing_zeros() as usize).min(end);
            }
            i = (i / 64 + 1) * 64;
        }
        end
    }
}

/// Whole accelerators of a node's future-idle capacity.
#[inline]
pub fn free_cards(node: &Node) -> usize {
    (node.future_idle().accelerators().max(0) / 1000) as usize
}

impl ClusterState {
    /// Builds an empty cluster from pools (nodes named `<pool>-<nnn>`) and queues.
    pub fn new(pools: Vec<(Pool, u32)>, queues: Vec<Queue>) -> ClusterState {
        let nq = queues.len();
        let mut state = ClusterState { queues, ..ClusterState::default() };
        for (pool, count) in pools {
            let pid = PoolId(state.pools.len() as u32);
            let width = count.to_string().len().max(3);
            let cards = (pool.allocatable.accelerators().max(0) / 1000) as usize;
            let mut hist = vec![0u32; cards + 1];
            hist[cards] = count;
            state.free_cards.push(hist);
            for i in 0..count {
                let id = NodeId(state.nodes.len() as u32);
                let name = format!("{}-{:0width$}", pool.name, i, width = width);
                state.nodes.push(Node::new(id, name, pid, pool.allocatable, pool.max_pods));
                state.node_tasks.push(Vec::new());
                state.future_idle.push(state.nodes[id.idx()].future_idle());
                state.node_epoch.push(0);
                state.total += pool.allocatable;
            }
            state.pool_healthy.push(pool.allocatable.times(count as i64));
            state.pools.push(pool);
            state.pool_used.push(Resources::ZERO);
            state.pool_progressing_accel.push(0);
        }
        let most = state.free_cards.iter().map(|h| h.len() - 1).max().unwrap_or(0);
        let words = state.nodes.len().div_ceil(64);
        state.card_bits = CardBits(vec![vec![0; words]; most]);
        for i in 0..state.nodes.len() {
            let cards = free_cards(&state.nodes[i]);
            state.card_bits.set(i, cards, true);
        }
        state.node_queue_running = vec![Resources::ZERO; state.nodes.len() * nq];
        state
    }

    /// Adds a job and its (not yet created) tasks; returns its id.
    pub fn add_job(&mut self, spec: JobSpec, queue: QueueId, role_pools: Vec<u64>) -> JobId {
        let id = JobId(self.jobs.len() as u32);
        let first_task = self.tasks.len() as u32;
        for (ri, role) in spec.roles.iter().enumerate() {
            for i in 0..role.replicas {
                self.tasks.push(Task {
                    id: TaskId(self.tasks.len() as u32),
                    job: id,
                    role: ri as u16,
                    index: i,
                    request: role.request,
                    priority: role.priority,
                    status: TaskStatus::Pending,
                    node: None,
                    bound_at: None,
                    device: role.device,
                    cards: 0,
                });
            }
        }
        let task_count = self.tasks.len() as u32 - first_task;
        self.jobs.push(Job {
            id,
            name: spec.name.clone(),
            queue,
            priority: spec.priority,
            submit: spec.submit,
            work_ms: spec.work_ms,
            min_available: spec.min_available(),
            min_resources: spec.min_resources(),
            role_pools,
            roles: spec.roles,
            first_task,
            task_count,
            pods_created: false,
            phase: PodGroupPhase::Pending,
            counts: [0; TASK_STATUSES],
            allocated: Resources::ZERO,
            state: JobState::Active,
            reason: String::new(),
            first_start: None,
            gang_ready: None,
            finished: None,
            progress_ms: 0,
            progressing_since: None,
            accel_by_pool: Vec::new(),
            speed_milli: 1000,
            generation: 0,
            changed: false,
            preemptable: Job::read_preemptable(&spec.annotations),
            annotations: spec.annotations,
        });
        self.active.insert(id);
        self.pending_phase.insert(id);
        self.queues[queue.idx()].active_jobs += 1;
        let requested =
            self.jobs[id.idx()].roles.iter().fold(Resources::ZERO, |a, r| a + r.request.times(r.replicas as i64));
        self.queues[queue.idx()].requested += requested;
        id
    }

    /// Removes an ended job (completed or rejected) from the active set.
    pub fn deactivate(&mut self, j: JobId) {
        self.pending_phase.remove(&j);
        self.with_pending_pods.remove(&j);
        if self.active.remove(&j) {
            let job = &self.jobs[j.idx()];
            let requested = job.roles.iter().fold(Resources::ZERO, |a, r| a + r.request.times(r.replicas as i64));
            let queue = &mut self.queues[job.queue.idx()];
            queue.active_jobs -= 1;
            queue.requested -= requested;
        }
    }

    /// The controller creates the job's pods: they become visible to the scheduler as Pending.
    pub fn create_pods(&mut self, j: JobId) {
        let job = &mut self.jobs[j.idx()];
        if job.pods_created {
            return;
        }
        job.pods_created = true;
        job.counts[TaskStatus::Pending as usize] += job.task_count;
        if job.task_count > 0 {
            self.with_pending_pods.insert(j);
        }
        self.mark_changed(j);
        let job = &mut self.jobs[j.idx()];
        let mut pending = Resources::ZERO;
        for t in job.task_ids() {
            pending += self.tasks[t.idx()].request;
        }
        self.queues[job.queue.idx()].pending += pending;
    }

    /// Moves a task to status `to`, on `node` when `to` occupies a node (`None` keeps the current
    /// node). Updates node accounting, job counts and allocations, queue totals and the goodput
    /// tally in one place.
    pub fn transition(&mut self, t: TaskId, to: TaskStatus, node: Option<NodeId>) {
        let task = &self.tasks[t.idx()];
        let (from, old_node, r, j) = (task.status, task.node, task.request, task.job);
        if from == to && (node.is_none() || node == old_node) {
            return;
        }
        let new_target = if to.on_node() { node.or(old_node) } else { None };
        let old_target = old_node.filter(|_| from.on_node());
        let touched = [old_target, new_target.filter(|n| Some(*n) != old_target)];
        for n in touched.iter().flatten() {
            let nd = &self.nodes[n.idx()];
            if nd.healthy {
                self.free_cards[nd.pool.idx()][free_cards(nd)] -= 1;
                self.card_bits.set(n.idx(), free_cards(nd), false);
            }
        }
        if let Some(n) = old_node.filter(|_| from.on_node()) {
            if new_target != Some(n) {
                self.node_tasks[n.idx()].retain(|x| *x != t);
            }
            let nd = &mut self.nodes[n.idx()];
            let before = nd.used;
            nd.remove(r, from);
            let delta = before - nd.used;
            self.pool_used[nd.pool.idx()] -= delta;
            self.future_idle[n.idx()] = nd.future_idle();
            self.node_epoch[n.idx()] = self.node_epoch[n.idx()].wrapping_add(1);
        }
        let new_node = if to.on_node() { node.or(old_node) } else { None };
        if to.on_node() {
            let n = new_node.expect("a task moving to an on-node status needs a node");
            if old_target != Some(n) {
                self.node_tasks[n.idx()].push(t);
            }
            let nd = &mut self.nodes[n.idx()];
            let before = nd.used;
            nd.add(r, to);
            let delta = nd.used - before;
            self.pool_used[nd.pool.idx()] += delta;
            self.future_idle[n.idx()] = nd.future_idle();
            self.node_epoch[n.idx()] = self.node_epoch[n.idx()].wrapping_add(1);
        }
        if from.on_node() && (from == TaskStatus::Pipelined || !to.on_node() || to == TaskStatus::Releasing) {
            self.release_epoch += 1;
        }
        for n in touched.iter().flatten() {
            let nd = &self.nodes[n.idx()];
            if nd.healthy {
                self.free_cards[nd.pool.idx()][free_cards(nd)] += 1;
                self.card_bits.set(n.idx(), free_cards(nd), true);
            }
        }
        let evictable = |s: TaskStatus| matches!(s, TaskStatus::Bound | TaskStatus::Running);
        let (nq, q) = (self.queues.len(), self.jobs[j.idx()].queue.idx());
        if let Some(n) = old_target.filter(|_| evictable(from)) {
            self.node_queue_running[n.idx() * nq + q] -= r;
        }
        if let Some(n) = new_target.filter(|_| evictable(to)) {
            self.node_queue_running[n.idx() * nq + q] += r;
        }
        if self.devices.on {
            self.move_cards(t, from, to, old_target, new_target);
        }
        let task = &mut self.tasks[t.idx()];
        task.status = to;
        task.node = new_node;

        self.mark_changed(j);
        let job = &mut self.jobs[j.idx()];
        let before = JobTallies::of(job);
        job.counts[from as usize] -= 1;
        job.counts[to as usize] += 1;
        if from == TaskStatus::Pending && job.counts[from as usize] == 0 {
            self.with_pending_pods.remove(&j);
        } else if to == TaskStatus::Pending && job.counts[to as usize] == 1 && job.state == JobState::Active {
            self.with_pending_pods.insert(j);
        }
        let job = &mut self.jobs[j.idx()];
        let queue = &mut self.queues[job.queue.idx()];
        let pool_of = |n: Option<NodeId>, nodes: &[Node]| nodes[n.expect("allocated pods are on a node").idx()].pool;
        let accel = r.accelerators();
        // Allocation leaving the old pool and entering the new one (both when a pod moves nodes).
        let mut moves: [Option<(PoolId, i64)>; 2] = [None, None];
        if from.is_allocated() && (!to.is_allocated() || new_node != old_node) {
            moves[0] = Some((pool_of(old_node, &self.nodes), -accel));
        }
        if to.is_allocated() && (!from.is_allocated() || new_node != old_node) {
            moves[1] = Some((pool_of(new_node, &self.nodes), accel));
        }
        match (from.is_allocated(), to.is_allocated()) {
            (false, true) => {
                job.allocated += r;
                queue.allocated += r;
                if job.progressing_since.is_some() {
                    self.progressing_alloc += r;
                    queue.progressing_accel += accel;
                }
            }
            (true, false) => {
                job.allocated -= r;
                queue.allocated -= r;
                if job.progressing_since.is_some() {
                    self.progressing_alloc -= r;
                    queue.progressing_accel -= accel;
                }
            }
            _ => {}
        }
        if accel != 0 {
            for (pool, d) in moves.into_iter().flatten() {
                add_pool_accel(&mut job.accel_by_pool, pool, d);
                if job.progressing_since.is_some() {
                    self.pool_progressing_accel[pool.idx()] += d;
                }
            }
        }
        match (from == TaskStatus::Pending, to == TaskStatus::Pending) {
            (true, false) => queue.pending -= r,
            (false, true) => queue.pending += r,
            _ => {}
        }
        queue.tallies.sub(&before);
        queue.tallies.add(&JobTallies::of(job));
    }

    /// Turns per-card tracking on: every node of a pool with a card spec gets its cards, and the
    /// sharing resources (`volcano.sh/gpu-memory`, `gpu-number`, `vgpu-number`) become allocatable
    /// on GPU nodes so the node-level fit test passes them on to the per-card test. Call before
    /// any job is added.
    pub fn enable_devices(&mut self) {
        if self.devices.on {
            return;
        }
        let (mem, num, vnum) = (
            scalar_slot("volcano.sh/gpu-memory").expect("slot"),
            scalar_slot("volcano.sh/gpu-number").expect("slot"),
            scalar_slot("volcano.sh/vgpu-number").expect("slot"),
        );
        self.devices.on = true;
        self.devices.specs = self.pools.iter().map(|p| p.cards.clone()).collect();
        let mut extra = vec![Resources::ZERO; self.pools.len()];
        for (p, pool) in self.pools.iter_mut().enumerate() {
            if let Some(spec) = pool.cards.as_ref().filter(|c| c.kind == super::devices::CardKind::Gpu) {
                let n = spec.count as i64;
                let e = Resources::ZERO
                    .with_scalar(mem, n * spec.memory_mib.max(0) * 1000)
                    .with_scalar(num, n * 1000)
                    .with_scalar(vnum, n * spec.max_shares as i64 * 1000);
                pool.allocatable += e;
                extra[p] = e;
            }
        }
        for (i, nd) in self.nodes.iter_mut().enumerate() {
            let e = extra[nd.pool.idx()];
            nd.allocatable += e;
            nd.idle += e;
            self.future_idle[i] = nd.future_idle();
            if nd.healthy {
                self.total += e;
                self.pool_healthy[nd.pool.idx()] += e;
            }
            let count = self.devices.specs[nd.pool.idx()].as_ref().map_or(0, |c| c.count as usize);
            self.devices.cards.push(vec![Default::default(); count]);
        }
    }

    /// Whether `t`'s card request fits node `n`'s cards (always true with tracking off or for a
    /// task that asks for no cards).
    #[inline]
    pub fn device_fits(&self, t: TaskId, n: NodeId) -> bool {
        if !self.devices.on {
            return true;
        }
        let req = &self.tasks[t.idx()].device;
        if req.is_none() {
            return true;
        }
        match &self.devices.specs[self.nodes[n.idx()].pool.idx()] {
            Some(spec) => super::devices::fits(&self.devices.cards[n.idx()], spec, req),
            None => false,
        }
    }

    /// The speed (per mille) at which job `j` would progress now: that of the slowest card model
    /// among its running pods that hold accelerators (1000 when none does or no pool declares a
    /// speed).
    pub fn job_speed(&self, j: JobId) -> u64 {
        if self.pools.iter().all(|p| p.cards.as_ref().is_none_or(|c| c.speed_milli.max(1) == 1000)) {
            // Every card runs at full speed: no need to look at the pods (a 4,096-pod gang).
            return 1000;
        }
        let job = &self.jobs[j.idx()];
        let mut speed = u64::MAX;
        for t in job.task_ids() {
            let task = &self.tasks[t.idx()];
            if task.status != TaskStatus::Running || task.request.accelerators() <= 0 {
                continue;
            }
            let Some(n) = task.node else { continue };
            if let Some(spec) = &self.pools[self.nodes[n.idx()].pool.idx()].cards {
                speed = speed.min(spec.speed_milli.max(1));
            }
        }
        if speed == u64::MAX { 1000 } else { speed }
    }

    /// Whether some task asks for a share of a card (not whole cards): fragmentation metrics
    /// only mean something then.
    pub fn shares_cards(&self) -> bool {
        self.devices.on && self.jobs.iter().any(|j| j.roles.iter().any(|r| r.device.shares()))
    }

    /// Moves a task's card holdings along with a status change: a task holds its cards while it
    /// occupies a node and is not terminating. Cards chosen by the scheduler (`task.cards` set
    /// before the move) are taken if they fit; otherwise the fullest fitting cards are.
    fn move_cards(&mut self, t: TaskId, from: TaskStatus, to: TaskStatus, old: Option<NodeId>, new: Option<NodeId>) {
        let task = &self.tasks[t.idx()];
        let req = task.device;
        if req.is_none() {
            return;
        }
        let held = |s: TaskStatus| s.on_node() && s != TaskStatus::Releasing;
        let (before, after) = (held(from), held(to));
        let same = old.is_some() && old == new;
        if before && !(after && same) {
            let n = old.expect("a held card has a node");
            let spec = self.devices.specs[self.nodes[n.idx()].pool.idx()].clone().expect("node has cards");
            let mask = task.cards;
            for (i, c) in self.devices.cards[n.idx()].iter_mut().enumerate() {
                if mask & (1 << i) != 0 {
                    c.give(&spec, &req);
                }
            }
        }
        if after && !(before && same) {
            let n = new.expect("a held card has a node");
            let pool = self.nodes[n.idx()].pool.idx();
            let cards = &self.devices.cards[n.idx()];
            let mask = match &self.devices.specs[pool] {
                Some(spec) => {
                    let preset = self.tasks[t.idx()].cards;
                    if preset != 0 && super::devices::mask_fits(cards, spec, &req, preset) {
                        Some(preset)
                    } else {
                        super::devices::pick(cards, spec, &req, CardPick::BestFit)
                    }
                }
                None => None,
            };
            match mask {
                Some(mask) => {
                    let spec = self.devices.specs[pool].clone().expect("checked");
                    for (i, c) in self.devices.cards[n.idx()].iter_mut().enumerate() {
                        if mask & (1 << i) != 0 {
                            c.take(&spec, &req);
                        }
                    }
                    self.tasks[t.idx()].cards = mask;
                }
                None => {
                    self.devices.misses += 1;
                    self.tasks[t.idx()].cards = 0;
                }
            }
        }
        if !to.on_node() {
            self.tasks[t.idx()].cards = 0;
        }
    }

    /// Checks the per-card accounting against the tasks: every card's holdings are the sum of its
    /// holders', and no card is over its compute, memory or share limits.
    fn check_cards(&self) -> Result<(), String> {
        if !self.devices.on {
            return Ok(());
        }
        if self.devices.misses > 0 {
            return Err(format!("{} placements found no cards that fit", self.devices.misses));
        }
        let mut recount: Vec<Vec<super::devices::CardState>> =
            self.devices.cards.iter().map(|c| vec![Default::default(); c.len()]).collect();
        for task in &self.tasks {
            if task.device.is_none() || !task.status.on_node() || task.status == TaskStatus::Releasing {
                continue;
            }
            let n = task.node.expect("on-node task has a node");
            let Some(spec) = &self.devices.specs[self.nodes[n.idx()].pool.idx()] else {
                return Err(format!("task {} holds cards on card-less node {}", task.id.0, self.nodes[n.idx()].name));
            };
            if task.cards.count_ones() != task.device.cards as u32 {
                return Err(format!(
                    "task {} holds {} cards, asks for {}",
                    task.id.0,
                    task.cards.count_ones(),
                    task.device.cards
                ));
            }
            for (i, c) in recount[n.idx()].iter_mut().enumerate() {
                if task.cards & (1 << i) != 0 {
                    c.take(spec, &task.device);
                }
            }
        }
        for (n, &mask) in self.devices.down.iter().enumerate() {
            let Some(spec) = &self.devices.specs[self.nodes[n].pool.idx()] else { continue };
            for (i, c) in recount[n].iter_mut().enumerate() {
                if mask & (1 << i) != 0 {
                    if *c != Default::default() {
                        return Err(format!("node {} card {i}: a pod holds a failed card", self.nodes[n].name));
                    }
                    *c = super::devices::CardState::failed(spec);
                }
            }
        }
        for (n, (cards, want)) in self.devices.cards.iter().zip(&recount).enumerate() {
            if cards != want {
                return Err(format!("node {}: card states differ from their holders", self.nodes[n].name));
            }
            let spec = &self.devices.specs[self.nodes[n].pool.idx()];
            for (i, c) in cards.iter().enumerate() {
                let cap = spec.as_ref().map_or(0, |s| s.memory_mib.max(0));
                if c.milli > super::devices::WHOLE || c.memory_mib > cap || c.milli < 0 {
                    return Err(format!("node {} card {i}: over-allocated ({c:?})", self.nodes[n].name));
                }
            }
        }
        Ok(())
    }

    /// Records that `j`'s tasks changed (once per session).
    #[inline]
    pub fn mark_changed(&mut self, j: JobId) {
        let job = &mut self.jobs[j.idx()];
        if !job.changed {
            job.changed = true;
            self.changed.push(j);
        }
    }

    /// Takes the changed-jobs list, in id order, clearing the marks.
    pub fn take_changed(&mut self) -> Vec<JobId> {
        let mut list = std::mem::take(&mut self.changed);
        for j in &list {
            self.jobs[j.idx()].changed = false;
        }
        list.sort_unstable();
        list
    }

    /// Sets a PodGroup's phase, keeping the queue tallies and the pending-phase set current.
    pub fn set_phase(&mut self, j: JobId, phase: PodGroupPhase) {
        let job = &mut self.jobs[j.idx()];
        if job.phase == phase {
            return;
        }
        if job.phase == PodGroupPhase::Pending {
            self.pending_phase.remove(&j);
        } else if phase == PodGroupPhase::Pending && job.state == JobState::Active {
            self.pending_phase.insert(j);
        }
        let job = &mut self.jobs[j.idx()];
        let queue = &mut self.queues[job.queue.idx()];
        queue.tallies.sub(&JobTallies::of(job));
        job.phase = phase;
        queue.tallies.add(&JobTallies::of(job));
    }

    /// Marks the job as making progress from `now`.
    pub fn start_progress(&mut self, j: JobId, now: SimTime) {
        let job = &mut self.jobs[j.idx()];
        if job.progressing_since.is_none() {
            job.progressing_since = Some(now);
            self.progressing_alloc += job.allocated;
            self.queues[job.queue.idx()].progressing_accel += job.allocated.accelerators();
            for &(p, a) in &job.accel_by_pool {
                self.pool_progressing_accel[p.idx()] += a;
            }
        }
    }

    /// Stops the job's progress at `now`, banking the work done.
    pub fn stop_progress(&mut self, j: JobId, now: SimTime) {
        let job = &mut self.jobs[j.idx()];
        if let Some(since) = job.progressing_since.take() {
            job.progress_ms += now.since(since).0 * job.speed_milli / 1000;
            self.progressing_alloc -= job.allocated;
            self.queues[job.queue.idx()].progressing_accel -= job.allocated.accelerators();
            for &(p, a) in &job.accel_by_pool {
                self.pool_progressing_accel[p.idx()] -= a;
            }
        }
    }

    /// Takes a node out of service (failed, drained, standby spare) or puts it back. An unhealthy
    /// node leaves the scheduler's view: its capacity leaves `total` and the free-card indexes; the
    /// pods still on it stay accounted on it until they are gone.
    pub fn set_node_health(&mut self, n: NodeId, healthy: bool) {
        let nd = &self.nodes[n.idx()];
        if nd.healthy == healthy {
            return;
        }
        let (pool, cards, alloc) = (nd.pool.idx(), free_cards(nd), nd.allocatable);
        if healthy {
            self.total += alloc;
            self.pool_healthy[pool] += alloc;
            self.free_cards[pool][cards] += 1;
        } else {
            self.total -= alloc;
            self.pool_healthy[pool] -= alloc;
            self.free_cards[pool][cards] -= 1;
        }
        self.card_bits.set(n.idx(), cards, healthy);
        self.nodes[n.idx()].healthy = healthy;
        self.node_epoch[n.idx()] = self.node_epoch[n.idx()].wrapping_add(1);
        self.release_epoch += 1;
    }

    /// The node capacity one card of `spec` stands for: one accelerator, plus on GPU nodes the
    /// sharing resources [`ClusterState::enable_devices`] made allocatable for it.
    pub fn card_capacity(spec: &super::devices::CardSpec) -> Resources {
        use super::devices::CardKind;
        use super::resources::{ASCEND310, ASCEND910, GPU};
        match spec.kind {
            CardKind::Gpu => Resources::ZERO
                .with_scalar(GPU, 1000)
                .with_scalar(scalar_slot("volcano.sh/gpu-memory").expect("slot"), spec.memory_mib.max(0) * 1000)
                .with_scalar(scalar_slot("volcano.sh/gpu-number").expect("slot"), 1000)
                .with_scalar(scalar_slot("volcano.sh/vgpu-number").expect("slot"), spec.max_shares as i64 * 1000),
            CardKind::Npu910 => Resources::ZERO.with_scalar(ASCEND910, 1000),
            CardKind::Npu310P => Resources::ZERO.with_scalar(ASCEND310, 1000),
        }
    }

    /// Takes card `card` of node `n` out of service (a card fault) or puts it back (its repair).
    /// A failed card is shown full in the per-card inventory, and its capacity leaves the node's
    /// allocatable (and, for a healthy node, the cluster totals), so nothing is placed on it. The
    /// caller frees the card's pods first. Needs card tracking; returns whether anything changed.
    pub fn set_card_health(&mut self, n: NodeId, card: u32, healthy: bool) -> bool {
        let pool = self.nodes[n.idx()].pool.idx();
        let Some(spec) = self.devices.specs.get(pool).cloned().flatten() else { return false };
        if !self.devices.on || card >= spec.count.min(64) {
            return false;
        }
        if self.devices.down.is_empty() {
            self.devices.down = vec![0; self.nodes.len()];
        }
        let bit = 1u64 << card;
        let is_down = self.devices.down[n.idx()] & bit != 0;
        if is_down != healthy {
            return false;
        }
        let nd = &self.nodes[n.idx()];
        if nd.healthy {
            self.free_cards[pool][free_cards(nd)] -= 1;
            self.card_bits.set(n.idx(), free_cards(nd), false);
        }
        let key = (n.0, card);
        let delta = if healthy {
            self.devices.down[n.idx()] &= !bit;
            self.devices.cards[n.idx()][card as usize] = Default::default();
            self.devices.withdrawn.remove(&key).unwrap_or_default()
        } else {
            debug_assert_eq!(self.devices.cards[n.idx()][card as usize], Default::default(), "card still held");
            self.devices.down[n.idx()] |= bit;
            self.devices.cards[n.idx()][card as usize] = super::devices::CardState::failed(&spec);
            // Only what is idle can leave (pods that ask for no card may use the node's share).
            let w = Self::card_capacity(&spec).min(self.nodes[n.idx()].idle.max(Resources::ZERO));
            self.devices.withdrawn.insert(key, w);
            w
        };
        let nd = &mut self.nodes[n.idx()];
        if healthy {
            nd.allocatable += delta;
            nd.idle += delta;
        } else {
            nd.allocatable -= delta;
            nd.idle -= delta;
        }
        let node_healthy = nd.healthy;
        self.future_idle[n.idx()] = nd.future_idle();
        self.node_epoch[n.idx()] = self.node_epoch[n.idx()].wrapping_add(1);
        if node_healthy {
            if healthy {
                self.total += delta;
                self.pool_healthy[pool] += delta;
            } else {
                self.total -= delta;
                self.pool_healthy[pool] -= delta;
            }
            let nd = &self.nodes[n.idx()];
            self.free_cards[pool][free_cards(nd)] += 1;
            self.card_bits.set(n.idx(), free_cards(nd), true);
        }
        self.release_epoch += 1;
        true
    }

    /// Accelerator units (milli) of healthy nodes.
    pub fn healthy_accelerators(&self) -> i64 {
        self.total.accelerators()
    }

    /// Checks every accounting invariant; returns the first violation. Tests call this after every
    /// cycle and event.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut healthy = vec![Resources::ZERO; self.pools.len()];
        for nd in self.nodes.iter().filter(|n| n.healthy) {
            healthy[nd.pool.idx()] += nd.allocatable;
        }
        if healthy != self.pool_healthy || healthy.iter().fold(Resources::ZERO, |a, b| a + *b) != self.total {
            return Err("healthy capacity per pool or in total drifted from the nodes".into());
        }
        let mut used = vec![Resources::ZERO; self.nodes.len()];
        let mut pipelined = vec![Resources::ZERO; self.nodes.len()];
        let mut pods = vec![0u32; self.nodes.len()];
        for job in &self.jobs {
            let mut counts = [0u32; TASK_STATUSES];
            let mut alloc = Resources::ZERO;
            for t in job.task_ids() {
                let task = &self.tasks[t.idx()];
                if task.job != job.id {
                    return Err(format!("task {} listed under job {} belongs to {}", t.0, job.name, task.job.0));
                }
                counts[task.status as usize] += 1;
                if task.status.is_allocated() {
                    alloc += task.request;
                }
                match (task.status.on_node(), task.node) {
                    (true, Some(n)) => {
                        pods[n.idx()] += 1;
                        if task.status == TaskStatus::Pipelined {
                            pipelined[n.idx()] += task.request;
                        } else {
                            used[n.idx()] += task.request;
                        }
                    }
                    (true, None) => return Err(format!("task {} is {} without a node", t.0, task.status.name())),
                    (false, Some(_)) => return Err(format!("task {} is {} on a node", t.0, task.status.name())),
                    (false, None) => {}
                }
            }
            if job.pods_created {
                if counts != job.counts {
                    return Err(format!("job {}: status counts {:?} != recount {:?}", job.name, job.counts, counts));
                }
                if counts.iter().sum::<u32>() != job.task_count {
                    return Err(format!("job {}: tasks not in exactly one state", job.name));
                }
            } else if job.counts.iter().any(|c| *c != 0) || alloc != Resources::ZERO {
                return Err(format!("job {} has counted tasks before its pods exist", job.name));
            }
            if alloc != job.allocated {
                return Err(format!("job {}: allocated drifted", job.name));
            }
        }
        for (i, node) in self.nodes.iter().enumerate() {
            node.check()?;
            if self.future_idle[i] != node.future_idle() {
                return Err(format!("{}: future-idle copy differs from the node", node.name));
            }
            if self.node_tasks[i].len() as u32 != pods[i]
                || self.node_tasks[i].iter().any(|t| self.tasks[t.idx()].node != Some(node.id))
            {
                return Err(format!("node {}: task list differs from its tasks", node.name));
            }
            if node.used != used[i] || node.pipelined != pipelined[i] || node.pods != pods[i] {
                return Err(format!("node {}: accounting differs from its tasks", node.name));
            }
        }
        for job in &self.jobs {
            let active = job.state == JobState::Active;
            if self.active.contains(&job.id) != active {
                return Err(format!("job {}: active set disagrees with its state", job.name));
            }
            if self.pending_phase.contains(&job.id) != (active && job.phase == PodGroupPhase::Pending) {
                return Err(format!("job {}: pending-phase set disagrees with its phase", job.name));
            }
            if self.with_pending_pods.contains(&job.id) != (active && job.count(TaskStatus::Pending) > 0) {
                return Err(format!("job {}: pending-pods set disagrees with its counts", job.name));
            }
        }
        let mut nqr = vec![Resources::ZERO; self.node_queue_running.len()];
        for t in &self.tasks {
            if let (TaskStatus::Bound | TaskStatus::Running, Some(n)) = (t.status, t.node) {
                nqr[n.idx() * self.queues.len() + self.jobs[t.job.idx()].queue.idx()] += t.request;
            }
        }
        if nqr != self.node_queue_running {
            return Err("per-node queue usage differs from the tasks".into());
        }
        let mut hist: Vec<Vec<u32>> = self.free_cards.iter().map(|h| vec![0; h.len()]).collect();
        for n in self.nodes.iter().filter(|n| n.healthy) {
            hist[n.pool.idx()][free_cards(n)] += 1;
        }
        if hist != self.free_cards {
            return Err("free-card histogram differs from the nodes".into());
        }
        let mut bits = CardBits(self.card_bits.0.iter().map(|b| vec![0; b.len()]).collect());
        for n in self.nodes.iter().filter(|n| n.healthy) {
            bits.set(n.id.idx(), free_cards(n), true);
        }
        if bits != self.card_bits {
            return Err("free-card bitsets differ from the nodes".into());
        }
        let mut q_alloc = vec![Resources::ZERO; self.queues.len()];
        for job in &self.jobs {
            q_alloc[job.queue.idx()] += job.allocated;
        }
        let mut tallies = vec![JobTallies::default(); self.queues.len()];
        for job in &self.jobs {
            tallies[job.queue.idx()].add(&JobTallies::of(job));
        }
        for ((q, a), t) in self.queues.iter().zip(q_alloc).zip(tallies) {
            if q.allocated != a {
                return Err(format!("queue {}: allocated drifted", q.name));
            }
            if q.tallies != t {
                return Err(format!("queue {}: job tallies drifted", q.name));
            }
        }
        let mut progressing = vec![0i64; self.queues.len()];
        let mut requested = vec![Resources::ZERO; self.queues.len()];
        for job in &self.jobs {
            if job.is_progressing() {
                progressing[job.queue.idx()] += job.allocated.accelerators();
            }
            if self.active.contains(&job.id) {
                requested[job.queue.idx()] +=
                    job.roles.iter().fold(Resources::ZERO, |a, r| a + r.request.times(r.replicas as i64));
            }
        }
        for ((q, p), r) in self.queues.iter().zip(progressing).zip(requested) {
            if q.progressing_accel != p || q.requested != r {
                return Err(format!("queue {}: goodput or demand tally drifted", q.name));
            }
        }
        let mut by_pool = vec![0i64; self.pools.len()];
        for task in &self.tasks {
            if task.status.is_allocated() && self.jobs[task.job.idx()].is_progressing() {
                by_pool[self.nodes[task.node.expect("allocated pods are on a node").idx()].pool.idx()] +=
                    task.request.accelerators();
            }
        }
        if by_pool != self.pool_progressing_accel {
            return Err(format!("pool goodput drifted: {:?} vs recount {by_pool:?}", self.pool_progressing_accel));
        }
        self.check_cards()?;
        let healthy_used: i64 = self.nodes.iter().filter(|n| n.healthy).map(|n| n.used.accelerators()).sum();
        if healthy_used > self.healthy_accelerators() {
            return Err("allocated accelerators exceed healthy accelerators".into());
        }
        Ok(())
    }
}

/// Adds `d` accelerator milli-units to `pool`'s entry of a job's per-pool tally, keeping it sorted
/// and free of zero entries.
fn add_pool_accel(tally: &mut Vec<(PoolId, i64)>, pool: PoolId, d: i64) {
    match tally.binary_search_by_key(&pool, |e| e.0) {
        Ok(i) => {
            tally[i].1 += d;
            if tally[i].1 == 0 {
                tally.remove(i);
            }
        }
        Err(i) => tally.insert(i, (pool, d)),
    }
}
