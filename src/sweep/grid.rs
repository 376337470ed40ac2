//! A sweep's grid file: scenarios × parameter axes (`--set` keys, each with a list of values) ×
//! seeds, expanded into cells in one fixed order. The file is YAML:
//!
//! ```yaml
//! scenarios: [../quickstart.yaml]          # paths relative to the grid file
//! parameters:                              # --set keys; cartesian product, first key slowest
//!   fleet.pools.h100.count: [8, 12, 16]
//!   queues.prod.weight: [1, 3]
//! seeds: 2                                 # the scenario's seed and the next; or a list [7, 11]
//! ```
//!
//! Cell order: scenario (as listed), then parameter values (first axis slowest, values as listed),
//! then seeds. Each cell has an id: a hash of scenario name, assignments and seed, so it stays the
//! same when the grid grows (results of a finished cell stay valid and are not rerun).

use crate::experiment::overrides::{self, Assignment};
use crate::experiment::{Change, Variant};
use crate::scenario::{self, Scenario};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use std::path::{Path, PathBuf};

/// A loaded grid: every scenario loaded and every axis value checked against every scenario.
#[derive(Clone, Debug)]
pub struct Grid {
    /// The grid file.
    pub path: PathBuf,
    /// Scenario files and their loaded scenarios, as listed.
    pub scenarios: Vec<(PathBuf, Scenario)>,
    /// Parameter axes, as listed.
    pub axes: Vec<Axis>,
    /// Seeds per scenario.
    pub seeds: Seeds,
}

/// One parameter: a `--set` key and the values it takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Axis {
    /// A key `--set` accepts (see [`overrides::KEYS`]).
    pub key: String,
    /// Values as they will be written in results (and hashed into the cell id).
    pub values: Vec<String>,
}

/// Which seeds each scenario runs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seeds {
    /// The scenario's own seed and the next `n - 1`.
    Count(u64),
    /// These seeds for every scenario.
    List(Vec<u64>),
}

/// One run of the grid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    /// Position in the grid's order (results are sorted by it).
    pub index: usize,
    /// Index into [`Grid::scenarios`].
    pub scenario: usize,
    /// Assignments, one per axis, in axis order.
    pub assignments: Vec<Assignment>,
    /// Seed.
    pub seed: u64,
    /// Stable id (16 hex digits).
    pub id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GridFile {
    scenarios: Vec<String>,
    #[serde(default)]
    parameters: Axes,
    #[serde(default)]
    seeds: Option<SeedsFile>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum SeedsFile {
    Count(u64),
    List(Vec<u64>),
}

/// A parameter value as written: numbers, booleans and strings (`30s`, a conf path).
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    U(u64),
    I(i64),
    F(f64),
    B(bool),
    S(String),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Scalar::U(v) => v.to_string(),
            Scalar::I(v) => v.to_string(),
            Scalar::F(v) => v.to_string(),
            Scalar::B(v) => v.to_string(),
            Scalar::S(v) => v.clone(),
        }
    }
}

/// The `parameters` mapping with its key order kept (a map type would sort or lose it).
#[derive(Default)]
struct Axes(Vec<(String, Vec<Scalar>)>);

impl<'de> Deserialize<'de> for Axes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Axes, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Axes;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a mapping from --set keys to lists of values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Axes, A::Error> {
                let mut out: Vec<(String, Vec<Scalar>)> = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, Vec<Scalar>>()? {
                    if out.iter().any(|(o, _)| *o == k) {
                        return Err(serde::de::Error::custom(format!("parameters: `{k}` given twice")));
                    }
                    out.push((k, v));
                }
                Ok(Axes(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// FNV-1a, 64 bits: a small stable hash (std's hasher may change between Rust releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The id of a cell: a hash of the scenario name, the assignments in axis order and the seed.
pub fn cell_id(scenario: &str, assignments: &[Assignment], seed: u64) -> String {
    let mut text = format!("scenario={scenario}\n");
    for a in assignments {
        text.push_str(&format!("{}={}\n", a.key, a.value));
    }
    text.push_str(&format!("seed={seed}\n"));
    format!("{:016x}", fnv1a(text.as_bytes()))
}

impl Grid {
    /// Loads a grid file and every scenario it names; checks every parameter value against every
    /// scenario, so bad input fails before anything runs. Errors name the file and the field.
    pub fn load(path: &Path) -> Result<Grid, String> {
        let shown = path.display();
        let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: cannot read grid: {e}"))?;
        let file: GridFile = serde_saphyr::from_str(&text).map_err(|e| format!("{shown}: {e}"))?;
        if file.scenarios.is_empty() {
            return Err(format!("{shown}: scenarios: at least one scenario"));
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut scenarios: Vec<(PathBuf, Scenario)> = Vec::new();
        for (i, s) in file.scenarios.iter().enumerate() {
            let p = dir.join(s);
            let sc = scenario::load(&p).map_err(|e| format!("{shown}: scenarios[{i}]: {e}"))?;
            if let Some((other, _)) = scenarios.iter().find(|(_, o)| o.name == sc.name) {
                return Err(format!(
                    "{shown}: scenarios[{i}]: {} and {} are both named `{}` (names key the cell ids)",
                    other.display(),
                    p.display(),
                    sc.name
                ));
            }
            scenarios.push((p, sc));
        }
        let mut axes = Vec::new();
        for (key, values) in file.parameters.0 {
            if key == "seed" {
                return Err(format!("{shown}: parameters.seed: give seeds with the top-level `seeds:` field"));
            }
            if values.is_empty() {
                return Err(format!("{shown}: parameters.{key}: at least one value"));
            }
            let values: Vec<String> = values.iter().map(Scalar::text).collect();
            for (k, v) in values.iter().enumerate() {
                if v.contains(['\n', '\r']) {
                    return Err(format!("{shown}: parameters.{key}[{k}]: a value must fit on one line"));
                }
                if values[..k].contains(v) {
                    return Err(format!("{shown}: parameters.{key}: `{v}` listed twice"));
                }
                let a = Assignment { key: key.clone(), value: v.clone() };
                for (p, sc) in &scenarios {
                    let mut probe = sc.clone();
                    overrides::apply(&mut probe, &a)
                        .map_err(|e| format!("{shown}: parameters.{key}[{k}] on {}: {e}", p.display()))?;
                }
            }
            axes.push(Axis { key, values });
        }
        let seeds = match file.seeds {
            None => Seeds::Count(1),
            Some(SeedsFile::Count(0)) => return Err(format!("{shown}: seeds: at least 1")),
            Some(SeedsFile::Count(n)) => Seeds::Count(n),
            Some(SeedsFile::List(l)) if l.is_empty() => return Err(format!("{shown}: seeds: at least one seed")),
            Some(SeedsFile::List(l)) => {
                if let Some(k) = (1..l.len()).find(|&k| l[..k].contains(&l[k])) {
                    return Err(format!("{shown}: seeds[{k}]: seed {} listed twice", l[k]));
                }
                Seeds::List(l)
            }
        };
        Ok(Grid { path: path.to_path_buf(), scenarios, axes, seeds })
    }

    /// The seeds scenario `sc` runs with.
    pub fn seeds_of(&self, sc: &Scenario) -> Vec<u64> {
        match &self.seeds {
            Seeds::Count(n) => (0..*n).map(|k| sc.seed.wrapping_add(k)).collect(),
            Seeds::List(l) => l.clone(),
        }
    }

    /// Every cell, in grid order.
    pub fn cells(&self) -> Vec<Cell> {
        // Every combination of axis values, first axis slowest.
        let mut combos: Vec<Vec<Assignment>> = vec![vec![]];
        for axis in &self.axes {
            combos = combos
                .into_iter()
                .flat_map(|c| {
                    axis.values.iter().map(move |v| {
                        let mut c = c.clone();
                        c.push(Assignment { key: axis.key.clone(), value: v.clone() });
                        c
                    })
                })
                .collect();
        }
        let mut cells = Vec::new();
        for (s, (_, sc)) in self.scenarios.iter().enumerate() {
            for combo in &combos {
                for seed in self.seeds_of(sc) {
                    let id = cell_id(&sc.name, combo, seed);
                    cells.push(Cell { index: cells.len(), scenario: s, assignments: combo.clone(), seed, id });
                }
            }
        }
        cells
    }

    /// The scenario a cell runs: its scenario with the cell's assignments and seed.
    pub fn scenario(&self, cell: &Cell) -> Result<Scenario, String> {
        let (path, base) = &self.scenarios[cell.scenario];
        Variant::new(Change::Set(cell.assignments.clone()))
            .scenario(base, cell.seed)
            .map_err(|e| format!("{}: cell {}: {e}", path.display(), cell.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_order_sensitive() {
        let a = |k: &str, v: &str| Assignment { key: k.into(), value: v.into() };
        let id = cell_id("q", &[a("queues.prod.weight", "3")], 7);
        assert_eq!(id.len(), 16);
        assert_eq!(id, cell_id("q", &[a("queues.prod.weight", "3")], 7));
        assert_ne!(id, cell_id("q", &[a("queues.prod.weight", "3")], 8));
        assert_ne!(id, cell_id("r", &[a("queues.prod.weight", "3")], 7));
        assert_ne!(id, cell_id("q", &[a("queues.prod.weight", "30")], 7));
        // The FNV-1a 64 test vector: the empty input hashes to the offset basis.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
