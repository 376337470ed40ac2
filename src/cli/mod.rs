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

pub mod k8s;
pub mod trace;

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
    /// Read public traces: inspect, convert to native, generate synthetic ones.
    #[command(subcommand)]
    Trace(trace::TraceCmd),
    /// Read Kubernetes inputs: a fleet from `kubectl get nodes -o json`, Volcano objects.
    #[command(subcommand)]
    K8s(k8s::K8sCmd),
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
        Command::Trace(cmd) => trace::run(cmd),
        Command::K8s(cmd) => k8s::run(cmd),
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
    if args.json {
        print!("{}", report::pretty_json(&output.summary));
    } else if !args.quiet {
        print!("{}", report::table::summary_table(&output.summary, output.perf.wall_s));
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
