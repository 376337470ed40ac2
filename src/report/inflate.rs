//! Outputs of the packing experiment (`run.mode: inflate`): every curve point
//! (`inflate_curves.csv`), median and spread per policy on the arrived grid
//! (`inflate_summary.csv`), and a chart of the median allocation ratio against arrived workload
//! with the min–max band per policy (`allocation.svg`, plain SVG so no plotting library is needed;
//! both axes start where the first policy begins to fail pods).

use super::write::{csv_bytes, write_atomic};
use crate::sim::inflate::{CurvePoint, CurveSummary};
use std::fmt::Write;
use std::path::Path;

/// Writes the three files into `dir` (created if missing).
pub fn write_inflate(dir: &Path, points: &[CurvePoint], summary: &[CurveSummary]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    write_atomic(&dir.join("inflate_curves.csv"), &csv_bytes(points).map_err(std::io::Error::other)?)?;
    write_atomic(&dir.join("inflate_summary.csv"), &csv_bytes(summary).map_err(std::io::Error::other)?)?;
    write_atomic(&dir.join("allocation.svg"), allocation_svg(summary).as_bytes())
}

const COLORS: [&str; 6] = ["#7f7f7f", "#9467bd", "#8c564b", "#2ca02c", "#1f77b4", "#d62728"];

/// The chart: x = arrived GPU requests (% of capacity), y = allocated GPUs (% of capacity).
pub fn allocation_svg(summary: &[CurveSummary]) -> String {
    let (w, h, left, bottom, top, right) = (720.0, 460.0, 60.0, 50.0, 20.0, 150.0);
    let xmax = summary.iter().map(|s| s.arrived_pct).fold(100.0, f64::max);
    let ymin = summary.iter().filter(|s| s.arrived_pct >= 50.0).map(|s| s.alloc_min).fold(100.0, f64::min);
    let ymin = ((ymin - 5.0) / 10.0).floor().max(0.0) * 10.0;
    // Below `ymin` every policy places every pod (allocation = arrived): the chart starts there.
    let xmin = ymin.min(xmax - 10.0).max(0.0);
    let summary: Vec<&CurveSummary> = summary.iter().filter(|r| r.arrived_pct >= xmin).collect();
    let (pw, ph) = (w - left - right, h - top - bottom);
    let x = |v: f64| left + (v - xmin) / (xmax - xmin) * pw;
    let y = |v: f64| top + ph - (v.clamp(ymin, 100.0) - ymin) / (100.0 - ymin) * ph;
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
    while t <= 100.0 + 1e-9 {
        let _ = writeln!(
            s,
            r##"<line x1="{0}" y1="{2}" x2="{1}" y2="{2}" stroke="#ddd"/><text x="{3}" y="{4}" text-anchor="end">{t:.0}</text>"##,
            left,
            left + pw,
            y(t),
            left - 6.0,
            y(t) + 4.0
        );
        t += 5.0;
    }
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">arrived GPU requests (% of capacity)</text>"#,
        left + pw / 2.0,
        h - 12.0
    );
    let _ = writeln!(
        s,
        r#"<text x="16" y="{}" transform="rotate(-90 16 {})" text-anchor="middle">GPU allocation ratio (%)</text>"#,
        top + ph / 2.0,
        top + ph / 2.0
    );
    let mut policies: Vec<&str> = Vec::new();
    for r in &summary {
        if !policies.contains(&r.policy) {
            policies.push(r.policy);
        }
    }
    for (i, p) in policies.iter().enumerate() {
        let rows: Vec<&CurveSummary> = summary.iter().copied().filter(|r| r.policy == *p).collect();
        let color = COLORS[i % COLORS.len()];
        let mut band = String::new();
        for r in &rows {
            let _ = write!(band, "{:.1},{:.1} ", x(r.arrived_pct), y(r.alloc_max));
        }
        for r in rows.iter().rev() {
            let _ = write!(band, "{:.1},{:.1} ", x(r.arrived_pct), y(r.alloc_min));
        }
        let _ = writeln!(s, r#"<polygon points="{band}" fill="{color}" fill-opacity="0.15" stroke="none"/>"#);
        let line: Vec<String> =
            rows.iter().map(|r| format!("{:.1},{:.1}", x(r.arrived_pct), y(r.alloc_median))).collect();
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
