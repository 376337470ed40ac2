//! GPU fragmentation as the FGD paper defines it (Weng et al., "Beware of Fragmentation",
//! USENIX ATC'23, §3; the measure of its simulator's `NodeGpuShareFragAmount`).
//!
//! For a task shape `m` (CPU, milli-GPU per card, number of cards, allowed models), node `n`'s
//! fragment `F_n(m)` is the idle GPU capacity of `n` that `m` cannot use:
//! - all of it when `m` asks for no GPU, when `n`'s model is not allowed, when `n` lacks the CPU,
//!   or when no set of `m.cards` cards has `m.milli` free each;
//! - otherwise the free capacity of the cards that have less than `m.milli` free.
//!
//! The workload's typical task mix `M` (shapes with their popularity `p_m`) turns this into the
//! expected fragment `F_n(M) = Σ_m p_m F_n(m)`. Cluster figures: fragmentation *amount* `Σ_n
//! F_n(M)` (reported as % of all GPU capacity) and *rate* = amount / idle GPU capacity.

use super::devices::WHOLE;

/// A task shape of the typical mix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shape {
    /// CPU request, millicores.
    pub cpu: i64,
    /// GPU per card, milli-GPUs (0: no GPU).
    pub milli: i32,
    /// Cards.
    pub cards: u16,
    /// Allowed node groups (bit `g` = group `g`, e.g. GPU model or pool); 0 = any.
    pub groups: u64,
}

impl Shape {
    /// Whether nodes of group `g` may host the shape.
    #[inline]
    pub fn allows(&self, g: u32) -> bool {
        self.groups == 0 || (g < 64 && self.groups & (1 << g) != 0)
    }
}

/// The typical task mix: shapes with popularities summing to 1.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mix {
    /// (shape, popularity).
    pub shapes: Vec<(Shape, f64)>,
}

/// Share of all tasks the typical shapes must cover in a live simulation: all of them (CPU-only
/// tasks included), so that no shape the workload submits is invisible to fgd.
pub const TYPICAL_SHARE: f64 = 1.0;
/// The share the FGD paper's simulator configurations cover (`podPopularityThreshold: 95`), the
/// packing experiment's default: it drops the rarest shapes (on the openb default trace, the 4- and
/// 8-GPU ones), which changes fgd's allocation there by less than 0.1 point.
pub const PAPER_TYPICAL_SHARE: f64 = 0.95;
/// Shapes added per step while covering [`TYPICAL_SHARE`] (`podIncreaseStep: 1`).
pub const TYPICAL_STEP: usize = 1;

impl Mix {
    /// The most popular shapes of `tasks` covering [`TYPICAL_SHARE`] of them (all), added
    /// [`TYPICAL_STEP`] at a time, renormalized. Ties in popularity go by shape order, so the mix
    /// does not depend on task order.
    pub fn typical(tasks: impl IntoIterator<Item = Shape>) -> Mix {
        Mix::typical_covering(tasks, TYPICAL_SHARE)
    }

    /// [`Mix::typical`] with another share to cover (1 keeps every shape).
    pub fn typical_covering(tasks: impl IntoIterator<Item = Shape>, share: f64) -> Mix {
        let mut counts: std::collections::BTreeMap<Shape, u64> = Default::default();
        for s in tasks {
            *counts.entry(s).or_default() += 1;
        }
        Mix::from_counts(&counts, share)
    }

    /// The mix from task counts per shape (kept incrementally by callers that see tasks arrive).
    pub fn from_counts(counts: &std::collections::BTreeMap<Shape, u64>, share: f64) -> Mix {
        let total: u64 = counts.values().sum();
        if total == 0 {
            return Mix::default();
        }
        let mut list: Vec<(Shape, u64)> = counts.iter().map(|(s, c)| (*s, *c)).collect();
        list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut take = 0;
        let mut covered = 0u64;
        while (covered as f64) < share * total as f64 && take < list.len() {
            let upto = (take + TYPICAL_STEP).min(list.len());
            covered += list[take..upto].iter().map(|x| x.1).sum::<u64>();
            take = upto;
        }
        let kept = &list[..take];
        let sum: u64 = kept.iter().map(|x| x.1).sum();
        Mix { shapes: kept.iter().map(|(s, c)| (*s, *c as f64 / sum as f64)).collect() }
    }
}

/// `F_n(m)`: free GPU capacity (milli) of a node that shape `m` cannot use. `free` lists each
/// card's free milli-GPUs, `cpu_left` the node's free CPU, `group` its node group.
pub fn shape_frag(cpu_left: i64, free: &[i32], group: u32, m: &Shape) -> i64 {
    let total: i64 = free.iter().map(|f| *f as i64).sum();
    if m.milli <= 0 || !m.allows(group) || cpu_left < m.cpu {
        return total;
    }
    let fitting = free.iter().filter(|f| **f >= m.milli).count();
    if fitting < m.cards as usize {
        return total;
    }
    free.iter().filter(|f| **f < m.milli).map(|f| *f as i64).sum()
}

/// `F_n(M)`: the expected fragment of a node under the mix.
pub fn node_frag(cpu_left: i64, free: &[i32], group: u32, mix: &Mix) -> f64 {
    if free.iter().all(|f| *f <= 0) {
        return 0.0;
    }
    mix.shapes.iter().map(|(m, p)| p * shape_frag(cpu_left, free, group, m) as f64).sum()
}

/// Cluster fragmentation: amount and idle capacity (milli-GPUs) and total capacity.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ClusterFrag {
    /// Σ_n F_n(M), milli-GPUs.
    pub amount: f64,
    /// Idle GPU capacity, milli-GPUs.
    pub idle: i64,
    /// All GPU capacity, milli-GPUs.
    pub total: i64,
}

impl ClusterFrag {
    /// Adds one node.
    pub fn add(&mut self, cpu_left: i64, free: &[i32], group: u32, mix: &Mix) {
        self.amount += node_frag(cpu_left, free, group, mix);
        self.idle += free.iter().map(|f| (*f).max(0) as i64).sum::<i64>();
        self.total += free.len() as i64 * WHOLE as i64;
    }

    /// Amount as % of all GPU capacity.
    pub fn amount_pct(&self) -> f64 {
        if self.total == 0 { 0.0 } else { 100.0 * self.amount / self.total as f64 }
    }

    /// Rate: % of idle GPU capacity that is fragmented.
    pub fn rate_pct(&self) -> f64 {
        if self.idle == 0 { 0.0 } else { 100.0 * self.amount / self.idle as f64 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(cpu: i64, milli: i32, cards: u16) -> Shape {
        Shape { cpu, milli, cards, groups: 0 }
    }

    #[test]
    fn paper_cases() {
        // A node with 8 CPUs left and cards 1000, 500, 200 free.
        let free = [1000, 500, 200];
        // Q3: a 0.5-GPU task can run; only the 200 card is a fragment to it.
        assert_eq!(shape_frag(8000, &free, 0, &shape(4000, 500, 1)), 200);
        // Q2: a 2-GPU task cannot: everything is a fragment.
        assert_eq!(shape_frag(8000, &free, 0, &shape(4000, 1000, 2)), 1700);
        // Q4: lacks CPU.
        assert_eq!(shape_frag(8000, &free, 0, &shape(9000, 100, 1)), 1700);
        // x-axis: a CPU-only task uses no GPU.
        assert_eq!(shape_frag(8000, &free, 0, &shape(1000, 0, 0)), 1700);
        // Not an allowed model.
        assert_eq!(shape_frag(8000, &free, 3, &Shape { groups: 0b1, ..shape(1000, 100, 1) }), 1700);
        let mix = Mix { shapes: vec![(shape(4000, 500, 1), 0.5), (shape(4000, 1000, 2), 0.5)] };
        assert_eq!(node_frag(8000, &free, 0, &mix), 0.5 * 200.0 + 0.5 * 1700.0);
    }

    #[test]
    fn typical_mix_keeps_the_popular_shapes() {
        let mut tasks = vec![shape(1, 500, 1); 60];
        tasks.extend(vec![shape(1, 1000, 1); 36]);
        tasks.extend(vec![shape(2, 1000, 1); 4]);
        assert_eq!(Mix::typical(tasks.clone()).shapes.len(), 3);
        let mix = Mix::typical_covering(tasks, 0.95);
        // 60 + 36 = 96 % ≥ 95 %: the rarest shape is left out, the rest renormalized.
        assert_eq!(mix.shapes, vec![(shape(1, 500, 1), 0.625), (shape(1, 1000, 1), 0.375)]);
    }
}
