//! `tephra check`: the regression gate a CI pipeline runs. A suite of scenarios is run over a few
//! seeds each, every gated metric's median over the seeds is compared with a committed baseline,
//! and a change counts as a regression only when it is worse than both the metric's tolerance and
//! the seed-to-seed noise (so a gate never fails on luck). Results come as a Markdown table for a
//! CI step summary, JUnit XML (one test case per scenario × metric) and JSON.

pub mod baseline;
pub mod measure;
pub mod metric;
pub mod output;
pub mod suite;
pub mod verdict;

pub use baseline::Baseline;
pub use metric::{Better, MetricSpec, Tolerance};
pub use suite::Suite;
pub use verdict::{Row, Verdict, compare};
