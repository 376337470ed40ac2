//! Scenarios: one YAML file that says everything about a run (fleet, queues, workload, policy,
//! run settings), validated with errors that name the file and line.

pub mod error;
pub mod extended_requests;
pub mod faults;
pub mod load;
pub mod node_list;
pub mod schema;
pub mod topology;

pub use error::ScenarioError;
pub use load::{Policy, RunSettings, Scenario, load};
