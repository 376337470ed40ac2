//! The synthetic generator: presets reproduce the statistics recorded from their source traces
//! (src/trace/synth.rs, computed with `tephra trace inspect --json` on the full public files),
//! runs are seeded, and `workload.synth` works in a scenario.

mod common;

use common::run_checked;
use tephra::model::devices::{DeviceRequest, ShareKind};
use tephra::model::resources::GPU;
use tephra::trace::record::TraceJob;
use tephra::trace::stats::quantile;
use tephra::trace::synth::*;

fn preset(name: &str, jobs: usize, seed: u64) -> Vec<TraceJob> {
    let spec = SynthSpec { preset: Some(name.into()), jobs: Some(jobs), seed: Some(seed), ..SynthSpec::default() };
    Synth::from_spec(&spec, 0).unwrap().generate()
}

fn sorted_durations(jobs: &[TraceJob]) -> Vec<f64> {
    let mut d: Vec<f64> = jobs.iter().map(|j| j.duration_s).collect();
    d.sort_by(f64::total_cmp);
    d
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b
}

#[test]
fn philly_like_matches_philly_histogram_and_quantiles() {
    let jobs = preset("philly-like", 20_000, 7);
    let total: u64 = PHILLY_GPUS.iter().map(|(_, n)| n).sum();
    assert_eq!(total, 82_247);
    for (g, n) in PHILLY_GPUS {
        let want = n as f64 / total as f64;
        let got = jobs.iter().filter(|j| j.total_gpus() == g as u64).count() as f64 / jobs.len() as f64;
        if want >= 0.002 {
            assert!(rel(got, want) < 0.03, "{g} GPUs: {got} vs {want}");
        }
    }
    let d = sorted_durations(&jobs);
    for (q, want) in [(0.1, 61.0), (0.25, 115.0), (0.5, 1144.0), (0.75, 2932.0), (0.9, 11_266.0), (0.99, 254_884.0)] {
        let got = quantile(&d, q);
        assert!(rel(got, want) < 0.03, "p{}: {got} vs {want}", q * 100.0);
    }
    let big = jobs.iter().filter(|j| j.tenant == "6214e9").count() as f64 / jobs.len() as f64;
    assert!(rel(big, 41_226.0 / 82_247.0) < 0.01, "{big}");
    // Arrival profile: Philly's busiest hour (07h, 8.70 % of jobs) and quietest (14h, 2.66 %).
    let share = |h: usize| {
        jobs.iter().filter(|j| (j.submit_s.rem_euclid(86_400.0) / 3600.0) as usize == h).count() as f64
            / jobs.len() as f64
    };
    assert!(rel(share(7), 7159.0 / 82_247.0) < 0.10, "{}", share(7));
    assert!(rel(share(14), 2185.0 / 82_247.0) < 0.15, "{}", share(14));
    let span_h = jobs.last().unwrap().submit_s / 3600.0;
    assert!(rel(jobs.len() as f64 / span_h, PHILLY_RATE_PER_H) < 0.03, "{span_h}");
}

#[test]
fn helios_and_pai_like_match_published_aggregates() {
    let jobs = preset("helios-like", 50_000, 3);
    let d = sorted_durations(&jobs);
    let (median, mean, gpus) = HELIOS_PUBLISHED;
    assert!(rel(quantile(&d, 0.5), median) < 0.03, "{}", quantile(&d, 0.5));
    assert!(rel(d.iter().sum::<f64>() / d.len() as f64, mean) < 0.05);
    let mean_gpus = jobs.iter().map(|j| j.total_gpus() as f64).sum::<f64>() / jobs.len() as f64;
    assert!(rel(mean_gpus, gpus) < 0.03, "{mean_gpus}");

    let jobs = preset("pai-like", 50_000, 3);
    let d = sorted_durations(&jobs);
    assert!(rel(quantile(&d, 0.5), PAI_PUBLISHED.0) < 0.03);
    assert!(rel(d.iter().sum::<f64>() / d.len() as f64, PAI_PUBLISHED.1) < 0.05);
    assert_eq!(jobs.iter().map(TraceJob::total_gpus).max(), Some(8));
    // GPU models: each model's share of pai_machine_spec.csv's 6,742 GPUs, within 2 %.
    let total: u64 = PAI_GPU_MODELS.iter().map(|(_, n)| n).sum();
    assert_eq!(total, 6742);
    for (model, n) in PAI_GPU_MODELS {
        let share =
            jobs.iter().filter(|j| j.roles[0].gpu_model.as_deref() == Some(model)).count() as f64 / jobs.len() as f64;
        assert!(rel(share, n as f64 / total as f64) < 0.02, "{model}: {share}");
    }
}

/// pai-like draws PAI's shares of one GPU: the mix's mean and median are the published ones
/// (0.683 and 0.5 GPUs a GPU job), each size comes out at its weight, and a share becomes a
/// one-pod job asking a milli-GPU share of one card.
#[test]
fn pai_like_draws_fractional_gpus_with_the_published_mean_and_median() {
    let jobs = preset("pai-like", 50_000, 3);
    let (mean, median, max) = PAI_GPUS_PUBLISHED;
    let mut gpus: Vec<f64> = jobs.iter().map(|j| j.total_gpu_milli() as f64 / 1000.0).collect();
    let got_mean = gpus.iter().sum::<f64>() / gpus.len() as f64;
    assert!(rel(got_mean, mean) < 0.02, "mean {got_mean} GPUs a job against {mean}");
    gpus.sort_by(f64::total_cmp);
    assert_eq!(quantile(&gpus, 0.5), median);
    assert_eq!(gpus.last().copied(), Some(max as f64));
    // The histogram: each size at its weight (stratified draws: within 2 % of each share).
    let weights: f64 = PAI_GPUS.iter().map(|(_, w)| w).sum();
    assert!((weights - 1.0).abs() < 1e-9);
    for (milli, w) in PAI_GPUS {
        let got = jobs.iter().filter(|j| j.total_gpu_milli() == milli as u64).count() as f64 / jobs.len() as f64;
        assert!(rel(got, w) < 0.02, "{milli} milli-GPUs: {got} of jobs against {w}");
    }
    // Hand-computed: 0.239·0.25 + 0.45·0.5 + 0.28·1 + 0.015·2 + 0.01·4 + 0.006·8 = 0.68275.
    let exact: f64 = PAI_GPUS.iter().map(|(m, w)| *m as f64 / 1000.0 * w).sum();
    assert!((exact - 0.68275).abs() < 1e-12, "{exact}");
    let half = jobs.iter().find(|j| j.total_gpu_milli() == 500).unwrap();
    assert_eq!((half.roles.len(), half.roles[0].pods, half.roles[0].gpu_share), (1, 1, Some(500)));
    let spec = half.to_spec(0.0, "synth");
    let role = &spec.roles[0];
    assert_eq!(role.device, DeviceRequest { kind: ShareKind::Milli, cards: 1, milli: 500, memory_mib: 0 });
    assert_eq!(role.request.scalars[GPU], 500, "half of one GPU's 1000 milli-GPUs");
    assert_eq!((role.request.cpu, role.request.memory), (4000, 32 << 30), "half the per-GPU defaults");
    let whole = jobs.iter().find(|j| j.total_gpu_milli() == 2000).unwrap().to_spec(0.0, "synth");
    assert_eq!((whole.roles[0].replicas, whole.roles[0].request.scalars[GPU]), (1, 2000));
    assert!(whole.roles[0].device.is_none(), "whole GPUs are a plain extended resource");
}

/// Two pai-like jobs of half a GPU each, submitted together on a fleet of one single-card node,
/// run at the same time on that card; the same two jobs asking for one GPU each run one after
/// the other.
#[test]
fn half_gpu_synthetic_jobs_share_one_card() {
    let dir = tempfile::tempdir().unwrap();
    let run = |gpus: &str| {
        let p = dir.path().join("s.yaml");
        std::fs::write(
            &p,
            format!(
                "name: s\nseed: 5\nfleet:\n  pools:\n    - {{ name: t4, count: 1, cpu: 64, memory: 512Gi, gpu: {{ model: T4, count: 1, memory: 16Gi }} }}\n\
                 workload:\n  synth: {{ preset: pai-like, jobs: 2, gpus: {{ {gpus}: 1 }}, gpu_models: {{ T4: 1 }},\n\
                 \x20   arrival: {{ process: bursts, rate_per_h: 0.000001, burst_every_h: 0.001, burst_size: 2 }},\n\
                 \x20   duration: [[0, 600], [1, 600]] }}\n\
                 run: {{ pod_startup: 0s, controller_delay: 0s }}\n"
            ),
        )
        .unwrap();
        let out = run_checked(&p);
        let binds: Vec<String> = out
            .decisions
            .iter()
            .map(|d| d.line())
            .filter(|l| l.contains(" bind "))
            .map(|l| l.split_once(' ').unwrap().1.to_string())
            .collect();
        let t: Vec<(Option<f64>, Option<f64>)> = out.jobs.iter().map(|r| (r.gang_ready_s, r.finish_s)).collect();
        (binds, t)
    };
    let (binds, t) = run("0.5");
    assert_eq!(binds, ["bind synth-000000-worker-0 t4-000[0]", "bind synth-000001-worker-0 t4-000[0]"]);
    let (start, finish) = (t[0].0.unwrap(), t[0].1.unwrap());
    assert_eq!(t[1].0, Some(start), "both halves start together");
    assert_eq!(finish - start, 600.0);
    assert_eq!(t[1].1, Some(finish));
    let (binds, t) = run("1");
    assert_eq!(binds.len(), 2);
    assert!(t[1].0.unwrap() >= t[0].1.unwrap(), "a whole GPU each: the second waits for the first: {t:?}");
}

#[test]
fn bursts_submit_sweeps_together() {
    // A negligible background: arrivals come in bursts of 10 jobs, one burst an hour on average.
    let yaml =
        "jobs: 5000\nseed: 9\narrival: { process: bursts, rate_per_h: 0.000001, burst_every_h: 1, burst_size: 10 }\n";
    let spec: SynthSpec = serde_saphyr::from_str(yaml).unwrap();
    let jobs = Synth::from_spec(&spec, 0).unwrap().generate();
    let mut groups: Vec<(f64, usize)> = Vec::new();
    for j in &jobs {
        match groups.last_mut() {
            Some((t, n)) if *t == j.submit_s => *n += 1,
            _ => groups.push((j.submit_s, 1)),
        }
    }
    assert_eq!(groups.len(), 500, "5000 jobs in bursts of 10");
    assert!(groups.iter().all(|(_, n)| *n == 10));
    // 499 exponential gaps of mean 1 h: standard error 4.5 %; allow 3 of them.
    let mean_gap_h = (groups[499].0 - groups[0].0) / 499.0 / 3600.0;
    assert!(rel(mean_gap_h, 1.0) < 0.135, "{mean_gap_h}");
}

#[test]
fn seeded_and_reproducible() {
    assert_eq!(preset("pai-like", 500, 9), preset("pai-like", 500, 9));
    assert_ne!(preset("pai-like", 500, 9), preset("pai-like", 500, 10));
    let jobs = preset("philly-like", 500, 1);
    assert!(jobs.windows(2).all(|w| w[0].submit_s <= w[1].submit_s), "submit order");
}

#[test]
fn poisson_rate_elastic_and_priority_mixes() {
    let yaml = "jobs: 10000\nseed: 4\narrival: { process: poisson, rate_per_h: 100 }\ngpus: {1: 1, 16: 1}\n\
                tenants: { a: 3, b: 1 }\npriorities: { 0: 0.8, 100: 0.2 }\nelastic: 0.5\ngpu_models: { H100: 1, any: 1 }\n\
                duration: [[0, 60], [0.5, 600], [1, 6000]]\n";
    let spec: SynthSpec = serde_saphyr::from_str(yaml).unwrap();
    let jobs = Synth::from_spec(&spec, 0).unwrap().generate();
    let span_h = jobs.last().unwrap().submit_s / 3600.0;
    assert!(rel(span_h, 100.0) < 0.03, "10000 jobs at 100/h: {span_h} h");
    let share = |f: &dyn Fn(&TraceJob) -> bool| jobs.iter().filter(|j| f(j)).count() as f64 / jobs.len() as f64;
    assert!(rel(share(&|j| j.tenant == "a"), 0.75) < 0.01);
    assert!(rel(share(&|j| j.priority == 100), 0.2) < 0.01);
    assert!(rel(share(&|j| j.roles[0].gpu_model.as_deref() == Some("H100")), 0.5) < 0.02);
    let big: Vec<&TraceJob> = jobs.iter().filter(|j| j.total_gpus() == 16).collect();
    assert!(big.iter().all(|j| j.roles[0].pods == 2), "16 GPUs = 2 pods of 8");
    let elastic = big.iter().filter(|j| j.roles[0].min_pods == Some(1)).count() as f64 / big.len() as f64;
    assert!(rel(elastic, 0.5) < 0.05, "{elastic}");
    let d = sorted_durations(&jobs);
    assert!(rel(quantile(&d, 0.5), 600.0) < 0.02);
}

#[test]
fn bad_specs_are_errors() {
    let bad = |yaml: &str| {
        let spec: SynthSpec = serde_saphyr::from_str(yaml).unwrap();
        Synth::from_spec(&spec, 0).unwrap_err().msg
    };
    assert_eq!(
        bad("preset: google-like\n"),
        "unknown preset `google-like` (known: philly-like, helios-like, pai-like)"
    );
    assert_eq!(
        bad("arrival: { process: weibull, rate_per_h: 3 }\n"),
        "arrival.process: `weibull` is not poisson, diurnal or bursts"
    );
    assert_eq!(bad("gpus: { 1: -1 }\n"), "gpus: weights must be non-negative numbers, not all zero");
    assert!(bad("duration: [[0, 60], [0.5, 10], [1, 100]]\n").starts_with("duration: quantile points"));
    assert!(serde_saphyr::from_str::<SynthSpec>("jbos: 5\n").is_err(), "unknown keys are errors");
    assert_eq!(
        bad("gpus: { 0.5: 1, 1.5: 1 }\n"),
        "gpus: `1.5`: above one GPU a job asks for whole GPUs (below one, a share of one GPU)"
    );
    assert!(serde_saphyr::from_str::<SynthSpec>("gpus: { -1: 1 }\n").is_err(), "negative GPUs");
    let spec: SynthSpec = serde_saphyr::from_str("gpus: { 0.25: 1, \"0.5\": 1, 2: 2 }\n").unwrap();
    assert_eq!(Synth::from_spec(&spec, 0).unwrap().gpus, [(250, 1.0), (500, 1.0), (2000, 2.0)]);
}

#[test]
fn scenarios_run_synthetic_workloads() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.yaml");
    std::fs::write(
        &p,
        "name: s\nseed: 5\nfleet:\n  pools:\n    - { name: gpu, count: 8, cpu: 128, memory: 1Ti, gpu: { model: H100, count: 8 } }\n\
         workload:\n  synth: { preset: philly-like, jobs: 300 }\n",
    )
    .unwrap();
    let sc = tephra::scenario::load(&p).unwrap();
    let jobs = sc.load_jobs().unwrap();
    assert_eq!(jobs.len(), 300);
    assert_eq!(sc.synth.as_ref().unwrap().seed, 5, "the scenario seed seeds the generator");
    // A run with another seed (a sweep or comparison over seeds, `--seed`) draws another workload
    // — the one the generator gives for that seed — unless the synth section fixes its own seed.
    let mut other = sc.clone();
    other.seed = 6;
    let spec = |seed: Option<u64>| SynthSpec {
        preset: Some("philly-like".into()),
        jobs: Some(300),
        seed,
        ..SynthSpec::default()
    };
    let submits = |jobs: &[tephra::model::JobSpec]| jobs.iter().map(|j| j.submit).collect::<Vec<_>>();
    let got = other.load_jobs().unwrap();
    assert_ne!(submits(&got), submits(&jobs));
    let text = std::fs::read_to_string(&p).unwrap();
    let six = dir.path().join("six.yaml");
    std::fs::write(&six, text.replace("seed: 5", "seed: 6")).unwrap();
    assert_eq!(submits(&got), submits(&tephra::scenario::load(&six).unwrap().load_jobs().unwrap()));
    let fixed = Synth::from_spec(&spec(Some(5)), 1).unwrap();
    assert!(!fixed.seed_follows_run);
    other.synth = Some(fixed);
    assert_eq!(submits(&other.load_jobs().unwrap()), submits(&jobs), "an explicit synth seed stays");
    std::fs::write(&p, "name: s\nfleet:\n  pools:\n    - { name: gpu, count: 8, cpu: 128, memory: 1Ti }\nworkload:\n  synth: { preset: nope }\n").unwrap();
    let e = tephra::scenario::load(&p).unwrap_err().to_string();
    assert!(e.contains("s.yaml:6: workload.synth: unknown preset `nope`"), "{e}");
}
