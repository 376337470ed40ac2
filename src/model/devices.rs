//! Per-card accelerator inventory: which cards each node has, what each pod asks of them, and
//! which card(s) each pod holds.
//!
//! Node-level scalar accounting ([`super::Resources`]) cannot tell two half-used GPUs from one
//! free GPU, so GPU sharing (`volcano.sh/gpu-memory`, vGPU, milli-GPU) needs the cards themselves.
//! A card holds a compute share in milli-cards (1000 = the whole card), memory in MiB, and a count
//! of pods. A whole-card pod holds all of a card and needs it untouched; a sharing pod needs room on
//! one card (several for vGPU `vgpu-number > 1`, each on a distinct card).
//!
//! A terminating (Releasing) pod no longer counts on its card, as it no longer counts in a node's
//! future-idle resources: new placements may plan on its share, as Volcano's pipelining does.

/// One whole card, in milli-cards.
pub const WHOLE: i32 = 1000;
/// Default vGPU split count per card (HAMi's `deviceSplitCount`).
pub const DEFAULT_MAX_SHARES: u16 = 10;
/// Ascend 310P AI cores per card (MindCluster vNPU templates are cut from these).
pub const ASCEND310P_AICORES: u32 = 8;

/// What kind of card a pool carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardKind {
    /// NVIDIA GPU.
    Gpu,
    /// Ascend 910 / 910B NPU (whole cards only).
    Npu910,
    /// Ascend 310P NPU (whole cards, or vNPU slices by template).
    Npu310P,
}

/// The cards of every node of a pool.
#[derive(Clone, Debug, PartialEq)]
pub struct CardSpec {
    /// Kind.
    pub kind: CardKind,
    /// Model name (`A100-80G`, `Ascend910B`, `Ascend310P`).
    pub model: String,
    /// Cards per node.
    pub count: u32,
    /// Memory per card, MiB (0 when not declared: memory-based sharing cannot use the card).
    pub memory_mib: i64,
    /// Compute units per card (GPU SMs or NPU AI cores); informational for GPUs, the vNPU
    /// template base for 310P.
    pub compute_units: u32,
    /// Most sharing pods one card may host (vGPU split count).
    pub max_shares: u16,
    /// Relative throughput of the model, per mille (1000 = the reference card): a job's work
    /// advances this much faster on it.
    pub speed_milli: u64,
}

/// How a pod uses cards: kind of request, for the deviceshare plugin's enable flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum ShareKind {
    /// No cards.
    #[default]
    None,
    /// Whole cards as a plain extended resource (`nvidia.com/gpu`, `huawei.com/Ascend910`).
    Whole,
    /// `volcano.sh/gpu-memory`: memory on one card.
    GpuMemory,
    /// `volcano.sh/gpu-number`: whole cards through the gpushare device.
    GpuNumber,
    /// HAMi vGPU (`volcano.sh/vgpu-number|vgpu-memory|vgpu-cores`).
    Vgpu,
    /// A fraction of one GPU in milli-GPUs (the Alibaba 2023 trace's `gpu_milli`).
    Milli,
    /// An Ascend 310P vNPU slice (MindCluster template).
    Vnpu,
}

/// What one pod asks of cards.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeviceRequest {
    /// Kind of request.
    pub kind: ShareKind,
    /// Distinct cards.
    pub cards: u16,
    /// Compute share per card, milli-cards (1000 for whole cards).
    pub milli: u16,
    /// Memory per card, MiB (0: none asked).
    pub memory_mib: u32,
}

impl DeviceRequest {
    /// No cards.
    pub const NONE: DeviceRequest = DeviceRequest { kind: ShareKind::None, cards: 0, milli: 0, memory_mib: 0 };

    /// `k` whole cards.
    pub fn whole(k: u16, kind: ShareKind) -> DeviceRequest {
        DeviceRequest { kind, cards: k, milli: WHOLE as u16, memory_mib: 0 }
    }

    /// Whether the pod asks for any card.
    #[inline]
    pub fn is_none(&self) -> bool {
        self.cards == 0
    }

    /// Whether the pod needs untouched cards of its own.
    #[inline]
    pub fn exclusive(&self) -> bool {
        self.milli as i32 >= WHOLE
    }

    /// Whether the pod shares a card with others (anything but whole cards).
    #[inline]
    pub fn shares(&self) -> bool {
        self.cards > 0 && !self.exclusive()
    }

    /// Total compute asked, milli-cards.
    pub fn total_milli(&self) -> i64 {
        self.cards as i64 * self.milli as i64
    }
}

/// The live state of one card.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CardState {
    /// Compute share held, milli-cards.
    pub milli: i32,
    /// Memory held, MiB.
    pub memory_mib: i64,
    /// Pods on the card.
    pub pods: u16,
}

impl CardState {
    /// Free compute, milli-cards.
    #[inline]
    pub fn free_milli(&self) -> i32 {
        WHOLE - self.milli
    }

    /// Whether `req` fits this card of `spec`.
    #[inline]
    pub fn fits(&self, spec: &CardSpec, req: &DeviceRequest) -> bool {
        if req.exclusive() {
            return self.pods == 0;
        }
        self.milli + req.milli as i32 <= WHOLE
            && self.memory_mib + req.memory_mib as i64 <= spec.memory_mib.max(0)
            && self.pods < spec.max_shares
    }

    /// Takes `req`'s share (whole cards take all the memory too).
    #[inline]
    pub fn take(&mut self, spec: &CardSpec, req: &DeviceRequest) {
        if req.exclusive() {
            self.milli += WHOLE;
            self.memory_mib += spec.memory_mib.max(0);
        } else {
            self.milli += req.milli as i32;
            self.memory_mib += req.memory_mib as i64;
        }
        self.pods += 1;
    }

    /// Gives `req`'s share back.
    #[inline]
    pub fn give(&mut self, spec: &CardSpec, req: &DeviceRequest) {
        if req.exclusive() {
            self.milli -= WHOLE;
            self.memory_mib -= spec.memory_mib.max(0);
        } else {
            self.milli -= req.milli as i32;
            self.memory_mib -= req.memory_mib as i64;
        }
        self.pods -= 1;
    }
}

/// Which fitting card(s) a placement takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardPick {
    /// The lowest-numbered fitting cards (Volcano gpushare: lowest-ID card with enough memory).
    LowestId,
    /// The fullest fitting cards first (binpack: least free compute, then least free memory).
    BestFit,
    /// The emptiest fitting cards first (spread: fewest pods, then most free compute).
    Spread,
}

/// Picks cards for `req` on a node whose cards are `cards`; `None` if they do not fit. The
/// answer is a bit mask over card indices (nodes have at most 64 cards).
pub fn pick(cards: &[CardState], spec: &CardSpec, req: &DeviceRequest, how: CardPick) -> Option<u64> {
    let need = req.cards as usize;
    if need == 0 {
        return Some(0);
    }
    let mut fitting: Vec<usize> = (0..cards.len().min(64)).filter(|&i| cards[i].fits(spec, req)).collect();
    if fitting.len() < need {
        return None;
    }
    match how {
        CardPick::LowestId => {}
        CardPick::BestFit => fitting.sort_by_key(|&i| (cards[i].free_milli(), -cards[i].memory_mib, i)),
        CardPick::Spread => fitting.sort_by_key(|&i| (cards[i].pods, -cards[i].free_milli(), i)),
    }
    Some(fitting[..need].iter().fold(0u64, |m, &i| m | 1 << i))
}

/// Whether `req` fits a node whose cards are `cards` (some choice of cards exists).
#[inline]
pub fn fits(cards: &[CardState], spec: &CardSpec, req: &DeviceRequest) -> bool {
    let need = req.cards as usize;
    need == 0 || cards.iter().take(64).filter(|c| c.fits(spec, req)).take(need).count() == need
}

/// Whether exactly the cards of `mask` can take `req`.
pub fn mask_fits(cards: &[CardState], spec: &CardSpec, req: &DeviceRequest, mask: u64) -> bool {
    mask.count_ones() as u16 == req.cards
        && (0..cards.len().min(64)).filter(|i| mask & (1 << i) != 0).all(|i| cards[i].fits(spec, req))
        && mask >> cards.len().min(64) == 0
}

/// An Ascend 310P vNPU template (`vir01`, `vir02`, `vir04`): AI cores and memory in MiB on a
/// 24 GiB, 8-core chip.
pub fn vnpu_template(name: &str) -> Option<(u32, u32)> {
    match name {
        "vir01" => Some((1, 3 * 1024)),
        "vir02" => Some((2, 6 * 1024)),
        "vir04" => Some((4, 12 * 1024)),
        _ => None,
    }
}

/// Per-node card states of a cluster with device tracking on, plus the pools' card specs.
#[derive(Clone, Debug, Default)]
pub struct Devices {
    /// Whether cards are tracked (off: every field below is empty and nothing is done).
    pub on: bool,
    /// Per pool: its card spec, if its nodes carry cards.
    pub specs: Vec<Option<CardSpec>>,
    /// Per node: its cards.
    pub cards: Vec<Vec<CardState>>,
    /// Placements whose cards could not be found (a scheduler bug; the invariants report it).
    pub misses: u64,
    /// Per node: cards out of service after a card fault (bit `i` = card `i`); empty until the
    /// first fault. A failed card is shown full in [`Devices::cards`] so nothing fits it.
    pub down: Vec<u64>,
    /// Per failed card (node, card): the node capacity it took out of the node's allocatable,
    /// given back at its repair.
    pub withdrawn: std::collections::BTreeMap<(u32, u32), super::resources::Resources>,
}

impl CardState {
    /// How a failed card is shown: every share, all memory and every pod slot taken, so that no
    /// request fits it.
    pub fn failed(spec: &CardSpec) -> CardState {
        CardState { milli: WHOLE, memory_mib: spec.memory_mib.max(0), pods: spec.max_shares }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gpu(count: u32) -> CardSpec {
        CardSpec {
            kind: CardKind::Gpu,
            model: "T4".into(),
            count,
            memory_mib: 16384,
            compute_units: 40,
            max_shares: DEFAULT_MAX_SHARES,
            speed_milli: 1000,
        }
    }

    fn milli(m: u16) -> DeviceRequest {
        DeviceRequest { kind: ShareKind::Milli, cards: 1, milli: m, memory_mib: 0 }
    }

    #[test]
    fn two_halves_share_a_card_but_not_point_six_and_point_five() {
        let spec = gpu(1);
        let mut cards = vec![CardState::default()];
        cards[0].take(&spec, &milli(500));
        assert!(fits(&cards, &spec, &milli(500)));
        let mut cards = vec![CardState::default()];
        cards[0].take(&spec, &milli(600));
        assert!(!fits(&cards, &spec, &milli(500)));
        assert!(!fits(&cards, &spec, &DeviceRequest::whole(1, ShareKind::Whole)));
    }

    #[test]
    fn picks_per_policy() {
        let spec = gpu(3);
        let mut cards = vec![CardState::default(); 3];
        cards[1].take(&spec, &milli(300));
        cards[2].take(&spec, &milli(700));
        let r = milli(200);
        assert_eq!(pick(&cards, &spec, &r, CardPick::LowestId), Some(0b001));
        assert_eq!(pick(&cards, &spec, &r, CardPick::BestFit), Some(0b100));
        assert_eq!(pick(&cards, &spec, &r, CardPick::Spread), Some(0b001));
        assert_eq!(pick(&cards, &spec, &DeviceRequest::whole(2, ShareKind::Whole), CardPick::BestFit), None);
        assert_eq!(pick(&cards, &spec, &DeviceRequest::whole(1, ShareKind::Whole), CardPick::BestFit), Some(0b001));
        // Memory sharing: a whole-card holder leaves no memory.
        let mem = DeviceRequest { kind: ShareKind::GpuMemory, cards: 1, milli: 0, memory_mib: 8192 };
        cards[0].take(&spec, &DeviceRequest::whole(1, ShareKind::Whole));
        assert_eq!(pick(&cards, &spec, &mem, CardPick::LowestId), Some(0b010));
    }
}
