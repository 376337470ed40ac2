//! `shuffle` (`actions/shuffle/shuffle.go`): every Running task is offered to the plugins'
//! VictimTasks (rescheduling, tdm), and each task they name is evicted at once — for no preemptor:
//! the pod goes back to Pending after its grace period and is placed again like any other.

use crate::model::{TaskId, TaskStatus};
use crate::sched::conf::Hook;
use crate::sched::session::Session;

/// Runs the action.
pub fn execute(ssn: &mut Session) {
    if ssn.hooks.slots(Hook::VictimTasks).is_empty() {
        return;
    }
    let mut running: Vec<TaskId> = ssn
        .state
        .node_tasks
        .iter()
        .flatten()
        .copied()
        .filter(|t| ssn.state.tasks[t.idx()].status == TaskStatus::Running)
        .collect();
    running.sort_unstable();
    if running.is_empty() {
        return;
    }
    for victim in ssn.victim_tasks(&running) {
        // A plugin may name a task it found on a node; only a Running one can be evicted.
        if ssn.state.tasks[victim.idx()].status == TaskStatus::Running {
            ssn.evict_now(victim);
        }
    }
}

#[cfg(test)]
mod tests {
    //! VictimTasks' combination rule (`session_plugins.go`): union within a tier, the first tier
    //! with any victim decides, `enabledVictim: false` silences a plugin.

    use crate::model::{ClusterState, Pool, Queue, QueueId, Resources, TaskId};
    use crate::sched::conf::{Hook, PluginOption};
    use crate::sched::node_scan::NodeScan;
    use crate::sched::plugin::Plugin;
    use crate::sched::session::{Carry, HookTable, PluginSlot, Session};

    struct Names(Vec<u32>);

    impl Plugin for Names {
        fn name(&self) -> &'static str {
            "names"
        }
        fn hooks(&self) -> &'static [Hook] {
            &[Hook::VictimTasks]
        }
        fn victim_tasks(&self, _: &ClusterState, _: &[TaskId]) -> Vec<TaskId> {
            self.0.iter().map(|i| TaskId(*i)).collect()
        }
    }

    /// Victims from plugins given as (tier, names, enabled).
    fn victims(plugins: &[(usize, &[u32], bool)]) -> Vec<u32> {
        let mut slots: Vec<PluginSlot> = plugins
            .iter()
            .map(|(tier, names, on)| {
                let option = if *on {
                    PluginOption::named("names")
                } else {
                    serde_saphyr::from_str("name: names\nenabledVictim: false\n").unwrap()
                };
                PluginSlot { tier: *tier, option, plugin: Box::new(Names(names.to_vec())) }
            })
            .collect();
        let hooks = HookTable::build(&slots);
        let pool = Pool::plain("p", Resources::new(1000, 1000), 10);
        let mut st = ClusterState::new(vec![(pool, 1)], vec![Queue::new(QueueId(0), "q")]);
        let mut carry = Carry::new(1, NodeScan::Exhaustive);
        let ssn = Session::open(&mut st, crate::model::SimTime(0), &mut slots, &hooks, &mut carry, true);
        ssn.victim_tasks(&[]).into_iter().map(|t| t.0).collect()
    }

    #[test]
    fn first_tier_with_victims_decides_by_union() {
        assert_eq!(victims(&[]), Vec::<u32>::new());
        assert_eq!(victims(&[(0, &[3, 1], true), (0, &[2, 3], true), (1, &[7], true)]), vec![1, 2, 3]);
        assert_eq!(victims(&[(0, &[], true), (1, &[7], true), (1, &[5], true)]), vec![5, 7]);
        assert_eq!(victims(&[(0, &[4], false), (1, &[7], true)]), vec![7]);
    }
}
