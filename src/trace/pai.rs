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
//! | GPUs | task `plan_gpu` / 100 per pod: below 100 a share of one GPU (50 = half a card, run as a GPU-sharing pod), above it whole GPUs rounded up (150 → 2) |
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

/// One job table row, in file order: the job name's hash, its user and submit time (NaN when
/// missing), and whether the task table's rows of the job were read.
struct JobInfo {
    hash: u64,
    submit: f64,
    user: u32,
    seen: bool,
}

/// The job table as read, in file order, about 24 bytes a job.
///
/// Lookups by name hash walk a cursor through the rows: when the task table lists the jobs in the
/// job table's order (as `scripts/gen_pai_trace.py` writes them), every lookup is the next row —
/// sequential memory instead of a cache miss into a million-entry hash table (that miss was a
/// sixth of the load time). The first lookup that misses builds a hash map of all rows, which
/// serves any other order; the cursor then continues after the row found.
struct JobIndex {
    rows: Vec<JobInfo>,
    users: Vec<String>,
    by_hash: Option<HashIndex<u32>>,
    cursor: usize,
}

impl JobIndex {
    /// The row of the job whose name hashes to `hash`.
    fn find(&mut self, hash: u64) -> Option<usize> {
        if self.rows.get(self.cursor).is_some_and(|r| r.hash == hash) {
            self.cursor += 1;
            return Some(self.cursor - 1);
        }
        let rows = &self.rows;
        let map = self.by_hash.get_or_insert_with(|| {
            let mut m = HashIndex::with_capacity_and_hasher(rows.len(), Default::default());
            m.extend(rows.iter().enumerate().map(|(i, r)| (r.hash, i as u32)));
            m
        });
        let i = *map.get(&hash)? as usize;
        self.cursor = i + 1;
        Some(i)
    }
}

/// Whether two rows have the same name hash: a sort of the hashes instead of a set insert per
/// row (a million random writes).
fn has_duplicate(rows: &[JobInfo]) -> bool {
    let mut h: Vec<u64> = rows.iter().map(|r| r.hash).collect();
    h.sort_unstable();
    h.windows(2).any(|w| w[0] == w[1])
}

/// The error for the first job table row that repeats an earlier job, found by reading the table
/// again (only when [`has_duplicate`] said there is one).
fn first_duplicate(path: &Path, cx: &Ctx) -> TraceError {
    let find = || -> Result<TraceError, TraceError> {
        let (mut rdr, mut rec, mut line) = open_table(path, cx, &JOB_COLUMNS)?;
        let mut seen = HashSeen::default();
        while let Some(l) = line {
            if !seen.insert(name_hash(&rec[0])) {
                return Ok(cx.err(l, "job_name", format!("job `{}` is listed twice", &rec[0])));
            }
            line = next_record(&mut rdr, &mut rec, cx)?;
        }
        Ok(cx.err(0, "job_name", "a job is listed twice"))
    };
    find().unwrap_or_else(|e| e)
}

/// Reads `pai_job_table.csv` into a [`JobIndex`]. Errors come in file order: a repeated job
/// before a bad row after it.
fn read_job_table(path: &Path) -> Result<JobIndex, TraceError> {
    let cx = Ctx::new(path);
    let mut rows: Vec<JobInfo> = Vec::new();
    let mut users: Vec<String> = Vec::new();
    // Looked up, never iterated: ids follow file order.
    let mut user_ids: HashMap<String, u32> = HashMap::new();
    let mut read = || -> Result<(), TraceError> {
        let (mut rdr, mut rec, mut line) = open_table(path, &cx, &JOB_COLUMNS)?;
        while let Some(l) = line {
            if rec.len() < JOB_COLUMNS.len() {
                Header::fixed(&JOB_COLUMNS).check_len(&rec, l, &cx)?;
            }
            let user = match user_ids.get(&rec[2]) {
                Some(u) => *u,
                None => {
                    users.push(rec[2].to_string());
                    user_ids.insert(rec[2].to_string(), users.len() as u32 - 1);
                    users.len() as u32 - 1
                }
            };
            let submit = optional(&rec[4]).map(|t| seconds(&cx, l, "start_time", t)).transpose()?.unwrap_or(f64::NAN);
            rows.push(JobInfo { hash: name_hash(&rec[0]), submit, user, seen: false });
            line = next_record(&mut rdr, &mut rec, &cx)?;
        }
        Ok(())
    };
    let read = read();
    if has_duplicate(&rows) {
        return Err(first_duplicate(path, &cx));
    }
    read?;
    Ok(JobIndex { rows, users, by_hash: None, cursor: 0 })
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
    /// GPUs per pod in milli-GPUs ([`plan_gpu_milli`]).
    pub(super) gpu_milli: u32,
    pub(super) model: Option<String>,
}

/// `plan_gpu` (100 = one GPU) in milli-GPUs; a positive request never becomes 0.
pub(super) fn plan_gpu_milli(plan_gpu: f64) -> u32 {
    if plan_gpu > 0.0 { ((plan_gpu * 10.0).round() as u32).max(1) } else { 0 }
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
            // Below one GPU a share of one card (a GPU-sharing pod); above, whole cards.
            gpus_per_pod: t.gpu_milli.div_ceil(1000),
            gpu_share: (1..1000).contains(&t.gpu_milli).then_some(t.gpu_milli as u16),
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
    jobs: JobIndex,
    /// The first row of the next job (its `job` set), read while looking for the current job's end.
    pending: Option<TaskRow>,
    done: bool,
}

impl PaiEntries {
    /// Parses the current record; `job` is left empty (only a job's first row needs the name).
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
            job: String::new(),
            task: rec[1].to_string(),
            inst: count(cx, line, "inst_num", &rec[2], 1, 100_000)?,
            start,
            end,
            cpu: plan(6)?.map(|c| (c * 10.0).round() as i64),
            mem: plan(7)?.map(|m| (m * (1u64 << 30) as f64).round() as i64),
            gpu_milli: plan(8)?.map(plan_gpu_milli).unwrap_or(0),
            model: gpu_model(cx, line, "gpu_type", &rec[9], &GPU_MODELS)?,
        })
    }

    /// Reads the next non-empty record; its line.
    fn next_row(&mut self) -> Result<Option<u64>, TraceError> {
        loop {
            let Some(line) = next_record(&mut self.rdr, &mut self.rec, &self.cx)? else { return Ok(None) };
            if !(self.rec.len() == 1 && self.rec[0].is_empty()) {
                return Ok(Some(line));
            }
        }
    }

    /// Parses the current record as the first row of a job.
    fn first_task(&self, line: u64) -> Result<TaskRow, TraceError> {
        let mut t = self.parse_task(line)?;
        t.job = self.rec[0].to_string();
        Ok(t)
    }

    fn next_job(&mut self) -> Result<Option<Entry>, TraceError> {
        let Some(first) = self.pending.take() else { return Ok(None) };
        let pos = self.jobs.find(name_hash(&first.job));
        if let Some(i) = pos
            && std::mem::replace(&mut self.jobs.rows[i].seen, true)
        {
            return Err(self.cx.err(
                first.line,
                "job_name",
                format!("the tasks of job `{}` are not on consecutive rows", first.job),
            ));
        }
        let mut tasks = vec![first];
        while let Some(line) = self.next_row()? {
            if self.rec[0] == *tasks[0].job {
                tasks.push(self.parse_task(line)?);
            } else {
                self.pending = Some(self.first_task(line)?);
                break;
            }
        }
        let Some(i) = pos else {
            let head = &tasks[0];
            return Err(self.cx.err(head.line, "job_name", format!("job `{}` is not in pai_job_table.csv", head.job)));
        };
        let info = &self.jobs.rows[i];
        Ok(Some(assemble(tasks, &self.jobs.users[info.user as usize], info.submit)))
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
    let jobs = read_job_table(&dir.join("pai_job_table.csv"))?;
    let task_path = dir.join("pai_task_table.csv");
    let cx = Ctx::new(&task_path);
    let (rdr, rec, first) = open_table(&task_path, &cx, &TASK_COLUMNS)?;
    let mut entries = PaiEntries { rdr, rec, cx, jobs, pending: None, done: false };
    if let Some(l) = first {
        entries.pending = Some(entries.first_task(l)?);
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
