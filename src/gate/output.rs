//! The gate's reports: a Markdown table (for a CI step summary), JUnit XML (one test case per
//! scenario × metric, so any CI shows the gate natively) and JSON.

use super::verdict::Row;
use serde::Serialize;

/// Formats a metric value compactly (integers without decimals).
fn num(v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{x:.0}"),
        Some(x) if x.abs() >= 100.0 => format!("{x:.1}"),
        Some(x) => format!("{x:.4}"),
    }
}

fn change(r: &Row) -> String {
    match (r.change, r.baseline) {
        (Some(c), Some(b)) if b != 0.0 => {
            format!("{}{} ({:+.1}%)", if c >= 0.0 { "+" } else { "" }, num(Some(c)), 100.0 * c / b.abs())
        }
        (Some(c), _) => format!("{}{}", if c >= 0.0 { "+" } else { "" }, num(Some(c))),
        _ => "–".into(),
    }
}

/// Regressions (and vanished metrics) among the rows.
pub fn failures(rows: &[Row]) -> usize {
    rows.iter().filter(|r| r.verdict.fails()).count()
}

/// Markdown report.
pub fn markdown(rows: &[Row], seeds: u32) -> String {
    let failed = failures(rows);
    let mut s = String::new();
    let head = if failed == 0 { "PASS".to_string() } else { format!("FAIL — {failed} regression(s)") };
    s.push_str(&format!("## tephra check: {head}\n\n"));
    s.push_str(&format!(
        "Medians over {seeds} seed(s) per scenario. A change fails only when it is worse than both the \
         tolerance and the seed noise (larger max − min over seeds).\n\n"
    ));
    s.push_str("| scenario | metric | better | baseline | now | change | tolerance | noise | verdict |\n");
    s.push_str("|---|---|---|---|---|---|---|---|---|\n");
    for r in rows {
        let better = match r.better {
            super::Better::Higher => "higher",
            super::Better::Lower => "lower",
        };
        let verdict = if r.verdict.fails() { format!("**{}**", r.verdict.label()) } else { r.verdict.label().into() };
        s.push_str(&format!(
            "| {} | `{}` | {} | {} | {} | {} | {} | {} | {} |\n",
            crate::report::document::escape_md(&r.scenario),
            r.metric,
            better,
            num(r.baseline),
            num(r.now),
            change(r),
            r.tolerance,
            num(Some(r.noise)),
            verdict
        ));
    }
    s
}

/// Escapes text for XML attributes and content: the HTML escapes (valid XML too), and control
/// characters XML 1.0 cannot carry become spaces.
pub fn xml_escape(s: &str) -> String {
    let clean: String =
        s.chars().map(|c| if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') { ' ' } else { c }).collect();
    crate::report::document::escape_html(&clean)
}

/// JUnit XML: a test suite per scenario, a test case per metric; regressions are failures.
pub fn junit(rows: &[Row]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str(&format!(
        "<testsuites name=\"tephra check\" tests=\"{}\" failures=\"{}\">\n",
        rows.len(),
        failures(rows)
    ));
    let mut i = 0;
    while i < rows.len() {
        let scenario = &rows[i].scenario;
        let group: Vec<&Row> = rows[i..].iter().take_while(|r| &r.scenario == scenario).collect();
        i += group.len();
        let failed = group.iter().filter(|r| r.verdict.fails()).count();
        s.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">\n",
            xml_escape(scenario),
            group.len(),
            failed
        ));
        for r in group {
            let detail = format!(
                "baseline {} now {} change {} tolerance {} noise {}: {}",
                num(r.baseline),
                num(r.now),
                change(r),
                r.tolerance,
                num(Some(r.noise)),
                r.verdict.label()
            );
            s.push_str(&format!(
                "    <testcase classname=\"tephra.check.{}\" name=\"{}\">",
                xml_escape(scenario),
                xml_escape(&r.metric)
            ));
            if r.verdict.fails() {
                s.push_str(&format!(
                    "\n      <failure message=\"{}\">{}</failure>\n    ",
                    xml_escape(&format!("{} {}", r.metric, r.verdict.label())),
                    xml_escape(&detail)
                ));
            } else {
                s.push_str(&format!("<system-out>{}</system-out>", xml_escape(&detail)));
            }
            s.push_str("</testcase>\n");
        }
        s.push_str("  </testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    s
}

#[derive(Serialize)]
struct JsonReport<'a> {
    passed: bool,
    regressions: usize,
    seeds: u32,
    rows: &'a [Row],
}

/// JSON report.
pub fn json(rows: &[Row], seeds: u32) -> String {
    let failed = failures(rows);
    let mut s = serde_json::to_string_pretty(&JsonReport { passed: failed == 0, regressions: failed, seeds, rows })
        .expect("serializable");
    s.push('\n');
    s
}

/// Whether any row is a regression, for the exit code.
pub fn any_regression(rows: &[Row]) -> bool {
    rows.iter().any(|r| r.verdict.fails())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::{Better, Verdict};

    fn row(scenario: &str, verdict: Verdict) -> Row {
        Row {
            scenario: scenario.into(),
            metric: "jct_s.p95".into(),
            better: Better::Lower,
            baseline: Some(100.0),
            now: Some(120.0),
            change: Some(20.0),
            allowed: 5.0,
            noise: 0.0,
            tolerance: "5%".into(),
            verdict,
        }
    }

    #[test]
    fn junit_counts_failures_and_escapes_names() {
        let rows = vec![row("a<&>\"", Verdict::Regression), row("a<&>\"", Verdict::Ok), row("b", Verdict::Improved)];
        let x = junit(&rows);
        assert!(x.contains("<testsuites name=\"tephra check\" tests=\"3\" failures=\"1\">"), "{x}");
        assert!(x.contains("<testsuite name=\"a&lt;&amp;&gt;&quot;\" tests=\"2\" failures=\"1\">"), "{x}");
        assert!(x.contains("<testsuite name=\"b\" tests=\"1\" failures=\"0\">"), "{x}");
        assert_eq!(x.matches("<failure ").count(), 1);
        assert!(!x.contains("a<&"));
    }

    #[test]
    fn markdown_says_pass_or_fail_and_shows_the_change() {
        let md = markdown(&[row("s", Verdict::Regression)], 3);
        assert!(md.starts_with("## tephra check: FAIL — 1 regression(s)"), "{md}");
        assert!(
            md.contains("| s | `jct_s.p95` | lower | 100 | 120 | +20 (+20.0%) | 5% | 0 | **REGRESSION** |"),
            "{md}"
        );
        assert!(markdown(&[row("s", Verdict::Ok)], 3).starts_with("## tephra check: PASS"));
    }
}
