//! A fleet from an openb node list: nodes with the same CPU, memory, GPU count and model form one
//! pool (in order of first appearance), so the discrete-event simulator can run the FGD paper's
//! cluster. Pools are named `<model>-<gpus>x-<cores>c` (`cpu` for GPU-less nodes), with a `-N`
//! suffix when two kinds differ only in memory. A card takes any number of sharing pods, as in the
//! paper's simulator.

use crate::model::devices::{CardKind, CardSpec};
use crate::model::resources::GPU;
use crate::model::{Pool, Resources};
use crate::trace::openb::OpenbNode;

/// Groups identical nodes into pools with their node counts.
pub fn pools_of(nodes: &[OpenbNode]) -> Vec<(Pool, u32)> {
    let mut kinds: Vec<((i64, i64, u32, String), u32)> = Vec::new();
    for n in nodes {
        let key = (n.cpu_milli, n.memory_mib, n.gpus, n.model.clone());
        match kinds.iter_mut().find(|(k, _)| *k == key) {
            Some((_, c)) => *c += 1,
            None => kinds.push((key, 1)),
        }
    }
    let mut names: Vec<String> = Vec::new();
    kinds
        .into_iter()
        .map(|((cpu, mem, gpus, model), count)| {
            let base = format!("{}-{gpus}x-{}c", if model.is_empty() { "cpu" } else { model.as_str() }, cpu / 1000);
            let mut name = base.clone();
            let mut k = 2;
            while names.contains(&name) {
                name = format!("{base}-{k}");
                k += 1;
            }
            names.push(name.clone());
            let allocatable = Resources::new(cpu, mem * 1024 * 1024).with_scalar(GPU, gpus as i64 * 1000);
            let mut pool = Pool::plain(&name, allocatable, 110);
            pool.labels.insert("tephra.io/pool".into(), name.clone());
            if gpus > 0 {
                pool.accelerator_model = Some(model.clone());
                pool.labels.insert("nvidia.com/gpu.product".into(), model.clone());
                pool.cards = Some(CardSpec {
                    kind: CardKind::Gpu,
                    model,
                    count: gpus,
                    memory_mib: 0,
                    compute_units: 0,
                    max_shares: 1000,
                    speed_milli: 1000,
                });
            }
            (pool, count)
        })
        .collect()
}
