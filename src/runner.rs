//! One run end to end: scenario → cluster and scheduler → simulation → results. The CLI and the
//! tests both go through here, so what the tests check is what users run.

use crate::metrics::{DecisionRow, FairnessRow, QueueRow, Summary, TimelineRow};
use crate::model::{ClusterState, SimTime};
use crate::report::PerfReport;
use crate::report::jobs::{JobRow, job_rows};
use crate::scenario::{Policy, Scenario, ScenarioError};
use crate::sched::Scheduler;
use crate::sched::kube_default::KubeDefault;
use crate::sched::volcano::VolcanoScheduler;
use crate::sim::{Simulation, resolve_queues};
use std::time::Instant;

/// Derives a named sub-seed from the root seed (SplitMix64 over the root and the name's bytes), so
/// adding draws in one place never shifts another stream.
pub fn sub_seed(root: u64, name: &str) -> u64 {
    let mut x = root ^ 0x9E37_79B9_7F4A_7C15;
    for b in name.bytes() {
        x = (x ^ b as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x ^= x >> 31;
    }
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Everything a run produced.
pub struct RunOutput {
    /// Simulated results.
    pub summary: Summary,
    /// Per-job rows.
    pub jobs: Vec<JobRow>,
    /// Timeline rows.
    pub timeline: Vec<TimelineRow>,
    /// Per-queue rows.
    pub queues: Vec<QueueRow>,
    /// Fairness timeline rows.
    pub fairness: Vec<FairnessRow>,
    /// The decision log (empty unless asked for).
    pub decisions: Vec<DecisionRow>,
    /// GPU fragmentation samples (empty unless the workload shares cards).
    pub fragmentation: Vec<crate::metrics::fragmentation::FragRow>,
    /// Wall-clock figures.
    pub perf: PerfReport,
    /// The final cluster state (for tests and further analysis).
    pub state: ClusterState,
    /// Failure and recovery outputs, when faults or lifecycle policies are configured.
    pub recovery: Option<crate::report::recovery::RecoveryOutput>,
}

/// Options that are not part of the scenario.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Check every invariant after every event.
    pub check_invariants: bool,
    /// Keep the decision log even if the scenario does not ask for it.
    pub record_decisions: bool,
}

/// Builds the scheduler a scenario asks for.
pub fn build_scheduler(sc: &Scenario) -> Result<Box<dyn Scheduler>, ScenarioError> {
    let seed = sub_seed(sc.seed, "tie-breaks");
    Ok(match &sc.policy {
        Policy::Volcano { name, conf } => Box::new(
            VolcanoScheduler::with_names(name, conf, sc.node_scan, seed, &sc.scalar_names)
                .map_err(ScenarioError::Input)?,
        ),
        Policy::KubeDefault => Box::new(KubeDefault::new(sc.node_scan, seed)),
    })
}

/// Where a run is, for progress displays.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Simulated time now.
    pub now: SimTime,
    /// Expected end of arrivals (`run.until`, else the last submit time).
    pub horizon: SimTime,
    /// Jobs submitted and not ended.
    pub active: usize,
}

/// Runs a scenario. `progress` is called every few hundred events.
pub fn run(sc: &Scenario, opts: &RunOptions, mut progress: impl FnMut(Progress)) -> Result<RunOutput, ScenarioError> {
    if sc.inflate.is_some() {
        return Err(ScenarioError::Input(format!(
            "{}: run.mode: inflate is the packing experiment, not a simulation: run it with `tephra run` or \
             `tephra compare`",
            sc.path.display()
        )));
    }
    let started = Instant::now();
    let specs = sc.load_jobs()?;
    let last_submit = specs.last().map(|s| s.submit).unwrap_or_default();
    let horizon = sc.run.until.map(|u| SimTime(u.0)).unwrap_or(last_submit);
    let queues = resolve_queues(&sc.queues, &specs).map_err(ScenarioError::Input)?;
    let mut state = ClusterState::new(sc.pools.clone(), queues);
    let shares = specs.iter().any(|s| s.roles.iter().any(|r| r.device.shares()));
    if sc.track_cards || shares || sc.policy.uses_cards() {
        state.enable_devices();
    }
    state.clock = crate::model::Clock { start_of_day_s: sc.run.start_of_day_s, cycle_period: sc.run.schedule_period };
    state.topology = sc.topology.clone();
    state.scalar_names = sc.scalar_names;
    let scheduler = build_scheduler(sc)?;
    let faults = match &sc.faults {
        Some(f) => Some(f.resolve(&state, &sc.path.display().to_string())?),
        None => None,
    };
    let recovery_on = faults.is_some()
        || specs.iter().any(|s| s.annotations.keys().any(|k| crate::model::lifecycle::KEYS.contains(&k.as_str())));
    let mut sim = Simulation::new(state, specs, scheduler, sc.run.clone())
        .with_invariant_checks(opts.check_invariants)
        .with_decision_log(opts.record_decisions || sc.run.decisions);
    if shares {
        sim.recorder.fragmentation.workload_shares();
    }
    if recovery_on {
        sim = sim.with_recovery(faults, sub_seed(sc.seed, "faults"));
    }
    sim.run(|now, st: &ClusterState| progress(Progress { now, horizon, active: st.active.len() }))
        .map_err(|e| ScenarioError::Input(format!("{e} (scenario {}, seed {})", sc.name, sc.seed)))?;
    let mut summary =
        Summary::build(&sim.state, &sim.recorder, &sc.name, sc.seed, sc.policy.name(), sim.end.secs_f64());
    let mut jobs = job_rows(&sim.state);
    if let Some(topo) = &sim.state.topology {
        crate::report::jobs::add_topology_tiers(&mut jobs, topo, &sim.recorder.job_span);
    }
    let recovery = crate::report::recovery::RecoveryOutput::build(&sim, &mut jobs);
    summary.recovery = recovery.as_ref().map(|r| r.summary.clone());
    let wall = started.elapsed().as_secs_f64();
    let perf = PerfReport::new(wall, sim.perf.events, &sim.perf.cycle_ns, sim.recorder.binds, sim.recorder.evictions);
    Ok(RunOutput {
        jobs,
        timeline: std::mem::take(&mut sim.recorder.timeline),
        queues: std::mem::take(&mut sim.recorder.queue_rows),
        fairness: std::mem::take(&mut sim.recorder.fairness_rows),
        decisions: sim.recorder.decisions.take(),
        fragmentation: std::mem::take(&mut sim.recorder.fragmentation.rows),
        summary,
        perf,
        recovery,
        state: sim.state,
    })
}
