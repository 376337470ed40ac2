//! Shared pieces of the trace readers: opening a CSV without loading it, finding columns by name,
//! and parsing fields with errors that name the file, the line and the column.

use super::error::TraceError;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

/// The file being read, for messages.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// Path as given.
    pub file: String,
}

impl Ctx {
    /// A context for `path`.
    pub fn new(path: &Path) -> Ctx {
        Ctx { file: path.display().to_string() }
    }

    /// An error at `line` in column `field`.
    pub fn err(&self, line: u64, field: &str, msg: impl Into<String>) -> TraceError {
        TraceError { file: self.file.clone(), line, field: field.to_string(), msg: msg.into() }
    }
}

/// Opens `path` for streaming CSV reading (records are read one at a time; the file is never
/// held whole). `flexible` so that a short row is reported by our own check with its line.
pub fn open_csv(
    path: &Path,
    cx: &Ctx,
    headers: bool,
    delimiter: u8,
) -> Result<csv::Reader<BufReader<File>>, TraceError> {
    let f = File::open(path).map_err(|e| cx.err(0, "file", e.to_string()))?;
    Ok(csv::ReaderBuilder::new()
        .has_headers(headers)
        .flexible(true)
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(BufReader::with_capacity(1 << 16, f)))
}

/// Reads the next record into `rec`; `Ok(None)` at the end. Returns the record's 1-based line.
pub fn next_record<R: std::io::Read>(
    rdr: &mut csv::Reader<R>,
    rec: &mut csv::StringRecord,
    cx: &Ctx,
) -> Result<Option<u64>, TraceError> {
    match rdr.read_record(rec) {
        Ok(false) => Ok(None),
        Ok(true) => Ok(Some(rec.position().map(|p| p.line()).unwrap_or(0))),
        Err(e) => {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            Err(cx.err(line, "row", e.to_string()))
        }
    }
}

/// Column positions of a header row.
#[derive(Clone, Debug)]
pub struct Header {
    names: Vec<String>,
}

impl Header {
    /// Reads the header of `rdr`; an empty file is an error.
    pub fn read<R: std::io::Read>(rdr: &mut csv::Reader<R>, cx: &Ctx) -> Result<Header, TraceError> {
        let h = rdr.headers().map_err(|e| cx.err(1, "header", e.to_string()))?;
        if h.is_empty() || (h.len() == 1 && h[0].is_empty()) {
            return Err(cx.err(1, "header", "the file is empty (no header row)"));
        }
        Ok(Header { names: h.iter().map(str::to_string).collect() })
    }

    /// A header given by the format (headerless files).
    pub fn fixed(names: &[&str]) -> Header {
        Header { names: names.iter().map(|s| s.to_string()).collect() }
    }

    /// The position of column `name`, or an error listing what the header has.
    pub fn require(&self, name: &str, cx: &Ctx) -> Result<usize, TraceError> {
        self.position(name)
            .ok_or_else(|| cx.err(1, "header", format!("missing column `{name}` (found: {})", self.names.join(","))))
    }

    /// The position of column `name`, if present.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are no columns.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Checks that a record has every column of the header.
    pub fn check_len(&self, rec: &csv::StringRecord, line: u64, cx: &Ctx) -> Result<(), TraceError> {
        if rec.len() < self.names.len() {
            let missing = &self.names[rec.len()];
            return Err(cx.err(
                line,
                missing,
                format!("the row has {} fields, expected {} (missing `{missing}`)", rec.len(), self.names.len()),
            ));
        }
        Ok(())
    }
}

/// A finite number.
pub fn number(cx: &Ctx, line: u64, field: &str, text: &str) -> Result<f64, TraceError> {
    let v: f64 = text.trim().parse().map_err(|_| cx.err(line, field, format!("`{text}` is not a number")))?;
    if !v.is_finite() {
        return Err(cx.err(line, field, format!("`{text}` is not a finite number")));
    }
    Ok(v)
}

/// A finite, non-negative number of seconds.
pub fn seconds(cx: &Ctx, line: u64, field: &str, text: &str) -> Result<f64, TraceError> {
    let v = number(cx, line, field, text)?;
    if v < 0.0 {
        return Err(cx.err(line, field, format!("`{text}` is negative")));
    }
    Ok(v)
}

/// A whole count from `min` to `max` (`4` and `4.0` both read as 4).
pub fn count(cx: &Ctx, line: u64, field: &str, text: &str, min: u32, max: u32) -> Result<u32, TraceError> {
    let bad = || cx.err(line, field, format!("`{text}` is not a whole number from {min} to {max}"));
    let v: f64 = text.trim().parse().map_err(|_| bad())?;
    if !v.is_finite() || v.fract() != 0.0 || v < min as f64 || v > max as f64 {
        return Err(bad());
    }
    Ok(v as u32)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count from 1970-01-01 (inverse of [`days_from_civil`]).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

/// Parses `YYYY-MM-DD HH:MM:SS` (or `YYYY-MM-DDTHH:MM:SS`, or a bare date) as seconds since
/// 1970 on the trace's own clock (no time zone is applied: hours stay as written).
pub fn parse_timestamp(text: &str) -> Option<f64> {
    let t = text.trim();
    let (date, time) = match t.split_once([' ', 'T']) {
        Some((d, t)) => (d, t),
        None => (t, "00:00:00"),
    };
    let mut dp = date.split('-');
    let y: i64 = dp.next()?.parse().ok()?;
    let m: i64 = dp.next()?.parse().ok()?;
    let d: i64 = dp.next()?.parse().ok()?;
    if dp.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut tp = time.split(':');
    let hh: i64 = tp.next()?.parse().ok()?;
    let mm: i64 = tp.next()?.parse().ok()?;
    let ss: f64 = tp.next().unwrap_or("0").parse().ok()?;
    if tp.next().is_some() || !(0..24).contains(&hh) || !(0..60).contains(&mm) || !(0.0..61.0).contains(&ss) {
        return None;
    }
    Some((days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60) as f64 + ss)
}

/// A timestamp column.
pub fn timestamp(cx: &Ctx, line: u64, field: &str, text: &str) -> Result<f64, TraceError> {
    parse_timestamp(text)
        .ok_or_else(|| cx.err(line, field, format!("`{text}` is not a timestamp (YYYY-MM-DD HH:MM:SS)")))
}

/// Formats seconds since 1970 as `YYYY-MM-DD HH:MM:SS`.
pub fn format_timestamp(secs: f64) -> String {
    let s = secs.floor() as i64;
    let (y, m, d) = civil_from_days(s.div_euclid(86_400));
    let r = s.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", r / 3600, r / 60 % 60, r % 60)
}

/// Checks an accelerator model against the ones a format documents; `None` for CPU-only.
pub fn gpu_model(cx: &Ctx, line: u64, field: &str, text: &str, known: &[&str]) -> Result<Option<String>, TraceError> {
    let t = text.trim();
    if t.is_empty() || t == "CPU" {
        return Ok(None);
    }
    if known.contains(&t) {
        Ok(Some(t.to_string()))
    } else {
        Err(cx.err(line, field, format!("unknown GPU model `{t}` (known: {})", known.join(", "))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        let t = parse_timestamp("2017-10-09 07:01:55").unwrap();
        assert_eq!(t, 1_507_532_515.0);
        assert_eq!(format_timestamp(t), "2017-10-09 07:01:55");
        assert_eq!(parse_timestamp("2020-02-29"), Some(1_582_934_400.0));
        assert_eq!(parse_timestamp("2017-13-01 00:00:00"), None);
        assert_eq!(parse_timestamp("yesterday"), None);
    }

    #[test]
    fn counts_and_seconds() {
        let cx = Ctx { file: "f".into() };
        assert_eq!(count(&cx, 2, "n", "4.0", 1, 8).unwrap(), 4);
        assert_eq!(
            count(&cx, 2, "n", "4.5", 1, 8).unwrap_err().to_string(),
            "f:2: n: `4.5` is not a whole number from 1 to 8"
        );
        assert_eq!(seconds(&cx, 3, "d", "NaN").unwrap_err().to_string(), "f:3: d: `NaN` is not a finite number");
        assert_eq!(seconds(&cx, 3, "d", "-1").unwrap_err().to_string(), "f:3: d: `-1` is negative");
    }
}
