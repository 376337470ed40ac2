//! Metrics: the recorder that integrates over simulated time, and the end-of-run summary. The
//! definitions live in the doc comments of each file and are repeated in the README.

pub mod decision_log;
pub mod fairness;
pub mod fragmentation;
pub mod job_stats;
pub mod recorder;
pub mod recovery;
pub mod summary;

pub use decision_log::{DecisionLog, DecisionRow};
pub use fairness::FairnessRow;
pub use recorder::{QueueRow, Recorder, TimelineRow};
pub use summary::{Stats, Summary};
