//! The simulator: event queue, admission, job controller, pod lifecycle and progress. It owns the
//! clock; the scheduler only sees `now`.

pub mod admission;
pub mod engine;
pub mod faults;
pub mod inflate;
pub mod simulation;

pub use simulation::{Perf, Simulation, TERMINATION_GRACE, resolve_queues};
