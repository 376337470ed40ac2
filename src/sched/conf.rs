//! `volcano-scheduler.conf`: actions, tiers of plugins with their enable flags and arguments, and
//! per-action configurations (`pkg/scheduler/conf/scheduler_conf.go`).
//!
//! Parsing is strict where Volcano is lenient: an unknown key, action or plugin name is an error
//! naming the line, because a typo in a policy file silently changes what a what-if measures.
//! Plugins and actions that Volcano has but tephra does not implement yet are accepted with a
//! warning and left out of the run, so that real configuration files load.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// Actions tephra runs.
pub const SUPPORTED_ACTIONS: &[&str] =
    &["enqueue", "allocate", "backfill", "preempt", "reclaim", "shuffle", "gangpreempt", "gangreclaim"];
/// Volcano actions tephra accepts but does not run yet (a warning names them).
pub const PENDING_ACTIONS: &[&str] = &[];
/// Plugins tephra implements.
pub const SUPPORTED_PLUGINS: &[&str] = &[
    "priority",
    "gang",
    "conformance",
    "drf",
    "overcommit",
    "predicates",
    "proportion",
    "nodeorder",
    "binpack",
    "sla",
    "capacity",
    "task-topology",
    "usage",
    "resource-strategy-fit",
    "nodegroup",
    "tdm",
    "cdp",
    "rescheduling",
    "network-topology-aware",
    "deviceshare",
    "fgd",
    "bestfit",
    "packing",
    "clustering",
    "dotprod",
    "random",
];
/// Volcano plugins tephra accepts but does not implement yet (a warning names them).
pub const PENDING_PLUGINS: &[&str] = &["numaaware", "pdb", "resourcequota", "extender", "capacity-card"];

/// A plugin argument value as YAML gives it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ArgValue {
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// Anything else, as text.
    Str(String),
    /// A list (rescheduling's `strategies`).
    List(Vec<ArgValue>),
    /// A nested map (`thresholds: {cpu: 80}` of usage, `resources:` of resource-strategy-fit).
    Map(BTreeMap<String, ArgValue>),
}

impl fmt::Display for ArgValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgValue::Bool(b) => write!(f, "{b}"),
            ArgValue::Int(i) => write!(f, "{i}"),
            ArgValue::Float(x) => write!(f, "{x}"),
            ArgValue::Str(s) => write!(f, "{s}"),
            ArgValue::List(l) => write!(f, "[{} items]", l.len()),
            ArgValue::Map(m) => {
                write!(f, "{{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    write!(f, "{}{k}: {v}", if i == 0 { "" } else { ", " })?;
                }
                write!(f, "}}")
            }
        }
    }
}

/// A plugin's `arguments` map with typed getters that name the bad key.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct Arguments(pub BTreeMap<String, ArgValue>);

impl Arguments {
    /// A float argument (ints and numeric strings accepted, like Volcano).
    pub fn f64(&self, key: &str, default: f64) -> Result<f64, String> {
        match self.0.get(key) {
            None => Ok(default),
            Some(ArgValue::Float(x)) => Ok(*x),
            Some(ArgValue::Int(i)) => Ok(*i as f64),
            Some(ArgValue::Str(s)) => s.trim().parse().map_err(|_| format!("argument `{key}`: `{s}` is not a number")),
            Some(v) => Err(format!("argument `{key}`: `{v}` is not a number")),
        }
    }

    /// An integer argument (Volcano's `GetInt`: a float or text is an error here, not a silent
    /// default).
    pub fn int(&self, key: &str, default: i64) -> Result<i64, String> {
        match self.0.get(key) {
            None => Ok(default),
            Some(ArgValue::Int(i)) => Ok(*i),
            Some(ArgValue::Str(s)) => {
                s.trim().parse().map_err(|_| format!("argument `{key}`: `{s}` is not an integer"))
            }
            Some(v) => Err(format!("argument `{key}`: `{v}` is not an integer")),
        }
    }

    /// A nested map argument, as arguments of its own.
    pub fn map(&self, key: &str) -> Result<Option<Arguments>, String> {
        match self.0.get(key) {
            None => Ok(None),
            Some(ArgValue::Map(m)) => Ok(Some(Arguments(m.clone()))),
            Some(v) => Err(format!("argument `{key}`: `{v}` is not a map")),
        }
    }

    /// A boolean argument (`"true"` strings accepted, like Volcano).
    pub fn bool(&self, key: &str, default: bool) -> Result<bool, String> {
        match self.0.get(key) {
            None => Ok(default),
            Some(ArgValue::Bool(b)) => Ok(*b),
            Some(ArgValue::Str(s)) if s == "true" || s == "false" => Ok(s == "true"),
            Some(v) => Err(format!("argument `{key}`: `{v}` is not a boolean")),
        }
    }

    /// A string argument.
    pub fn str(&self, key: &str) -> Option<String> {
        self.0.get(key).map(|v| v.to_string())
    }

    /// Rejects keys that are neither in `known` nor start with one of `prefixes`.
    pub fn check_known(&self, plugin: &str, known: &[&str], prefixes: &[&str]) -> Result<(), String> {
        for key in self.0.keys() {
            if !known.contains(&key.as_str()) && !prefixes.iter().any(|p| key.starts_with(p)) {
                let names: Vec<String> =
                    known.iter().map(|k| k.to_string()).chain(prefixes.iter().map(|p| format!("{p}<name>"))).collect();
                return Err(format!("plugin `{plugin}`: unknown argument `{key}` (known: {})", names.join(", ")));
            }
        }
        Ok(())
    }
}

/// The extension points a plugin can register, each gated by its enable flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Hook {
    /// JobOrderFn.
    JobOrder,
    /// QueueOrderFn.
    QueueOrder,
    /// TaskOrderFn.
    TaskOrder,
    /// PredicateFn.
    Predicate,
    /// NodeOrderFn.
    NodeOrder,
    /// JobValidFn (no flag).
    JobValid,
    /// JobReadyFn.
    JobReady,
    /// JobPipelinedFn.
    JobPipelined,
    /// JobStarvingFn.
    JobStarving,
    /// JobEnqueueableFn and JobEnqueuedFn.
    JobEnqueueable,
    /// OverusedFn.
    Overused,
    /// AllocatableFn.
    Allocatable,
    /// PreemptableFn (victims for preempt).
    Preemptable,
    /// ReclaimableFn (victims for reclaim).
    Reclaimable,
    /// PreemptiveFn (may this queue reclaim for this task?).
    Preemptive,
    /// UnifiedEvictableFn (victims for gangpreempt / gangreclaim; no enable flag).
    UnifiedEvictable,
    /// VictimQueueOrderFn (no flag): which victim queue to evict from first for a preemptor.
    VictimQueueOrder,
    /// VictimTasksFn (what `shuffle` evicts), gated by `enabledVictim`.
    VictimTasks,
    /// BatchNodeOrderFn: scores for a whole set of feasible nodes at once, gated by
    /// `enableNodeOrder` like NodeOrderFn.
    BatchNodeOrder,
    /// HyperNodeOrderFn: a score per candidate HyperNode (`enabledHyperNodeOrder`).
    HyperNodeOrder,
    /// HyperNodeGradientForJobFn: the candidate HyperNodes of a topology job, tier by tier
    /// (`enabledHyperNodeGradient`).
    HyperNodeGradient,
}

/// Number of [`Hook`]s.
pub const HOOKS: usize = 21;

/// One plugin entry of a tier.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PluginOption {
    /// Plugin name.
    pub name: String,
    #[serde(default)]
    enable_job_order: Option<bool>,
    #[serde(default)]
    enable_hierarchy: Option<bool>,
    #[serde(default)]
    enable_job_ready: Option<bool>,
    #[serde(default)]
    enable_job_pipelined: Option<bool>,
    #[serde(default)]
    enable_task_order: Option<bool>,
    #[serde(default)]
    enable_preemptable: Option<bool>,
    #[serde(default)]
    enable_reclaimable: Option<bool>,
    #[serde(default)]
    enable_preemptive: Option<bool>,
    #[serde(default)]
    enable_queue_order: Option<bool>,
    #[serde(default, rename = "enabledClusterOrder")]
    enabled_cluster_order: Option<bool>,
    #[serde(default)]
    enable_predicate: Option<bool>,
    #[serde(default)]
    enable_best_node: Option<bool>,
    #[serde(default)]
    enable_node_order: Option<bool>,
    #[serde(default)]
    enable_target_job: Option<bool>,
    #[serde(default)]
    enable_reserved_nodes: Option<bool>,
    #[serde(default)]
    enable_job_enqueued: Option<bool>,
    #[serde(default, rename = "enabledVictim")]
    enabled_victim: Option<bool>,
    #[serde(default)]
    enable_job_starving: Option<bool>,
    #[serde(default, rename = "enabledOverused")]
    enabled_overused: Option<bool>,
    #[serde(default, rename = "enabledAllocatable")]
    enabled_allocatable: Option<bool>,
    #[serde(default, rename = "enabledHyperNodeOrder")]
    enabled_hyper_node_order: Option<bool>,
    #[serde(default, rename = "enabledSubJobReady")]
    enabled_sub_job_ready: Option<bool>,
    #[serde(default, rename = "enabledSubJobPipelined")]
    enabled_sub_job_pipelined: Option<bool>,
    #[serde(default, rename = "enabledSubJobOrder")]
    enabled_sub_job_order: Option<bool>,
    #[serde(default, rename = "enabledHyperNodeGradient")]
    enabled_hyper_node_gradient: Option<bool>,
    /// Free-form plugin arguments.
    #[serde(default)]
    pub arguments: Arguments,
}

impl PluginOption {
    /// A plugin entry with every flag unset (all enabled) and no arguments.
    pub fn named(name: &str) -> PluginOption {
        PluginOption {
            name: name.to_string(),
            enable_job_order: None,
            enable_hierarchy: None,
            enable_job_ready: None,
            enable_job_pipelined: None,
            enable_task_order: None,
            enable_preemptable: None,
            enable_reclaimable: None,
            enable_preemptive: None,
            enable_queue_order: None,
            enabled_cluster_order: None,
            enable_predicate: None,
            enable_best_node: None,
            enable_node_order: None,
            enable_target_job: None,
            enable_reserved_nodes: None,
            enable_job_enqueued: None,
            enabled_victim: None,
            enable_job_starving: None,
            enabled_overused: None,
            enabled_allocatable: None,
            enabled_hyper_node_order: None,
            enabled_sub_job_ready: None,
            enabled_sub_job_pipelined: None,
            enabled_sub_job_order: None,
            enabled_hyper_node_gradient: None,
            arguments: Arguments::default(),
        }
    }

    /// Whether the plugin's callback for `hook` is enabled (an unset flag means enabled).
    pub fn enabled(&self, hook: Hook) -> bool {
        let flag = match hook {
            Hook::JobOrder => self.enable_job_order,
            Hook::QueueOrder => self.enable_queue_order,
            Hook::TaskOrder => self.enable_task_order,
            Hook::Predicate => self.enable_predicate,
            Hook::NodeOrder => self.enable_node_order,
            Hook::JobValid => None,
            Hook::JobReady => self.enable_job_ready,
            Hook::JobPipelined => self.enable_job_pipelined,
            Hook::JobStarving => self.enable_job_starving,
            Hook::JobEnqueueable => self.enable_job_enqueued,
            Hook::Overused => self.enabled_overused,
            Hook::Allocatable => self.enabled_allocatable,
            Hook::Preemptable => self.enable_preemptable,
            Hook::Reclaimable => self.enable_reclaimable,
            Hook::Preemptive => self.enable_preemptive,
            Hook::UnifiedEvictable => None,
            Hook::VictimQueueOrder => None,
            Hook::VictimTasks => self.enabled_victim,
            Hook::BatchNodeOrder => self.enable_node_order,
            Hook::HyperNodeOrder => self.enabled_hyper_node_order,
            Hook::HyperNodeGradient => self.enabled_hyper_node_gradient,
        };
        flag.unwrap_or(true)
    }

    /// Whether `enableHierarchy` is set.
    pub fn hierarchy(&self) -> bool {
        self.enable_hierarchy.unwrap_or(false)
    }
}

/// A tier: plugins whose answers are combined before the next tier is consulted.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// Plugins in order.
    pub plugins: Vec<PluginOption>,
}

/// Per-action arguments.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionConfiguration {
    /// Action name.
    pub name: String,
    /// Arguments.
    #[serde(default)]
    pub arguments: Arguments,
}

/// The configuration as written, before validation (also embeddable inline in a scenario).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConf {
    /// Comma-separated action names.
    pub actions: String,
    /// Tiers.
    #[serde(default)]
    pub tiers: Vec<Tier>,
    /// Per-action arguments.
    #[serde(default)]
    pub configurations: Vec<ActionConfiguration>,
    /// Metrics source (`type`, `address`, `interval`, `tls: {...}`, `elasticsearch: {...}`). The
    /// usage plugin reads simulated metrics instead (see `plugins/usage.rs`), so it is accepted
    /// and ignored.
    #[serde(default)]
    pub metrics: Option<BTreeMap<String, ArgValue>>,
}

/// A parsed and validated scheduler configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct SchedulerConf {
    /// Actions tephra will run, in order (unsupported ones removed).
    pub actions: Vec<String>,
    /// Tiers with supported plugins only.
    pub tiers: Vec<Tier>,
    /// Per-action arguments.
    pub configurations: Vec<ActionConfiguration>,
    /// Warnings about entries that were accepted but are not simulated.
    pub warnings: Vec<String>,
}

impl SchedulerConf {
    /// Parses the YAML text of a `volcano-scheduler.conf`. `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<SchedulerConf, String> {
        let raw: RawConf = serde_saphyr::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
        SchedulerConf::from_raw(raw, origin)
    }

    /// Validates a parsed configuration; `origin` names where it came from in errors.
    pub fn from_raw(raw: RawConf, origin: &str) -> Result<SchedulerConf, String> {
        let _ = raw.metrics; // the usage plugin reads simulated metrics
        let mut warnings = Vec::new();
        let mut actions = Vec::new();
        for a in raw.actions.split(',').map(str::trim).filter(|a| !a.is_empty()) {
            if SUPPORTED_ACTIONS.contains(&a) {
                if actions.iter().any(|x| x == a) {
                    return Err(format!("{origin}: action `{a}` listed twice"));
                }
                actions.push(a.to_string());
            } else if PENDING_ACTIONS.contains(&a) {
                warnings.push(format!("{origin}: action `{a}` is not simulated yet; runs without it"));
            } else {
                return Err(format!(
                    "{origin}: unknown action `{a}` (Volcano's actions: {}, {})",
                    SUPPORTED_ACTIONS.join(", "),
                    PENDING_ACTIONS.join(", ")
                ));
            }
        }
        if actions.is_empty() {
            return Err(format!("{origin}: `actions` names no action tephra can run"));
        }
        let mut tiers = Vec::new();
        for (ti, tier) in raw.tiers.into_iter().enumerate() {
            let mut plugins = Vec::new();
            for p in tier.plugins {
                if SUPPORTED_PLUGINS.contains(&p.name.as_str()) {
                    // Build once to check the arguments now, naming the file and tier.
                    super::plugins::build(&p).map_err(|e| format!("{origin}: tier {}: {e}", ti + 1))?;
                    plugins.push(p);
                } else if PENDING_PLUGINS.contains(&p.name.as_str()) {
                    warnings.push(format!("{origin}: plugin `{}` is not simulated yet; runs without it", p.name));
                } else {
                    return Err(format!("{origin}: tier {}: unknown plugin `{}`", ti + 1, p.name));
                }
            }
            // Volcano's `unmarshalSchedulerConf`: hierarchical drf orders queues itself.
            if plugins.iter().any(|p| p.name == "drf" && p.hierarchy())
                && plugins.iter().any(|p| p.name == "proportion")
            {
                return Err(format!(
                    "{origin}: tier {}: proportion and drf with hierarchy enabled conflicts (Volcano refuses this \
                     configuration; use one of them)",
                    ti + 1
                ));
            }
            tiers.push(Tier { plugins });
        }
        for c in &raw.configurations {
            if !SUPPORTED_ACTIONS.contains(&c.name.as_str()) && !PENDING_ACTIONS.contains(&c.name.as_str()) {
                return Err(format!("{origin}: configuration for unknown action `{}`", c.name));
            }
            // preempt, gangpreempt and gangreclaim read their arguments (and reject unknown ones
            // when the scheduler is built); the others' arguments tune Volcano's implementation
            // (predicate error cache, gate-removal workers) and change no simulated decision.
            if !["preempt", "gangpreempt", "gangreclaim"].contains(&c.name.as_str()) {
                for key in c.arguments.0.keys() {
                    warnings.push(format!("{origin}: action `{}`: argument `{key}` is not simulated; ignored", c.name));
                }
            }
        }
        Ok(SchedulerConf { actions, tiers, configurations: raw.configurations, warnings })
    }

    /// Whether `action` runs.
    pub fn has_action(&self, action: &str) -> bool {
        self.actions.iter().any(|a| a == action)
    }

    /// Arguments of `action` from `configurations`.
    pub fn action_args(&self, action: &str) -> Arguments {
        self.configurations.iter().find(|c| c.name == action).map(|c| c.arguments.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_default_to_true_and_unknowns_are_errors() {
        let conf = SchedulerConf::parse(
            "actions: \"enqueue, allocate, gangpreempt\"\ntiers:\n- plugins:\n  - name: gang\n    enablePreemptable: false\n    enableJobReady: false\n  - name: numaaware\n",
            "t.conf",
        )
        .unwrap();
        assert_eq!(conf.actions, vec!["enqueue", "allocate", "gangpreempt"]);
        assert_eq!(conf.warnings.len(), 1, "only numaaware is not simulated");
        let gang = &conf.tiers[0].plugins[0];
        assert!(!gang.enabled(Hook::JobReady));
        assert!(gang.enabled(Hook::JobOrder));
        assert!(!gang.enabled(Hook::Preemptable));

        let err = SchedulerConf::parse("actions: \"allocate\"\ntiers:\n- plugins:\n  - name: gnag\n", "t.conf");
        assert!(err.unwrap_err().contains("unknown plugin `gnag`"));
        let err = SchedulerConf::parse("actions: \"allocate, fly\"\n", "t.conf");
        assert!(err.unwrap_err().contains("unknown action `fly`"));
        let err = SchedulerConf::parse(
            "actions: \"allocate\"\ntiers:\n- plugins:\n  - name: gang\n    enableJobOrdr: true\n",
            "t.conf",
        );
        let msg = err.unwrap_err();
        assert!(msg.contains("line 5") && msg.contains("enableJobOrdr"), "{msg}");
    }

    #[test]
    fn hierarchical_drf_conflicts_with_proportion_in_the_same_tier() {
        let conf = |tiers: &str| SchedulerConf::parse(&format!("actions: \"allocate\"\ntiers:\n{tiers}"), "h.conf");
        let err = conf("- plugins:\n  - name: drf\n    enableHierarchy: true\n  - name: proportion\n").unwrap_err();
        assert!(err.contains("h.conf: tier 1: proportion and drf with hierarchy enabled conflicts"), "{err}");
        // Other tiers, plain drf, and hierarchical capacity are fine.
        conf("- plugins:\n  - name: drf\n    enableHierarchy: true\n- plugins:\n  - name: proportion\n").unwrap();
        conf("- plugins:\n  - name: drf\n  - name: proportion\n").unwrap();
        let c = conf("- plugins:\n  - name: capacity\n    enableHierarchy: true\n").unwrap();
        assert!(c.tiers[0].plugins[0].hierarchy());
    }

    #[test]
    fn nested_arguments_and_the_documented_usage_conf_parse() {
        // docs/design/usage-based-scheduling.md, Elasticsearch variant.
        let conf = SchedulerConf::parse(
            "actions: \"enqueue, allocate, backfill\"\ntiers:\n- plugins:\n  - name: usage\n    enablePredicate: false\n    arguments:\n      usage.weight: 5\n      cpu.weight: 1\n      memory.weight: 1\n      thresholds:\n        cpu: 80\n        mem: 70\nmetrics:\n  type: elasticsearch\n  address: http://192.168.0.10:9090\n  interval: 30s\n  tls:\n    insecureSkipVerify: \"false\"\n  elasticsearch:\n    index: \"custom-index-name\"\n",
            "u.conf",
        )
        .unwrap();
        let usage = &conf.tiers[0].plugins[0];
        assert!(!usage.enabled(Hook::Predicate));
        let th = usage.arguments.map("thresholds").unwrap().unwrap();
        assert_eq!(th.f64("mem", 0.0).unwrap(), 70.0);
        // Argument errors surface at parse time with the file and tier.
        let err = SchedulerConf::parse(
            "actions: allocate\ntiers:\n- plugins:\n  - name: nodegroup\n    arguments: { strickt: false }\n",
            "n.conf",
        )
        .unwrap_err();
        assert!(err.contains("n.conf") && err.contains("tier 1") && err.contains("strickt"), "{err}");
    }
}
