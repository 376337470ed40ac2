//! `run.mode: inflate` on the command line: `tephra run` (every policy × seed of the scenario) and
//! `tephra compare` (variants = packing policies, picked by `--conf` files naming one of the six
//! node-order plugins or by `--set run.inflate.policy=NAME`; with no variants, one per policy of
//! the scenario). Options that mean nothing without a simulation are errors, never ignored.

use crate::experiment::{Change, Variant};
use crate::report;
use crate::scenario::{self, Policy};
use crate::sim::inflate::{Experiment, InflateSettings, VariantSettings, policy_of_conf, run_all, summarize};
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::ExitCode;

/// The packing policy a scheduler policy names (`--conf`, `scheduler.conf=`).
fn conf_policy(p: &Policy, origin: &str) -> Result<crate::sched::plugins::fgd::Policy> {
    match p {
        Policy::Volcano { conf, .. } => policy_of_conf(conf).map_err(|e| anyhow::anyhow!("{origin}: {e}")),
        Policy::KubeDefault => bail!("{origin}: kube-default has no packing policy (run.mode: inflate)"),
    }
}

/// `tephra run` on an inflate scenario; `conf` (from `--conf`) narrows it to that conf's policy.
pub(super) fn run(
    sc: &scenario::Scenario,
    seed: Option<u64>,
    conf: Option<&Policy>,
    out: &Path,
    quiet: bool,
) -> Result<ExitCode> {
    let mut settings = sc.inflate.clone().expect("inflate mode");
    if let Some(s) = seed {
        settings.seeds = vec![s];
    }
    if let Some(p) = conf {
        settings.policies = vec![conf_policy(p, "--conf")?];
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
        print!("{}", report::inflate::compare_table(&report::inflate::compare_rows(&summary)));
        println!("  {:<19}  {}", "reports", out.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `--set` keys that mean something in a packing experiment.
fn check_keys(v: &Variant) -> Result<()> {
    if let Change::Set(list) = &v.change {
        for a in list {
            if !(a.key.starts_with("run.inflate.") || a.key == "scheduler.conf") {
                bail!(
                    "--set {}: has no effect in run.mode: inflate (keys there: run.inflate.policy, run.inflate.policies, \
                     run.inflate.target, run.inflate.step_pct, run.inflate.typical_share, run.inflate.ties, \
                     run.inflate.seeds, \
                     scheduler.conf)",
                    a.key
                );
            }
        }
    }
    Ok(())
}

/// What one variant runs.
fn variant_settings(base: &scenario::Scenario, v: &Variant) -> Result<VariantSettings> {
    let sc = v.scenario(base, base.seed)?;
    let mut settings = sc.inflate.clone().expect("inflate mode");
    let conf_changed = match &v.change {
        Change::AsWritten => false,
        Change::Conf(_) | Change::KubeDefault => true,
        Change::Set(list) => list.iter().any(|a| a.key == "scheduler.conf"),
    };
    if conf_changed {
        settings.policies = vec![conf_policy(&sc.policy, &v.label)?];
    }
    Ok(VariantSettings { label: v.label.clone(), settings })
}

/// `tephra compare` on an inflate scenario. `variants` as given on the command line (none: one
/// per policy of the scenario); `seeds`: `--seeds N` (the first N from the scenario's first seed)
/// or the scenario's seeds.
pub(super) fn compare(
    base: &scenario::Scenario,
    variants: &[Variant],
    seeds: Option<usize>,
    out: &Path,
    quiet: bool,
) -> Result<ExitCode> {
    let written = base.inflate.clone().expect("inflate mode");
    let mut list: Vec<VariantSettings> = if variants.is_empty() {
        written
            .policies
            .iter()
            .map(|p| VariantSettings {
                label: p.name().to_string(),
                settings: InflateSettings { policies: vec![*p], ..written.clone() },
            })
            .collect()
    } else {
        for v in variants {
            check_keys(v)?;
        }
        // Plan::new makes labels unique (`x`, `x#2`) and checks every variant's scenario.
        let plan = crate::experiment::Plan::new(base.clone(), variants.to_vec(), vec![base.seed])?;
        plan.variants.iter().map(|v| variant_settings(base, v)).collect::<Result<_>>()?
    };
    if let Some(n) = seeds {
        let first = written.seeds[0];
        for v in &mut list {
            v.settings.seeds = crate::experiment::seeds(first, n);
        }
    }
    let started = std::time::Instant::now();
    let pods = crate::trace::openb::read_pods(&base.trace)?;
    let nodes = base.nodes.as_deref().unwrap_or_default();
    if !quiet {
        let runs: usize = list.iter().map(|v| v.settings.policies.len() * v.settings.seeds.len()).sum();
        eprintln!(
            "tephra {}: packing experiment {} · {} variants · {runs} curves ({} threads)",
            env!("CARGO_PKG_VERSION"),
            base.name,
            list.len(),
            rayon::current_num_threads()
        );
    }
    let (points, summary) = crate::sim::inflate::compare(nodes, &pods, &list);
    let rows = report::inflate::write_compare(out, &base.name, &points, &summary)
        .with_context(|| format!("writing the report to {}", out.display()))?;
    if !quiet {
        print!("{}", report::inflate::compare_table(&rows));
        println!("  {:.2} s · report: {}", started.elapsed().as_secs_f64(), out.join("report.md").display());
    }
    Ok(ExitCode::SUCCESS)
}
