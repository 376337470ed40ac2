//! One Volcano scheduling cycle on a large, congested fleet (issue 3's speed target: ≤ 100 ms per
//! cycle with the CI configuration on 10,000 nodes × 10,000 pending tasks in 500 jobs).
//!
//! `cargo bench --bench allocate` times one full cycle (every action of the configuration, session
//! open and close) on a fresh copy of the same state each sample; building and cloning the state
//! is not timed. The state (seeded, identical every run):
//!
//! - fleet: 10,000 nodes — 7,000 × 8 H100 (128 CPU, 1 TiB), 2,500 × 8 A100 (96 CPU, 768 GiB),
//!   500 CPU-only (64 CPU, 256 GiB); 76,000 GPUs;
//! - queues `prod` / `research` / `dev` / `batch`, weights 4 / 3 / 2 / 1, all reclaimable;
//! - running: gangs of 1–32 pods filling 80 % of the GPUs (and 60 % of the CPU-only nodes), placed
//!   gang by gang at random spots, priorities 0 / 50 / 100, a third of them elastic (minAvailable
//!   half the replicas), with `batch` holding far more than its weight deserves;
//! - pending: 500 admitted jobs (PodGroup Inqueue, pods created) with exactly 10,000 pods, gangs
//!   of 1–64 pods: 1-, 2- or 4-GPU pods for small gangs, 8-GPU pods from 8 pods up, 5 % CPU-only
//!   jobs; 70 % ask for H100, 25 % for A100; priorities 0 / 50 / 100.
//!
//! Pending demand is about four times the free GPUs, so allocate fills what it can, reclaim takes
//! from `batch` for the queues below their share, and preempt evicts lower-priority tasks inside a
//! queue. Before timing, one cycle is run and its binds, evictions and wall time are printed.
//!
//! `TEPHRA_CYCLES=N cargo bench --bench allocate` only runs N cycles (for `perf record`).

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::time::Instant;
use tephra::model::resources::GPU;
use tephra::model::{
    ClusterState, JobSpec, NodeId, PodGroupPhase, Pool, Queue, QueueId, Resources, Role, SimTime, TaskStatus,
};
use tephra::sched::Scheduler;
use tephra::sched::conf::SchedulerConf;
use tephra::sched::node_scan::NodeScan;
use tephra::sched::volcano::VolcanoScheduler;

const GIB: i64 = 1 << 30;
/// Time of the measured cycle.
const NOW: SimTime = SimTime(3_600_000);
const PENDING_JOBS: usize = 500;
const PENDING_PODS: u32 = 10_000;

fn pool(name: &str, cpu: i64, mem_gib: i64, gpus: i64, model: Option<&str>) -> Pool {
    Pool {
        name: name.into(),
        allocatable: Resources::new(cpu * 1000, mem_gib * GIB).with_scalar(GPU, gpus * 1000),
        accelerator_model: model.map(str::to_string),
        labels: BTreeMap::new(),
        max_pods: 110,
        cards: None,
    }
}

/// A job shape: pool (0 h100, 1 a100, 2 cpu-only), pods, GPUs per pod, minAvailable.
struct Shape {
    pool: usize,
    pods: u32,
    gpus: i64,
    min: u32,
}

fn request(shape: &Shape) -> Resources {
    if shape.pool == 2 {
        Resources::new(8000, 32 * GIB)
    } else {
        Resources::new(shape.gpus * 12_000, shape.gpus * 96 * GIB).with_scalar(GPU, shape.gpus * 1000)
    }
}

fn spec(name: String, submit: u64, queue: &str, priority: i32, shape: &Shape) -> JobSpec {
    let model = match shape.pool {
        0 => Some("H100-80G".to_string()),
        1 => Some("A100-80G".to_string()),
        _ => None,
    };
    JobSpec {
        name,
        submit: SimTime(submit),
        work_ms: 3_600_000,
        queue: queue.into(),
        priority,
        roles: vec![Role {
            name: "worker".into(),
            replicas: shape.pods,
            min_available: shape.min,
            request: request(shape),
            accelerator_model: model,
            priority,
            device: Default::default(),
            duration: Default::default(),
        }],
        annotations: BTreeMap::new(),
        origin: "bench".into(),
    }
}

/// Pods per pod size: small gangs use 1/2/4 GPUs per pod, gangs of 8+ whole nodes.
fn gpus_for(rng: &mut ChaCha8Rng, pods: u32) -> i64 {
    if pods >= 8 { 8 } else { [1, 2, 4, 8][rng.random_range(0..4)] }
}

fn pick<'a>(rng: &mut ChaCha8Rng, items: &[(&'a str, u32)]) -> &'a str {
    let total: u32 = items.iter().map(|i| i.1).sum();
    let mut x = rng.random_range(0..total);
    for (name, w) in items {
        if x < *w {
            return name;
        }
        x -= w;
    }
    unreachable!()
}

/// Builds the benchmark state (see the module doc).
fn build() -> ClusterState {
    let pools = vec![
        (pool("h100", 128, 1024, 8, Some("H100-80G")), 7000),
        (pool("a100", 96, 768, 8, Some("A100-80G")), 2500),
        (pool("cpu", 64, 256, 0, None), 500),
    ];
    let queues: Vec<Queue> = [("prod", 4), ("research", 3), ("dev", 2), ("batch", 1)]
        .iter()
        .enumerate()
        .map(|(i, (name, w))| {
            let mut q = Queue::new(QueueId(i as u32), *name);
            q.weight = *w;
            q
        })
        .collect();
    let qid =
        |name: &str| QueueId(["prod", "research", "dev", "batch"].iter().position(|q| *q == name).unwrap() as u32);
    let mut st = ClusterState::new(pools, queues);
    let ranges = [0..7000usize, 7000..9500, 9500..10_000];
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let mut free: Vec<Resources> = st.nodes.iter().map(|n| n.idle).collect();
    let mut pods_on: Vec<u32> = vec![0; st.nodes.len()];

    // Running gangs until 80 % of the GPUs (60 % of the CPU-only nodes' CPU) are taken.
    let gpu_target = [7000 * 8 * 1000 * 8 / 10, 2500 * 8 * 1000 * 8 / 10];
    let cpu_target = 500 * 64 * 1000 * 6 / 10;
    let mut used = [0i64; 3];
    let mut n = 0;
    let mut misses = 0;
    while misses < 200 {
        let p = if rng.random_range(0..20) == 0 {
            2
        } else if rng.random_range(0..10) < 7 {
            0
        } else {
            1
        };
        let full = if p == 2 { used[2] >= cpu_target } else { used[p] >= gpu_target[p] };
        if full {
            misses += 1;
            continue;
        }
        let pods = [1, 1, 2, 4, 4, 8, 8, 16, 32][rng.random_range(0..9)];
        let gpus = gpus_for(&mut rng, pods);
        let min = if rng.random_range(0..3) == 0 { pods.div_ceil(2) } else { pods };
        let shape = Shape { pool: p, pods, gpus, min };
        let req = request(&shape);
        // Plan the whole gang first (random start, first fit from there) so a gang that does not fit
        // leaves nothing behind.
        let range = ranges[p].clone();
        let start = rng.random_range(range.clone());
        let mut plan = Vec::new();
        let mut k = 0;
        while plan.len() < pods as usize && k < 400 {
            let node = range.start + (start - range.start + k) % range.len();
            if req.le(&free[node]) && pods_on[node] < 110 {
                free[node] -= req;
                pods_on[node] += 1;
                plan.push(node);
            } else {
                k += 1;
            }
        }
        if plan.len() < pods as usize {
            for node in plan {
                free[node] += req;
                pods_on[node] -= 1;
            }
            misses += 1;
            continue;
        }
        used[p] += if p == 2 { req.cpu } else { req.scalars[GPU] } * pods as i64;
        let queue = pick(&mut rng, &[("prod", 30), ("research", 25), ("dev", 10), ("batch", 35)]);
        let priority = [0, 50, 100][rng.random_range(0..3)];
        let j = st.add_job(spec(format!("run-{n}"), n as u64, queue, priority, &shape), qid(queue), vec![1 << p]);
        st.create_pods(j);
        st.set_phase(j, PodGroupPhase::Inqueue);
        let tasks: Vec<_> = st.jobs[j.idx()].task_ids().collect();
        for (t, node) in tasks.into_iter().zip(plan) {
            st.transition(t, TaskStatus::Running, Some(NodeId(node as u32)));
        }
        st.set_phase(j, PodGroupPhase::Running);
        st.start_progress(j, SimTime(1_000_000));
        n += 1;
    }

    // Pending gangs: 500 jobs, exactly 10,000 pods.
    let mut sizes: Vec<u32> =
        (0..PENDING_JOBS).map(|_| [1, 2, 4, 8, 8, 16, 16, 32, 64][rng.random_range(0..9)]).collect();
    loop {
        let total: u32 = sizes.iter().sum();
        if total == PENDING_PODS {
            break;
        }
        let i = rng.random_range(0..PENDING_JOBS);
        if total > PENDING_PODS && sizes[i] > 1 {
            sizes[i] -= (total - PENDING_PODS).min(sizes[i] - 1).min(8);
        } else if total < PENDING_PODS && sizes[i] < 64 {
            sizes[i] += (PENDING_PODS - total).min(64 - sizes[i]).min(8);
        }
    }
    for (i, pods) in sizes.into_iter().enumerate() {
        let p = match rng.random_range(0..20) {
            0 => 2,
            1..=5 => 1,
            _ => 0,
        };
        let gpus = gpus_for(&mut rng, pods);
        let min = if rng.random_range(0..4) == 0 { pods.div_ceil(2) } else { pods };
        let shape = Shape { pool: p, pods, gpus, min };
        let queue = pick(&mut rng, &[("prod", 35), ("research", 30), ("dev", 25), ("batch", 10)]);
        let priority = [0, 50, 100][rng.random_range(0..3)];
        let submit = 2_000_000 + i as u64 * 1000;
        let j = st.add_job(spec(format!("pend-{i}"), submit, queue, priority, &shape), qid(queue), vec![1 << p]);
        st.set_phase(j, PodGroupPhase::Inqueue);
        st.create_pods(j);
    }
    st.take_changed();
    st.check_invariants().expect("benchmark state is consistent");
    st
}

fn scheduler(conf: &str) -> VolcanoScheduler {
    let text = std::fs::read_to_string(format!("{}/scenarios/conf/{conf}.conf", env!("CARGO_MANIFEST_DIR")))
        .expect("conf file");
    let conf = SchedulerConf::parse(&text, conf).expect("conf parses");
    VolcanoScheduler::new("bench", &conf, NodeScan::Volcano, 42).expect("plugins build")
}

/// Runs one cycle on a copy of `base` and prints what it did.
fn report(base: &ClusterState, conf: &str) {
    let mut st = base.clone();
    let mut s = scheduler(conf);
    let start = Instant::now();
    let d = s.cycle(&mut st, NOW);
    let took = start.elapsed();
    let running = base.tasks.iter().filter(|t| t.status == TaskStatus::Running).count();
    eprintln!(
        "{conf}: {} nodes, {} running pods, {} pending pods in {} jobs -> one cycle: {} binds, {} evictions \
         ({:.1} ms)",
        base.nodes.len(),
        running,
        base.tasks.iter().filter(|t| t.status == TaskStatus::Pending).count(),
        base.with_pending_pods.len(),
        d.binds.len(),
        d.evictions.len(),
        took.as_secs_f64() * 1e3
    );
    assert!(!d.binds.is_empty(), "the measured cycle must bind something");
}

fn main() {
    let base = build();
    if let Some(n) = std::env::var("TEPHRA_CYCLES").ok().and_then(|v| v.parse::<u32>().ok()) {
        for _ in 0..n {
            report(&base, "volcano-ci");
        }
        return;
    }
    report(&base, "volcano-ci");
    report(&base, "volcano-default");
    BASE.set(base).expect("set once");
    divan::main();
}

static BASE: std::sync::OnceLock<ClusterState> = std::sync::OnceLock::new();

fn bench_conf(bencher: divan::Bencher, conf: &str) {
    let base = BASE.get().expect("built in main");
    bencher.with_inputs(|| (base.clone(), scheduler(conf))).bench_local_values(|(mut st, mut s)| {
        let d = s.cycle(&mut st, NOW);
        (st, s, d) // dropped outside the timing
    });
}

/// One cycle, CI configuration (enqueue, allocate, backfill, reclaim, preempt).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn cycle_ci_conf(bencher: divan::Bencher) {
    bench_conf(bencher, "volcano-ci");
}

/// One cycle, Volcano's default configuration (enqueue, allocate, backfill).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn cycle_default_conf(bencher: divan::Bencher) {
    bench_conf(bencher, "volcano-default");
}
