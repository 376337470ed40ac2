//! `tephra plan`: the cheapest fleet meeting an SLO (see [`crate::plan`]). Exit 0 when every growth
//! factor has a recommended fleet, 1 when the objective is missed for some factor, 2 on bad input.

use crate::plan::{self, Method, PlanSpec};
use crate::scenario;
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `tephra plan`.
#[derive(clap::Args, Debug)]
pub struct PlanArgs {
    /// Scenario file.
    scenario: PathBuf,
    /// A variable: `KEY=a..b`, `KEY=a..b:step` or `KEY=a,b,c` with KEY a `--set` key such as
    /// fleet.pools.NAME.count, queues.NAME.weight, queues.NAME.guarantee.gpu (repeatable).
    #[arg(long, action = clap::ArgAction::Append, required = true)]
    vary: Vec<String>,
    /// The SLO, `METRIC OP VALUE` (`p95_queue_delay <= 1h`); METRIC is an alias or a dotted path
    /// into summary.json.
    #[arg(long)]
    objective: String,
    /// A further constraint, same form (`gpu_allocation >= 80%`; repeatable).
    #[arg(long, action = clap::ArgAction::Append)]
    constraint: Vec<String>,
    /// Seeds per evaluated fleet: the scenario's seed, seed + 1, ….
    #[arg(long, default_value_t = 3)]
    seeds: usize,
    /// Arrival-rate factors for a growth what-if (`1.0,1.2,1.5`): one search per factor.
    #[arg(long, value_delimiter = ',')]
    growth: Vec<f64>,
    /// `bisection` (one node-count variable; default then) or `grid` (default otherwise).
    #[arg(long)]
    search: Option<String>,
    /// Output folder (default `reports/<scenario name>-plan/`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print plan.json on stdout instead of the answer.
    #[arg(long)]
    json: bool,
    /// No progress bar and no answer on stdout.
    #[arg(long, short)]
    quiet: bool,
}

/// Runs `tephra plan`.
pub fn plan(args: PlanArgs) -> Result<ExitCode> {
    let base = scenario::load(&args.scenario)?;
    let variables = args
        .vary
        .iter()
        .map(|v| plan::parse_vary(v))
        .collect::<Result<Vec<_>, String>>()
        .map_err(anyhow::Error::msg)?;
    let objective = plan::parse_constraint(&args.objective).map_err(|m| anyhow::anyhow!("--objective {m}"))?;
    let constraints = args
        .constraint
        .iter()
        .map(|c| plan::parse_constraint(c).map_err(|m| anyhow::anyhow!("--constraint {m}")))
        .collect::<Result<Vec<_>>>()?;
    let mut growth = args.growth.clone();
    if growth.is_empty() {
        growth.push(1.0);
    }
    if let Some(g) = growth.iter().find(|g| !(g.is_finite() && **g > 0.0)) {
        anyhow::bail!("--growth: `{g}` is not a positive factor");
    }
    let method = match args.search.as_deref() {
        None => None,
        Some("bisection") => Some(Method::Bisection),
        Some("grid") => Some(Method::Grid),
        Some(other) => anyhow::bail!("--search: `{other}` is not bisection or grid"),
    };
    let spec = PlanSpec { variables, objective, constraints, seeds: args.seeds, growth, method };
    let method = spec.method()?;
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-plan", base.name)));
    let bar = if args.quiet || args.json || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(ProgressStyle::with_template("{spinner} {elapsed_precise} {pos} runs").expect("valid template"));
        bar
    };
    if !args.quiet && !args.json {
        eprintln!(
            "tephra {}: planning {} ({:?}, {} seed(s) per point, {} growth factor(s))",
            env!("CARGO_PKG_VERSION"),
            base.name,
            method,
            spec.seeds,
            spec.growth.len()
        );
    }
    let results = plan::search(&base, &spec, &|n| bar.inc(n as u64))?;
    bar.finish_and_clear();
    let seeds = crate::experiment::seeds(base.seed, spec.seeds);
    plan::report::write(&out, &base.name, &seeds, &spec, &results)
        .with_context(|| format!("writing the plan to {}", out.display()))?;
    if args.json {
        print!("{}", std::fs::read_to_string(out.join("plan.json"))?);
    } else if !args.quiet {
        for a in plan::report::answers(&spec, &results) {
            println!("  {a}");
        }
        let points: usize = results.iter().map(|r| r.points.len()).sum();
        println!("  {points} fleets evaluated × {} seed(s); plan: {}", spec.seeds, out.join("plan.md").display());
    }
    Ok(if plan::report::met(&results) { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
