//! `tephra trace inspect|convert|synth`: look at a public trace, cut it into a native trace, or
//! generate a synthetic one.

use crate::trace::load::{Bound, Slice, for_each, for_each_unshifted};
use crate::trace::stats::Collector;
use crate::trace::synth::{Synth, SynthSpec};
use crate::trace::write::NativeWriter;
use crate::trace::{Format, format, pai};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The trace subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum TraceCmd {
    /// Detect a trace's format and print jobs, time span, GPU-size histogram, tenants and
    /// arrivals by hour.
    Inspect {
        /// Trace file (or PAI 2020 folder).
        file: PathBuf,
        #[command(flatten)]
        input: InputArgs,
        /// Print the statistics as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Convert a trace (any format) to tephra's native CSV.
    Convert {
        /// Trace file (or PAI 2020 folder).
        file: PathBuf,
        /// Output format (only `native`).
        #[arg(long, default_value = "native")]
        to: String,
        /// Output file.
        out: PathBuf,
        #[command(flatten)]
        input: InputArgs,
    },
    /// Generate a synthetic trace (native CSV) from a preset and/or a spec file.
    Synth {
        /// Output file.
        out: PathBuf,
        /// Preset: philly-like, helios-like, pai-like.
        #[arg(long)]
        preset: Option<String>,
        /// YAML file with the fields of `workload.synth` (they override the preset).
        #[arg(long)]
        spec: Option<PathBuf>,
        /// Number of jobs (overrides the spec).
        #[arg(long)]
        jobs: Option<usize>,
        /// Seed (overrides the spec; default 1).
        #[arg(long)]
        seed: Option<u64>,
    },
}

/// Format and slice options shared by the trace subcommands.
#[derive(clap::Args, Debug)]
pub struct InputArgs {
    /// Input format (default: detected from the file).
    #[arg(long)]
    format: Option<String>,
    /// Keep at most N jobs (the first in file order).
    #[arg(long)]
    limit: Option<usize>,
    /// Keep jobs submitted at or after this: seconds or a duration (`2h`, `1d`) after the first
    /// submit, or a date (`2017-10-01 08:00:00`) for traces with calendar times.
    #[arg(long)]
    since: Option<String>,
    /// Keep jobs submitted before this (same forms as --since).
    #[arg(long)]
    until: Option<String>,
}

impl InputArgs {
    fn resolve(&self, file: &Path) -> Result<(Format, Slice)> {
        let fmt = match &self.format {
            Some(f) => Format::parse(f).map_err(anyhow::Error::msg)?,
            None => format::detect(file)?,
        };
        let bound = |s: &Option<String>, name: &str| -> Result<Option<Bound>> {
            s.as_deref().map(|t| Bound::parse(t).map_err(|m| anyhow::anyhow!("--{name}: {m}"))).transpose()
        };
        if self.limit == Some(0) {
            bail!("--limit: must be at least 1");
        }
        Ok((fmt, Slice { since: bound(&self.since, "since")?, until: bound(&self.until, "until")?, limit: self.limit }))
    }
}

/// Runs a trace subcommand.
pub fn run(cmd: TraceCmd) -> Result<ExitCode> {
    match cmd {
        TraceCmd::Inspect { file, input, json } => {
            let (fmt, slice) = input.resolve(&file)?;
            let mut c = Collector::default();
            let pass = for_each_unshifted(&file, fmt, &slice, |j| {
                c.add(j);
                Ok(())
            })?;
            let skipped = pass.skipped.iter().map(|(k, v)| (k.to_string(), *v)).collect();
            let stats = c.finish(fmt.name(), &file.display().to_string(), fmt.has_calendar(), skipped);
            if json {
                println!("{}", serde_json::to_string_pretty(&stats)?);
            } else {
                print!("{}", stats.to_text());
                let spec = pai::folder(&file).join("pai_machine_spec.csv");
                if fmt == Format::Pai2020 && spec.exists() {
                    println!("  fleet ({}):", spec.display());
                    for g in pai::read_machine_spec(&spec)? {
                        println!(
                            "    {:>5} × {:<8} {:>2} GPUs  {:>3} CPUs  {:>4} GB",
                            g.count, g.gpu_type, g.gpus, g.cpu, g.memory_gb
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        TraceCmd::Synth { out, preset, spec, jobs, seed } => {
            let mut s: SynthSpec = match &spec {
                Some(p) => {
                    let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
                    serde_saphyr::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
                }
                None => SynthSpec::default(),
            };
            if preset.is_some() {
                s.preset = preset;
            }
            s.jobs = jobs.or(s.jobs);
            s.seed = seed.or(s.seed);
            let synth = Synth::from_spec(&s, 1)?;
            let f = std::fs::File::create(&out).with_context(|| format!("creating {}", out.display()))?;
            let mut w = NativeWriter::new(std::io::BufWriter::new(f))?;
            let name = out.display().to_string();
            let jobs = synth.generate();
            for j in &jobs {
                w.write(&j.to_spec(0.0, &name))?;
            }
            w.finish()?;
            eprintln!("{}: {} synthetic jobs (seed {})", out.display(), jobs.len(), synth.seed);
            Ok(ExitCode::SUCCESS)
        }
        TraceCmd::Convert { file, to, out, input } => {
            if to != "native" {
                bail!("--to: `{to}` is not a supported output format (native)");
            }
            let (fmt, slice) = input.resolve(&file)?;
            let name = file.display().to_string();
            let tmp = out.with_extension("partial");
            let f = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
            let mut w = NativeWriter::new(std::io::BufWriter::new(f))?;
            let res = for_each(&file, fmt, &slice, |j, origin| {
                w.write(&j.to_spec(origin, &name)).map_err(|e| crate::trace::TraceError {
                    file: tmp.display().to_string(),
                    line: 0,
                    field: "file".into(),
                    msg: e.to_string(),
                })
            });
            let pass = match res {
                Ok(p) => p,
                Err(e) => {
                    drop(w);
                    let _ = std::fs::remove_file(&tmp);
                    return Err(e.into());
                }
            };
            w.finish()?;
            std::fs::rename(&tmp, &out).with_context(|| format!("writing {}", out.display()))?;
            let skipped: u64 = pass.skipped.values().sum();
            eprintln!(
                "{}: {} trace → {} ({} jobs{}; t = 0 is {})",
                name,
                fmt.name(),
                out.display(),
                pass.kept,
                if skipped > 0 { format!(", {skipped} skipped") } else { String::new() },
                if fmt.has_calendar() {
                    crate::trace::fields::format_timestamp(pass.origin_s)
                } else {
                    format!("{} s", pass.origin_s)
                }
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
