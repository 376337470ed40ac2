//! What a capacity plan asks: the variables (`--vary KEY=RANGE`) and the constraints
//! (`--objective`, `--constraint`: `METRIC OP VALUE`), parsed with errors that say what was
//! expected.

use crate::experiment::overrides;
use crate::model::time::parse_duration;
use serde::Serialize;

/// One varied `--set` key and the values it takes, in search order (ascending for ranges).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Variable {
    /// An override key (`fleet.pools.h100.count`).
    pub key: String,
    /// Values as `--set` takes them.
    pub values: Vec<String>,
}

impl Variable {
    /// The pool whose node count this variable sets, if it is a `fleet.pools.NAME.count`.
    pub fn count_pool(&self) -> Option<&str> {
        let rest = self.key.strip_prefix("fleet.pools.")?;
        rest.strip_suffix(".count")
    }
}

/// Most points a search may evaluate (a guard against a typo such as `1..100000`).
pub const MAX_VALUES: usize = 10_000;

/// Parses `KEY=a..b`, `KEY=a..b:step` (integers, both ends included) or `KEY=a,b,c`.
pub fn parse_vary(text: &str) -> Result<Variable, String> {
    let (key, range) = text
        .split_once('=')
        .ok_or_else(|| format!("--vary `{text}`: expected KEY=a..b, KEY=a..b:step or KEY=a,b,c"))?;
    let key = key.trim().to_string();
    let range = range.trim();
    let known = overrides::KEYS.iter().any(|k| key_matches(k, &key));
    if !known {
        return Err(format!("--vary `{text}`: unknown key `{key}` (keys: {})", overrides::KEYS.join(", ")));
    }
    let values = if let Some((a, rest)) = range.split_once("..") {
        let (b, step) = match rest.split_once(':') {
            Some((b, s)) => (b, Some(s)),
            None => (rest, None),
        };
        let int = |s: &str, what: &str| -> Result<i64, String> {
            s.trim().parse::<i64>().map_err(|_| format!("--vary `{text}`: {what} `{}` is not an integer", s.trim()))
        };
        let (a, b) = (int(a, "start")?, int(b, "end")?);
        let step = match step {
            Some(s) => int(s, "step")?,
            None => 1,
        };
        if step <= 0 {
            return Err(format!("--vary `{text}`: the step must be at least 1"));
        }
        if b < a {
            return Err(format!("--vary `{text}`: the range {a}..{b} is empty (start after end)"));
        }
        if (b - a) / step + 1 > MAX_VALUES as i64 {
            return Err(format!("--vary `{text}`: more than {MAX_VALUES} values"));
        }
        let mut v = Vec::new();
        let mut x = a;
        while x <= b {
            v.push(x.to_string());
            x += step;
        }
        v
    } else {
        let v: Vec<String> = range.split(',').map(|s| s.trim().to_string()).collect();
        if v.iter().any(|s| s.is_empty()) {
            return Err(format!("--vary `{text}`: empty value in the list"));
        }
        v
    };
    Ok(Variable { key, values })
}

/// Whether `key` fits a pattern of [`overrides::KEYS`] (`<…>` matches one segment).
fn key_matches(pattern: &str, key: &str) -> bool {
    let p: Vec<&str> = pattern.split('.').collect();
    let k: Vec<&str> = key.split('.').collect();
    p.len() == k.len() && p.iter().zip(&k).all(|(p, k)| p.starts_with('<') || p == k)
}

/// Comparison of a constraint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Op {
    /// `<=`
    #[serde(rename = "<=")]
    Le,
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `>=`
    #[serde(rename = ">=")]
    Ge,
    /// `>`
    #[serde(rename = ">")]
    Gt,
}

impl Op {
    /// As written.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Le => "<=",
            Op::Lt => "<",
            Op::Ge => ">=",
            Op::Gt => ">",
        }
    }

    /// Whether `value OP threshold`.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Op::Le => value <= threshold,
            Op::Lt => value < threshold,
            Op::Ge => value >= threshold,
            Op::Gt => value > threshold,
        }
    }
}

/// What a metric's numbers are, for parsing thresholds and printing values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// Seconds (thresholds may say `1h`, `30m`, `90s`).
    Seconds,
    /// A fraction (thresholds may say `80%`).
    Fraction,
    /// A plain number.
    Number,
}

/// Friendly metric names and the `summary.json` paths they stand for.
pub const ALIASES: &[(&str, &str, Unit)] = &[
    ("mean_queue_delay", "queueing_delay_s.mean", Unit::Seconds),
    ("p50_queue_delay", "queueing_delay_s.p50", Unit::Seconds),
    ("p90_queue_delay", "queueing_delay_s.p90", Unit::Seconds),
    ("p95_queue_delay", "queueing_delay_s.p95", Unit::Seconds),
    ("p99_queue_delay", "queueing_delay_s.p99", Unit::Seconds),
    ("max_queue_delay", "queueing_delay_s.max", Unit::Seconds),
    ("mean_jct", "jct_s.mean", Unit::Seconds),
    ("p50_jct", "jct_s.p50", Unit::Seconds),
    ("p95_jct", "jct_s.p95", Unit::Seconds),
    ("p99_jct", "jct_s.p99", Unit::Seconds),
    ("makespan", "makespan_s", Unit::Seconds),
    ("gpu_allocation", "accel_allocation", Unit::Fraction),
    ("accel_allocation", "accel_allocation", Unit::Fraction),
    ("gpu_goodput", "accel_goodput", Unit::Fraction),
    ("cpu_allocation", "cpu_allocation", Unit::Fraction),
    ("completed_jobs", "jobs.completed", Unit::Number),
    ("unschedulable_jobs", "jobs.unschedulable", Unit::Number),
    ("unfinished_jobs", "jobs.unfinished", Unit::Number),
    ("evictions", "evictions", Unit::Number),
];

/// `METRIC OP VALUE`, evaluated on the median over seeds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Constraint {
    /// As written.
    pub text: String,
    /// The name given (alias or path).
    pub metric: String,
    /// Dotted path into `summary.json`.
    pub path: String,
    /// Comparison.
    pub op: Op,
    /// Threshold in the metric's unit (seconds, fraction, number).
    pub threshold: f64,
    /// How values read.
    pub unit: Unit,
}

impl Constraint {
    /// Whether a value meets the constraint.
    pub fn holds(&self, value: f64) -> bool {
        self.op.holds(value, self.threshold)
    }

    /// The metric's value in a summary (dotted path; `None` when absent or not a number).
    pub fn value_in(&self, summary: &serde_json::Value) -> Option<f64> {
        let mut v = summary;
        for key in self.path.split('.') {
            v = v.get(key)?;
        }
        v.as_f64()
    }

    /// A value formatted in the metric's unit.
    pub fn show(&self, v: f64) -> String {
        show(self.unit, v)
    }

    /// How adding nodes moves this constraint toward being met, from the metric's known trend:
    /// delays, JCTs, slowdowns, makespan, allocation/goodput fractions, unschedulable/unfinished
    /// jobs and evictions fall as capacity grows; completed jobs rise. A path of unknown trend
    /// gives [`NodeEffect::Unknown`], which rules bisection out (it could skip the answer).
    pub fn more_nodes(&self) -> NodeEffect {
        const FALLING: &[&str] = &[
            "queueing_delay_s",
            "jct_s",
            "slowdown",
            "makespan_s",
            "accel_allocation",
            "accel_goodput",
            "cpu_allocation",
            "jobs.unschedulable",
            "jobs.unfinished",
            "evictions",
        ];
        let falls = if FALLING.iter().any(|f| self.path.contains(f)) {
            true
        } else if self.path == "jobs.completed" {
            false
        } else {
            return NodeEffect::Unknown;
        };
        let below = matches!(self.op, Op::Le | Op::Lt);
        if falls == below { NodeEffect::Helps } else { NodeEffect::Hurts }
    }
}

/// Whether a constraint gets easier or harder to meet as a pool's node count grows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeEffect {
    /// More nodes help (`p95_queue_delay <= 1h`): met from some count upward.
    Helps,
    /// More nodes hurt (`gpu_allocation >= 80%`): met up to some count.
    Hurts,
    /// The metric's trend is not known.
    Unknown,
}

/// Formats `v` for reports: durations as `1h 05m`-style text, fractions as percentages.
pub fn show(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Seconds => crate::report::table::human_secs(v),
        Unit::Fraction => format!("{:.1}%", v * 100.0),
        Unit::Number if v.fract() == 0.0 => format!("{v:.0}"),
        Unit::Number => format!("{v:.3}"),
    }
}

/// Parses `METRIC OP VALUE` (`p95_queue_delay <= 1h`, `gpu_allocation >= 80%`,
/// `queues.prod.queueing_delay_s.p95 < 30m`).
pub fn parse_constraint(text: &str) -> Result<Constraint, String> {
    let t = text.trim();
    let ops = [("<=", Op::Le), (">=", Op::Ge), ("<", Op::Lt), (">", Op::Gt)];
    let (at, sym, op) = ops
        .iter()
        .filter_map(|(s, o)| t.find(s).map(|i| (i, *s, *o)))
        .min_by_key(|(i, s, _)| (*i, std::cmp::Reverse(s.len())))
        .ok_or_else(|| {
            format!("`{text}`: expected METRIC OP VALUE with OP one of <=, <, >=, > (e.g. `p95_queue_delay <= 1h`)")
        })?;
    let metric = t[..at].trim();
    let value = t[at + sym.len()..].trim();
    if metric.is_empty() || value.is_empty() {
        return Err(format!("`{text}`: expected METRIC OP VALUE (e.g. `gpu_allocation >= 80%`)"));
    }
    let (path, unit) = match ALIASES.iter().find(|(a, _, _)| *a == metric) {
        Some((_, p, u)) => (p.to_string(), Some(*u)),
        None if metric.contains('.') || ALIASES.iter().any(|(_, p, _)| *p == metric) || is_summary_key(metric) => {
            (metric.to_string(), None)
        }
        None => {
            let names: Vec<&str> = ALIASES.iter().map(|a| a.0).collect();
            return Err(format!(
                "`{text}`: unknown metric `{metric}` (aliases: {}; or a dotted path into summary.json such as queueing_delay_s.p95)",
                names.join(", ")
            ));
        }
    };
    let (threshold, written) = parse_value(value).map_err(|m| format!("`{text}`: {m}"))?;
    let unit = match (unit, written) {
        (Some(u), None) => u,
        (Some(u), Some(w)) if u == w => u,
        (Some(u), Some(w)) => {
            return Err(format!("`{text}`: `{metric}` is {} but `{value}` is {}", unit_name(u), unit_name(w)));
        }
        (None, Some(w)) => w,
        (None, None) if path.ends_with("_s") || path.contains("_s.") => Unit::Seconds,
        (None, None) => Unit::Number,
    };
    Ok(Constraint { text: t.to_string(), metric: metric.to_string(), path, op, threshold, unit })
}

/// Top-level numeric fields of summary.json that are not in the alias table.
fn is_summary_key(name: &str) -> bool {
    matches!(name, "accel_goodput" | "cpu_allocation" | "makespan_s" | "end_s" | "cycles" | "binds" | "evictions")
}

fn unit_name(u: Unit) -> &'static str {
    match u {
        Unit::Seconds => "a duration",
        Unit::Fraction => "a fraction",
        Unit::Number => "a plain number",
    }
}

/// A threshold: `80%` (fraction), a duration with a unit (`1h`, `30m`, `90s`, `500ms`) in seconds,
/// or a number; with the unit the text implies, if any.
fn parse_value(v: &str) -> Result<(f64, Option<Unit>), String> {
    if let Some(p) = v.strip_suffix('%') {
        let x: f64 = p.trim().parse().map_err(|_| format!("`{v}` is not a percentage"))?;
        return Ok((x / 100.0, Some(Unit::Fraction)));
    }
    if let Ok(x) = v.parse::<f64>() {
        if !x.is_finite() {
            return Err(format!("`{v}` is not a finite number"));
        }
        return Ok((x, None));
    }
    let d = parse_duration(v)
        .map_err(|_| format!("`{v}` is not a number, a percentage (80%) or a duration (1h, 30m, 90s)"))?;
    Ok((d.0 as f64 / 1000.0, Some(Unit::Seconds)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vary_ranges_steps_and_lists() {
        let v = parse_vary("fleet.pools.h100.count=8..12").unwrap();
        assert_eq!(v.values, ["8", "9", "10", "11", "12"]);
        assert_eq!(v.count_pool(), Some("h100"));
        assert_eq!(parse_vary("fleet.pools.a.count=8..64:16").unwrap().values, ["8", "24", "40", "56"]);
        let l = parse_vary("queues.prod.weight=1, 2,4").unwrap();
        assert_eq!(l.values, ["1", "2", "4"]);
        assert_eq!(l.count_pool(), None);
        assert!(parse_vary("queues.prod.guarantee.gpu=0..64:32").is_ok());
    }

    #[test]
    fn vary_errors_say_what_is_wrong() {
        let e = |t: &str| parse_vary(t).unwrap_err();
        assert!(e("fleet.pools.h100.count").contains("expected KEY=a..b"), "{}", e("fleet.pools.h100.count"));
        assert!(e("fleet.pool.h100.count=1..2").contains("unknown key `fleet.pool.h100.count`"));
        assert!(e("fleet.pools.h100.count=9..2").contains("is empty"));
        assert!(e("fleet.pools.h100.count=1..x").contains("end `x` is not an integer"));
        assert!(e("fleet.pools.h100.count=1..9:0").contains("step must be at least 1"));
        assert!(e("fleet.pools.h100.count=1,,2").contains("empty value"));
    }

    #[test]
    fn constraints_with_aliases_paths_and_units() {
        let c = parse_constraint("p95_queue_delay <= 1h").unwrap();
        assert_eq!(
            (c.path.as_str(), c.op, c.threshold, c.unit),
            ("queueing_delay_s.p95", Op::Le, 3600.0, Unit::Seconds)
        );
        assert!(c.holds(3600.0) && !c.holds(3600.5));
        let c = parse_constraint("gpu_allocation>=80%").unwrap();
        assert_eq!((c.path.as_str(), c.op, c.threshold), ("accel_allocation", Op::Ge, 0.8));
        let c = parse_constraint("gpu_allocation > 0.5").unwrap();
        assert_eq!((c.op, c.threshold, c.unit), (Op::Gt, 0.5, Unit::Fraction));
        let c = parse_constraint("queues.prod.queueing_delay_s.p95 < 30m").unwrap();
        assert_eq!((c.path.as_str(), c.op, c.threshold), ("queues.prod.queueing_delay_s.p95", Op::Lt, 1800.0));
        let c = parse_constraint("jobs.unschedulable <= 0").unwrap();
        assert_eq!((c.unit, c.threshold), (Unit::Number, 0.0));
    }

    #[test]
    fn constraint_errors_are_clear() {
        let e = |t: &str| parse_constraint(t).unwrap_err();
        assert!(e("p95_queue_delay = 1h").contains("expected METRIC OP VALUE"));
        assert!(e("p95_delay <= 1h").contains("unknown metric `p95_delay`"));
        assert!(e("p95_queue_delay <= 80%").contains("is a duration but `80%` is a fraction"));
        assert!(e("gpu_allocation >= 1h").contains("is a fraction but `1h` is a duration"));
        assert!(e("p95_queue_delay <= soon").contains("not a number, a percentage"));
        assert!(e("<= 1h").contains("expected METRIC OP VALUE"));
    }
}
