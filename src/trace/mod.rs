//! Workload traces: readers that turn files into [`crate::model::JobSpec`]s in submit order.

pub mod device_requests;
pub mod error;
pub mod native;
pub mod openb;

pub use error::TraceError;
