//! The results table: one CSV row per finished cell. Columns: `index` (the cell's place in the
//! grid order), `cell` (its id), `scenario`, one column per parameter (named by its `--set` key),
//! `seed`, then [`METRICS`] (paths into `summary.json`; empty where a summary lacks one).
//!
//! The file is appended one whole row at a time (one write, then flush), so a sweep stopped at
//! any point leaves a readable table; a torn last line (a kill during the write) is dropped on
//! reading. When a sweep finishes, the file is rewritten sorted by `index`, so the final bytes do
//! not depend on thread count, completion order, or on how many times the sweep was resumed.

use super::grid::{Cell, Grid};
use crate::report::frame::Frame;
use serde_json::Value;
use std::path::Path;

/// The `summary.json` metrics a sweep records, as dotted paths (the column names).
pub const METRICS: &[&str] = &[
    "jobs.submitted",
    "jobs.completed",
    "jobs.unschedulable",
    "accel_allocation",
    "accel_goodput",
    "cpu_allocation",
    "queueing_delay_s.mean",
    "queueing_delay_s.p50",
    "queueing_delay_s.p95",
    "jct_s.mean",
    "jct_s.p50",
    "jct_s.p95",
    "makespan_s",
    "evictions",
    "binds",
    "cycles",
];

/// A results table: header and rows, each field as written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// Rows, each `header.len()` fields; field 0 is the index, field 1 the cell id.
    pub rows: Vec<Vec<String>>,
}

/// The columns for a grid.
pub fn header(grid: &Grid) -> Vec<String> {
    let mut h: Vec<String> = vec!["index".into(), "cell".into(), "scenario".into()];
    h.extend(grid.axes.iter().map(|a| a.key.clone()));
    h.push("seed".into());
    h.extend(METRICS.iter().map(|m| m.to_string()));
    h
}

fn lookup(summary: &Value, path: &str) -> String {
    match crate::report::frame::at_path(summary, path) {
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// A cell's row from its run's summary (as `summary.json` would hold it).
pub fn row(grid: &Grid, cell: &Cell, summary: &Value) -> Vec<String> {
    let mut r = vec![cell.index.to_string(), cell.id.clone(), grid.scenarios[cell.scenario].1.name.clone()];
    r.extend(cell.assignments.iter().map(|a| a.value.clone()));
    r.push(cell.seed.to_string());
    r.extend(METRICS.iter().map(|m| lookup(summary, m)));
    r
}

/// One CSV record, newline included.
pub fn encode(fields: &[String]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    w.write_record(fields).expect("writing to memory");
    w.into_inner().expect("writing to memory")
}

/// The whole table as CSV bytes, rows in the order given.
pub fn encode_table(t: &Table) -> Vec<u8> {
    let mut out = encode(&t.header);
    for r in &t.rows {
        out.extend(encode(r));
    }
    out
}

/// Parses a results file's bytes; a torn last line (no newline) is dropped and reported in the
/// second value (how many bytes are valid). Errors name the file and line.
pub fn parse(bytes: &[u8], file: &Path) -> Result<(Table, usize), String> {
    let shown = file.display();
    let valid = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1);
    let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&bytes[..valid]);
    let mut table = Table::default();
    for (line, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| format!("{shown}: line {}: {e}", line + 1))?;
        let fields: Vec<String> = rec.iter().map(str::to_string).collect();
        if line == 0 {
            if !fields.starts_with(&["index".to_string(), "cell".to_string(), "scenario".to_string()]) {
                return Err(format!(
                    "{shown}: line 1: not a tephra sweep results table (the header must start index,cell,scenario)"
                ));
            }
            table.header = fields;
            continue;
        }
        if fields.len() != table.header.len() {
            return Err(format!(
                "{shown}: line {}: {} fields, the header has {}",
                line + 1,
                fields.len(),
                table.header.len()
            ));
        }
        if table.header.first().map(String::as_str) != Some("index") || fields[0].parse::<u64>().is_err() {
            return Err(format!("{shown}: line {}: not a tephra sweep results table (index column)", line + 1));
        }
        table.rows.push(fields);
    }
    Ok((table, valid))
}

/// Reads a results file; `None` when it does not exist.
pub fn read(file: &Path) -> Result<Option<(Table, usize, usize)>, String> {
    match std::fs::read(file) {
        Ok(bytes) => {
            let (t, valid) = parse(&bytes, file)?;
            Ok(Some((t, valid, bytes.len())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: cannot read: {e}", file.display())),
    }
}

/// The table with typed values, for its Parquet copy: `cell` and `scenario` stay text (an id or
/// a name may look like a number); every other field that is the exact text of a number or a
/// boolean becomes one (`index`, `seed`, the metrics, parameter values like `12`), an empty field
/// is `null`, and anything else (`30s`, a conf path) stays text.
pub fn frame(t: &Table) -> Frame {
    let typed = |(i, field): (usize, &String)| -> Value {
        if field.is_empty() {
            return Value::Null;
        }
        if i != 1 && i != 2 {
            // Only the exact text: `1.50` or `08` stay text (the CSV would not read back as it).
            if let Ok(v @ (Value::Number(_) | Value::Bool(_))) = serde_json::from_str::<Value>(field) {
                let canonical = v.to_string();
                if canonical == *field {
                    return v;
                }
            }
        }
        Value::String(field.clone())
    };
    Frame { header: t.header.clone(), rows: t.rows.iter().map(|r| r.iter().enumerate().map(typed).collect()).collect() }
}

/// Sorts rows by their index (field 0).
pub fn sort(rows: &mut [Vec<String>]) {
    rows.sort_by_key(|r| r[0].parse::<u64>().unwrap_or(u64::MAX));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torn_last_line_is_dropped_and_quoting_round_trips() {
        let t = Table {
            header: vec!["index".into(), "cell".into(), "scenario".into()],
            rows: vec![vec!["0".into(), "ab".into(), "a,b".into()]],
        };
        let mut bytes = encode_table(&t);
        assert_eq!(String::from_utf8(bytes.clone()).unwrap(), "index,cell,scenario\n0,ab,\"a,b\"\n");
        let full = bytes.len();
        bytes.extend(b"1,cd,");
        let (back, valid) = parse(&bytes, Path::new("r.csv")).unwrap();
        assert_eq!((back, valid), (t, full));
        let e = parse(b"index,cell,scenario\n0,ab,s,extra\n", Path::new("r.csv")).unwrap_err();
        assert!(e.contains("r.csv: line 2: 4 fields"), "{e}");
    }

    #[test]
    fn typed_frame_keeps_ids_and_names_as_text() {
        let f = |fields: &[&str]| Table {
            header: ["index", "cell", "scenario", "p", "seed", "m"].map(String::from).to_vec(),
            rows: vec![fields.iter().map(|s| s.to_string()).collect()],
        };
        let got = frame(&f(&["3", "0123456789012345", "7", "30s", "8", "0.5"])).rows.remove(0);
        let want: Vec<Value> =
            vec![3.into(), "0123456789012345".into(), "7".into(), "30s".into(), 8.into(), 0.5.into()];
        assert_eq!(got, want);
        let got = frame(&f(&["3", "ab", "q", "1.50", "8", ""])).rows.remove(0);
        assert_eq!(
            (got[3].clone(), got[5].clone()),
            (Value::from("1.50"), Value::Null),
            "not the exact text of a number"
        );
        assert_eq!(
            frame(&f(&["0", "ab", "q", "true", "1", "1e-7"])).rows[0][3..],
            [Value::from(true), Value::from(1), Value::from(1e-7)]
        );
    }
}
