//! `tephra merge`: combines results tables (a sweep's shards, or reruns) into one, sorted by cell
//! order. A cell found twice with the same row is kept once; with different rows it is an error
//! (two different runs claim the same cell: different tephra versions or grids).

use super::results::{self, Table};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a merge read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Merged {
    /// The combined table, sorted by index.
    pub table: Table,
    /// Files read, in order.
    pub files: Vec<PathBuf>,
    /// Rows seen twice (identical) and kept once.
    pub duplicates: usize,
}

/// The results files an input names: a file itself, or every `results*.csv` in a folder.
fn files_of(input: &Path) -> Result<Vec<PathBuf>, String> {
    if input.is_dir() {
        let mut found: Vec<PathBuf> = std::fs::read_dir(input)
            .map_err(|e| format!("{}: cannot read folder: {e}", input.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("results") && n.ends_with(".csv"))
            })
            .collect();
        found.sort();
        if found.is_empty() {
            return Err(format!("{}: no results*.csv in this folder", input.display()));
        }
        Ok(found)
    } else if input.exists() {
        Ok(vec![input.to_path_buf()])
    } else {
        Err(format!("{}: no such results file or folder", input.display()))
    }
}

/// Merges the tables in `inputs` (files or folders).
pub fn merge(inputs: &[PathBuf]) -> Result<Merged, String> {
    let mut files = Vec::new();
    for i in inputs {
        for f in files_of(i)? {
            if !files.contains(&f) {
                files.push(f);
            }
        }
    }
    let mut header: Option<(Vec<String>, PathBuf)> = None;
    // cell id → (row, file); index → cell id.
    let mut by_cell: BTreeMap<String, (Vec<String>, PathBuf)> = BTreeMap::new();
    let mut by_index: BTreeMap<u64, String> = BTreeMap::new();
    let mut duplicates = 0;
    for f in &files {
        let Some((t, _, _)) = results::read(f)? else { unreachable!("listed files exist") };
        if t.header.is_empty() {
            return Err(format!("{}: not a tephra sweep results table (no complete header line)", f.display()));
        }
        match &header {
            None => header = Some((t.header.clone(), f.clone())),
            Some((h, first)) if *h != t.header => {
                return Err(format!(
                    "{}: columns differ from {} (different grids cannot be merged)",
                    f.display(),
                    first.display()
                ));
            }
            Some(_) => {}
        }
        for row in t.rows {
            let index: u64 = row[0].parse().expect("checked by results::parse");
            let id = row[1].clone();
            if let Some((seen, other)) = by_cell.get(&id) {
                if *seen != row {
                    return Err(format!(
                        "cell {id}: {} and {} hold different results for it",
                        other.display(),
                        f.display()
                    ));
                }
                duplicates += 1;
                continue;
            }
            if let Some(other_id) = by_index.get(&index) {
                return Err(format!(
                    "{}: index {index} is cell {id} here but cell {other_id} in {} (different grids)",
                    f.display(),
                    by_cell[other_id].1.display()
                ));
            }
            by_index.insert(index, id.clone());
            by_cell.insert(id, (row, f.clone()));
        }
    }
    let header = header.map(|h| h.0).unwrap_or_default();
    let mut rows: Vec<Vec<String>> = by_index.into_values().map(|id| by_cell.remove(&id).expect("indexed").0).collect();
    results::sort(&mut rows);
    Ok(Merged { table: Table { header, rows }, files, duplicates })
}
