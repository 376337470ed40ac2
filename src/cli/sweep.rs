//! `tephra sweep` and `tephra merge` (see [`crate::sweep`]).

use crate::report::write::write_atomic;
use crate::sweep::{Sweep, grid::Grid, merge, results, shard::Shard};
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `tephra sweep`.
#[derive(clap::Args, Debug)]
pub struct SweepArgs {
    /// Grid file (YAML: scenarios, parameters, seeds).
    grid: PathBuf,
    /// Output folder; results go to OUT/results.csv (OUT/results-shard-I-of-N.csv with --shard);
    /// built with `--features analytics`, also to results.parquet (the same table) at the end.
    #[arg(long)]
    out: PathBuf,
    /// Run only cells whose index is I modulo N (`I/N`); default from $TEPHRA_SHARD, else all.
    #[arg(long)]
    shard: Option<String>,
    /// No progress bar and no summary line.
    #[arg(long, short)]
    quiet: bool,
}

/// Arguments of `tephra merge`.
#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// Results files, or folders (every results*.csv in them).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// The merged table (CSV; built with `--features analytics`, also the same table as Parquet
    /// beside it: merged.csv → merged.parquet).
    #[arg(long)]
    out: PathBuf,
    /// The grid the tables came from: check that every cell is present (exit 1 if not) and that
    /// no row belongs to another grid (exit 2).
    #[arg(long)]
    grid: Option<PathBuf>,
}

/// Runs `tephra sweep`.
pub fn sweep(args: SweepArgs) -> Result<ExitCode> {
    let spec = args.shard.clone().or_else(|| std::env::var("TEPHRA_SHARD").ok().filter(|s| !s.trim().is_empty()));
    let shard = match &spec {
        Some(s) => Shard::parse(s).map_err(anyhow::Error::msg)?,
        None => Shard::ALL,
    };
    let grid = Grid::load(&args.grid).map_err(anyhow::Error::msg)?;
    let sweep = Sweep::open(grid, shard, &args.out).map_err(anyhow::Error::msg)?;
    let todo = sweep.pending().len() as u64;
    let file = sweep.file.clone();
    if !args.quiet {
        eprintln!(
            "tephra {}: sweep {} · shard {}/{} · {} cells, {} already done · {} threads",
            env!("CARGO_PKG_VERSION"),
            args.grid.display(),
            shard.index,
            shard.count,
            sweep.cells.len(),
            sweep.cells.len() as u64 - todo,
            rayon::current_num_threads()
        );
    }
    let bar = if args.quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::with_draw_target(Some(todo), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed_precise} [{wide_bar}] {pos}/{len} runs, eta {eta}")
                .expect("valid template"),
        );
        bar
    };
    let outcome = sweep.run(&|| bar.inc(1)).map_err(anyhow::Error::msg);
    bar.finish_and_clear();
    let outcome = outcome?;
    if !args.quiet {
        println!(
            "{}: {} cells ({} run now, {} skipped as already done)",
            file.display(),
            outcome.cells,
            outcome.ran,
            outcome.skipped
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `tephra merge`.
pub fn merge(args: MergeArgs) -> Result<ExitCode> {
    if args.out.extension().is_some_and(|e| e == "parquet") {
        anyhow::bail!(
            "--out {}: name the CSV table (e.g. merged.csv); {}",
            args.out.display(),
            if cfg!(feature = "analytics") {
                "its Parquet copy is written beside it with the extension .parquet"
            } else {
                "a Parquet copy beside it needs tephra built with `--features analytics`"
            }
        );
    }
    let m = merge::merge(&args.inputs).map_err(anyhow::Error::msg)?;
    let mut missing = Vec::new();
    if let Some(g) = &args.grid {
        let grid = Grid::load(g).map_err(anyhow::Error::msg)?;
        anyhow::ensure!(
            m.table.header == results::header(&grid),
            "{}: the merged tables' columns are not this grid's",
            g.display()
        );
        let cells = grid.cells();
        for row in &m.table.rows {
            let known = row[0].parse::<usize>().ok().and_then(|i| cells.get(i)).is_some_and(|c| c.id == row[1]);
            anyhow::ensure!(known, "cell {} (index {}) is not a cell of {}", row[1], row[0], g.display());
        }
        missing = cells.iter().filter(|c| !m.table.rows.iter().any(|r| r[1] == c.id)).map(|c| c.index).collect();
    }
    write_atomic(&args.out, &results::encode_table(&m.table))
        .with_context(|| format!("writing {}", args.out.display()))?;
    #[cfg(feature = "analytics")]
    {
        let parquet = crate::report::parquet::beside(&args.out);
        crate::report::parquet::write(&parquet, &results::frame(&m.table))
            .with_context(|| format!("writing {}", parquet.display()))?;
    }
    println!(
        "{}: {} cells from {} files ({} duplicates dropped)",
        args.out.display(),
        m.table.rows.len(),
        m.files.len(),
        m.duplicates
    );
    if !missing.is_empty() {
        let shown: Vec<String> = missing.iter().take(10).map(usize::to_string).collect();
        eprintln!(
            "incomplete: {} cells of the grid are missing (indices {}{})",
            missing.len(),
            shown.join(", "),
            if missing.len() > 10 { ", …" } else { "" }
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
