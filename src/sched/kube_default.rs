//! `kube-default`: what the stock Kubernetes scheduler does with the same jobs, as a baseline.
//!
//! Pods exist from submission (no PodGroup admission), are taken one at a time in the scheduling
//! queue's order — higher priority first, then earlier creation; pods created in the same
//! millisecond go replica index first, then job, which is the interleaving concurrent job
//! controllers produce — filtered by fit (request within the node's idle resources, pod limit,
//! node selector) and scored by LeastAllocated + BalancedAllocation (weight 1 each). There is no
//! gang, no queue and no quota: a gang that gets only some of its pods holds them, making no
//! progress, until the rest fit.

use super::Scheduler;
use super::decisions::Decisions;
use super::node_scan::{NodeScan, ScanState};
use super::plugins::nodeorder::{balanced_allocation, least_allocated};
use crate::model::{ClusterState, NodeId, Resources, SimTime, TaskId, TaskStatus};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The kube-scheduler baseline.
pub struct KubeDefault {
    scan: ScanState,
    rng: ChaCha8Rng,
    /// Pod shapes (request, pool mask) that found no node at `failed_epoch`.
    failed: Vec<(Resources, u64)>,
    failed_epoch: u64,
}

impl KubeDefault {
    /// A baseline scheduler with tie-break stream `seed`.
    pub fn new(scan: NodeScan, seed: u64) -> KubeDefault {
        KubeDefault {
            scan: ScanState::new(scan),
            rng: ChaCha8Rng::seed_from_u64(seed),
            failed: Vec::new(),
            failed_epoch: u64::MAX,
        }
    }
}

impl Scheduler for KubeDefault {
    fn name(&self) -> &str {
        "kube-default"
    }

    fn pods_on_submit(&self) -> bool {
        true
    }

    fn cycle(&mut self, state: &mut ClusterState, _now: SimTime) -> Decisions {
        let mut decisions = Decisions::default();
        let mut pods: Vec<TaskId> = Vec::new();
        for j in &state.with_pending_pods {
            let job = &state.jobs[j.idx()];
            if job.pods_created && job.count(TaskStatus::Pending) > 0 {
                pods.extend(job.task_ids().filter(|t| state.tasks[t.idx()].status == TaskStatus::Pending));
            }
        }
        pods.sort_by(|a, b| {
            let (ta, tb) = (&state.tasks[a.idx()], &state.tasks[b.idx()]);
            let (ja, jb) = (&state.jobs[ta.job.idx()], &state.jobs[tb.job.idx()]);
            jb.priority
                .cmp(&ja.priority)
                .then(ja.submit.cmp(&jb.submit))
                .then(ta.index.cmp(&tb.index))
                .then(ta.job.cmp(&tb.job))
                .then(a.cmp(b))
        });
        if self.failed_epoch != state.release_epoch {
            self.failed.clear();
            self.failed_epoch = state.release_epoch;
        }
        for t in pods {
            let task = &state.tasks[t.idx()];
            let req = task.request;
            let mask = state.jobs[task.job.idx()].role_pools[task.role as usize];
            if self.failed.iter().any(|(r, m)| *r == req && *m == mask) {
                continue;
            }
            let nodes = &state.nodes;
            let feasible = self.scan.scan(nodes.len(), |i| {
                let n = &nodes[i];
                n.healthy
                    && mask & (1u64 << n.pool.0) != 0
                    && n.pods < n.max_pods
                    && req.le_on_own_dims(&n.idle)
                    && state.device_fits(t, n.id)
            });
            if feasible.is_empty() {
                self.failed.push((req, mask));
                continue;
            }
            let scores: Vec<f64> = feasible
                .iter()
                .map(|n| {
                    let node = &nodes[n.idx()];
                    (least_allocated(&req, &node.used, &node.allocatable)
                        + balanced_allocation(&req, &node.used, &node.allocatable)) as f64
                })
                .collect();
            let best: NodeId = feasible[self.scan.pick_best(&feasible, &scores, &mut self.rng)];
            state.transition(t, TaskStatus::Binding, Some(best));
            decisions.binds.push((t, best));
        }
        // No gang: a failed shape can become feasible only through a release, never within this
        // cycle, so the epoch check above is exact.
        decisions
    }
}
