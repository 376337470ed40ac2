//! Scheduler actions, run in the configured order inside one session.

pub mod allocate;
pub mod backfill;
pub mod enqueue;
pub mod eviction;
pub mod placement;
pub mod preempt;
pub mod reclaim;
pub mod shuffle;
