//! Readers for the Alibaba GPU trace v2023 ("openb", the FGD paper's traces):
//! `openb_node_list_*.csv` (`sn,cpu_milli,memory_mib,gpu,model`) and `openb_pod_list_*.csv`
//! (`name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,
//! deletion_time,scheduled_time`, or only the first five columns in the `multigpu*` lists).
//!
//! `gpu_milli` is the share of each GPU (1000 = whole; below 1000 only with `num_gpu = 1`);
//! `gpu_spec` lists the allowed GPU models separated by `|` (empty: any).
//!
//! | tephra | pod list column |
//! |---|---|
//! | job (one pod, one role `pod`, queue `default`) | `name` |
//! | submit time | `creation_time` (seconds from the trace start; 0 when absent) |
//! | duration | `deletion_time` − `creation_time`, at least 1 s (1 s when absent); a deletion before the creation is an error |
//! | GPUs | `num_gpu` cards of `gpu_milli` / 1000 each: a milli-GPU share of one card below 1000, whole cards otherwise |
//! | CPU, memory | `cpu_milli` millicores, `memory_mib` MiB |
//! | GPU model | `gpu_spec` (`A|B`: any of them; empty: any model) |
//! | tenant, gang, priority | none in the trace: queue `default`, gang of 1, priority 0 (`qos`, `pod_phase`, `scheduled_time` are not used) |
//!
//! Both lists are read one line at a time (never whole); a node list becomes a fleet
//! (`fleet.node_list`, `crate::scenario::node_list`).

use super::error::TraceError;
use crate::model::devices::{DeviceRequest, ShareKind, WHOLE};
use crate::model::resources::GPU;
use crate::model::{JobSpec, Resources, Role, SimTime};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// One node of a node list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenbNode {
    /// `sn`.
    pub name: String,
    /// CPU, millicores.
    pub cpu_milli: i64,
    /// Memory, MiB.
    pub memory_mib: i64,
    /// GPUs.
    pub gpus: u32,
    /// GPU model (empty: none).
    pub model: String,
}

/// One pod of a pod list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenbPod {
    /// `name`.
    pub name: String,
    /// CPU request, millicores.
    pub cpu_milli: i64,
    /// Memory request, MiB.
    pub memory_mib: i64,
    /// GPUs.
    pub num_gpu: u32,
    /// Share of each GPU, milli (0 for CPU-only pods).
    pub gpu_milli: u32,
    /// Allowed GPU models (empty: any).
    pub gpu_spec: Vec<String>,
    /// Creation time, seconds from trace start (absent in the five-column lists).
    pub creation_s: Option<u64>,
    /// Deletion time, seconds.
    pub deletion_s: Option<u64>,
}

/// Numbered rows of fields, read one line at a time (the file is never held whole).
struct Rows<R: BufRead> {
    lines: std::iter::Enumerate<std::io::Lines<R>>,
    header: Vec<String>,
    file: String,
}

fn io_err(file: &str, e: std::io::Error) -> TraceError {
    TraceError { file: file.into(), line: 0, field: "file".into(), msg: e.to_string() }
}

fn open_file(path: &Path) -> Result<(String, BufReader<File>), TraceError> {
    let file = path.display().to_string();
    let f = File::open(path).map_err(|e| io_err(&file, e))?;
    Ok((file, BufReader::with_capacity(1 << 16, f)))
}

impl<R: BufRead> Rows<R> {
    /// Reads the header and checks it starts with `want`.
    fn new(input: R, file: &str, want: &[&str]) -> Result<Self, TraceError> {
        let mut lines = input.lines().enumerate();
        let header: Vec<String> = match lines.next() {
            Some((_, l)) => l.map_err(|e| io_err(file, e))?.trim().split(',').map(String::from).collect(),
            None => Vec::new(),
        };
        if header.len() < want.len() || header[..want.len()] != *want {
            return Err(TraceError {
                file: file.into(),
                line: 1,
                field: "header".into(),
                msg: format!("expected columns starting `{}`, found `{}`", want.join(","), header.join(",")),
            });
        }
        Ok(Rows { lines, header, file: file.into() })
    }

    fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| *h == name)
    }

    /// Calls `f` with the next non-blank row's line number and fields; `None` at the end.
    fn next_with<T>(&mut self, f: impl FnOnce(u64, &[&str]) -> Result<T, TraceError>) -> Option<Result<T, TraceError>> {
        for (i, l) in self.lines.by_ref() {
            let l = match l {
                Ok(l) => l,
                Err(e) => return Some(Err(io_err(&self.file, e))),
            };
            if l.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = l.trim().split(',').collect();
            let line = i as u64 + 1;
            if fields.len() != self.header.len() {
                return Some(Err(TraceError {
                    file: self.file.clone(),
                    line,
                    field: "row".into(),
                    msg: format!("{} fields, the header has {}", fields.len(), self.header.len()),
                }));
            }
            return Some(f(line, &fields));
        }
        None
    }
}

fn num<T: std::str::FromStr>(file: &str, line: u64, field: &str, v: &str) -> Result<T, TraceError> {
    v.trim().parse().map_err(|_| TraceError {
        file: file.into(),
        line,
        field: field.into(),
        msg: format!("`{v}` is not a non-negative integer"),
    })
}

/// Reads a node list.
pub fn read_nodes(path: &Path) -> Result<Vec<OpenbNode>, TraceError> {
    let (file, input) = open_file(path)?;
    nodes(input, &file)
}

/// Parses node-list text; `file` names it in errors.
pub fn parse_nodes(text: &str, file: &str) -> Result<Vec<OpenbNode>, TraceError> {
    nodes(text.as_bytes(), file)
}

fn nodes<R: BufRead>(input: R, file: &str) -> Result<Vec<OpenbNode>, TraceError> {
    let mut rows = Rows::new(input, file, &["sn", "cpu_milli", "memory_mib", "gpu", "model"])?;
    let mut out = Vec::new();
    while let Some(node) = rows.next_with(|line, f| {
        let gpus: u32 = num(file, line, "gpu", f[3])?;
        if gpus > 64 {
            return Err(TraceError { file: file.into(), line, field: "gpu".into(), msg: "at most 64 GPUs".into() });
        }
        Ok(OpenbNode {
            name: f[0].to_string(),
            cpu_milli: num(file, line, "cpu_milli", f[1])?,
            memory_mib: num(file, line, "memory_mib", f[2])?,
            gpus,
            model: f[4].trim().to_string(),
        })
    }) {
        out.push(node?);
    }
    Ok(out)
}

/// Reads a pod list.
pub fn read_pods(path: &Path) -> Result<Vec<OpenbPod>, TraceError> {
    stream_pods(path)?.collect()
}

/// Parses pod-list text; `file` names it in errors.
pub fn parse_pods(text: &str, file: &str) -> Result<Vec<OpenbPod>, TraceError> {
    pods(text.as_bytes(), file)?.collect()
}

/// A pod list as a stream of pods in file order, one line at a time.
pub fn stream_pods(path: &Path) -> Result<impl Iterator<Item = Result<OpenbPod, TraceError>> + use<>, TraceError> {
    let (file, input) = open_file(path)?;
    pods(input, &file)
}

fn pods<R: BufRead>(
    input: R,
    file: &str,
) -> Result<impl Iterator<Item = Result<OpenbPod, TraceError>> + use<R>, TraceError> {
    let mut rows = Rows::new(input, file, &["name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli"])?;
    let cols = (rows.col("gpu_spec"), rows.col("creation_time"), rows.col("deletion_time"));
    let file = file.to_string();
    let mut failed = false;
    Ok(std::iter::from_fn(move || {
        if failed {
            return None;
        }
        let pod = rows.next_with(|line, f| pod(&file, line, f, cols));
        failed = matches!(pod, Some(Err(_)));
        pod
    }))
}

/// One pod row; `spec`, `created`, `deleted` are the optional columns' positions.
fn pod(
    file: &str,
    line: u64,
    f: &[&str],
    (spec, created, deleted): (Option<usize>, Option<usize>, Option<usize>),
) -> Result<OpenbPod, TraceError> {
    let num_gpu: u32 = num(file, line, "num_gpu", f[3])?;
    let gpu_milli: u32 = num(file, line, "gpu_milli", f[4])?;
    let bad = |field: &str, msg: String| TraceError { file: file.into(), line, field: field.into(), msg };
    if num_gpu > 64 {
        return Err(bad("num_gpu", format!("`{num_gpu}`: at most 64")));
    }
    if gpu_milli > WHOLE as u32 || (num_gpu > 0) != (gpu_milli > 0) {
        return Err(bad("gpu_milli", format!("`{gpu_milli}` must be 1 to 1000 with GPUs, 0 without")));
    }
    if num_gpu > 1 && gpu_milli < WHOLE as u32 {
        return Err(bad("gpu_milli", format!("`{gpu_milli}`: a share below 1000 needs num_gpu = 1")));
    }
    let time = |c: Option<usize>, field: &str| -> Result<Option<u64>, TraceError> {
        match c.map(|i| f[i].trim()) {
            None | Some("") => Ok(None),
            Some(v) => num(file, line, field, v).map(Some),
        }
    };
    let (creation_s, deletion_s) = (time(created, "creation_time")?, time(deleted, "deletion_time")?);
    if let (Some(c), Some(d)) = (creation_s, deletion_s)
        && d < c
    {
        return Err(bad("deletion_time", format!("`{d}` is before creation_time `{c}`")));
    }
    Ok(OpenbPod {
        name: f[0].to_string(),
        cpu_milli: num(file, line, "cpu_milli", f[1])?,
        memory_mib: num(file, line, "memory_mib", f[2])?,
        num_gpu,
        gpu_milli,
        gpu_spec: spec
            .map(|i| f[i].split('|').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect())
            .unwrap_or_default(),
        creation_s,
        deletion_s,
    })
}

impl OpenbPod {
    /// What the pod asks of cards.
    pub fn device(&self) -> DeviceRequest {
        match (self.num_gpu, self.gpu_milli) {
            (0, _) => DeviceRequest::NONE,
            (1, m) if (m as i32) < WHOLE => {
                DeviceRequest { kind: ShareKind::Milli, cards: 1, milli: m as u16, memory_mib: 0 }
            }
            (n, _) => DeviceRequest::whole(n as u16, ShareKind::Whole),
        }
    }

    /// The pod as a one-pod job for a discrete-event run: submitted at its creation time, running
    /// until its deletion (at least 1 s), on any of its allowed models.
    pub fn job(&self, queue: &str, origin: String) -> JobSpec {
        let device = self.device();
        let request =
            Resources::new(self.cpu_milli, self.memory_mib * 1024 * 1024).with_scalar(GPU, device.total_milli());
        let submit = self.creation_s.unwrap_or(0);
        let work = self.deletion_s.map_or(1, |d| d.saturating_sub(submit).max(1));
        JobSpec {
            name: self.name.clone(),
            submit: SimTime(submit * 1000),
            work_ms: work * 1000,
            queue: queue.into(),
            priority: 0,
            roles: vec![Role {
                name: "pod".into(),
                replicas: 1,
                min_available: 1,
                request,
                accelerator_model: (!self.gpu_spec.is_empty() && device.cards > 0).then(|| self.gpu_spec.join("|")),
                priority: 0,
                device,
                duration: Default::default(),
            }],
            annotations: Default::default(),
            origin,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_pod_list_layouts_and_names_bad_fields() {
        let full = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n\
                    p0,12000,16384,1,460,V100M16|V100M32,LS,Running,0,100,0\n\
                    p1,4000,8192,0,0,,BE,Pending,5,,\n";
        let pods = parse_pods(full, "p.csv").unwrap();
        assert_eq!(pods[0].gpu_spec, vec!["V100M16", "V100M32"]);
        assert_eq!(pods[0].device(), DeviceRequest { kind: ShareKind::Milli, cards: 1, milli: 460, memory_mib: 0 });
        assert_eq!((pods[1].creation_s, pods[1].deletion_s), (Some(5), None));
        let five = "name,cpu_milli,memory_mib,num_gpu,gpu_milli\np2,8000,1024,8,1000\n";
        let pods = parse_pods(five, "m.csv").unwrap();
        assert_eq!(pods[0].device(), DeviceRequest::whole(8, ShareKind::Whole));
        let e = parse_pods("name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1,1,2,500\n", "b.csv").unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (2, "gpu_milli"));
        let e = parse_nodes("sn,cpu_milli,memory_mib,gpu,model\nn0,64000,x,2,P100\n", "n.csv").unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (2, "memory_mib"));
        let nodes = parse_nodes("sn,cpu_milli,memory_mib,gpu,model\nn0,64000,262144,2,P100\n", "n.csv").unwrap();
        assert_eq!(nodes[0].gpus, 2);
    }
}
