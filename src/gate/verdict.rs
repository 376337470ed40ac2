//! Comparing a measurement with the baseline, metric by metric.
//!
//! For each metric: the medians over seeds of the baseline (`b`) and of now (`n`); *worse* is how
//! much `n` is worse than `b` in the metric's direction; *noise* is the larger seed spread
//! (max − min over seeds) of the two. A change is a **regression** when it is worse by more than
//! both the tolerance and the noise, an **improvement** when it is better by more than both, and
//! **ok** otherwise — **in noise** when it is beyond the tolerance but inside the seed spread,
//! which is when more seeds would be needed to tell.

use super::baseline::Baseline;
use super::measure::{Measured, complete};
use super::metric::{Better, MetricSpec};
use serde::Serialize;

/// The outcome for one scenario × metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Within tolerance.
    Ok,
    /// Beyond the tolerance but inside seed noise: not failed.
    InNoise,
    /// Better beyond tolerance and noise.
    Improved,
    /// Worse beyond tolerance and noise: the gate fails.
    Regression,
    /// Not in the baseline (new scenario or metric): not failed; update the baseline.
    New,
    /// The run's summary lacks the metric: the gate fails (a metric the baseline has vanished).
    Missing,
    /// Neither the baseline nor the run has the metric for this scenario (an optional section
    /// such as `recovery` in a scenario without faults): nothing to gate, not failed.
    NotApplicable,
}

impl Verdict {
    /// Whether this verdict fails the gate.
    pub fn fails(self) -> bool {
        matches!(self, Verdict::Regression | Verdict::Missing)
    }

    /// Short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::InNoise => "ok (in seed noise)",
            Verdict::Improved => "improved",
            Verdict::Regression => "REGRESSION",
            Verdict::New => "new",
            Verdict::Missing => "MISSING",
            Verdict::NotApplicable => "n/a (not in this scenario)",
        }
    }
}

/// One line of the gate's report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// Scenario name.
    pub scenario: String,
    /// Metric path.
    pub metric: String,
    /// `higher` or `lower` is better.
    pub better: Better,
    /// Baseline median over seeds.
    pub baseline: Option<f64>,
    /// Current median over seeds.
    pub now: Option<f64>,
    /// `now − baseline`.
    pub change: Option<f64>,
    /// Allowed worsening (from the tolerance).
    pub allowed: f64,
    /// Seed noise (larger spread of the two).
    pub noise: f64,
    /// The tolerance as written.
    pub tolerance: String,
    /// Outcome.
    pub verdict: Verdict,
}

/// Median of values (mean of the middle two for an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

fn spread(values: &[f64]) -> f64 {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    if values.is_empty() { 0.0 } else { max - min }
}

/// Float slack so that equal medians computed differently never differ.
const EPS: f64 = 1e-9;

/// The verdict of one metric from its per-seed values.
pub fn judge(spec: &MetricSpec, baseline: &[f64], now: &[f64]) -> (f64, f64, f64, f64, Verdict) {
    let (b, n) = (median(baseline), median(now));
    let noise = spread(baseline).max(spread(now));
    let allowed = spec.tolerance.allowed(b);
    let worse = match spec.better {
        Better::Higher => b - n,
        Better::Lower => n - b,
    };
    let beyond = |x: f64| x > allowed + EPS * (1.0 + b.abs());
    let verdict = if beyond(worse) && worse > noise + EPS {
        Verdict::Regression
    } else if beyond(-worse) && -worse > noise + EPS {
        Verdict::Improved
    } else if beyond(worse.abs()) {
        Verdict::InNoise
    } else {
        Verdict::Ok
    };
    (b, n, allowed, noise, verdict)
}

/// Every scenario × metric of `measured` against `baseline`.
pub fn compare(specs: &[MetricSpec], measured: &[Measured], baseline: &Baseline) -> Vec<Row> {
    let mut rows = Vec::new();
    for m in measured {
        for spec in specs {
            let now = m.values.get(&spec.path).and_then(|v| complete(v));
            let base =
                baseline.scenarios.get(&m.name).and_then(|s| s.metrics.get(&spec.path)).and_then(|v| complete(v));
            let mut row = Row {
                scenario: m.name.clone(),
                metric: spec.path.clone(),
                better: spec.better,
                baseline: base.as_deref().map(median),
                now: now.as_deref().map(median),
                change: None,
                allowed: 0.0,
                noise: 0.0,
                tolerance: spec.tolerance.label(),
                verdict: Verdict::New,
            };
            let in_baseline = baseline.scenarios.get(&m.name).and_then(|s| s.metrics.get(&spec.path));
            let absent_before = in_baseline.is_some_and(|v| v.iter().all(Option::is_none));
            match (base, now) {
                (None, None) if absent_before => row.verdict = Verdict::NotApplicable,
                (_, None) => row.verdict = Verdict::Missing,
                (None, Some(_)) => row.verdict = Verdict::New,
                (Some(b), Some(n)) => {
                    let (bm, nm, allowed, noise, verdict) = judge(spec, &b, &n);
                    row.change = Some(nm - bm);
                    (row.allowed, row.noise, row.verdict) = (allowed, noise, verdict);
                }
            }
            rows.push(row);
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::metric::Tolerance;

    fn spec(better: Better, tolerance: Tolerance) -> MetricSpec {
        MetricSpec { path: "m".into(), better, tolerance }
    }

    #[test]
    fn medians_and_verdicts_by_hand() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        let lower5 = spec(Better::Lower, Tolerance::Rel(0.05));
        // Baseline median 100, allowed 5. Now 106 with no noise: worse by 6 > 5 → regression.
        assert_eq!(judge(&lower5, &[100.0; 3], &[106.0; 3]).4, Verdict::Regression);
        // Now 104: within 5 → ok.
        assert_eq!(judge(&lower5, &[100.0; 3], &[104.0; 3]).4, Verdict::Ok);
        // Now 94: better by 6 → improved.
        assert_eq!(judge(&lower5, &[100.0; 3], &[94.0; 3]).4, Verdict::Improved);
        // Baseline seeds 90/100/110 (spread 20), now median 108: worse by 8 > 5 but ≤ 20 → in noise.
        let (b, n, allowed, noise, v) = judge(&lower5, &[90.0, 100.0, 110.0], &[108.0, 108.0, 108.0]);
        assert_eq!((b, n, allowed, noise, v), (100.0, 108.0, 5.0, 20.0, Verdict::InNoise));
        // Higher is better, absolute 0.01: 0.30 → 0.285 is a regression, 0.295 is not.
        let higher = spec(Better::Higher, Tolerance::Abs(0.01));
        assert_eq!(judge(&higher, &[0.30; 2], &[0.285; 2]).4, Verdict::Regression);
        assert_eq!(judge(&higher, &[0.30; 2], &[0.295; 2]).4, Verdict::Ok);
        // Zero tolerance: identical is ok, any worsening fails.
        let exact = spec(Better::Higher, Tolerance::Abs(0.0));
        assert_eq!(judge(&exact, &[400.0], &[400.0]).4, Verdict::Ok);
        assert_eq!(judge(&exact, &[400.0], &[399.0]).4, Verdict::Regression);
    }

    #[test]
    fn missing_and_new_metrics() {
        use std::collections::BTreeMap;
        let specs = vec![spec(Better::Lower, Tolerance::Abs(0.0))];
        let measured = vec![Measured {
            name: "s".into(),
            file: "s.yaml".into(),
            seeds: vec![1, 2],
            values: BTreeMap::from([("m".to_string(), vec![Some(1.0), None])]),
        }];
        let empty = Baseline { schema_version: 1, tephra_version: "x".into(), scenarios: BTreeMap::new() };
        assert_eq!(compare(&specs, &measured, &empty)[0].verdict, Verdict::Missing);
        let mut ok = measured.clone();
        ok[0].values.insert("m".into(), vec![Some(1.0), Some(1.0)]);
        assert_eq!(compare(&specs, &ok, &empty)[0].verdict, Verdict::New);
        let base = Baseline::from_measured(&ok);
        let rows = compare(&specs, &ok, &base);
        assert_eq!((rows[0].verdict, rows[0].change), (Verdict::Ok, Some(0.0)));
        // Absent from the baseline and from the run (an optional section): n/a, not a failure.
        let mut none = measured.clone();
        none[0].values.insert("m".into(), vec![None, None]);
        let rows = compare(&specs, &none, &Baseline::from_measured(&none));
        assert_eq!(rows[0].verdict, Verdict::NotApplicable);
        assert!(!rows[0].verdict.fails());
        // Present in the baseline, absent now: the metric vanished, which fails.
        assert_eq!(compare(&specs, &none, &base)[0].verdict, Verdict::Missing);
    }
}
