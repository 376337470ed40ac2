//! `deviceshare` (`plugins/deviceshare/deviceshare.go`, `api/devices/nvidia/{gpushare,vgpu}`,
//! `devices/ascend/310p/vnpu`): GPU sharing, vGPU and vNPU placement per card.
//!
//! - Arguments: `deviceshare.GPUSharingEnable` (memory and milli-GPU sharing),
//!   `deviceshare.GPUNumberEnable` (whole GPUs through the gpushare device; not with sharing),
//!   `deviceshare.VGPUEnable` (HAMi vGPU; not with either gpushare flag),
//!   `deviceshare.AscendMindClusterVNPUEnable` / `deviceshare.AscendHAMiVNPUEnable` (310P vNPU),
//!   `deviceshare.NodeLockEnable` (accepted; node locks do not exist in a simulator),
//!   `deviceshare.GPUExclusiveRules`, `deviceshare.KnowGeometriesCMName|Namespace` (accepted and
//!   not simulated: exclusivity rules and MIG geometries),
//!   `deviceshare.SchedulePolicy` (`binpack` | `spread`, default none: no score),
//!   `deviceshare.ScheduleWeight` (integer, default 0).
//! - Predicate: a pod whose kind of sharing is not enabled fits no node. Whether the cards have
//!   room is checked by the session for every pod while cards are tracked (a card is physical: no
//!   policy may over-fill it).
//! - NodeOrder: the device score of the cards the pod would take × ScheduleWeight, rounded as
//!   Volcano does: binpack `100 × used/capacity` of those cards before placement (memory for
//!   memory requests, compute otherwise), spread `100` when they are all unused. (Some Volcano
//!   releases compute this score and then return 0; tephra returns it.)
//! - Cards: gpushare takes the lowest-ID card with room; vGPU, milli-GPU and vNPU take the fullest
//!   (binpack) or emptiest (spread) fitting cards, else the lowest-ID ones.

use crate::model::devices::{CardPick, DeviceRequest, ShareKind, WHOLE, pick};
use crate::model::{ClusterState, Node, Task};
use crate::sched::conf::{Arguments, Hook};
use crate::sched::plugin::{FitReason, Plugin};

/// `deviceshare.SchedulePolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchedulePolicy {
    /// No device score.
    None,
    /// Prefer fuller cards.
    Binpack,
    /// Prefer unused cards.
    Spread,
}

/// The deviceshare plugin.
#[derive(Debug)]
pub struct DeviceShare {
    sharing: bool,
    number: bool,
    vgpu: bool,
    vnpu: bool,
    policy: SchedulePolicy,
    weight: i64,
}

impl DeviceShare {
    /// Reads the arguments; the exclusive flag pairs are errors, as Volcano refuses to start.
    pub fn new(args: &Arguments) -> Result<DeviceShare, String> {
        args.check_known(
            "deviceshare",
            &[
                "deviceshare.GPUSharingEnable",
                "deviceshare.GPUNumberEnable",
                "deviceshare.VGPUEnable",
                "deviceshare.AscendMindClusterVNPUEnable",
                "deviceshare.AscendHAMiVNPUEnable",
                "deviceshare.NodeLockEnable",
                "deviceshare.SchedulePolicy",
                "deviceshare.ScheduleWeight",
                "deviceshare.GPUExclusiveRules",
                "deviceshare.KnowGeometriesCMName",
                "deviceshare.KnowGeometriesCMNamespace",
            ],
            &[],
        )?;
        let sharing = args.bool("deviceshare.GPUSharingEnable", false)?;
        let number = args.bool("deviceshare.GPUNumberEnable", false)?;
        let vgpu = args.bool("deviceshare.VGPUEnable", false)?;
        let vnpu = args.bool("deviceshare.AscendMindClusterVNPUEnable", false)?
            || args.bool("deviceshare.AscendHAMiVNPUEnable", false)?;
        args.bool("deviceshare.NodeLockEnable", false)?;
        if sharing && number {
            return Err("plugin `deviceshare`: can not define true in both gpu sharing and gpu number".into());
        }
        if (sharing || number) && vgpu {
            return Err("plugin `deviceshare`: gpu-share and vgpu can't be used together".into());
        }
        let policy = match args.str("deviceshare.SchedulePolicy").as_deref() {
            None | Some("") => SchedulePolicy::None,
            Some("binpack") => SchedulePolicy::Binpack,
            Some("spread") => SchedulePolicy::Spread,
            Some(other) => {
                return Err(format!(
                    "plugin `deviceshare`: argument `deviceshare.SchedulePolicy`: `{other}` is not binpack or spread"
                ));
            }
        };
        let weight = args.int("deviceshare.ScheduleWeight", 0)?;
        Ok(DeviceShare { sharing, number, vgpu, vnpu, policy, weight })
    }

    fn enabled(&self, kind: ShareKind) -> bool {
        match kind {
            ShareKind::None | ShareKind::Whole => true,
            ShareKind::GpuMemory | ShareKind::Milli => self.sharing,
            ShareKind::GpuNumber => self.number,
            ShareKind::Vgpu => self.vgpu,
            ShareKind::Vnpu => self.vnpu,
        }
    }

    fn pick_rule(&self, kind: ShareKind) -> CardPick {
        match (kind, self.policy) {
            (ShareKind::GpuMemory | ShareKind::GpuNumber, _) => CardPick::LowestId,
            (_, SchedulePolicy::Binpack) => CardPick::BestFit,
            (_, SchedulePolicy::Spread) => CardPick::Spread,
            (_, SchedulePolicy::None) => CardPick::LowestId,
        }
    }

    fn cards_for(&self, st: &ClusterState, req: &DeviceRequest, node: &Node) -> Option<u64> {
        let spec = st.devices.specs[node.pool.idx()].as_ref()?;
        pick(&st.devices.cards[node.id.idx()], spec, req, self.pick_rule(req.kind))
    }
}

impl Plugin for DeviceShare {
    fn name(&self) -> &'static str {
        "deviceshare"
    }
    fn hooks(&self) -> &'static [Hook] {
        &[Hook::Predicate, Hook::NodeOrder]
    }
    fn predicate(&self, _st: &ClusterState, task: &Task, _node: &Node) -> Result<(), FitReason> {
        if self.enabled(task.device.kind) { Ok(()) } else { Err(FitReason::SharingDisabled) }
    }
    fn node_order(&self, st: &ClusterState, task: &Task, node: &Node) -> f64 {
        let req = &task.device;
        if self.policy == SchedulePolicy::None || self.weight == 0 || !req.shares() || !st.devices.on {
            return 0.0;
        }
        let Some(spec) = st.devices.specs[node.pool.idx()].as_ref() else { return 0.0 };
        let Some(mask) = self.cards_for(st, req, node) else { return 0.0 };
        let cards = &st.devices.cards[node.id.idx()];
        let chosen: Vec<_> = (0..cards.len()).filter(|i| mask & (1 << i) != 0).map(|i| cards[i]).collect();
        let score = match self.policy {
            SchedulePolicy::None => 0.0,
            SchedulePolicy::Spread => {
                if chosen.iter().all(|c| c.pods == 0) {
                    100.0
                } else {
                    0.0
                }
            }
            SchedulePolicy::Binpack => {
                let used: f64 = chosen
                    .iter()
                    .map(|c| {
                        if req.memory_mib > 0 && spec.memory_mib > 0 {
                            c.memory_mib as f64 / spec.memory_mib as f64
                        } else {
                            c.milli as f64 / WHOLE as f64
                        }
                    })
                    .sum();
                100.0 * used / chosen.len().max(1) as f64
            }
        };
        (score + 0.5).floor() * self.weight as f64
    }
    fn select_cards(&self, st: &ClusterState, task: &Task, node: &Node) -> Option<u64> {
        self.cards_for(st, &task.device, node)
    }
}
