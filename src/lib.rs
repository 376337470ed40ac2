//! tephra: a discrete-event simulator and what-if analyzer for Volcano-style batch scheduling on
//! AI fleets.
//!
//! The crate is layered: [`model`] (data) ← [`sched`] (the scheduling core, which sees the cluster
//! and `now`, never the simulator) ← [`sim`] (events, fleet, job controller) ← [`cli`]. Traces,
//! scenarios, metrics and reports sit beside the simulator.

pub mod cli;
pub mod experiment;
pub mod gate;
pub mod k8s;
pub mod metrics;
pub mod model;
pub mod plan;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod sched;
pub mod sim;
pub mod sweep;
pub mod trace;
