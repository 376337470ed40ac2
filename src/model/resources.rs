//! Resource vectors in Volcano's units: CPU in millicores, memory in bytes, every scalar
//! (accelerator) resource in milli-units (one GPU = 1000).
//!
//! The first [`FIXED_SLOTS`] scalar slots are the resources tephra always knows
//! ([`SCALAR_NAMES`]); the rest are spare slots a scenario binds to its own extended resources
//! (`kunlunxin.com/xpu`, `rdma/hca`, …) at load time (see [`super::scalar_names`]). Spare slots
//! come in two fixed groups — accelerators and other resources — so that
//! [`Resources::accelerators`] stays a context-free sum.
//!
//! Volcano stores these as `f64` and compares with a 0.1 tolerance (`minResource`). tephra keeps
//! integers, so the tolerance is exact equality: a quantity below 1 milli-unit cannot be expressed
//! and `a <= b` is the plain integer compare. The scalar dimensions are a fixed table, which keeps
//! `Resources` `Copy` and the per-node arithmetic free of allocation on the hot path.

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};

/// The scalar resources tephra always knows, in slot order.
pub const SCALAR_NAMES: [&str; FIXED_SLOTS] = [
    "nvidia.com/gpu",
    "huawei.com/Ascend910",
    "huawei.com/Ascend310",
    "volcano.sh/gpu-memory",
    "volcano.sh/gpu-number",
    "volcano.sh/vgpu-number",
];

/// Number of fixed (always named) scalar slots.
pub const FIXED_SLOTS: usize = 6;

/// Spare slots for extended resources a scenario declares as accelerators. One: every slot costs
/// every resource operation on the hot path (the 10,000-node allocate benchmark's cycle took 9 %
/// longer with one accelerator and one other slot, 16 % with two of each; see BENCHMARKS.md).
/// Raise it (with [`SCALAR_SLOTS`] and [`ALL_DIMS`]) for fleets with several such vendors.
pub const EXTENDED_ACCELERATOR_SLOTS: [usize; 1] = [6];

/// Spare slots for other extended resources (`rdma/hca`, …).
pub const EXTENDED_OTHER_SLOTS: [usize; 1] = [7];

/// Number of scalar slots in a [`Resources`]: the fixed ones and the spare ones.
pub const SCALAR_SLOTS: usize = 8;

/// Slot of `nvidia.com/gpu`.
pub const GPU: usize = 0;
/// Slot of `huawei.com/Ascend910`.
pub const ASCEND910: usize = 1;
/// Slot of `huawei.com/Ascend310`.
pub const ASCEND310: usize = 2;
/// The slots that count as whole accelerators in utilization metrics (and in the free-card
/// bounds of node scans): GPUs, NPUs and the extended accelerator slots.
pub const ACCELERATOR_SLOTS: [usize; 4] = [GPU, ASCEND910, ASCEND310, EXTENDED_ACCELERATOR_SLOTS[0]];

/// Value used for an unbounded dimension (Volcano's "Infinity" convention for capabilities).
pub const UNBOUNDED: i64 = i64::MAX / 4;

/// Looks up the slot of a fixed scalar resource name (extended names are bound per scenario:
/// [`super::scalar_names::ScalarNames::slot`]).
pub fn scalar_slot(name: &str) -> Option<usize> {
    SCALAR_NAMES.iter().position(|n| *n == name)
}

/// A resource vector. Absent dimensions are zero (Volcano's "Zero" convention).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Resources {
    /// CPU in millicores.
    pub cpu: i64,
    /// Memory in bytes.
    pub memory: i64,
    /// Scalar resources in milli-units, indexed by [`SCALAR_NAMES`].
    pub scalars: [i64; SCALAR_SLOTS],
}

/// The dimensions of a [`Resources`], for generic per-dimension loops.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dim {
    /// CPU (millicores).
    Cpu,
    /// Memory (bytes).
    Memory,
    /// A scalar slot.
    Scalar(usize),
}

/// All dimensions in a fixed order.
pub const ALL_DIMS: [Dim; 2 + SCALAR_SLOTS] = [
    Dim::Cpu,
    Dim::Memory,
    Dim::Scalar(0),
    Dim::Scalar(1),
    Dim::Scalar(2),
    Dim::Scalar(3),
    Dim::Scalar(4),
    Dim::Scalar(5),
    Dim::Scalar(6),
    Dim::Scalar(7),
];

impl Dim {
    /// The Kubernetes name of the dimension; a spare slot reads `extended-<slot>` here, its
    /// scenario's name comes from [`super::scalar_names::ScalarNames::name`].
    pub fn name(self) -> &'static str {
        const SPARE: [&str; SCALAR_SLOTS - FIXED_SLOTS] = ["extended-6", "extended-7"];
        match self {
            Dim::Cpu => "cpu",
            Dim::Memory => "memory",
            Dim::Scalar(i) if i < FIXED_SLOTS => SCALAR_NAMES[i],
            Dim::Scalar(i) => SPARE[i - FIXED_SLOTS],
        }
    }
}

impl Resources {
    /// The empty vector.
    pub const ZERO: Resources = Resources { cpu: 0, memory: 0, scalars: [0; SCALAR_SLOTS] };

    /// A vector unbounded in every dimension.
    pub const UNBOUNDED: Resources =
        Resources { cpu: UNBOUNDED, memory: UNBOUNDED, scalars: [UNBOUNDED; SCALAR_SLOTS] };

    /// Builds a vector from CPU millicores and memory bytes.
    pub fn new(cpu: i64, memory: i64) -> Resources {
        Resources { cpu, memory, scalars: [0; SCALAR_SLOTS] }
    }

    /// Returns `self` with scalar `slot` set to `milli`.
    pub fn with_scalar(mut self, slot: usize, milli: i64) -> Resources {
        self.scalars[slot] = milli;
        self
    }

    /// Value of one dimension.
    #[inline]
    pub fn get(&self, d: Dim) -> i64 {
        match d {
            Dim::Cpu => self.cpu,
            Dim::Memory => self.memory,
            Dim::Scalar(i) => self.scalars[i],
        }
    }

    /// Mutable access to one dimension.
    #[inline]
    pub fn get_mut(&mut self, d: Dim) -> &mut i64 {
        match d {
            Dim::Cpu => &mut self.cpu,
            Dim::Memory => &mut self.memory,
            Dim::Scalar(i) => &mut self.scalars[i],
        }
    }

    /// Applies `f` to every dimension pair.
    #[inline]
    fn zip(self, other: Resources, f: impl Fn(i64, i64) -> i64) -> Resources {
        let mut out = Resources { cpu: f(self.cpu, other.cpu), memory: f(self.memory, other.memory), ..self };
        for i in 0..SCALAR_SLOTS {
            out.scalars[i] = f(self.scalars[i], other.scalars[i]);
        }
        out
    }

    /// True if every dimension is zero or below (Volcano's `IsEmpty`, pods ignored).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.cpu <= 0 && self.memory <= 0 && self.scalars.iter().all(|v| *v <= 0)
    }

    /// `self <= other` in every dimension (Zero convention: absent = 0).
    #[inline]
    pub fn le(&self, other: &Resources) -> bool {
        self.cpu <= other.cpu
            && self.memory <= other.memory
            && self.scalars.iter().zip(other.scalars.iter()).all(|(a, b)| a <= b)
    }

    /// `self <= other` on the dimensions where `self` is positive (`LessEqualWithDimension`).
    #[inline]
    pub fn le_on_own_dims(&self, other: &Resources) -> bool {
        (self.cpu <= 0 || self.cpu <= other.cpu)
            && (self.memory <= 0 || self.memory <= other.memory)
            && self.scalars.iter().zip(other.scalars.iter()).all(|(a, b)| *a <= 0 || a <= b)
    }

    /// `self <= other` on the dimensions where `dims` is positive.
    #[inline]
    pub fn le_on_own_dims_of(&self, dims: &Resources, other: &Resources) -> bool {
        ALL_DIMS.iter().all(|d| dims.get(*d) <= 0 || self.get(*d) <= other.get(*d))
    }

    /// The first dimension in which `self > other`, for "insufficient X" messages.
    pub fn first_exceeding(&self, other: &Resources) -> Option<Dim> {
        ALL_DIMS.into_iter().find(|d| self.get(*d) > other.get(*d))
    }

    /// Per-dimension minimum.
    pub fn min(self, other: Resources) -> Resources {
        self.zip(other, i64::min)
    }

    /// Per-dimension maximum.
    pub fn max(self, other: Resources) -> Resources {
        self.zip(other, i64::max)
    }

    /// Per-dimension `max(0, self - other)`.
    pub fn sub_clamped(self, other: Resources) -> Resources {
        self.zip(other, |a, b| (a - b).max(0))
    }

    /// Sum of all whole-accelerator slots (GPUs and NPUs), in milli-units.
    #[inline]
    pub fn accelerators(&self) -> i64 {
        ACCELERATOR_SLOTS.iter().map(|s| self.scalars[*s]).sum()
    }

    /// `self * n` (replica counts).
    pub fn times(self, n: i64) -> Resources {
        self.zip(Resources::ZERO, |a, _| a.saturating_mul(n))
    }

    /// Dimensions with a positive value.
    pub fn dims(&self) -> impl Iterator<Item = Dim> + '_ {
        ALL_DIMS.into_iter().filter(|d| self.get(*d) > 0)
    }
}

impl Add for Resources {
    type Output = Resources;
    #[inline]
    fn add(self, rhs: Resources) -> Resources {
        self.zip(rhs, |a, b| a.saturating_add(b))
    }
}

impl AddAssign for Resources {
    #[inline]
    fn add_assign(&mut self, rhs: Resources) {
        *self = *self + rhs;
    }
}

impl Sub for Resources {
    type Output = Resources;
    #[inline]
    fn sub(self, rhs: Resources) -> Resources {
        self.zip(rhs, |a, b| a.saturating_sub(b))
    }
}

impl SubAssign for Resources {
    #[inline]
    fn sub_assign(&mut self, rhs: Resources) {
        *self = *self - rhs;
    }
}

/// Formats one dimension's value in its natural unit.
pub fn format_dim(d: Dim, v: i64) -> String {
    if v >= UNBOUNDED {
        return "unbounded".into();
    }
    match d {
        Dim::Cpu if v % 1000 == 0 => format!("{}", v / 1000),
        Dim::Cpu => format!("{v}m"),
        Dim::Memory => super::quantity::format_bytes(v),
        Dim::Scalar(_) if v % 1000 == 0 => format!("{}", v / 1000),
        Dim::Scalar(_) => format!("{:.3}", v as f64 / 1000.0),
    }
}

impl fmt::Display for Resources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for d in self.dims() {
            if !first {
                write!(f, ", ")?;
            }
            first = false;
            write!(f, "{}: {}", d.name(), format_dim(d, self.get(d)))?;
        }
        if first {
            write!(f, "(none)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_per_dimension() {
        let a = Resources::new(1000, 10).with_scalar(GPU, 2000);
        let b = Resources::new(2000, 10).with_scalar(GPU, 1000);
        assert!(!a.le(&b));
        assert_eq!(a.first_exceeding(&b), Some(Dim::Scalar(GPU)));
        assert!(Resources::new(1000, 0).le_on_own_dims(&Resources::new(1000, -5)));
        assert!(!Resources::new(1000, 1).le_on_own_dims(&Resources::new(1000, 0)));
        assert_eq!((a - b).sub_clamped(Resources::ZERO), Resources::new(0, 0).with_scalar(GPU, 1000));
        assert_eq!(a.to_string(), "cpu: 1, memory: 10, nvidia.com/gpu: 2");
    }
}
