//! Reading a trace of any format into jobs: slicing by time and count, choosing the time origin,
//! and converting to [`JobSpec`]s in submit order.

use super::error::TraceError;
use super::fields::{Ctx, parse_timestamp};
use super::format::{Format, open};
use super::native::{self, PriorityClasses, accelerator_slot};
use super::record::{TraceJob, TraceRole};
use super::source::Entry;
use crate::model::JobSpec;
use crate::model::devices::ShareKind;
use crate::model::time::parse_duration;
use std::path::Path;

/// One end of a time slice.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    /// Seconds after the trace's first submit.
    Offset(f64),
    /// A point on the trace's own clock (seconds since 1970, for calendar formats).
    Clock(f64),
}

impl Bound {
    /// Parses `3600`, `2h`, `1d12h` (offsets) or `2017-10-01[ 08:00:00]` (a calendar time).
    pub fn parse(text: &str) -> Result<Bound, String> {
        let t = text.trim();
        if t.len() >= 10 && t.as_bytes()[4] == b'-' {
            return parse_timestamp(t)
                .map(Bound::Clock)
                .ok_or_else(|| format!("`{t}` is not a YYYY-MM-DD[ HH:MM:SS] time"));
        }
        if let Ok(v) = t.parse::<f64>() {
            return if v.is_finite() && v >= 0.0 { Ok(Bound::Offset(v)) } else { Err(format!("`{t}` is not a time")) };
        }
        parse_duration(t).map(|d| Bound::Offset(d.0 as f64 / 1000.0))
    }

    fn resolve(self, first_submit: f64) -> f64 {
        match self {
            Bound::Offset(s) => first_submit + s,
            Bound::Clock(c) => c,
        }
    }
}

/// Which jobs to keep: submitted in `[since, until)`, at most `limit` of them (the first in file
/// order, which is submit order for every format that promises one).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Slice {
    /// Keep jobs submitted at or after this.
    pub since: Option<Bound>,
    /// Keep jobs submitted before this.
    pub until: Option<Bound>,
    /// Keep at most this many jobs.
    pub limit: Option<usize>,
}

impl Slice {
    /// Whether the slice keeps everything.
    pub fn is_all(&self) -> bool {
        *self == Slice::default()
    }
}

/// What a pass over a trace saw.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pass {
    /// Jobs kept.
    pub kept: u64,
    /// Entries skipped by the reader, by reason.
    pub skipped: std::collections::BTreeMap<&'static str, u64>,
    /// The time origin jobs were shifted by (trace clock seconds).
    pub origin_s: f64,
}

/// The earliest submit time of the whole trace (a streaming pass).
pub fn first_submit(path: &Path, format: Format) -> Result<f64, TraceError> {
    let mut min = f64::INFINITY;
    for e in open(path, format)? {
        if let Entry::Job(j) = e? {
            min = min.min(j.submit_s);
        }
    }
    if min.is_finite() { Ok(min) } else { Err(Ctx::new(path).err(1, "row", "the trace has no runnable jobs")) }
}

/// Streams the jobs of `slice` in one pass, calling `f` with each; for statistics, which need
/// no time origin. Offsets in `since`/`until` need the first submit, and cost a first pass.
pub fn for_each_unshifted(
    path: &Path,
    format: Format,
    slice: &Slice,
    mut f: impl FnMut(&TraceJob) -> Result<(), TraceError>,
) -> Result<Pass, TraceError> {
    each_unshifted(path, format, slice, |j| f(&j))
}

/// [`for_each_unshifted`], handing over each job (no copies when loading).
fn each_unshifted(
    path: &Path,
    format: Format,
    slice: &Slice,
    mut f: impl FnMut(TraceJob) -> Result<(), TraceError>,
) -> Result<Pass, TraceError> {
    let offsets = matches!(slice.since, Some(Bound::Offset(_))) || matches!(slice.until, Some(Bound::Offset(_)));
    if offsets {
        return each(path, format, slice, |j, _| f(j));
    }
    let lo = slice.since.map(|b| b.resolve(0.0)).unwrap_or(f64::NEG_INFINITY);
    let hi = slice.until.map(|b| b.resolve(0.0)).unwrap_or(f64::INFINITY);
    stream(path, format, (lo, hi), slice.limit, 0.0, |j, _| f(j))
}

/// One streaming pass: calls `f` with every job submitted in `[lo, hi)` (trace clock), at most
/// `limit` of them, and `origin`; counts the reader's skipped entries. An empty selection is an
/// error.
fn stream(
    path: &Path,
    format: Format,
    (lo, hi): (f64, f64),
    limit: Option<usize>,
    origin: f64,
    mut f: impl FnMut(TraceJob, f64) -> Result<(), TraceError>,
) -> Result<Pass, TraceError> {
    let mut pass = Pass { origin_s: origin, ..Pass::default() };
    for e in open(path, format)? {
        match e? {
            Entry::Skipped { reason, .. } => *pass.skipped.entry(reason).or_default() += 1,
            Entry::Job(j) => {
                if j.submit_s < lo || j.submit_s >= hi {
                    continue;
                }
                if limit.is_some_and(|l| pass.kept >= l as u64) {
                    break;
                }
                pass.kept += 1;
                f(j, origin)?;
            }
        }
    }
    if pass.kept == 0 {
        return Err(Ctx::new(path).err(0, "row", "no jobs in the selected slice"));
    }
    Ok(pass)
}

/// Streams the jobs of `slice`, calling `f` with each and the origin it should be shifted by
/// (`since` when given, else the trace's first submit). Two streaming passes: the first finds
/// the first submit, so files need not be in submit order and are never held whole.
pub fn for_each(
    path: &Path,
    format: Format,
    slice: &Slice,
    mut f: impl FnMut(&TraceJob, f64) -> Result<(), TraceError>,
) -> Result<Pass, TraceError> {
    each(path, format, slice, |j, origin| f(&j, origin))
}

/// [`for_each`], handing over each job.
fn each(
    path: &Path,
    format: Format,
    slice: &Slice,
    f: impl FnMut(TraceJob, f64) -> Result<(), TraceError>,
) -> Result<Pass, TraceError> {
    let first = first_submit(path, format)?;
    let lo = slice.since.map(|b| b.resolve(first)).unwrap_or(f64::NEG_INFINITY);
    let hi = slice.until.map(|b| b.resolve(first)).unwrap_or(f64::INFINITY);
    let origin = if lo.is_finite() { lo } else { first };
    stream(path, format, (lo, hi), slice.limit, origin, f)
}

/// Reads a trace into jobs sorted by submit time (stable: file order breaks ties). Native traces
/// resolve PriorityClass names with `classes`.
pub fn load_jobs(
    path: &Path,
    format: Format,
    classes: &PriorityClasses,
    slice: &Slice,
) -> Result<Vec<JobSpec>, TraceError> {
    if format == Format::Native && slice.is_all() {
        return native::read_with(path, classes);
    }
    let file = path.display().to_string();
    let offsets = matches!(slice.since, Some(Bound::Offset(_))) || matches!(slice.until, Some(Bound::Offset(_)));
    let mut jobs = Vec::new();
    if offsets {
        each(path, format, slice, |j, origin| {
            jobs.push(j.into_spec(origin, &file));
            Ok(())
        })?;
    } else {
        // One pass: convert on the trace's own clock (whole milliseconds), then shift by
        // `since` or the earliest kept submit (the earliest of the whole trace when nothing cuts
        // the start).
        let mut first = f64::INFINITY;
        each_unshifted(path, format, slice, |j| {
            first = first.min(j.submit_s);
            jobs.push(j.into_spec(0.0, &file));
            Ok(())
        })?;
        let origin = match slice.since {
            Some(b) => b.resolve(0.0),
            None => first,
        };
        let origin_ms = (origin.max(0.0) * 1000.0).round() as u64;
        for j in &mut jobs {
            j.submit.0 = j.submit.0.saturating_sub(origin_ms);
        }
    }
    jobs.sort_by_key(|j| j.submit);
    Ok(jobs)
}

/// A native job as a trace job (times in seconds from t = 0).
pub fn from_spec(j: &JobSpec) -> TraceJob {
    let roles = j
        .roles
        .iter()
        .map(|r| {
            let slot = accelerator_slot(r.accelerator_model.as_deref());
            let share = (r.device.kind == ShareKind::Milli).then_some(r.device.milli);
            TraceRole {
                name: r.name.clone(),
                pods: r.replicas,
                gpus_per_pod: if share.is_some() { 1 } else { (r.request.scalars[slot] / 1000) as u32 },
                gpu_share: share,
                gpu_model: r.accelerator_model.clone(),
                cpu_milli: Some(r.request.cpu),
                memory_bytes: Some(r.request.memory),
                min_pods: Some(r.min_available),
            }
        })
        .collect();
    TraceJob {
        id: j.name.clone(),
        submit_s: j.submit.0 as f64 / 1000.0,
        duration_s: j.work_ms as f64 / 1000.0,
        tenant: j.queue.clone(),
        priority: j.priority,
        roles,
        line: j.origin.rsplit(':').next().and_then(|l| l.parse().ok()).unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_parse() {
        assert_eq!(Bound::parse("3600"), Ok(Bound::Offset(3600.0)));
        assert_eq!(Bound::parse("2h"), Ok(Bound::Offset(7200.0)));
        assert_eq!(Bound::parse("2017-10-01"), Ok(Bound::Clock(1_506_816_000.0)));
        assert!(Bound::parse("-5").is_err());
    }
}
