//! What `tephra trace inspect` reports: counts, time span, GPU-size and gang histograms,
//! tenants, arrivals by hour of day and duration quantiles — computed in one streaming pass
//! (only the durations are kept, 8 bytes a job, for exact quantiles).

use super::fields::format_timestamp;
use super::record::TraceJob;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Running totals over a trace.
#[derive(Clone, Debug, Default)]
pub struct Collector {
    jobs: u64,
    first: f64,
    last: f64,
    gpu_hist: BTreeMap<u64, u64>,
    share_hist: BTreeMap<u64, u64>,
    gang_hist: BTreeMap<u64, u64>,
    tenants: BTreeMap<String, u64>,
    models: BTreeMap<String, u64>,
    by_hour: [u64; 24],
    durations: Vec<f64>,
    gpu_seconds: f64,
}

/// The report.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TraceStats {
    /// Format name.
    pub format: String,
    /// File.
    pub file: String,
    /// Jobs read.
    pub jobs: u64,
    /// Rows skipped by the reader, by reason.
    pub skipped: BTreeMap<String, u64>,
    /// First and last submit, on the trace's clock (seconds).
    pub first_submit_s: f64,
    /// Last submit.
    pub last_submit_s: f64,
    /// First and last submit as dates, for calendar formats.
    pub first_submit: Option<String>,
    /// Last submit as a date.
    pub last_submit: Option<String>,
    /// Submit span in hours.
    pub span_h: f64,
    /// Jobs by total GPUs (cards held: a pod with a share of a GPU holds one).
    pub gpu_histogram: BTreeMap<u64, u64>,
    /// Jobs whose GPUs are not a whole number (shares of cards), by total milli-GPUs (`500` =
    /// half a GPU); absent when there are none, so traces of whole GPUs report as before.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub gpu_share_histogram: BTreeMap<u64, u64>,
    /// Jobs by pod count (gang size).
    pub gang_histogram: BTreeMap<u64, u64>,
    /// Jobs by tenant (queue).
    pub tenants: BTreeMap<String, u64>,
    /// Jobs by GPU model (`any` when the job names none).
    pub gpu_models: BTreeMap<String, u64>,
    /// Arrivals per hour of day (on the trace's clock), summed over days.
    pub arrivals_by_hour: Vec<u64>,
    /// Mean arrivals per hour over the span.
    pub arrival_rate_per_h: f64,
    /// Duration quantiles in seconds: p10, p25, p50, p75, p90, p99.
    pub duration_quantiles_s: BTreeMap<String, f64>,
    /// Mean duration.
    pub duration_mean_s: f64,
    /// Total GPU-hours.
    pub gpu_hours: f64,
}

/// The `q` quantile of sorted values (nearest rank, `ceil(q·n)`-th).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let k = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[k - 1]
}

/// The quantiles `inspect` prints.
pub const QUANTILES: [(&str, f64); 6] =
    [("p10", 0.10), ("p25", 0.25), ("p50", 0.50), ("p75", 0.75), ("p90", 0.90), ("p99", 0.99)];

/// Counts `key`, allocating only the first time it is seen.
fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_string(), 1);
        }
    }
}

impl Collector {
    /// Adds a job.
    pub fn add(&mut self, j: &TraceJob) {
        if self.jobs == 0 {
            self.first = j.submit_s;
            self.last = j.submit_s;
        }
        self.jobs += 1;
        self.first = self.first.min(j.submit_s);
        self.last = self.last.max(j.submit_s);
        let g = j.total_gpus();
        *self.gpu_hist.entry(g).or_default() += 1;
        let milli = j.total_gpu_milli();
        if !milli.is_multiple_of(1000) {
            *self.share_hist.entry(milli).or_default() += 1;
        }
        *self.gang_hist.entry(j.total_pods()).or_default() += 1;
        bump(&mut self.tenants, &j.tenant);
        bump(&mut self.models, j.roles.iter().find_map(|r| r.gpu_model.as_deref()).unwrap_or("any"));
        self.by_hour[(j.submit_s.rem_euclid(86_400.0) / 3600.0) as usize % 24] += 1;
        self.durations.push(j.duration_s);
        // Shares of a GPU count as their fraction.
        self.gpu_seconds += milli as f64 / 1000.0 * j.duration_s;
    }

    /// The report.
    pub fn finish(mut self, format: &str, file: &str, calendar: bool, skipped: BTreeMap<String, u64>) -> TraceStats {
        self.durations.sort_by(f64::total_cmp);
        let span_h = (self.last - self.first) / 3600.0;
        let mean = if self.jobs == 0 { 0.0 } else { self.durations.iter().sum::<f64>() / self.jobs as f64 };
        TraceStats {
            format: format.into(),
            file: file.into(),
            jobs: self.jobs,
            skipped,
            first_submit_s: self.first,
            last_submit_s: self.last,
            first_submit: calendar.then(|| format_timestamp(self.first)),
            last_submit: calendar.then(|| format_timestamp(self.last)),
            span_h,
            gpu_histogram: self.gpu_hist,
            gpu_share_histogram: self.share_hist,
            gang_histogram: self.gang_hist,
            tenants: self.tenants,
            gpu_models: self.models,
            arrivals_by_hour: self.by_hour.to_vec(),
            arrival_rate_per_h: if span_h > 0.0 { self.jobs as f64 / span_h } else { self.jobs as f64 },
            duration_quantiles_s: QUANTILES
                .iter()
                .map(|(n, q)| (n.to_string(), quantile(&self.durations, *q)))
                .collect(),
            duration_mean_s: mean,
            gpu_hours: self.gpu_seconds / 3600.0,
        }
    }
}

impl TraceStats {
    /// The human-readable report.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let pct = |n: u64| 100.0 * n as f64 / self.jobs.max(1) as f64;
        let _ = writeln!(s, "{}: {} trace, {} jobs", self.file, self.format, self.jobs);
        for (r, n) in &self.skipped {
            let _ = writeln!(s, "  skipped {n}: {r}");
        }
        match (&self.first_submit, &self.last_submit) {
            (Some(a), Some(b)) => {
                let _ = writeln!(s, "  submits   {a} .. {b} ({:.1} h)", self.span_h);
            }
            _ => {
                let _ = writeln!(
                    s,
                    "  submits   {:.0} s .. {:.0} s ({:.1} h)",
                    self.first_submit_s, self.last_submit_s, self.span_h
                );
            }
        }
        let _ = writeln!(
            s,
            "  arrivals  {:.2} jobs/h on average; GPU-hours {:.1}",
            self.arrival_rate_per_h, self.gpu_hours
        );
        let q: Vec<String> =
            QUANTILES.iter().map(|(n, _)| format!("{n} {:.0}", self.duration_quantiles_s[*n])).collect();
        let _ = writeln!(s, "  duration  s: {} · mean {:.0}", q.join(" · "), self.duration_mean_s);
        let _ = writeln!(s, "  GPUs per job:");
        for (g, n) in &self.gpu_histogram {
            let _ = writeln!(s, "    {g:>5}  {n:>9}  {:5.1}%", pct(*n));
        }
        if !self.gpu_share_histogram.is_empty() {
            let _ = writeln!(s, "  of these, jobs asking for part of a GPU (total milli-GPUs):");
            for (g, n) in &self.gpu_share_histogram {
                let _ = writeln!(s, "    {g:>5}  {n:>9}  {:5.1}%", pct(*n));
            }
        }
        let _ = writeln!(s, "  pods per job (gang size):");
        for (g, n) in &self.gang_histogram {
            let _ = writeln!(s, "    {g:>5}  {n:>9}  {:5.1}%", pct(*n));
        }
        let _ = writeln!(
            s,
            "  GPU models: {}",
            self.gpu_models.iter().map(|(m, n)| format!("{m} {n}")).collect::<Vec<_>>().join(", ")
        );
        let mut tenants: Vec<(&String, &u64)> = self.tenants.iter().collect();
        tenants.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let _ = writeln!(s, "  tenants: {} (top {})", tenants.len(), tenants.len().min(15));
        for (t, n) in tenants.iter().take(15) {
            let _ = writeln!(s, "    {t:<24} {n:>9}  {:5.1}%", pct(**n));
        }
        let days = (self.span_h / 24.0).ceil().max(1.0);
        let _ = writeln!(s, "  arrivals by hour of day (jobs, mean jobs/h over {days:.0} day(s)):");
        for (h, n) in self.arrivals_by_hour.iter().enumerate() {
            let _ = writeln!(s, "    {h:02}h  {n:>9}  {:9.2}", *n as f64 / days);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn nearest_rank_quantiles() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(super::quantile(&v, 0.5), 2.0);
        assert_eq!(super::quantile(&v, 0.75), 3.0);
        assert_eq!(super::quantile(&v, 0.99), 4.0);
        assert_eq!(super::quantile(&v, 0.0), 1.0);
    }
}
