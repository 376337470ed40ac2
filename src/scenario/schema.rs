//! The scenario YAML as written. Every struct denies unknown keys, so a typo is an error with its
//! line instead of a silently different run. Values that need parsing (quantities, durations) keep
//! their location for the validation errors that come after deserialization.

use crate::sched::conf::RawConf;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

/// A quantity or duration as written: a number or a string, with where it was written.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    /// A bare number.
    Num(f64),
    /// Text such as `16Gi` or `5m`.
    Text(String),
}

impl Scalar {
    /// The text form (`8`, `16Gi`).
    pub fn text(&self) -> String {
        match self {
            Scalar::Num(n) => format!("{n}"),
            Scalar::Text(s) => s.clone(),
        }
    }
}

/// A value with its source location.
pub type At<T> = Spanned<T>;

/// Top level.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// Scenario name (default output folder `reports/<name>/`).
    pub name: String,
    /// Root seed (default 1).
    #[serde(default)]
    pub seed: Option<u64>,
    /// The simulated fleet.
    pub fleet: RawFleet,
    /// Queues; when absent, one queue per queue name in the trace, weight 1.
    #[serde(default)]
    pub queues: Option<Vec<RawQueue>>,
    /// Where the jobs come from.
    pub workload: RawWorkload,
    /// PriorityClass name → value (`scheduling.k8s.io/v1 PriorityClass`), usable by name in the
    /// trace's `priority` column.
    #[serde(default)]
    pub priority_classes: BTreeMap<String, i32>,
    /// The policy.
    #[serde(default)]
    pub scheduler: Option<RawScheduler>,
    /// Failure models: node and card faults, fault lists, maintenance, spares.
    #[serde(default)]
    pub faults: Option<super::faults::RawFaults>,
    /// Job controller defaults: lifecycle policies, maxRetry, checkpoints, elastic scaling.
    #[serde(default)]
    pub recovery: Option<super::faults::RawRecovery>,
    /// Run settings.
    #[serde(default)]
    pub run: Option<RawRun>,
}

/// `fleet:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFleet {
    /// Node pools.
    #[serde(default)]
    pub pools: Vec<RawPool>,
    /// `kubectl get nodes -o json` output whose nodes become more pools (see `crate::k8s::nodes`).
    #[serde(default)]
    pub from_nodes: Option<At<String>>,
    /// An openb node list (`sn,cpu_milli,memory_mib,gpu,model`) instead of pools: identical
    /// nodes become one pool each.
    #[serde(default)]
    pub node_list: Option<At<String>>,
    /// Track which card each pod holds even when no pod shares a card (default: tracked only
    /// when the workload shares cards or a device plugin is configured).
    #[serde(default)]
    pub track_cards: Option<bool>,
    /// A table of relative throughput per accelerator model (`model,relative_throughput` CSV,
    /// e.g. `traces/gavel/gpu_speeds.csv`): jobs run faster on faster cards.
    #[serde(default)]
    pub speeds: Option<At<String>>,
    /// HyperNode topology: a regular shape, an explicit list, or a file.
    #[serde(default)]
    pub topology: Option<At<RawTopology>>,
}

/// `fleet.topology:` — exactly one of `tiers`, `hypernodes` or `file`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTopology {
    /// Regular shape, tier 1 first: `[{ name: leaf, nodes_per: 8 }, { name: spine, children_per: 4 }]`.
    #[serde(default)]
    pub tiers: Option<Vec<RawTierShape>>,
    /// Apply the shape to each pool on its own (true) or to the fleet's nodes in order (default).
    #[serde(default)]
    pub per_pool: Option<bool>,
    /// Explicit HyperNodes (the CRD's name, tier, tierName and members).
    #[serde(default)]
    pub hypernodes: Option<Vec<RawHyperNode>>,
    /// A topology file (`format: lingjun`: the Alibaba Lingjun 2023 `topo.csv`).
    #[serde(default)]
    pub file: Option<At<String>>,
    /// Format of `file` (`lingjun`).
    #[serde(default)]
    pub format: Option<At<String>>,
}

/// One tier of a regular shape.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTierShape {
    /// Tier name (`leaf`, `spine`).
    pub name: At<String>,
    /// Tier 1: nodes per HyperNode.
    #[serde(default)]
    pub nodes_per: Option<u32>,
    /// Higher tiers: HyperNodes of the tier below per HyperNode.
    #[serde(default)]
    pub children_per: Option<u32>,
}

/// One explicit HyperNode.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHyperNode {
    /// Unique name.
    pub name: At<String>,
    /// Tier (≥ 1; lower = more bandwidth).
    pub tier: u32,
    /// Tier name.
    #[serde(default)]
    pub tier_name: Option<String>,
    /// Member nodes, by name (`gpu-000`).
    #[serde(default)]
    pub nodes: Vec<String>,
    /// Member HyperNodes of lower tiers, by name.
    #[serde(default)]
    pub hypernodes: Vec<String>,
}

/// A job's `networkTopology` as a scenario default.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNetworkTopology {
    /// `hard` or `soft`.
    pub mode: At<String>,
    /// Highest tier the gang may span.
    #[serde(default, rename = "highestTierAllowed")]
    pub highest_tier_allowed: Option<At<u32>>,
    /// The same bound by tier name (resolved against the declared topology).
    #[serde(default, rename = "highestTierName")]
    pub highest_tier_name: Option<At<String>>,
}

/// One pool.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPool {
    /// Pool name.
    pub name: At<String>,
    /// Number of nodes.
    pub count: u32,
    /// CPU per node (`128`, `96500m`).
    pub cpu: At<Scalar>,
    /// Memory per node (`1Ti`).
    pub memory: At<Scalar>,
    /// NVIDIA GPUs per node.
    #[serde(default)]
    pub gpu: Option<RawAccelerator>,
    /// Ascend NPUs per node.
    #[serde(default)]
    pub npu: Option<RawAccelerator>,
    /// Other extended resources per node (`kunlunxin.com/xpu`, `rdma/hca`, …), bound to the
    /// spare scalar slots (see `crate::model::scalar_names`).
    #[serde(default)]
    pub extended: Vec<RawExtended>,
    /// Extra node labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Pod limit per node (default 110).
    #[serde(default)]
    pub max_pods: Option<u32>,
    /// What a node of the pool costs (`tephra plan` prices fleets with it).
    #[serde(default)]
    pub cost: Option<RawCost>,
}

/// One extended resource of a pool's nodes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExtended {
    /// Resource name as Kubernetes writes it (`kunlunxin.com/xpu`).
    pub name: At<String>,
    /// Amount per node (`8`, `1k`).
    pub count: At<Scalar>,
    /// Whether it is an accelerator: counted in accelerator utilization (default: true for the
    /// known device-plugin names such as `kunlunxin.com/xpu`, false otherwise).
    #[serde(default)]
    pub accelerator: Option<bool>,
    /// Accelerator model (`P800`): the pool's model label, which trace rows select with
    /// `gpu_model` (their `gpu` column then counts units of this resource).
    #[serde(default)]
    pub model: Option<String>,
}

/// A pool's price, for capacity planning.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCost {
    /// Cost of one node for one hour, in any currency unit (default 1: cost = node-hours).
    pub per_node_hour: f64,
}

/// Accelerators of a pool.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccelerator {
    /// Model (`H100-80G`, `Ascend910B`).
    pub model: String,
    /// Cards per node.
    pub count: u32,
    /// Memory per card (GPU sharing by memory, vGPU, vNPU).
    #[serde(default)]
    pub memory: Option<At<Scalar>>,
    /// Ascend 310P only: AI cores per chip, which vNPU templates take (default 8). An error on
    /// other cards, whose shares are fractions of a card.
    #[serde(default)]
    pub compute_units: Option<u32>,
    /// Most sharing pods per card (vGPU split count, default 10).
    #[serde(default)]
    pub max_shares: Option<u16>,
    /// Relative throughput of the model (default: from `fleet.speeds`, else 1).
    #[serde(default)]
    pub speed: Option<f64>,
}

/// One queue.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawQueue {
    /// Queue name.
    pub name: At<String>,
    /// Weight (default 1).
    #[serde(default)]
    pub weight: Option<u32>,
    /// Upper bound per resource (`{gpu: 64}`).
    #[serde(default)]
    pub capability: Option<BTreeMap<String, At<Scalar>>>,
    /// Reserved resources.
    #[serde(default)]
    pub guarantee: Option<BTreeMap<String, At<Scalar>>>,
    /// User-specified deserved share (capacity plugin).
    #[serde(default)]
    pub deserved: Option<BTreeMap<String, At<Scalar>>>,
    /// Queue priority.
    #[serde(default)]
    pub priority: Option<i32>,
    /// `open` (default) or `closed`.
    #[serde(default)]
    pub state: Option<At<String>>,
    /// Whether other queues may reclaim from it (default true).
    #[serde(default)]
    pub reclaimable: Option<bool>,
    /// Parent queue (`spec.parent`, hierarchical capacity); default `root`.
    #[serde(default)]
    pub parent: Option<At<String>>,
    /// Queue annotations (`volcano.sh/hierarchy`, `volcano.sh/hierarchy-weights` for hierarchical DRF).
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// `spec.affinity` (nodegroup plugin), written as in the Queue CRD.
    #[serde(default)]
    pub affinity: Option<RawQueueAffinity>,
}

/// A queue's `affinity:` (`nodeGroupAffinity`, `nodeGroupAntiAffinity`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawQueueAffinity {
    /// Groups the queue's pods must (required) or should (preferred) use.
    #[serde(default)]
    pub node_group_affinity: Option<RawNodeGroupTerms>,
    /// Groups the queue's pods must not (required) or should not (preferred) use.
    #[serde(default)]
    pub node_group_anti_affinity: Option<RawNodeGroupTerms>,
}

/// Required and preferred node group lists.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawNodeGroupTerms {
    /// `requiredDuringSchedulingIgnoredDuringExecution`.
    #[serde(default)]
    pub required_during_scheduling_ignored_during_execution: Vec<String>,
    /// `preferredDuringSchedulingIgnoredDuringExecution`.
    #[serde(default)]
    pub preferred_during_scheduling_ignored_during_execution: Vec<String>,
}

/// `workload:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorkload {
    /// Trace path (or give `synth`).
    #[serde(default)]
    pub trace: Option<At<String>>,
    /// A YAML file of Volcano Jobs / PodGroups (templates a trace row names with role `@name`),
    /// Queues (used when `queues:` is absent) and PriorityClasses (see `crate::k8s::objects`).
    #[serde(default)]
    pub templates: Option<At<String>>,
    /// A synthetic workload instead of a trace file (see `crate::trace::synth`).
    #[serde(default)]
    pub synth: Option<At<crate::trace::synth::SynthSpec>>,
    /// Trace format (default `native`; `auto` detects it; see `crate::trace::Format` for the names:
    /// philly, philly-json, helios, gavel, sia/pollux, tiresias, pai2020, dlrm2025).
    #[serde(default)]
    pub format: Option<At<String>>,
    /// Simulated node metrics for the usage plugin: what running pods use as a fraction of their
    /// request, per resource (`{cpu: 0.6, memory: 0.8}`); a job's `tephra.io/usage-ratio-cpu` /
    /// `-memory` annotation overrides it. Default 1.
    #[serde(default)]
    pub usage_ratio: Option<BTreeMap<String, At<Scalar>>>,
    /// Default network topology constraint (`networkTopology: {mode, highestTierAllowed}`) for
    /// jobs whose trace row does not set `volcano.sh/network-topology-*` annotations.
    #[serde(default)]
    pub network_topology: Option<RawNetworkTopology>,
}

/// `scheduler:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScheduler {
    /// `volcano` (default) or `kube-default`.
    #[serde(default)]
    pub policy: Option<At<String>>,
    /// Path of a `volcano-scheduler.conf`.
    #[serde(default)]
    pub conf: Option<At<String>>,
    /// A configuration written inline.
    #[serde(default)]
    pub inline: Option<RawConf>,
    /// `volcano` (default) or `exhaustive`.
    #[serde(default)]
    pub node_scan: Option<At<String>>,
    /// Cycle period (default `1s`).
    #[serde(default)]
    pub schedule_period: Option<At<Scalar>>,
}

/// `run:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRun {
    /// `drained` (default) or a duration of simulated time.
    #[serde(default)]
    pub until: Option<At<Scalar>>,
    /// Timeline sampling period (default `5m`).
    #[serde(default)]
    pub sample_every: Option<At<Scalar>>,
    /// Bind to running (default `5s`).
    #[serde(default)]
    pub pod_startup: Option<At<Scalar>>,
    /// PodGroup admitted to pods created (default `0s`).
    #[serde(default)]
    pub controller_delay: Option<At<Scalar>>,
    /// Termination grace of killed and evicted pods: their resources stay Releasing this long
    /// (default `30s`, Kubernetes' `terminationGracePeriodSeconds`).
    #[serde(default)]
    pub termination_grace: Option<At<Scalar>>,
    /// Write `decisions.csv`, the log of every enqueue, bind and eviction (default false).
    #[serde(default)]
    pub decisions: Option<bool>,
    /// Wall-clock time at simulated t = 0: `HH:MM[:SS]` or `YYYY-MM-DDTHH:MM[:SS]` (default
    /// midnight). Time-of-day plugins (tdm's revocable windows) read it.
    #[serde(default)]
    pub start: Option<At<String>>,
    /// `simulate` (default) or `inflate` (the FGD paper's packing experiment).
    #[serde(default)]
    pub mode: Option<At<String>>,
    /// Settings of `mode: inflate`.
    #[serde(default)]
    pub inflate: Option<RawInflate>,
}

/// `run.inflate:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInflate {
    /// Arrived GPU requests to reach, as a share of GPU capacity (default 1.3).
    #[serde(default)]
    pub target: Option<f64>,
    /// Seeds, one curve each (default 42 to 51).
    #[serde(default)]
    pub seeds: Option<Vec<u64>>,
    /// Policies (default all six: random, dotprod, clustering, packing, bestfit, fgd).
    #[serde(default)]
    pub policies: Option<Vec<At<String>>>,
    /// A curve point every this many % of capacity arrived (default 1).
    #[serde(default)]
    pub step_pct: Option<f64>,
    /// Share of pods the typical task mix covers, most popular shapes first (default 0.95).
    #[serde(default)]
    pub typical_share: Option<f64>,
    /// Choice among equally scored nodes: `node-order` (default, as the paper's simulator) or
    /// `random`.
    #[serde(default)]
    pub ties: Option<At<String>>,
}
