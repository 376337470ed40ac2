//! A suite: the scenarios a gate runs, how many seeds, which metrics. Given as a folder (every
//! `*.yaml` scenario in it, settings from its `check.yaml`), a list file (`.txt`: one scenario path
//! per line, relative to the list), or one scenario file.

use super::metric::{self, Better, MetricSpec, Tolerance};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Seeds per scenario when the suite does not say.
pub const DEFAULT_SEEDS: u32 = 3;

/// What `tephra check` runs.
#[derive(Clone, Debug)]
pub struct Suite {
    /// Scenario files, in a stable order.
    pub scenarios: Vec<PathBuf>,
    /// Seeds per scenario: the scenario's own seed and the next ones.
    pub seeds: u32,
    /// Gated metrics.
    pub metrics: Vec<MetricSpec>,
    /// Where the baseline lives unless `--baseline` says otherwise.
    pub default_baseline: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuiteFile {
    #[serde(default)]
    seeds: Option<u32>,
    #[serde(default)]
    scenarios: Option<Vec<String>>,
    #[serde(default)]
    metrics: Option<Vec<MetricFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricFile {
    metric: String,
    better: Better,
    tolerance: TolFile,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum TolFile {
    Number(f64),
    Text(String),
}

/// Name of the optional settings file in a suite folder.
pub const SETTINGS: &str = "check.yaml";

impl Suite {
    /// Loads a suite from a folder, a `.txt` list or a scenario file.
    pub fn load(path: &Path) -> Result<Suite, String> {
        let shown = path.display();
        if path.is_dir() {
            let settings = path.join(SETTINGS);
            let file = if settings.exists() { Some(read_settings(&settings)?) } else { None };
            let listed = file.as_ref().and_then(|f| f.scenarios.clone());
            let scenarios = match listed {
                Some(names) => names.iter().map(|n| path.join(n)).collect(),
                None => {
                    let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                        .map_err(|e| format!("{shown}: cannot read suite folder: {e}"))?
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| {
                            p.extension().is_some_and(|x| x == "yaml" || x == "yml")
                                && p.file_name().is_some_and(|n| n != SETTINGS)
                        })
                        .collect();
                    found.sort();
                    found
                }
            };
            let suite = Suite::with(scenarios, file, path.join("baseline.json"), &settings.display().to_string())?;
            if suite.scenarios.is_empty() {
                return Err(format!("{shown}: the suite folder has no scenario (*.yaml)"));
            }
            return Ok(suite);
        }
        if !path.exists() {
            return Err(format!("{shown}: no such suite folder, list or scenario"));
        }
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "suite".into());
        let dir = path.parent().unwrap_or(Path::new("."));
        let baseline = dir.join(format!("{stem}.baseline.json"));
        if path.extension().is_some_and(|x| x == "txt") {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: cannot read: {e}"))?;
            let scenarios: Vec<PathBuf> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(|l| dir.join(l))
                .collect();
            if scenarios.is_empty() {
                return Err(format!("{shown}: the list names no scenario"));
            }
            return Suite::with(scenarios, None, baseline, &shown.to_string());
        }
        Suite::with(vec![path.to_path_buf()], None, baseline, &shown.to_string())
    }

    fn with(
        scenarios: Vec<PathBuf>,
        file: Option<SuiteFile>,
        baseline: PathBuf,
        origin: &str,
    ) -> Result<Suite, String> {
        let (seeds, metrics) = match file {
            Some(f) => (f.seeds, f.metrics),
            None => (None, None),
        };
        let seeds = seeds.unwrap_or(DEFAULT_SEEDS);
        if seeds == 0 {
            return Err(format!("{origin}: seeds must be at least 1"));
        }
        let metrics = match metrics {
            None => metric::defaults(),
            Some(list) => list
                .into_iter()
                .enumerate()
                .map(|(i, m)| {
                    let tolerance = match m.tolerance {
                        TolFile::Number(v) => Tolerance::parse(&v.to_string()),
                        TolFile::Text(t) => Tolerance::parse(&t),
                    }
                    .map_err(|e| format!("{origin}: metrics[{i}] ({}): {e}", m.metric))?;
                    Ok(MetricSpec { path: m.metric, better: m.better, tolerance })
                })
                .collect::<Result<Vec<_>, String>>()?,
        };
        if metrics.is_empty() {
            return Err(format!("{origin}: metrics is empty"));
        }
        Ok(Suite { scenarios, seeds, metrics, default_baseline: baseline })
    }
}

fn read_settings(path: &Path) -> Result<SuiteFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    serde_saphyr::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_settings_pick_scenarios_seeds_and_metrics() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.yaml"), "x").unwrap();
        std::fs::write(dir.path().join("a.yaml"), "x").unwrap();
        std::fs::write(dir.path().join("notes.md"), "x").unwrap();
        let suite = Suite::load(dir.path()).unwrap();
        assert_eq!(suite.scenarios, vec![dir.path().join("a.yaml"), dir.path().join("b.yaml")]);
        assert_eq!((suite.seeds, suite.metrics.len()), (DEFAULT_SEEDS, metric::defaults().len()));
        std::fs::write(
            dir.path().join(SETTINGS),
            "seeds: 5\nmetrics:\n  - { metric: accel_allocation, better: higher, tolerance: 0.02 }\n  - { metric: jct_s.p95, better: lower, tolerance: 10% }\n",
        )
        .unwrap();
        let suite = Suite::load(dir.path()).unwrap();
        assert_eq!(suite.seeds, 5);
        assert_eq!(suite.metrics[0].tolerance, Tolerance::Abs(0.02));
        assert_eq!((suite.metrics[1].better, suite.metrics[1].tolerance), (Better::Lower, Tolerance::Rel(0.1)));
        assert_eq!(suite.scenarios.len(), 2, "check.yaml is not a scenario");
    }

    #[test]
    fn bad_settings_name_the_file_and_field() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yaml"), "x").unwrap();
        std::fs::write(dir.path().join(SETTINGS), "seed: 5\n").unwrap();
        let e = Suite::load(dir.path()).unwrap_err();
        assert!(e.contains("check.yaml") && e.contains("seed"), "{e}");
        std::fs::write(
            dir.path().join(SETTINGS),
            "metrics:\n  - { metric: evictions, better: lower, tolerance: lots }\n",
        )
        .unwrap();
        let e = Suite::load(dir.path()).unwrap_err();
        assert!(e.contains("metrics[0] (evictions)") && e.contains("lots"), "{e}");
        assert!(Suite::load(&dir.path().join("missing")).unwrap_err().contains("no such suite"));
    }
}
