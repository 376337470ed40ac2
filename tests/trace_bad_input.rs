//! Bad trace input: each case gives an error naming the file, the line and the column, with the
//! exact message; garbage never panics.

use std::path::{Path, PathBuf};
use tephra::trace::format::{Format, detect, open};
use tephra::trace::load::{Slice, load_jobs};
use tephra::trace::native::PriorityClasses;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// The error from reading `text` as `fmt`, with the temp folder replaced by `DIR`.
fn error(fmt: Format, name: &str, text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), name, text);
    let e = load_jobs(&p, fmt, &PriorityClasses::new(), &Slice::default()).unwrap_err();
    e.to_string().replace(&dir.path().display().to_string(), "DIR")
}

const PHILLY: &str = "timestamp,duration,num_gpus,gpu_time,cluster\n";

#[test]
fn missing_column() {
    let e = error(Format::Philly, "p.csv", "timestamp,duration,num_gpus,gpu_time\n2017-10-09 07:01:55,66.0,1,66.0\n");
    assert_eq!(e, "DIR/p.csv:1: header: missing column `cluster` (found: timestamp,duration,num_gpus,gpu_time)");
}

#[test]
fn short_row() {
    let e = error(Format::Philly, "p.csv", &format!("{PHILLY}2017-10-09 07:01:55,66.0,1,66.0\n"));
    assert_eq!(e, "DIR/p.csv:2: cluster: the row has 4 fields, expected 5 (missing `cluster`)");
}

#[test]
fn wrong_types() {
    let e = error(
        Format::Philly,
        "p.csv",
        &format!("{PHILLY}2017-10-09 07:01:55,66.0,1,66.0,a\n2017-10-09 07:01:56,5,two,5,a\n"),
    );
    assert_eq!(e, "DIR/p.csv:3: num_gpus: `two` is not a whole number from 0 to 4096");
    let e = error(Format::Philly, "p.csv", &format!("{PHILLY}yesterday,66.0,1,66.0,a\n"));
    assert_eq!(e, "DIR/p.csv:2: timestamp: `yesterday` is not a timestamp (YYYY-MM-DD HH:MM:SS)");
    let e = error(
        Format::Helios,
        "h.csv",
        "job_id,user,vc,gpu_num,cpu_num,node_num,state,submit_time,start_time,end_time,duration,queue\n1,u,v,1,2,1,COMPLETED,2020-04-01 00:00:00,,,ten,0\n",
    );
    assert_eq!(e, "DIR/h.csv:2: duration: `ten` is not a number");
}

#[test]
fn negative_and_nan_durations() {
    let e = error(Format::Philly, "p.csv", &format!("{PHILLY}2017-10-09 07:01:55,-5,1,66.0,a\n"));
    assert_eq!(e, "DIR/p.csv:2: duration: `-5` is negative");
    let e = error(Format::Philly, "p.csv", &format!("{PHILLY}2017-10-09 07:01:55,NaN,1,66.0,a\n"));
    assert_eq!(e, "DIR/p.csv:2: duration: `NaN` is not a finite number");
    let e = error(
        Format::Tiresias,
        "t.csv",
        "job_id,num_gpu,submit_time,iterations,model_name,duration,interval\n0,1,0,5,vgg,inf,1\n",
    );
    assert_eq!(e, "DIR/t.csv:2: duration: `inf` is not a finite number");
}

#[test]
fn out_of_order_submits() {
    let e = error(
        Format::Tiresias,
        "t.csv",
        "job_id,num_gpu,submit_time,iterations,model_name,duration,interval\n0,1,30,5,vgg,10,1\n1,1,10,5,vgg,10,1\n",
    );
    assert_eq!(
        e,
        "DIR/t.csv:3: submit_time: submit time 10 is before the previous row's 30 (this format lists jobs in submit order)"
    );
    let e = error(Format::Sia, "w.csv", "name,time,application,num_replicas,batch_size\na,5,bert,1,8\nb,4,bert,1,8\n");
    assert_eq!(
        e,
        "DIR/w.csv:3: time: submit time 4 is before the previous row's 5 (this format lists jobs in submit order)"
    );
}

#[test]
fn unknown_gpu_model_and_application() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pai_job_table.csv", "j1,i1,u1,Terminated,10,20\n");
    write(
        dir.path(),
        "pai_task_table.csv",
        "j1,worker,1,Terminated,11,19,600,10,100,T4\nj1,ps,1,Terminated,11,19,600,10,100,A100\n",
    );
    let e = load_jobs(dir.path(), Format::Pai2020, &PriorityClasses::new(), &Slice::default()).unwrap_err();
    assert_eq!(e.line, 2);
    assert_eq!(e.field, "gpu_type");
    assert_eq!(e.msg, "unknown GPU model `A100` (known: MISC, P100, T4, V100, V100M32)");
    assert!(e.file.ends_with("pai_task_table.csv"));
    let e = error(Format::Sia, "w.csv", "name,time,application,num_replicas,batch_size\na,5,gpt5,1,8\n");
    assert_eq!(
        e,
        "DIR/w.csv:2: application: unknown application `gpt5` (known: cifar10, ncf, deepspeech2, bert, yolov3, imagenet)"
    );
}

#[test]
fn pai_consistency() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pai_job_table.csv", "j1,i1,u1,Terminated,10,20\n");
    write(
        dir.path(),
        "pai_task_table.csv",
        "j1,a,1,Terminated,11,19,600,10,100,T4\nj2,a,1,Terminated,11,19,600,10,100,T4\n",
    );
    let e = load_jobs(dir.path(), Format::Pai2020, &PriorityClasses::new(), &Slice::default()).unwrap_err();
    assert_eq!((e.line, e.field.as_str(), e.msg.as_str()), (2, "job_name", "job `j2` is not in pai_job_table.csv"));
    write(dir.path(), "pai_job_table.csv", "j1,i1,u1,Terminated,10,20\nj2,i2,u1,Terminated,10,20\n");
    write(
        dir.path(),
        "pai_task_table.csv",
        "j1,a,1,Terminated,11,19,600,10,100,T4\nj2,a,1,Terminated,11,19,600,10,100,T4\nj1,b,1,Terminated,11,19,600,10,100,T4\n",
    );
    let e = load_jobs(dir.path(), Format::Pai2020, &PriorityClasses::new(), &Slice::default()).unwrap_err();
    assert_eq!((e.line, e.msg.as_str()), (3, "the tasks of job `j1` are not on consecutive rows"));
    write(dir.path(), "pai_task_table.csv", "j1,a,1,Terminated,11,9,600,10,100,T4\n");
    let e = load_jobs(dir.path(), Format::Pai2020, &PriorityClasses::new(), &Slice::default()).unwrap_err();
    assert_eq!((e.line, e.field.as_str(), e.msg.as_str()), (1, "end_time", "9 is before start_time 11"));
}

/// The job table is checked for repeated jobs after it is read (a sort of the name hashes), yet the
/// error is the one a row-by-row check gives: the first repeat, before any bad row after it.
#[test]
fn pai_repeated_jobs_are_reported_in_row_order() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pai_task_table.csv", "j1,a,1,Terminated,11,19,600,10,100,T4\n");
    let load = || load_jobs(dir.path(), Format::Pai2020, &PriorityClasses::new(), &Slice::default()).unwrap_err();
    write(
        dir.path(),
        "pai_job_table.csv",
        "j1,i1,u1,Terminated,10,20\nj2,i2,u1,Terminated,10,20\nj1,i3,u1,Terminated,10,20\nj3,i4,u1,Terminated,x,20\n",
    );
    let e = load();
    assert_eq!((e.line, e.field.as_str(), e.msg.as_str()), (3, "job_name", "job `j1` is listed twice"));
    assert!(e.file.ends_with("pai_job_table.csv"));
    write(
        dir.path(),
        "pai_job_table.csv",
        "j1,i1,u1,Terminated,10,20\nj2,i2,u1,Terminated,x,20\nj1,i3,u1,Terminated,10,20\n",
    );
    let e = load();
    assert_eq!((e.line, e.field.as_str(), e.msg.as_str()), (2, "start_time", "`x` is not a number"));
}

/// Task tables in the job table's order are matched by walking both; any other order must give
/// the same jobs (each with its own user and submit time).
#[test]
fn pai_task_table_in_another_order_gives_the_same_jobs() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "pai_job_table.csv",
        "j1,i1,u1,Terminated,10,90\nj2,i2,u2,Terminated,20,90\nj3,i3,u3,Terminated,30,90\nj4,i4,u4,Terminated,40,90\n",
    );
    let rows = [
        "j1,a,1,Terminated,11,19,600,10,100,T4\n",
        "j2,a,2,Terminated,21,39,600,10,100,T4\nj2,b,1,Terminated,21,49,600,10,,\n",
        "j3,a,1,Terminated,31,59,600,10,200,V100\n",
        "j4,a,1,Terminated,41,49,600,10,100,T4\n",
    ];
    let jobs = |order: [usize; 4]| {
        write(dir.path(), "pai_task_table.csv", &order.iter().map(|i| rows[*i]).collect::<String>());
        let mut j = load_jobs(dir.path(), Format::Pai2020, &PriorityClasses::new(), &Slice::default()).unwrap();
        for s in &mut j {
            s.origin.clear();
        }
        j
    };
    let in_order = jobs([0, 1, 2, 3]);
    let got: Vec<(&str, &str, u64, u64)> =
        in_order.iter().map(|j| (j.name.as_str(), j.queue.as_str(), j.submit.0, j.work_ms)).collect();
    assert_eq!(
        got,
        [("j1", "u1", 0, 8000), ("j2", "u2", 10_000, 28_000), ("j3", "u3", 20_000, 28_000), ("j4", "u4", 30_000, 8000)]
    );
    assert_eq!(jobs([3, 1, 0, 2]), in_order);
    assert_eq!(jobs([0, 2, 1, 3]), in_order);
}

#[test]
fn empty_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "e.csv", "");
    assert_eq!(detect(&p).unwrap_err().to_string(), format!("{}:1: header: the file is empty", p.display()));
    assert_eq!(error(Format::Philly, "e.csv", ""), "DIR/e.csv:1: header: the file is empty (no header row)");
    assert_eq!(error(Format::Philly, "h.csv", PHILLY), "DIR/h.csv:1: row: the file has no data rows");
    assert_eq!(error(Format::Gavel, "g.trace", ""), "DIR/g.trace:1: row: the file is empty");
    assert_eq!(error(Format::PhillyJson, "j.json", "[]"), "DIR/j.json:1: row: the job array is empty");
}

#[test]
fn malformed_json_names_its_line() {
    let e = error(Format::PhillyJson, "j.json", "[\n{\"vc\": \"a\",\n \"attempts\": [}\n]");
    assert!(e.starts_with("DIR/j.json:3: json: "), "{e}");
    let e = error(Format::PhillyJson, "j.json", "[\n{\"vc\": \"a\", \"submitted_time\": \"soon\"}\n]");
    assert_eq!(e, "DIR/j.json:2: submitted_time: job `philly-job-1`: `soon` is not a timestamp (YYYY-MM-DD HH:MM:SS)");
}

#[test]
fn gavel_wrong_layout_and_missing_throughput() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("simulation_throughputs.json"),
        r#"{"v100": {"('LM (batch size 5)', 1)": {"null": 2.0}}}"#,
    )
    .unwrap();
    let p = write(dir.path(), "a.trace", "x\ty\tz\n");
    let e = load_jobs(&p, Format::Gavel, &PriorityClasses::new(), &Slice::default()).unwrap_err();
    assert_eq!((e.line, e.msg.as_str()), (1, "3 tab-separated fields; a Gavel trace has 7 or 10"));
    let p = write(dir.path(), "b.trace", "LM (batch size 5)\tcmd\t-n\t1\t100\t0\t1\nGAN\tcmd\t-n\t1\t100\t5\t1\n");
    let e = load_jobs(&p, Format::Gavel, &PriorityClasses::new(), &Slice::default()).unwrap_err();
    assert_eq!(
        (e.line, e.field.as_str(), e.msg.as_str()),
        (2, "job_type", "no v100 throughput for `GAN` at scale factor 1")
    );
    let jobs = load_jobs(
        &write(dir.path(), "c.trace", "LM (batch size 5)\tcmd\t-n\t1\t100\t0\t1\n"),
        Format::Gavel,
        &PriorityClasses::new(),
        &Slice::default(),
    )
    .unwrap();
    assert_eq!(jobs[0].work_ms, 50_000, "100 steps at 2 steps/s");
}

#[test]
fn garbage_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let junk: [&[u8]; 6] =
        [b"\xff\xfe\x00garbage", b",,,,\n,,,,\n", b"\"unterminated\n", b"[{]", b"a\tb\tc\td\te\tf\tg\n", b"\n\n\n"];
    for (i, bytes) in junk.iter().enumerate() {
        let p = dir.path().join(format!("j{i}"));
        std::fs::write(&p, bytes).unwrap();
        for fmt in Format::ALL {
            if matches!(fmt, Format::Pai2020 | Format::Pai2020Polars) {
                continue;
            }
            let r = open(&p, fmt).map(|it| it.collect::<Vec<_>>());
            let _ = r;
            let _ = load_jobs(&p, fmt, &PriorityClasses::new(), &Slice::default());
        }
        let _ = detect(&p);
    }
}

#[test]
fn openb_deletion_before_creation() {
    let head = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n";
    let e = error(
        Format::Openb,
        "o.csv",
        &format!("{head}p0,1000,1024,1,1000,,LS,Running,0,50,0\np1,1000,1024,1,1000,,LS,Running,10,5,10\n"),
    );
    assert_eq!(e, "DIR/o.csv:3: deletion_time: `5` is before creation_time `10`");
}

/// A job whose accelerator model no pool has can never run: `validate` names the row, the
/// field and the fleet's models; `run` reports the job unschedulable with the reason and ends.
#[test]
fn models_missing_from_the_fleet_are_reported_not_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "t.csv",
        "job_id,submit_s,duration_s,queue,priority,role,replicas,min_available,cpu,memory,gpu,gpu_model\n\
         ok1,0,100,default,0,worker,1,1,8,64Gi,8,V100\n\
         bad1,5,100,default,0,worker,2,2,8,64Gi,8,Z999\n\
         bad2,6,100,default,0,worker,1,1,8,64Gi,1,Z999\n",
    );
    write(
        d,
        "o.csv",
        "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n\
         p0,1000,1024,1,500,V100|T4,LS,Running,0,50,0\n\
         p1,1000,1024,1,500,A10|G2,LS,Running,3,50,3\n",
    );
    let fleet =
        "fleet:\n  pools:\n    - { name: v100, count: 2, cpu: 96, memory: 512Gi, gpu: { model: V100, count: 8 } }\n";
    write(d, "n.yaml", &format!("name: n\n{fleet}workload: {{ trace: t.csv }}\n"));
    write(d, "o.yaml", &format!("name: o\n{fleet}workload: {{ trace: o.csv, format: openb }}\n"));
    let tephra = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tephra")).args(args).current_dir(d).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stderr).replace(&d.display().to_string(), "DIR")
    };
    let warned = tephra(&["validate", "n.yaml"]);
    assert!(
        warned.contains(
            "warning: t.csv:3: gpu_model: `Z999` is the accelerator model of no node pool (the fleet has: V100); \
             2 role(s) ask for it, first of job `bad1`: they will be reported unschedulable"
        ),
        "{warned}"
    );
    let warned = tephra(&["validate", "o.yaml"]);
    assert!(warned.contains("o.csv:3: gpu_model: `A10|G2` is the accelerator model of no node pool"), "{warned}");
    assert!(!warned.contains("V100|T4"), "one listed model in the fleet is enough: {warned}");
    tephra(&["run", "n.yaml", "--quiet", "--out", "r"]);
    let jobs = std::fs::read_to_string(d.join("r/jobs.csv")).unwrap();
    let bad: Vec<&str> = jobs.lines().filter(|l| l.starts_with("bad")).collect();
    assert_eq!(bad.len(), 2, "{jobs}");
    for l in bad {
        assert!(
            l.contains(",unschedulable,") && l.contains("role `worker`: no node pool with accelerator model Z999"),
            "{l}"
        );
    }
    assert!(jobs.lines().any(|l| l.starts_with("ok1,") && l.contains(",completed,")), "{jobs}");
}
