//! Job requests for the scenario's extended resources (`fleet.pools[].extended`), which the trace
//! readers cannot resolve on their own: the names are bound per scenario.
//!
//! A native trace asks for them in two ways:
//! - the `gpu` column with a `gpu_model` that is an extended accelerator's model
//!   (`8,P800` on a pool declaring `{name: kunlunxin.com/xpu, model: P800}`): that many units of
//!   that resource, whole units only;
//! - the `annotations` column: a key naming a declared extended resource is a per-pod request of
//!   every role (`rdma/hca=1`), and `<role>:<name>` one of that role only
//!   (`worker:kunlunxin.com/xpu=8`), replacing the job-level amount for that role. These keys are
//!   requests, not PodGroup annotations, and are removed from the job's annotations.
//!
//! A role-scoped key that is neither a device request (handled by the trace reader) nor a declared
//! extended resource is an error, as is a scoped key naming a role the job does not have.

use crate::model::JobSpec;
use crate::model::devices::{DeviceRequest, ShareKind};
use crate::model::quantity::parse_quantity;
use crate::model::resources::{FIXED_SLOTS, GPU};
use crate::model::scalar_names::ScalarNames;
use crate::trace::device_requests::scoped;
use std::collections::BTreeMap;

/// Parses a per-pod amount of an extended resource into milli-units.
fn amount(key: &str, v: &str) -> Result<i64, String> {
    match parse_quantity(v) {
        Ok(q) if q >= 0.0 && q.is_finite() => Ok((q * 1000.0).round() as i64),
        _ => Err(format!("`{key}={v}`: expected a quantity ≥ 0")),
    }
}

/// Applies the extended-resource requests of every job (see the module documentation).
pub fn apply(jobs: &mut [JobSpec], names: &ScalarNames, models: &BTreeMap<String, usize>) -> Result<(), String> {
    let extended = |k: &str| names.slot(k).filter(|s| *s >= FIXED_SLOTS);
    for job in jobs.iter_mut() {
        if !models.is_empty() {
            for role in &mut job.roles {
                let Some(m) = &role.accelerator_model else { continue };
                let slots: Vec<Option<usize>> = m.split('|').map(|x| models.get(x).copied()).collect();
                let Some(slot) = slots.iter().copied().flatten().next() else { continue };
                if slots.iter().any(Option::is_none) {
                    return Err(format!(
                        "{}: job `{}` role `{}`: gpu_model `{m}` mixes extended accelerator models with others",
                        job.origin, job.name, role.name
                    ));
                }
                if slots.iter().any(|s| *s != Some(slot)) {
                    return Err(format!(
                        "{}: job `{}` role `{}`: the models of `{m}` are different resources",
                        job.origin, job.name, role.name
                    ));
                }
                if !matches!(role.device.kind, ShareKind::None | ShareKind::Whole) {
                    return Err(format!(
                        "{}: job `{}` role `{}`: `{m}` is an extended accelerator ({}), asked for in whole units only",
                        job.origin,
                        job.name,
                        role.name,
                        names.name(crate::model::Dim::Scalar(slot))
                    ));
                }
                // The reader put the units in the GPU slot (the model is no GPU or NPU it knows).
                role.request.scalars[slot] += std::mem::take(&mut role.request.scalars[GPU]);
                role.device = DeviceRequest::NONE;
            }
        }
        if !job.annotations.keys().any(|k| extended(k).is_some() || scoped(k).is_some()) {
            continue;
        }
        let mut taken = Vec::new();
        for (k, v) in &job.annotations {
            if let Some(slot) = extended(k) {
                let milli = amount(k, v).map_err(|m| format!("{}: job `{}`: {m}", job.origin, job.name))?;
                for role in &mut job.roles {
                    role.request.scalars[slot] = milli;
                }
                taken.push(k.clone());
            }
        }
        for (k, v) in &job.annotations {
            let Some((role, key)) = scoped(k) else { continue };
            let Some(slot) = extended(key) else {
                return Err(format!(
                    "{}: job `{}`: `{k}`: only device requests and the scenario's extended resources \
                     (fleet.pools[].extended) can be given per role",
                    job.origin, job.name
                ));
            };
            let milli = amount(k, v).map_err(|m| format!("{}: job `{}`: {m}", job.origin, job.name))?;
            let r =
                job.roles.iter_mut().find(|r| r.name == role).ok_or_else(|| {
                    format!("{}: job `{}`: `{k}`: the job has no role `{role}`", job.origin, job.name)
                })?;
            r.request.scalars[slot] = milli;
            taken.push(k.clone());
        }
        for k in taken {
            job.annotations.remove(&k);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Resources, Role};

    fn job(annotations: &[(&str, &str)], model: Option<&str>, gpu: i64) -> JobSpec {
        let mut j = JobSpec::one_role("j", "q", "worker", 2, 2, Resources::new(1000, 0).with_scalar(GPU, gpu));
        let mut ps = j.roles[0].clone();
        ps.name = "ps".into();
        j.roles[0].accelerator_model = model.map(str::to_string);
        if gpu > 0 {
            j.roles[0].device = DeviceRequest::whole((gpu / 1000) as u16, ShareKind::Whole);
        }
        ps.request = Resources::new(500, 0);
        j.roles.push(Role { replicas: 1, min_available: 1, ..ps });
        j.annotations = annotations.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        j
    }

    fn names() -> (ScalarNames, BTreeMap<String, usize>) {
        let mut n = ScalarNames::default();
        let xpu = n.bind("kunlunxin.com/xpu", Some(true)).unwrap();
        n.bind("rdma/hca", Some(false)).unwrap();
        (n, [("P800".to_string(), xpu)].into_iter().collect())
    }

    #[test]
    fn model_units_move_to_the_extended_slot_and_annotations_become_requests() {
        let (n, models) = names();
        let mut jobs = vec![job(&[("rdma/hca", "1"), ("ps:rdma/hca", "0"), ("team", "a")], Some("P800"), 8000)];
        apply(&mut jobs, &n, &models).unwrap();
        let w = &jobs[0].roles[0];
        assert_eq!((w.request.scalars[GPU], w.request.scalars[6], w.request.scalars[7]), (0, 8000, 1000));
        assert_eq!(w.device, DeviceRequest::NONE, "an extended accelerator has no card model");
        assert_eq!(jobs[0].roles[1].request.scalars[7], 0, "the role-scoped amount replaces the job's");
        assert_eq!(jobs[0].annotations.keys().collect::<Vec<_>>(), ["team"]);
    }

    #[test]
    fn bad_scoped_keys_and_shares_are_errors() {
        let (n, models) = names();
        let e = apply(&mut [job(&[("chief:rdma/hca", "1")], None, 0)], &n, &models).unwrap_err();
        assert!(e.contains("no role `chief`"), "{e}");
        let e = apply(&mut [job(&[("ps:example.com/team", "1")], None, 0)], &n, &models).unwrap_err();
        assert!(e.contains("only device requests and the scenario's extended resources"), "{e}");
        let mut milli = job(&[], Some("P800"), 500);
        milli.roles[0].device = DeviceRequest { kind: ShareKind::Milli, cards: 1, milli: 500, memory_mib: 0 };
        let e = apply(&mut [milli], &n, &models).unwrap_err();
        assert!(e.contains("whole units only"), "{e}");
        let e = apply(&mut [job(&[], Some("P800|H100"), 1000)], &n, &models).unwrap_err();
        assert!(e.contains("mixes"), "{e}");
    }
}
