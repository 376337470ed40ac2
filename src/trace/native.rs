//! tephra's native trace format: CSV, one row per task role.
//!
//! ```text
//! job_id,submit_s,duration_s,queue,priority,role,replicas,min_available,cpu,memory,gpu,gpu_model
//! j000001,2556.266,586.258,research,0,worker,1,1,9,80Gi,1,Ascend910B
//! ```
//! Rows with the same `job_id` are the roles of one job and must agree on submit time and queue.
//! `duration_s` is the role's run time: when the rows of a job differ, each role's pods succeed
//! (and free their resources) once the job has made that much progress, and the job's work is the
//! longest of them; an empty `duration_s` means the role has no end of its own and runs until the
//! job ends (workers that wait for their master, ended by a `master/TaskCompleted:CompleteJob`
//! policy); see [`crate::model::RoleDuration`]. `priority` is the role's pod priority: an integer,
//! or the name of a PriorityClass the scenario declares (`priority_classes:`); the job's
//! (PodGroup's) priority is the highest of its roles'. Jobs are returned sorted by submit time (stable: file order breaks ties).
//!
//! An optional 13th column, `annotations`, carries PodGroup annotations as `key=value` pairs
//! separated by `;` (`volcano.sh/sla-waiting-time=30m;volcano.sh/preemptable=true`); the rows of
//! one job may split them, but may not give one key two values. A piece without `=` continues the
//! previous value (`"volcano.sh/task-topology-affinity=ps,worker;chief"`, quoted for its commas).
//! A key prefixed with a role name and `:` (`worker:volcano.sh/gpu-memory=8192`) applies to that
//! role only: device requests here (`super::device_requests`), the scenario's extended resources
//! when the scenario loads (`crate::scenario::extended_requests`); such keys are requests, not
//! PodGroup annotations.

use super::error::TraceError;
use crate::model::devices::{DeviceRequest, ShareKind};
use crate::model::quantity::{parse_cpu_milli, parse_memory_bytes};
use crate::model::resources::{ASCEND310, ASCEND910, GPU};
use crate::model::{JobSpec, Resources, Role, RoleDuration, SimTime};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// The columns, in order.
pub const COLUMNS: [&str; 12] = [
    "job_id",
    "submit_s",
    "duration_s",
    "queue",
    "priority",
    "role",
    "replicas",
    "min_available",
    "cpu",
    "memory",
    "gpu",
    "gpu_model",
];

#[derive(Debug, Deserialize)]
struct Row {
    job_id: String,
    submit_s: String,
    duration_s: String,
    queue: String,
    priority: String,
    role: String,
    replicas: String,
    min_available: String,
    cpu: String,
    memory: String,
    gpu: String,
    gpu_model: String,
    #[serde(default)]
    annotations: String,
}

/// The optional column after [`COLUMNS`].
pub const ANNOTATIONS: &str = "annotations";

/// Parses `k=v;k=v` into pairs. A piece without `=` continues the previous value, `;` included,
/// so values that themselves use `;` (task-topology's `ps,worker;chief`) survive.
fn parse_annotations(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = part.split_once('=') else {
            let Some((_, prev)) = out.last_mut() else { return Err(format!("`{part}` is not key=value")) };
            prev.push(';');
            prev.push_str(part);
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() {
            return Err(format!("`{part}` has an empty key"));
        }
        crate::model::annotations::validate(k, v)?;
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

/// The scalar slot an accelerator model's pods request: Ascend 310 / 910 NPUs, otherwise NVIDIA GPUs.
/// Compares prefixes in place: called for every role of a million-job trace, so no lowercased copy.
pub fn accelerator_slot(model: Option<&str>) -> usize {
    let starts = |m: &str, p: &str| m.len() >= p.len() && m.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes());
    match model {
        Some(m) if starts(m, "ascend310") => ASCEND310,
        Some(m) if starts(m, "ascend") => ASCEND910,
        _ => GPU,
    }
}

/// Parses seconds with up to millisecond precision into milliseconds.
fn seconds_ms(text: &str) -> Result<u64, String> {
    let v: f64 = text.trim().parse().map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !v.is_finite() {
        return Err(format!("`{text}` is not finite"));
    }
    if v < 0.0 {
        return Err(format!("`{text}` is negative"));
    }
    Ok((v * 1000.0).round() as u64)
}

/// PriorityClass names and their values.
pub type PriorityClasses = BTreeMap<String, i32>;

/// Reads a native trace file whose priorities are integers.
pub fn read(path: &Path) -> Result<Vec<JobSpec>, TraceError> {
    read_with(path, &PriorityClasses::new())
}

/// Reads a native trace file, resolving PriorityClass names in `priority`. The file is streamed
/// row by row (never held whole); the jobs are returned sorted by submit time.
pub fn read_with(path: &Path, classes: &PriorityClasses) -> Result<Vec<JobSpec>, TraceError> {
    collect(NativeRows::open(path, classes)?)
}

/// Parses native trace text with integer priorities; `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<Vec<JobSpec>, TraceError> {
    parse_with(text, file, &PriorityClasses::new())
}

/// Parses native trace text, resolving PriorityClass names; `file` names it in errors.
pub fn parse_with(text: &str, file: &str, classes: &PriorityClasses) -> Result<Vec<JobSpec>, TraceError> {
    collect(NativeRows::new(text.as_bytes(), file, classes)?)
}

/// Groups every row by `job_id` (a job's rows may be anywhere in the file), checks each job and
/// sorts by submit time (stable). Holds the jobs, not the file.
fn collect<R: Read>(mut rows: NativeRows<R>) -> Result<Vec<JobSpec>, TraceError> {
    let mut jobs: Vec<JobSpec> = Vec::new();
    let mut by_id: BTreeMap<String, usize> = BTreeMap::new();
    while let Some(row) = rows.next_row()? {
        match by_id.get(&row.job_id) {
            Some(&i) => rows.add_row(&mut jobs[i], row)?,
            None => {
                by_id.insert(row.job_id.clone(), jobs.len());
                jobs.push(rows.new_job(row)?);
            }
        }
    }
    drop(by_id);
    // Each check over every job before the next, so the first error reported is the same
    // whichever job it is in.
    for job in &mut jobs {
        rows.settle_devices(job)?;
    }
    for job in &mut jobs {
        rows.settle_durations(job)?;
    }
    for job in &jobs {
        rows.check_gang(job)?;
    }
    jobs.sort_by_key(|j| j.submit);
    Ok(jobs)
}

/// One parsed row: a role of job `job_id`.
struct NativeRow {
    job_id: String,
    submit: u64,
    queue: String,
    priority: i32,
    role: Role,
    annotations: Vec<(String, String)>,
    line: u64,
}

/// A streaming reader of native rows (one CSV record at a time), with the checks that need
/// only the row, and the per-job checks once a job's rows are all read.
struct NativeRows<R: Read> {
    rdr: csv::Reader<R>,
    headers: csv::StringRecord,
    rec: csv::StringRecord,
    file: String,
    classes: PriorityClasses,
}

impl NativeRows<BufReader<File>> {
    fn open(path: &Path, classes: &PriorityClasses) -> Result<Self, TraceError> {
        let file = path.display().to_string();
        let f = File::open(path).map_err(|e| TraceError {
            file: file.clone(),
            line: 0,
            field: "file".into(),
            msg: e.to_string(),
        })?;
        NativeRows::new(BufReader::with_capacity(1 << 16, f), &file, classes)
    }
}

impl<R: Read> NativeRows<R> {
    fn new(input: R, file: &str, classes: &PriorityClasses) -> Result<Self, TraceError> {
        let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(input);
        let err = |line: u64, field: &str, msg: String| TraceError {
            file: file.to_string(),
            line,
            field: field.to_string(),
            msg,
        };
        let headers = rdr.headers().map_err(|e| err(1, "header", e.to_string()))?.clone();
        let got: Vec<&str> = headers.iter().collect();
        if got != COLUMNS
            && (got.len() != COLUMNS.len() + 1 || got[..COLUMNS.len()] != COLUMNS || got[COLUMNS.len()] != ANNOTATIONS)
        {
            return Err(err(
                1,
                "header",
                format!(
                    "expected columns `{}` (optionally followed by `,{ANNOTATIONS}`), found `{}`",
                    COLUMNS.join(","),
                    got.join(",")
                ),
            ));
        }
        Ok(NativeRows { rdr, headers, rec: csv::StringRecord::new(), file: file.to_string(), classes: classes.clone() })
    }

    fn err(&self, line: u64, field: &str, msg: String) -> TraceError {
        TraceError { file: self.file.clone(), line, field: field.to_string(), msg }
    }

    /// The next row, parsed and checked; `None` at the end of the file.
    fn next_row(&mut self) -> Result<Option<NativeRow>, TraceError> {
        match self.rdr.read_record(&mut self.rec) {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Err(self.err(line, "row", e.to_string()));
            }
        }
        let line = self.rec.position().map(|p| p.line()).unwrap_or(0);
        let row: Row = self.rec.deserialize(Some(&self.headers)).map_err(|e| self.err(line, "row", e.to_string()))?;
        self.parse_row(row, line).map(Some)
    }

    fn parse_row(&self, row: Row, line: u64) -> Result<NativeRow, TraceError> {
        let err = |line: u64, field: &str, msg: String| self.err(line, field, msg);
        if row.job_id.is_empty() {
            return Err(err(line, "job_id", "empty".into()));
        }
        let submit = seconds_ms(&row.submit_s).map_err(|m| err(line, "submit_s", m))?;
        // Each row is one role's run time; an empty cell: the role runs until the job ends.
        let duration = if row.duration_s.is_empty() {
            RoleDuration::UntilJobEnds
        } else {
            let work = seconds_ms(&row.duration_s).map_err(|m| err(line, "duration_s", m))?;
            if work == 0 {
                return Err(err(line, "duration_s", format!("`{}` must be positive", row.duration_s)));
            }
            RoleDuration::Own(work)
        };
        let priority: i32 = if row.priority.is_empty() {
            0
        } else if let Ok(v) = row.priority.parse() {
            v
        } else if let Some(v) = self.classes.get(&row.priority) {
            *v
        } else {
            let known: Vec<&str> = self.classes.keys().map(String::as_str).collect();
            return Err(err(
                line,
                "priority",
                format!(
                    "`{}` is neither an integer nor a declared PriorityClass (declared: {})",
                    row.priority,
                    if known.is_empty() { "none".to_string() } else { known.join(", ") }
                ),
            ));
        };
        let replicas: u32 =
            row.replicas.parse().ok().filter(|r| *r >= 1 && *r <= 100_000).ok_or_else(|| {
                err(line, "replicas", format!("`{}` is not an integer from 1 to 100000", row.replicas))
            })?;
        let min_available: u32 = if row.min_available.is_empty() {
            replicas
        } else {
            row.min_available.parse().ok().filter(|m| *m <= replicas).ok_or_else(|| {
                err(line, "min_available", format!("`{}` is not an integer from 0 to {replicas}", row.min_available))
            })?
        };
        let cpu = parse_cpu_milli(&row.cpu).map_err(|m| err(line, "cpu", m))?;
        let memory = parse_memory_bytes(&row.memory).map_err(|m| err(line, "memory", m))?;
        let gpu: f64 = if row.gpu.is_empty() {
            0.0
        } else {
            row.gpu.parse().map_err(|_| err(line, "gpu", format!("`{}` is not a number", row.gpu)))?
        };
        let share = gpu > 0.0 && gpu < 1.0;
        if !(0.0..=1024.0).contains(&gpu) || (gpu.fract() != 0.0 && !share) {
            return Err(err(
                line,
                "gpu",
                format!(
                    "`{}` must be a whole number of accelerators from 0 to 1024, or a share of one GPU below 1",
                    row.gpu
                ),
            ));
        }
        let model = (!row.gpu_model.is_empty()).then_some(row.gpu_model);
        let slot = accelerator_slot(model.as_deref());
        let mut request = Resources::new(cpu, memory);
        let mut device = DeviceRequest::NONE;
        if share {
            let milli = (gpu * 1000.0).round() as i64;
            if slot != GPU || milli == 0 {
                return Err(err(
                    line,
                    "gpu",
                    format!("`{}`: only GPUs are shared by fraction, in milli-GPUs", row.gpu),
                ));
            }
            request.scalars[GPU] = milli;
            device = DeviceRequest { kind: ShareKind::Milli, cards: 1, milli: milli as u16, memory_mib: 0 };
        } else if gpu > 0.0 {
            request.scalars[slot] = (gpu * 1000.0) as i64;
            device = DeviceRequest::whole(gpu as u16, ShareKind::Whole);
        }
        let role = Role {
            name: row.role,
            replicas,
            min_available,
            request,
            accelerator_model: model,
            priority,
            device,
            duration,
        };
        let queue = if row.queue.is_empty() { "default".to_string() } else { row.queue };
        let annotations = parse_annotations(&row.annotations).map_err(|m| err(line, ANNOTATIONS, m))?;
        Ok(NativeRow { job_id: row.job_id, submit, queue, priority, role, annotations, line })
    }

    /// Adds `row`'s annotations to `into`; a key given two values is an error.
    fn merge(&self, row: &NativeRow, into: &mut BTreeMap<String, String>) -> Result<(), TraceError> {
        for (k, v) in &row.annotations {
            match into.get(k) {
                Some(old) if old != v => {
                    return Err(self.err(
                        row.line,
                        ANNOTATIONS,
                        format!("job `{}` gives `{k}` two values (`{old}` and `{v}`)", row.job_id),
                    ));
                }
                _ => {
                    into.insert(k.clone(), v.clone());
                }
            }
        }
        Ok(())
    }

    /// A job whose first row is `row`.
    fn new_job(&self, row: NativeRow) -> Result<JobSpec, TraceError> {
        let mut annotations = BTreeMap::new();
        self.merge(&row, &mut annotations)?;
        Ok(JobSpec {
            origin: format!("{}:{}", self.file, row.line),
            name: row.job_id,
            submit: SimTime(row.submit),
            work_ms: 0,
            queue: row.queue,
            priority: row.priority,
            roles: vec![row.role],
            annotations,
        })
    }

    /// Adds a further role row to its job.
    fn add_row(&self, job: &mut JobSpec, row: NativeRow) -> Result<(), TraceError> {
        if job.submit.0 != row.submit || job.queue != row.queue {
            return Err(self.err(
                row.line,
                "row",
                format!("job `{}` has rows that disagree on submit_s or queue", row.job_id),
            ));
        }
        if job.roles.iter().any(|r| r.name == row.role.name) {
            return Err(self.err(
                row.line,
                "role",
                format!("job `{}` lists role `{}` twice", row.job_id, row.role.name),
            ));
        }
        self.merge(&row, &mut job.annotations)?;
        job.priority = job.priority.max(row.priority);
        job.roles.push(row.role);
        Ok(())
    }

    /// Moves role-scoped device annotations into the roles' requests.
    fn settle_devices(&self, job: &mut JobSpec) -> Result<(), TraceError> {
        let line = line_of(job);
        let roles: Vec<&str> = job.roles.iter().map(|r| r.name.as_str()).collect();
        let shared = super::device_requests::per_role(&job.annotations, &roles)
            .map_err(|m| self.err(line, ANNOTATIONS, format!("job `{}`: {m}", job.name)))?;
        if let Some(v) = job.annotations.get(crate::model::lifecycle::TASK_MAX_RETRY) {
            // Syntax checked with the other annotations; the roles must be the job's.
            for (role, _) in crate::model::lifecycle::parse_task_max_retry(v).unwrap_or_default() {
                if !roles.contains(&role.as_str()) {
                    let m = format!(
                        "job `{}`: `{}`: no role `{role}` (roles: {})",
                        job.name,
                        crate::model::lifecycle::TASK_MAX_RETRY,
                        roles.join(", ")
                    );
                    return Err(self.err(line, ANNOTATIONS, m));
                }
            }
        }
        for (role, shared) in job.roles.iter_mut().zip(shared) {
            let Some((device, extra)) = shared else { continue };
            if !role.device.is_none() {
                return Err(self.err(
                    line,
                    ANNOTATIONS,
                    format!(
                        "job `{}`: role `{}` asks for cards in the gpu column and by annotation; use one",
                        job.name, role.name
                    ),
                ));
            }
            role.device = device;
            role.request += extra;
        }
        // Role-scoped device keys are requests, not PodGroup annotations.
        job.annotations.retain(|k, _| {
            super::device_requests::scoped(k).is_none_or(|(_, key)| !super::device_requests::DEVICE_KEYS.contains(&key))
        });
        Ok(())
    }

    /// Derives the job's work from its roles' durations.
    fn settle_durations(&self, job: &mut JobSpec) -> Result<(), TraceError> {
        job.settle_role_durations().map_err(|m| self.err(line_of(job), "duration_s", m))
    }

    /// A gang needs at least one pod.
    fn check_gang(&self, job: &JobSpec) -> Result<(), TraceError> {
        if job.min_available() == 0 {
            return Err(self.err(
                line_of(job),
                "min_available",
                format!("job `{}` has min_available 0 in every role; a gang needs at least one pod", job.name),
            ));
        }
        Ok(())
    }

    /// All the per-job checks of a job whose rows are all read.
    fn finish(&self, mut job: JobSpec) -> Result<JobSpec, TraceError> {
        self.settle_devices(&mut job)?;
        self.settle_durations(&mut job)?;
        self.check_gang(&job)?;
        Ok(job)
    }
}

/// The line of a job's first row (the end of its origin).
fn line_of(job: &JobSpec) -> u64 {
    job.origin.rsplit(':').next().and_then(|l| l.parse().ok()).unwrap_or(0)
}

/// Whether a native file can be streamed job by job: every job's rows are adjacent and jobs
/// appear in submit order, so file order is the order [`read`] returns. A cheap first pass over
/// the first two columns; anything odd (including a row [`read`] would reject) answers `false`,
/// and the caller reads the file the general way, which reports the error.
pub fn streamable(path: &Path) -> bool {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    let Ok(f) = File::open(path) else { return false };
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(BufReader::with_capacity(1 << 16, f));
    let hasher = BuildHasherDefault::<DefaultHasher>::default();
    // Hashes of the jobs already closed: a collision only makes the answer `false` (safe).
    let mut closed: std::collections::HashSet<u64> = std::collections::HashSet::new();
    let (mut current, mut last_submit) = (None::<u64>, f64::NEG_INFINITY);
    let mut rec = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => return true,
            Err(_) => return false,
        }
        let (Some(id), Some(submit)) = (rec.get(0), rec.get(1)) else { return false };
        let h = hasher.hash_one(id);
        if current == Some(h) {
            continue;
        }
        let Some(submit) = std::str::from_utf8(submit).ok().and_then(|s| s.parse::<f64>().ok()) else {
            return false;
        };
        if submit < last_submit || closed.contains(&h) {
            return false;
        }
        if let Some(prev) = current {
            closed.insert(prev);
        }
        (current, last_submit) = (Some(h), submit);
    }
}

/// A native file as a stream of jobs in file order, holding one job at a time. Only for files
/// that are [`streamable`]; then it yields exactly the jobs [`read`] returns, in its order.
pub fn stream(path: &Path) -> Result<impl Iterator<Item = Result<JobSpec, TraceError>> + use<>, TraceError> {
    let mut rows = NativeRows::open(path, &PriorityClasses::new())?;
    let mut pending: Option<JobSpec> = None;
    let mut done = false;
    Ok(std::iter::from_fn(move || {
        if done {
            return None;
        }
        let step = (|| -> Result<Option<JobSpec>, TraceError> {
            loop {
                let Some(row) = rows.next_row()? else {
                    return pending.take().map(|j| rows.finish(j)).transpose();
                };
                match &mut pending {
                    Some(job) if job.name == row.job_id => rows.add_row(job, row)?,
                    _ => {
                        let next = rows.new_job(row)?;
                        if let Some(job) = pending.replace(next) {
                            return rows.finish(job).map(Some);
                        }
                    }
                }
            }
        })();
        match step {
            Ok(Some(j)) => Some(Ok(j)),
            Ok(None) => {
                done = true;
                None
            }
            Err(e) => {
                done = true;
                Some(Err(e))
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "job_id,submit_s,duration_s,queue,priority,role,replicas,min_available,cpu,memory,gpu,gpu_model\n";

    #[test]
    fn groups_roles_and_sorts_by_submit() {
        let text = format!(
            "{HEADER}b,5,10,q,0,worker,2,2,8,64Gi,8,\na,1.5,20,q,100,ps,1,1,4,16Gi,0,\na,1.5,20,q,100,worker,4,,8,64Gi,1,Ascend910B\n"
        );
        let jobs = parse(&text, "t.csv").unwrap();
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs[0].name, "a");
        assert_eq!(jobs[0].submit, SimTime(1500));
        assert_eq!(jobs[0].roles.len(), 2);
        assert_eq!(jobs[0].min_available(), 5);
        assert_eq!(jobs[0].roles[1].request.scalars[ASCEND910], 1000);
        assert_eq!(jobs[1].roles[0].request.scalars[GPU], 8000);
    }

    #[test]
    fn names_file_line_and_field() {
        let text = format!("{HEADER}a,1,10,q,0,w,1,1,8,64Gi,1,\nb,2,-5,q,0,w,1,1,8,64Gi,1,\n");
        let e = parse(&text, "t.csv").unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (3, "duration_s"));
        assert_eq!(e.to_string(), "t.csv:3: duration_s: `-5` is negative");
        let text = format!("{HEADER}a,1,10,q,0,w,1,1,8,64Gi,1.5,\n");
        assert_eq!(parse(&text, "t.csv").unwrap_err().field, "gpu");
        let text = format!("{HEADER}a,1,10,q,0,w,1,1,8,64Gi,0.5,Ascend910B\n");
        assert_eq!(parse(&text, "t.csv").unwrap_err().field, "gpu");
        let text = "job,submit\n";
        assert_eq!(parse(text, "t.csv").unwrap_err().field, "header");
        let text = format!("{HEADER}a,1,10,q,0,w,1,1,8,64Qi,1,\n");
        assert_eq!(parse(&text, "t.csv").unwrap_err().field, "memory");
    }

    #[test]
    fn priority_classes_and_role_priorities() {
        let classes: PriorityClasses = [("high".to_string(), 1000), ("low".to_string(), 10)].into_iter().collect();
        let text = format!("{HEADER}a,0,10,q,low,worker,2,2,8,64Gi,8,\na,0,10,q,high,ps,1,1,4,16Gi,0,\n");
        let jobs = parse_with(&text, "t.csv", &classes).unwrap();
        assert_eq!(jobs[0].priority, 1000, "the job takes its highest role priority");
        assert_eq!((jobs[0].roles[0].priority, jobs[0].roles[1].priority), (10, 1000));
        let e = parse_with(&format!("{HEADER}a,0,10,q,urgent,w,1,1,8,64Gi,8,\n"), "t.csv", &classes).unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (2, "priority"));
        assert!(e.msg.contains("declared: high, low"), "{}", e.msg);
    }

    #[test]
    fn rows_may_give_their_roles_own_durations() {
        use crate::model::RoleDuration;
        let text = format!("{HEADER}a,0,600,q,0,master,1,1,4,16Gi,1,\na,0,,q,0,worker,2,2,8,64Gi,8,\n");
        let jobs = parse(&text, "t.csv").unwrap();
        assert_eq!(jobs[0].work_ms, 600_000);
        assert_eq!(
            (jobs[0].roles[0].duration, jobs[0].roles[1].duration),
            (RoleDuration::Job, RoleDuration::UntilJobEnds)
        );
        let text = format!("{HEADER}b,0,100,q,0,prep,1,1,4,16Gi,1,\nb,0,300,q,0,train,1,1,8,64Gi,8,\n");
        let jobs = parse(&text, "t.csv").unwrap();
        assert_eq!(jobs[0].work_ms, 300_000);
        assert_eq!(
            (jobs[0].roles[0].duration, jobs[0].roles[1].duration),
            (RoleDuration::Own(100_000), RoleDuration::Job)
        );
        // Rows that agree keep the plain model.
        let jobs = parse(&format!("{HEADER}c,0,5,q,0,a,1,1,4,16Gi,1,\nc,0,5,q,0,b,1,1,4,16Gi,1,\n"), "t.csv").unwrap();
        assert!(!jobs[0].roles.iter().any(|r| r.duration != RoleDuration::Job));
        let e = parse(&format!("{HEADER}d,0,,q,0,w,1,1,4,16Gi,1,\n"), "t.csv").unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (2, "duration_s"));
        assert!(e.msg.contains("at least one needs a duration"), "{}", e.msg);
    }

    #[test]
    fn annotation_values_may_contain_semicolons() {
        let pairs = parse_annotations("volcano.sh/task-topology-affinity=ps,worker;chief; x=1").unwrap();
        assert_eq!(pairs[0].1, "ps,worker;chief");
        assert_eq!(pairs[1], ("x".to_string(), "1".to_string()));
        assert!(parse_annotations("chief;x=1").is_err());
    }
}
