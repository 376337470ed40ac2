//! The packing experiment of the FGD paper (`run.mode: inflate`): pods arrive one at a time and
//! never leave, each is placed at once by a policy or fails, until the arrived GPU requests reach a
//! target share of the cluster's GPU capacity (130 % in the paper). The curves — allocation ratio,
//! fragmentation amount and rate against arrived workload — are compared across policies and
//! seeds.
//!
//! Arrivals: the pod list shuffled by the seed, then, once it is used up, pods drawn uniformly
//! with replacement (the paper's "inflation"). Placement per pod: the nodes with enough CPU,
//! memory, an allowed GPU model and cards with room; each is scored by the policy
//! ([`crate::sched::plugins::fgd::evaluate`], the same code the Volcano plugins run), turned into
//! the integer score of the paper's simulator ([`crate::sched::plugins::fgd::paper_score`], min-max
//! normalized for bestfit as there), the best score wins, and the pod takes the cards the policy
//! chose. Ties go to the first node in an order drawn per seed ([`Ties::NodeOrder`]: the
//! simulator's patched `selectHost`), or with `ties: random` to a fresh uniform draw per pod
//! (stock kube-scheduler); the random policy always draws uniformly.
//!
//! This is a dedicated loop rather than a Volcano session per pod: the experiment has no queues,
//! gangs or time, and it runs ~10 000 placements on ~1 200 nodes per curve.

use crate::model::devices::WHOLE;
use crate::model::fragmentation::{Mix, Shape, node_frag};
use crate::sched::plugins::fgd::{NodeView, Norm, Policy, affinity, evaluate, paper_normalizes, paper_score};
use crate::trace::openb::{OpenbNode, OpenbPod};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::HashMap;

/// What to run.
#[derive(Clone, Debug, PartialEq)]
pub struct InflateSettings {
    /// Stop once arrived GPU requests reach this share of GPU capacity (1.3 = 130 %).
    pub target: f64,
    /// Seeds (one curve per seed and policy).
    pub seeds: Vec<u64>,
    /// Policies.
    pub policies: Vec<Policy>,
    /// A curve point every this many % of GPU capacity arrived.
    pub step_pct: f64,
    /// Share of pods the typical mix covers (default 0.95, the paper's simulator configurations;
    /// 1 keeps every shape).
    pub typical_share: f64,
    /// How a pod chooses among nodes of equal best score.
    pub ties: Ties,
}

/// Choice among the nodes that share the best score.
///
/// The policies' scores are coarse integers (fgd's `⌊100·sigmoid(Δ/1000)⌋` cannot tell a
/// fragment change of 0 from one of 39 milli-GPUs; packing and clustering have a few dozen
/// values), so most pods have many best nodes and this rule shapes the packing as much as the
/// policy does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ties {
    /// One node order drawn per seed, the first best node in it (the paper's simulator:
    /// kubernetes-scheduler-simulator patches kube-scheduler's `selectHost` to take the
    /// lexicographically smallest name and prefixes node names with a seeded permutation). Every
    /// pod prefers the same nodes, so pods fill a few nodes before starting others.
    NodeOrder,
    /// A fresh uniform draw for every pod (stock kube-scheduler's reservoir sampling), which
    /// spreads pods over all best nodes: on gpushare100 fgd allocates about 5 points less.
    Random,
}

impl Ties {
    /// Parses `node-order` or `random`.
    pub fn parse(v: &str) -> Result<Ties, String> {
        match v {
            "node-order" => Ok(Ties::NodeOrder),
            "random" => Ok(Ties::Random),
            other => Err(format!("`{other}` is not node-order or random")),
        }
    }
}

impl Default for InflateSettings {
    fn default() -> Self {
        InflateSettings {
            target: 1.3,
            seeds: (42..52).collect(),
            policies: Policy::ALL.to_vec(),
            step_pct: 1.0,
            typical_share: crate::model::fragmentation::PAPER_TYPICAL_SHARE,
            ties: Ties::NodeOrder,
        }
    }
}

impl InflateSettings {
    /// Checks a `target` (share of GPU capacity to arrive): in (0, 10].
    pub fn check_target(t: f64) -> Result<f64, String> {
        if t > 0.0 && t <= 10.0 { Ok(t) } else { Err(format!("{t} is not in (0, 10]")) }
    }

    /// Checks a `step_pct`: in (0, 100].
    pub fn check_step_pct(st: f64) -> Result<f64, String> {
        if st > 0.0 && st <= 100.0 { Ok(st) } else { Err(format!("{st} is not in (0, 100]")) }
    }

    /// Checks a `typical_share`: in (0, 1].
    pub fn check_typical_share(ts: f64) -> Result<f64, String> {
        if ts > 0.0 && ts <= 1.0 { Ok(ts) } else { Err(format!("{ts} is not in (0, 1]")) }
    }

    /// A policy by name, or an error listing the six.
    pub fn policy(name: &str) -> Result<Policy, String> {
        Policy::from_name(name)
            .ok_or_else(|| format!("`{name}` is not one of random, dotprod, clustering, packing, bestfit, fgd"))
    }

    /// Sets one field from text (`--set run.inflate.FIELD=VALUE`): `policy` (one policy),
    /// `policies` (several, joined by `+`), `target`, `step_pct`, `typical_share`, `ties`,
    /// `seeds` (joined by `+`).
    pub fn set(&mut self, field: &str, value: &str) -> Result<(), String> {
        let num = |v: &str| v.parse::<f64>().map_err(|e| format!("`{v}`: {e}"));
        match field {
            "policy" => self.policies = vec![Self::policy(value)?],
            "policies" => self.policies = value.split('+').map(|p| Self::policy(p.trim())).collect::<Result<_, _>>()?,
            "target" => self.target = Self::check_target(num(value)?)?,
            "step_pct" => self.step_pct = Self::check_step_pct(num(value)?)?,
            "typical_share" => self.typical_share = Self::check_typical_share(num(value)?)?,
            "ties" => self.ties = Ties::parse(value)?,
            "seeds" => {
                self.seeds = value
                    .split('+')
                    .map(|v| v.trim().parse::<u64>().map_err(|e| format!("seed `{v}`: {e}")))
                    .collect::<Result<_, _>>()?
            }
            other => {
                return Err(format!(
                    "run.inflate has no `{other}` (policy, policies, target, step_pct, typical_share, ties, seeds)"
                ));
            }
        }
        Ok(())
    }
}

/// The packing policy a Volcano configuration places with: the one plugin among the six
/// (`fgd`, `bestfit`, `packing`, `clustering`, `dotprod`, `random`) whose node order is enabled.
/// The packing experiment has no session, so the conf's other plugins do not apply; a conf with
/// none or several of the six is an error rather than a silent choice.
pub fn policy_of_conf(conf: &crate::sched::conf::SchedulerConf) -> Result<Policy, String> {
    let found: Vec<Policy> = conf
        .tiers
        .iter()
        .flat_map(|t| &t.plugins)
        .filter(|p| p.enabled(crate::sched::conf::Hook::NodeOrder))
        .filter_map(|p| Policy::from_name(&p.name))
        .collect();
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err("names none of the packing policies (fgd, bestfit, packing, clustering, dotprod, random) as an \
                   enabled node-order plugin"
            .into()),
        many => Err(format!(
            "names several packing policies ({}); the packing experiment places with one",
            many.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// One column of a comparison: a label and the settings it runs (its policies × its seeds).
#[derive(Clone, Debug)]
pub struct VariantSettings {
    /// Label (table row, `variant` column).
    pub label: String,
    /// What it runs.
    pub settings: InflateSettings,
}

/// The label of one curve family: the variant, or `variant/policy` when it runs several.
fn series_label(v: &VariantSettings, policy: Policy) -> String {
    if v.settings.policies.len() == 1 { v.label.clone() } else { format!("{}/{}", v.label, policy.name()) }
}

/// Runs every variant × policy × seed in parallel (one [`Experiment`] per variant, as the typical
/// mix depends on its `typical_share`) and returns every curve point and the per-curve-family
/// summaries, labelled, in variant then policy order.
pub fn compare(
    nodes: &[OpenbNode],
    pods: &[OpenbPod],
    variants: &[VariantSettings],
) -> (Vec<CurvePoint>, Vec<CurveSummary>) {
    use rayon::prelude::*;
    let exps: Vec<Experiment> =
        variants.par_iter().map(|v| Experiment::new(nodes, pods, v.settings.typical_share)).collect();
    let jobs: Vec<(usize, Policy, u64)> = variants
        .iter()
        .enumerate()
        .flat_map(|(i, v)| {
            v.settings.policies.iter().flat_map(move |p| v.settings.seeds.iter().map(move |s| (i, *p, *s)))
        })
        .collect();
    let curves: Vec<Vec<CurvePoint>> =
        jobs.par_iter().map(|&(i, p, s)| exps[i].run(p, s, &variants[i].settings)).collect();
    let (mut points, mut summary) = (Vec::new(), Vec::new());
    let mut curves = curves.into_iter();
    for v in variants {
        for &policy in &v.settings.policies {
            let label = series_label(v, policy);
            let mine: Vec<CurvePoint> = curves.by_ref().take(v.settings.seeds.len()).flatten().collect();
            let one = InflateSettings { policies: vec![policy], ..v.settings.clone() };
            summary
                .extend(summarize(&mine, &one).into_iter().map(|r| CurveSummary { variant: Some(label.clone()), ..r }));
            points.extend(mine.into_iter().map(|p| CurvePoint { variant: Some(label.clone()), ..p }));
        }
    }
    (points, summary)
}

/// One curve point.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CurvePoint {
    /// In a comparison (`tephra compare`), the curve's label: the variant, or `variant/policy`
    /// when the variant runs several policies. Absent (no column) in `tephra run`'s output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Policy.
    pub policy: &'static str,
    /// Seed.
    pub seed: u64,
    /// Arrived GPU requests, % of GPU capacity.
    pub arrived_pct: f64,
    /// Allocated GPUs, % of capacity.
    pub alloc_pct: f64,
    /// Fragmentation amount, % of capacity.
    pub frag_amount_pct: f64,
    /// Fragmentation rate, % of idle GPU capacity.
    pub frag_rate_pct: f64,
    /// Pods arrived so far.
    pub pods_arrived: u64,
    /// Pods that could not be placed so far.
    pub pods_failed: u64,
}

/// Median and spread of one policy's curves at one arrived level.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CurveSummary {
    /// In a comparison, the curve's label (see [`CurvePoint::variant`]); absent in `tephra run`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Policy.
    pub policy: &'static str,
    /// Arrived GPU requests, % of capacity (the grid point).
    pub arrived_pct: f64,
    /// Seeds that reached this point.
    pub seeds: usize,
    /// Allocation ratio %: median, min, max.
    pub alloc_median: f64,
    /// Minimum over seeds.
    pub alloc_min: f64,
    /// Maximum over seeds.
    pub alloc_max: f64,
    /// Fragmentation amount %: median, min, max.
    pub frag_amount_median: f64,
    /// Minimum over seeds.
    pub frag_amount_min: f64,
    /// Maximum over seeds.
    pub frag_amount_max: f64,
    /// Fragmentation rate %: median.
    pub frag_rate_median: f64,
    /// Minimum over seeds.
    pub frag_rate_min: f64,
    /// Maximum over seeds.
    pub frag_rate_max: f64,
}

/// A node's live state.
#[derive(Clone, Debug)]
struct NodeState {
    cpu_left: i64,
    mem_left: i64,
    free: Vec<i32>,
    group: u32,
    tags: Vec<(i32, u16)>,
    frag: f64,
}

/// The prepared inputs: nodes, pod shapes, typical mix, normalizers.
pub struct Experiment {
    nodes: Vec<NodeState>,
    pods: Vec<(Shape, i64)>,
    mix: Mix,
    norm: Norm,
    capacity: i64,
    /// Sorted distinct CPU requests of the mix: `F_n(M)` depends on a node's free CPU only
    /// through how many of them it covers, which keys the memo.
    cpu_steps: Vec<i64>,
}

/// Key of the fragment memo: group, CPU rank, card count and the free cards sorted.
type FragKey = (u32, u16, u8, [i16; 8]);

/// A multiply-rotate hasher (FxHash's mixing) for the fragment memo: fgd looks the memo up once
/// per candidate card set of every feasible node for every pod (millions of lookups a curve), and
/// SipHash's per-lookup cost was a third of the run. The memo only caches a pure function, so the
/// hasher cannot change a result.
#[derive(Default)]
struct KeyHasher(u64);

impl KeyHasher {
    #[inline]
    fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for KeyHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(w));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.mix(i as u64);
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.mix(i as u64);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.mix(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.mix(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.mix(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The fragment memo.
type Memo = HashMap<FragKey, f64, std::hash::BuildHasherDefault<KeyHasher>>;

impl Experiment {
    /// Prepares nodes and pods; GPU models are the node groups.
    pub fn new(nodes: &[OpenbNode], pods: &[OpenbPod], typical_share: f64) -> Experiment {
        let mut models: Vec<String> = Vec::new();
        let model_id = |m: &str, models: &mut Vec<String>| -> u32 {
            match models.iter().position(|x| x == m) {
                Some(i) => i as u32,
                None => {
                    models.push(m.to_string());
                    models.len() as u32 - 1
                }
            }
        };
        let states: Vec<NodeState> = nodes
            .iter()
            .map(|n| NodeState {
                cpu_left: n.cpu_milli,
                mem_left: n.memory_mib,
                free: vec![WHOLE; n.gpus as usize],
                group: model_id(&n.model, &mut models),
                tags: Vec::new(),
                frag: 0.0,
            })
            .collect();
        let shapes: Vec<(Shape, i64)> = pods
            .iter()
            .map(|p| {
                let d = p.device();
                let mut groups = 0u64;
                for s in &p.gpu_spec {
                    let g = model_id(s, &mut models);
                    if g < 64 {
                        groups |= 1 << g;
                    }
                }
                let shape = Shape {
                    cpu: p.cpu_milli,
                    milli: if d.cards == 0 { 0 } else { d.milli as i32 },
                    cards: d.cards,
                    groups: if d.cards == 0 { 0 } else { groups },
                };
                (shape, p.memory_mib)
            })
            .collect();
        let mix = Mix::typical_covering(shapes.iter().map(|s| s.0), typical_share);
        let mut cpu_steps: Vec<i64> = mix.shapes.iter().map(|(s, _)| s.cpu).collect();
        cpu_steps.sort_unstable();
        cpu_steps.dedup();
        let norm = Norm {
            cpu: nodes.iter().map(|n| n.cpu_milli).max().unwrap_or(1).max(1) as f64,
            gpu: nodes.iter().map(|n| n.gpus).max().unwrap_or(1).max(1) as f64 * WHOLE as f64,
        };
        let capacity = nodes.iter().map(|n| n.gpus as i64).sum::<i64>() * WHOLE as i64;
        let mut e = Experiment { nodes: states, pods: shapes, mix, norm, capacity, cpu_steps };
        let mut memo = Memo::default();
        for i in 0..e.nodes.len() {
            let n = &e.nodes[i];
            let f = e.frag(&mut memo, n.group, n.cpu_left, &n.free.clone());
            e.nodes[i].frag = f;
        }
        e
    }

    /// The typical mix in use.
    pub fn mix(&self) -> &Mix {
        &self.mix
    }

    fn frag(&self, memo: &mut Memo, group: u32, cpu_left: i64, free: &[i32]) -> f64 {
        if free.len() > 8 {
            return node_frag(cpu_left, free, group, &self.mix);
        }
        let rank = self.cpu_steps.partition_point(|c| *c <= cpu_left) as u16;
        let mut sorted = [0i16; 8];
        for (k, f) in free.iter().enumerate() {
            sorted[k] = *f as i16;
        }
        sorted[..free.len()].sort_unstable();
        let key = (group, rank, free.len() as u8, sorted);
        if let Some(v) = memo.get(&key) {
            return *v;
        }
        let v = node_frag(cpu_left, free, group, &self.mix);
        memo.insert(key, v);
        v
    }

    /// Runs one curve.
    pub fn run(&self, policy: Policy, seed: u64, settings: &InflateSettings) -> Vec<CurvePoint> {
        let mut nodes = self.nodes.clone();
        let mut rng = ChaCha8Rng::seed_from_u64(crate::runner::sub_seed(seed, "inflate"));
        let mut order: Vec<usize> = (0..self.pods.len()).collect();
        shuffle(&mut order, &mut rng);
        // Node preference for ties: a seeded permutation, drawn from its own stream so that the
        // pod order does not depend on the rule.
        let mut rank: Vec<u32> = (0..nodes.len() as u32).collect();
        shuffle(&mut rank, &mut ChaCha8Rng::seed_from_u64(crate::runner::sub_seed(seed, "inflate-node-order")));
        // The random policy draws one feasible node uniformly whatever the rule (the paper's
        // RandomScore scores one drawn node 100 and the rest 0).
        let uniform = policy == Policy::Random || settings.ties == Ties::Random;
        let mut memo = Memo::default();
        let goal = (settings.target * self.capacity as f64).ceil() as i64;
        let step = (settings.step_pct.max(0.01) / 100.0 * self.capacity as f64).max(1.0);
        let (mut arrived, mut allocated, mut idle) = (0i64, 0i64, self.capacity);
        let mut frag_total: f64 = nodes.iter().map(|n| n.frag).sum();
        let (mut n_arrived, mut n_failed) = (0u64, 0u64);
        let mut next_mark = step;
        let mut out = Vec::new();
        let mut k = 0usize;
        let mut scored: Vec<(i64, usize, u64)> = Vec::with_capacity(nodes.len());
        let point = |arrived: i64, allocated: i64, idle: i64, frag: f64, na: u64, nf: u64| CurvePoint {
            variant: None,
            policy: policy.name(),
            seed,
            arrived_pct: 100.0 * arrived as f64 / self.capacity as f64,
            alloc_pct: 100.0 * allocated as f64 / self.capacity as f64,
            frag_amount_pct: 100.0 * frag / self.capacity as f64,
            frag_rate_pct: if idle > 0 { 100.0 * frag / idle as f64 } else { 0.0 },
            pods_arrived: na,
            pods_failed: nf,
        };
        out.push(point(0, 0, idle, frag_total, 0, 0));
        while arrived < goal && !self.pods.is_empty() {
            let p = if k < order.len() { order[k] } else { rng.random_range(0..self.pods.len()) };
            k += 1;
            let (shape, mem) = self.pods[p];
            let salt: u64 = rng.random();
            scored.clear();
            for (i, n) in nodes.iter().enumerate() {
                if n.cpu_left < shape.cpu || n.mem_left < mem {
                    continue;
                }
                let view = NodeView { cpu_left: n.cpu_left, free: &n.free, group: n.group, tags: &n.tags };
                let before = n.frag;
                let (group, cpu0) = (n.group, n.cpu_left);
                let mut f = |cpu: i64, free: &[i32]| {
                    if cpu == cpu0 && free == view.free { before } else { self.frag(&mut memo, group, cpu, free) }
                };
                let Some((s, cards)) =
                    evaluate(policy, &view, &shape, self.norm, salt ^ (i as u64).wrapping_mul(0x9E37), &mut f)
                else {
                    continue;
                };
                scored.push((paper_score(policy, s), i, cards));
            }
            if paper_normalizes(policy) && !scored.is_empty() {
                let lo = scored.iter().map(|x| x.0).min().expect("non-empty");
                let hi = scored.iter().map(|x| x.0).max().expect("non-empty");
                for x in scored.iter_mut() {
                    x.0 = if hi == lo { 0 } else { (x.0 - lo) * 100 / (hi - lo) };
                }
            }
            let best = pick(&scored, if uniform { None } else { Some(&rank) }, &mut rng);
            let total = shape.milli as i64 * shape.cards as i64;
            arrived += total;
            n_arrived += 1;
            match best {
                None => n_failed += 1,
                Some((_, i, cards)) => {
                    let n = &mut nodes[i];
                    n.cpu_left -= shape.cpu;
                    n.mem_left -= mem;
                    for (c, f) in n.free.iter_mut().enumerate() {
                        if cards & (1 << c) != 0 {
                            *f -= shape.milli;
                        }
                    }
                    if shape.cards > 0 {
                        n.tags.push(affinity(shape.milli, shape.cards));
                    }
                    allocated += total;
                    idle -= total;
                    let free = n.free.clone();
                    let (g, cpu) = (n.group, n.cpu_left);
                    let f = self.frag(&mut memo, g, cpu, &free);
                    frag_total += f - nodes[i].frag;
                    nodes[i].frag = f;
                }
            }
            while arrived as f64 >= next_mark {
                out.push(point(arrived, allocated, idle, frag_total, n_arrived, n_failed));
                next_mark += step;
            }
        }
        out
    }
}

/// Fisher-Yates with one `random_range(0..=i)` draw per position from the end (the curves of
/// earlier versions depend on exactly these draws).
fn shuffle<T>(v: &mut [T], rng: &mut ChaCha8Rng) {
    for i in (1..v.len()).rev() {
        let j = rng.random_range(0..=i);
        v.swap(i, j);
    }
}

/// The best-scored `(score, node, cards)`: among equal scores the node first in `rank` (lowest
/// rank), or with no rank a uniform draw (reservoir sampling, one draw per tie).
fn pick(scored: &[(i64, usize, u64)], rank: Option<&[u32]>, rng: &mut ChaCha8Rng) -> Option<(i64, usize, u64)> {
    let mut best: Option<(i64, usize, u64)> = None;
    let mut ties = 0u32;
    for &(s, i, cards) in scored {
        match best {
            Some((b, _, _)) if s < b => {}
            Some((b, j, _)) if s == b => match rank {
                Some(r) => {
                    if r[i] < r[j] {
                        best = Some((s, i, cards));
                    }
                }
                None => {
                    ties += 1;
                    if rng.random_range(0..ties) == 0 {
                        best = Some((s, i, cards));
                    }
                }
            },
            _ => {
                ties = 1;
                best = Some((s, i, cards));
            }
        }
    }
    best
}

/// Runs every policy × seed in parallel (rayon; each run is single-threaded and seeded, so the
/// points do not depend on the thread count) and returns them in (policy, seed) order.
pub fn run_all(exp: &Experiment, settings: &InflateSettings) -> Vec<CurvePoint> {
    use rayon::prelude::*;
    let jobs: Vec<(Policy, u64)> =
        settings.policies.iter().flat_map(|p| settings.seeds.iter().map(move |s| (*p, *s))).collect();
    let results: Vec<Vec<CurvePoint>> = jobs.par_iter().map(|&(p, s)| exp.run(p, s, settings)).collect();
    results.into_iter().flatten().collect()
}

fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
    let n = v.len();
    let median = if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 };
    (median, v[0], v[n - 1])
}

/// Median, min and max over seeds per policy on the grid of arrived levels. A curve's point for a
/// level is the one [`Experiment::run`] emitted when the arrived workload crossed it (its first
/// point at or above the level); a curve that ended before (a pod list too small to reach the
/// level) has no value there.
pub fn summarize(points: &[CurvePoint], settings: &InflateSettings) -> Vec<CurveSummary> {
    let mut out = Vec::new();
    let levels = (settings.target * 100.0 / settings.step_pct).floor() as usize;
    for policy in &settings.policies {
        let curves: Vec<Vec<&CurvePoint>> = settings
            .seeds
            .iter()
            .map(|s| points.iter().filter(|p| p.policy == policy.name() && p.seed == *s).collect())
            .collect();
        for l in 0..=levels {
            let level = l as f64 * settings.step_pct;
            let at: Vec<&CurvePoint> =
                curves.iter().filter_map(|c| c.iter().find(|p| p.arrived_pct >= level - 1e-9).copied()).collect();
            if at.is_empty() {
                continue;
            }
            let (am, a0, a1) = stats(at.iter().map(|p| p.alloc_pct).collect());
            let (fm, f0, f1) = stats(at.iter().map(|p| p.frag_amount_pct).collect());
            let (rm, r0, r1) = stats(at.iter().map(|p| p.frag_rate_pct).collect());
            out.push(CurveSummary {
                variant: None,
                policy: policy.name(),
                arrived_pct: level,
                seeds: at.len(),
                alloc_median: am,
                alloc_min: a0,
                alloc_max: a1,
                frag_amount_median: fm,
                frag_amount_min: f0,
                frag_amount_max: f1,
                frag_rate_median: rm,
                frag_rate_min: r0,
                frag_rate_max: r1,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, gpus: u32) -> OpenbNode {
        OpenbNode { name: name.into(), cpu_milli: 64000, memory_mib: 262144, gpus, model: "G2".into() }
    }

    fn pod(milli: u32, n: u32) -> OpenbPod {
        OpenbPod {
            name: "p".into(),
            cpu_milli: 1000,
            memory_mib: 1024,
            num_gpu: n,
            gpu_milli: milli,
            gpu_spec: vec![],
            creation_s: None,
            deletion_s: None,
        }
    }

    #[test]
    fn a_level_takes_the_point_emitted_on_crossing_it() {
        let pt = |seed: u64, arrived: f64, alloc: f64| CurvePoint {
            variant: None,
            policy: "fgd",
            seed,
            arrived_pct: arrived,
            alloc_pct: alloc,
            frag_amount_pct: 0.0,
            frag_rate_pct: 0.0,
            pods_arrived: 0,
            pods_failed: 0,
        };
        let points = vec![
            pt(1, 0.0, 0.0),
            pt(1, 10.5, 10.5),
            pt(1, 20.2, 15.0),
            pt(2, 0.0, 0.0),
            pt(2, 10.1, 9.0),
            pt(2, 21.0, 18.0),
        ];
        let settings = InflateSettings {
            target: 0.2,
            seeds: vec![1, 2],
            policies: vec![Policy::Fgd],
            step_pct: 10.0,
            typical_share: 1.0,
            ties: Ties::NodeOrder,
        };
        let s = summarize(&points, &settings);
        let at = |l: f64| s.iter().find(|r| r.arrived_pct == l).map(|r| (r.alloc_median, r.alloc_min, r.alloc_max));
        assert_eq!(at(0.0), Some((0.0, 0.0, 0.0)));
        // Level 10: seed 1's point at 10.5 %, seed 2's at 10.1 % (not the points at 0).
        assert_eq!(at(10.0), Some((9.75, 9.0, 10.5)));
        assert_eq!(at(20.0), Some((16.5, 15.0, 18.0)));
    }

    #[test]
    fn fills_to_the_target_and_never_over_allocates() {
        let nodes = vec![node("a", 2), node("b", 1)];
        let pods = vec![pod(500, 1), pod(1000, 1), pod(300, 1)];
        let settings = InflateSettings {
            target: 1.3,
            seeds: vec![1, 2],
            policies: Policy::ALL.to_vec(),
            step_pct: 10.0,
            typical_share: 0.95,
            ties: Ties::NodeOrder,
        };
        let exp = Experiment::new(&nodes, &pods, settings.typical_share);
        let points = run_all(&exp, &settings);
        for p in &points {
            assert!(p.alloc_pct <= 100.0 + 1e-9 && p.alloc_pct <= p.arrived_pct + 1e-9, "{p:?}");
            assert!(p.frag_amount_pct >= 0.0 && p.frag_amount_pct <= 100.0 - p.alloc_pct + 1e-9, "{p:?}");
        }
        for policy in Policy::ALL {
            let last = points.iter().rfind(|p| p.policy == policy.name()).unwrap();
            assert!(last.arrived_pct >= 130.0, "{last:?}");
        }
        // Deterministic per seed.
        assert_eq!(run_all(&exp, &settings), points);
        let summary = summarize(&points, &settings);
        assert!(summary.iter().all(|s| s.alloc_min <= s.alloc_median && s.alloc_median <= s.alloc_max));
    }

    #[test]
    fn ties_go_to_the_first_node_in_the_order_or_to_a_uniform_draw() {
        // Nodes 1, 2 and 3 share the best score 7; node 0 scores less.
        let scored = [(5, 0, 0b1), (7, 1, 0b10), (7, 2, 0b100), (7, 3, 0b1000)];
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        // Node order 3, 2, 0, 1 (node 2 has rank 0): node 2 whatever the draw.
        let rank = [2, 3, 0, 1];
        for _ in 0..10 {
            assert_eq!(pick(&scored, Some(&rank), &mut rng), Some((7, 2, 0b100)));
        }
        // Uniform: each best node about a third of the time, never node 0.
        let mut seen = [0u32; 4];
        for _ in 0..3000 {
            seen[pick(&scored, None, &mut rng).unwrap().1] += 1;
        }
        assert_eq!(seen[0], 0);
        assert!(seen[1..].iter().all(|&n| (900..1100).contains(&n)), "{seen:?}");
        assert_eq!(pick(&[], Some(&rank), &mut rng), None);
    }
}
