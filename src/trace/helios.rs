//! SenseTime Helios `cluster_log.csv` (HeliosData, one file per cluster: Earth, Saturn, Uranus,
//! Venus).
//!
//! ```text
//! job_id,user,vc,gpu_num,cpu_num,node_num,state,submit_time,start_time,end_time,duration,queue
//! ```
//! | tephra | column |
//! |---|---|
//! | submit time | `submit_time` (`YYYY-MM-DD HH:MM:SS`) |
//! | duration | `duration` (seconds of run time; `end_time - start_time`) |
//! | GPUs | `gpu_num` (whole job; 0 = CPU job) |
//! | tenant → queue | `vc` |
//! | gang size | `node_num` pods, `gpu_num / node_num` GPUs each (rounded up when uneven) and `cpu_num / node_num` CPUs |
//! | GPU model | none |
//!
//! `state` (COMPLETED, CANCELLED, FAILED, TIMEOUT, NODE_FAIL) is not filtered: every job ran for
//! its `duration`. `queue` (the observed wait) is ignored — the simulator produces its own.
//! Order is not checked.

use super::error::TraceError;
use super::fields::{Ctx, Header, count, open_csv, seconds, timestamp};
use super::record::{TraceJob, TraceRole};
use super::source::{CsvEntries, Entries, Entry};
use std::path::Path;

/// The header the format starts with (used to detect it).
pub const HEADER: &str = "job_id,user,vc,gpu_num,cpu_num,node_num,state,submit_time";

/// Streams the jobs of a Helios `cluster_log.csv`.
pub fn open(path: &Path) -> Result<Entries, TraceError> {
    let cx = Ctx::new(path);
    let mut rdr = open_csv(path, &cx, true, b',')?;
    let header = Header::read(&mut rdr, &cx)?;
    let cols: Vec<usize> = ["job_id", "vc", "gpu_num", "cpu_num", "node_num", "submit_time", "duration"]
        .iter()
        .map(|c| header.require(c, &cx))
        .collect::<Result<_, _>>()?;
    let map = move |rec: &csv::StringRecord, line: u64, cx: &Ctx| -> Result<Entry, TraceError> {
        let gpus = count(cx, line, "gpu_num", &rec[cols[2]], 0, 100_000)?;
        let cpus = count(cx, line, "cpu_num", &rec[cols[3]], 0, 1_000_000)?;
        let nodes = count(cx, line, "node_num", &rec[cols[4]], 0, 10_000)?.max(1);
        let mut role = TraceRole::gpus("worker", nodes, gpus.div_ceil(nodes));
        if cpus > 0 {
            role.cpu_milli = Some(cpus.div_ceil(nodes) as i64 * 1000);
        }
        Ok(Entry::Job(TraceJob {
            id: rec[cols[0]].to_string(),
            submit_s: timestamp(cx, line, "submit_time", &rec[cols[5]])?,
            duration_s: seconds(cx, line, "duration", &rec[cols[6]])?,
            tenant: rec[cols[1]].to_string(),
            priority: 0,
            roles: vec![role],
            line,
        }))
    };
    Ok(Box::new(CsvEntries::new(rdr, cx, header, None, Box::new(map))))
}
