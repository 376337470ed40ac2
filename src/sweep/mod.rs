//! `tephra sweep`: run a grid (scenarios × parameters × seeds, see [`grid`]) in parallel and
//! collect one results row per cell (see [`results`]). Resumable: cells already in the results
//! file are skipped. Shardable: `--shard i/n` runs a deterministic share (see [`shard`]) so n pods
//! of a Kubernetes Indexed Job or a Volcano Job run one grid; [`merge`] combines their tables.
//!
//! Every cell is the same single-threaded deterministic simulation as `tephra run`; rows are
//! appended as cells finish (any order) and the file is rewritten sorted by cell order at the end,
//! so the final table is the same bytes for any thread count, shard split or resume history.

pub mod grid;
pub mod merge;
pub mod results;
pub mod shard;

use crate::report::write::write_atomic;
use crate::runner::{self, RunOptions};
use grid::{Cell, Grid};
use rayon::prelude::*;
use results::Table;
use shard::Shard;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A sweep ready to run: the grid, this shard's cells, and what its results file already holds.
#[derive(Debug)]
pub struct Sweep {
    /// The grid.
    pub grid: Grid,
    /// The results file.
    pub file: PathBuf,
    /// Cells of this shard, in grid order.
    pub cells: Vec<Cell>,
    /// Rows already in the results file, by cell id.
    pub done: BTreeMap<String, Vec<String>>,
    header: Vec<String>,
}

/// What a finished sweep did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Cells in this shard.
    pub cells: usize,
    /// Cells skipped because the results file had them.
    pub skipped: usize,
    /// Cells run now.
    pub ran: usize,
}

impl Sweep {
    /// Prepares a sweep of `grid`'s `shard` writing into folder `out`. An existing results file is
    /// read (a torn last line is cut off); it must have this grid's columns and only this
    /// shard's cells of this grid (matched by cell id), or the sweep refuses to mix tables.
    pub fn open(grid: Grid, shard: Shard, out: &Path) -> Result<Sweep, String> {
        std::fs::create_dir_all(out).map_err(|e| format!("{}: cannot create folder: {e}", out.display()))?;
        let file = out.join(shard.file_name());
        let header = results::header(&grid);
        let cells: Vec<Cell> = grid.cells().into_iter().filter(|c| shard.owns(c.index)).collect();
        let mut done = BTreeMap::new();
        if let Some((table, valid, len)) = results::read(&file)? {
            if table.header.is_empty() {
                // Only a torn header: start again.
            } else if table.header != header {
                return Err(format!(
                    "{}: its columns are not this grid's ({}); use another --out folder",
                    file.display(),
                    grid.path.display()
                ));
            }
            let ids: BTreeMap<&str, usize> = cells.iter().map(|c| (c.id.as_str(), c.index)).collect();
            for mut row in table.rows {
                match ids.get(row[1].as_str()) {
                    Some(&i) => {
                        // The id says which cell; the index is re-derived, so a grid that grew
                        // (values added to an axis) keeps the rows of cells it already ran.
                        row[0] = i.to_string();
                        done.insert(row[1].clone(), row);
                    }
                    None => {
                        return Err(format!(
                            "{}: cell {} (index {}) is not a cell of this shard of {}; use another --out folder",
                            file.display(),
                            row[1],
                            row[0],
                            grid.path.display()
                        ));
                    }
                }
            }
            if valid < len || table.header.is_empty() {
                // Cut the torn line so appended rows start on a fresh line.
                let kept =
                    results::encode_table(&Table { header: header.clone(), rows: done.values().cloned().collect() });
                write_atomic(&file, &kept).map_err(|e| format!("{}: cannot rewrite: {e}", file.display()))?;
            }
        }
        Ok(Sweep { grid, file, cells, done, header })
    }

    /// Cells still to run.
    pub fn pending(&self) -> Vec<&Cell> {
        self.cells.iter().filter(|c| !self.done.contains_key(&c.id)).collect()
    }

    /// Runs the pending cells in parallel (rayon), appending each row as its cell finishes and
    /// calling `finished` after each; then rewrites the file sorted by cell order (with the
    /// `analytics` feature also writing the same table as `results.parquet` beside it, rebuilt
    /// from the whole table on every run; the CSV stays what a resumed sweep reads). A failing
    /// cell is reported after the others have run (its row is absent, so a rerun retries it).
    pub fn run(self, finished: &(dyn Fn() + Sync)) -> Result<Outcome, String> {
        let shown = self.file.display().to_string();
        let io = |e: std::io::Error| format!("{shown}: {e}");
        let pending = self.pending();
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&self.file).map_err(io)?;
        if f.metadata().map_err(io)?.len() == 0 {
            f.write_all(&results::encode(&self.header)).map_err(io)?;
        }
        let f = Mutex::new(f);
        let rows: Vec<Result<Vec<String>, String>> = pending
            .par_iter()
            .map(|cell| {
                let sc = self.grid.scenario(cell)?;
                let out = runner::run(&sc, &RunOptions::default(), |_| {})
                    .map_err(|e| format!("{}: cell {} seed {}: {e}", sc.path.display(), cell.id, cell.seed))?;
                let summary = serde_json::to_value(&out.summary).map_err(|e| e.to_string())?;
                let row = results::row(&self.grid, cell, &summary);
                {
                    let mut f = f.lock().expect("no panics while holding the lock");
                    f.write_all(&results::encode(&row)).and_then(|_| f.flush()).map_err(io)?;
                }
                finished();
                Ok(row)
            })
            .collect();
        drop(f);
        let mut all: Vec<Vec<String>> = self.done.values().cloned().collect();
        let mut errors = Vec::new();
        let ran = pending.len();
        for r in rows {
            match r {
                Ok(row) => all.push(row),
                Err(e) => errors.push(e),
            }
        }
        results::sort(&mut all);
        let table = Table { header: self.header.clone(), rows: all };
        write_atomic(&self.file, &results::encode_table(&table)).map_err(io)?;
        #[cfg(feature = "analytics")]
        crate::report::parquet::write(&crate::report::parquet::beside(&self.file), &results::frame(&table))
            .map_err(io)?;
        if !errors.is_empty() {
            return Err(format!(
                "{} of {ran} cells failed (rerun to retry them):\n  {}",
                errors.len(),
                errors.join("\n  ")
            ));
        }
        Ok(Outcome { cells: self.cells.len(), skipped: self.cells.len() - ran, ran })
    }
}
