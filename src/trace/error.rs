//! Errors from reading traces: always the file, the line and the field.

use thiserror::Error;

/// A trace that cannot be read as written.
#[derive(Debug, Error, PartialEq)]
#[error("{file}:{line}: {field}: {msg}")]
pub struct TraceError {
    /// File path as given.
    pub file: String,
    /// 1-based line number (the header is line 1).
    pub line: u64,
    /// Column name, or `row` for whole-row problems.
    pub field: String,
    /// What is wrong.
    pub msg: String,
}
