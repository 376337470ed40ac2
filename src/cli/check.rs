//! `tephra check`: the regression gate (see [`crate::gate`]). Exit 0 when every metric is within
//! tolerance, 1 on a regression, 2 on bad input.

use crate::gate::{self, Baseline, Suite, output};
use crate::report::write::write_atomic;
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `tephra check`.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Suite: a folder of scenarios (settings in its check.yaml), a .txt list, or one scenario.
    #[arg(default_value = "scenarios/ci")]
    suite: PathBuf,
    /// Baseline file (default: the suite folder's baseline.json).
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Measure and write the baseline instead of checking against it.
    #[arg(long)]
    update_baseline: bool,
    /// Seeds per scenario (overrides the suite's check.yaml; default 3).
    #[arg(long)]
    seeds: Option<u32>,
    /// Print the JSON report on stdout instead of the Markdown table.
    #[arg(long)]
    json: bool,
    /// Also write JUnit XML here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Also write the Markdown report here (it is appended to $GITHUB_STEP_SUMMARY when set).
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

/// Runs `tephra check`.
pub fn check(args: CheckArgs) -> Result<ExitCode> {
    let mut suite = Suite::load(&args.suite).map_err(anyhow::Error::msg)?;
    if let Some(n) = args.seeds {
        anyhow::ensure!(n >= 1, "--seeds must be at least 1");
        suite.seeds = n;
    }
    let baseline_path = args.baseline.clone().unwrap_or_else(|| suite.default_baseline.clone());
    // Read the baseline before spending time on runs, so a missing file fails fast.
    let baseline =
        if args.update_baseline { None } else { Some(Baseline::read(&baseline_path).map_err(anyhow::Error::msg)?) };

    let runs = (suite.scenarios.len() * suite.seeds as usize) as u64;
    let bar = if args.quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::with_draw_target(Some(runs), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed_precise} [{wide_bar}] {pos}/{len} runs, eta {eta}")
                .expect("valid template"),
        );
        bar
    };
    let measured = gate::measure::measure(&suite, &|| bar.inc(1)).map_err(anyhow::Error::msg)?;
    bar.finish_and_clear();

    let Some(baseline) = baseline else {
        let b = Baseline::from_measured(&measured);
        write_atomic(&baseline_path, b.to_json().as_bytes())
            .with_context(|| format!("writing baseline {}", baseline_path.display()))?;
        if !args.quiet {
            eprintln!(
                "baseline written: {} ({} scenarios × {} seeds, {} metrics)",
                baseline_path.display(),
                measured.len(),
                suite.seeds,
                suite.metrics.len()
            );
        }
        return Ok(ExitCode::SUCCESS);
    };

    let rows = gate::compare(&suite.metrics, &measured, &baseline);
    let mut md = output::markdown(&rows, suite.seeds);
    // Medians over different seeds are not the same measurement: say so where the table is read.
    let mut notes = Vec::new();
    for m in &measured {
        if let Some(b) = baseline.scenarios.get(&m.name)
            && b.seeds != m.seeds
        {
            notes.push(format!(
                "- `{}`: the baseline ran seeds {:?}, this check ran {:?}; medians may differ by seed choice alone \
                 (run with the baseline's seed count, or update the baseline).",
                m.name, b.seeds, m.seeds
            ));
        }
    }
    if !notes.is_empty() {
        md.push_str("\n**Warning: seeds differ from the baseline.**\n\n");
        md.push_str(&notes.join("\n"));
        md.push('\n');
        if !args.quiet {
            eprintln!("warning: seeds differ from the baseline for {} scenario(s); see the report", notes.len());
        }
    }
    if let Some(path) = &args.junit {
        write_atomic(path, output::junit(&rows).as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.markdown {
        write_atomic(path, md.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY") {
        use std::io::Write;
        let mut f =
            std::fs::OpenOptions::new().create(true).append(true).open(&summary).with_context(|| {
                format!("appending to $GITHUB_STEP_SUMMARY ({})", PathBuf::from(&summary).display())
            })?;
        f.write_all(md.as_bytes())?;
    }
    if args.json {
        print!("{}", output::json(&rows, suite.seeds));
    } else {
        print!("{md}");
    }
    Ok(if output::any_regression(&rows) { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
