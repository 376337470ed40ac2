//! Kubernetes resource lists (`{cpu: "8", memory: 64Gi, nvidia.com/gpu: 1}`) as [`Resources`].

use crate::model::Resources;
use crate::model::quantity::{parse_cpu_milli, parse_memory_bytes, parse_quantity};
use crate::model::scalar_names::ScalarNames;
use serde_json::Value;

/// Resource names that exist in Kubernetes but are not simulated; ignored without error.
pub const IGNORED: [&str; 4] = ["pods", "ephemeral-storage", "hugepages-1Gi", "hugepages-2Mi"];

/// A quantity written as a string or a number.
pub fn quantity_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Parses a resource list; `what` names it in errors. Built-in names and the extended resources
/// bound in `names` are read; the [`IGNORED`] ones are skipped, and other extended resources
/// (`rdma/...` that no pool declares) are returned so the caller can warn or bind them.
pub fn resource_list(v: &Value, what: &str, names: &ScalarNames) -> Result<(Resources, Vec<String>), String> {
    let mut r = Resources::ZERO;
    let mut ignored = Vec::new();
    let Some(map) = v.as_object() else {
        return if v.is_null() { Ok((r, ignored)) } else { Err(format!("{what}: not a map of resources")) };
    };
    for (name, q) in map {
        let text = quantity_text(q).ok_or_else(|| format!("{what}.{name}: not a quantity"))?;
        let bad = |m: String| format!("{what}.{name}: {m}");
        match name.as_str() {
            "cpu" => r.cpu = parse_cpu_milli(&text).map_err(bad)?,
            "memory" => r.memory = parse_memory_bytes(&text).map_err(bad)?,
            n if IGNORED.contains(&n) => {}
            n => match names.slot(n) {
                Some(slot) => r.scalars[slot] = (parse_quantity(&text).map_err(bad)? * 1000.0).round() as i64,
                None => ignored.push(n.to_string()),
            },
        }
    }
    Ok((r, ignored))
}
