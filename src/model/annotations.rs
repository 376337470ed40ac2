//! The PodGroup / pod annotations that decide whether a pod may be evicted. tephra gives a job's
//! pods the annotations of its PodGroup, so both readings come from [`Job::annotations`].

use super::job::Job;

/// `volcano.sh/preemptable`.
pub const PREEMPTABLE: &str = "volcano.sh/preemptable";

/// Go's `strconv.ParseBool`.
pub fn parse_go_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

impl Job {
    /// A pod's `Preemptable` (`api/pod_info.go: GetPodPreemptable`): the annotation's value, false
    /// when it does not parse, **true** when absent. preempt and reclaim never take a pod that is
    /// not preemptable.
    pub fn pods_preemptable(&self) -> bool {
        self.annotation(PREEMPTABLE).map(|v| parse_go_bool(v).unwrap_or(false)).unwrap_or(true)
    }

    /// The job's `Preemptable` (`api/job_info.go: extractPreemptable`): the PodGroup annotation's
    /// value, **false** when absent or unparsable (note the default differs from the pods').
    pub fn podgroup_preemptable(&self) -> bool {
        self.annotation(PREEMPTABLE).and_then(parse_go_bool).unwrap_or(false)
    }
}
