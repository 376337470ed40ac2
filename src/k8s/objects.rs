//! Volcano and Kubernetes objects in a (multi-document) YAML file, as workload templates and
//! queue definitions:
//!
//! | object | becomes |
//! |---|---|
//! | `batch.volcano.sh/v1alpha1` `Job` | a template: one role per `spec.tasks[]` (`replicas`, `minAvailable`, the summed container `requests`, the `nvidia.com/gpu.product` node selector as GPU model); `spec.queue`, `spec.priorityClassName`, `spec.networkTopology` |
//! | `scheduling.volcano.sh/v1beta1` `PodGroup` | a template of one role `worker`: `spec.minMember` pods, each asking `spec.minResources / minMember`; `spec.queue`, `spec.priorityClassName`, `spec.networkTopology` |
//! | `scheduling.volcano.sh/v1beta1` `Queue` | a queue: `spec.weight`, `capability`, `guarantee.resource`, `deserved`, `reclaimable`, `parent`, `priority` |
//! | `scheduling.k8s.io/v1` `PriorityClass` | a priority class name → `value` |
//!
//! A job's `spec.minAvailable` below the sum of its tasks' replicas lowers the tasks' gang
//! minimums from the last task back (tasks with their own `minAvailable` keep it). Other kinds
//! are skipped with a warning. A trace row references a template by naming the role `@<name>`
//! ([`expand`]): the row gives the job id, submit time and duration; the template gives the
//! roles, and its queue and priority when the row leaves them at `default` / 0. A task's pod
//! template may carry the annotation `tephra.io/task-duration` (a duration, or `until-job-ends`)
//! to end on its own ([`TASK_DURATION`]); the job's work is then the longest task end. The Job's
//! `spec.policies`, `spec.tasks[].policies`, `spec.maxRetry` and `spec.tasks[].maxRetry` (the
//! TaskFailed threshold, `tephra.io/task-max-retry`) become the job controller's policies for the
//! jobs that use the template (unless the row's annotations set their own).
//!
//! Device requests are per task, from its containers' requests: `nvidia.com/gpu` (or an Ascend
//! resource) asks for whole cards, `volcano.sh/gpu-memory`, `volcano.sh/gpu-number`,
//! `volcano.sh/vgpu-number` (+ `vgpu-memory`, `vgpu-cores`) and `huawei.com/npu-core` share cards
//! as the native trace's annotations do (`crate::trace::device_requests`). Extended resources the
//! scenario declares (`kunlunxin.com/xpu`) are requested like any other resource.
//!
//! `spec.networkTopology` (`mode`, `highestTierAllowed` or `highestTierName`) becomes the jobs'
//! network topology constraint unless their trace row gives one; a tier name is resolved against
//! the scenario's topology when the scenario loads. A task's `partitionPolicy` and a PodGroup's
//! `subGroupPolicy` (sub-group gangs) are not simulated: they are dropped with a warning.

use super::resources::resource_list;
use crate::model::annotations::TopologyMode;
use crate::model::devices::{DeviceRequest, ShareKind};
use crate::model::lifecycle;
use crate::model::resources::{ASCEND310, ASCEND910, GPU};
use crate::model::scalar_names::ScalarNames;
use crate::model::{JobSpec, Queue, QueueId, Resources, Role, RoleDuration};
use crate::trace::device_requests::DEVICE_KEYS;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// A workload template (from a Volcano Job or PodGroup).
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    /// `metadata.name`.
    pub name: String,
    /// `Job` or `PodGroup`.
    pub kind: String,
    /// `spec.queue`.
    pub queue: Option<String>,
    /// The job's priority (its PriorityClass value, 0 without one).
    pub priority: i32,
    /// The roles.
    pub roles: Vec<Role>,
    /// Job-controller knobs from the Job's `spec.policies`, `spec.tasks[].policies` and
    /// `spec.maxRetry`, as the `tephra.io/*` annotations a trace row would carry (the row's own
    /// annotations win).
    pub annotations: BTreeMap<String, String>,
    /// `spec.networkTopology`, if given.
    pub network_topology: Option<TemplateTopology>,
}

impl Template {
    /// A template from its document `d` (queue and network topology read from its spec; `at`
    /// names the document in errors) and the parts its kind's reader built.
    fn of(
        d: &Value,
        at: &str,
        name: String,
        kind: &str,
        priority: i32,
        roles: Vec<Role>,
        annotations: BTreeMap<String, String>,
    ) -> Result<Template, String> {
        Ok(Template {
            name,
            kind: kind.into(),
            queue: s(d, "/spec/queue").map(str::to_string),
            priority,
            roles,
            annotations,
            network_topology: TemplateTopology::read(d, at)?,
        })
    }
}

/// A template's `spec.networkTopology` (`NetworkTopologySpec`).
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateTopology {
    /// `mode` (the CRD's default is hard).
    pub mode: TopologyMode,
    /// `highestTierAllowed`, or the tier `highestTierName` resolves to.
    pub highest_tier: Option<u32>,
    /// `highestTierName` as written (resolved into `highest_tier` by the scenario loader).
    pub highest_tier_name: Option<String>,
}

impl TemplateTopology {
    /// Reads `spec.networkTopology`; the CRD forbids giving both tier fields.
    fn read(v: &Value, at: &str) -> Result<Option<TemplateTopology>, String> {
        let Some(nt) = v.pointer("/spec/networkTopology").filter(|x| !x.is_null()) else { return Ok(None) };
        let mode = match s(nt, "/mode") {
            None => TopologyMode::Hard,
            Some(m) => TopologyMode::parse(m)
                .ok_or_else(|| format!("{at}: spec.networkTopology.mode: `{m}` is not hard or soft"))?,
        };
        let tier = int(nt, "/highestTierAllowed", &format!("{at}: spec.networkTopology"))?;
        let name = s(nt, "/highestTierName").filter(|n| !n.is_empty()).map(str::to_string);
        if tier.is_some() && name.is_some() {
            return Err(format!(
                "{at}: spec.networkTopology: must not specify 'highestTierAllowed' and 'highestTierName' together"
            ));
        }
        if let Some(t) = tier.filter(|t| *t < 1 || *t > u32::MAX as i64) {
            return Err(format!("{at}: spec.networkTopology.highestTierAllowed: {t} is not a tier (≥ 1)"));
        }
        Ok(Some(TemplateTopology { mode, highest_tier: tier.map(|t| t as u32), highest_tier_name: name }))
    }
}

/// A container's requests without the device-sharing keys, and those keys' values.
fn split_device_keys(requests: &Value) -> (Value, BTreeMap<String, String>) {
    let mut plain = requests.clone();
    let mut device = BTreeMap::new();
    if let Some(map) = plain.as_object_mut() {
        for k in DEVICE_KEYS {
            if let Some(v) = map.remove(k) {
                device.insert(k.to_string(), super::resources::quantity_text(&v).unwrap_or_default());
            }
        }
    }
    (plain, device)
}

/// The device request of a task whose pods request `request` and the sharing keys `device`:
/// a sharing request when the keys make one, else whole cards of its GPU/NPU request.
fn task_device(request: &mut Resources, device: &BTreeMap<String, String>, at: &str) -> Result<DeviceRequest, String> {
    if let Some((req, extra)) =
        crate::trace::device_requests::from_annotations(device).map_err(|m| format!("{at}: {m}"))?
    {
        if [GPU, ASCEND910, ASCEND310].iter().any(|s| request.scalars[*s] > 0) {
            return Err(format!("{at}: requests whole cards and shares of cards; use one"));
        }
        *request += extra;
        return Ok(req);
    }
    let whole: i64 = [GPU, ASCEND910, ASCEND310].iter().map(|s| request.scalars[*s]).sum();
    if whole % 1000 != 0 {
        return Err(format!("{at}: whole accelerators must be whole numbers"));
    }
    Ok(if whole > 0 { DeviceRequest::whole((whole / 1000) as u16, ShareKind::Whole) } else { DeviceRequest::NONE })
}

/// Everything read from object files.
#[derive(Clone, Debug, Default)]
pub struct Objects {
    /// Templates by name.
    pub templates: BTreeMap<String, Template>,
    /// Queues, in file order (ids are positions).
    pub queues: Vec<Queue>,
    /// PriorityClass values by name.
    pub priority_classes: BTreeMap<String, i32>,
    /// Skipped objects and unmodelled fields.
    pub warnings: Vec<String>,
}

/// Reads an object file; `names` are the scenario's extended resources.
pub fn read(path: &Path, classes: &BTreeMap<String, i32>, names: &ScalarNames) -> Result<Objects, String> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{file}: {e}"))?;
    parse(&text, &file, classes, names)
}

fn s<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr).and_then(Value::as_str)
}

fn int(v: &Value, ptr: &str, at: &str) -> Result<Option<i64>, String> {
    match v.pointer(ptr) {
        None | Some(Value::Null) => Ok(None),
        Some(x) => x
            .as_i64()
            .map(Some)
            .ok_or_else(|| format!("{at}: {}: `{x}` is not an integer", &ptr[1..].replace('/', "."))),
    }
}

fn model_of(node_selector: Option<&Value>) -> Option<String> {
    let ns = node_selector?.as_object()?;
    ["nvidia.com/gpu.product", "accelerator"]
        .iter()
        .find_map(|k| ns.get(*k).and_then(Value::as_str).map(str::to_string))
}

/// The pod-template annotation giving a task its own run time (see [`crate::model::RoleDuration`]):
/// a duration (`45m`), or `until-job-ends` for pods with no end of their own. Without it the
/// task's pods run as long as the job (the trace row's duration).
pub const TASK_DURATION: &str = "tephra.io/task-duration";

fn task_duration(t: &Value, at: &str) -> Result<RoleDuration, String> {
    let Some(v) = t.pointer("/template/metadata/annotations").and_then(|a| a.get(TASK_DURATION)) else {
        return Ok(RoleDuration::Job);
    };
    let text = v.as_str().ok_or_else(|| format!("{at}: {TASK_DURATION}: `{v}` is not a string"))?;
    if text.trim() == "until-job-ends" {
        return Ok(RoleDuration::UntilJobEnds);
    }
    match crate::model::time::parse_duration(text.trim()) {
        Ok(d) if d.0 > 0 => Ok(RoleDuration::Own(d.0)),
        Ok(_) => Err(format!("{at}: {TASK_DURATION}: must be positive")),
        Err(e) => Err(format!("{at}: {TASK_DURATION}: {e} (or `until-job-ends`)")),
    }
}

/// A vcjob's lifecycle policies (`spec.policies` or a task's `policies`: `event` or `events`,
/// `action`, `timeout`) as tephra's `[task/]Event:Action[@timeout]` rules. Policies on exit codes
/// and actions tephra does not simulate (ResumeJob, SyncJob, RestartPartition) are skipped with a
/// warning.
fn policies(
    v: Option<&Value>,
    task: Option<&str>,
    at: &str,
    warnings: &mut Vec<String>,
) -> Result<Vec<String>, String> {
    let Some(list) = v.filter(|v| !v.is_null()) else { return Ok(Vec::new()) };
    let list = list.as_array().ok_or_else(|| format!("{at}: not a list"))?;
    let mut out = Vec::new();
    for (i, p) in list.iter().enumerate() {
        let pat = format!("{at}[{i}]");
        let Some(action) = s(p, "/action") else { return Err(format!("{pat}: no action")) };
        if p.get("exitCode").is_some_and(|c| !c.is_null()) {
            warnings.push(format!("{pat}: exit-code policies are not simulated; skipped"));
            continue;
        }
        if matches!(action, "ResumeJob" | "SyncJob" | "RestartPartition") {
            warnings.push(format!("{pat}: action {action} is not simulated; skipped"));
            continue;
        }
        let mut events: Vec<&str> = s(p, "/event").into_iter().collect();
        events.extend(p.get("events").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str));
        if events.is_empty() {
            return Err(format!("{pat}: no event or events"));
        }
        let timeout = s(p, "/timeout").map(|t| format!("@{t}")).unwrap_or_default();
        for e in events {
            let rule = match task {
                Some(t) => format!("{t}/{e}:{action}{timeout}"),
                None => format!("{e}:{action}{timeout}"),
            };
            lifecycle::parse_policies(&rule).map_err(|m| format!("{pat}: {m}"))?;
            out.push(rule);
        }
    }
    Ok(out)
}

/// Parses the documents of an object file; `extra` are PriorityClasses known from elsewhere
/// (the scenario's `priority_classes`), `names` the scenario's extended resources.
pub fn parse(text: &str, file: &str, extra: &BTreeMap<String, i32>, names: &ScalarNames) -> Result<Objects, String> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(text).map_err(|e| format!("{file}: {e}"))?;
    let mut out = Objects { priority_classes: extra.clone(), ..Objects::default() };
    let docs: Vec<(usize, &Value)> = docs.iter().enumerate().filter(|(_, d)| !d.is_null()).collect();
    if docs.is_empty() {
        return Err(format!("{file}: no objects"));
    }
    // PriorityClasses first, so templates anywhere in the file can name them.
    for (i, d) in &docs {
        if s(d, "/kind") == Some("PriorityClass") {
            let at = format!("{file}: document {}", i + 1);
            let name = s(d, "/metadata/name").ok_or_else(|| format!("{at}: PriorityClass without metadata.name"))?;
            let value = int(d, "/value", &at)?.ok_or_else(|| format!("{at}: PriorityClass `{name}` without value"))?;
            out.priority_classes.insert(name.to_string(), value as i32);
        }
    }
    let class = |name: Option<&str>, at: &str| -> Result<i32, String> {
        match name {
            None | Some("") => Ok(0),
            Some(n) => out.priority_classes.get(n).copied().ok_or_else(|| {
                format!("{at}: priorityClassName `{n}` is not a PriorityClass in this file or the scenario")
            }),
        }
    };
    let mut templates = BTreeMap::new();
    let mut queues: Vec<Queue> = Vec::new();
    let mut warnings = Vec::new();
    for (i, d) in &docs {
        let kind = s(d, "/kind").unwrap_or("");
        let api = s(d, "/apiVersion").unwrap_or("");
        let name = s(d, "/metadata/name").unwrap_or("").to_string();
        let at = format!("{file}: document {} ({kind} {name})", i + 1);
        if name.is_empty() && kind != "PriorityClass" {
            return Err(format!("{at}: no metadata.name"));
        }
        match (api.split('/').next().unwrap_or(""), kind) {
            (_, "PriorityClass") => {}
            ("batch.volcano.sh", "Job") => {
                let job_class = s(d, "/spec/priorityClassName");
                let tasks = d
                    .pointer("/spec/tasks")
                    .and_then(Value::as_array)
                    .ok_or_else(|| format!("{at}: spec.tasks is missing"))?;
                if tasks.is_empty() {
                    return Err(format!("{at}: spec.tasks is empty"));
                }
                let mut roles = Vec::new();
                let mut own_min = Vec::new();
                for (k, t) in tasks.iter().enumerate() {
                    let tat = format!("{at}: spec.tasks[{k}]");
                    let replicas = int(t, "/replicas", &tat)?.unwrap_or(1);
                    if !(1..=100_000).contains(&replicas) {
                        return Err(format!("{tat}: replicas {replicas} is not from 1 to 100000"));
                    }
                    let min = int(t, "/minAvailable", &tat)?;
                    if min.is_some_and(|m| m < 0 || m > replicas) {
                        return Err(format!("{tat}: minAvailable {} is not from 0 to {replicas}", min.unwrap_or(0)));
                    }
                    own_min.push(min.is_some());
                    let mut request = Resources::ZERO;
                    let mut device_keys = BTreeMap::new();
                    for (c, ctr) in t
                        .pointer("/template/spec/containers")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .enumerate()
                    {
                        let what = format!("{tat}: containers[{c}].resources.requests");
                        let (plain, device) =
                            split_device_keys(ctr.pointer("/resources/requests").unwrap_or(&Value::Null));
                        let (r, ignored) = resource_list(&plain, &what, names)?;
                        for n in ignored {
                            warnings.push(format!("{tat}: resource `{n}` is not simulated"));
                        }
                        request += r;
                        for (k, v) in device {
                            if device_keys.insert(k.clone(), v).is_some() {
                                return Err(format!("{what}: `{k}` is requested by two containers of the task"));
                            }
                        }
                    }
                    let device = task_device(&mut request, &device_keys, &tat)?;
                    if t.pointer("/partitionPolicy").is_some_and(|p| !p.is_null()) {
                        warnings.push(format!("{tat}: partitionPolicy (sub-group gangs) is not simulated"));
                    }
                    let tname = s(t, "/name").map(str::to_string).unwrap_or_else(|| format!("task{k}"));
                    let duration = task_duration(t, &tat)?;
                    let prio = class(s(t, "/template/spec/priorityClassName").or(job_class), &tat)?;
                    roles.push(Role {
                        name: tname,
                        replicas: replicas as u32,
                        min_available: min.unwrap_or(replicas) as u32,
                        request,
                        accelerator_model: model_of(t.pointer("/template/spec/nodeSelector")),
                        priority: prio,
                        device,
                        duration,
                    });
                }
                if let Some(m) = int(d, "/spec/minAvailable", &at)? {
                    let total: i64 = roles.iter().map(|r| r.replicas as i64).sum();
                    if m < 1 || m > total {
                        return Err(format!("{at}: spec.minAvailable {m} is not from 1 to {total}"));
                    }
                    let mut excess = roles.iter().map(|r| r.min_available as i64).sum::<i64>() - m;
                    for (r, own) in roles.iter_mut().zip(&own_min).rev() {
                        if excess <= 0 {
                            break;
                        }
                        if !own {
                            let cut = excess.min(r.min_available as i64);
                            r.min_available -= cut as u32;
                            excess -= cut;
                        }
                    }
                }
                let priority = roles.iter().map(|r| r.priority).max().unwrap_or(0);
                let mut rules =
                    policies(d.pointer("/spec/policies"), None, &format!("{at}: spec.policies"), &mut warnings)?;
                let mut task_retries = Vec::new();
                for (k, t) in tasks.iter().enumerate() {
                    let tname = &roles[k].name;
                    let tat = format!("{at}: spec.tasks[{k}].policies");
                    rules.extend(policies(t.pointer("/policies"), Some(tname), &tat, &mut warnings)?);
                    if let Some(m) = int(t, "/maxRetry", &format!("{at}: spec.tasks[{k}]"))? {
                        if m < -1 || m > i32::MAX as i64 {
                            return Err(format!("{at}: spec.tasks[{k}].maxRetry {m} is not -1 (no limit) or ≥ 0"));
                        }
                        task_retries.push(format!("{tname}:{m}"));
                    }
                }
                let mut annotations = BTreeMap::new();
                if !rules.is_empty() {
                    annotations.insert(lifecycle::POLICIES.to_string(), rules.join(","));
                }
                if let Some(m) = int(d, "/spec/maxRetry", &at)? {
                    if m < 0 {
                        return Err(format!("{at}: spec.maxRetry {m} is negative"));
                    }
                    annotations.insert(lifecycle::MAX_RETRY.to_string(), m.to_string());
                }
                if !task_retries.is_empty() {
                    annotations.insert(lifecycle::TASK_MAX_RETRY.to_string(), task_retries.join(","));
                }
                templates.insert(name.clone(), Template::of(d, &at, name, kind, priority, roles, annotations)?);
            }
            ("scheduling.volcano.sh", "PodGroup") => {
                let members = int(d, "/spec/minMember", &at)?.unwrap_or(1);
                if !(1..=100_000).contains(&members) {
                    return Err(format!("{at}: spec.minMember {members} is not from 1 to 100000"));
                }
                let (total, ignored) = resource_list(
                    d.pointer("/spec/minResources").unwrap_or(&Value::Null),
                    &format!("{at}: spec.minResources"),
                    names,
                )?;
                for n in ignored {
                    warnings.push(format!("{at}: resource `{n}` is not simulated"));
                }
                let m = members;
                let mut request = Resources::new(total.cpu / m, total.memory / m);
                for slot in 0..request.scalars.len() {
                    request.scalars[slot] = total.scalars[slot] / m;
                }
                if [GPU, ASCEND910, ASCEND310].iter().any(|s| total.scalars[*s] % (m * 1000) != 0) {
                    return Err(format!(
                        "{at}: spec.minResources accelerators do not split into {m} whole-accelerator pods"
                    ));
                }
                let priority = class(s(d, "/spec/priorityClassName"), &at)?;
                if d.pointer("/spec/subGroupPolicy").is_some_and(|p| !p.is_null()) {
                    warnings.push(format!("{at}: spec.subGroupPolicy (sub-group gangs) is not simulated"));
                }
                let role = Role {
                    name: "worker".into(),
                    replicas: m as u32,
                    min_available: m as u32,
                    request,
                    accelerator_model: None,
                    priority,
                    device: Default::default(),
                    duration: Default::default(),
                };
                templates
                    .insert(name.clone(), Template::of(d, &at, name, kind, priority, vec![role], BTreeMap::new())?);
            }
            ("scheduling.volcano.sh", "Queue") => {
                if queues.iter().any(|q| q.name == name) {
                    return Err(format!("{at}: queue `{name}` defined twice"));
                }
                let mut q = Queue::new(QueueId(queues.len() as u32), name.clone());
                q.weight = int(d, "/spec/weight", &at)?.unwrap_or(1).max(1) as u32;
                if let Some(c) = d.pointer("/spec/capability") {
                    let (r, _) = resource_list(c, &format!("{at}: spec.capability"), names)?;
                    q.capability = Resources::UNBOUNDED;
                    let map = c.as_object().into_iter().flatten();
                    for (k, _) in map {
                        match k.as_str() {
                            "cpu" => q.capability.cpu = r.cpu,
                            "memory" => q.capability.memory = r.memory,
                            n => {
                                if let Some(slot) = names.slot(n) {
                                    q.capability.scalars[slot] = r.scalars[slot];
                                }
                            }
                        }
                    }
                }
                if let Some(g) = d.pointer("/spec/guarantee/resource") {
                    q.guarantee = resource_list(g, &format!("{at}: spec.guarantee.resource"), names)?.0;
                }
                if let Some(g) = d.pointer("/spec/deserved") {
                    q.deserved = Some(resource_list(g, &format!("{at}: spec.deserved"), names)?.0);
                }
                if let Some(r) = d.pointer("/spec/reclaimable").and_then(Value::as_bool) {
                    q.reclaimable = r;
                }
                q.priority = int(d, "/spec/priority", &at)?.unwrap_or(0) as i32;
                q.parent = s(d, "/spec/parent").filter(|p| *p != "root").map(str::to_string);
                queues.push(q);
            }
            _ => warnings.push(format!("{at}: {api} {kind} is not a template or queue; skipped")),
        }
    }
    out.templates = templates;
    out.queues = queues;
    out.warnings = warnings;
    Ok(out)
}

/// Replaces every role named `@<template>` in `jobs` by the template's roles; the template's
/// queue and priority apply when the job has `default` / 0.
pub fn expand(jobs: &mut [JobSpec], objects: &Objects) -> Result<(), String> {
    for job in jobs.iter_mut() {
        let Some(tname) = job.roles.iter().find_map(|r| r.name.strip_prefix('@')).map(str::to_string) else {
            continue;
        };
        if job.roles.len() > 1 {
            return Err(format!("{}: job `{}` mixes a template role with other roles", job.origin, job.name));
        }
        let t = objects.templates.get(&tname).ok_or_else(|| {
            format!(
                "{}: job `{}` references template `{tname}`, which is not defined (defined: {})",
                job.origin,
                job.name,
                objects.templates.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })?;
        job.roles = t.roles.clone();
        for (k, v) in &t.annotations {
            job.annotations.entry(k.clone()).or_insert_with(|| v.clone());
        }
        use crate::model::annotations::{NETWORK_TOPOLOGY_HIGHEST_TIER, NETWORK_TOPOLOGY_MODE};
        if let Some(nt) = &t.network_topology
            && !job.annotations.contains_key(NETWORK_TOPOLOGY_MODE)
            && !job.annotations.contains_key(NETWORK_TOPOLOGY_HIGHEST_TIER)
        {
            let mode = if nt.mode == TopologyMode::Soft { "soft" } else { "hard" };
            job.annotations.insert(NETWORK_TOPOLOGY_MODE.into(), mode.into());
            if let Some(tier) = nt.highest_tier {
                job.annotations.insert(NETWORK_TOPOLOGY_HIGHEST_TIER.into(), tier.to_string());
            }
        }
        job.settle_role_durations().map_err(|m| format!("{}: {m}", job.origin))?;
        if job.queue == "default"
            && let Some(q) = &t.queue
        {
            job.queue = q.clone();
        }
        if job.priority == 0 {
            job.priority = t.priority;
        } else {
            for r in &mut job.roles {
                r.priority = job.priority;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_duration_annotation_sets_role_durations() {
        let yaml = r#"
apiVersion: batch.volcano.sh/v1alpha1
kind: Job
metadata: { name: mw }
spec:
  maxRetry: 5
  policies:
    - { events: [PodEvicted, PodFailed], action: RestartJob, timeout: 1m30s }
    - { exitCode: 3, action: AbortJob }
  tasks:
    - name: master
      replicas: 1
      policies: [ { event: TaskCompleted, action: CompleteJob } ]
      template: { spec: { containers: [ { resources: { requests: { nvidia.com/gpu: 1 } } } ] } }
    - name: worker
      replicas: 2
      maxRetry: -1
      template:
        metadata: { annotations: { tephra.io/task-duration: until-job-ends } }
        spec: { containers: [ { resources: { requests: { nvidia.com/gpu: 8 } } } ] }
"#;
        let objects = parse(yaml, "o.yaml", &BTreeMap::new(), &ScalarNames::NONE).unwrap();
        let bad = yaml.replace("maxRetry: -1", "maxRetry: -2");
        let e = parse(&bad, "o.yaml", &BTreeMap::new(), &ScalarNames::NONE).unwrap_err();
        assert!(e.to_string().contains("spec.tasks[1].maxRetry -2 is not -1"), "{e}");
        let mut job = JobSpec::one_role("j", "default", "@mw", 1, 1, Resources::ZERO);
        job.work_ms = 600_000;
        expand(std::slice::from_mut(&mut job), &objects).unwrap();
        assert_eq!(job.work_ms, 600_000);
        assert_eq!((job.roles[0].duration, job.roles[1].duration), (RoleDuration::Job, RoleDuration::UntilJobEnds));
        assert_eq!(
            job.annotations[lifecycle::POLICIES],
            "PodEvicted:RestartJob@1m30s,PodFailed:RestartJob@1m30s,master/TaskCompleted:CompleteJob"
        );
        assert_eq!(job.annotations[lifecycle::MAX_RETRY], "5");
        assert_eq!(job.annotations[lifecycle::TASK_MAX_RETRY], "worker:-1");
        assert_eq!(objects.warnings.len(), 1, "{:?}", objects.warnings);
        // The row's own annotations win.
        let mut own = JobSpec::one_role("k", "default", "@mw", 1, 1, Resources::ZERO);
        own.annotations.insert(lifecycle::MAX_RETRY.into(), "1".into());
        expand(std::slice::from_mut(&mut own), &objects).unwrap();
        assert_eq!(own.annotations[lifecycle::MAX_RETRY], "1");
        let e = parse(
            &yaml.replace("action: CompleteJob", "action: Reboot"),
            "o.yaml",
            &BTreeMap::new(),
            &ScalarNames::NONE,
        )
        .unwrap_err();
        assert!(e.contains("spec.tasks[0].policies[0]: rule `master/TaskCompleted:Reboot`: unknown action"), "{e}");
        let bad = yaml.replace("until-job-ends", "soon");
        let e = parse(&bad, "o.yaml", &BTreeMap::new(), &ScalarNames::NONE).unwrap_err();
        assert!(e.contains("spec.tasks[1]: tephra.io/task-duration"), "{e}");
    }
}
