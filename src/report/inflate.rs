//! Outputs of the packing experiment (`run.mode: inflate`): every curve point
//! (`inflate_curves.csv`), median and spread per policy on the arrived grid
//! (`inflate_summary.csv`), and a chart of the median allocation ratio against arrived workload
//! with the min–max band per policy (`allocation.svg`, plain SVG so no plotting library is needed;
//! both axes start where the first policy begins to fail pods).
//!
//! A comparison (`tephra compare` on an inflate scenario) writes the same files with a `variant`
//! column (one curve family per variant, or per variant and policy), plus `fragmentation.svg`
//! (median fragmentation amount with its min–max band), `compare.csv` (one row per curve family:
//! allocation and fragmentation at 100 % arrived and at the target) and `report.md`.

use super::write::{csv_bytes, write_atomic};
use crate::sim::inflate::{CurvePoint, CurveSummary};
use serde::Serialize;
use std::fmt::Write;
use std::path::Path;

/// Writes the three files into `dir` (created if missing).
pub fn write_inflate(dir: &Path, points: &[CurvePoint], summary: &[CurveSummary]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    write_atomic(&dir.join("inflate_curves.csv"), &csv_bytes(points).map_err(std::io::Error::other)?)?;
    write_atomic(&dir.join("inflate_summary.csv"), &csv_bytes(summary).map_err(std::io::Error::other)?)?;
    write_atomic(&dir.join("allocation.svg"), allocation_svg(summary).as_bytes())
}

/// Writes a comparison into `dir`: the three files of [`write_inflate`], `fragmentation.svg`,
/// `compare.csv` and `report.md`.
pub fn write_compare(
    dir: &Path,
    title: &str,
    points: &[CurvePoint],
    summary: &[CurveSummary],
) -> std::io::Result<Vec<CompareRow>> {
    write_inflate(dir, points, summary)?;
    write_atomic(&dir.join("fragmentation.svg"), fragmentation_svg(summary).as_bytes())?;
    let rows = compare_rows(summary);
    write_atomic(&dir.join("compare.csv"), &csv_bytes(&rows).map_err(std::io::Error::other)?)?;
    write_atomic(&dir.join("report.md"), compare_markdown(title, &rows).as_bytes())?;
    Ok(rows)
}

/// One curve family of a comparison at two arrived levels: 100 % of capacity and the target.
/// Values are % of GPU capacity (fragmentation rate: % of idle capacity): median over seeds and
/// min–max.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CompareRow {
    /// Curve label (variant, or `variant/policy`); the policy name in `tephra run`.
    pub variant: String,
    /// Policy.
    pub policy: &'static str,
    /// Seeds.
    pub seeds: usize,
    /// Allocation at 100 % arrived: median.
    pub alloc_at_100_median: f64,
    /// Fragmentation amount at 100 % arrived: median.
    pub frag_amount_at_100_median: f64,
    /// The last arrived level (the target).
    pub end_arrived_pct: f64,
    /// Allocation at the target: median.
    pub alloc_end_median: f64,
    /// Minimum over seeds.
    pub alloc_end_min: f64,
    /// Maximum over seeds.
    pub alloc_end_max: f64,
    /// Fragmentation amount at the target: median.
    pub frag_amount_end_median: f64,
    /// Minimum over seeds.
    pub frag_amount_end_min: f64,
    /// Maximum over seeds.
    pub frag_amount_end_max: f64,
    /// Fragmentation rate at the target: median.
    pub frag_rate_end_median: f64,
}

fn label(r: &CurveSummary) -> &str {
    r.variant.as_deref().unwrap_or(r.policy)
}

/// One [`CompareRow`] per curve family, in first-appearance order.
pub fn compare_rows(summary: &[CurveSummary]) -> Vec<CompareRow> {
    let mut out: Vec<CompareRow> = Vec::new();
    for name in families(summary) {
        let rows: Vec<&CurveSummary> = summary.iter().filter(|r| label(r) == name).collect();
        let at100 = rows.iter().rev().find(|r| r.arrived_pct <= 100.0 + 1e-9);
        let (Some(a), Some(e)) = (at100, rows.last()) else { continue };
        out.push(CompareRow {
            variant: name.to_string(),
            policy: e.policy,
            seeds: e.seeds,
            alloc_at_100_median: a.alloc_median,
            frag_amount_at_100_median: a.frag_amount_median,
            end_arrived_pct: e.arrived_pct,
            alloc_end_median: e.alloc_median,
            alloc_end_min: e.alloc_min,
            alloc_end_max: e.alloc_max,
            frag_amount_end_median: e.frag_amount_median,
            frag_amount_end_min: e.frag_amount_min,
            frag_amount_end_max: e.frag_amount_max,
            frag_rate_end_median: e.frag_rate_median,
        });
    }
    out
}

/// The table shown on the terminal and in `report.md`.
pub fn compare_table(rows: &[CompareRow]) -> String {
    let w = rows.iter().map(|r| r.variant.chars().count()).max().unwrap_or(0).max(7);
    let end = rows.first().map(|r| r.end_arrived_pct).unwrap_or(0.0);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "  {:<w$}  {:>11}  {:>10}  {:>22}  {:>22}  {:>9}",
        "variant",
        "alloc @100%",
        "frag @100%",
        format!("alloc @{end:.0}% (min-max)"),
        format!("frag @{end:.0}% (min-max)"),
        "frag rate"
    );
    for r in rows {
        let _ = writeln!(
            s,
            "  {:<w$}  {:>11.2}  {:>10.2}  {:>22}  {:>22}  {:>9.2}",
            r.variant,
            r.alloc_at_100_median,
            r.frag_amount_at_100_median,
            format!("{:.2} ({:.2}-{:.2})", r.alloc_end_median, r.alloc_end_min, r.alloc_end_max),
            format!("{:.2} ({:.2}-{:.2})", r.frag_amount_end_median, r.frag_amount_end_min, r.frag_amount_end_max),
            r.frag_rate_end_median
        );
    }
    s
}

fn compare_markdown(title: &str, rows: &[CompareRow]) -> String {
    let mut s = format!("# Packing experiment: {title}\n\n");
    s.push_str(
        "Allocation ratio and fragmentation amount in % of GPU capacity (fragmentation rate: % of idle GPU \
         capacity), median over seeds with min-max, when the arrived GPU requests reach 100 % of capacity and at \
         the target. Curves: `inflate_curves.csv` (every seed), `inflate_summary.csv` (median and spread per \
         arrived level).\n\n```\n",
    );
    s.push_str(&compare_table(rows));
    s.push_str("```\n\n![allocation](allocation.svg)\n\n![fragmentation](fragmentation.svg)\n");
    s
}

/// Curve families (labels) in first-appearance order.
fn families<'a>(summary: impl IntoIterator<Item = &'a CurveSummary>) -> Vec<&'a str> {
    let mut out: Vec<&'a str> = Vec::new();
    for r in summary {
        if !out.contains(&label(r)) {
            out.push(label(r));
        }
    }
    out
}

const COLORS: [&str; 6] = ["#7f7f7f", "#9467bd", "#8c564b", "#2ca02c", "#1f77b4", "#d62728"];

/// The chart: x = arrived GPU requests (% of capacity), y = allocated GPUs (% of capacity).
pub fn allocation_svg(summary: &[CurveSummary]) -> String {
    let xmax = summary.iter().map(|s| s.arrived_pct).fold(100.0, f64::max);
    let ymin = summary.iter().filter(|s| s.arrived_pct >= 50.0).map(|s| s.alloc_min).fold(100.0, f64::min);
    let ymin = ((ymin - 5.0) / 10.0).floor().max(0.0) * 10.0;
    // Below `ymin` every policy places every pod (allocation = arrived): the chart starts there.
    let xmin = ymin.min(xmax - 10.0).max(0.0);
    let y = YAxis { min: ymin, max: 100.0, step: 5.0, label: "GPU allocation ratio (%)" };
    curves_svg(summary, xmin, &y, |r| (r.alloc_median, r.alloc_min, r.alloc_max))
}

/// The chart: x = arrived GPU requests (% of capacity), y = fragmentation amount (% of capacity),
/// from 0 to the largest seed's value.
pub fn fragmentation_svg(summary: &[CurveSummary]) -> String {
    let top = summary.iter().map(|s| s.frag_amount_max).fold(0.0, f64::max);
    let ymax = ((top / 5.0).ceil() * 5.0).max(5.0);
    let y = YAxis {
        min: 0.0,
        max: ymax,
        step: if ymax > 40.0 { 10.0 } else { 5.0 },
        label: "fragmentation amount (% of GPU capacity)",
    };
    curves_svg(summary, 0.0, &y, |r| (r.frag_amount_median, r.frag_amount_min, r.frag_amount_max))
}

/// A chart's y axis.
struct YAxis {
    min: f64,
    max: f64,
    step: f64,
    label: &'static str,
}

/// One median line and min–max band per curve family against arrived workload from `xmin`;
/// `value` gives (median, min, max) of a row.
fn curves_svg(
    summary: &[CurveSummary],
    xmin: f64,
    yaxis: &YAxis,
    value: fn(&CurveSummary) -> (f64, f64, f64),
) -> String {
    let (w, h, left, bottom, top, right) = (720.0, 460.0, 60.0, 50.0, 20.0, 150.0);
    let xmax = summary.iter().map(|s| s.arrived_pct).fold(100.0, f64::max);
    let (ymin, ymax) = (yaxis.min, yaxis.max);
    let summary: Vec<&CurveSummary> = summary.iter().filter(|r| r.arrived_pct >= xmin).collect();
    let (pw, ph) = (w - left - right, h - top - bottom);
    let x = |v: f64| left + (v - xmin) / (xmax - xmin) * pw;
    let y = |v: f64| top + ph - (v.clamp(ymin, ymax) - ymin) / (ymax - ymin) * ph;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let mut t = xmin;
    while t <= xmax + 1e-9 {
        let _ = writeln!(
            s,
            r##"<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#ddd"/><text x="{0}" y="{3}" text-anchor="middle">{t:.0}</text>"##,
            x(t),
            top,
            top + ph,
            top + ph + 16.0
        );
        t += 10.0;
    }
    let mut t = ymin;
    while t <= ymax + 1e-9 {
        let _ = writeln!(
            s,
            r##"<line x1="{0}" y1="{2}" x2="{1}" y2="{2}" stroke="#ddd"/><text x="{3}" y="{4}" text-anchor="end">{t:.0}</text>"##,
            left,
            left + pw,
            y(t),
            left - 6.0,
            y(t) + 4.0
        );
        t += yaxis.step;
    }
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">arrived GPU requests (% of capacity)</text>"#,
        left + pw / 2.0,
        h - 12.0
    );
    let _ = writeln!(
        s,
        r#"<text x="16" y="{}" transform="rotate(-90 16 {})" text-anchor="middle">{}</text>"#,
        top + ph / 2.0,
        top + ph / 2.0,
        yaxis.label
    );
    for (i, p) in families(summary.iter().copied()).iter().enumerate() {
        let rows: Vec<&CurveSummary> = summary.iter().copied().filter(|r| label(r) == *p).collect();
        let color = COLORS[i % COLORS.len()];
        let mut band = String::new();
        for r in &rows {
            let _ = write!(band, "{:.1},{:.1} ", x(r.arrived_pct), y(value(r).2));
        }
        for r in rows.iter().rev() {
            let _ = write!(band, "{:.1},{:.1} ", x(r.arrived_pct), y(value(r).1));
        }
        let _ = writeln!(s, r#"<polygon points="{band}" fill="{color}" fill-opacity="0.15" stroke="none"/>"#);
        let line: Vec<String> = rows.iter().map(|r| format!("{:.1},{:.1}", x(r.arrived_pct), y(value(r).0))).collect();
        let _ =
            writeln!(s, r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="1.6"/>"#, line.join(" "));
        let ly = top + 16.0 + i as f64 * 18.0;
        let _ = writeln!(
            s,
            r#"<line x1="{0}" y1="{ly}" x2="{1}" y2="{ly}" stroke="{color}" stroke-width="3"/><text x="{2}" y="{3}">{p}</text>"#,
            left + pw + 14.0,
            left + pw + 34.0,
            left + pw + 40.0,
            ly + 4.0
        );
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(policy: &'static str, arrived: f64, alloc: f64) -> CurveSummary {
        CurveSummary {
            variant: None,
            policy,
            arrived_pct: arrived,
            seeds: 1,
            alloc_median: alloc,
            alloc_min: alloc,
            alloc_max: alloc,
            frag_amount_median: 0.0,
            frag_amount_min: 0.0,
            frag_amount_max: 0.0,
            frag_rate_median: 0.0,
            frag_rate_min: 0.0,
            frag_rate_max: 0.0,
        }
    }

    #[test]
    fn one_line_and_band_per_policy() {
        let rows: Vec<CurveSummary> = ["fgd", "bestfit"]
            .into_iter()
            .flat_map(|p| (0..=13).map(move |l| row(p, l as f64 * 10.0, (l as f64 * 10.0).min(90.0))))
            .collect();
        let svg = allocation_svg(&rows);
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("<polygon").count(), 2);
        assert!(svg.contains(">fgd</text>") && svg.ends_with("</svg>\n"));
    }
}
