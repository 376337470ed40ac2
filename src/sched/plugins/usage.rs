//! `usage` (`plugins/usage/{usage,estimator,shadow_cache}.go`; docs `usage-based-scheduling.md`):
//! load-aware placement from node metrics.
//!
//! **Simulated metrics.** tephra has no Prometheus; a node's measured load is what its running
//! pods use: `Σ request × ratio` over the node's Running pods, per cpu and memory, where the
//! ratio is the job's `tephra.io/usage-ratio-cpu` / `tephra.io/usage-ratio-memory` annotation
//! (the scenario's `workload.usage_ratio` fills it in for jobs that do not set it; 1.0 when
//! neither does). The metrics are always fresh (Volcano ignores metrics older than 5 minutes) and
//! have no lag: a pod counts once it runs.
//!
//! **Predicate** (`enablePredicate`): a node whose measured cpu (memory) load, in percent of its
//! allocatable, exceeds `thresholds.cpu` (`thresholds.mem`), both 80 by default, is rejected.
//!
//! **Score**: pods placed on a node but not yet running are invisible to the metrics, so the
//! plugin keeps a shadow estimate of them per node: at session open for the node's Allocated,
//! Binding and Bound pods, then for every pod the session allocates or pipelines (and removes it
//! when the placement is undone). One pod's estimate is `request × request_ratio × risk`, capped
//! at the request (tephra pods have limits equal to requests, so `burst_ratio` has nothing to
//! act on), where `risk` is `risk_factor` once the node's weighted composite load reaches
//! `risk_threshold`, else 1; a pod that requests nothing counts as `be_cpu` / `be_mem` × risk.
//! Composite load per resource: `min(1, (measured + shadow) / allocatable)`; the score is
//! `((1 − cpu) × cpu.weight + (1 − mem) × memory.weight) / (cpu.weight + memory.weight) × 100 ×
//! usage.weight`.
//!
//! Volcano also shadows pods that started running less than `metrics.interval` ago, to cover the
//! lag of a real metrics pipeline; the simulated metrics have no lag, so those pods are counted
//! once, as measured load.

use crate::model::quantity::{parse_cpu_milli, parse_memory_bytes};
use crate::model::{ClusterState, Node, NodeId, SimTime, Task, TaskId, TaskStatus};
use crate::sched::conf::{ArgValue, Arguments, Hook};
use crate::sched::plugin::{FitReason, Plugin};
use std::collections::BTreeMap;

/// Job annotation: measured cpu use of the job's running pods as a fraction of their request.
pub const USAGE_RATIO_CPU: &str = "tephra.io/usage-ratio-cpu";
/// Job annotation: measured memory use as a fraction of the request.
pub const USAGE_RATIO_MEMORY: &str = "tephra.io/usage-ratio-memory";

/// Parses a usage-ratio annotation value (a non-negative number).
pub fn parse_ratio(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("`{text}` is not a non-negative number")),
    }
}

/// The usage plugin with its arguments and per-session state.
#[derive(Debug)]
pub struct Usage {
    usage_weight: f64,
    cpu_weight: f64,
    memory_weight: f64,
    cpu_threshold: f64,
    mem_threshold: f64,
    request_ratio: f64,
    risk_threshold: f64,
    risk_factor: f64,
    be_cpu: f64,
    be_memory: f64,
    /// Per job: (cpu, memory) usage ratios, read once from the annotations.
    ratios: Vec<(f64, f64)>,
    /// Per node: measured (cpu millicores, memory bytes) at session open.
    measured: Vec<(f64, f64)>,
    /// Per node: shadow estimate (cpu millicores, memory bytes).
    shadow: Vec<(f64, f64)>,
    /// Per shadowed task: the node and the estimate added, for exact removal.
    snapshots: BTreeMap<TaskId, (NodeId, f64, f64)>,
}

fn bounded(args: &Arguments, key: &str, default: f64, lo: f64, hi: f64) -> Result<f64, String> {
    let v = args.f64(key, default)?;
    if v < lo || v > hi {
        return Err(format!("argument `{key}`: {v} is outside [{lo}, {hi}]"));
    }
    Ok(v)
}

fn quantity(args: &Arguments, key: &str, default: f64, parse: fn(&str) -> Result<i64, String>) -> Result<f64, String> {
    match args.0.get(key) {
        None => Ok(default),
        Some(ArgValue::Map(_)) | Some(ArgValue::Bool(_)) => Err(format!("argument `{key}`: not a quantity")),
        Some(v) => {
            let q = parse(&v.to_string()).map_err(|m| format!("argument `{key}`: {m}"))?;
            if q < 0 {
                return Err(format!("argument `{key}`: must not be negative"));
            }
            Ok(q as f64)
        }
    }
}

impl Usage {
    /// Reads `usage.weight` (5), `cpu.weight` (1), `memory.weight` (1), `thresholds.{cpu,mem}`
    /// (80, in [0, 100]) and `estimator.{request_ratio (0.7), burst_ratio (0), risk_threshold
    /// (0.6), risk_factor (1.2), be_cpu (250m), be_mem (200Mi)}`; `be_memory` is accepted as
    /// the older spelling of `be_mem`. `be_cpu` and `be_mem` are Kubernetes quantities: a bare
    /// number is cores (bytes), write `250m` for millicores. Values outside Volcano's ranges are
    /// errors here (Volcano logs a warning and keeps the default).
    pub fn new(args: &Arguments) -> Result<Usage, String> {
        args.check_known("usage", &["usage.weight", "cpu.weight", "memory.weight", "thresholds", "estimator"], &[])?;
        let th = args.map("thresholds")?.unwrap_or_default();
        th.check_known("usage: thresholds", &["cpu", "mem"], &[])?;
        let est = args.map("estimator")?.unwrap_or_default();
        est.check_known(
            "usage: estimator",
            &["request_ratio", "burst_ratio", "risk_threshold", "risk_factor", "be_cpu", "be_mem", "be_memory"],
            &[],
        )?;
        if est.0.contains_key("be_mem") && est.0.contains_key("be_memory") {
            return Err("usage: estimator: give be_mem or be_memory, not both".into());
        }
        bounded(&est, "burst_ratio", 0.0, 0.0, 1.0)?;
        let risk_factor = est.f64("risk_factor", 1.2)?;
        if risk_factor < 1.0 {
            return Err(format!("argument `risk_factor`: {risk_factor} is below 1"));
        }
        let be_mem_key = if est.0.contains_key("be_memory") { "be_memory" } else { "be_mem" };
        Ok(Usage {
            usage_weight: args.int("usage.weight", 5)? as f64,
            cpu_weight: args.int("cpu.weight", 1)? as f64,
            memory_weight: args.int("memory.weight", 1)? as f64,
            cpu_threshold: bounded(&th, "cpu", 80.0, 0.0, 100.0)?,
            mem_threshold: bounded(&th, "mem", 80.0, 0.0, 100.0)?,
            request_ratio: bounded(&est, "request_ratio", 0.7, 0.0, 1.0)?,
            risk_threshold: bounded(&est, "risk_threshold", 0.6, 0.0, 1.0)?,
            risk_factor,
            be_cpu: quantity(&est, "be_cpu", 250.0, parse_cpu_milli)?,
            be_memory: quantity(&est, be_mem_key, (200 * 1024 * 1024) as f64, parse_memory_bytes)?,
            ratios: Vec::new(),
            measured: Vec::new(),
            shadow: Vec::new(),
            snapshots: BTreeMap::new(),
        })
    }

    /// Measured load of a node in percent of its allocatable (cpu, memory).
    fn measured_percent(&self, node: &Node) -> (f64, f64) {
        let (c, m) = self.measured[node.id.idx()];
        let pct = |v: f64, a: i64| if a > 0 { v / a as f64 * 100.0 } else { 0.0 };
        (pct(c, node.allocatable.cpu), pct(m, node.allocatable.memory))
    }

    /// Composite utilisation (cpu, memory), each in [0, 1] (`CalcCompositeUtilization`).
    fn composite(&self, node: &Node) -> (f64, f64) {
        let (pc, pm) = self.measured_percent(node);
        let (sc, sm) = self.shadow[node.id.idx()];
        let comp = |pct: f64, shadow: f64, cap: i64| {
            if cap <= 0 {
                return 0.0;
            }
            let cap = cap as f64;
            ((pct / 100.0 * cap + shadow) / cap).clamp(0.0, 1.0)
        };
        (comp(pc, sc, node.allocatable.cpu), comp(pm, sm, node.allocatable.memory))
    }

    /// `CalcAppliedRiskFactor` for a node in its current state.
    fn risk(&self, node: &Node) -> f64 {
        let (c, m) = self.composite(node);
        let total = self.cpu_weight + self.memory_weight;
        let load = if total == 0.0 { 0.0 } else { (c * self.cpu_weight + m * self.memory_weight) / total };
        if load >= self.risk_threshold { self.risk_factor } else { 1.0 }
    }

    /// One pod's estimate (cpu millicores, memory bytes) under `risk`.
    fn estimate(&self, task: &Task, risk: f64) -> (f64, f64) {
        if task.request.is_empty() {
            return (self.be_cpu * risk, self.be_memory * risk);
        }
        let one = |req: i64| {
            let req = req.max(0) as f64;
            (req * self.request_ratio * risk).clamp(0.0, req)
        };
        (one(task.request.cpu), one(task.request.memory))
    }

    /// Adds `task`'s estimate on its node, replacing an earlier one (`AddEstimate`).
    fn shadow_add(&mut self, st: &ClusterState, t: TaskId) {
        let task = &st.tasks[t.idx()];
        let Some(n) = task.node else { return };
        self.shadow_remove(t);
        let risk = self.risk(&st.nodes[n.idx()]);
        let (c, m) = self.estimate(task, risk);
        let s = &mut self.shadow[n.idx()];
        s.0 += c;
        s.1 += m;
        self.snapshots.insert(t, (n, c, m));
    }

    /// Subtracts what was added for `task`, if anything (`SubEstimateBySnapshot`).
    fn shadow_remove(&mut self, t: TaskId) {
        if let Some((n, c, m)) = self.snapshots.remove(&t) {
            let s = &mut self.shadow[n.idx()];
            s.0 = (s.0 - c).max(0.0);
            s.1 = (s.1 - m).max(0.0);
        }
    }
}

impl Plugin for Usage {
    fn name(&self) -> &'static str {
        "usage"
    }
    fn hooks(&self) -> &'static [Hook] {
        &[Hook::Predicate, Hook::NodeOrder]
    }
    fn on_session_open(&mut self, st: &ClusterState, _now: SimTime) {
        for job in &st.jobs[self.ratios.len()..] {
            // The scenario loader validated the values; a bad one here falls back to 1.
            let r = |key| job.annotation(key).and_then(|v| parse_ratio(v).ok()).unwrap_or(1.0);
            self.ratios.push((r(USAGE_RATIO_CPU), r(USAGE_RATIO_MEMORY)));
        }
        self.measured = vec![(0.0, 0.0); st.nodes.len()];
        self.shadow = vec![(0.0, 0.0); st.nodes.len()];
        self.snapshots.clear();
        for (n, tasks) in st.node_tasks.iter().enumerate() {
            for t in tasks {
                let task = &st.tasks[t.idx()];
                if task.status == TaskStatus::Running {
                    let (rc, rm) = self.ratios[task.job.idx()];
                    let m = &mut self.measured[n];
                    m.0 += task.request.cpu as f64 * rc;
                    m.1 += task.request.memory as f64 * rm;
                }
            }
        }
        for (n, tasks) in st.node_tasks.iter().enumerate() {
            if !st.nodes[n].healthy {
                continue;
            }
            let mut shadowed: Vec<TaskId> = tasks
                .iter()
                .copied()
                .filter(|t| {
                    matches!(st.tasks[t.idx()].status, TaskStatus::Allocated | TaskStatus::Binding | TaskStatus::Bound)
                })
                .collect();
            shadowed.sort_unstable();
            for t in shadowed {
                self.shadow_add(st, t);
            }
        }
    }
    fn on_allocate(&mut self, st: &ClusterState, task: TaskId) {
        if !self.shadow.is_empty() {
            self.shadow_add(st, task);
        }
    }
    fn on_deallocate(&mut self, _st: &ClusterState, task: TaskId) {
        self.shadow_remove(task);
    }
    fn predicate(&self, _st: &ClusterState, _task: &Task, node: &Node) -> Result<(), FitReason> {
        let (c, m) = self.measured_percent(node);
        if c > self.cpu_threshold {
            return Err(FitReason::UsageThreshold(crate::model::Dim::Cpu));
        }
        if m > self.mem_threshold {
            return Err(FitReason::UsageThreshold(crate::model::Dim::Memory));
        }
        Ok(())
    }
    fn node_order(&self, _st: &ClusterState, _task: &Task, node: &Node) -> f64 {
        let total = self.cpu_weight + self.memory_weight;
        if total == 0.0 {
            return 0.0;
        }
        let (c, m) = self.composite(node);
        ((1.0 - c) * self.cpu_weight + (1.0 - m) * self.memory_weight) / total * 100.0 * self.usage_weight
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(yaml: &str) -> Arguments {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn arguments_are_checked() {
        let u = Usage::new(&args(
            "usage.weight: 2\nthresholds: {cpu: 60, mem: 70}\nestimator: {request_ratio: 0.5, be_cpu: 500m, be_mem: 1Gi}\n",
        ))
        .unwrap();
        assert_eq!((u.usage_weight, u.cpu_threshold, u.mem_threshold, u.request_ratio), (2.0, 60.0, 70.0, 0.5));
        assert_eq!((u.be_cpu, u.be_memory), (500.0, (1u64 << 30) as f64));
        assert!(Usage::new(&args("thresholds: {cpu: 120}\n")).unwrap_err().contains("outside"));
        assert!(Usage::new(&args("thresholds: {CPUUsageAvg.5m: 80}\n")).unwrap_err().contains("unknown argument"));
        assert!(Usage::new(&args("estimator: {risk_factor: 0.5}\n")).is_err());
    }

    #[test]
    fn risk_factor_applies_once_the_composite_load_reaches_the_threshold() {
        use crate::model::{JobSpec, NodeId, Pool, Queue, QueueId, Resources};
        let pool = Pool::plain("n", Resources::new(8000, 1 << 35), 110);
        let mut st = ClusterState::new(vec![(pool, 1)], vec![Queue::new(QueueId(0), "q")]);
        for (name, cpu) in [("a", 5000), ("b", 1000)] {
            let spec = JobSpec {
                annotations: Default::default(),
                ..JobSpec::one_role(name, "q", "w", 1, 1, Resources::new(cpu, 1 << 30))
            };
            let j = st.add_job(spec, QueueId(0), vec![1]);
            st.create_pods(j);
        }
        st.transition(TaskId(0), TaskStatus::Running, Some(NodeId(0)));
        let mut u = Usage::new(&args("memory.weight: 0\n")).unwrap();
        u.on_session_open(&st, SimTime(0));
        let t = st.tasks[1].clone();
        // Measured 5000m of 8000m: 62.5 % → (1 − 0.625) × 100 × 5 = 187.5.
        assert!((u.node_order(&st, &t, &st.nodes[0]) - 187.5).abs() < 1e-9);
        // Load 0.625 ≥ 0.6: the new pod counts 1000m × 0.7 × 1.2 = 840m → (5840 / 8000) → 135.
        st.transition(TaskId(1), TaskStatus::Allocated, Some(NodeId(0)));
        u.on_allocate(&st, TaskId(1));
        assert!((u.node_order(&st, &t, &st.nodes[0]) - 135.0).abs() < 1e-9);
        // Undone: back to the measured load only.
        u.on_deallocate(&st, TaskId(1));
        assert!((u.node_order(&st, &t, &st.nodes[0]) - 187.5).abs() < 1e-9);
        assert_eq!(u.predicate(&st, &t, &st.nodes[0]), Ok(()));
        let mut strict = Usage::new(&args("thresholds: {cpu: 60}\n")).unwrap();
        strict.on_session_open(&st, SimTime(0));
        assert_eq!(strict.predicate(&st, &t, &st.nodes[0]), Err(FitReason::UsageThreshold(crate::model::Dim::Cpu)));
    }
}
