//! The PAI 2020 reader on polars (feature `analytics`): a lazy CSV scan of the job and task
//! tables with only the needed columns, a left join that keeps task order, then the same job
//! assembly as the streaming reader ([`super::pai`]). Polars parses the tables on all cores but
//! holds the joined task table in memory, and its parse errors carry no line numbers; see
//! BENCHMARKS.md for which reader tephra uses.

use super::error::TraceError;
use super::fields::{Ctx, gpu_model};
use super::pai::{GPU_MODELS, TaskRow, assemble, folder};
use super::source::Entry;
use polars::prelude::*;
use std::path::Path;

fn scan(path: &Path, schema: Schema) -> Result<LazyFrame, TraceError> {
    let cx = Ctx::new(path);
    let p = PlRefPath::try_from_path(path).map_err(|e| cx.err(0, "file", e.to_string()))?;
    LazyCsvReader::new(p)
        .with_has_header(false)
        .with_schema(Some(Arc::new(schema)))
        .finish()
        .map_err(|e| cx.err(0, "file", e.to_string()))
}

/// Reads a PAI 2020 folder into entries (tasks of one job must be consecutive, as published).
pub fn read(path: &Path) -> Result<Vec<Entry>, TraceError> {
    let dir = folder(path);
    let job_path = dir.join("pai_job_table.csv");
    let task_path = dir.join("pai_task_table.csv");
    let cx = Ctx::new(&task_path);
    let s = |n: &str| Field::new(n.into(), DataType::String);
    let f = |n: &str| Field::new(n.into(), DataType::Float64);
    let jobs = scan(
        &job_path,
        Schema::from_iter([s("job_name"), s("inst_id"), s("user"), s("status"), f("start_time"), f("end_time")]),
    )?
    .select([col("job_name"), col("user"), col("start_time").alias("submit")]);
    let tasks = scan(
        &task_path,
        Schema::from_iter([
            s("job_name"),
            s("task_name"),
            f("inst_num"),
            s("status"),
            f("start_time"),
            f("end_time"),
            f("plan_cpu"),
            f("plan_mem"),
            f("plan_gpu"),
            s("gpu_type"),
        ]),
    )?;
    let mut args = JoinArgs::new(JoinType::Left);
    args.maintain_order = MaintainOrderJoin::Left;
    let df = tasks
        .join(jobs, [col("job_name")], [col("job_name")], args)
        .collect()
        .map_err(|e| cx.err(0, "file", e.to_string()))?;
    let pe = |e: PolarsError| cx.err(0, "file", e.to_string());
    let c = |n: &str| df.column(n).map_err(pe);
    let (job, task, user) =
        (c("job_name")?.str().map_err(pe)?, c("task_name")?.str().map_err(pe)?, c("user")?.str().map_err(pe)?);
    let (inst, start, end) =
        (c("inst_num")?.f64().map_err(pe)?, c("start_time")?.f64().map_err(pe)?, c("end_time")?.f64().map_err(pe)?);
    let (cpu, mem, gpu, ty) = (
        c("plan_cpu")?.f64().map_err(pe)?,
        c("plan_mem")?.f64().map_err(pe)?,
        c("plan_gpu")?.f64().map_err(pe)?,
        c("gpu_type")?.str().map_err(pe)?,
    );
    let submit = c("submit")?.f64().map_err(pe)?;
    let mut out = Vec::new();
    let mut group: Vec<TaskRow> = Vec::new();
    let mut group_user: Option<String> = None;
    let mut group_submit = f64::NAN;
    let mut seen = std::collections::HashSet::new();
    let rows = job
        .iter()
        .zip(task.iter())
        .zip(user.iter())
        .zip(inst.iter())
        .zip(start.iter())
        .zip(end.iter())
        .zip(cpu.iter())
        .zip(mem.iter())
        .zip(gpu.iter())
        .zip(ty.iter())
        .zip(submit.iter());
    let flush = |group: &mut Vec<TaskRow>,
                 user: &Option<String>,
                 submit: f64,
                 out: &mut Vec<Entry>|
     -> Result<(), TraceError> {
        if group.is_empty() {
            return Ok(());
        }
        let u = user.as_deref().ok_or_else(|| {
            cx.err(group[0].line, "job_name", format!("job `{}` is not in pai_job_table.csv", group[0].job))
        })?;
        out.push(assemble(std::mem::take(group), u, submit));
        group.clear();
        Ok(())
    };
    for (i, ((((((((((j, t), u), n), st), en), cp), me), gp), ty), sub)) in rows.enumerate() {
        let line = i as u64 + 1;
        let j = j.ok_or_else(|| cx.err(line, "job_name", "empty"))?;
        if group.first().is_some_and(|g| g.job != j) {
            flush(&mut group, &group_user, group_submit, &mut out)?;
        }
        if group.is_empty() {
            if !seen.insert(super::pai::name_hash(j)) {
                return Err(cx.err(line, "job_name", format!("the tasks of job `{j}` are not on consecutive rows")));
            }
            group_user = u.map(str::to_string);
            group_submit = sub.unwrap_or(f64::NAN);
        }
        let n = n
            .filter(|n| n.fract() == 0.0 && *n >= 1.0)
            .ok_or_else(|| cx.err(line, "inst_num", "not a whole number from 1"))?;
        if let (Some(s), Some(e)) = (st, en)
            && e < s
        {
            return Err(cx.err(line, "end_time", format!("{e} is before start_time {s}")));
        }
        group.push(TaskRow {
            line,
            job: j.to_string(),
            task: t.unwrap_or("").to_string(),
            inst: n as u32,
            start: st,
            end: en,
            cpu: cp.map(|c| (c * 10.0).round() as i64),
            mem: me.map(|m| (m * (1u64 << 30) as f64).round() as i64),
            gpu_milli: gp.map(super::pai::plan_gpu_milli).unwrap_or(0),
            model: gpu_model(&cx, line, "gpu_type", ty.unwrap_or(""), &GPU_MODELS)?,
        });
    }
    flush(&mut group, &group_user, group_submit, &mut out)?;
    if out.is_empty() {
        return Err(cx.err(1, "row", "the file has no data rows"));
    }
    Ok(out)
}
