//! Every public-trace reader on its excerpt in tests/data/ (exact job counts and hand-checked
//! rows), conversion to native and back, and bad input with exact messages.

use std::path::{Path, PathBuf};
use tephra::model::resources::GPU;
use tephra::trace::format::{Format, detect, open};
use tephra::trace::load::{Bound, Slice, load_jobs};
use tephra::trace::native::PriorityClasses;
use tephra::trace::record::TraceJob;
use tephra::trace::source::Entry;

fn data(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(p)
}

/// All entries of a trace: (jobs, skipped count).
fn read(path: &Path, fmt: Format) -> (Vec<TraceJob>, usize) {
    let (mut jobs, mut skipped) = (Vec::new(), 0);
    for e in open(path, fmt).unwrap() {
        match e.unwrap() {
            Entry::Job(j) => jobs.push(j),
            Entry::Skipped { .. } => skipped += 1,
        }
    }
    (jobs, skipped)
}

fn shape(j: &TraceJob) -> Vec<(u32, u32)> {
    j.roles.iter().map(|r| (r.pods, r.gpus_per_pod)).collect()
}

#[test]
fn formats_are_detected() {
    let cases = [
        ("philly/philly.csv", Format::Philly),
        ("philly-json/cluster_job_log.json", Format::PhillyJson),
        ("helios/cluster_log.csv", Format::Helios),
        ("gavel/msr/6214e9.trace", Format::Gavel),
        ("gavel/physical_cluster/small_test.trace", Format::Gavel),
        ("pollux/workload-1.csv", Format::Sia),
        ("tiresias/60_job.csv", Format::Tiresias),
        ("dlrm2025/disaggregated_DLRM_trace.csv", Format::Dlrm2025),
        ("pai2020", Format::Pai2020),
        ("pai2020/pai_task_table.csv", Format::Pai2020),
    ];
    for (p, f) in cases {
        assert_eq!(detect(&data(p)).unwrap(), f, "{p}");
    }
    let native = Path::new(env!("CARGO_MANIFEST_DIR")).join("traces/quickstart.csv");
    assert_eq!(detect(&native).unwrap(), Format::Native);
}

#[test]
fn philly_csv() {
    let (jobs, skipped) = read(&data("philly/philly.csv"), Format::Philly);
    assert_eq!((jobs.len(), skipped), (40, 0));
    // line 2: 2017-10-09 07:01:55,66.0,1,66.0,11cb48
    let j = &jobs[0];
    assert_eq!(
        (j.id.as_str(), j.submit_s, j.duration_s, j.tenant.as_str()),
        ("philly-2", 1_507_532_515.0, 66.0, "11cb48")
    );
    assert_eq!(shape(j), vec![(1, 1)]);
    // line 4: 2017-09-29 07:58:32,860662.0,1,860662.0,6c71a0 — the earliest submit, so t = 0.
    let specs =
        load_jobs(&data("philly/philly.csv"), Format::Philly, &PriorityClasses::new(), &Slice::default()).unwrap();
    assert_eq!(specs[0].name, "philly-4");
    assert_eq!((specs[0].submit.0, specs[0].work_ms, specs[0].queue.as_str()), (0, 860_662_000, "6c71a0"));
    assert_eq!(specs[0].roles[0].request.scalars[GPU], 1000);
    assert_eq!(specs[0].roles[0].request.cpu, 8000, "8 CPUs per GPU by default");
}

#[test]
fn philly_json() {
    let (jobs, skipped) = read(&data("philly-json/cluster_job_log.json"), Format::PhillyJson);
    assert_eq!((jobs.len(), skipped), (3, 2), "no attempts and a null end are skipped");
    assert_eq!(jobs[0].id, "application_1506638472019_10238");
    assert_eq!(jobs[0].duration_s, 2791.0, "08:16:10 → 09:02:41");
    assert_eq!(shape(&jobs[0]), vec![(2, 4)], "two hosts with 4 GPUs each");
    assert_eq!(jobs[0].tenant, "6214e9");
    assert_eq!(jobs[1].duration_s, 3600.0, "first attempt start 08:20 to last attempt end 09:20");
    assert_eq!(shape(&jobs[1]), vec![(1, 1)]);
    assert_eq!((jobs[2].duration_s, shape(&jobs[2])), (30.0, vec![(1, 2)]));
    assert_eq!(jobs[2].submit_s - jobs[0].submit_s, 15.0 * 3600.0 + 43.0 * 60.0 + 56.0);
}

#[test]
fn helios_cluster_log() {
    let (jobs, _) = read(&data("helios/cluster_log.csv"), Format::Helios);
    assert_eq!(jobs.len(), 5);
    let j = &jobs[2]; // 4081593,u9kQr,vchbv,16,64,2,CANCELLED,2020-04-01 00:02:05,...,10800,480
    assert_eq!((j.id.as_str(), j.tenant.as_str(), j.duration_s), ("4081593", "vchbv", 10800.0));
    assert_eq!(shape(j), vec![(2, 8)]);
    assert_eq!(j.roles[0].cpu_milli, Some(32_000));
    assert_eq!(j.submit_s - jobs[0].submit_s, 82.0);
    assert_eq!(shape(&jobs[4]), vec![(3, 4)], "12 GPUs on 3 nodes");
    assert_eq!((shape(&jobs[1]), jobs[1].roles[0].cpu_milli), (vec![(1, 0)], Some(4000)), "a CPU job");
}

#[test]
fn gavel_both_layouts() {
    let (msr, _) = read(&data("gavel/msr/6214e9.trace"), Format::Gavel);
    assert_eq!(msr.len(), 25);
    assert!(msr.iter().all(|j| j.tenant == "6214e9"), "the file stem is the VC");
    assert_eq!((msr[1].submit_s, shape(&msr[1])), (266_564.0, vec![(1, 1)]));
    // Recommendation (batch size 8192) at 1 GPU: 2.841510364354536 steps/s, 2337035 steps.
    assert!((msr[1].duration_s - 2_337_035.0 / 2.841510364354536).abs() < 1e-6);
    let (phys, _) = read(&data("gavel/physical_cluster/small_test.trace"), Format::Gavel);
    assert_eq!(phys.len(), 20);
    // Transformer (batch size 128), 346 steps on 2 GPUs at 10.069238394742342 steps/s.
    assert!((phys[0].duration_s - 34.362_082).abs() < 1e-5, "{}", phys[0].duration_s);
    assert_eq!((shape(&phys[0]), phys[0].tenant.as_str()), (vec![(1, 2)], "default"));
}

#[test]
fn gavel_scales_unmeasured_scale_factors_linearly() {
    use tephra::trace::gavel::{Throughputs, throughput};
    let mut t = Throughputs::new();
    t.entry("LM".into()).or_default().extend([(1, 2.0), (4, 6.0)]);
    assert_eq!(throughput(&t, "LM", 4), Some(6.0));
    assert_eq!(throughput(&t, "LM", 16), Some(24.0), "4 GPUs at 6 steps/s, scaled ×4");
    assert_eq!(throughput(&t, "LM", 2), Some(4.0));
    assert_eq!(throughput(&t, "CycleGAN", 1), None);
}

#[test]
fn pollux_workload() {
    let (jobs, _) = read(&data("pollux/workload-1.csv"), Format::Sia);
    assert_eq!(jobs.len(), 20);
    // cifar10-0,107,cifar10,6,2048: sqrt(60 × 3600) GPU-s over 6 GPUs.
    let j = &jobs[0];
    assert_eq!((j.id.as_str(), j.submit_s, shape(j)), ("cifar10-0", 107.0, vec![(1, 6)]));
    assert!((j.duration_s - 464.758_001 / 6.0).abs() < 1e-5);
}

#[test]
fn tiresias() {
    let (jobs, _) = read(&data("tiresias/60_job.csv"), Format::Tiresias);
    assert_eq!(jobs.len(), 60);
    assert_eq!((jobs[0].submit_s, jobs[0].duration_s, jobs[0].roles[0].name.as_str()), (0.0, 164.0, "vgg19"));
    assert_eq!((jobs[1].submit_s, jobs[1].duration_s, shape(&jobs[1])), (30.0, 147.0, vec![(1, 8)]));
    let gpus: u64 = jobs.iter().map(TraceJob::total_gpus).sum();
    assert_eq!(gpus, 30 + 2 * 10 + 4 * 10 + 8 * 10);
}

#[test]
fn dlrm_instances() {
    let (jobs, _) = read(&data("dlrm2025/disaggregated_DLRM_trace.csv"), Format::Dlrm2025);
    assert_eq!(jobs.len(), 40);
    // instance_0: no creation, no deletion → alive from 0 to the last timestamp (137518, instance_7289).
    let j = &jobs[0];
    assert_eq!((j.id.as_str(), j.submit_s, j.duration_s, j.tenant.as_str()), ("instance_0", 0.0, 137_518.0, "app_0"));
    assert_eq!((j.roles[0].name.as_str(), shape(j)), ("HN", vec![(1, 1)]));
    assert_eq!((j.roles[0].cpu_milli, j.roles[0].memory_bytes), (Some(12_000), Some(120 << 30)));
    // instance_7281,CN,app_88,64,...,320.0,...,610.0,683.0,91730.0
    let k = jobs.iter().find(|j| j.id == "instance_7281").unwrap();
    assert_eq!((k.submit_s, k.duration_s, shape(k)), (610.0, 91_120.0, vec![(1, 0)]));
}

#[test]
fn pai2020_tables() {
    let (jobs, skipped) = read(&data("pai2020"), Format::Pai2020);
    assert_eq!((jobs.len(), skipped), (4, 1), "the Running job is skipped");
    let half = &jobs[0];
    assert_eq!((half.tenant.as_str(), half.submit_s, half.duration_s), ("u_a1b2", 6450.0, 1075.0));
    assert_eq!(shape(half), vec![(1, 1)], "plan_gpu 50: part of one GPU");
    assert_eq!(half.roles[0].gpu_share, Some(500), "half of one card");
    assert_eq!(half.total_gpu_milli(), 500);
    assert_eq!(half.roles[0].gpu_model.as_deref(), Some("T4"));
    assert_eq!((half.roles[0].cpu_milli, half.roles[0].memory_bytes), (Some(6000), Some(31_457_280_000)));
    let ps = &jobs[1];
    assert_eq!(ps.roles.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["PS", "worker"]);
    assert_eq!(shape(ps), vec![(2, 0), (4, 1)]);
    assert_eq!(ps.roles.iter().map(|r| r.gpu_share).collect::<Vec<_>>(), [None, None], "plan_gpu 100: whole cards");
    assert_eq!((ps.submit_s, ps.duration_s), (6460.0, 13_210.0 - 6470.0));
    assert_eq!(jobs[2].roles[0].gpus_per_pod, 8, "plan_gpu 800");
    let spec = tephra::trace::pai::read_machine_spec(&data("pai2020/pai_machine_spec.csv")).unwrap();
    let groups: Vec<(&str, u32, u32)> = spec.iter().map(|g| (g.gpu_type.as_str(), g.gpus, g.count)).collect();
    assert_eq!(
        groups,
        [("CPU", 0, 3), ("MISC", 8, 3), ("P100", 2, 3), ("T4", 2, 3), ("V100", 8, 3), ("V100M32", 8, 3)]
    );
}

#[test]
fn slices_by_time_and_count() {
    let p = data("tiresias/60_job.csv");
    let c = PriorityClasses::new();
    let all = load_jobs(&p, Format::Tiresias, &c, &Slice::default()).unwrap();
    assert_eq!(all.len(), 60);
    let five = load_jobs(&p, Format::Tiresias, &c, &Slice { limit: Some(5), ..Slice::default() }).unwrap();
    assert_eq!(
        five.iter().map(|j| j.name.as_str()).collect::<Vec<_>>(),
        ["tiresias-0", "tiresias-1", "tiresias-2", "tiresias-3", "tiresias-4"]
    );
    // Submits 0, 30, 53, 79, ...: [30 s, 79 s) keeps jobs 1 and 2, re-based at 30 s.
    let s = Slice { since: Some(Bound::Offset(30.0)), until: Some(Bound::Offset(79.0)), limit: None };
    let mid = load_jobs(&p, Format::Tiresias, &c, &s).unwrap();
    assert_eq!(
        mid.iter().map(|j| (j.name.as_str(), j.submit.0)).collect::<Vec<_>>(),
        [("tiresias-1", 0), ("tiresias-2", 23_000)]
    );
    // Calendar bounds on a calendar trace.
    let s = Slice { since: Some(Bound::Clock(1_507_420_800.0)), ..Slice::default() }; // 2017-10-08
    let late = load_jobs(&data("philly/philly.csv"), Format::Philly, &c, &s).unwrap();
    assert!(!late.is_empty() && late.len() < 40);
}

#[test]
fn convert_round_trips_through_native() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pai.csv");
    let st = std::process::Command::new(env!("CARGO_BIN_EXE_tephra"))
        .args(["trace", "convert", data("pai2020").to_str().unwrap(), "--to", "native", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        text.lines().nth(2).unwrap(),
        "6a2e9d1c73c0ab40f5b1d0a2,10.000,6740.000,u_c3d4,0,PS,2,2,12,64Gi,0,",
        "{text}"
    );
    let back = tephra::trace::native::read(&out).unwrap();
    let direct = load_jobs(&data("pai2020"), Format::Pai2020, &PriorityClasses::new(), &Slice::default()).unwrap();
    assert_eq!(back.len(), 4);
    for (a, b) in back.iter().zip(&direct) {
        assert_eq!((&a.name, a.submit, a.work_ms, &a.queue), (&b.name, b.submit, b.work_ms, &b.queue));
        assert_eq!(
            a.roles.iter().map(|r| (r.replicas, r.request)).collect::<Vec<_>>(),
            b.roles.iter().map(|r| (r.replicas, r.request)).collect::<Vec<_>>()
        );
    }
}

/// A native share of one GPU (`0.5`) stays a share through `convert` (it used to be written as
/// `0` GPUs) and `inspect` counts it as half a GPU.
#[test]
fn gpu_shares_survive_convert_and_inspect() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("s.csv");
    std::fs::write(
        &src,
        "job_id,submit_s,duration_s,queue,priority,role,replicas,min_available,cpu,memory,gpu,gpu_model\n\
         a,0,3600,q,0,w,1,1,4,32Gi,0.5,T4\nb,10,3600,q,0,w,2,2,2,8Gi,0.25,\nc,20,3600,q,0,w,1,1,8,64Gi,2,V100\n",
    )
    .unwrap();
    let out = dir.path().join("out.csv");
    let tephra = |args: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_tephra")).args(args).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        o.stdout
    };
    tephra(&["trace", "convert", src.to_str().unwrap(), "--to", "native", out.to_str().unwrap()]);
    let text = std::fs::read_to_string(&out).unwrap();
    let gpu_cols: Vec<&str> = text.lines().skip(1).map(|l| l.split(',').nth(10).unwrap()).collect();
    assert_eq!(gpu_cols, ["0.5", "0.25", "2"], "{text}");
    let v: serde_json::Value =
        serde_json::from_slice(&tephra(&["trace", "inspect", src.to_str().unwrap(), "--json"])).unwrap();
    // Cards held: a with part of 1, b with parts of 2 (two pods), c with 2 whole.
    assert_eq!(v["gpu_histogram"], serde_json::json!({"1": 1, "2": 2}));
    assert_eq!(v["gpu_share_histogram"], serde_json::json!({"500": 2}), "a: 0.5; b: 2 × 0.25");
    // (0.5 + 0.5 + 2) GPUs × 1 h.
    assert_eq!(v["gpu_hours"], 3.0);
}

#[test]
fn inspect_json_reports_histograms() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tephra"))
        .args(["trace", "inspect", data("tiresias/60_job.csv").to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["format"], "tiresias");
    assert_eq!(v["jobs"], 60);
    assert_eq!(v["gpu_histogram"], serde_json::json!({"1": 30, "2": 10, "4": 10, "8": 10}));
    assert_eq!(v["arrivals_by_hour"][0], 60);
}

#[test]
fn scenarios_read_public_formats() {
    let dir = tempfile::tempdir().unwrap();
    let trace = data("tiresias/60_job.csv");
    let yaml = |fmt: &str| {
        format!(
            "name: t\nfleet:\n  pools:\n    - {{ name: gpu, count: 16, cpu: 128, memory: 1Ti, gpu: {{ model: V100, count: 8 }} }}\nworkload: {{ trace: {}, format: {fmt} }}\n",
            trace.display()
        )
    };
    for fmt in ["tiresias", "auto"] {
        let p = dir.path().join("s.yaml");
        std::fs::write(&p, yaml(fmt)).unwrap();
        let sc = tephra::scenario::load(&p).unwrap();
        assert_eq!(sc.trace_format, Format::Tiresias);
        assert_eq!(sc.load_jobs().unwrap().len(), 60);
    }
    let p = dir.path().join("s.yaml");
    std::fs::write(&p, yaml("slurm")).unwrap();
    let e = tephra::scenario::load(&p).unwrap_err().to_string();
    assert!(e.contains("s.yaml:5: workload.format: `slurm` is not a trace format (known: native, philly"), "{e}");
}

/// A native trace of `n` jobs in submit order, every third with a second role and every fifth
/// with an annotation.
fn native_text(n: usize) -> String {
    let mut t = String::from(
        "job_id,submit_s,duration_s,queue,priority,role,replicas,min_available,cpu,memory,gpu,gpu_model,annotations\n",
    );
    for i in 0..n {
        let ann = if i % 5 == 0 { "volcano.sh/preemptable=true" } else { "" };
        t += &format!("j{i:05},{}.5,{},q{},{},worker,2,,8,64Gi,4,V100,{ann}\n", i / 2, 60 + i, i % 3, i % 4);
        if i % 3 == 0 {
            t += &format!("j{i:05},{}.5,,q{},0,ps,1,1,4,16Gi,0,,\n", i / 2, i % 3);
        }
    }
    t
}

fn path_line(p: &Path, line: u64) -> &'static str {
    format!("{}:{line}", p.display()).leak()
}

#[test]
fn native_files_stream_job_by_job_with_the_same_jobs() {
    use tephra::trace::native;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    let text = native_text(3000);
    std::fs::write(&path, &text).unwrap();
    assert!(native::streamable(&path));
    let whole = native::read(&path).unwrap();
    assert_eq!(whole.len(), 3000);
    assert_eq!((whole[0].roles.len(), whole[1].roles.len()), (2, 1));
    let streamed: Vec<_> = native::stream(&path).unwrap().map(Result::unwrap).collect();
    assert_eq!(streamed, whole, "the stream yields exactly what the whole-file reader returns");
    let expected: Vec<TraceJob> = whole.iter().map(tephra::trace::load::from_spec).collect();
    assert_eq!(read(&path, Format::Native).0, expected);

    // Rows of a job apart, or jobs out of submit order: not streamable, read whole, same result.
    let mut lines: Vec<&str> = text.lines().collect();
    lines.swap(2, 3); // j00000's ps row after j00001's worker row
    std::fs::write(&path, lines.join("\n")).unwrap();
    assert!(!native::streamable(&path));
    // Only the rows' lines (the jobs' origins) differ.
    let lineless =
        |jobs: Vec<TraceJob>| -> Vec<TraceJob> { jobs.into_iter().map(|j| TraceJob { line: 0, ..j }).collect() };
    let apart = native::read(&path).unwrap();
    assert_eq!((apart[1].origin.as_str(), apart[2].origin.as_str()), (path_line(&path, 3), path_line(&path, 5)));
    assert_eq!(lineless(read(&path, Format::Native).0), lineless(expected.clone()));
    lines.swap(2, 3);
    lines.swap(3, 4); // j00002 (submit 1.5) before j00001 (0.5)
    std::fs::write(&path, lines.join("\n")).unwrap();
    assert!(!native::streamable(&path));
    let (jobs, _) = read(&path, Format::Native);
    assert_eq!(jobs[1].id, "j00001", "sorted by submit as before");
    assert_eq!(lineless(jobs), lineless(expected));

    // Streaming: the first job comes out before the bad last row is read; the error names it.
    let bad = format!("{text}j09999,9999,10,q,0,worker,1,1,8,64Gi,x,,\n");
    std::fs::write(&path, &bad).unwrap();
    let mut entries = open(&path, Format::Native).unwrap();
    assert!(matches!(entries.next(), Some(Ok(Entry::Job(j))) if j.id == "j00000"));
    let last = entries.last().unwrap().unwrap_err();
    assert_eq!((last.line, last.field.as_str()), (4002, "gpu"), "{last}");
    assert_eq!(native::read(&path).unwrap_err(), last, "the whole-file reader names the same row");
}

#[test]
fn openb_pod_lists_stream_pod_by_pod() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pods.csv");
    let mut text = String::from(
        "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n",
    );
    for i in 0..2000 {
        text += &format!("p{i},4000,8192,1,{},V100M16,LS,Running,{i},{},{i}\n", 100 + i % 900, i + 50);
    }
    text += "\np-bad,4000,8192,2,500,,LS,Running,9,10,9\n";
    std::fs::write(&path, &text).unwrap();
    let mut entries = open(&path, Format::Openb).unwrap();
    let Some(Ok(Entry::Job(first))) = entries.next() else { panic!("the first pod streams out") };
    assert_eq!((first.id.as_str(), first.line, first.duration_s), ("p0", 2, 50.0));
    assert_eq!(entries.by_ref().take(1999).filter(|e| e.is_ok()).count(), 1999);
    let e = entries.next().unwrap().unwrap_err();
    assert_eq!((e.line, e.field.as_str()), (2003, "gpu_milli"), "the blank line is counted");
    assert!(entries.next().is_none());
    assert_eq!(tephra::trace::openb::read_pods(&path).unwrap_err(), e);
}
