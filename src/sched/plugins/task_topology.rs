//! `task-topology` (`plugins/task-topology/{topology,manager,bucket,util}.go`; docs
//! `task-topology-plugin.md`): places the roles of a job together or apart, as its PodGroup
//! annotations ask.
//!
//! - `volcano.sh/task-topology-affinity: "ps,worker;chief"`: groups of roles that want to share
//!   nodes (a group of one role: its pods want to be together);
//! - `volcano.sh/task-topology-anti-affinity: "ps;worker,evaluator"`: roles that want to be
//!   apart (a group of one role: its pods spread);
//! - `volcano.sh/task-topology-task-order: "ps,worker"`: which role goes first.
//!
//! (In a native trace the `annotations` column separates annotations by `;`; a piece without
//! `=` continues the previous value, so `volcano.sh/task-topology-affinity=ps,worker;chief` keeps
//! its `;`. The column must be quoted because of the commas.)
//!
//! Every session, each job with pending pods and one of the annotations is packed into
//! *buckets*: pods already on a node form one bucket per node; each pending pod with a topology
//! (its role appears in an affinity or anti-affinity group) then joins the existing bucket it has
//! the most affinity with (`+count` per affine pod in the bucket, `−count` per anti-affine one;
//! ties go to the bucket with the smaller request score, cpu milli + memory MiB + scalar milli),
//! or a new bucket if the best affinity is negative or there is none. Pending pods are packed in
//! order of the role's user order, then its strongest relation (self anti-affinity > affinity >
//! self affinity > anti-affinity), then pod name.
//!
//! TaskOrder: pods in a bucket before pods outside one; within a job, bigger buckets (by pending
//! pods) first, then lower bucket index; within a bucket, user order then relation strength.
//! NodeOrder: `pods of the bucket bound to the node − anti-affine pods placed on the node this
//! session + pending pods of the bucket − pods that would not fit on the node`, times
//! `task-topology.weight` (default 1) × 100 / the largest bucket size; 0 if the pod itself does
//! not fit the node's idle + releasing resources.
//!
//! As in Volcano: the plugin keeps no undo (a placement discarded later still counts for the rest
//! of the session), and an annotation naming a role the job does not have, or naming one twice in
//! a group, disables the plugin for that job. (Older Volcano releases compared names with the
//! second-to-last `-` part of the pod name, which broke role names containing `-`; tephra follows
//! the current source, which uses the role.)
//! Volcano removes pods that would not fit in random (map) order; tephra removes them in pod id
//! order.

use crate::model::{ClusterState, Job, JobId, Node, NodeId, Resources, SimTime, Task, TaskId};
use crate::sched::conf::{Arguments, Hook};
use crate::sched::plugin::Plugin;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// PodGroup annotation: affinity groups.
pub const AFFINITY: &str = "volcano.sh/task-topology-affinity";
/// PodGroup annotation: anti-affinity groups.
pub const ANTI_AFFINITY: &str = "volcano.sh/task-topology-anti-affinity";
/// PodGroup annotation: role order.
pub const TASK_ORDER: &str = "volcano.sh/task-topology-task-order";

// Relation strengths (`affinityPriority`): the larger, the earlier a role's pods are packed.
const SELF_ANTI: i32 = 4;
const INTER_AFF: i32 = 3;
const SELF_AFF: i32 = 2;
const INTER_ANTI: i32 = 1;

/// A group of a job's pods meant to land together.
#[derive(Debug)]
struct Bucket {
    index: usize,
    /// Pending pods of the bucket.
    tasks: BTreeSet<TaskId>,
    /// Per role: pods of the bucket (pending and bound).
    role_count: Vec<u32>,
    /// cpu milli + memory MiB + scalar milli of the pending pods.
    req_score: f64,
    /// Requests of the pending pods.
    request: Resources,
    /// Pods of the bucket already on a node.
    bound: u32,
    /// Per node: pods of the bucket on it.
    node: BTreeMap<NodeId, i64>,
}

fn req_score(r: &Resources) -> f64 {
    r.cpu as f64 + r.memory as f64 / 1024.0 / 1024.0 + r.scalars.iter().map(|v| *v as f64).sum::<f64>()
}

/// A job's topology and buckets for one session (`JobManager`).
#[derive(Debug)]
struct JobManager {
    first_task: u32,
    /// Per role: strongest relation (0: the role has no topology, its pods stay out of buckets).
    priority: Vec<i32>,
    /// Per role: user order (`length − position` in the task-order annotation, 0 if absent).
    order: Vec<i32>,
    self_aff: Vec<bool>,
    self_anti: Vec<bool>,
    inter_aff: Vec<Vec<bool>>,
    inter_anti: Vec<Vec<bool>>,
    /// Per task of the job: its bucket.
    bucket_of: Vec<Option<usize>>,
    buckets: Vec<Bucket>,
    bucket_max: u32,
    /// Per node: pods of the job placed on it this session, per role.
    node_roles: BTreeMap<NodeId, Vec<u32>>,
}

/// Splits `a,b;c` into groups, checking names as Volcano's `affinityCheck` does: every non-empty
/// name is a role of the job (`TaskRole`), and no name repeats within a group.
fn split_groups(job: &Job, text: &str, outer: char) -> Result<Vec<Vec<String>>, String> {
    let groups: Vec<Vec<String>> = if outer == ';' {
        text.split(';').map(|g| g.split(',').map(str::to_string).collect()).collect()
    } else {
        vec![text.split(',').map(str::to_string).collect()]
    };
    let known: BTreeSet<&str> = job.roles.iter().map(|r| r.name.as_str()).collect();
    for g in &groups {
        let mut seen = BTreeSet::new();
        for name in g.iter().filter(|n| !n.is_empty()) {
            if !known.contains(name.as_str()) {
                return Err(format!("task {name} does not exist in job {}", job.name));
            }
            if !seen.insert(name.as_str()) {
                return Err(format!("task {name} is duplicated in job {}", job.name));
            }
        }
    }
    Ok(groups)
}

impl JobManager {
    /// `readTopologyFromPgAnnotations` + `ApplyTaskTopology`; `None` when the job has no (valid)
    /// topology.
    fn from_annotations(job: &Job) -> Option<JobManager> {
        let (aff, anti, order) = (job.annotation(AFFINITY), job.annotation(ANTI_AFFINITY), job.annotation(TASK_ORDER));
        if aff.is_none() && anti.is_none() && order.is_none() {
            return None;
        }
        let aff = aff.map(|t| split_groups(job, t, ';')).transpose().ok()?.unwrap_or_default();
        let anti = anti.map(|t| split_groups(job, t, ';')).transpose().ok()?.unwrap_or_default();
        let order = order.map(|t| split_groups(job, t, ',')).transpose().ok()?.unwrap_or_default();

        let mut prio: BTreeMap<String, i32> = BTreeMap::new();
        let mark = |name: &str, p: i32, prio: &mut BTreeMap<String, i32>| {
            let e = prio.entry(name.to_string()).or_insert(0);
            *e = (*e).max(p);
        };
        let mut self_aff = BTreeSet::new();
        let mut self_anti = BTreeSet::new();
        let mut inter_aff: BTreeSet<(String, String)> = BTreeSet::new();
        let mut inter_anti: BTreeSet<(String, String)> = BTreeSet::new();
        for (groups, self_set, inter, self_p, inter_p) in [
            (&aff, &mut self_aff, &mut inter_aff, SELF_AFF, INTER_AFF),
            (&anti, &mut self_anti, &mut inter_anti, SELF_ANTI, INTER_ANTI),
        ] {
            for g in groups {
                if g.len() == 1 {
                    self_set.insert(g[0].clone());
                    mark(&g[0], self_p, &mut prio);
                    continue;
                }
                for (i, src) in g.iter().enumerate() {
                    for dst in &g[..i] {
                        inter.insert((src.clone(), dst.clone()));
                        inter.insert((dst.clone(), src.clone()));
                    }
                    mark(src, inter_p, &mut prio);
                }
            }
        }
        let mut user_order: BTreeMap<&str, i32> = BTreeMap::new();
        if let Some(list) = order.first() {
            for (i, name) in list.iter().enumerate() {
                user_order.insert(name, (list.len() - i) as i32);
            }
        }
        let names: Vec<&str> = job.roles.iter().map(|r| r.name.as_str()).collect();
        let n = names.len();
        let pair = |set: &BTreeSet<(String, String)>, a: &str, b: &str| set.contains(&(a.to_string(), b.to_string()));
        Some(JobManager {
            first_task: job.first_task,
            priority: names.iter().map(|r| prio.get(*r).copied().unwrap_or(0)).collect(),
            order: names.iter().map(|r| user_order.get(r).copied().unwrap_or(0)).collect(),
            self_aff: names.iter().map(|r| self_aff.contains(*r)).collect(),
            self_anti: names.iter().map(|r| self_anti.contains(*r)).collect(),
            inter_aff: (0..n).map(|a| (0..n).map(|b| pair(&inter_aff, names[a], names[b])).collect()).collect(),
            inter_anti: (0..n).map(|a| (0..n).map(|b| pair(&inter_anti, names[a], names[b])).collect()).collect(),
            bucket_of: vec![None; job.task_count as usize],
            buckets: Vec::new(),
            bucket_max: 0,
            node_roles: BTreeMap::new(),
        })
    }

    fn bucket(&self, t: TaskId) -> Option<&Bucket> {
        self.bucket_of[(t.0 - self.first_task) as usize].map(|b| &self.buckets[b])
    }

    /// `taskAffinityOrder`: `Greater` when `a`'s role goes first.
    fn affinity_order(&self, ra: usize, rb: usize) -> Ordering {
        if ra == rb {
            return Ordering::Equal;
        }
        self.order[ra].cmp(&self.order[rb]).then(self.priority[ra].cmp(&self.priority[rb]))
    }

    /// `checkTaskSetAffinity`: affinity of a pod of `role` towards pods counted per role.
    fn set_affinity(&self, role: usize, counts: &[u32], only_anti: bool) -> i64 {
        let mut aff = 0i64;
        for (other, &count) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            let same = other == role;
            if !only_anti && (if same { self.self_aff[role] } else { self.inter_aff[role][other] }) {
                aff += count as i64;
            }
            if if same { self.self_anti[role] } else { self.inter_anti[role][other] } {
                aff -= count as i64;
            }
        }
        aff
    }

    /// `ConstructBucket`: packs the job's pods with a topology into buckets.
    fn construct(&mut self, st: &ClusterState, job: &Job) {
        let roles = job.roles.len();
        // Pending pods and pods on a node (a job with pending pods has no finished ones).
        let mut members: Vec<TaskId> = job
            .task_ids()
            .filter(|t| {
                let task = &st.tasks[t.idx()];
                self.priority[task.role as usize] > 0
                    && (task.node.is_some() || task.status == crate::model::TaskStatus::Pending)
            })
            .collect();
        let pod_name = |t: TaskId| {
            let task = &st.tasks[t.idx()];
            format!("{}-{}-{}", job.name, job.roles[task.role as usize].name, task.index)
        };
        members.sort_by(|&a, &b| {
            let (ta, tb) = (&st.tasks[a.idx()], &st.tasks[b.idx()]);
            match (ta.node, tb.node) {
                (Some(na), Some(nb)) => st.nodes[na.idx()].name.cmp(&st.nodes[nb.idx()].name),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => self
                    .affinity_order(ta.role as usize, tb.role as usize)
                    .reverse()
                    .then_with(|| pod_name(a).cmp(&pod_name(b))),
            }
        });
        let mut node_bucket: BTreeMap<NodeId, usize> = BTreeMap::new();
        for t in members {
            let task = &st.tasks[t.idx()];
            let role = task.role as usize;
            let mut selected: Option<usize> = None;
            let mut max_aff = i64::from(i32::MIN);
            if let Some(n) = task.node {
                max_aff = 0;
                selected = node_bucket.get(&n).copied();
            } else {
                for b in &self.buckets {
                    let aff = self.set_affinity(role, &b.role_count, false);
                    if aff > max_aff {
                        max_aff = aff;
                        selected = Some(b.index);
                    } else if aff == max_aff && selected.is_some_and(|s| b.req_score < self.buckets[s].req_score) {
                        selected = Some(b.index);
                    }
                }
            }
            let b = match selected {
                Some(b) if max_aff >= 0 => b,
                _ => {
                    let index = self.buckets.len();
                    self.buckets.push(Bucket {
                        index,
                        tasks: BTreeSet::new(),
                        role_count: vec![0; roles],
                        req_score: 0.0,
                        request: Resources::ZERO,
                        bound: 0,
                        node: BTreeMap::new(),
                    });
                    if let Some(n) = task.node {
                        node_bucket.insert(n, index);
                    }
                    index
                }
            };
            self.bucket_of[(t.0 - self.first_task) as usize] = Some(b);
            let bucket = &mut self.buckets[b];
            bucket.role_count[role] += 1;
            if let Some(n) = task.node {
                *bucket.node.entry(n).or_insert(0) += 1;
                bucket.bound += 1;
            } else {
                bucket.tasks.insert(t);
                bucket.request += task.request;
                bucket.req_score += req_score(&task.request);
            }
            self.bucket_max = self.bucket_max.max(bucket.tasks.len() as u32 + bucket.bound);
        }
    }

    /// `TaskBound`: the pod was placed on `node` in this session.
    fn task_bound(&mut self, task: &Task, node: NodeId, roles: usize) {
        let counts = self.node_roles.entry(node).or_insert_with(|| vec![0; roles]);
        counts[task.role as usize] += 1;
        if let Some(b) = self.bucket_of[(task.id.0 - self.first_task) as usize] {
            let bucket = &mut self.buckets[b];
            *bucket.node.entry(node).or_insert(0) += 1;
            bucket.bound += 1;
            // As in Volcano, the request is subtracted even for a pod that was not pending (an
            // eviction undone fires this event for a running pod).
            bucket.tasks.remove(&task.id);
            bucket.request -= task.request;
            bucket.req_score -= req_score(&task.request);
        }
    }
}

/// The task-topology plugin.
#[derive(Debug)]
pub struct TaskTopology {
    weight: i64,
    managers: BTreeMap<JobId, JobManager>,
}

impl TaskTopology {
    /// Reads `task-topology.weight` (default 1).
    pub fn new(args: &Arguments) -> Result<TaskTopology, String> {
        args.check_known("task-topology", &["task-topology.weight"], &[])?;
        Ok(TaskTopology { weight: args.int("task-topology.weight", 1)?, managers: BTreeMap::new() })
    }

    /// `calcBucketScore`: the raw score and whether the job has a manager.
    fn bucket_score(&self, st: &ClusterState, task: &Task, node: &Node) -> (i64, Option<&JobManager>) {
        let max = node.idle + node.releasing;
        if !task.request.le_on_own_dims(&max) {
            return (0, None);
        }
        let Some(m) = self.managers.get(&task.job) else { return (0, None) };
        let Some(bucket) = m.bucket(task.id) else { return (0, Some(m)) };
        let mut score = bucket.node.get(&node.id).copied().unwrap_or(0);
        if let Some(counts) = m.node_roles.get(&node.id) {
            let aff = m.set_affinity(task.role as usize, counts, true);
            if aff < 0 {
                score += aff;
            }
        }
        score += bucket.tasks.len() as i64;
        if bucket.request.le(&max) {
            return (score, Some(m));
        }
        let mut remains = bucket.request;
        for &other in bucket.tasks.iter().filter(|t| **t != task.id) {
            remains -= st.tasks[other.idx()].request;
            score -= 1;
            if remains.le(&max) {
                break;
            }
        }
        (score, Some(m))
    }
}

impl Plugin for TaskTopology {
    fn name(&self) -> &'static str {
        "task-topology"
    }
    fn hooks(&self) -> &'static [Hook] {
        &[Hook::TaskOrder, Hook::NodeOrder]
    }
    fn on_session_open(&mut self, st: &ClusterState, _now: SimTime) {
        self.managers.clear();
        for &j in &st.with_pending_pods {
            let job = &st.jobs[j.idx()];
            if !job.pods_created || job.count(crate::model::TaskStatus::Pending) == 0 {
                continue;
            }
            if let Some(mut m) = JobManager::from_annotations(job) {
                m.construct(st, job);
                self.managers.insert(j, m);
            }
        }
    }
    fn on_session_close(&mut self, _st: &mut ClusterState, _changed: &[JobId]) {
        self.managers.clear();
    }
    fn task_order(&self, _st: &ClusterState, a: &Task, b: &Task) -> Ordering {
        if self.managers.is_empty() {
            return Ordering::Equal;
        }
        let (Some(ma), Some(mb)) = (self.managers.get(&a.job), self.managers.get(&b.job)) else {
            return Ordering::Equal;
        };
        let (ba, bb) = (ma.bucket(a.id), mb.bucket(b.id));
        match (ba, bb) {
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            _ if a.job != b.job => Ordering::Equal,
            (None, None) => Ordering::Equal,
            (Some(ba), Some(bb)) => bb.tasks.len().cmp(&ba.tasks.len()).then_with(|| {
                if ba.index == bb.index {
                    ma.affinity_order(a.role as usize, b.role as usize).reverse()
                } else {
                    ba.index.cmp(&bb.index)
                }
            }),
        }
    }
    fn node_order(&self, st: &ClusterState, task: &Task, node: &Node) -> f64 {
        let (score, m) = self.bucket_score(st, task, node);
        let mut f = (score * self.weight) as f64;
        if let Some(m) = m.filter(|m| m.bucket_max != 0) {
            f = f * 100.0 / m.bucket_max as f64;
        }
        f
    }
    fn on_allocate(&mut self, st: &ClusterState, task: TaskId) {
        let t = &st.tasks[task.idx()];
        let Some(node) = t.node else { return };
        let roles = st.jobs[t.job.idx()].roles.len();
        if let Some(m) = self.managers.get_mut(&t.job) {
            m.task_bound(t, node, roles);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{JobSpec, Pool, Queue, QueueId, TaskStatus};

    /// Two 8-cpu nodes; job `j` with `worker` × 3 (2 cpu each) and the given annotations.
    fn cluster(annotations: &[(&str, &str)]) -> ClusterState {
        cluster_with_role("worker", annotations)
    }

    fn cluster_with_role(role: &str, annotations: &[(&str, &str)]) -> ClusterState {
        let pool = Pool::plain("n", Resources::new(8000, 1 << 35), 110);
        let mut st = ClusterState::new(vec![(pool, 2)], vec![Queue::new(QueueId(0), "q")]);
        let spec = JobSpec {
            annotations: annotations.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..JobSpec::one_role("j", "q", role, 3, 1, Resources::new(2000, 1 << 30))
        };
        let j = st.add_job(spec, QueueId(0), vec![1]);
        st.create_pods(j);
        st
    }

    #[test]
    fn a_bound_pod_anchors_its_bucket_to_its_node() {
        let mut st = cluster(&[(AFFINITY, "worker")]);
        st.transition(TaskId(0), TaskStatus::Running, Some(NodeId(1)));
        let mut p = TaskTopology::new(&Arguments::default()).unwrap();
        p.on_session_open(&st, SimTime(0));
        let m = &p.managers[&JobId(0)];
        // Self affinity: both pending workers join the running one's bucket (1 bound + 2 pending).
        assert_eq!(m.buckets.len(), 1);
        assert_eq!(m.bucket_max, 3);
        let t1 = st.tasks[1].clone();
        // node 1: 1 bound + 2 pending = 3 → 100; node 0: 2 → 66.7.
        assert_eq!(p.node_order(&st, &t1, &st.nodes[1]), 100.0);
        assert!((p.node_order(&st, &t1, &st.nodes[0]) - 200.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn invalid_annotations_disable_the_job() {
        let st = cluster(&[(AFFINITY, "worker,ps")]);
        assert!(JobManager::from_annotations(&st.jobs[0]).is_none(), "ps is not a role");
        let st = cluster(&[(ANTI_AFFINITY, "worker,worker")]);
        assert!(JobManager::from_annotations(&st.jobs[0]).is_none(), "duplicate in a group");
        let st = cluster(&[(TASK_ORDER, "worker")]);
        let m = JobManager::from_annotations(&st.jobs[0]).unwrap();
        assert_eq!((m.priority[0], m.order[0]), (0, 1), "task order alone gives no bucket");
        let st = cluster_with_role("param-server", &[(AFFINITY, "param-server")]);
        assert_eq!(JobManager::from_annotations(&st.jobs[0]).unwrap().priority[0], SELF_AFF);
    }

    #[test]
    fn a_pod_that_cannot_bring_its_bucket_along_loses_a_point_per_pod_left_behind() {
        let st = cluster(&[(AFFINITY, "worker")]);
        let mut p = TaskTopology::new(&Arguments::default()).unwrap();
        p.on_session_open(&st, SimTime(0));
        // A node with 3 cpu idle: the pod fits, the 6-cpu bucket does not; dropping one other
        // pod (2 cpu) leaves 4 cpu, dropping both leaves 2: score 3 − 2 = 1 → 100 / 3.
        let mut small = st.nodes[0].clone();
        small.idle = Resources::new(3000, 1 << 35);
        let t0 = st.tasks[0].clone();
        assert!((p.node_order(&st, &t0, &small) - 100.0 / 3.0).abs() < 1e-9);
    }
}
