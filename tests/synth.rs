//! The synthetic generator: presets reproduce the statistics recorded from their source traces
//! (src/trace/synth.rs, computed with `tephra trace inspect --json` on the full public files),
//! runs are seeded, and `workload.synth` works in a scenario.

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
