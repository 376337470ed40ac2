//! `tdm` (`plugins/tdm/tdm.go`; design `tdm-plugin.md`), time-division multiplexing: nodes of a
//! revocable zone (node label `volcano.sh/revocable-zone`, set here through the pool's labels) are
//! lent to preemptable work during the zone's daily window (`tdm.revocable-zone.<rz>:
//! "HH:MM-HH:MM"`) and taken back outside it.
//!
//! - Predicate: a revocable node takes pods only while its zone is open, and only pods that may use
//!   revocable zones (`volcano.sh/revocable-zone: "*"`, or `volcano.sh/preemptable: true`).
//! - NodeOrder: +100 for such a pod on an open revocable node.
//! - VictimTasks (for `shuffle`): while a zone is closed, its Running preemptable pods are evicted,
//!   at most the job's disruption budget per job (`volcano.sh/jdb-max-unavailable`, else
//!   `volcano.sh/jdb-min-available`, else one pod), once every `tdm.evict.period` (1m).
//! - Preemptable: preemptable (or revocable-zone) preemptors may preempt nothing (the tier yields no
//!   victims); others may take preemptable Running pods on non-revocable nodes, within each victim
//!   job's budget.
//! - JobOrder: non-preemptable jobs first; JobPipelined: ready + waiting tasks reach minAvailable;
//!   JobStarving: a non-preemptable job with pending pods.
//!
//! Volcano's readings kept on purpose: a pod is preemptable unless annotated otherwise, a PodGroup
//! is not; a window whose end is not after its start runs from its start to midnight only (the end
//! is placed on the next day, but "now" is always compared with today's start); a
//! `jdb-min-available` the job already runs below allows one eviction, not zero.
//!
//! Time: the window is read from the wall clock (`run.start` plus simulated time). Volcano's
//! eviction check runs in the first cycle at least a period after the previous one, starting with
//! the scheduler's first cycle at t = 0, so evictions happen on multiples of the period rounded up
//! to the cycle period. The plugin asks for a cycle at the first such round at which a zone is
//! closed and holds pods it may evict, and at a window's opening when pending pods may use the
//! zone (see [`Plugin::wake_up`] below for why a run still drains).

use crate::model::clock::{DAY_S, parse_time_of_day};
use crate::model::time::parse_duration;
use crate::model::{ClusterState, DurationMs, Job, JobId, Node, SimTime, Task, TaskId, TaskStatus};
use crate::sched::conf::{Arguments, Hook};
use crate::sched::plugin::{FitReason, Plugin, Vote};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Node label naming a node's revocable zone.
pub const REVOCABLE_ZONE: &str = "volcano.sh/revocable-zone";
/// Disruption budget: pods of the job that must keep running.
pub const JDB_MIN_AVAILABLE: &str = "volcano.sh/jdb-min-available";
/// Disruption budget: pods of the job that may be unavailable.
pub const JDB_MAX_UNAVAILABLE: &str = "volcano.sh/jdb-max-unavailable";
const ZONE_PREFIX: &str = "tdm.revocable-zone.";
const EVICT_PERIOD: &str = "tdm.evict.period";

/// A zone's daily window, in seconds after midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    start: u64,
    end: u64,
}

impl Window {
    fn parse(text: &str) -> Option<Window> {
        let (a, b) = text.trim().split_once('-')?;
        let start = parse_time_of_day(a).filter(|s| s % 60 == 0)?;
        let end = parse_time_of_day(b).filter(|s| s % 60 == 0)?;
        Some(Window { start, end })
    }

    /// `availableRevocableZone`: today's start ≤ now ≤ end, the end moved to tomorrow when it is not
    /// after the start (whole seconds, both ends included).
    fn open_at(&self, tod: u64) -> bool {
        if self.start < self.end { self.start <= tod && tod <= self.end } else { self.start <= tod }
    }

    /// Seconds from `tod` until the window is closed (0: closed now; `None`: it never closes).
    fn closes_in(&self, tod: u64) -> Option<u64> {
        if !self.open_at(tod) {
            Some(0)
        } else if self.start < self.end {
            Some(self.end + 1 - tod)
        } else if self.start == 0 {
            None
        } else {
            Some(DAY_S - tod)
        }
    }

    /// Seconds from `tod` (a closed moment) until the window opens.
    fn opens_in(&self, tod: u64) -> u64 {
        (self.start + DAY_S - tod) % DAY_S
    }
}

/// The tdm plugin.
#[derive(Debug)]
pub struct Tdm {
    zones: BTreeMap<String, Window>,
    evict_period: DurationMs,
    now: SimTime,
    /// Per zone: the release epoch at the close of the last session in which the zone was open and
    /// pods that could use it stayed pending. Until something is released, the next opening will
    /// not place them either, so the plugin does not ask for a cycle then (a run must drain).
    tried: BTreeMap<String, u64>,
}

impl Tdm {
    /// Reads the zone windows and the eviction period.
    pub fn new(args: &Arguments) -> Result<Tdm, String> {
        args.check_known("tdm", &[EVICT_PERIOD], &[ZONE_PREFIX])?;
        let mut zones = BTreeMap::new();
        for (key, value) in &args.0 {
            let Some(zone) = key.strip_prefix(ZONE_PREFIX) else { continue };
            let text = value.to_string();
            let w = Window::parse(&text)
                .ok_or_else(|| format!("plugin `tdm`: argument `{key}`: `{text}` is not a window HH:MM-HH:MM"))?;
            zones.insert(zone.to_string(), w);
        }
        let evict_period = match args.str(EVICT_PERIOD) {
            None => DurationMs(60_000),
            Some(s) => parse_duration(&s).map_err(|e| format!("plugin `tdm`: argument `{EVICT_PERIOD}`: {e}"))?,
        };
        if evict_period.0 == 0 {
            return Err(format!("plugin `tdm`: argument `{EVICT_PERIOD}` must be positive"));
        }
        Ok(Tdm { zones, evict_period, now: SimTime::ZERO, tried: BTreeMap::new() })
    }

    /// The node's revocable zone, if it has one.
    fn node_zone<'a>(st: &'a ClusterState, node: &Node) -> Option<&'a str> {
        st.pools[node.pool.idx()].labels.get(REVOCABLE_ZONE).map(String::as_str).filter(|z| !z.is_empty())
    }

    fn zone_open(&self, st: &ClusterState, zone: &str) -> bool {
        let tod = st.clock.time_of_day_s(self.now);
        self.zones.get(zone).is_some_and(|w| w.open_at(tod))
    }

    /// The pod's `RevocableZone` is `*` (`GetPodRevocableZone`).
    fn may_use_revocable(job: &Job) -> bool {
        match job.annotation(REVOCABLE_ZONE) {
            Some(v) => v == "*",
            None => job
                .annotation(crate::model::annotations::PREEMPTABLE)
                .and_then(crate::model::annotations::parse_bool)
                .unwrap_or(false),
        }
    }

    /// Preemptable or revocable-zone preemptors may not preempt.
    fn barred_preemptor(st: &ClusterState, t: &Task) -> bool {
        let job = &st.jobs[t.job.idx()];
        job.pods_preemptable() || Self::may_use_revocable(job)
    }

    /// The eviction grid: Volcano's period rounded up to whole cycles.
    fn grid(&self, st: &ClusterState) -> u64 {
        let p = st.clock.cycle_period.0.max(1);
        self.evict_period.0.div_ceil(p) * p
    }

    /// Each job's candidates cut to its budget (`maxVictims`), in the order given.
    fn within_budget(st: &ClusterState, tasks: impl Iterator<Item = TaskId>) -> Vec<TaskId> {
        let mut per_job: BTreeMap<JobId, Vec<TaskId>> = BTreeMap::new();
        for t in tasks {
            per_job.entry(st.tasks[t.idx()].job).or_default().push(t);
        }
        let mut out = Vec::new();
        for (j, list) in per_job {
            let n = max_evictions(&st.jobs[j.idx()]).min(list.len());
            out.extend_from_slice(&list[..n]);
        }
        out
    }

    /// Whether a pending pod of a job that may use revocable zones would fit an empty node of `zone`
    /// (so that waking the scheduler when the zone opens can change something).
    fn waiting_for(&self, st: &ClusterState, zone: &str) -> bool {
        let pools: Vec<usize> = (0..st.pools.len())
            .filter(|p| st.pools[*p].labels.get(REVOCABLE_ZONE).is_some_and(|z| z == zone))
            .collect();
        if pools.is_empty() {
            return false;
        }
        st.with_pending_pods.iter().any(|j| {
            let job = &st.jobs[j.idx()];
            Self::may_use_revocable(job)
                && job.task_ids().any(|t| {
                    let task = &st.tasks[t.idx()];
                    task.status == TaskStatus::Pending
                        && pools.iter().any(|p| {
                            job.role_pools[task.role as usize] & (1u64 << p) != 0
                                && task.request.le_on_own_dims(&st.pools[*p].allocatable)
                        })
                })
        })
    }

    /// Running preemptable pods on the nodes of `zone`, in task id order.
    fn zone_pods(st: &ClusterState, zone: &str) -> Vec<TaskId> {
        let mut v: Vec<TaskId> = st
            .nodes
            .iter()
            .filter(|n| n.healthy && Self::node_zone(st, n) == Some(zone))
            .flat_map(|n| st.node_tasks[n.id.idx()].iter().copied())
            .filter(|t| {
                let task = &st.tasks[t.idx()];
                task.status == TaskStatus::Running && st.jobs[task.job.idx()].pods_preemptable()
            })
            .collect();
        v.sort_unstable();
        v
    }
}

/// `getMaxPodEvictNum`: how many more of the job's pods may be evicted. The budget is the
/// PodGroup's `jdb-min-available` if it has one (`extractBudget` ignores `jdb-max-unavailable`
/// then), else its `jdb-max-unavailable`; none (or an empty value) allows one pod per round.
pub fn max_evictions(job: &Job) -> usize {
    let running = job.count(TaskStatus::Running) as i64;
    let total = job.task_count as i64;
    let (min_available, max_unavailable) = match job.annotation(JDB_MIN_AVAILABLE) {
        Some(v) => (v, ""),
        None => ("", job.annotation(JDB_MAX_UNAVAILABLE).unwrap_or("")),
    };
    if !max_unavailable.is_empty() {
        let max_unavailable = int_or_percent(max_unavailable, total);
        let finished = (job.count(TaskStatus::Succeeded) + job.count(TaskStatus::Failed)) as i64;
        let unavailable = total - finished - running;
        return (max_unavailable - unavailable).max(0) as usize;
    }
    if !min_available.is_empty() {
        let min_available = int_or_percent(min_available, total);
        if running >= min_available {
            return (running - min_available) as usize;
        }
    }
    1
}

/// Kubernetes' IntOrString: an integer, or `N%` of `total` rounded up; anything else is 0.
fn int_or_percent(v: &str, total: i64) -> i64 {
    if let Ok(i) = v.trim().parse::<i64>() {
        return i;
    }
    match v.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) {
        Some(p) => (p * total + 99).div_euclid(100),
        None => 0,
    }
}

impl Plugin for Tdm {
    fn name(&self) -> &'static str {
        "tdm"
    }
    fn hooks(&self) -> &'static [Hook] {
        &[
            Hook::Predicate,
            Hook::NodeOrder,
            Hook::Preemptable,
            Hook::VictimTasks,
            Hook::JobOrder,
            Hook::JobPipelined,
            Hook::JobStarving,
        ]
    }
    fn on_session_open(&mut self, _st: &ClusterState, now: SimTime) {
        self.now = now;
    }
    fn predicate(&self, st: &ClusterState, task: &Task, node: &Node) -> Result<(), FitReason> {
        let Some(zone) = Self::node_zone(st, node) else { return Ok(()) };
        if !self.zone_open(st, zone) || !Self::may_use_revocable(&st.jobs[task.job.idx()]) {
            return Err(FitReason::RevocableZone);
        }
        Ok(())
    }
    fn node_order(&self, st: &ClusterState, task: &Task, node: &Node) -> f64 {
        match Self::node_zone(st, node) {
            Some(z) if self.zone_open(st, z) && Self::may_use_revocable(&st.jobs[task.job.idx()]) => 100.0,
            _ => 0.0,
        }
    }
    fn preemptable(&self, st: &ClusterState, preemptor: &Task, candidates: &[TaskId]) -> Option<Vec<TaskId>> {
        if Self::barred_preemptor(st, preemptor) {
            return Some(Vec::new());
        }
        let eligible = candidates.iter().copied().filter(|c| {
            let t = &st.tasks[c.idx()];
            t.status == TaskStatus::Running
                && st.jobs[t.job.idx()].pods_preemptable()
                && t.node.is_some_and(|n| Self::node_zone(st, &st.nodes[n.idx()]).is_none())
        });
        let chosen = Self::within_budget(st, eligible);
        Some(candidates.iter().copied().filter(|c| chosen.contains(c)).collect())
    }
    fn may_be_victim(&self, st: &ClusterState, evictor: &Task, candidate: TaskId, _hook: Hook) -> bool {
        let t = &st.tasks[candidate.idx()];
        !Self::barred_preemptor(st, evictor)
            && t.status == TaskStatus::Running
            && st.jobs[t.job.idx()].pods_preemptable()
            && t.node.is_some_and(|n| Self::node_zone(st, &st.nodes[n.idx()]).is_none())
    }
    fn evictor_key(&self, st: &ClusterState, evictor: &Task) -> Vec<i64> {
        vec![Self::barred_preemptor(st, evictor) as i64]
    }
    fn victim_tasks(&self, st: &ClusterState, _candidates: &[TaskId]) -> Vec<TaskId> {
        if !self.now.0.is_multiple_of(self.grid(st)) {
            return Vec::new();
        }
        let mut victims = Vec::new();
        for zone in self.zones.keys().filter(|z| !self.zone_open(st, z)) {
            victims.extend(Self::within_budget(st, Self::zone_pods(st, zone).into_iter()));
        }
        victims
    }
    fn job_order(&self, _st: &ClusterState, a: &Job, b: &Job) -> Ordering {
        a.podgroup_preemptable().cmp(&b.podgroup_preemptable())
    }
    fn job_pipelined(&self, _st: &ClusterState, job: &Job) -> Vote {
        if job.waiting_tasks() + job.ready_tasks() >= job.min_available { Vote::Permit } else { Vote::Reject }
    }
    fn job_starving(&self, _st: &ClusterState, job: &Job) -> bool {
        !job.podgroup_preemptable() && job.count(TaskStatus::Pending) > 0
    }
    fn predicate_epoch(&self, st: &ClusterState, now: SimTime) -> u64 {
        let tod = st.clock.time_of_day_s(now);
        self.zones.values().enumerate().fold(0, |acc, (i, w)| acc | ((w.open_at(tod) as u64) << (i % 64)))
    }
    fn on_session_close(&mut self, st: &mut ClusterState, _changed: &[JobId]) {
        let tod = st.clock.time_of_day_s(self.now);
        let open: Vec<String> = self.zones.iter().filter(|(_, w)| w.open_at(tod)).map(|(z, _)| z.clone()).collect();
        for zone in open {
            if self.waiting_for(st, &zone) {
                self.tried.insert(zone, st.release_epoch);
            }
        }
    }
    /// A cycle is worth running (the state staying as it is) at the first eviction round at which
    /// a zone is closed and some of its pods may be evicted, and when a closed zone opens for
    /// pending pods that may use it — unless they failed there already and nothing was released
    /// since.
    fn wake_up(&self, st: &ClusterState, now: SimTime) -> Option<SimTime> {
        let (g, tod, now_s) = (self.grid(st), st.clock.time_of_day_s(now), now.0 / 1000);
        let mut at: Option<SimTime> = None;
        let mut consider = |t: u64| at = Some(at.map_or(SimTime(t), |a| a.min(SimTime(t))));
        for (zone, w) in &self.zones {
            if let Some(d) = w.closes_in(tod)
                && !Self::within_budget(st, Self::zone_pods(st, zone).into_iter()).is_empty()
            {
                let closed_ms = if d == 0 { now.0 + 1 } else { (now_s + d) * 1000 };
                consider(closed_ms.div_ceil(g) * g);
            }
            if !w.open_at(tod) && self.tried.get(zone) != Some(&st.release_epoch) && self.waiting_for(st, zone) {
                consider((now_s + w.opens_in(tod)) * 1000);
            }
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_follow_volcano() {
        let day = Window::parse("10:00-21:00").unwrap();
        assert!(!day.open_at(9 * 3600 + 3599));
        assert!(day.open_at(10 * 3600) && day.open_at(21 * 3600));
        assert!(!day.open_at(21 * 3600 + 1));
        // Overnight: open from the start to midnight only.
        let night = Window::parse("22:00-06:00").unwrap();
        assert!(night.open_at(23 * 3600) && !night.open_at(3 * 3600));
        assert!(Window::parse("10-12").is_none() && Window::parse("10:00").is_none());
        assert_eq!(day.closes_in(20 * 3600), Some(3601));
        assert_eq!(night.closes_in(23 * 3600), Some(3600));
        assert_eq!(Window::parse("00:00-00:00").unwrap().closes_in(5), None);
        assert_eq!(night.opens_in(3 * 3600), 19 * 3600);
        assert_eq!(day.opens_in(22 * 3600), 12 * 3600);
    }

    fn job(annotations: &[(&str, &str)], running: u32) -> Job {
        use crate::model::{JobSpec, Pool, Queue, QueueId, Resources};
        let pool = Pool::plain("p", Resources::new(100_000, 1 << 40), 110);
        let mut st = ClusterState::new(vec![(pool, 1)], vec![Queue::new(QueueId(0), "q")]);
        let spec = JobSpec {
            annotations: annotations.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..JobSpec::one_role("j", "q", "w", 4, 1, Resources::new(1000, 1 << 30))
        };
        let j = st.add_job(spec, QueueId(0), vec![1]);
        st.create_pods(j);
        for t in st.jobs[j.idx()].task_ids().take(running as usize).collect::<Vec<_>>() {
            st.transition(t, TaskStatus::Running, Some(crate::model::NodeId(0)));
        }
        st.jobs[j.idx()].clone()
    }

    #[test]
    fn budgets_follow_extract_budget() {
        assert_eq!(max_evictions(&job(&[], 4)), 1);
        assert_eq!(max_evictions(&job(&[(JDB_MAX_UNAVAILABLE, "3")], 4)), 3);
        assert_eq!(max_evictions(&job(&[(JDB_MAX_UNAVAILABLE, "3")], 2)), 1); // 2 already unavailable
        assert_eq!(max_evictions(&job(&[(JDB_MAX_UNAVAILABLE, "50%")], 1)), 0);
        assert_eq!(max_evictions(&job(&[(JDB_MIN_AVAILABLE, "1")], 4)), 3);
        // Below the minimum already: Volcano falls through to one pod.
        assert_eq!(max_evictions(&job(&[(JDB_MIN_AVAILABLE, "3")], 2)), 1);
        // min-available hides max-unavailable.
        assert_eq!(max_evictions(&job(&[(JDB_MIN_AVAILABLE, "2"), (JDB_MAX_UNAVAILABLE, "4")], 4)), 2);
    }

    #[test]
    fn budgets_read_int_or_percent() {
        assert_eq!(int_or_percent("3", 10), 3);
        assert_eq!(int_or_percent("25%", 10), 3); // rounded up
        assert_eq!(int_or_percent("x", 10), 0);
    }
}
