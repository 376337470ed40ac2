//! The six GPU-sharing placement policies of the FGD paper (Weng et al., USENIX ATC'23, §6;
//! scorers of its simulator `hkust-adsl/kubernetes-scheduler-simulator`), as NodeOrder plugins
//! that also choose the card(s):
//!
//! - `fgd`: fragmentation gradient descent: the node and card whose placement grows the node's
//!   expected fragment `F_n(M)` the least (score = `F_n(M)` before − after, milli-GPUs).
//! - `bestfit`: the node with the least CPU and GPU left after placement (`1 − Σ ½·left/max`).
//! - `packing`: GPU packing: shared cards first (the fuller the better), then fully free cards of
//!   a used node (the fewer the better), then empty nodes.
//! - `clustering`: GPU clustering: nodes whose GPU pods all have the task's affinity (a share of
//!   one card, or a count of whole cards: [`affinity`]), then nodes with it among others, then
//!   empty nodes, then the rest; fuller nodes first in each class.
//! - `dotprod`: Tetris-style alignment: `1 − ½·(node free · task request)` over the node's card
//!   groups (each partly used card, and the fully free cards together), normalized by the
//!   largest node; the best group gives the cards.
//! - `random`: a pseudo-random score and card (seeded).
//!
//! The card choice is the paper's: fgd takes the card that minimizes the fragment after placement,
//! dotprod the best group, random a random fitting card, the others the best-fitting card
//! (least free capacity that still holds the request). Whole-card tasks take the lowest-numbered
//! fully free cards. As Volcano plugins the scores are kept as real numbers; the packing experiment
//! (`crate::sim::inflate`) truncates them to the Go simulator's integers ([`paper_score`]), where
//! most pods find many best nodes and the tie rule matters.

use crate::model::devices::{CardState, WHOLE};
use crate::model::fragmentation::{Mix, Shape, node_frag};
use crate::model::{ClusterState, Node, Task, TaskStatus};
use crate::sched::conf::{Arguments, Hook};
use crate::sched::plugin::Plugin;

/// One of the paper's policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Fragmentation gradient descent.
    Fgd,
    /// Best fit.
    BestFit,
    /// GPU packing.
    Packing,
    /// GPU clustering.
    Clustering,
    /// Dot product (Tetris).
    DotProd,
    /// Random.
    Random,
}

impl Policy {
    /// All six, in the paper's order.
    pub const ALL: [Policy; 6] =
        [Policy::Random, Policy::DotProd, Policy::Clustering, Policy::Packing, Policy::BestFit, Policy::Fgd];

    /// The plugin name.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Fgd => "fgd",
            Policy::BestFit => "bestfit",
            Policy::Packing => "packing",
            Policy::Clustering => "clustering",
            Policy::DotProd => "dotprod",
            Policy::Random => "random",
        }
    }

    /// The policy of a plugin name.
    pub fn from_name(name: &str) -> Option<Policy> {
        Policy::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// A node as the policies see it.
#[derive(Clone, Copy, Debug)]
pub struct NodeView<'a> {
    /// Free CPU, millicores.
    pub cpu_left: i64,
    /// Free milli-GPUs of each card.
    pub free: &'a [i32],
    /// Node group (GPU model / pool) for the shapes' allowed groups.
    pub group: u32,
    /// GPU affinity tags ([`affinity`]) of the GPU tasks on the node (clustering).
    pub tags: &'a [(i32, u16)],
}

/// The GPU affinity tag GPU clustering groups tasks by: every share of one card is one class
/// ("share-gpu"), whole cards are classed by their count ("2-gpu"). The paper's simulator tags
/// pods this way (`GetGpuAffinityFromPodAnnotation`); tagging shares by their size instead split
/// sharing-heavy workloads into dozens of classes that never cluster (gpushare100: 71 % allocated
/// against the artifact's 82-83 %).
pub fn affinity(milli: i32, cards: u16) -> (i32, u16) {
    if cards == 1 && milli < WHOLE { (0, 1) } else { (WHOLE, cards) }
}

/// Normalizers: the largest node's CPU and GPU capacity.
#[derive(Clone, Copy, Debug)]
pub struct Norm {
    /// Millicores.
    pub cpu: f64,
    /// Milli-GPUs.
    pub gpu: f64,
}

/// A 64-bit mix (SplitMix64 finalizer), for seeded pseudo-random scores without state.
pub fn mix64(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Candidate card sets of one node, at most one per card (a node has at most 64 cards), kept on
/// the stack: the packing experiment asks for them on every feasible node for every pod.
#[derive(Clone, Copy)]
pub struct Cands {
    len: u8,
    masks: [u64; 64],
}

impl Cands {
    const EMPTY: Cands = Cands { len: 0, masks: [0; 64] };

    fn push(&mut self, mask: u64) {
        self.masks[self.len as usize] = mask;
        self.len += 1;
    }
}

impl std::ops::Deref for Cands {
    type Target = [u64];
    fn deref(&self) -> &[u64] {
        &self.masks[..self.len as usize]
    }
}

/// Candidate card sets for `m` on the node: for a share of one card, each fitting card (one per
/// distinct free amount, the lowest-numbered); otherwise the best-fitting cards together (the
/// lowest-numbered fully free ones for whole cards). Empty when the cards do not fit.
pub fn candidates(free: &[i32], m: &Shape) -> Cands {
    let mut out = Cands::EMPTY;
    if m.cards == 0 || m.milli <= 0 {
        out.push(0);
        return out;
    }
    let need = m.cards as usize;
    if need == 1 && m.milli < WHOLE {
        let mut seen = [0i32; 64];
        for (i, f) in free.iter().enumerate().take(64) {
            if *f >= m.milli && !seen[..out.len as usize].contains(f) {
                seen[out.len as usize] = *f;
                out.push(1 << i);
            }
        }
        return out;
    }
    let mut fitting = [0u8; 64];
    let mut n = 0;
    for (i, f) in free.iter().enumerate().take(64) {
        if *f >= m.milli {
            fitting[n] = i as u8;
            n += 1;
        }
    }
    if n < need {
        return out;
    }
    if m.milli < WHOLE {
        // (free, index) keys are distinct: an unstable sort gives the stable order.
        fitting[..n].sort_unstable_by_key(|&i| (free[i as usize], i));
    }
    out.push(fitting[..need].iter().fold(0u64, |a, &i| a | 1 << i));
    out
}

/// The best-fitting candidate (least free capacity on the chosen cards).
fn best_fit(free: &[i32], cands: &[u64]) -> u64 {
    *cands.iter().min_by_key(|&&c| (sum_masked(free, c), c.trailing_zeros())).expect("non-empty")
}

fn sum_masked(free: &[i32], mask: u64) -> i64 {
    (0..free.len()).filter(|i| mask & (1 << i) != 0).map(|i| free[i] as i64).sum()
}

/// The free cards after placing `m` on `mask`.
pub fn after(free: &[i32], m: &Shape, mask: u64) -> Vec<i32> {
    free.iter().enumerate().map(|(i, f)| if mask & (1 << i) != 0 { f - m.milli } else { *f }).collect()
}

/// Scores placing `m` on the node under `policy` and picks its cards: `(score, cards)`, higher
/// is better; `None` if the node cannot host it. `frag(cpu_left, free)` is `F_n(M)` (callers
/// may memoize it); `salt` seeds the random policy.
pub fn evaluate(
    policy: Policy,
    v: &NodeView,
    m: &Shape,
    norm: Norm,
    salt: u64,
    frag: &mut dyn FnMut(i64, &[i32]) -> f64,
) -> Option<(f64, u64)> {
    if v.cpu_left < m.cpu || (m.milli > 0 && !m.allows(v.group)) {
        return None;
    }
    let cands = candidates(v.free, m);
    if cands.is_empty() {
        return None;
    }
    let total_req = m.milli as f64 * m.cards as f64;
    let left: i64 = v.free.iter().map(|f| *f as i64).sum();
    Some(match policy {
        Policy::Fgd => {
            let before = frag(v.cpu_left, v.free);
            let mut best: Option<(f64, u64)> = None;
            let mut buf = [0i32; 64];
            let cards = &mut buf[..v.free.len()];
            for c in cands.iter() {
                for (i, (b, f)) in cards.iter_mut().zip(v.free).enumerate() {
                    *b = if c & (1 << i) != 0 { f - m.milli } else { *f };
                }
                let a = frag(v.cpu_left - m.cpu, cards);
                let s = before - a;
                if best.is_none_or(|(b, _)| s > b) {
                    best = Some((s, *c));
                }
            }
            best.expect("non-empty")
        }
        Policy::BestFit => {
            let s = 0.5 * (v.cpu_left - m.cpu) as f64 / norm.cpu + 0.5 * (left as f64 - total_req) / norm.gpu;
            (1.0 - s, best_fit(v.free, &cands))
        }
        Policy::Packing => {
            let c = best_fit(v.free, &cands);
            if m.milli <= 0 {
                return Some((0.0, c));
            }
            let fully = v.free.iter().filter(|f| **f == WHOLE).count() as f64;
            if fully as usize == v.free.len() {
                ((100.0 / 3.0 - fully).max(fully), c)
            } else {
                let used: Vec<usize> = (0..v.free.len()).filter(|i| c & (1 << i) != 0).collect();
                let full_used = used.iter().filter(|&&i| v.free[i] == WHOLE).count() as f64;
                if full_used > 0.0 {
                    ((50.0 - full_used).max(100.0 / 3.0), c)
                } else {
                    // Integer arithmetic as in the simulator: each card's free share in whole
                    // percent, their sum in tens (a card 550 free scores 95, as 500 does).
                    let ratio: i64 = used.iter().map(|&i| v.free[i] as i64 * 100 / WHOLE as i64).sum();
                    ((100 - ratio / 10).max(50) as f64, c)
                }
            }
        }
        Policy::Clustering => {
            let c = best_fit(v.free, &cands);
            if m.milli <= 0 {
                return Some((0.0, c));
            }
            let fill = 25.0 * (norm.gpu - left as f64) / norm.gpu;
            let tag = affinity(m.milli, m.cards);
            let base = if v.tags.contains(&tag) {
                if v.tags.iter().all(|t| *t == tag) { 75.0 } else { 50.0 }
            } else if v.tags.is_empty() {
                25.0
            } else {
                0.0
            };
            (base + fill, c)
        }
        Policy::DotProd => {
            let pod = [m.cpu as f64 / norm.cpu, total_req / norm.gpu];
            let cpu = v.cpu_left as f64 / norm.cpu;
            let score = |gpu_left: f64| 1.0 - (cpu * pod[0] + gpu_left / norm.gpu * pod[1]) / 2.0;
            if m.milli <= 0 {
                return Some((score(left as f64), 0));
            }
            let mut best: Option<(f64, u64)> = None;
            let mut consider = |s: f64, c: u64| {
                if best.is_none_or(|(b, _)| s > b) {
                    best = Some((s, c));
                }
            };
            if m.cards == 1 && m.milli < WHOLE {
                for (i, f) in v.free.iter().enumerate().take(64) {
                    if *f < WHOLE && *f >= m.milli {
                        consider(score(*f as f64), 1 << i);
                    }
                }
            }
            let idle: Vec<usize> = (0..v.free.len().min(64)).filter(|&i| v.free[i] == WHOLE).collect();
            if idle.len() >= m.cards as usize {
                let mask = idle[..m.cards as usize].iter().fold(0u64, |a, &i| a | 1 << i);
                consider(score((idle.len() as i64 * WHOLE as i64) as f64), mask);
            }
            best.unwrap_or((score(left as f64), cands[0]))
        }
        Policy::Random => {
            let r = mix64(salt);
            let c = cands[(mix64(r) % cands.len() as u64) as usize];
            ((r >> 11) as f64 / (1u64 << 53) as f64, c)
        }
    })
}

/// The integer score the paper's simulator gives a raw [`evaluate`] score (Kubernetes scores are
/// `int64`): fgd `⌊100·sigmoid(Δ/1000)⌋`, bestfit and dotprod `⌊100·raw⌋`, packing and clustering
/// `⌊raw⌋`, random 0 (every feasible node ties; the draw among ties is the policy).
pub fn paper_score(policy: Policy, raw: f64) -> i64 {
    match policy {
        Policy::Fgd => (100.0 / (1.0 + (-raw / 1000.0).exp())).floor() as i64,
        Policy::BestFit | Policy::DotProd => (100.0 * raw).floor() as i64,
        Policy::Packing | Policy::Clustering => raw.floor() as i64,
        Policy::Random => 0,
    }
}

/// Whether the simulator min-max normalizes the policy's scores over the feasible nodes
/// (`NormalizeScore`, integer arithmetic) before choosing: only bestfit's plugin has score
/// extensions; fgd's, dotprod's, packing's and clustering's scores are compared as they are.
pub fn paper_normalizes(policy: Policy) -> bool {
    policy == Policy::BestFit
}

/// Free milli-GPUs of a card as the fragmentation measure sees it: compute left, or less when
/// memory sharing has used up a larger share of the memory.
pub fn card_free(c: &CardState, memory_mib: i64) -> i32 {
    let mut f = WHOLE - c.milli;
    if memory_mib > 0 && c.memory_mib > 0 {
        f = f.min(((memory_mib - c.memory_mib) * WHOLE as i64 / memory_mib) as i32);
    }
    f.max(0)
}

/// A task's shape for the measure: per-card GPU share in milli-GPUs (memory requests as a share
/// of `memory_mib`), and the pools its node selector allows.
pub fn task_shape(st: &ClusterState, t: &Task, memory_mib: i64) -> Shape {
    let d = &t.device;
    let mut milli = d.milli as i32;
    if milli == 0 && d.memory_mib > 0 && memory_mib > 0 {
        milli = (((d.memory_mib as i64 * WHOLE as i64 + memory_mib - 1) / memory_mib) as i32).min(WHOLE);
    }
    let job = &st.jobs[t.job.idx()];
    let groups =
        if job.roles[t.role as usize].accelerator_model.is_some() { job.role_pools[t.role as usize] } else { 0 };
    Shape { cpu: t.request.cpu, milli: if d.cards == 0 { 0 } else { milli }, cards: d.cards, groups }
}

/// Per-session state shared by the measure: the typical mix and the normalizers.
#[derive(Clone, Debug, Default)]
pub struct Typical {
    /// The mix.
    pub mix: Mix,
    /// Tasks counted when the mix was built (rebuilt when more jobs arrived).
    pub tasks_seen: usize,
    /// Tasks per shape so far.
    counts: std::collections::BTreeMap<Shape, u64>,
    /// Memory of the first GPU pool's cards (memory requests as a share).
    pub memory_mib: i64,
    /// Normalizers.
    pub norm: Option<Norm>,
}

impl Typical {
    /// Rebuilds the mix from every task submitted so far when new tasks arrived.
    pub fn refresh(&mut self, st: &ClusterState) {
        if self.tasks_seen == st.tasks.len() && self.norm.is_some() {
            return;
        }
        self.memory_mib = st.pools.iter().filter_map(|p| p.cards.as_ref()).map(|c| c.memory_mib).max().unwrap_or(0);
        for t in &st.tasks[self.tasks_seen.min(st.tasks.len())..] {
            *self.counts.entry(task_shape(st, t, self.memory_mib)).or_default() += 1;
        }
        self.mix = Mix::from_counts(&self.counts, crate::model::fragmentation::TYPICAL_SHARE);
        self.tasks_seen = st.tasks.len();
        let cpu = st.nodes.iter().map(|n| n.allocatable.cpu).max().unwrap_or(1).max(1) as f64;
        let gpu = st.pools.iter().filter_map(|p| p.cards.as_ref()).map(|c| c.count).max().unwrap_or(1).max(1) as f64
            * WHOLE as f64;
        self.norm = Some(Norm { cpu, gpu });
    }

    /// The cluster's fragmentation under the mix (healthy nodes with cards).
    pub fn cluster(&self, st: &ClusterState) -> crate::model::fragmentation::ClusterFrag {
        let mut out = crate::model::fragmentation::ClusterFrag::default();
        for n in st.nodes.iter().filter(|n| n.healthy) {
            let Some(spec) = &st.devices.specs[n.pool.idx()] else { continue };
            let free: Vec<i32> = st.devices.cards[n.id.idx()].iter().map(|c| card_free(c, spec.memory_mib)).collect();
            out.add(n.future_idle().cpu, &free, n.pool.0, &self.mix);
        }
        out
    }
}

/// A policy as a Volcano NodeOrder plugin.
pub struct FgdPlugin {
    policy: Policy,
    weight: f64,
    seed: u64,
    typical: Typical,
}

impl FgdPlugin {
    /// Reads `weight` (default 1) and, for `random`, `seed` (default 1).
    pub fn new(policy: Policy, args: &Arguments) -> Result<FgdPlugin, String> {
        args.check_known(policy.name(), &["weight", "seed"], &[])?;
        let weight = args.f64("weight", 1.0)?;
        let seed = args.int("seed", 1)? as u64;
        Ok(FgdPlugin { policy, weight, seed, typical: Typical::default() })
    }

    fn evaluate(&self, st: &ClusterState, task: &Task, node: &Node) -> Option<(f64, u64)> {
        let spec = st.devices.specs[node.pool.idx()].as_ref();
        let mem = spec.map_or(0, |s| s.memory_mib);
        let free: Vec<i32> =
            st.devices.cards.get(node.id.idx()).map_or(Vec::new(), |cs| cs.iter().map(|c| card_free(c, mem)).collect());
        let tags: Vec<(i32, u16)> = if self.policy == Policy::Clustering {
            st.node_tasks[node.id.idx()]
                .iter()
                .map(|t| &st.tasks[t.idx()])
                .filter(|t| t.status != TaskStatus::Releasing && t.device.cards > 0)
                .map(|t| affinity(t.device.milli as i32, t.device.cards))
                .collect()
        } else {
            Vec::new()
        };
        let view = NodeView { cpu_left: node.future_idle().cpu, free: &free, group: node.pool.0, tags: &tags };
        let shape = task_shape(st, task, self.typical.memory_mib);
        let norm = self.typical.norm.unwrap_or(Norm { cpu: 1.0, gpu: WHOLE as f64 });
        let salt = self.seed ^ (task.id.0 as u64) << 32 ^ node.id.0 as u64;
        let mix = &self.typical.mix;
        evaluate(self.policy, &view, &shape, norm, salt, &mut |cpu, f| node_frag(cpu, f, node.pool.0, mix))
    }
}

impl Plugin for FgdPlugin {
    fn name(&self) -> &'static str {
        self.policy.name()
    }
    fn hooks(&self) -> &'static [Hook] {
        &[Hook::NodeOrder]
    }
    fn on_session_open(&mut self, st: &ClusterState, _now: crate::model::SimTime) {
        if st.devices.on {
            self.typical.refresh(st);
        }
    }
    fn node_order(&self, st: &ClusterState, task: &Task, node: &Node) -> f64 {
        if !st.devices.on {
            return 0.0;
        }
        self.evaluate(st, task, node).map_or(0.0, |(s, _)| s * self.weight)
    }
    fn select_cards(&self, st: &ClusterState, task: &Task, node: &Node) -> Option<u64> {
        self.evaluate(st, task, node).map(|(_, c)| c).filter(|c| *c != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(milli: i32, cards: u16) -> Shape {
        Shape { cpu: 1000, milli, cards, groups: 0 }
    }

    #[test]
    fn card_choice_per_policy() {
        let free = [1000, 700, 300];
        let view = NodeView { cpu_left: 8000, free: &free, group: 0, tags: &[] };
        let norm = Norm { cpu: 8000.0, gpu: 3000.0 };
        // Mix: only 0.7-GPU tasks. Placing a 0.3 on card 2 (300 free) removes a 300 fragment;
        // on card 1 it leaves 400 (a fragment); on card 0, 700 remain, which a 0.7 still uses.
        let mix = Mix { shapes: vec![(shape(700, 1), 1.0)] };
        let mut frag = |c: i64, f: &[i32]| node_frag(c, f, 0, &mix);
        let (s, c) = evaluate(Policy::Fgd, &view, &shape(300, 1), norm, 0, &mut frag).unwrap();
        assert_eq!((s, c), (300.0, 0b100));
        let (_, c) = evaluate(Policy::BestFit, &view, &shape(300, 1), norm, 0, &mut frag).unwrap();
        assert_eq!(c, 0b100);
        // Whole cards: only card 0 is fully free.
        assert_eq!(candidates(&free, &shape(1000, 1)).to_vec(), vec![0b001]);
        assert!(candidates(&free, &shape(1000, 2)).is_empty());
        assert!(evaluate(Policy::Packing, &view, &shape(1000, 2), norm, 0, &mut frag).is_none());
        // Packing prefers a shared card: 100 - (300·100/1000)/10 = 97.
        let (s, _) = evaluate(Policy::Packing, &view, &shape(300, 1), norm, 0, &mut frag).unwrap();
        assert_eq!(s, 97.0);
    }

    #[test]
    fn clustering_groups_shares_of_any_size_and_packing_scores_in_integers() {
        let norm = Norm { cpu: 8000.0, gpu: 2000.0 };
        let mut frag = |_: i64, _: &[i32]| 0.0;
        // A node holding a 0.3 share takes a 0.5 share as its own kind: 75 plus its fill,
        // 25·(2000 − 1700 free)/2000 = 3.75, gives 78.
        let free = [700, 1000];
        let sharing = NodeView { cpu_left: 8000, free: &free, group: 0, tags: &[affinity(300, 1)] };
        let (s, c) = evaluate(Policy::Clustering, &sharing, &shape(500, 1), norm, 0, &mut frag).unwrap();
        assert_eq!((paper_score(Policy::Clustering, s), c), (78, 0b01));
        // A whole card is another kind, and the node holds none of it: 0 + 3.75. An empty node
        // scores 25.
        let (s, _) = evaluate(Policy::Clustering, &sharing, &shape(1000, 1), norm, 0, &mut frag).unwrap();
        assert_eq!(paper_score(Policy::Clustering, s), 3);
        let empty = [1000, 1000];
        let idle = NodeView { cpu_left: 8000, free: &empty, group: 0, tags: &[] };
        let (s, _) = evaluate(Policy::Clustering, &idle, &shape(500, 1), norm, 0, &mut frag).unwrap();
        assert_eq!(paper_score(Policy::Clustering, s), 25);
        assert_eq!(affinity(250, 1), affinity(810, 1));
        assert_ne!(affinity(1000, 1), affinity(1000, 2));
        // Packing on a shared card: 550 free is 55 %, 55 / 10 = 5 in integers: 95, as for 500.
        let half = [550, 1000];
        let v = NodeView { cpu_left: 8000, free: &half, group: 0, tags: &[] };
        let (s, _) = evaluate(Policy::Packing, &v, &shape(500, 1), norm, 0, &mut frag).unwrap();
        assert_eq!(s, 95.0);
    }
}
