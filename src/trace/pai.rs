//! Alibaba PAI 2020 (cluster-trace-gpu-v2020, NSDI'22 "MLaaS in the Wild"): the multi-table
//! trace, read as a folder (or any of its table files) holding `pai_job_table.csv` and
//! `pai_task_table.csv`. The published tables have no header row (the names are in `*.header`
//! files); a header row equal to the schema is accepted and skipped.
//!
//! ```text
//! pai_job_table:  job_name,inst_id,user,status,start_time,end_time
//! pai_task_table: job_name,task_name,inst_num,status,start_time,end_time,plan_cpu,plan_mem,plan_gpu,gpu_type
//! ```
//! One PAI job is one tephra job; each of its tasks is a role of `inst_num` pods (a gang).
//!
//! | tephra | column |
//! |---|---|
//! | submit time | job table `start_time` (seconds, the job's submission; shifted by a constant, time of day kept in UTC+8) |
//! | duration | latest task `end_time` − earliest task `start_time` |
//! | GPUs | task `plan_gpu` / 100 per pod, rounded up to whole GPUs (50 = half a GPU → 1) |
//! | tenant → queue | job table `user` |
//! | gang size | task `inst_num` pods per role |
//! | GPU model | task `gpu_type` (MISC, P100, T4, V100, V100M32; empty = any) |
//!
//! CPU per pod is `plan_cpu` / 100 cores, memory `plan_mem` GiB. Jobs with a task that never
//! started or never ended (Waiting/Running at trace end) are skipped and counted.
//!
//! Streaming: the job table is read once into an index of job name hash → (user, submit), about
//! 24 bytes a job; the task table is then streamed, and the tasks of one job must be on
//! consecutive rows (as published). Neither table is ever held whole. The instance table
//! (`pai_instance_table.csv`, where each pod ran) is not needed for jobs and is not read;
//! `pai_machine_spec.csv` describes the fleet ([`read_machine_spec`]).

use super::error::TraceError;
use super::fields::{Ctx, Header, count, gpu_model, next_record, number, seconds};
use super::record::{TraceJob, TraceRole};
use super::source::{Entries, Entry};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// Job table columns.
pub const JOB_COLUMNS: [&str; 6] = ["job_name", "inst_id", "user", "status", "start_time", "end_time"];
/// Task table columns.
pub const TASK_COLUMNS: [&str; 10] = [
    "job_name",
    "task_name",
    "inst_num",
    "status",
    "start_time",
    "end_time",
    "plan_cpu",
    "plan_mem",
    "plan_gpu",
    "gpu_type",
];
/// Machine spec columns.
pub const MACHINE_COLUMNS: [&str; 5] = ["machine", "gpu_type", "cap_cpu", "cap_mem", "cap_gpu"];
/// GPU types the trace uses.
pub const GPU_MODELS: [&str; 5] = ["MISC", "P100", "T4", "V100", "V100M32"];

/// The folder of a PAI trace given the folder or one of its files.
pub fn folder(path: &Path) -> PathBuf {
    if path.is_dir() { path.to_path_buf() } else { path.parent().map(Path::to_path_buf).unwrap_or_default() }
}

/// Whether `path` is (or sits in) a PAI 2020 trace folder.
pub fn is_pai(path: &Path) -> bool {
    let d = folder(path);
    let named = path.file_name().map(|n| n.to_string_lossy().starts_with("pai_")).unwrap_or(false);
    (path.is_dir() || named) && d.join("pai_task_table.csv").exists() && d.join("pai_job_table.csv").exists()
}

/// A hasher for keys that are already hashes ([`name_hash`]): passes the u64 through.
#[derive(Default)]
struct PassThrough(u64);

impl std::hash::Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | *b as u64;
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

type HashIndex<V> = HashMap<u64, V, std::hash::BuildHasherDefault<PassThrough>>;
type HashSeen = HashSet<u64, std::hash::BuildHasherDefault<PassThrough>>;

/// FNV-1a: a fixed hash of the job name, so the index needs no copy of the name.
pub(super) fn name_hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.as_bytes() {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A table reader, its current record and that record's line (`None` at the end).
type Table = (csv::Reader<BufReader<File>>, csv::StringRecord, Option<u64>);

/// Opens a headerless table, skipping a header row equal to `columns` if there is one.
fn open_table(path: &Path, cx: &Ctx, columns: &[&str]) -> Result<Table, TraceError> {
    let f = File::open(path).map_err(|e| cx.err(0, "file", e.to_string()))?;
    // Machine-written tables: no trimming (the number parsers trim what they read).
    let mut rdr =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(BufReader::with_capacity(1 << 20, f));
    let mut rec = csv::StringRecord::new();
    let mut first = next_record(&mut rdr, &mut rec, cx)?;
    if first.is_none() {
        return Err(cx.err(1, "row", "the file is empty"));
    }
    if rec.len() >= columns.len() && rec.iter().zip(columns).all(|(a, b)| a == *b) {
        first = next_record(&mut rdr, &mut rec, cx)?;
        if first.is_none() {
            return Err(cx.err(2, "row", "the file has no data rows"));
        }
    }
    Ok((rdr, rec, first))
}

fn optional(text: &str) -> Option<&str> {
    let t = text.trim();
    (!t.is_empty() && !t.eq_ignore_ascii_case("nan") && t != "\\N").then_some(t)
}

struct JobInfo {
    user: u32,
    submit: f64,
}

/// One task table row, parsed.
pub(super) struct TaskRow {
    pub(super) line: u64,
    pub(super) job: String,
    pub(super) task: String,
    pub(super) inst: u32,
    pub(super) start: Option<f64>,
    pub(super) end: Option<f64>,
    pub(super) cpu: Option<i64>,
    pub(super) mem: Option<i64>,
    pub(super) gpus: u32,
    pub(super) model: Option<String>,
}

/// The job of consecutive task rows (at least one) with its user and submit time (NaN when the
/// job table has none: the earliest task start is used).
pub(super) fn assemble(mut tasks: Vec<TaskRow>, user: &str, submit: f64) -> Entry {
    let line = tasks[0].line;
    if tasks.iter().any(|t| t.start.is_none() || t.end.is_none()) {
        return Entry::Skipped { line, reason: "a task never started or never ended" };
    }
    let start = tasks.iter().filter_map(|t| t.start).fold(f64::INFINITY, f64::min);
    let end = tasks.iter().filter_map(|t| t.end).fold(f64::NEG_INFINITY, f64::max);
    let id = std::mem::take(&mut tasks[0].job);
    let roles = tasks
        .into_iter()
        .map(|t| TraceRole {
            name: t.task,
            pods: t.inst,
            gpus_per_pod: t.gpus,
            gpu_model: t.model,
            cpu_milli: t.cpu.filter(|c| *c > 0),
            memory_bytes: t.mem.filter(|m| *m > 0),
            min_pods: None,
        })
        .collect();
    Entry::Job(TraceJob {
        id,
        submit_s: if submit.is_finite() { submit } else { start },
        duration_s: end - start,
        tenant: user.to_string(),
        priority: 0,
        roles,
        line,
    })
}

struct PaiEntries {
    rdr: csv::Reader<BufReader<File>>,
    rec: csv::StringRecord,
    cx: Ctx,
    index: HashIndex<JobInfo>,
    users: Vec<String>,
    pending: Option<TaskRow>,
    seen: HashSeen,
    done: bool,
}

impl PaiEntries {
    fn parse_task(&self, line: u64) -> Result<TaskRow, TraceError> {
        let (cx, rec) = (&self.cx, &self.rec);
        if rec.len() < TASK_COLUMNS.len() {
            Header::fixed(&TASK_COLUMNS).check_len(rec, line, cx)?;
        }
        let time = |i: usize| -> Result<Option<f64>, TraceError> {
            optional(&rec[i]).map(|t| seconds(cx, line, TASK_COLUMNS[i], t)).transpose()
        };
        let plan = |i: usize| -> Result<Option<f64>, TraceError> {
            let v = optional(&rec[i]).map(|t| number(cx, line, TASK_COLUMNS[i], t)).transpose()?;
            if v.is_some_and(|v| v < 0.0) {
                return Err(cx.err(line, TASK_COLUMNS[i], format!("`{}` is negative", &rec[i])));
            }
            Ok(v)
        };
        let (start, end) = (time(4)?, time(5)?);
        if let (Some(s), Some(e)) = (start, end)
            && e < s
        {
            return Err(cx.err(line, "end_time", format!("{e} is before start_time {s}")));
        }
        Ok(TaskRow {
            line,
            job: rec[0].to_string(),
            task: rec[1].to_string(),
            inst: count(cx, line, "inst_num", &rec[2], 1, 100_000)?,
            start,
            end,
            cpu: plan(6)?.map(|c| (c * 10.0).round() as i64),
            mem: plan(7)?.map(|m| (m * (1u64 << 30) as f64).round() as i64),
            gpus: plan(8)?.map(|g| (g / 100.0).ceil() as u32).unwrap_or(0),
            model: gpu_model(cx, line, "gpu_type", &rec[9], &GPU_MODELS)?,
        })
    }

    fn next_task(&mut self) -> Result<Option<TaskRow>, TraceError> {
        if let Some(t) = self.pending.take() {
            return Ok(Some(t));
        }
        loop {
            let Some(line) = next_record(&mut self.rdr, &mut self.rec, &self.cx)? else { return Ok(None) };
            if self.rec.len() == 1 && self.rec[0].is_empty() {
                continue;
            }
            return self.parse_task(line).map(Some);
        }
    }

    fn next_job(&mut self) -> Result<Option<Entry>, TraceError> {
        let Some(first) = self.next_task()? else { return Ok(None) };
        let hash = name_hash(&first.job);
        if !self.seen.insert(hash) {
            return Err(self.cx.err(
                first.line,
                "job_name",
                format!("the tasks of job `{}` are not on consecutive rows", first.job),
            ));
        }
        let mut tasks = vec![first];
        while let Some(t) = self.next_task()? {
            if t.job == tasks[0].job {
                tasks.push(t);
            } else {
                self.pending = Some(t);
                break;
            }
        }
        let head = &tasks[0];
        let info = self.index.get(&hash).ok_or_else(|| {
            self.cx.err(head.line, "job_name", format!("job `{}` is not in pai_job_table.csv", head.job))
        })?;
        Ok(Some(assemble(tasks, &self.users[info.user as usize], info.submit)))
    }
}

impl Iterator for PaiEntries {
    type Item = Result<Entry, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_job() {
            Ok(Some(e)) => Some(Ok(e)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Streams the jobs of a PAI 2020 trace folder.
pub fn open(path: &Path) -> Result<Entries, TraceError> {
    let dir = folder(path);
    let job_path = dir.join("pai_job_table.csv");
    let jcx = Ctx::new(&job_path);
    let (mut rdr, mut rec, mut line) = open_table(&job_path, &jcx, &JOB_COLUMNS)?;
    let mut index: HashIndex<JobInfo> = HashIndex::default();
    let mut users: Vec<String> = Vec::new();
    // Looked up, never iterated: ids follow file order.
    let mut user_ids: HashMap<String, u32> = HashMap::new();
    while let Some(l) = line {
        if rec.len() < JOB_COLUMNS.len() {
            Header::fixed(&JOB_COLUMNS).check_len(&rec, l, &jcx)?;
        }
        let user = match user_ids.get(&rec[2]) {
            Some(u) => *u,
            None => {
                users.push(rec[2].to_string());
                user_ids.insert(rec[2].to_string(), users.len() as u32 - 1);
                users.len() as u32 - 1
            }
        };
        let submit = optional(&rec[4]).map(|t| seconds(&jcx, l, "start_time", t)).transpose()?.unwrap_or(f64::NAN);
        if index.insert(name_hash(&rec[0]), JobInfo { user, submit }).is_some() {
            return Err(jcx.err(l, "job_name", format!("job `{}` is listed twice", &rec[0])));
        }
        line = next_record(&mut rdr, &mut rec, &jcx)?;
    }
    let task_path = dir.join("pai_task_table.csv");
    let cx = Ctx::new(&task_path);
    let (rdr, rec, first) = open_table(&task_path, &cx, &TASK_COLUMNS)?;
    let mut entries = PaiEntries { rdr, rec, cx, index, users, pending: None, seen: HashSeen::default(), done: false };
    if let Some(l) = first {
        entries.pending = Some(entries.parse_task(l)?);
    }
    Ok(Box::new(entries))
}

/// A group of identical machines from `pai_machine_spec.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct MachineGroup {
    /// GPU type (`CPU` for CPU-only machines).
    pub gpu_type: String,
    /// CPU cores per machine.
    pub cpu: u32,
    /// Memory per machine, GB.
    pub memory_gb: u32,
    /// GPUs per machine.
    pub gpus: u32,
    /// Machines.
    pub count: u32,
}

/// Reads `pai_machine_spec.csv` and groups identical machines (sorted by GPU type, then size):
/// the fleet's pools.
pub fn read_machine_spec(path: &Path) -> Result<Vec<MachineGroup>, TraceError> {
    let cx = Ctx::new(path);
    let (mut rdr, mut rec, mut line) = open_table(path, &cx, &MACHINE_COLUMNS)?;
    let mut groups: BTreeMap<(String, u32, u32, u32), u32> = BTreeMap::new();
    while let Some(l) = line {
        Header::fixed(&MACHINE_COLUMNS).check_len(&rec, l, &cx)?;
        let ty = rec[1].to_string();
        if ty != "CPU" {
            gpu_model(&cx, l, "gpu_type", &ty, &GPU_MODELS)?;
        }
        let cpu = count(&cx, l, "cap_cpu", &rec[2], 0, 100_000)?;
        let mem = count(&cx, l, "cap_mem", &rec[3], 0, 100_000_000)?;
        let gpus = count(&cx, l, "cap_gpu", &rec[4], 0, 1024)?;
        *groups.entry((ty, cpu, mem, gpus)).or_default() += 1;
        line = next_record(&mut rdr, &mut rec, &cx)?;
    }
    Ok(groups
        .into_iter()
        .map(|((gpu_type, cpu, memory_gb, gpus), count)| MachineGroup { gpu_type, cpu, memory_gb, gpus, count })
        .collect())
}
