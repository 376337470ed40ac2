//! A table as column names and rows of JSON scalars: the one in-memory form behind the tables
//! whose columns are only known at run time (the comparison's cross-run tables) and behind every
//! Parquet copy of a CSV table (see `report::parquet`, feature `analytics`). Keeping the typed
//! value (number, string, bool, null) rather than its text lets the Parquet copy give each column
//! its Rust type, while [`Frame::to_csv`] writes the same text the `csv` crate writes for a
//! serialized row struct (numbers as `serde_json` prints them, `null` as an empty field).

use serde::Serialize;
use serde_json::Value;

/// Column names and rows; every row has one value per column.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Frame {
    /// Column names, in order.
    pub header: Vec<String>,
    /// Rows of scalars (`Null`, `Bool`, `Number` or `String`).
    pub rows: Vec<Vec<Value>>,
}

/// The CSV text of one scalar: empty for `null`, numbers as `serde_json` prints them (the
/// shortest text that reads back to the same value, like the `csv` crate's).
pub fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The scalar at a dotted `path` in a JSON document (`queueing_delay_s.p50` in a summary);
/// `null` when a key is missing or the value is an object or array.
pub fn at_path(doc: &Value, path: &str) -> Value {
    let mut v = doc;
    for key in path.split('.') {
        match v.get(key) {
            Some(x) => v = x,
            None => return Value::Null,
        }
    }
    match v {
        Value::Array(_) | Value::Object(_) => Value::Null,
        scalar => scalar.clone(),
    }
}

impl Frame {
    /// The frame of serialized row structs, columns in field order (the header the `csv` crate
    /// writes for them). An empty slice gives an empty frame, as the CSV file is then empty too.
    /// Non-finite floats become `null` (JSON has no NaN); tephra's row types hold none.
    pub fn from_rows<T: Serialize>(rows: &[T]) -> Result<Frame, String> {
        let Some(first) = rows.first() else { return Ok(Frame::default()) };
        let bytes = super::write::csv_bytes(std::slice::from_ref(first)).map_err(|e| e.to_string())?;
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(&bytes[..]);
        let header: Vec<String> = reader.headers().map_err(|e| e.to_string())?.iter().map(str::to_string).collect();
        let rows = rows
            .iter()
            .map(|r| match serde_json::to_value(r) {
                Ok(Value::Object(mut m)) => {
                    Ok(header.iter().map(|h| m.remove(h).unwrap_or(Value::Null)).collect::<Vec<Value>>())
                }
                Ok(other) => Err(format!("a table row must serialize to a record, not {other}")),
                Err(e) => Err(e.to_string()),
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Frame { header, rows })
    }

    /// The table as CSV bytes: a header line, then one line per row (`\n` line ends).
    pub fn to_csv(&self) -> Vec<u8> {
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
        w.write_record(&self.header).expect("writing to memory");
        for r in &self.rows {
            w.write_record(r.iter().map(text)).expect("writing to memory");
        }
        w.into_inner().expect("writing to memory")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Row {
        name: &'static str,
        x: f64,
        n: u32,
        maybe: Option<f64>,
    }

    #[test]
    fn rows_keep_field_order_and_write_the_csv_crate_text() {
        let rows = [Row { name: "a,b", x: 1.0, n: 3, maybe: None }, Row { name: "c", x: 0.25, n: 0, maybe: Some(2.5) }];
        let f = Frame::from_rows(&rows).unwrap();
        assert_eq!(f.header, ["name", "x", "n", "maybe"]);
        assert_eq!(f.rows[0], vec![Value::from("a,b"), Value::from(1.0), Value::from(3u32), Value::Null]);
        assert_eq!(f.to_csv(), super::super::write::csv_bytes(&rows).unwrap());
        assert_eq!(String::from_utf8(f.to_csv()).unwrap(), "name,x,n,maybe\n\"a,b\",1.0,3,\nc,0.25,0,2.5\n");
        assert_eq!(Frame::from_rows::<Row>(&[]).unwrap(), Frame::default());
        let doc = serde_json::json!({"a": {"b": 2, "c": [1]}, "d": "x"});
        assert_eq!(at_path(&doc, "a.b"), Value::from(2));
        assert_eq!(
            (at_path(&doc, "a.c"), at_path(&doc, "a.z"), at_path(&doc, "d")),
            (Value::Null, Value::Null, "x".into())
        );
    }
}
