//! `shuffle` (`actions/shuffle/shuffle.go`): every Running task is offered to the plugins'
//! VictimTasks (rescheduling, tdm), and each task they name is evicted at once — for no preemptor:
//! the pod goes back to Pending after its grace period and is placed again like any other.

use crate::model::{TaskId, TaskStatus};
use crate::sched::session::Session;

/// Runs the action.
pub fn execute(ssn: &mut Session) {
    let running: Vec<TaskId> = ssn
        .state
        .active
        .iter()
        .flat_map(|j| ssn.state.jobs[j.idx()].task_ids())
        .filter(|t| ssn.state.tasks[t.idx()].status == TaskStatus::Running)
        .collect();
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
