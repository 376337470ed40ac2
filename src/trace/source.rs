//! What a trace reader yields: jobs in file order, and rows it deliberately skips (jobs that never
//! ran or never ended), so `inspect` can count them instead of hiding them.

use super::error::TraceError;
use super::fields::{Ctx, Header, next_record};
use super::record::TraceJob;
use std::fs::File;
use std::io::BufReader;

/// One item from a reader.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    /// A job.
    Job(TraceJob),
    /// A row that describes no simulable job (still waiting or running at trace end).
    Skipped {
        /// Its line.
        line: u64,
        /// Why.
        reason: &'static str,
    },
}

/// A stream of entries; the reader holds at most a few rows at a time.
pub type Entries = Box<dyn Iterator<Item = Result<Entry, TraceError>>>;

/// Turns one CSV record into an entry; `cols` are the positions the reader asked for.
pub type RowFn = Box<dyn FnMut(&csv::StringRecord, u64, &Ctx) -> Result<Entry, TraceError>>;

/// A CSV reader that maps each record with a [`RowFn`] and, for formats whose rows are in submit
/// order, checks that they stay so.
pub struct CsvEntries {
    rdr: csv::Reader<BufReader<File>>,
    rec: csv::StringRecord,
    cx: Ctx,
    header: Header,
    map: RowFn,
    /// The submit column's name, when the format promises submit order.
    ordered_by: Option<&'static str>,
    last_submit: f64,
    rows: u64,
    done: bool,
}

impl CsvEntries {
    /// Streams `rdr` (positioned after its header, if any).
    pub fn new(
        rdr: csv::Reader<BufReader<File>>,
        cx: Ctx,
        header: Header,
        ordered_by: Option<&'static str>,
        map: RowFn,
    ) -> CsvEntries {
        CsvEntries {
            rdr,
            rec: csv::StringRecord::new(),
            cx,
            header,
            map,
            ordered_by,
            last_submit: f64::NEG_INFINITY,
            rows: 0,
            done: false,
        }
    }
}

impl Iterator for CsvEntries {
    type Item = Result<Entry, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let step = (|| -> Result<Option<Entry>, TraceError> {
            loop {
                let Some(line) = next_record(&mut self.rdr, &mut self.rec, &self.cx)? else {
                    if self.rows == 0 {
                        return Err(self.cx.err(1, "row", "the file has no data rows"));
                    }
                    return Ok(None);
                };
                if self.rec.len() == 1 && self.rec[0].is_empty() {
                    continue;
                }
                self.rows += 1;
                self.header.check_len(&self.rec, line, &self.cx)?;
                let entry = (self.map)(&self.rec, line, &self.cx)?;
                if let (Some(col), Entry::Job(j)) = (self.ordered_by, &entry) {
                    if j.submit_s < self.last_submit {
                        return Err(self.cx.err(
                            line,
                            col,
                            format!(
                                "submit time {} is before the previous row's {} (this format lists jobs in submit order)",
                                j.submit_s, self.last_submit
                            ),
                        ));
                    }
                    self.last_submit = j.submit_s;
                }
                return Ok(Some(entry));
            }
        })();
        match step {
            Ok(Some(e)) => Some(Ok(e)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Splits `gpus` accelerators into a gang of pods of at most `per_node` each, all equal: the
/// fewest pods that divide the total evenly (12 → 2 × 6, 24 → 3 × 8, 10 → 2 × 5).
pub fn split_gang(gpus: u32, per_node: u32) -> (u32, u32) {
    if gpus <= per_node {
        return (1, gpus);
    }
    let mut pods = gpus.div_ceil(per_node);
    while !gpus.is_multiple_of(pods) {
        pods += 1;
    }
    (pods, gpus / pods)
}

/// Accelerators per node that trace readers assume when they split a multi-GPU job into pods.
pub const GPUS_PER_NODE: u32 = 8;

#[cfg(test)]
mod tests {
    #[test]
    fn gangs_split_evenly() {
        assert_eq!(super::split_gang(1, 8), (1, 1));
        assert_eq!(super::split_gang(8, 8), (1, 8));
        assert_eq!(super::split_gang(12, 8), (2, 6));
        assert_eq!(super::split_gang(24, 8), (3, 8));
        assert_eq!(super::split_gang(128, 8), (16, 8));
        assert_eq!(super::split_gang(13, 8), (13, 1));
    }
}
