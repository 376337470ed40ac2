//! PodGroup annotations tephra's plugins read, and their validation. Volcano ignores a malformed
//! annotation with a log line; a simulator should not silently run a different experiment, so the
//! trace readers check every known key when they read it and reject bad values with the row.

use super::job::Job;
use super::time::{DurationMs, parse_duration};

/// Per-job SLA waiting time (sla plugin).
pub const SLA_WAITING_TIME: &str = "volcano.sh/sla-waiting-time";
/// The older spelling of [`SLA_WAITING_TIME`], still read by Volcano.
pub const SLA_WAITING_TIME_LEGACY: &str = "sla-waiting-time";
/// Whether the job's pods may be preempted (`volcano.sh/preemptable`).
pub const PREEMPTABLE: &str = "volcano.sh/preemptable";
/// Cooldown protection (cdp plugin): not a victim until this long after scheduling.
pub const COOLDOWN_TIME: &str = "volcano.sh/cooldown-time";

/// Keys whose value is a duration.
const DURATIONS: [&str; 3] = [SLA_WAITING_TIME, SLA_WAITING_TIME_LEGACY, COOLDOWN_TIME];
/// Keys whose value is a boolean.
const BOOLS: [&str; 1] = [PREEMPTABLE];

/// Checks the value of a known key; unknown keys pass (users annotate for their own tools).
pub fn validate(key: &str, value: &str) -> Result<(), String> {
    if DURATIONS.contains(&key) {
        parse_duration(value).map(|_| ()).map_err(|e| format!("`{key}`: {e}"))
    } else if super::lifecycle::KEYS.contains(&key) {
        super::lifecycle::RecoverySpec::default().set(key, value).map(|_| ())
    } else if BOOLS.contains(&key) {
        parse_bool(value).map(|_| ()).ok_or_else(|| format!("`{key}`: `{value}` is not true or false"))
    } else {
        Ok(())
    }
}

/// A duration annotation already validated by the reader (a bad value reads as absent).
pub fn duration(value: Option<&str>) -> Option<DurationMs> {
    value.and_then(|v| parse_duration(v).ok())
}

/// Go's `strconv.ParseBool` spellings.
pub fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

impl Job {
    /// A pod's `Preemptable` (`api/pod_info.go: GetPodPreemptable`): the annotation's value, false
    /// when it does not parse, **true** when absent. preempt and reclaim never take a pod that is
    /// not preemptable.
    /// Read once when the job is added (victim filters ask for every candidate).
    pub fn pods_preemptable(&self) -> bool {
        self.preemptable.0
    }

    /// Both readings from the annotations: (pods, PodGroup).
    pub fn read_preemptable(annotations: &std::collections::BTreeMap<String, String>) -> (bool, bool) {
        let v = annotations.get(PREEMPTABLE).map(String::as_str);
        (v.map(|v| parse_bool(v).unwrap_or(false)).unwrap_or(true), v.and_then(parse_bool).unwrap_or(false))
    }

    /// The job's `Preemptable` (`api/job_info.go: extractPreemptable`): the PodGroup annotation's
    /// value, **false** when absent or unparsable (note the default differs from the pods').
    pub fn podgroup_preemptable(&self) -> bool {
        self.preemptable.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_keys_are_checked_and_others_pass() {
        assert!(validate(SLA_WAITING_TIME, "30m").is_ok());
        assert!(validate(SLA_WAITING_TIME, "soon").unwrap_err().contains("sla-waiting-time"));
        assert!(validate(PREEMPTABLE, "yes").is_err());
        assert!(validate(PREEMPTABLE, "True").is_ok());
        assert!(validate("example.com/team", "anything").is_ok());
    }
}
