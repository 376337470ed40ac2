//! The polars PAI 2020 reader (`--features analytics`) gives exactly the jobs of the streaming
//! csv reader on the excerpt in tests/data/pai2020: same entries (jobs and skipped rows, in
//! order) and the same `JobSpec`s.
#![cfg(feature = "analytics")]

use std::path::{Path, PathBuf};
use tephra::trace::format::{Format, open};
use tephra::trace::load::{Slice, load_jobs};
use tephra::trace::native::PriorityClasses;
use tephra::trace::source::Entry;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/pai2020")
}

#[test]
fn polars_and_csv_readers_agree_on_pai2020() {
    let entries = |f: Format| -> Vec<Entry> { open(&data(), f).unwrap().map(Result::unwrap).collect() };
    let csv = entries(Format::Pai2020);
    let polars = entries(Format::Pai2020Polars);
    assert_eq!(csv.iter().filter(|e| matches!(e, Entry::Job(_))).count(), 4, "the excerpt's 4 finished jobs");
    assert_eq!(polars, csv);
    let load = |f: Format| load_jobs(&data(), f, &PriorityClasses::new(), &Slice::default()).unwrap();
    let (a, b) = (load(Format::Pai2020), load(Format::Pai2020Polars));
    assert_eq!(a.len(), 4);
    assert_eq!(b, a);
}
