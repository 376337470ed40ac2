//! The Volcano scheduler: a configuration's actions and plugins, run one session per cycle.

use super::Scheduler;
use super::actions;
use super::actions::gang_eviction::GangEvictionArgs;
use super::actions::preempt_topology::PreemptArgs;
use super::conf::SchedulerConf;
use super::decisions::{Decisions, EvictCause};
use super::node_scan::NodeScan;
use super::plugin::EvictionKind;
use super::plugins;
use super::session::{Carry, HookTable, PluginSlot, Session};
use crate::model::scalar_names::{NameLookup, ScalarNames};
use crate::model::{ClusterState, SimTime};

/// A Volcano scheduler built from a [`SchedulerConf`].
pub struct VolcanoScheduler {
    name: String,
    actions: Vec<String>,
    slots: Vec<PluginSlot>,
    hooks: HookTable,
    carry: Carry,
    preempt: PreemptArgs,
    gang_preempt: GangEvictionArgs,
    gang_reclaim: GangEvictionArgs,
}

impl VolcanoScheduler {
    /// Builds every plugin once (argument errors surface here) with a tie-break stream `seed`;
    /// plugin arguments may name built-in resources only.
    pub fn new(name: &str, conf: &SchedulerConf, scan: NodeScan, seed: u64) -> Result<VolcanoScheduler, String> {
        Self::with_names(name, conf, scan, seed, &ScalarNames::NONE)
    }

    /// [`VolcanoScheduler::new`] for a scenario whose extended resources are `names`.
    pub fn with_names(
        name: &str,
        conf: &SchedulerConf,
        scan: NodeScan,
        seed: u64,
        names: &ScalarNames,
    ) -> Result<VolcanoScheduler, String> {
        let mut slots = Vec::new();
        for (tier, t) in conf.tiers.iter().enumerate() {
            for opt in &t.plugins {
                let plugin = plugins::build_with(opt, NameLookup::Strict(names))?;
                slots.push(PluginSlot { tier, option: opt.clone(), plugin });
            }
        }
        let hooks = HookTable::build(&slots);
        let preempt = PreemptArgs::parse(&conf.action_args("preempt"))?;
        let gang_preempt = GangEvictionArgs::parse("gangpreempt", &conf.action_args("gangpreempt"))?;
        let gang_reclaim = GangEvictionArgs::parse("gangreclaim", &conf.action_args("gangreclaim"))?;
        Ok(VolcanoScheduler {
            name: name.to_string(),
            actions: conf.actions.clone(),
            slots,
            hooks,
            preempt,
            gang_preempt,
            gang_reclaim,
            carry: Carry::new(seed, scan),
        })
    }
}

impl Scheduler for VolcanoScheduler {
    fn name(&self) -> &str {
        &self.name
    }

    fn pods_on_submit(&self) -> bool {
        false
    }

    fn cycle(&mut self, state: &mut ClusterState, now: SimTime) -> Decisions {
        let enqueue = self.actions.iter().any(|a| a == "enqueue");
        let mut ssn = Session::open(state, now, &mut self.slots, &self.hooks, &mut self.carry, enqueue);
        for action in &self.actions {
            ssn.evict_cause = match action.as_str() {
                "reclaim" | "gangreclaim" => EvictCause::Reclaim,
                "shuffle" => EvictCause::Shuffle,
                _ => EvictCause::Preempt,
            };
            match action.as_str() {
                "enqueue" => actions::enqueue::execute(&mut ssn),
                "allocate" => actions::allocate::execute(&mut ssn),
                "backfill" => actions::backfill::execute(&mut ssn),
                "preempt" => actions::preempt::execute(&mut ssn, &self.preempt),
                "reclaim" => actions::reclaim::execute(&mut ssn),
                "gangpreempt" => {
                    actions::gang_eviction::execute(&mut ssn, EvictionKind::GangPreempt, self.gang_preempt)
                }
                "gangreclaim" => {
                    actions::gang_eviction::execute(&mut ssn, EvictionKind::GangReclaim, self.gang_reclaim)
                }
                "shuffle" => actions::shuffle::execute(&mut ssn),
                other => unreachable!("conf validation admits only supported actions, got {other}"),
            }
        }
        ssn.close()
    }

    fn deserved(&self, queue: crate::model::QueueId) -> Option<crate::model::Resources> {
        self.slots.iter().find_map(|s| s.plugin.deserved(queue))
    }
}
