//! `rescheduling` (`plugins/rescheduling/*`; design `rescheduling.md`): every `interval` (5m) it
//! names victims for `shuffle` with the `lowNodeUtilization` strategy, a descheduler-like rule:
//!
//! - a node is **low** when its utilization is at or under `thresholds` in every dimension, and
//!   **high** when it is over `targetThresholds` in some dimension (cpu and memory, percent);
//! - nothing happens when no node is low, when every node is low, or when no node is high;
//! - otherwise the room of the low nodes (Σ target − utilization) is computed, and the high nodes,
//!   most utilized (cpu% + memory%) first, give up their Running pods, lowest priority first
//!   (best-effort before others at equal priority), while the node is still over a target and no
//!   dimension of the room is exactly zero.
//!
//! Volcano reads utilization from node metrics; tephra's pods use what they request, so a node's
//! utilization is its requested resources over its allocatable ones. As in Volcano, `pods`
//! thresholds are accepted but never compared, the room may go negative without stopping the
//! eviction (only exactly zero stops it), and the defaults (100% everywhere) make every node low,
//! so the default configuration evicts nothing.
//!
//! Arguments (Volcano's layout):
//! ```yaml
//! - name: rescheduling
//!   arguments:
//!     interval: 5m
//!     strategies:
//!       - name: lowNodeUtilization
//!         parameters:
//!           thresholds: { cpu: 20, memory: 20 }
//!           targetThresholds: { cpu: 60, memory: 60 }
//! ```
//!
//! Time: Volcano runs the strategy in the first cycle strictly later than `interval` after the
//! previous run (the first run counts from scheduler start, t = 0), i.e. on multiples of
//! `interval` rounded down to whole cycles plus one cycle; the plugin asks for a cycle at the next one when the
//! strategy would evict something.

use crate::model::time::parse_duration;
use crate::model::{ClusterState, DurationMs, SimTime, TaskId, TaskStatus};
use crate::sched::conf::{ArgValue, Arguments, Hook};
use crate::sched::plugin::Plugin;
use std::collections::BTreeMap;

/// cpu and memory percentages.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Percent {
    cpu: f64,
    memory: f64,
}

/// The rescheduling plugin.
#[derive(Debug)]
pub struct Rescheduling {
    interval: DurationMs,
    thresholds: Percent,
    targets: Percent,
    now: SimTime,
}

fn percents(m: &BTreeMap<String, ArgValue>, what: &str) -> Result<Percent, String> {
    let mut p = Percent { cpu: 100.0, memory: 100.0 };
    for (k, v) in m {
        let x = match v {
            ArgValue::Int(i) => *i as f64,
            ArgValue::Float(f) => *f,
            other => return Err(format!("plugin `rescheduling`: {what}.{k}: `{other}` is not a number")),
        };
        match k.as_str() {
            "cpu" => p.cpu = x,
            "memory" => p.memory = x,
            "pods" | "pod" => {}
            other => {
                return Err(format!(
                    "plugin `rescheduling`: {what}: unknown resource `{other}` (known: cpu, memory, pods)"
                ));
            }
        }
    }
    Ok(p)
}

impl Rescheduling {
    /// Reads `interval` and `strategies`.
    pub fn new(args: &Arguments) -> Result<Rescheduling, String> {
        args.check_known("rescheduling", &["interval", "strategies"], &[])?;
        let interval = match args.str("interval") {
            None => DurationMs(300_000),
            Some(s) => parse_duration(&s).map_err(|e| format!("plugin `rescheduling`: argument `interval`: {e}"))?,
        };
        let mut r = Rescheduling {
            interval,
            thresholds: Percent { cpu: 100.0, memory: 100.0 },
            targets: Percent { cpu: 100.0, memory: 100.0 },
            now: SimTime::ZERO,
        };
        match args.0.get("strategies") {
            None => {}
            Some(ArgValue::List(items)) => {
                for item in items {
                    let ArgValue::Map(m) = item else {
                        return Err("plugin `rescheduling`: each of `strategies` is a map with `name`".into());
                    };
                    for k in m.keys() {
                        if k != "name" && k != "parameters" {
                            return Err(format!(
                                "plugin `rescheduling`: strategies: unknown key `{k}` (known: name, parameters)"
                            ));
                        }
                    }
                    match m.get("name").map(|v| v.to_string()).as_deref() {
                        Some("lowNodeUtilization") => {}
                        Some(other) => {
                            return Err(format!(
                                "plugin `rescheduling`: strategy `{other}` is not simulated (known: lowNodeUtilization)"
                            ));
                        }
                        None => return Err("plugin `rescheduling`: a strategy has no `name`".into()),
                    }
                    match m.get("parameters") {
                        None => {}
                        Some(ArgValue::Map(params)) => {
                            for (k, v) in params {
                                let ArgValue::Map(values) = v else {
                                    return Err(format!("plugin `rescheduling`: parameters.{k} is not a map"));
                                };
                                match k.as_str() {
                                    "thresholds" => r.thresholds = percents(values, "thresholds")?,
                                    "targetThresholds" => r.targets = percents(values, "targetThresholds")?,
                                    other => {
                                        return Err(format!(
                                            "plugin `rescheduling`: lowNodeUtilization: unknown parameter `{other}` \
                                             (known: thresholds, targetThresholds)"
                                        ));
                                    }
                                }
                            }
                        }
                        Some(_) => return Err("plugin `rescheduling`: `parameters` is not a map".into()),
                    }
                }
            }
            Some(_) => return Err("plugin `rescheduling`: `strategies` is not a list".into()),
        }
        if r.interval.0 == 0 {
            return Err("plugin `rescheduling`: argument `interval` must be positive".into());
        }
        Ok(r)
    }

    /// The run grid: the first cycle strictly after `interval`.
    fn grid(&self, st: &ClusterState) -> u64 {
        let p = st.clock.cycle_period.0.max(1);
        (self.interval.0 / p + 1) * p
    }

    /// Node utilizations, the high nodes and the low nodes' room (cpu millicores, memory bytes),
    /// or `None` when the strategy has nothing to do (no low node, only low nodes, no high node).
    fn classify(&self, st: &ClusterState) -> Option<(Vec<Percent>, Vec<usize>, i64, i64)> {
        let nodes: Vec<usize> = st.nodes.iter().filter(|n| n.healthy).map(|n| n.id.idx()).collect();
        let util: Vec<Percent> = st
            .nodes
            .iter()
            .map(|nd| Percent {
                cpu: pct(nd.used.cpu, nd.allocatable.cpu),
                memory: pct(nd.used.memory, nd.allocatable.memory),
            })
            .collect();
        let is_low = |u: &Percent| u.cpu <= self.thresholds.cpu && u.memory <= self.thresholds.memory;
        let low: Vec<usize> = nodes.iter().copied().filter(|n| is_low(&util[*n])).collect();
        let high: Vec<usize> = nodes.iter().copied().filter(|n| !is_low(&util[*n]) && self.over(&util[*n])).collect();
        if low.is_empty() || low.len() == nodes.len() || high.is_empty() {
            return None;
        }
        let (mut room_cpu, mut room_mem) = (0i64, 0i64);
        for n in &low {
            let cap = st.nodes[*n].allocatable;
            room_cpu += quantity(self.targets.cpu, cap.cpu) - quantity(util[*n].cpu, cap.cpu);
            room_mem += quantity(self.targets.memory, cap.memory) - quantity(util[*n].memory, cap.memory);
        }
        Some((util, high, room_cpu, room_mem))
    }

    /// Over a target in some dimension.
    fn over(&self, u: &Percent) -> bool {
        u.cpu > self.targets.cpu || u.memory > self.targets.memory
    }

    /// Whether [`Rescheduling::low_node_utilization`] would name anyone among all Running pods:
    /// exactly when there is room and a high node runs a pod (the first such pod in its order is
    /// taken, nothing before it having changed the room or the node).
    fn would_evict(&self, st: &ClusterState) -> bool {
        let Some((_, high, room_cpu, room_mem)) = self.classify(st) else { return false };
        room_cpu != 0
            && room_mem != 0
            && high.iter().any(|n| st.node_tasks[*n].iter().any(|t| st.tasks[t.idx()].status == TaskStatus::Running))
    }

    /// `victimsFnForLnu`.
    fn low_node_utilization(&self, st: &ClusterState, candidates: &[TaskId]) -> Vec<TaskId> {
        let Some((mut util, mut high, mut room_cpu, mut room_mem)) = self.classify(st) else { return Vec::new() };
        let over = |u: &Percent| self.over(u);
        let score = |n: &usize| util[*n].cpu + util[*n].memory;
        high.sort_by(|a, b| score(b).partial_cmp(&score(a)).unwrap_or(std::cmp::Ordering::Equal).then(a.cmp(b)));
        let mut victims = Vec::new();
        for n in high {
            let mut pods = st.node_tasks[n].clone();
            pods.sort_by_key(|t| {
                let task = &st.tasks[t.idx()];
                (st.jobs[task.job.idx()].priority, !task.request.is_empty(), *t)
            });
            let cap = st.nodes[n].allocatable;
            for t in pods {
                if !over(&util[n]) || room_cpu == 0 || room_mem == 0 {
                    break;
                }
                if st.tasks[t.idx()].status != TaskStatus::Running || candidates.binary_search(&t).is_err() {
                    continue;
                }
                let req = st.tasks[t.idx()].request;
                room_cpu -= req.cpu;
                room_mem -= req.memory;
                util[n].cpu -= pct(req.cpu, cap.cpu);
                util[n].memory -= pct(req.memory, cap.memory);
                victims.push(t);
            }
        }
        victims
    }
}

/// `used / capacity` in percent (0 for a dimension the node does not have).
fn pct(used: i64, cap: i64) -> f64 {
    if cap <= 0 { 0.0 } else { used as f64 * 100.0 / cap as f64 }
}

/// `convertPercentToQuan`: `percent` of `cap`, truncated.
fn quantity(percent: f64, cap: i64) -> i64 {
    (percent * cap as f64 * 0.01) as i64
}

impl Plugin for Rescheduling {
    fn name(&self) -> &'static str {
        "rescheduling"
    }
    fn hooks(&self) -> &'static [Hook] {
        &[Hook::VictimTasks]
    }
    fn on_session_open(&mut self, _st: &ClusterState, now: SimTime) {
        self.now = now;
    }
    fn victim_tasks(&self, st: &ClusterState, candidates: &[TaskId]) -> Vec<TaskId> {
        if self.now.0 == 0 || !self.now.0.is_multiple_of(self.grid(st)) {
            return Vec::new();
        }
        self.low_node_utilization(st, candidates)
    }
    /// The strategy reads only the cluster, so if it names nobody now it names nobody at the next
    /// run either unless something changes (which runs a cycle anyway): ask for the next run only
    /// when it would evict.
    fn wake_up(&self, st: &ClusterState, now: SimTime) -> Option<SimTime> {
        if !self.would_evict(st) {
            return None;
        }
        let g = self.grid(st);
        Some(SimTime((now.0 / g + 1) * g))
    }
}

#[cfg(test)]
mod tests {
    use crate::sched::conf::SchedulerConf;
    use crate::sched::plugins::build;

    /// Builds the only plugin of a one-plugin conf with `args` (YAML lines at plugin depth).
    fn plugin(name: &str, args: &str) -> Result<(), String> {
        let text =
            format!("actions: \"allocate, shuffle\"\ntiers:\n- plugins:\n  - name: {name}\n    arguments:\n{args}");
        let conf = SchedulerConf::parse(&text, "t.conf")?;
        build(&conf.tiers[0].plugins[0]).map(|_| ())
    }

    #[test]
    fn arguments_are_checked() {
        let good = "      interval: 10m\n      strategies:\n      - name: lowNodeUtilization\n        parameters:\n          thresholds: { cpu: 20, memory: 20, pods: 20 }\n          targetThresholds: { cpu: 60.5, memory: 60 }\n";
        assert_eq!(plugin("rescheduling", good), Ok(()));
        let cases = [
            ("      intervall: 5m\n", "unknown argument `intervall`"),
            ("      interval: soon\n", "argument `interval`"),
            (
                "      strategies:\n      - name: highNodeUtilization\n",
                "strategy `highNodeUtilization` is not simulated",
            ),
            ("      strategies:\n      - name: lowNodeUtilization\n        params: {}\n", "unknown key `params`"),
            (
                "      strategies:\n      - name: lowNodeUtilization\n        parameters:\n          thresholds: { gpu: 1 }\n",
                "unknown resource `gpu`",
            ),
            ("      tdm.revocable-zone.rz1: \"25:00-26:00\"\n", "unknown argument"),
        ];
        for (args, want) in cases {
            let err = plugin("rescheduling", args).unwrap_err();
            assert!(err.contains(want), "{args}: {err}");
        }
        assert_eq!(
            plugin("tdm", "      tdm.revocable-zone.rz1: \"10:00-21:00\"\n      tdm.evict.period: 30s\n"),
            Ok(())
        );
        for (args, want) in [
            ("      tdm.revocable-zone.rz1: \"10:00\"\n", "not a window"),
            ("      tdm.evict.period: 0s\n", "must be positive"),
            ("      tdm.evict.periods: 1m\n", "unknown argument `tdm.evict.periods`"),
        ] {
            let err = plugin("tdm", args).unwrap_err();
            assert!(err.contains(want), "{args}: {err}");
        }
        assert!(plugin("cdp", "      cooldown: 1m\n").unwrap_err().contains("unknown argument `cooldown`"));
    }
}
