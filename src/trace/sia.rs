//! Pollux (OSDI'21) and Sia (SOSP'23) workload CSVs (`workload-N.csv`).
//!
//! ```text
//! name,time,application,num_replicas,batch_size
//! bert-0,163.661794,bert,6,384
//! ```
//! | tephra | column |
//! |---|---|
//! | submit time | `time` (seconds from the window start) |
//! | duration | not in the file: derived from `application` (see below) |
//! | GPUs | `num_replicas` (whole job; Pollux/Sia treat it as the initial, adaptive size) |
//! | tenant → queue | none: every job goes to `default` |
//! | gang size | `num_replicas` split into pods of at most 8 |
//! | GPU model | none |
//!
//! Durations: Pollux's `workload.py` chose each job's application by the GPU-time class of the
//! Philly job it sampled (< 1 h: cifar10, ncf; 1–10 h: deepspeech2, bert; 10–100 h: yolov3;
//! 100–1000 h: imagenet; jobs ≥ 60 s). The real run time needs Pollux's throughput profiles,
//! which are not part of the workload files, so tephra gives each job its class's geometric
//! midpoint GPU-time ([`class_gpu_seconds`]) divided by `num_replicas`. This is an assumption, not
//! data: use it for arrival and size patterns. Rows must be in submit order.

use super::error::TraceError;
use super::fields::{Ctx, Header, count, open_csv, seconds};
use super::record::{TraceJob, TraceRole};
use super::source::{CsvEntries, Entries, Entry, GPUS_PER_NODE, split_gang};
use std::path::Path;

/// The header the format has (used to detect it).
pub const HEADER: &str = "name,time,application,num_replicas,batch_size";

/// The GPU-seconds tephra assumes for an application: the geometric midpoint of its Pollux
/// GPU-time class (`sqrt(lo × hi)`, with the < 1 h class starting at 60 GPU-s).
pub fn class_gpu_seconds(app: &str) -> Option<f64> {
    let (lo, hi): (f64, f64) = match app {
        "cifar10" | "ncf" => (60.0, 3600.0),
        "deepspeech2" | "bert" => (3600.0, 36_000.0),
        "yolov3" => (36_000.0, 360_000.0),
        "imagenet" => (360_000.0, 3_600_000.0),
        _ => return None,
    };
    Some((lo * hi).sqrt())
}

/// Streams the jobs of a Pollux/Sia workload CSV.
pub fn open(path: &Path) -> Result<Entries, TraceError> {
    let cx = Ctx::new(path);
    let mut rdr = open_csv(path, &cx, true, b',')?;
    let header = Header::read(&mut rdr, &cx)?;
    let cols: Vec<usize> = ["name", "time", "application", "num_replicas"]
        .iter()
        .map(|c| header.require(c, &cx))
        .collect::<Result<_, _>>()?;
    let map = move |rec: &csv::StringRecord, line: u64, cx: &Ctx| -> Result<Entry, TraceError> {
        let gpus = count(cx, line, "num_replicas", &rec[cols[3]], 1, 4096)?;
        let app = &rec[cols[2]];
        let gpu_s = class_gpu_seconds(app).ok_or_else(|| {
            cx.err(
                line,
                "application",
                format!("unknown application `{app}` (known: cifar10, ncf, deepspeech2, bert, yolov3, imagenet)"),
            )
        })?;
        let (pods, per) = split_gang(gpus, GPUS_PER_NODE);
        Ok(Entry::Job(TraceJob {
            id: rec[cols[0]].to_string(),
            submit_s: seconds(cx, line, "time", &rec[cols[1]])?,
            duration_s: gpu_s / gpus as f64,
            tenant: "default".into(),
            priority: 0,
            roles: vec![TraceRole::gpus(app, pods, per)],
            line,
        }))
    };
    Ok(Box::new(CsvEntries::new(rdr, cx, header, Some("time"), Box::new(map))))
}
