//! Alibaba cluster-trace-gpu-v2025: GPU-disaggregated DLRM inference instances (NSDI'25 Prism).
//!
//! ```text
//! instance_sn,role,app_name,cpu_request,cpu_limit,gpu_request,gpu_limit,rdma_request,rdma_limit,
//! memory_request,memory_limit,disk_request,disk_limit,max_instance_per_node,creation_time,
//! scheduled_time,deletion_time
//! ```
//! Each row is one long-running inference instance; tephra makes it a one-pod job.
//!
//! | tephra | column |
//! |---|---|
//! | submit time | `creation_time` (seconds from trace start; empty/NaN = before the start → 0) |
//! | duration | `deletion_time - creation_time`; empty/NaN deletion = alive at the end → until the trace's last timestamp |
//! | GPUs | `gpu_request` (0 for CN instances, 1 for HN) |
//! | tenant → queue | `app_name` |
//! | gang size | 1 |
//! | GPU model | none |
//!
//! `role` (CN/HN) is the role name; `cpu_request` (vCPU) and `memory_request` (GiB) are the pod's
//! request. RDMA and the per-node anti-affinity cap are not modelled. The file is read twice,
//! streaming both times: once for the last timestamp, once for the jobs. Order is not checked.

use super::error::TraceError;
use super::fields::{Ctx, Header, count, next_record, number, open_csv, seconds};
use super::record::{TraceJob, TraceRole};
use super::source::{CsvEntries, Entries, Entry};
use std::path::Path;

/// The header the format starts with (used to detect it).
pub const HEADER: &str = "instance_sn,role,app_name,cpu_request";

fn optional_time(cx: &Ctx, line: u64, field: &str, text: &str) -> Result<Option<f64>, TraceError> {
    let t = text.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("nan") {
        return Ok(None);
    }
    seconds(cx, line, field, t).map(Some)
}

/// Streams the instances of a DLRM trace as jobs.
pub fn open(path: &Path) -> Result<Entries, TraceError> {
    let cx = Ctx::new(path);
    let names = [
        "instance_sn",
        "role",
        "app_name",
        "cpu_request",
        "gpu_request",
        "memory_request",
        "creation_time",
        "scheduled_time",
        "deletion_time",
    ];
    // Pass 1: the last timestamp, for instances still alive at the end.
    let mut rdr = open_csv(path, &cx, true, b',')?;
    let header = Header::read(&mut rdr, &cx)?;
    let cols: Vec<usize> = names.iter().map(|c| header.require(c, &cx)).collect::<Result<_, _>>()?;
    let mut rec = csv::StringRecord::new();
    let mut end = 0.0f64;
    while let Some(line) = next_record(&mut rdr, &mut rec, &cx)? {
        header.check_len(&rec, line, &cx)?;
        for i in 6..9 {
            if let Some(t) = optional_time(&cx, line, names[i], &rec[cols[i]])? {
                end = end.max(t);
            }
        }
    }
    let mut rdr = open_csv(path, &cx, true, b',')?;
    Header::read(&mut rdr, &cx)?;
    let map = move |rec: &csv::StringRecord, line: u64, cx: &Ctx| -> Result<Entry, TraceError> {
        let created = optional_time(cx, line, "creation_time", &rec[cols[6]])?.unwrap_or(0.0);
        let deleted = optional_time(cx, line, "deletion_time", &rec[cols[8]])?.unwrap_or(end);
        if deleted < created {
            return Err(cx.err(line, "deletion_time", format!("{deleted} is before creation_time {created}")));
        }
        let cpu = number(cx, line, "cpu_request", &rec[cols[3]])?;
        let mem = number(cx, line, "memory_request", &rec[cols[5]])?;
        if cpu < 0.0 || mem < 0.0 {
            return Err(cx.err(line, if cpu < 0.0 { "cpu_request" } else { "memory_request" }, "negative request"));
        }
        let mut role = TraceRole::gpus(&rec[cols[1]], 1, count(cx, line, "gpu_request", &rec[cols[4]], 0, 64)?);
        role.cpu_milli = Some((cpu * 1000.0).round() as i64);
        role.memory_bytes = Some((mem * (1u64 << 30) as f64).round() as i64);
        Ok(Entry::Job(TraceJob {
            id: rec[cols[0]].to_string(),
            submit_s: created,
            duration_s: deleted - created,
            tenant: rec[cols[2]].to_string(),
            priority: 0,
            roles: vec![role],
            line,
        }))
    };
    Ok(Box::new(CsvEntries::new(rdr, cx, header, None, Box::new(map))))
}
