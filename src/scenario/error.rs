//! Scenario errors: the file, the line when known, and what is wrong.

use thiserror::Error;

/// A scenario that cannot be used as written.
#[derive(Debug, Error)]
pub enum ScenarioError {
    /// A problem at a known place.
    #[error("{file}:{line}: {msg}")]
    At {
        /// Scenario file.
        file: String,
        /// 1-based line.
        line: u64,
        /// What is wrong.
        msg: String,
    },
    /// A problem the YAML parser reported (its message carries line and column).
    #[error("{file}: {msg}")]
    Parse {
        /// Scenario file.
        file: String,
        /// Parser message.
        msg: String,
    },
    /// A referenced file (trace, scheduler conf) is bad.
    #[error("{0}")]
    Input(String),
}
