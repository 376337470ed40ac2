//! Scheduler actions, run in the configured order inside one session.

pub mod allocate;
pub mod allocate_topology;
pub mod backfill;
pub mod bundle;
pub mod enqueue;
pub mod eviction;
pub mod gang_eviction;
pub mod placement;
pub mod preempt;
pub mod preempt_topology;
pub mod reclaim;
pub mod shuffle;
