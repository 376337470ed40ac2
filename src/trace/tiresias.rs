//! Tiresias (NSDI'19) simulator job CSV (`60_job.csv`).
//!
//! ```text
//! job_id,num_gpu,submit_time,iterations,model_name,duration,interval
//! 0,1,0,606,vgg19,164,30
//! ```
//! | tephra | column |
//! |---|---|
//! | submit time | `submit_time` (seconds from trace start) |
//! | duration | `duration` (seconds) |
//! | GPUs | `num_gpu` (whole job) |
//! | tenant → queue | none: every job goes to `default` (the trace has one tenant) |
//! | gang size | `num_gpu` split into pods of at most 8 |
//! | GPU model | none |
//!
//! `model_name` becomes the role name; `iterations` and `interval` are ignored. Rows must be in
//! submit order (the simulator assumes it).

use super::error::TraceError;
use super::fields::{Ctx, Header, count, open_csv, seconds};
use super::record::{TraceJob, TraceRole};
use super::source::{CsvEntries, Entries, Entry, GPUS_PER_NODE, split_gang};
use std::path::Path;

/// The header the format starts with (used to detect it).
pub const HEADER: &str = "job_id,num_gpu,submit_time";

/// Streams the jobs of a Tiresias CSV.
pub fn open(path: &Path) -> Result<Entries, TraceError> {
    let cx = Ctx::new(path);
    let mut rdr = open_csv(path, &cx, true, b',')?;
    let header = Header::read(&mut rdr, &cx)?;
    let cols: Vec<usize> = ["job_id", "num_gpu", "submit_time", "model_name", "duration"]
        .iter()
        .map(|c| header.require(c, &cx))
        .collect::<Result<_, _>>()?;
    let map = move |rec: &csv::StringRecord, line: u64, cx: &Ctx| -> Result<Entry, TraceError> {
        let gpus = count(cx, line, "num_gpu", &rec[cols[1]], 0, 4096)?;
        let (pods, per) = split_gang(gpus, GPUS_PER_NODE);
        let name = if rec[cols[3]].is_empty() { "worker" } else { &rec[cols[3]] };
        Ok(Entry::Job(TraceJob {
            id: format!("tiresias-{}", &rec[cols[0]]),
            submit_s: seconds(cx, line, "submit_time", &rec[cols[2]])?,
            duration_s: seconds(cx, line, "duration", &rec[cols[4]])?,
            tenant: "default".into(),
            priority: 0,
            roles: vec![TraceRole::gpus(name, pods.max(1), per)],
            line,
        }))
    };
    Ok(Box::new(CsvEntries::new(rdr, cx, header, Some("submit_time"), Box::new(map))))
}
