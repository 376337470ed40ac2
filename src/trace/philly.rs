//! Microsoft Philly, flattened CSV (the Pollux artifact's `philly.csv`).
//!
//! ```text
//! timestamp,duration,num_gpus,gpu_time,cluster
//! 2017-10-09 07:01:55,66.0,1,66.0,11cb48
//! ```
//! | tephra | column |
//! |---|---|
//! | submit time | `timestamp` (`YYYY-MM-DD HH:MM:SS`, Philly local time, kept as written) |
//! | duration | `duration` (seconds) |
//! | GPUs | `num_gpus` (whole job) |
//! | tenant → queue | `cluster` (the virtual cluster hash) |
//! | gang size | `num_gpus` split into pods of at most 8 ([`super::source::split_gang`]) |
//! | GPU model | none (the trace has no model column) |
//!
//! `gpu_time` is ignored (it is `duration × num_gpus`). Rows are not in submit order in the
//! published file, so order is not checked. Job ids are `philly-<line>`.

use super::error::TraceError;
use super::fields::{Ctx, Header, count, open_csv, seconds, timestamp};
use super::record::{TraceJob, TraceRole};
use super::source::{CsvEntries, Entries, Entry, GPUS_PER_NODE, split_gang};
use std::path::Path;

/// The header the format starts with (used to detect it).
pub const HEADER: &str = "timestamp,duration,num_gpus,gpu_time,cluster";

/// Streams the jobs of a flattened Philly CSV.
pub fn open(path: &Path) -> Result<Entries, TraceError> {
    let cx = Ctx::new(path);
    let mut rdr = open_csv(path, &cx, true, b',')?;
    let header = Header::read(&mut rdr, &cx)?;
    let (t, d, g, c) = (
        header.require("timestamp", &cx)?,
        header.require("duration", &cx)?,
        header.require("num_gpus", &cx)?,
        header.require("cluster", &cx)?,
    );
    let map = move |rec: &csv::StringRecord, line: u64, cx: &Ctx| -> Result<Entry, TraceError> {
        let gpus = count(cx, line, "num_gpus", &rec[g], 0, 4096)?;
        let (pods, per) = split_gang(gpus, GPUS_PER_NODE);
        Ok(Entry::Job(TraceJob {
            id: format!("philly-{line}"),
            submit_s: timestamp(cx, line, "timestamp", &rec[t])?,
            duration_s: seconds(cx, line, "duration", &rec[d])?,
            tenant: rec[c].to_string(),
            priority: 0,
            roles: vec![TraceRole::gpus("worker", pods.max(1), per)],
            line,
        }))
    };
    Ok(Box::new(CsvEntries::new(rdr, cx, header, None, Box::new(map))))
}
