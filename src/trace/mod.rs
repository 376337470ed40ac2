//! Workload traces: readers that turn files into [`crate::model::JobSpec`]s in submit order.
//!
//! tephra's own format is [`native`]. Public traces each have a reader module with its column
//! mapping in the module doc; they all yield the format-neutral [`record::TraceJob`] through
//! [`source::Entries`], so `tephra trace inspect|convert` and scenarios (`workload.format`) treat
//! every format the same way. [`format::detect`] recognises a file by its header.

pub mod device_requests;
pub mod dlrm;
pub mod error;
pub mod fields;
pub mod format;
pub mod gavel;
pub mod helios;
pub mod load;
pub mod native;
pub mod openb;
pub mod pai;
#[cfg(feature = "analytics")]
pub mod pai_polars;
pub mod philly;
pub mod philly_json;
pub mod record;
pub mod sia;
pub mod source;
pub mod stats;
pub mod synth;
pub mod tiresias;
pub mod write;

pub use error::TraceError;
pub use format::Format;
