//! The command line (clap). Thin: parse, load, call [`crate::runner`], write, print.
//! Exit codes: 0 ok, 1 regression / objective missed, 2 bad input.

mod check;
mod inflate;
mod plan;
mod sweep;

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
    /// Run a scenario and write summary.json, perf.json, jobs.csv, timeline.csv, queues.csv,
    /// fairness.csv, charts/ and report.md + report.html.
    Run(RunArgs),
    /// Run variants of a scenario (other confs, kube-default, `--set` overrides) over several seeds
    /// in parallel and write one side-by-side report.
    Compare(CompareArgs),
    /// Run scenarios with faults or lifecycle policies and show their recovery metrics side by
    /// side (MTTR, lost GPU-hours, useful-compute ratio); writes each run's reports and
    /// `recovery-compare.csv`.
    RecoveryCompare {
        /// Scenario files.
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        /// Folder for `recovery-compare.csv` (default `reports/`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print nothing (the files are still written).
        #[arg(long)]
        quiet: bool,
    },
    /// Load a scenario, its trace and scheduler conf, and report problems without running.
    Validate {
        /// Scenario file.
        #[arg(default_value = "scenarios/quickstart.yaml")]
        scenario: PathBuf,
    },
    /// Regression gate: run a suite over seeds and compare medians with a baseline (exit 1 on a
    /// regression, 2 on bad input).
    Check(check::CheckArgs),
    /// Read public traces: inspect, convert to native, generate synthetic ones.
    #[command(subcommand)]
    Trace(trace::TraceCmd),
    /// Read Kubernetes inputs: a fleet from `kubectl get nodes -o json`, Volcano objects.
    #[command(subcommand)]
    K8s(k8s::K8sCmd),
    /// Capacity planning: the cheapest fleet whose median metrics over seeds meet an objective
    /// (exit 1 when no evaluated fleet does, 2 on bad input).
    Plan(plan::PlanArgs),
    /// Run a grid (scenarios × `--set` parameters × seeds) in parallel into one results.csv;
    /// resumable, and shardable (`--shard i/n`) across the pods of a Kubernetes or Volcano Job.
    Sweep(sweep::SweepArgs),
    /// Combine sweep results (shards, reruns) into one table sorted by cell order.
    Merge(sweep::MergeArgs),
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

#[derive(clap::Args, Debug)]
struct CompareArgs {
    /// Scenario file.
    scenario: PathBuf,
    /// A variant running Volcano with this volcano-scheduler.conf (repeatable).
    #[arg(long, action = clap::ArgAction::Append)]
    conf: Vec<PathBuf>,
    /// A variant with another policy: `kube-default` (repeatable).
    #[arg(long, action = clap::ArgAction::Append)]
    policy: Vec<String>,
    /// A variant with overrides `key=value[,key=value…]` on the scenario (repeatable); keys:
    /// seed, scheduler.conf, scheduler.policy, scheduler.node_scan, scheduler.schedule_period,
    /// run.until, run.sample_every, run.pod_startup, run.controller_delay, run.termination_grace,
    /// queues.NAME.weight,
    /// fleet.pools.NAME.count, fleet.pools.NAME.cost, queues.NAME.guarantee.RESOURCE,
    /// workload.arrival_scale; in a packing experiment (`run.mode: inflate`) run.inflate.policy,
    /// run.inflate.policies (a+b), run.inflate.target, run.inflate.step_pct,
    /// run.inflate.typical_share, run.inflate.ties, run.inflate.seeds (a+b).
    #[arg(long, action = clap::ArgAction::Append)]
    set: Vec<String>,
    /// Seeds per variant: the scenario's seed, seed + 1, … (default 1; a packing experiment,
    /// `run.mode: inflate`, defaults to its `run.inflate.seeds`).
    #[arg(long)]
    seeds: Option<usize>,
    /// Output folder (default `reports/<scenario name>-compare/`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print compare.json on stdout instead of the table.
    #[arg(long)]
    json: bool,
    /// No table.
    #[arg(long, short)]
    quiet: bool,
}

/// Entry point used by `main`.
pub fn main() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    // Variants keep their command-line order across --conf, --policy and --set.
    let order = matches.subcommand_matches("compare").map(|m| {
        let mut idx: Vec<(usize, &'static str, usize)> = Vec::new();
        for name in ["conf", "policy", "set"] {
            if let Some(it) = m.indices_of(name) {
                idx.extend(it.enumerate().map(|(k, i)| (i, name, k)));
            }
        }
        idx.sort();
        idx.into_iter().map(|(_, n, k)| (n, k)).collect::<Vec<_>>()
    });
    let result = match cli.command {
        Command::Compare(args) => compare(args, order.unwrap_or_default()),
        other => dispatch(Cli { command: other }),
    };
    match result {
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
        Command::Check(args) => check::check(args),
        Command::Plan(args) => plan::plan(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Merge(args) => sweep::merge(args),
        Command::Compare(args) => compare(args, Vec::new()),
        Command::RecoveryCompare { scenarios, out, quiet } => recovery_compare(&scenarios, out, quiet),
        Command::Trace(cmd) => trace::run(cmd),
        Command::K8s(cmd) => k8s::run(cmd),
        Command::Validate { scenario } => {
            let sc = scenario::load(&scenario)?;
            let jobs = sc.load_jobs()?;
            crate::sim::resolve_queues(&sc.queues, &jobs).map_err(anyhow::Error::msg)?;
            runner::build_scheduler(&sc)?;
            let pools: Vec<_> = sc.pools.iter().map(|(p, _)| p.clone()).collect();
            for w in sc.warnings.iter().chain(&crate::sim::admission::missing_models(&jobs, &pools)) {
                eprintln!("warning: {w}");
            }
            println!(
                "{}: ok ({} pools, {} jobs, policy {})",
                scenario.display(),
                sc.pools.len(),
                jobs.len(),
                sc.policy.name()
            );
            // The process ends here: freeing a million jobs one by one would cost ~0.2 s.
            std::mem::forget(jobs);
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
        for (on, flag) in [
            (args.node_scan.is_some(), "--node-scan"),
            (args.json, "--json"),
            (args.check_invariants, "--check-invariants"),
            (args.decisions, "--decisions"),
        ] {
            if on {
                anyhow::bail!(
                    "{flag}: has no effect in run.mode: inflate (the packing experiment has no scheduler cycles)"
                );
            }
        }
        return inflate::run(&sc, args.seed, args.conf.as_ref().map(|_| &sc.policy), &out, args.quiet);
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

    report::write_run(&out, &sc, &output, log).with_context(|| format!("writing reports to {}", out.display()))?;
    if args.json {
        print!("{}", report::pretty_json(&output.summary));
    } else if !args.quiet {
        print!("{}", report::table::summary_table(&output.summary, output.perf.wall_s));
        if let Some(r) = &output.summary.recovery {
            println!(
                "  {:<19}  {} node failures, {} incidents, MTTR p50 {:.0} s / p95 {:.0} s, lost {:.1} GPU-h, useful {:.3}",
                "recovery",
                r.node_failures,
                r.incidents,
                r.mttr_s.p50,
                r.mttr_s.p95,
                r.lost_gpu_hours,
                r.useful_compute_ratio
            );
        }
        println!("  {:<19}  {}", "reports", out.display());
        println!("  {:<19}  {}", "report", out.join("report.html").display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `tephra compare`: variants in command-line `order` (`(flag, k)`: the k-th value of the flag;
/// empty = flag order conf, policy, set). Fewer than two variants: the scenario as written is put
/// first as the reference.
fn compare(args: CompareArgs, order: Vec<(&'static str, usize)>) -> Result<ExitCode> {
    use crate::experiment::{self, Change, Plan, Variant};
    use crate::report::compare_report::{self, RunDigest};
    let base = scenario::load(&args.scenario)?;
    let order = if order.is_empty() {
        let mut o: Vec<(&'static str, usize)> = (0..args.conf.len()).map(|k| ("conf", k)).collect();
        o.extend((0..args.policy.len()).map(|k| ("policy", k)));
        o.extend((0..args.set.len()).map(|k| ("set", k)));
        o
    } else {
        order
    };
    let mut variants = Vec::new();
    for (flag, k) in order {
        let change = match flag {
            "conf" => Change::Conf(args.conf[k].clone()),
            "policy" => match args.policy[k].as_str() {
                "kube-default" => Change::KubeDefault,
                other => {
                    anyhow::bail!("--policy: `{other}` is not a policy (kube-default; Volcano confs go in --conf)")
                }
            },
            _ => Change::Set(experiment::overrides::parse(&args.set[k])?),
        };
        variants.push(Variant::new(change));
    }
    if args.seeds == Some(0) {
        anyhow::bail!("--seeds: at least 1");
    }
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-compare", base.name)));
    if base.inflate.is_some() {
        if args.json {
            anyhow::bail!("--json: a packing experiment (run.mode: inflate) writes compare.csv, not compare.json");
        }
        return inflate::compare(&base, &variants, args.seeds, &out, args.quiet);
    }
    if variants.len() < 2 {
        variants.insert(0, Variant::new(Change::AsWritten));
    }
    let plan = Plan::new(base.clone(), variants, experiment::seeds(base.seed, args.seeds.unwrap_or(1)))?;
    for v in &plan.variants {
        for w in &v.scenario(&plan.base, plan.seeds[0])?.warnings {
            eprintln!("warning: {}: {w}", v.label);
        }
    }
    if !args.quiet && !args.json {
        eprintln!(
            "tephra {}: comparing {} variants × {} seeds of {} ({} threads)",
            env!("CARGO_PKG_VERSION"),
            plan.variants.len(),
            plan.seeds.len(),
            base.name,
            rayon::current_num_threads()
        );
    }
    let opts = RunOptions::default();
    let grid = experiment::run_matrix(&plan, &opts, |cell, sc, output| -> std::io::Result<RunDigest> {
        let dir = out.join("variants").join(compare_report::slug(&plan.variants[cell.variant].label));
        std::fs::create_dir_all(&dir)?;
        report::write::write_atomic(
            &dir.join(format!("summary-seed{}.json", cell.seed)),
            report::pretty_json(&output.summary).as_bytes(),
        )?;
        if cell.seed_index == 0 {
            report::write_run(&dir, sc, &output, false)?;
        }
        Ok(RunDigest::of(&output))
    })?;
    let grid: Vec<Vec<RunDigest>> = grid
        .into_iter()
        .map(|runs| runs.into_iter().collect::<std::io::Result<Vec<_>>>())
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("writing reports to {}", out.display()))?;
    compare_report::write(&out, &plan, &grid).with_context(|| format!("writing the report to {}", out.display()))?;
    if args.json {
        print!("{}", std::fs::read_to_string(out.join("compare.json"))?);
    } else if !args.quiet {
        let table = compare_report::rows(&grid);
        let w = table.iter().map(|r| r.metric.chars().count()).max().unwrap_or(0);
        print!("  {:<w$}", "");
        for v in &plan.variants {
            print!("  {:>16}", v.label);
        }
        println!();
        for r in table.iter().filter(|r| {
            [
                "GPU allocation",
                "GPU goodput",
                "queueing delay p50",
                "queueing delay p90",
                "JCT p50",
                "Jain's index (time mean)",
            ]
            .contains(&r.metric)
        }) {
            print!("  {:<w$}", r.metric);
            for c in &r.cells {
                let v = c.median.map(|m| match r.unit {
                    compare_report::Unit::Percent => format!("{:.1}%", m * 100.0),
                    compare_report::Unit::Seconds => report::table::human_secs(m),
                    _ => format!("{m:.3}"),
                });
                print!(
                    "  {:>16}",
                    format!("{}{}", v.unwrap_or_else(|| "–".into()), if c.within_noise { " ≈" } else { "" })
                );
            }
            println!();
        }
        println!("  report: {}", out.join("report.html").display());
    }
    Ok(ExitCode::SUCCESS)
}

fn recovery_compare(scenarios: &[PathBuf], out: Option<PathBuf>, quiet: bool) -> Result<ExitCode> {
    use crate::report::recovery::CompareRow;
    use rayon::prelude::*;
    let loaded: Vec<scenario::Scenario> = scenarios.iter().map(|p| scenario::load(p)).collect::<Result<_, _>>()?;
    // Every scenario runs on its own rayon worker; rows keep the command-line order.
    let rows: Vec<CompareRow> = loaded
        .par_iter()
        .map(|sc| -> Result<CompareRow> {
            let output = runner::run(sc, &RunOptions::default(), |_| {})?;
            let Some(row) = CompareRow::of(&output.summary) else {
                anyhow::bail!("{}: no faults and no lifecycle policies: nothing to compare", sc.path.display());
            };
            let dir = PathBuf::from("reports").join(&sc.name);
            report::write_run(&dir, sc, &output, false)
                .with_context(|| format!("writing reports to {}", dir.display()))?;
            Ok(row)
        })
        .collect::<Result<_>>()?;
    let dir = out.unwrap_or_else(|| PathBuf::from("reports"));
    std::fs::create_dir_all(&dir)?;
    report::write::write_atomic(
        &dir.join("recovery-compare.csv"),
        &report::write::csv_bytes(&rows).map_err(std::io::Error::other)?,
    )?;
    if !quiet {
        print!("{}", CompareRow::table(&rows));
        println!("  {:<19}  {}", "comparison", dir.join("recovery-compare.csv").display());
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
