//! Workload traces: readers that turn files into [`crate::model::JobSpec`]s in submit order.

pub mod error;
pub mod native;

pub use error::TraceError;
