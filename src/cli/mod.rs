//! The command line (clap). Thin: parse, load, call [`crate::runner`], write, print.
//! Exit codes: 0 ok, 1 regression / objective missed, 2 bad input.

use crate::report;
use crate::runner::{self, RunOptions};
use crate::scenario::{self, Policy};
use crate::sched::node_scan::NodeScan;
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// tephra — replay AI-fleet workloads through Volcano's scheduling semantics and compare policies.
#[derive(Parser, Debug)]
#[command(name = "tephra", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario and write summary.json, perf.json, jobs.csv and timeline.csv.
    Run(RunArgs),
    /// Load a scenario, its trace and scheduler conf, and report problems without running.
    Validate {
        /// Scenario file.
        #[arg(default_value = "scenarios/quickstart.yaml")]
        scenario: PathBuf,
    },
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// Scenario file.
    #[arg(default_value = "scenarios/quickstart.yaml")]
    scenario: PathBuf,
    /// Output folder (default `reports/<scenario name>/`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Override the policy: a volcano-scheduler.conf path, or `kube-default`.
    #[arg(long)]
    conf: Option<String>,
    /// Override the node scan mode: `volcano` or `exhaustive`.
    #[arg(long)]
    node_scan: Option<String>,
    /// Print the summary as JSON on stdout instead of the table.
    #[arg(long)]
    json: bool,
    /// No progress bar and no table.
    #[arg(long, short)]
    quiet: bool,
    /// Check every accounting invariant after every event (slow).
    #[arg(long)]
    check_invariants: bool,
    /// Also write decisions.csv: every enqueue, bind and eviction with its cycle.
    #[arg(long)]
    decisions: bool,
}

/// Entry point used by `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run(args),
        Command::Validate { scenario } => {
            let sc = scenario::load(&scenario)?;
            let jobs = sc.load_jobs()?;
            crate::sim::resolve_queues(&sc.queues, &jobs).map_err(anyhow::Error::msg)?;
            runner::build_scheduler(&sc)?;
            for w in &sc.warnings {
                eprintln!("warning: {w}");
            }
            println!(
                "{}: ok ({} pools, {} jobs, policy {})",
                scenario.display(),
                sc.pools.len(),
                jobs.len(),
                sc.policy.name()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn run(args: RunArgs) -> Result<ExitCode> {
    let mut sc = scenario::load(&args.scenario)?;
    if let Some(seed) = args.seed {
        sc.seed = seed;
    }
    if let Some(c) = &args.conf {
        sc.policy =
            if c == "kube-default" { Policy::KubeDefault } else { scenario::load::load_conf(&PathBuf::from(c))? };
        sc.warnings = match &sc.policy {
            Policy::Volcano { conf, .. } => conf.warnings.clone(),
            Policy::KubeDefault => vec![],
        };
    }
    if let Some(m) = &args.node_scan {
        sc.node_scan = match m.as_str() {
            "volcano" => NodeScan::Volcano,
            "exhaustive" => NodeScan::Exhaustive,
            other => anyhow::bail!("--node-scan: `{other}` is not volcano or exhaustive"),
        };
    }
    for w in &sc.warnings {
        eprintln!("warning: {w}");
    }
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("reports").join(&sc.name));
    if sc.inflate.is_some() {
        return run_inflate(&sc, args.seed, &out, args.quiet);
    }
    if !args.quiet && !args.json {
        eprintln!(
            "tephra {}: scenario {} · policy {} · seed {}",
            env!("CARGO_PKG_VERSION"),
            sc.name,
            sc.policy.name(),
            sc.seed
        );
    }

    let bar = progress_bar(args.quiet);
    let opts = RunOptions { check_invariants: args.check_invariants, record_decisions: args.decisions };
    let log = args.decisions || sc.run.decisions;
    let output = runner::run(&sc, &opts, |p| {
        if bar.is_hidden() {
            return;
        }
        let len = (p.horizon.secs_f64() as u64).max(1);
        bar.set_length(len);
        bar.set_position((p.now.secs_f64() as u64).min(len));
        bar.set_message(format!("{} jobs active", p.active));
    })?;
    bar.finish_and_clear();

    report::write_all(
        &out,
        &output.summary,
        &output.perf,
        &output.jobs,
        &output.timeline,
        &output.queues,
        log.then_some(&output.decisions[..]),
    )
    .with_context(|| format!("writing reports to {}", out.display()))?;
    if !output.fragmentation.is_empty() {
        let bytes = report::write::csv_bytes(&output.fragmentation)?;
        report::write::write_atomic(&out.join("fragmentation.csv"), &bytes)
            .with_context(|| format!("writing reports to {}", out.display()))?;
    }
    if args.json {
        print!("{}", report::pretty_json(&output.summary));
    } else if !args.quiet {
        print!("{}", report::table::summary_table(&output.summary, output.perf.wall_s));
        println!("  {:<19}  {}", "reports", out.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `run.mode: inflate`: every policy × seed packing curve, written as CSV and a chart.
fn run_inflate(sc: &scenario::Scenario, seed: Option<u64>, out: &std::path::Path, quiet: bool) -> Result<ExitCode> {
    use crate::sim::inflate::{Experiment, run_all, summarize};
    let mut settings = sc.inflate.clone().expect("inflate mode");
    if let Some(s) = seed {
        settings.seeds = vec![s];
    }
    let started = std::time::Instant::now();
    let pods = crate::trace::openb::read_pods(&sc.trace)?;
    let exp = Experiment::new(sc.nodes.as_deref().unwrap_or_default(), &pods, settings.typical_share);
    let points = run_all(&exp, &settings);
    let summary = summarize(&points, &settings);
    report::inflate::write_inflate(out, &points, &summary)
        .with_context(|| format!("writing reports to {}", out.display()))?;
    if !quiet {
        let runs = settings.policies.len() * settings.seeds.len();
        println!(
            "tephra inflate: {} · {} pods · {runs} runs in {:.2} s · typical mix of {} shapes",
            sc.name,
            pods.len(),
            started.elapsed().as_secs_f64(),
            exp.mix().shapes.len()
        );
        println!(
            "  {:<11} {:>22} {:>22} {:>14}",
            "policy", "alloc % at 100% arrived", "alloc % at end (min-max)", "frag rate % end"
        );
        for p in &settings.policies {
            let rows: Vec<_> = summary.iter().filter(|r| r.policy == p.name()).collect();
            let at100 = rows.iter().rev().find(|r| r.arrived_pct <= 100.0 + 1e-9);
            let end = rows.last();
            if let (Some(a), Some(e)) = (at100, end) {
                println!(
                    "  {:<11} {:>22.2} {:>12.2} ({:.2}-{:.2}) {:>8.2}",
                    p.name(),
                    a.alloc_median,
                    e.alloc_median,
                    e.alloc_min,
                    e.alloc_max,
                    e.frag_rate_median
                );
            }
        }
        println!("  {:<19}  {}", "reports", out.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn progress_bar(quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {elapsed_precise} [{wide_bar}] {pos}/{len} sim-s {msg}")
            .expect("valid template"),
    );
    bar
}
