//! The committed baseline: per scenario, the gated metrics' values for each seed. Written by
//! `tephra check --update-baseline`, read by every later check. Small and stable so that a change
//! to it reads well in a pull request.

use super::measure::Measured;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Version of the baseline file format.
pub const SCHEMA_VERSION: u32 = 1;

/// `baseline.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Format version ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// tephra version that wrote it (informative).
    pub tephra_version: String,
    /// Per scenario name.
    pub scenarios: BTreeMap<String, ScenarioBaseline>,
}

/// One scenario's baseline values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioBaseline {
    /// Seeds the values came from.
    pub seeds: Vec<u64>,
    /// Per metric path: one value per seed (null where the summary lacked it).
    pub metrics: BTreeMap<String, Vec<Option<f64>>>,
}

impl Baseline {
    /// A baseline from measurements.
    pub fn from_measured(measured: &[Measured]) -> Baseline {
        Baseline {
            schema_version: SCHEMA_VERSION,
            tephra_version: env!("CARGO_PKG_VERSION").into(),
            scenarios: measured
                .iter()
                .map(|m| (m.name.clone(), ScenarioBaseline { seeds: m.seeds.clone(), metrics: m.values.clone() }))
                .collect(),
        }
    }

    /// Reads a baseline; errors name the file.
    pub fn read(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!("{}: cannot read baseline: {e} (write one with `tephra check --update-baseline`)", path.display())
        })?;
        let b: Baseline = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        if b.schema_version != SCHEMA_VERSION {
            return Err(format!(
                "{}: baseline schema_version {} (this tephra reads {SCHEMA_VERSION}); rewrite it with --update-baseline",
                path.display(),
                b.schema_version
            ));
        }
        Ok(b)
    }

    /// Pretty JSON, newline-terminated.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("serializable");
        s.push('\n');
        s
    }
}
