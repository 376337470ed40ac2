//! Synthetic workloads (`workload.synth`, `tephra trace synth`): seeded, reproducible job streams
//! with a chosen arrival process, job size and run-time distributions, tenants with shares, GPU
//! models, elastic and priority mixes — and presets calibrated on public traces.
//!
//! Sampling is stratified: for N jobs, each attribute draws one uniform from each of N equal
//! strata (in a seeded random order), so even a few thousand jobs reproduce the configured
//! histogram and quantiles closely instead of up to sampling noise. Run times follow a quantile
//! function given as points `(q, seconds)`, interpolated linearly in log-seconds.
//!
//! Presets (the numbers and where they come from are next to each):
//! - `philly-like`: Microsoft Philly (the Pollux artifact's 82,247-job `philly.csv`): exact GPU-size
//!   histogram, run-time quantiles, the 15 VC shares, and the arrival profile by hour of day.
//! - `helios-like`: SenseTime Helios (SC'21), from its published cluster summary only (median GPU
//!   run 206 s, mean 6,652 s, mean 3.72 GPUs a job, 1,580,464 GPU jobs over 183 days): a
//!   log-normal run time fitted to median and mean, and a GPU-size mix with that mean (the shape of
//!   the mix is an assumption: the raw `cluster_log` was not available).
//! - `pai-like`: Alibaba PAI 2020, from the Acme summary row (median GPU run 481 s, mean 4,787 s,
//!   mean 0.683 and median 0.5 GPUs a job, at most 8, 1,037,085 GPU jobs over 62 days):
//!   log-normal run time fitted to median and mean; most jobs ask for a share of one GPU (a
//!   quarter or a half, PAI's `plan_gpu` 25 and 50), which runs as a GPU-sharing pod on part of a
//!   card, in a mix with that mean and median (the shape of the mix is an assumption: the task
//!   table was not available).

use super::error::TraceError;
use super::record::{TraceJob, TraceRole};
use super::source::split_gang;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use std::collections::BTreeMap;

/// `workload.synth` / a `--spec` file as written; every field overrides the preset's.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynthSpec {
    /// Base preset: `philly-like`, `helios-like` or `pai-like`.
    #[serde(default)]
    pub preset: Option<String>,
    /// Number of jobs (default 1000).
    #[serde(default)]
    pub jobs: Option<usize>,
    /// Seed (default: the scenario's seed).
    #[serde(default)]
    pub seed: Option<u64>,
    /// Arrival process.
    #[serde(default)]
    pub arrival: Option<ArrivalSpec>,
    /// Total GPUs a job → weight (`{1: 0.7, 8: 0.3}`); below one, a share of one GPU
    /// (`{0.5: 0.6, 1: 0.4}`: a pod asking for half a card, in milli-GPUs).
    #[serde(default)]
    pub gpus: Option<BTreeMap<GpuAmount, f64>>,
    /// Run-time quantile points `[[q, seconds], ...]` from q = 0 to q = 1.
    #[serde(default)]
    pub duration: Option<Vec<(f64, f64)>>,
    /// Tenant (queue) → share of jobs.
    #[serde(default)]
    pub tenants: Option<BTreeMap<String, f64>>,
    /// GPU model → share of GPU jobs (`any` = no model constraint).
    #[serde(default)]
    pub gpu_models: Option<BTreeMap<String, f64>>,
    /// Priority → share of jobs.
    #[serde(default)]
    pub priorities: Option<BTreeMap<i32, f64>>,
    /// Share of multi-pod jobs that are elastic (gang minimum = half the pods, rounded up).
    #[serde(default)]
    pub elastic: Option<f64>,
    /// Most GPUs in one pod (jobs above it become gangs of equal pods; default 8).
    #[serde(default)]
    pub gpus_per_node: Option<u32>,
}

/// The arrival process as written.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrivalSpec {
    /// `poisson`, `diurnal` or `bursts`.
    pub process: String,
    /// Mean arrivals per hour (for `bursts`: of the background stream).
    pub rate_per_h: f64,
    /// `diurnal`: relative swing of the rate, 0 to 1 (rate × (1 + a·cos(2π(h − peak)/24))).
    #[serde(default)]
    pub amplitude: Option<f64>,
    /// `diurnal`: hour of the peak (default 14).
    #[serde(default)]
    pub peak_hour: Option<f64>,
    /// `diurnal`: 24 relative weights, one per hour of day, instead of amplitude/peak.
    #[serde(default)]
    pub hourly: Option<Vec<f64>>,
    /// `bursts`: mean hours between bursts.
    #[serde(default)]
    pub burst_every_h: Option<f64>,
    /// `bursts`: jobs submitted together in one burst (a hyper-parameter sweep).
    #[serde(default)]
    pub burst_size: Option<u32>,
}

/// A job size in `workload.synth.gpus`, as written (`2`, `0.5`, `"0.25"`), in milli-GPUs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct GpuAmount(pub u32);

impl GpuAmount {
    fn from_f64<E: serde::de::Error>(v: f64) -> Result<GpuAmount, E> {
        let milli = (v * 1000.0).round();
        if !v.is_finite() || v < 0.0 || milli > 1024.0 * 1000.0 || (v > 0.0 && milli == 0.0) {
            return Err(E::custom(format!("GPUs `{v}`: expected 0 to 1024, at least 0.001 when not 0")));
        }
        Ok(GpuAmount(milli as u32))
    }
}

impl<'de> Deserialize<'de> for GpuAmount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<GpuAmount, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = GpuAmount;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number of GPUs (`2`, or `0.5` for half of one)")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<GpuAmount, E> {
                GpuAmount::from_f64(v as f64)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<GpuAmount, E> {
                GpuAmount::from_f64(v as f64)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<GpuAmount, E> {
                GpuAmount::from_f64(v)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<GpuAmount, E> {
                let x: f64 = v.trim().parse().map_err(|_| E::custom(format!("GPUs `{v}` is not a number")))?;
                GpuAmount::from_f64(x)
            }
        }
        d.deserialize_any(V)
    }
}

/// A resolved arrival process.
#[derive(Clone, Debug, PartialEq)]
pub enum Arrival {
    /// Exponential gaps at a constant rate (per hour).
    Poisson(f64),
    /// A rate per hour shaped by 24 hourly weights (mean 1), by thinning.
    Diurnal(f64, [f64; 24]),
    /// A Poisson background (per hour) plus bursts of `size` jobs every `every_h` hours on average.
    Bursts {
        /// Background rate per hour.
        rate_per_h: f64,
        /// Mean hours between bursts.
        every_h: f64,
        /// Jobs per burst.
        size: u32,
    },
}

/// A validated generator.
#[derive(Clone, Debug, PartialEq)]
pub struct Synth {
    /// Jobs to generate.
    pub jobs: usize,
    /// Seed.
    pub seed: u64,
    /// Arrivals.
    pub arrival: Arrival,
    /// (total milli-GPUs, weight): whole GPUs are multiples of 1000; below 1000 a job is one pod
    /// with that share of one GPU.
    pub gpus: Vec<(u32, f64)>,
    /// Run-time quantile function points.
    pub duration: Vec<(f64, f64)>,
    /// (tenant, share).
    pub tenants: Vec<(String, f64)>,
    /// (GPU model or `None` for any, share).
    pub gpu_models: Vec<(Option<String>, f64)>,
    /// (priority, share).
    pub priorities: Vec<(i32, f64)>,
    /// Share of multi-pod jobs that are elastic.
    pub elastic: f64,
    /// Most GPUs per pod.
    pub gpus_per_node: u32,
    /// The spec gave no seed: in a scenario the workload then follows the run's seed, so that a
    /// sweep or comparison over seeds (or `--seed`) draws a new workload for each.
    pub seed_follows_run: bool,
}

/// The presets' names.
pub const PRESETS: [&str; 3] = ["philly-like", "helios-like", "pai-like"];

/// Philly `philly.csv`: jobs by GPU count (all 82,247 jobs; `tephra trace inspect --json`).
pub const PHILLY_GPUS: [(u32, u64); 10] =
    [(1, 76_627), (2, 1818), (4, 1870), (8, 1643), (12, 7), (16, 199), (24, 7), (32, 67), (64, 6), (128, 3)];
/// Philly `philly.csv`: run-time quantiles in seconds (nearest rank over all 82,247 jobs).
pub const PHILLY_DURATION: [(f64, f64); 27] = [
    (0.0, 1.0),
    (0.01, 17.0),
    (0.02, 25.0),
    (0.05, 48.0),
    (0.1, 61.0),
    (0.15, 68.0),
    (0.2, 75.0),
    (0.25, 115.0),
    (0.3, 209.0),
    (0.35, 371.0),
    (0.4, 599.0),
    (0.45, 863.0),
    (0.5, 1144.0),
    (0.55, 1474.0),
    (0.6, 1821.0),
    (0.65, 2140.0),
    (0.7, 2549.0),
    (0.75, 2932.0),
    (0.8, 4244.0),
    (0.85, 5903.0),
    (0.9, 11_266.0),
    (0.95, 43_648.0),
    (0.97, 92_057.0),
    (0.99, 254_884.0),
    (0.995, 430_658.0),
    (0.999, 1_186_475.0),
    (1.0, 4_628_226.0),
];
/// Philly `philly.csv`: jobs per virtual cluster.
pub const PHILLY_VCS: [(&str, u64); 15] = [
    ("6214e9", 41_226),
    ("11cb48", 16_091),
    ("6c71a0", 9953),
    ("b436b2", 7423),
    ("103959", 1934),
    ("ee9e8c", 1511),
    ("0e4a51", 1435),
    ("ed69ec", 1137),
    ("7f04ca", 723),
    ("2869ce", 422),
    ("e13805", 374),
    ("23dbec", 8),
    ("51b7ef", 4),
    ("795a4c", 3),
    ("925e2b", 3),
];
/// Philly `philly.csv`: arrivals by hour of day (timestamps as written).
pub const PHILLY_HOURLY: [u64; 24] = [
    4367, 3374, 3835, 3780, 2400, 3950, 5732, 7159, 3802, 3447, 3510, 2979, 2567, 2415, 2185, 2224, 3021, 2289, 2744,
    2496, 3483, 3142, 3885, 3461,
];
/// Philly `philly.csv`: mean arrivals per hour (82,247 jobs over 2,613.5 h).
pub const PHILLY_RATE_PER_H: f64 = 31.47;

/// Helios (all four clusters, GPU jobs): published median and mean run time (s) and mean GPUs.
pub const HELIOS_PUBLISHED: (f64, f64, f64) = (206.0, 6651.681, 3.716);
/// Log-normal run time with Helios' median and mean (σ = 2.601), capped at its longest job
/// (4,320,009 s) and floored at 1 s, as quantile points.
pub const HELIOS_DURATION: [(f64, f64); 17] = [
    (0.0, 1.0),
    (0.01, 1.0),
    (0.05, 2.9),
    (0.1, 7.3),
    (0.2, 23.1),
    (0.3, 52.7),
    (0.4, 106.6),
    (0.5, 206.0),
    (0.6, 398.2),
    (0.7, 805.9),
    (0.8, 1839.4),
    (0.9, 5776.5),
    (0.95, 14_862.8),
    (0.99, 87_498.6),
    (0.995, 167_435.2),
    (0.999, 638_235.3),
    (1.0, 4_320_009.0),
];
/// Helios-like GPU-size mix (assumed shape; mean 3.713 GPUs against the published 3.716, median 1).
pub const HELIOS_GPUS: [(u32, f64); 7] =
    [(1, 0.601), (2, 0.10), (4, 0.10), (8, 0.15), (16, 0.03), (32, 0.012), (64, 0.007)];
/// Helios Earth VCs and their GPUs on 2020-04-01 (`Earth_gpu_number.csv`, the 10 largest), as
/// tenant shares.
pub const HELIOS_VCS: [(&str, u64); 10] = [
    ("vc6YE", 128),
    ("vchbv", 112),
    ("vcvlY", 96),
    ("vcXrB", 80),
    ("vcLJZ", 64),
    ("vcpDC", 56),
    ("vcTJs", 48),
    ("vc8Sj", 48),
    ("vccaA", 32),
    ("vcSoL", 32),
];
/// Helios: 1,580,464 GPU jobs over 183 days.
pub const HELIOS_RATE_PER_H: f64 = 359.9;

/// PAI (Acme summary row): published median and mean GPU-job run time (s).
pub const PAI_PUBLISHED: (f64, f64) = (480.667, 4787.109);
/// Log-normal run time with PAI's median and mean (σ = 2.140), capped at its longest job
/// (626,371 s), as quantile points.
pub const PAI_DURATION: [(f64, f64); 17] = [
    (0.0, 1.0),
    (0.01, 3.3),
    (0.05, 14.2),
    (0.1, 31.0),
    (0.2, 79.4),
    (0.3, 156.5),
    (0.4, 279.5),
    (0.5, 480.7),
    (0.6, 826.6),
    (0.7, 1476.3),
    (0.8, 2910.3),
    (0.9, 7460.1),
    (0.95, 16_230.9),
    (0.99, 69_761.6),
    (0.995, 118_972.1),
    (0.999, 357_643.5),
    (1.0, 626_371.0),
];
/// PAI (Acme summary row): published mean and median GPUs of a GPU job, and the most GPUs.
pub const PAI_GPUS_PUBLISHED: (f64, f64, u32) = (0.683, 0.5, 8);
/// PAI-like GPU sizes in milli-GPUs (250 = a quarter of one GPU, PAI's `plan_gpu` 25) and their
/// shares of jobs. Calibrated on [`PAI_GPUS_PUBLISHED`]: mean 0.68275 GPUs against 0.683, median
/// 0.5 (23.9 % below half a GPU, 68.9 % at most half), largest 8. Which shares PAI's tasks
/// asked for is in its task table, absent from the shared folder: the split between a quarter, a
/// half and one GPU, and the tail above one, is an assumption that meets those three figures.
pub const PAI_GPUS: [(u32, f64); 6] =
    [(250, 0.239), (500, 0.45), (1000, 0.28), (2000, 0.015), (4000, 0.01), (8000, 0.006)];
/// PAI GPU models and their GPUs in `pai_machine_spec.csv` (1,896 machines, 6,742 GPUs; the
/// 83 CPU machines have none): each model's share of the fleet's GPUs is its share of pai-like
/// jobs. (Which models the jobs asked for is in the task table, absent from the shared folder;
/// the fleet mix is the closest published aggregate.)
pub const PAI_GPU_MODELS: [(&str, u64); 5] =
    [("MISC", 2240), ("P100", 1596), ("V100M32", 1080), ("T4", 994), ("V100", 832)];
/// PAI: 1,037,085 GPU jobs over 62 days.
pub const PAI_RATE_PER_H: f64 = 697.0;

fn err(msg: String) -> TraceError {
    TraceError { file: "workload.synth".into(), line: 0, field: "synth".into(), msg }
}

fn weights<K: Clone>(items: impl IntoIterator<Item = (K, f64)>, what: &str) -> Result<Vec<(K, f64)>, TraceError> {
    let v: Vec<(K, f64)> = items.into_iter().collect();
    if v.is_empty() {
        return Err(err(format!("{what}: no entries")));
    }
    if v.iter().any(|(_, w)| !w.is_finite() || *w < 0.0) || v.iter().map(|(_, w)| w).sum::<f64>() <= 0.0 {
        return Err(err(format!("{what}: weights must be non-negative numbers, not all zero")));
    }
    Ok(v)
}

impl Synth {
    /// A preset with 1000 jobs and seed 1.
    pub fn preset(name: &str) -> Result<Synth, TraceError> {
        let mut gpu_models = vec![(None, 1.0)];
        let (arrival, gpus, duration, tenants) = match name {
            "philly-like" => {
                let mean = PHILLY_HOURLY.iter().sum::<u64>() as f64 / 24.0;
                (
                    Arrival::Diurnal(PHILLY_RATE_PER_H, PHILLY_HOURLY.map(|n| n as f64 / mean)),
                    PHILLY_GPUS.iter().map(|(g, n)| (g * 1000, *n as f64)).collect(),
                    PHILLY_DURATION.to_vec(),
                    PHILLY_VCS.iter().map(|(t, n)| (t.to_string(), *n as f64)).collect(),
                )
            }
            "helios-like" => (
                Arrival::Diurnal(HELIOS_RATE_PER_H, cosine(0.3, 14.0)),
                HELIOS_GPUS.iter().map(|(g, w)| (g * 1000, *w)).collect(),
                HELIOS_DURATION.to_vec(),
                HELIOS_VCS.iter().map(|(t, n)| (t.to_string(), *n as f64)).collect(),
            ),
            "pai-like" => {
                gpu_models = PAI_GPU_MODELS.iter().map(|(m, n)| (Some(m.to_string()), *n as f64)).collect();
                (
                    Arrival::Diurnal(PAI_RATE_PER_H, cosine(0.3, 14.0)),
                    PAI_GPUS.to_vec(),
                    PAI_DURATION.to_vec(),
                    vec![("default".to_string(), 1.0)],
                )
            }
            other => return Err(err(format!("unknown preset `{other}` (known: {})", PRESETS.join(", ")))),
        };
        Ok(Synth {
            jobs: 1000,
            seed: 1,
            arrival,
            gpus,
            duration,
            tenants,
            gpu_models,
            priorities: vec![(0, 1.0)],
            elastic: 0.0,
            gpus_per_node: 8,
            seed_follows_run: false,
        })
    }

    /// Resolves a spec: the preset (or a plain default), then every field the spec sets;
    /// `seed` is used when the spec has none.
    pub fn from_spec(spec: &SynthSpec, seed: u64) -> Result<Synth, TraceError> {
        let mut s = match &spec.preset {
            Some(p) => Synth::preset(p)?,
            None => Synth {
                jobs: 1000,
                seed,
                arrival: Arrival::Poisson(10.0),
                gpus: vec![(1000, 1.0)],
                duration: vec![(0.0, 60.0), (0.5, 1800.0), (1.0, 86_400.0)],
                tenants: vec![("default".into(), 1.0)],
                gpu_models: vec![(None, 1.0)],
                priorities: vec![(0, 1.0)],
                elastic: 0.0,
                gpus_per_node: 8,
                seed_follows_run: false,
            },
        };
        s.seed = spec.seed.unwrap_or(seed);
        s.seed_follows_run = spec.seed.is_none();
        if let Some(n) = spec.jobs {
            if !(1..=10_000_000).contains(&n) {
                return Err(err(format!("jobs: {n} is not from 1 to 10000000")));
            }
            s.jobs = n;
        }
        if let Some(a) = &spec.arrival {
            s.arrival = resolve_arrival(a)?;
        }
        if let Some(g) = &spec.gpus {
            s.gpus = weights(g.iter().map(|(k, v)| (k.0, *v)), "gpus")?;
            if let Some((m, _)) = s.gpus.iter().find(|(m, _)| *m > 1000 && m % 1000 != 0) {
                return Err(err(format!(
                    "gpus: `{}`: above one GPU a job asks for whole GPUs (below one, a share of one GPU)",
                    *m as f64 / 1000.0
                )));
            }
        }
        if let Some(d) = &spec.duration {
            s.duration = d.clone();
        }
        if let Some(t) = &spec.tenants {
            s.tenants = weights(t.iter().map(|(k, v)| (k.clone(), *v)), "tenants")?;
        }
        if let Some(m) = &spec.gpu_models {
            s.gpu_models =
                weights(m.iter().map(|(k, v)| ((k != "any" && !k.is_empty()).then(|| k.clone()), *v)), "gpu_models")?;
        }
        if let Some(p) = &spec.priorities {
            s.priorities = weights(p.iter().map(|(k, v)| (*k, *v)), "priorities")?;
        }
        if let Some(e) = spec.elastic {
            if !(0.0..=1.0).contains(&e) {
                return Err(err(format!("elastic: {e} is not a share from 0 to 1")));
            }
            s.elastic = e;
        }
        if let Some(g) = spec.gpus_per_node {
            if g == 0 {
                return Err(err("gpus_per_node: must be at least 1".into()));
            }
            s.gpus_per_node = g;
        }
        check_quantiles(&s.duration)?;
        Ok(s)
    }

    /// The jobs, in submit order, times in seconds from 0.
    pub fn generate(&self) -> Vec<TraceJob> {
        let n = self.jobs;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let times = arrivals(&self.arrival, n, &mut rng);
        let u_dur = strata(n, &mut rng);
        let u_gpu = strata(n, &mut rng);
        let u_ten = strata(n, &mut rng);
        let u_model = strata(n, &mut rng);
        let u_prio = strata(n, &mut rng);
        let u_elastic = strata(n, &mut rng);
        (0..n)
            .map(|i| {
                let milli = pick(&self.gpus, u_gpu[i]);
                let (pods, per) = split_gang(milli / 1000, self.gpus_per_node);
                let mut role = if !milli.is_multiple_of(1000) {
                    TraceRole::gpu_share("worker", 1, milli as u16)
                } else {
                    TraceRole::gpus("worker", pods.max(1), per)
                };
                if milli > 0 {
                    role.gpu_model = pick(&self.gpu_models, u_model[i]);
                }
                if pods > 1 && u_elastic[i] < self.elastic {
                    role.min_pods = Some(pods.div_ceil(2));
                }
                TraceJob {
                    id: format!("synth-{i:06}"),
                    submit_s: times[i],
                    duration_s: quantile_fn(&self.duration, u_dur[i]),
                    tenant: pick(&self.tenants, u_ten[i]),
                    priority: pick(&self.priorities, u_prio[i]),
                    roles: vec![role],
                    line: i as u64 + 1,
                }
            })
            .collect()
    }
}

/// 24 hourly weights of `1 + a·cos(2π(h + ½ − peak)/24)`.
pub fn cosine(amplitude: f64, peak_hour: f64) -> [f64; 24] {
    std::array::from_fn(|h| 1.0 + amplitude * (std::f64::consts::TAU * (h as f64 + 0.5 - peak_hour) / 24.0).cos())
}

fn resolve_arrival(a: &ArrivalSpec) -> Result<Arrival, TraceError> {
    if !a.rate_per_h.is_finite() || a.rate_per_h <= 0.0 {
        return Err(err(format!("arrival.rate_per_h: {} must be positive", a.rate_per_h)));
    }
    match a.process.as_str() {
        "poisson" => Ok(Arrival::Poisson(a.rate_per_h)),
        "diurnal" => {
            let w = match &a.hourly {
                Some(h) => {
                    let arr: [f64; 24] = h
                        .clone()
                        .try_into()
                        .map_err(|_| err(format!("arrival.hourly: {} weights, expected 24", h.len())))?;
                    let v = weights(arr.iter().map(|w| ((), *w)), "arrival.hourly")?;
                    let mean = v.iter().map(|(_, w)| w).sum::<f64>() / 24.0;
                    arr.map(|w| w / mean)
                }
                None => {
                    let amp = a.amplitude.unwrap_or(0.5);
                    if !(0.0..=1.0).contains(&amp) {
                        return Err(err(format!("arrival.amplitude: {amp} is not from 0 to 1")));
                    }
                    cosine(amp, a.peak_hour.unwrap_or(14.0))
                }
            };
            Ok(Arrival::Diurnal(a.rate_per_h, w))
        }
        "bursts" => {
            let every_h = a.burst_every_h.unwrap_or(6.0);
            let size = a.burst_size.unwrap_or(20);
            if !every_h.is_finite() || every_h <= 0.0 || size == 0 {
                return Err(err("arrival: burst_every_h must be positive and burst_size at least 1".into()));
            }
            Ok(Arrival::Bursts { rate_per_h: a.rate_per_h, every_h, size })
        }
        other => Err(err(format!("arrival.process: `{other}` is not poisson, diurnal or bursts"))),
    }
}

fn check_quantiles(d: &[(f64, f64)]) -> Result<(), TraceError> {
    let ok = d.len() >= 2
        && d[0].0 == 0.0
        && d[d.len() - 1].0 == 1.0
        && d.windows(2).all(|w| w[1].0 > w[0].0 && w[1].1 >= w[0].1)
        && d.iter().all(|(_, v)| v.is_finite() && *v > 0.0);
    if ok {
        Ok(())
    } else {
        Err(err(
            "duration: quantile points must run from q = 0 to q = 1, increasing, with positive, non-decreasing seconds"
                .into(),
        ))
    }
}

/// The run-time quantile function: linear in log-seconds between points.
pub fn quantile_fn(points: &[(f64, f64)], u: f64) -> f64 {
    let i = points.partition_point(|(q, _)| *q < u).clamp(1, points.len() - 1);
    let ((q0, v0), (q1, v1)) = (points[i - 1], points[i]);
    let f = ((u - q0) / (q1 - q0)).clamp(0.0, 1.0);
    (v0.ln() + f * (v1.ln() - v0.ln())).exp()
}

/// One uniform in each of `n` equal strata, in a seeded random order.
fn strata(n: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        order.swap(i, j);
    }
    order.into_iter().map(|k| (k as f64 + rng.random::<f64>()) / n as f64).collect()
}

/// The item whose cumulative weight interval holds `u`.
fn pick<K: Clone>(items: &[(K, f64)], u: f64) -> K {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    let mut acc = 0.0;
    for (k, w) in items {
        acc += w / total;
        if u < acc {
            return k.clone();
        }
    }
    items.iter().rev().find(|(_, w)| *w > 0.0).map(|(k, _)| k.clone()).unwrap_or_else(|| items[0].0.clone())
}

fn exp_gap(rate_per_s: f64, rng: &mut ChaCha8Rng) -> f64 {
    -(1.0 - rng.random::<f64>()).ln() / rate_per_s
}

/// `n` submit times (seconds, non-decreasing, millisecond-rounded).
fn arrivals(a: &Arrival, n: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let mut out = Vec::with_capacity(n);
    let mut t = 0.0f64;
    match a {
        Arrival::Poisson(rate) => {
            while out.len() < n {
                t += exp_gap(rate / 3600.0, rng);
                out.push(t);
            }
        }
        Arrival::Diurnal(rate, w) => {
            let wmax = w.iter().cloned().fold(0.0, f64::max);
            while out.len() < n {
                t += exp_gap(rate * wmax / 3600.0, rng);
                let h = (t.rem_euclid(86_400.0) / 3600.0) as usize % 24;
                if rng.random::<f64>() * wmax < w[h] {
                    out.push(t);
                }
            }
        }
        Arrival::Bursts { rate_per_h, every_h, size } => {
            let mut next_bg = exp_gap(rate_per_h / 3600.0, rng);
            let mut next_burst = exp_gap(1.0 / (every_h * 3600.0), rng);
            while out.len() < n {
                if next_bg <= next_burst {
                    out.push(next_bg);
                    next_bg += exp_gap(rate_per_h / 3600.0, rng);
                } else {
                    for _ in 0..*size {
                        if out.len() < n {
                            out.push(next_burst);
                        }
                    }
                    next_burst += exp_gap(1.0 / (every_h * 3600.0), rng);
                }
            }
        }
    }
    for x in &mut out {
        *x = (*x * 1000.0).round() / 1000.0;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_function_interpolates_in_log_space() {
        let p = [(0.0, 10.0), (0.5, 100.0), (1.0, 1000.0)];
        assert!((quantile_fn(&p, 0.0) - 10.0).abs() < 1e-9);
        assert!((quantile_fn(&p, 0.25) - 31.622_776).abs() < 1e-4);
        assert!((quantile_fn(&p, 0.5) - 100.0).abs() < 1e-9);
        assert!((quantile_fn(&p, 1.0) - 1000.0).abs() < 1e-9);
    }

    #[test]
    fn picks_by_cumulative_weight() {
        let items = [(1u32, 1.0), (2, 3.0)];
        assert_eq!(pick(&items, 0.2), 1);
        assert_eq!(pick(&items, 0.25), 2);
        assert_eq!(pick(&items, 0.999), 2);
    }

    #[test]
    fn bursts_release_jobs_together() {
        let a = Arrival::Bursts { rate_per_h: 1e-9, every_h: 1.0, size: 5 };
        let t = arrivals(&a, 10, &mut ChaCha8Rng::seed_from_u64(3));
        assert_eq!(t[0], t[4]);
        assert!(t[5] > t[4]);
        assert_eq!(t[5], t[9]);
    }
}
