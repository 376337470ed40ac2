//! How a trace asks for shared accelerators.
//!
//! The native trace's `gpu` column asks for whole cards (`2`) or, below one, for a milli-GPU share
//! of one card (`0.5`, the Alibaba 2023 trace's `gpu_milli`). The other sharing requests are
//! Volcano resource names written as PodGroup annotations (the trace's `annotations` column), and
//! apply to every pod of the job — unless a role has its own: the same keys prefixed with the role
//! name and `:` (`worker:volcano.sh/gpu-memory=8192`) replace the job's request for that role only
//! (a `:` cannot appear in a Kubernetes annotation key, so the form is unambiguous):
//!
//! | annotation | meaning |
//! |---|---|
//! | `volcano.sh/gpu-memory=8192` | gpushare: MiB of memory on one GPU |
//! | `volcano.sh/gpu-number=2` | gpushare: two whole GPUs |
//! | `volcano.sh/vgpu-number=1` (+ `vgpu-memory=MiB`, `vgpu-cores=0..100`) | HAMi vGPU slices, one per card |
//! | `huawei.com/npu-core=vir02` | Ascend 310P vNPU template (`vir01`, `vir02`, `vir04`) |
//!
//! A vNPU template takes AI cores of one chip (MindCluster's `VChip` free `Aicore`). The trace
//! records it as the share of an 8-core chip; a fleet whose 310P cards declare another
//! `compute_units` rescales every request with [`rescale_vnpu`].

use crate::model::Resources;
use crate::model::devices::{DeviceRequest, ShareKind, WHOLE, vnpu_template};
use crate::model::resources::{ASCEND310, scalar_slot};
use std::collections::BTreeMap;

/// `volcano.sh/gpu-memory`.
pub const GPU_MEMORY: &str = "volcano.sh/gpu-memory";
/// `volcano.sh/gpu-number`.
pub const GPU_NUMBER: &str = "volcano.sh/gpu-number";
/// `volcano.sh/vgpu-number`.
pub const VGPU_NUMBER: &str = "volcano.sh/vgpu-number";
/// `volcano.sh/vgpu-memory`.
pub const VGPU_MEMORY: &str = "volcano.sh/vgpu-memory";
/// `volcano.sh/vgpu-cores`.
pub const VGPU_CORES: &str = "volcano.sh/vgpu-cores";
/// `huawei.com/npu-core` (vNPU template name or AI core count).
pub const NPU_CORE: &str = "huawei.com/npu-core";

/// Every key that makes a device request.
pub const DEVICE_KEYS: [&str; 6] = [GPU_MEMORY, GPU_NUMBER, VGPU_NUMBER, VGPU_MEMORY, VGPU_CORES, NPU_CORE];

/// Splits a role-scoped key (`worker:volcano.sh/gpu-memory`) into role and key.
pub fn scoped(key: &str) -> Option<(&str, &str)> {
    key.split_once(':').filter(|(r, k)| !r.is_empty() && !k.is_empty())
}

/// The device request of each role of a job, from its annotations: a role with role-scoped
/// device keys (`<role>:<key>`) takes its request from those, every other role the job-level
/// one. `None` for a role without a request. Scoped keys must name a role of the job.
pub fn per_role(
    annotations: &BTreeMap<String, String>,
    roles: &[&str],
) -> Result<Vec<Option<(DeviceRequest, Resources)>>, String> {
    let mut own: Vec<BTreeMap<String, String>> = vec![BTreeMap::new(); roles.len()];
    for (k, v) in annotations {
        let Some((role, key)) = scoped(k).filter(|(_, key)| DEVICE_KEYS.contains(key)) else { continue };
        let i = roles
            .iter()
            .position(|r| *r == role)
            .ok_or_else(|| format!("`{k}`: the job has no role `{role}` (roles: {})", roles.join(", ")))?;
        own[i].insert(key.to_string(), v.clone());
    }
    let job = from_annotations(annotations)?;
    own.iter()
        .zip(roles)
        .map(
            |(m, role)| {
                if m.is_empty() { Ok(job) } else { from_annotations(m).map_err(|e| format!("role `{role}`: {e}")) }
            },
        )
        .collect()
}

fn int(annotations: &BTreeMap<String, String>, key: &str, lo: i64, hi: i64) -> Result<Option<i64>, String> {
    let Some(v) = annotations.get(key) else { return Ok(None) };
    match v.trim().parse::<i64>() {
        Ok(x) if (lo..=hi).contains(&x) => Ok(Some(x)),
        _ => Err(format!("`{key}={v}`: expected an integer from {lo} to {hi}")),
    }
}

/// The sharing request the annotations make, with the scalar resources each pod then requests.
/// `None` when they make none. Two kinds of request in one job are an error.
pub fn from_annotations(annotations: &BTreeMap<String, String>) -> Result<Option<(DeviceRequest, Resources)>, String> {
    let slot = |name: &str| scalar_slot(name).expect("known scalar");
    let mut found: Vec<(DeviceRequest, Resources)> = Vec::new();
    if let Some(mib) = int(annotations, GPU_MEMORY, 1, 1 << 30)? {
        let req = DeviceRequest { kind: ShareKind::GpuMemory, cards: 1, milli: 0, memory_mib: mib as u32 };
        found.push((req, Resources::ZERO.with_scalar(slot(GPU_MEMORY), mib * 1000)));
    }
    if let Some(n) = int(annotations, GPU_NUMBER, 1, 64)? {
        let req = DeviceRequest::whole(n as u16, ShareKind::GpuNumber);
        found.push((req, Resources::ZERO.with_scalar(slot(GPU_NUMBER), n * 1000)));
    }
    let vmem = int(annotations, VGPU_MEMORY, 1, 1 << 30)?;
    let vcores = int(annotations, VGPU_CORES, 0, 100)?;
    match int(annotations, VGPU_NUMBER, 1, 64)? {
        Some(n) => {
            let milli = (vcores.unwrap_or(0) * 10) as u16;
            let req =
                DeviceRequest { kind: ShareKind::Vgpu, cards: n as u16, milli, memory_mib: vmem.unwrap_or(0) as u32 };
            found.push((req, Resources::ZERO.with_scalar(slot(VGPU_NUMBER), n * 1000)));
        }
        None if vmem.is_some() || vcores.is_some() => {
            return Err(format!("`{VGPU_MEMORY}` and `{VGPU_CORES}` need `{VGPU_NUMBER}`"));
        }
        None => {}
    }
    if let Some(v) = annotations.get(NPU_CORE) {
        let (cores, mib) = match vnpu_template(v.trim()) {
            Some(t) => t,
            None => return Err(format!("`{NPU_CORE}={v}`: expected a vNPU template (vir01, vir02, vir04)")),
        };
        let milli = (cores as i32 * WHOLE / crate::model::devices::ASCEND310P_AICORES as i32) as u16;
        let req = DeviceRequest { kind: ShareKind::Vnpu, cards: 1, milli, memory_mib: mib };
        found.push((req, Resources::ZERO.with_scalar(ASCEND310, milli as i64)));
    }
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err("a job may make one kind of device sharing request only".into()),
    }
}

/// Rescales the vNPU requests of `roles` from 8-core chips to chips of `cores_per_chip` AI cores:
/// a template of `c` cores takes `c / cores_per_chip` of a chip, on its card and in the node's
/// `huawei.com/Ascend310P` resource (rounded down, so `cores_per_chip` one-core templates fill a
/// chip and one more does not fit). A template larger than the chip fits no card.
pub fn rescale_vnpu(roles: &mut [crate::model::job::Role], cores_per_chip: u32) {
    let per_core_8 = WHOLE / crate::model::devices::ASCEND310P_AICORES as i32;
    for r in roles.iter_mut().filter(|r| r.device.kind == ShareKind::Vnpu) {
        let cores = r.device.milli as i32 / per_core_8;
        let milli = (cores * WHOLE / cores_per_chip.max(1) as i32).min(u16::MAX as i32);
        r.request.scalars[ASCEND310] += milli as i64 - r.device.milli as i64;
        r.device.milli = milli as u16;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn reads_each_kind_and_rejects_mixtures() {
        let (r, res) = from_annotations(&ann(&[(GPU_MEMORY, "8192")])).unwrap().unwrap();
        assert_eq!((r.kind, r.cards, r.memory_mib), (ShareKind::GpuMemory, 1, 8192));
        assert_eq!(res.scalars[scalar_slot(GPU_MEMORY).unwrap()], 8_192_000);
        let (r, _) = from_annotations(&ann(&[(VGPU_NUMBER, "2"), (VGPU_CORES, "30")])).unwrap().unwrap();
        assert_eq!((r.cards, r.milli), (2, 300));
        let (r, res) = from_annotations(&ann(&[(NPU_CORE, "vir02")])).unwrap().unwrap();
        assert_eq!((r.milli, r.memory_mib, res.scalars[ASCEND310]), (250, 6144, 250));
        assert!(from_annotations(&ann(&[(GPU_MEMORY, "1"), (GPU_NUMBER, "1")])).is_err());
        assert!(from_annotations(&ann(&[(VGPU_CORES, "30")])).is_err());
        assert!(from_annotations(&ann(&[(NPU_CORE, "vir03")])).is_err());
        assert!(from_annotations(&ann(&[("x", "y")])).unwrap().is_none());
    }

    #[test]
    fn role_scoped_keys_replace_the_job_request_for_their_role() {
        let a = ann(&[(GPU_MEMORY, "8192"), ("ps:volcano.sh/vgpu-number", "1"), ("ps:volcano.sh/vgpu-cores", "25")]);
        let r = per_role(&a, &["worker", "ps", "chief"]).unwrap();
        let (w, wres) = r[0].unwrap();
        assert_eq!((w.kind, w.memory_mib), (ShareKind::GpuMemory, 8192));
        assert_eq!(wres.scalars[scalar_slot(GPU_MEMORY).unwrap()], 8_192_000);
        let (p, pres) = r[1].unwrap();
        assert_eq!((p.kind, p.cards, p.milli), (ShareKind::Vgpu, 1, 250));
        assert_eq!(pres.scalars[scalar_slot(GPU_MEMORY).unwrap()], 0, "the job-level request is replaced");
        assert_eq!(r[2], r[0]);
        let only_scoped = per_role(&ann(&[("worker:volcano.sh/gpu-number", "2")]), &["worker", "ps"]).unwrap();
        assert_eq!(only_scoped[0].unwrap().0, DeviceRequest::whole(2, ShareKind::GpuNumber));
        assert!(only_scoped[1].is_none());
        let e = per_role(&ann(&[("launcher:volcano.sh/gpu-number", "2")]), &["worker"]).unwrap_err();
        assert!(e.contains("no role `launcher`"), "{e}");
        let e = per_role(&ann(&[("worker:volcano.sh/vgpu-cores", "20")]), &["worker"]).unwrap_err();
        assert!(e.starts_with("role `worker`:"), "{e}");
    }
}
