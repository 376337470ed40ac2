//! `tephra plan`: capacity planning. Vary fleet parameters (node counts per pool, queue weights
//! and guarantees) over ranges, run each candidate fleet over several seeds, and find the cheapest
//! one whose median metrics meet an objective (`p95_queue_delay <= 1h`) and constraints; optionally
//! again for faster arrivals (`--growth 1.2,1.5`: "when do we need more nodes"). Built on
//! [`crate::experiment`] (`--set` overrides, parallel seeded runs).

pub mod report;
pub mod search;
pub mod spec;

pub use search::{GrowthResult, Method, PlanSpec, Point, search};
pub use spec::{Constraint, Variable, parse_constraint, parse_vary};
