//! The format-neutral job record every trace reader produces, and its conversion to a
//! [`JobSpec`]. Readers differ in columns and clocks; this is where they meet, so inspection,
//! conversion and scenario loading work the same for every format.

use super::native::accelerator_slot;
use crate::model::devices::{DeviceRequest, ShareKind, WHOLE};
use crate::model::resources::GPU;
use crate::model::{JobSpec, Resources, Role, SimTime};
use std::collections::BTreeMap;

/// CPU per accelerator a pod asks for when the trace does not say (millicores).
pub const DEFAULT_CPU_PER_GPU_MILLI: i64 = 8_000;
/// Memory per accelerator a pod asks for when the trace does not say (bytes).
pub const DEFAULT_MEMORY_PER_GPU: i64 = 64 << 30;
/// CPU of a CPU-only pod when the trace does not say (millicores).
pub const DEFAULT_CPU_ONLY_MILLI: i64 = 1_000;
/// Memory of a CPU-only pod when the trace does not say (bytes).
pub const DEFAULT_CPU_ONLY_MEMORY: i64 = 4 << 30;

/// One role (task group) of a trace job: `pods` identical pods.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceRole {
    /// Role name (`worker`, a PAI task name, `HN`).
    pub name: String,
    /// Pods in the role (the gang size when the job has one role).
    pub pods: u32,
    /// Whole accelerators per pod (1 when the pod asks for a share of one GPU).
    pub gpus_per_pod: u32,
    /// A share of one GPU per pod in milli-GPUs (1 to 999) instead of whole cards: PAI's
    /// `plan_gpu` 25 or 50, the Alibaba 2023 trace's `gpu_milli`, a native `gpu` of `0.5`. The pod
    /// then runs as a GPU-sharing pod on part of one card.
    pub gpu_share: Option<u16>,
    /// Accelerator model the pods need (`V100`, `T4`), if the trace names one.
    pub gpu_model: Option<String>,
    /// CPU per pod in millicores, if the trace gives it.
    pub cpu_milli: Option<i64>,
    /// Memory per pod in bytes, if the trace gives it.
    pub memory_bytes: Option<i64>,
    /// Gang minimum when smaller than `pods` (elastic jobs); `None` = all pods.
    pub min_pods: Option<u32>,
}

impl TraceRole {
    /// A role of `pods` pods with `gpus_per_pod` accelerators each and default CPU and memory.
    pub fn gpus(name: &str, pods: u32, gpus_per_pod: u32) -> TraceRole {
        TraceRole {
            name: name.to_string(),
            pods,
            gpus_per_pod,
            gpu_share: None,
            gpu_model: None,
            cpu_milli: None,
            memory_bytes: None,
            min_pods: None,
        }
    }

    /// A role of `pods` pods, each asking for `milli` thousandths of one GPU (1 to 999).
    pub fn gpu_share(name: &str, pods: u32, milli: u16) -> TraceRole {
        TraceRole { gpu_share: Some(milli), ..TraceRole::gpus(name, pods, 1) }
    }

    /// Milli-GPUs per pod: the share, or 1000 per whole card.
    pub fn gpu_milli_per_pod(&self) -> u64 {
        self.gpu_share.map_or(self.gpus_per_pod as u64 * WHOLE as u64, u64::from)
    }

    /// The per-pod request, filling CPU and memory from the accelerator count when the trace has
    /// none (see the `DEFAULT_*` constants; a share of a GPU gets that share of them).
    pub fn request(&self) -> Resources {
        let g = self.gpu_milli_per_pod() as i64;
        let per_gpu = |d: i64| d * g / WHOLE as i64;
        let cpu =
            self.cpu_milli.unwrap_or(if g > 0 { per_gpu(DEFAULT_CPU_PER_GPU_MILLI) } else { DEFAULT_CPU_ONLY_MILLI });
        let mem =
            self.memory_bytes.unwrap_or(if g > 0 { per_gpu(DEFAULT_MEMORY_PER_GPU) } else { DEFAULT_CPU_ONLY_MEMORY });
        let mut r = Resources::new(cpu, mem);
        if self.gpu_share.is_some() {
            // Shares are of NVIDIA-style GPUs only (as in the native format).
            r.scalars[GPU] = g;
        } else if g > 0 {
            r.scalars[accelerator_slot(self.gpu_model.as_deref())] = g;
        }
        r
    }

    /// What the pods ask of cards: a milli-GPU share of one card for a share, nothing otherwise
    /// (whole cards are a plain extended resource).
    pub fn device(&self) -> DeviceRequest {
        match self.gpu_share {
            Some(m) => DeviceRequest { kind: ShareKind::Milli, cards: 1, milli: m, memory_mib: 0 },
            None => DeviceRequest::NONE,
        }
    }
}

/// A job as a public trace describes it, in the trace's own clock.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceJob {
    /// Job id from the trace (or one the reader made up: file stem and row).
    pub id: String,
    /// Submit time in seconds, on the trace's clock: seconds since 1970 for formats with
    /// calendar timestamps (Philly, Helios), the file's own offset otherwise.
    pub submit_s: f64,
    /// Run time in seconds (≥ 0, finite).
    pub duration_s: f64,
    /// Tenant (virtual cluster, user group, application); becomes the queue.
    pub tenant: String,
    /// Pod priority (0 unless the trace has one).
    pub priority: i32,
    /// The roles; most formats have exactly one.
    pub roles: Vec<TraceRole>,
    /// The 1-based line of the job's (first) row, for messages.
    pub line: u64,
}

impl TraceJob {
    /// Cards the whole job holds while it runs (a pod with a share of a GPU holds part of one).
    pub fn total_gpus(&self) -> u64 {
        self.roles.iter().map(|r| r.pods as u64 * r.gpus_per_pod as u64).sum()
    }

    /// GPUs the whole job asks for, in milli-GPUs (shares counted as their fraction).
    pub fn total_gpu_milli(&self) -> u64 {
        self.roles.iter().map(|r| r.pods as u64 * r.gpu_milli_per_pod()).sum()
    }

    /// Pods of the whole job (its gang size).
    pub fn total_pods(&self) -> u64 {
        self.roles.iter().map(|r| r.pods as u64).sum()
    }

    /// The job as tephra simulates it: submitted `submit_s - origin_s` after t = 0, gang of all
    /// its pods (`min_available = replicas`) unless the role says otherwise, queue = tenant. A zero run time becomes 1 ms (the
    /// simulator needs some work to finish a job).
    pub fn to_spec(&self, origin_s: f64, file: &str) -> JobSpec {
        self.clone().into_spec(origin_s, file)
    }

    /// [`TraceJob::to_spec`] without copying the names (loading a large trace).
    pub fn into_spec(self, origin_s: f64, file: &str) -> JobSpec {
        let submit_ms = ((self.submit_s - origin_s).max(0.0) * 1000.0).round() as u64;
        let work_ms = ((self.duration_s * 1000.0).round() as u64).max(1);
        let roles = self
            .roles
            .into_iter()
            .map(|r| Role {
                request: r.request(),
                device: r.device(),
                replicas: r.pods,
                min_available: r.min_pods.unwrap_or(r.pods).min(r.pods),
                name: r.name,
                accelerator_model: r.gpu_model,
                priority: self.priority,
                duration: Default::default(),
            })
            .collect();
        JobSpec {
            name: self.id,
            submit: SimTime(submit_ms),
            work_ms,
            queue: if self.tenant.is_empty() { "default".into() } else { self.tenant },
            priority: self.priority,
            roles,
            annotations: BTreeMap::new(),
            origin: origin(file, self.line),
        }
    }
}

/// `file:line`, built without the formatting machinery (once per job of a large trace).
fn origin(file: &str, line: u64) -> String {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(line);
    let mut s = String::with_capacity(file.len() + 1 + digits.len());
    s.push_str(file);
    s.push(':');
    s.push_str(digits);
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn origin_is_file_colon_line() {
        assert_eq!(super::origin("a.csv", 0), "a.csv:0");
        assert_eq!(super::origin("a.csv", 1_234_567), "a.csv:1234567");
        assert_eq!(super::origin("", u64::MAX), format!(":{}", u64::MAX));
    }
}
