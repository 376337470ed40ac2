//! The trace formats tephra reads, their names (for `workload.format` and `--format`), and
//! detection from a file's first bytes.

use super::error::TraceError;
use super::fields::Ctx;
use super::source::{Entries, Entry};
use super::{dlrm, gavel, helios, native, pai, philly, philly_json, sia, tiresias};
use std::io::Read;
use std::path::Path;

/// A trace format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    /// tephra's native CSV ([`native`]).
    Native,
    /// Philly flattened CSV ([`philly`]).
    Philly,
    /// Philly original JSON job log ([`philly_json`]).
    PhillyJson,
    /// Helios `cluster_log.csv` ([`helios`]).
    Helios,
    /// Gavel TSV, 7 or 10 fields ([`gavel`]).
    Gavel,
    /// Pollux/Sia workload CSV ([`sia`]).
    Sia,
    /// Tiresias job CSV ([`tiresias`]).
    Tiresias,
    /// Alibaba PAI 2020 multi-table folder ([`pai`]).
    Pai2020,
    /// The same, read with polars (`--features analytics`; kept for the benchmark in
    /// BENCHMARKS.md — the streaming reader is the default).
    Pai2020Polars,
    /// Alibaba 2025 DLRM inference instances ([`dlrm`]).
    Dlrm2025,
    /// Alibaba 2023 openb pod list (reader: `trace::openb`, from the devices change).
    Openb,
}

impl Format {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Format; 11] = [
        Format::Native,
        Format::Philly,
        Format::PhillyJson,
        Format::Helios,
        Format::Gavel,
        Format::Sia,
        Format::Tiresias,
        Format::Pai2020,
        Format::Pai2020Polars,
        Format::Dlrm2025,
        Format::Openb,
    ];

    /// The name used in scenarios and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Native => "native",
            Format::Philly => "philly",
            Format::PhillyJson => "philly-json",
            Format::Helios => "helios",
            Format::Gavel => "gavel",
            Format::Sia => "sia",
            Format::Tiresias => "tiresias",
            Format::Pai2020 => "pai2020",
            Format::Pai2020Polars => "pai2020-polars",
            Format::Dlrm2025 => "dlrm2025",
            Format::Openb => "openb",
        }
    }

    /// Parses a name (`pollux` is an alias of `sia`: same schema).
    pub fn parse(s: &str) -> Result<Format, String> {
        if s == "pollux" {
            return Ok(Format::Sia);
        }
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| format!("`{s}` is not a trace format (known: {})", Format::ALL.map(Format::name).join(", ")))
    }

    /// Whether submit times are seconds since 1970 (calendar timestamps in the file) rather than
    /// offsets from the trace start.
    pub fn has_calendar(self) -> bool {
        matches!(self, Format::Philly | Format::PhillyJson | Format::Helios)
    }
}

/// Recognises a trace by its first line (CSV headers, Gavel's tab-separated fields, a JSON
/// array) or, for PAI 2020, by its folder of `pai_*_table.csv` files.
pub fn detect(path: &Path) -> Result<Format, TraceError> {
    let cx = Ctx::new(path);
    if pai::is_pai(path) {
        return Ok(Format::Pai2020);
    }
    if path.is_dir() {
        return Err(cx.err(
            0,
            "file",
            "a folder, but not a PAI 2020 trace (no pai_job_table.csv and pai_task_table.csv)",
        ));
    }
    let mut f = std::fs::File::open(path).map_err(|e| cx.err(0, "file", e.to_string()))?;
    let mut head = vec![0u8; 4096];
    let mut n = 0;
    while n < head.len() {
        let k = f.read(&mut head[n..]).map_err(|e| cx.err(0, "file", e.to_string()))?;
        if k == 0 {
            break;
        }
        n += k;
    }
    head.truncate(n);
    if head.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(cx.err(1, "header", "the file is empty"));
    }
    if philly_json::looks_like(&head) {
        return Ok(Format::PhillyJson);
    }
    let text = String::from_utf8_lossy(&head);
    let first = text.lines().next().unwrap_or("").trim_start_matches('\u{feff}').trim_end();
    let starts = |h: &str| first.starts_with(h);
    let found = if starts(&native::COLUMNS[..3].join(",")) {
        Format::Native
    } else if starts(philly::HEADER) {
        Format::Philly
    } else if starts(helios::HEADER) {
        Format::Helios
    } else if starts(sia::HEADER) {
        Format::Sia
    } else if starts(tiresias::HEADER) {
        Format::Tiresias
    } else if starts(dlrm::HEADER) {
        Format::Dlrm2025
    } else if starts("name,cpu_milli,memory_mib,num_gpu") {
        Format::Openb
    } else if matches!(first.split('\t').count(), 7 | 10) {
        Format::Gavel
    } else {
        return Err(cx.err(
            1,
            "header",
            format!(
                "unrecognised trace format (first line `{}`); name it with --format ({})",
                first.chars().take(80).collect::<String>(),
                Format::ALL.map(Format::name).join(", ")
            ),
        ));
    };
    Ok(found)
}

/// Opens a trace as a stream of entries.
pub fn open(path: &Path, format: Format) -> Result<Entries, TraceError> {
    match format {
        // Streamed job by job when the file lists its jobs in submit order with each job's rows
        // together (as `convert` and `synth` write them); otherwise read whole and sorted.
        Format::Native if native::streamable(path) => {
            Ok(Box::new(native::stream(path)?.map(|j| j.map(|j| Entry::Job(super::load::from_spec(&j))))))
        }
        Format::Native => {
            let jobs = native::read(path)?;
            Ok(Box::new(jobs.into_iter().map(|j| Ok(Entry::Job(super::load::from_spec(&j))))))
        }
        Format::Philly => philly::open(path),
        Format::PhillyJson => philly_json::open(path),
        Format::Helios => helios::open(path),
        Format::Gavel => gavel::open(path, None),
        Format::Sia => sia::open(path),
        Format::Tiresias => tiresias::open(path),
        Format::Pai2020 => pai::open(path),
        #[cfg(feature = "analytics")]
        Format::Pai2020Polars => Ok(Box::new(super::pai_polars::read(path)?.into_iter().map(Ok))),
        #[cfg(not(feature = "analytics"))]
        Format::Pai2020Polars => {
            Err(Ctx::new(path).err(0, "format", "pai2020-polars needs tephra built with `--features analytics`"))
        }
        Format::Dlrm2025 => dlrm::open(path),
        // openb pod lists: each pod a one-pod job in the `default` queue (as scenarios load them).
        Format::Openb => {
            let file = path.display().to_string();
            let pods = super::openb::stream_pods(path)?;
            Ok(Box::new(pods.enumerate().map(move |(i, p)| {
                p.map(|p| Entry::Job(super::load::from_spec(&p.job("default", format!("{file}:{}", i + 2)))))
            })))
        }
    }
}
