//! Gated metrics: a path into `summary.json`, which direction is better, and how much worse a
//! change may be before it counts.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Which way a metric should move.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    /// Larger is better (allocation, completed jobs).
    Higher,
    /// Smaller is better (queueing delay, JCT, evictions).
    Lower,
}

/// How much worse than the baseline a metric may get: an absolute amount in the metric's unit,
/// or a fraction of the baseline's median.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tolerance {
    /// Absolute, in the metric's unit.
    Abs(f64),
    /// Relative to the baseline median (0.05 = 5 %).
    Rel(f64),
}

impl Tolerance {
    /// Parses `0.01` (absolute) or `5%` (relative).
    pub fn parse(text: &str) -> Result<Tolerance, String> {
        let t = text.trim();
        let (num, rel) = match t.strip_suffix('%') {
            Some(n) => (n.trim(), true),
            None => (t, false),
        };
        let v: f64 = num.parse().map_err(|_| format!("tolerance `{text}` is not a number or a percentage"))?;
        if !v.is_finite() || v < 0.0 {
            return Err(format!("tolerance `{text}` must be a finite number ≥ 0"));
        }
        Ok(if rel { Tolerance::Rel(v / 100.0) } else { Tolerance::Abs(v) })
    }

    /// The allowed worsening for a baseline median.
    pub fn allowed(self, baseline: f64) -> f64 {
        match self {
            Tolerance::Abs(a) => a,
            Tolerance::Rel(r) => r * baseline.abs(),
        }
    }

    /// As written in reports (`5%`, `0.01`).
    pub fn label(self) -> String {
        match self {
            Tolerance::Abs(a) => format!("{a}"),
            Tolerance::Rel(r) => format!("{}%", r * 100.0),
        }
    }
}

/// One gated metric.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricSpec {
    /// Dotted path into `summary.json` (`queueing_delay_s.p95`, `queues.prod.completed`).
    pub path: String,
    /// Direction.
    pub better: Better,
    /// Allowed worsening.
    pub tolerance: Tolerance,
}

impl MetricSpec {
    fn new(path: &str, better: Better, tolerance: Tolerance) -> MetricSpec {
        MetricSpec { path: path.into(), better, tolerance }
    }

    /// The metric's value in a summary; `None` when the path is absent or not a number.
    pub fn value_in(&self, summary: &Value) -> Option<f64> {
        let mut v = summary;
        for key in self.path.split('.') {
            v = v.get(key)?;
        }
        v.as_f64()
    }
}

/// The metrics gated when a suite names none: scheduling quality as a platform team reads it.
/// Tolerances are loose enough for harmless changes (a different tie-break) and tight enough to
/// catch a policy that strands GPUs or starves jobs.
pub fn defaults() -> Vec<MetricSpec> {
    use Better::*;
    use Tolerance::*;
    vec![
        MetricSpec::new("accel_allocation", Higher, Abs(0.01)),
        MetricSpec::new("accel_goodput", Higher, Abs(0.01)),
        MetricSpec::new("jobs.completed", Higher, Abs(0.0)),
        MetricSpec::new("jobs.unschedulable", Lower, Abs(0.0)),
        MetricSpec::new("queueing_delay_s.mean", Lower, Rel(0.05)),
        MetricSpec::new("queueing_delay_s.p95", Lower, Rel(0.05)),
        MetricSpec::new("jct_s.mean", Lower, Rel(0.05)),
        MetricSpec::new("jct_s.p95", Lower, Rel(0.05)),
        MetricSpec::new("makespan_s", Lower, Rel(0.02)),
        MetricSpec::new("evictions", Lower, Rel(0.10)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerances_parse_and_scale() {
        assert_eq!(Tolerance::parse("5%"), Ok(Tolerance::Rel(0.05)));
        assert_eq!(Tolerance::parse(" 0.01 "), Ok(Tolerance::Abs(0.01)));
        assert!(Tolerance::parse("-1").is_err());
        assert!(Tolerance::parse("five").is_err());
        assert_eq!(Tolerance::Rel(0.05).allowed(-200.0), 10.0);
        assert_eq!(Tolerance::Abs(3.0).allowed(1e9), 3.0);
    }

    #[test]
    fn paths_reach_nested_numbers_only() {
        let v: Value = serde_json::json!({"a": {"b": 2.5, "s": "x"}, "n": 3});
        let spec = |p: &str| MetricSpec::new(p, Better::Higher, Tolerance::Abs(0.0));
        assert_eq!(spec("a.b").value_in(&v), Some(2.5));
        assert_eq!(spec("n").value_in(&v), Some(3.0));
        assert_eq!(spec("a.s").value_in(&v), None);
        assert_eq!(spec("a.c").value_in(&v), None);
    }
}
