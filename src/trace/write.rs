//! Writing jobs in tephra's native trace format ([`super::native`]), one row per role.

use super::native::{COLUMNS, accelerator_slot};
use crate::model::JobSpec;
use crate::model::devices::ShareKind;
use std::io::Write;

/// CPU millicores as a Kubernetes quantity (`8`, `500m`).
pub fn cpu_text(milli: i64) -> String {
    if milli % 1000 == 0 { format!("{}", milli / 1000) } else { format!("{milli}m") }
}

/// Bytes as a Kubernetes quantity (`64Gi`, `512Mi`, `1000`).
pub fn memory_text(bytes: i64) -> String {
    if bytes != 0 && bytes % (1 << 30) == 0 {
        format!("{}Gi", bytes >> 30)
    } else if bytes != 0 && bytes % (1 << 20) == 0 {
        format!("{}Mi", bytes >> 20)
    } else {
        format!("{bytes}")
    }
}

/// A native trace writer.
pub struct NativeWriter<W: Write> {
    out: csv::Writer<W>,
}

impl<W: Write> NativeWriter<W> {
    /// Starts a native trace (writes the header).
    pub fn new(w: W) -> std::io::Result<NativeWriter<W>> {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(COLUMNS)?;
        Ok(NativeWriter { out })
    }

    /// Writes one job's rows.
    pub fn write(&mut self, j: &JobSpec) -> std::io::Result<()> {
        for r in &j.roles {
            let slot = accelerator_slot(r.accelerator_model.as_deref());
            // A milli-GPU share is written as the fraction the native reader takes (`0.5`).
            let gpus = if r.device.kind == ShareKind::Milli {
                format!("{}", r.device.milli as f64 / 1000.0)
            } else {
                (r.request.scalars[slot] / 1000).to_string()
            };
            self.out.write_record([
                j.name.as_str(),
                &format!("{:.3}", j.submit.0 as f64 / 1000.0),
                &r.end_ms(j.work_ms).map_or(String::new(), |ms| format!("{:.3}", ms as f64 / 1000.0)),
                j.queue.as_str(),
                &r.priority.to_string(),
                r.name.as_str(),
                &r.replicas.to_string(),
                &r.min_available.to_string(),
                &cpu_text(r.request.cpu),
                &memory_text(r.request.memory),
                &gpus,
                r.accelerator_model.as_deref().unwrap_or(""),
            ])?;
        }
        Ok(())
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        self.out.into_inner().map_err(|e| e.into_error())
    }
}
