//! The short summary table printed at the end of `tephra run`.

use crate::metrics::Summary;
use std::fmt::Write;

/// Formats seconds as a compact human duration (`1h 05m`, `42.0s`).
pub fn human_secs(s: f64) -> String {
    if s < 60.0 {
        format!("{s:.1}s")
    } else if s < 3600.0 {
        format!("{}m {:02}s", (s / 60.0) as u64, (s % 60.0) as u64)
    } else if s < 86400.0 {
        format!("{}h {:02}m", (s / 3600.0) as u64, ((s % 3600.0) / 60.0) as u64)
    } else {
        format!("{}d {:02}h", (s / 86400.0) as u64, ((s % 86400.0) / 3600.0) as u64)
    }
}

/// The table, with the run's wall time.
pub fn summary_table(s: &Summary, wall_s: f64) -> String {
    let mut out = String::new();
    let mut rows: Vec<(&str, String)> = vec![
        ("scenario", format!("{} (policy {}, seed {})", s.scenario, s.policy, s.seed)),
        (
            "jobs finished",
            format!(
                "{} / {} ({} unschedulable, {} unfinished)",
                s.jobs.completed, s.jobs.submitted, s.jobs.unschedulable, s.jobs.unfinished
            ),
        ),
        ("GPU allocation", format!("{:.1}%", s.accel_allocation * 100.0)),
        ("GPU goodput", format!("{:.1}%", s.accel_goodput * 100.0)),
        ("queueing delay mean", human_secs(s.queueing_delay_s.mean)),
        ("queueing delay p95", human_secs(s.queueing_delay_s.p95)),
        ("JCT mean", human_secs(s.jct_s.mean)),
        ("Jain's index (mean)", s.fairness.jain_mean.map_or("–".into(), |j| format!("{j:.3}"))),
        ("makespan", human_secs(s.makespan_s)),
        ("cycles run", s.cycles.to_string()),
        ("wall time", format!("{wall_s:.2}s")),
    ];
    if let Some(t) = &s.topology {
        let share = t.multi_pod_within_one_tier1_domain.map_or("–".into(), |w| format!("{:.1}%", w * 100.0));
        let row = ("gangs (>1 pod) in one leaf", format!("{share} of {}", t.multi_pod_gangs_placed));
        rows.insert(rows.len() - 2, row);
    }
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in rows {
        let _ = writeln!(out, "  {k:<width$}  {v}");
    }
    out
}
