//! Parquet copies of tephra's tables (feature `analytics`, written with polars): `timeline`,
//! `jobs` and `queues` of a run, the comparison's cross-run tables, a sweep's results. The CSV
//! file stays the source of truth (and the only output of a default build); the Parquet file
//! beside it holds the same rows, columns and values, typed, so a notebook or a query engine reads
//! many runs without parsing text.
//!
//! Column types come from the values of a [`Frame`]: all integers → Int64 (UInt64 when one does
//! not fit), any fraction → Float64, text → String, booleans → Boolean, `null` → a null of the
//! column's type. A column that is empty in every row has no value to type it and is written as
//! Float64 nulls (every optional column of tephra's tables but `queues.overused` is a number).
//! Files are compressed with zstd and written single-threaded and atomically, so their bytes
//! depend only on the table (the comparison's output is byte-identical for any thread count).

use super::frame::Frame;
use polars::prelude::*;
use serde_json::Value;
use std::path::Path;

/// The type one column gets, from the values it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Null,
    Bool,
    Int,
    UInt,
    Float,
    Str,
}

fn kind(v: &Value) -> Kind {
    match v {
        Value::Null => Kind::Null,
        Value::Bool(_) => Kind::Bool,
        Value::Number(n) if n.is_i64() => Kind::Int,
        Value::Number(n) if n.is_u64() => Kind::UInt,
        Value::Number(_) => Kind::Float,
        _ => Kind::Str,
    }
}

/// The common type of a column's values: text wins over everything, booleans mixed with numbers
/// are text, a negative integer with one beyond i64 is a float.
fn column_kind<'a>(values: impl Iterator<Item = &'a Value>) -> Kind {
    let (mut any, mut negative) = (Kind::Null, false);
    let mut seen = [false; 6];
    for v in values {
        let k = kind(v);
        seen[k as usize] = true;
        negative |= v.as_i64().is_some_and(|i| i < 0);
        any = any.max(k);
    }
    let numeric = seen[Kind::Int as usize] || seen[Kind::UInt as usize] || seen[Kind::Float as usize];
    match any {
        Kind::Str => Kind::Str,
        _ if seen[Kind::Bool as usize] && numeric => Kind::Str,
        Kind::UInt if negative => Kind::Float,
        other => other,
    }
}

fn column(name: &str, frame: &Frame, i: usize) -> Column {
    let values = || frame.rows.iter().map(move |r| &r[i]);
    let name: PlSmallStr = name.into();
    match column_kind(values()) {
        Kind::Null => Column::new(name, values().map(|_| None::<f64>).collect::<Vec<_>>()),
        Kind::Bool => Column::new(name, values().map(Value::as_bool).collect::<Vec<_>>()),
        Kind::Int => Column::new(name, values().map(Value::as_i64).collect::<Vec<_>>()),
        Kind::UInt => Column::new(name, values().map(Value::as_u64).collect::<Vec<_>>()),
        Kind::Float => Column::new(name, values().map(Value::as_f64).collect::<Vec<_>>()),
        Kind::Str => Column::new(
            name,
            values().map(|v| (!v.is_null()).then(|| super::frame::text(v))).collect::<Vec<Option<String>>>(),
        ),
    }
}

/// The polars frame of a [`Frame`], one typed column per header name.
pub fn data_frame(frame: &Frame) -> PolarsResult<DataFrame> {
    let columns: Vec<Column> = frame.header.iter().enumerate().map(|(i, h)| column(h, frame, i)).collect();
    DataFrame::new(frame.rows.len(), columns)
}

/// Writes `frame` as Parquet to `path` (atomically: a reader never sees half a file).
pub fn write(path: &Path, frame: &Frame) -> std::io::Result<()> {
    let mut df = data_frame(frame).map_err(std::io::Error::other)?;
    let mut bytes: Vec<u8> = Vec::new();
    ParquetWriter::new(&mut bytes)
        .with_compression(ParquetCompression::Zstd(None))
        .set_parallel(false)
        .finish(&mut df)
        .map_err(std::io::Error::other)?;
    super::write::write_atomic(path, &bytes)
}

/// Writes serialized row structs (the rows of a CSV table) as Parquet to `path`.
pub fn write_rows<T: serde::Serialize>(path: &Path, rows: &[T]) -> std::io::Result<()> {
    write(path, &Frame::from_rows(rows).map_err(std::io::Error::other)?)
}

/// Reads a Parquet file back (for tests and for users of the library).
pub fn read(path: &Path) -> PolarsResult<DataFrame> {
    ParquetReader::new(std::fs::File::open(path)?).finish()
}

/// `path` with its extension replaced by `parquet` (`results.csv` → `results.parquet`).
pub fn beside(path: &Path) -> std::path::PathBuf {
    path.with_extension("parquet")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn columns_are_typed_by_their_values() {
        let k = |v: Vec<Value>| column_kind(v.iter());
        assert_eq!(k(vec![json!(1), Value::Null, json!(2)]), Kind::Int);
        assert_eq!(k(vec![json!(1), json!(0.5)]), Kind::Float);
        assert_eq!(k(vec![json!(1), json!(u64::MAX)]), Kind::UInt);
        assert_eq!(k(vec![json!(-1), json!(u64::MAX)]), Kind::Float);
        assert_eq!(k(vec![json!(true), json!(1)]), Kind::Str);
        assert_eq!(k(vec![json!("a"), json!(1)]), Kind::Str);
        assert_eq!(k(vec![Value::Null]), Kind::Null);
        let f = Frame {
            header: vec!["a".into(), "b".into(), "c".into()],
            rows: vec![vec![json!(1), json!("x"), Value::Null], vec![json!(2.5), Value::Null, Value::Null]],
        };
        let df = data_frame(&f).unwrap();
        assert_eq!(df.shape(), (2, 3));
        assert_eq!(df.column("a").unwrap().dtype(), &DataType::Float64);
        assert_eq!(df.column("b").unwrap().dtype(), &DataType::String);
        assert_eq!(df.column("c").unwrap().dtype(), &DataType::Float64);
        assert_eq!(df.column("c").unwrap().null_count(), 2);
    }
}
