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

/// Network topology mode of the job's gang (`hard` or `soft`), the annotation form of the
/// PodGroup's `spec.networkTopology.mode` (`apis: topology/v1alpha1/labels.go`).
pub const NETWORK_TOPOLOGY_MODE: &str = "volcano.sh/network-topology-mode";
/// Highest HyperNode tier the gang may span (`spec.networkTopology.highestTierAllowed`).
pub const NETWORK_TOPOLOGY_HIGHEST_TIER: &str = "volcano.sh/network-topology-highest-tier";

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
    } else if key == NETWORK_TOPOLOGY_MODE {
        TopologyMode::parse(value).map(|_| ()).ok_or_else(|| format!("`{key}`: `{value}` is not hard or soft"))
    } else if key == NETWORK_TOPOLOGY_HIGHEST_TIER {
        match value.trim().parse::<u32>() {
            Ok(t) if t >= 1 => Ok(()),
            _ => Err(format!("`{key}`: `{value}` is not a tier (an integer ≥ 1)")),
        }
    } else {
        Ok(())
    }
}

/// `spec.networkTopology.mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopologyMode {
    /// The whole gang inside one HyperNode of tier ≤ the highest tier allowed, or not at all.
    Hard,
    /// Prefer the lowest tier that fits; fall back up to the whole cluster.
    Soft,
}

impl TopologyMode {
    /// `hard` / `soft` (case-insensitive).
    pub fn parse(v: &str) -> Option<TopologyMode> {
        match v.trim().to_ascii_lowercase().as_str() {
            "hard" => Some(TopologyMode::Hard),
            "soft" => Some(TopologyMode::Soft),
            _ => None,
        }
    }
}

/// A job's network topology constraint (`PodGroup.spec.networkTopology`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetworkTopology {
    /// Mode.
    pub mode: TopologyMode,
    /// Highest tier the gang may span (hard mode; Volcano's default is 1).
    pub highest_tier: u32,
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
    /// The job's network topology constraint, if its annotations give one: a mode alone means
    /// highest tier 1, a tier alone means hard mode (the CRD defaults). Values were validated by
    /// the reader; a bad one reads as absent.
    pub fn network_topology(&self) -> Option<NetworkTopology> {
        let mode = self.annotation(NETWORK_TOPOLOGY_MODE).and_then(TopologyMode::parse);
        let tier = self.annotation(NETWORK_TOPOLOGY_HIGHEST_TIER).and_then(|v| v.trim().parse::<u32>().ok());
        if mode.is_none() && tier.is_none() {
            return None;
        }
        Some(NetworkTopology { mode: mode.unwrap_or(TopologyMode::Hard), highest_tier: tier.unwrap_or(1).max(1) })
    }

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
        assert!(validate(NETWORK_TOPOLOGY_MODE, "Hard").is_ok());
        assert!(validate(NETWORK_TOPOLOGY_MODE, "strict").unwrap_err().contains("hard or soft"));
        assert!(validate(NETWORK_TOPOLOGY_HIGHEST_TIER, "2").is_ok());
        assert!(validate(NETWORK_TOPOLOGY_HIGHEST_TIER, "0").is_err());
        assert!(validate(NETWORK_TOPOLOGY_HIGHEST_TIER, "spine").is_err());
    }
}
