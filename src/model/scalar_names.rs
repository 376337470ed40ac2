//! The names a scenario gives to the spare scalar slots of [`Resources`](super::Resources).
//!
//! `Resources` is a fixed array (it is `Copy`, and node scans add and compare thousands of them
//! per task without allocating), so resources beyond the built-in table — Kunlun XPUs, Cambricon
//! MLUs, Hygon DCUs, RDMA HCAs, any `vendor/name` — live in a few spare slots whose names are bound
//! when the scenario loads: fleet pools declare them (`fleet.pools[].extended`), node lists carry
//! them in `status.allocatable`, and every later reference (queue quotas, job requests, plugin
//! arguments) must name a bound resource. The binding is per scenario and travels with it (the
//! scenario, the cluster state), so runs of different scenarios in one process never share slots.
//!
//! Accelerators and other resources have separate spare slots
//! ([`EXTENDED_ACCELERATOR_SLOTS`], [`EXTENDED_OTHER_SLOTS`]): an accelerator counts in
//! [`Resources::accelerators`](super::Resources::accelerators) (utilization, free-card bounds)
//! without any lookup.

use super::resources::{
    ACCELERATOR_SLOTS, Dim, EXTENDED_ACCELERATOR_SLOTS, EXTENDED_OTHER_SLOTS, FIXED_SLOTS, SCALAR_SLOTS, scalar_slot,
};
use std::collections::BTreeSet;
use std::sync::Mutex;

/// Extended resource names that are accelerators when a node list carries them without a
/// declaration saying otherwise (the device plugins' resource names).
pub const KNOWN_ACCELERATORS: [&str; 8] = [
    "kunlunxin.com/xpu",
    "cambricon.com/mlu",
    "hygon.com/dcu",
    "amd.com/gpu",
    "habana.ai/gaudi",
    "aws.amazon.com/neuroncore",
    "metax-tech.com/gpu",
    "enflame.com/gcu",
];

/// Names bound to the spare scalar slots, by slot (`spare[i]` is slot `FIXED_SLOTS + i`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScalarNames {
    spare: [Option<&'static str>; SCALAR_SLOTS - FIXED_SLOTS],
}

/// Keeps one copy of every name bound in the process, so a binding is `Copy` and names live as
/// long as the reports that print them (a handful of short strings per process).
fn intern(name: &str) -> &'static str {
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut set = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = set.get(name) {
        return s;
    }
    let s: &'static str = Box::leak(name.to_string().into_boxed_str());
    set.insert(s);
    s
}

/// Checks that `name` is an extended resource name: `domain/name`, both parts non-empty, letters,
/// digits, `.`, `-` and `_` only.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok_part =
        |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    match name.split_once('/') {
        Some((domain, rest)) if ok_part(domain) && ok_part(rest) => Ok(()),
        _ => Err(format!("`{name}` is not an extended resource name (`vendor.example/name`)")),
    }
}

/// How plugin arguments resolve resource names.
#[derive(Clone, Copy, Debug)]
pub enum NameLookup<'a> {
    /// For a run: built-in names and the scenario's bound names; anything else is unknown.
    Strict(&'a ScalarNames),
    /// For checking a configuration before any scenario binds names: a well-formed extended name
    /// passes unresolved (such a build is only for its errors and is thrown away).
    Lenient,
}

impl NameLookup<'_> {
    /// Built-in names only.
    pub const BUILTIN: NameLookup<'static> = NameLookup::Strict(&ScalarNames::NONE);

    /// `Ok(Some(slot))` for a known name, `Ok(None)` for a well-formed extended name in a lenient
    /// lookup, `Err(())` for an unknown name.
    #[allow(clippy::result_unit_err)]
    pub fn slot(&self, name: &str) -> Result<Option<usize>, ()> {
        match self {
            NameLookup::Strict(n) => n.slot(name).map(Some).ok_or(()),
            NameLookup::Lenient => match scalar_slot(name) {
                Some(s) => Ok(Some(s)),
                None if check_name(name).is_ok() => Ok(None),
                None => Err(()),
            },
        }
    }

    /// The names to report with (none bound in a lenient lookup).
    pub fn names(&self) -> ScalarNames {
        match self {
            NameLookup::Strict(n) => **n,
            NameLookup::Lenient => ScalarNames::NONE,
        }
    }
}

impl ScalarNames {
    /// No extended names bound.
    pub const NONE: ScalarNames = ScalarNames { spare: [None; SCALAR_SLOTS - FIXED_SLOTS] };

    /// The slot of a resource name: the fixed table first, then the bound names.
    pub fn slot(&self, name: &str) -> Option<usize> {
        scalar_slot(name).or_else(|| self.spare.iter().position(|n| *n == Some(name)).map(|i| FIXED_SLOTS + i))
    }

    /// Whether `slot` counts as an accelerator.
    pub fn is_accelerator(slot: usize) -> bool {
        ACCELERATOR_SLOTS.contains(&slot)
    }

    /// Binds `name` to a spare slot of its kind (or finds its slot if it is built in or already
    /// bound) and returns the slot. `accelerator`: `Some` when the caller declares the kind (it
    /// must agree with an earlier binding or the built-in table), `None` to take what exists or,
    /// for a new name, [`KNOWN_ACCELERATORS`]. Errors say which slots are taken.
    pub fn bind(&mut self, name: &str, accelerator: Option<bool>) -> Result<usize, String> {
        if let Some(slot) = self.slot(name) {
            let is = Self::is_accelerator(slot);
            return match accelerator {
                Some(want) if want != is => Err(format!(
                    "`{name}` is {} (declared `accelerator: {want}` here)",
                    if slot < FIXED_SLOTS {
                        format!("a built-in {}", if is { "accelerator" } else { "resource that is not an accelerator" })
                    } else if is {
                        "already bound as an accelerator".to_string()
                    } else {
                        "already bound as a resource that is not an accelerator".to_string()
                    }
                )),
                _ => Ok(slot),
            };
        }
        check_name(name)?;
        let accel = accelerator.unwrap_or_else(|| KNOWN_ACCELERATORS.contains(&name));
        let group: &[usize] = if accel { &EXTENDED_ACCELERATOR_SLOTS } else { &EXTENDED_OTHER_SLOTS };
        let Some(&slot) = group.iter().find(|s| self.spare[**s - FIXED_SLOTS].is_none()) else {
            let taken: Vec<&str> = group.iter().filter_map(|s| self.spare[*s - FIXED_SLOTS]).collect();
            return Err(format!(
                "`{name}`: tephra has {} spare slot(s) for extended {}, taken by {} \
                 (raise EXTENDED_{}_SLOTS in src/model/resources.rs)",
                group.len(),
                if accel { "accelerators" } else { "resources that are not accelerators" },
                taken.join(", "),
                if accel { "ACCELERATOR" } else { "OTHER" },
            ));
        };
        self.spare[slot - FIXED_SLOTS] = Some(intern(name));
        Ok(slot)
    }

    /// The name of a dimension (`cpu`, `memory`, a built-in or bound scalar name).
    pub fn name(&self, d: Dim) -> &'static str {
        match d {
            Dim::Scalar(i) if i >= FIXED_SLOTS => self.spare[i - FIXED_SLOTS].unwrap_or_else(|| d.name()),
            _ => d.name(),
        }
    }

    /// A resource vector as `Resources`' `Display` writes it, with these names.
    pub fn format(&self, r: &super::Resources) -> String {
        let parts: Vec<String> =
            r.dims().map(|d| format!("{}: {}", self.name(d), super::resources::format_dim(d, r.get(d)))).collect();
        if parts.is_empty() { "(none)".into() } else { parts.join(", ") }
    }

    /// The bound spare slots and their names, in slot order.
    pub fn extended(&self) -> impl Iterator<Item = (usize, &'static str)> + '_ {
        self.spare.iter().enumerate().filter_map(|(i, n)| n.map(|n| (FIXED_SLOTS + i, n)))
    }

    /// Whether any extended accelerator is bound.
    pub fn has_extended_accelerators(&self) -> bool {
        self.extended().any(|(s, _)| Self::is_accelerator(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::resources::GPU;

    #[test]
    fn binds_accelerators_and_others_to_their_own_spare_slots() {
        let mut n = ScalarNames::default();
        assert_eq!(ScalarNames::default().name(Dim::Scalar(7)), "extended-7");
        assert!(!n.has_extended_accelerators());
        assert_eq!(n.bind("rdma/hca", Some(false)), Ok(7));
        assert_eq!(n.bind("cambricon.com/mlu", None), Ok(6), "a known accelerator name");
        assert_eq!(n.bind("cambricon.com/mlu", None), Ok(6), "bound once");
        assert_eq!(n.bind("nvidia.com/gpu", Some(true)), Ok(GPU));
        assert_eq!(n.slot("rdma/hca"), Some(7));
        assert_eq!(n.name(Dim::Scalar(6)), "cambricon.com/mlu");
        let full = n.bind("hygon.com/dcu", Some(true)).unwrap_err();
        assert!(full.contains("1 spare slot(s) for extended accelerators, taken by cambricon.com/mlu"), "{full}");
        let full = n.bind("example.com/fpga", None).unwrap_err();
        assert!(full.contains("that are not accelerators, taken by rdma/hca"), "{full}");
        assert!(n.bind("rdma/hca", Some(true)).unwrap_err().contains("not an accelerator"));
        assert!(n.bind("cambricon.com/mlu", Some(false)).unwrap_err().contains("already bound as an accelerator"));
        assert!(n.bind("volcano.sh/gpu-memory", Some(true)).unwrap_err().contains("built-in"));
        assert!(n.bind("xpu", None).unwrap_err().contains("not an extended resource name"));
        assert_eq!(n.extended().collect::<Vec<_>>(), [(6, "cambricon.com/mlu"), (7, "rdma/hca")]);
        assert!(n.has_extended_accelerators());
    }
}
