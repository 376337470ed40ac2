//! Microsoft Philly, original job log (`cluster_job_log` from msr-fiddle/philly-traces): one JSON
//! array of jobs.
//!
//! ```text
//! [{"status": "Pass", "vc": "6214e9", "jobid": "application_1506638472019_10238",
//!   "submitted_time": "2017-10-03 08:16:04", "user": "...",
//!   "attempts": [{"start_time": "2017-10-03 08:16:10", "end_time": "2017-10-03 09:02:41",
//!                 "detail": [{"ip": "m1", "gpus": ["gpu0", "gpu1"]}]}]}, ...]
//! ```
//! | tephra | field |
//! |---|---|
//! | submit time | `submitted_time` (`YYYY-MM-DD HH:MM:SS`) |
//! | duration | last attempt's `end_time` − first attempt's `start_time` (retries included, as Jeon et al. count run time) |
//! | GPUs | GPUs listed in the first attempt's `detail` (all hosts) |
//! | tenant → queue | `vc` |
//! | gang size | one pod per host in the first attempt's `detail`, each with the most GPUs any host had |
//! | GPU model | none |
//!
//! Jobs without attempts, or whose start/end is missing (`null`, `"None"`), never ran to an end in
//! the trace and are skipped (counted). `status` (Pass/Killed/Failed) is not filtered.
//! The array is parsed element by element on a reader thread: the file is never held whole.
//! Errors point at the line where the job's JSON ends.

use super::error::TraceError;
use super::fields::{Ctx, parse_timestamp};
use super::record::{TraceJob, TraceRole};
use super::source::{Entries, Entry};
use serde::Deserialize;
use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use std::cell::Cell;
use std::io::Read;
use std::path::Path;
use std::rc::Rc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

#[derive(Deserialize)]
struct Job {
    #[serde(default)]
    vc: Option<String>,
    #[serde(default)]
    jobid: Option<String>,
    #[serde(default)]
    submitted_time: Option<String>,
    #[serde(default)]
    attempts: Vec<Attempt>,
}

#[derive(Deserialize)]
struct Attempt {
    #[serde(default)]
    start_time: Option<String>,
    #[serde(default)]
    end_time: Option<String>,
    #[serde(default)]
    detail: Vec<Detail>,
}

#[derive(Deserialize)]
struct Detail {
    #[serde(default)]
    gpus: Vec<String>,
}

/// Counts the lines the JSON parser has consumed.
struct LineCount<R> {
    inner: R,
    line: Rc<Cell<u64>>,
}

impl<R: Read> Read for LineCount<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let nl = buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
        self.line.set(self.line.get() + nl);
        Ok(n)
    }
}

fn to_entry(job: Job, index: u64, line: u64, cx: &Ctx) -> Result<Entry, TraceError> {
    let id = job.jobid.clone().unwrap_or_else(|| format!("philly-job-{index}"));
    let submit_text = job.submitted_time.as_deref().unwrap_or("");
    let submit = parse_timestamp(submit_text).ok_or_else(|| {
        cx.err(line, "submitted_time", format!("job `{id}`: `{submit_text}` is not a timestamp (YYYY-MM-DD HH:MM:SS)"))
    })?;
    let ts = |t: &Option<String>| t.as_deref().and_then(parse_timestamp);
    let (Some(first), Some(last)) = (job.attempts.first(), job.attempts.last()) else {
        return Ok(Entry::Skipped { line, reason: "no attempts" });
    };
    let (Some(start), Some(end)) = (ts(&first.start_time), ts(&last.end_time)) else {
        return Ok(Entry::Skipped { line, reason: "attempt without start or end time" });
    };
    if end < start {
        return Err(cx.err(line, "end_time", format!("job `{id}`: the last attempt ends before the first starts")));
    }
    let hosts = first.detail.len().max(1) as u32;
    let per = first.detail.iter().map(|d| d.gpus.len() as u32).max().unwrap_or(0);
    Ok(Entry::Job(TraceJob {
        id,
        submit_s: submit,
        duration_s: end - start,
        tenant: job.vc.unwrap_or_default(),
        priority: 0,
        roles: vec![TraceRole::gpus("worker", hosts, per)],
        line,
    }))
}

struct EachJob<'a> {
    tx: &'a SyncSender<Result<Entry, TraceError>>,
    line: Rc<Cell<u64>>,
    cx: &'a Ctx,
}

impl<'de> Visitor<'de> for EachJob<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON array of Philly jobs")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0u64;
        while let Some(job) = seq.next_element::<Job>()? {
            index += 1;
            let entry = to_entry(job, index, self.line.get(), self.cx);
            let stop = entry.is_err();
            if self.tx.send(entry).is_err() || stop {
                return Ok(());
            }
        }
        if index == 0 {
            let _ = self.tx.send(Err(self.cx.err(1, "row", "the job array is empty")));
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for EachJob<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

struct Channel(Receiver<Result<Entry, TraceError>>);

impl Iterator for Channel {
    type Item = Result<Entry, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.recv().ok()
    }
}

/// Whether a file looks like a JSON job log (its first non-blank byte is `[`).
pub fn looks_like(head: &[u8]) -> bool {
    head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[')
}

/// Streams the jobs of a Philly JSON job log.
pub fn open(path: &Path) -> Result<Entries, TraceError> {
    let cx = Ctx::new(path);
    let f = std::fs::File::open(path).map_err(|e| cx.err(0, "file", e.to_string()))?;
    let (tx, rx) = sync_channel(1024);
    std::thread::spawn(move || {
        let line = Rc::new(Cell::new(1));
        let reader = LineCount { inner: std::io::BufReader::new(f), line: line.clone() };
        let mut de = serde_json::Deserializer::from_reader(reader);
        let r = EachJob { tx: &tx, line: line.clone(), cx: &cx }.deserialize(&mut de);
        if let Err(e) = r.and_then(|_| de.end()) {
            let field = if e.is_eof() && e.line() <= 1 { "row" } else { "json" };
            let msg = if e.is_eof() && e.line() <= 1 { "the file is empty".to_string() } else { e.to_string() };
            let _ = tx.send(Err(cx.err(e.line() as u64, field, msg)));
        }
    });
    Ok(Box::new(Channel(rx)))
}
