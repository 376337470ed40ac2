#!/usr/bin/env python3
"""Generate synthetic, seeded workload traces in tephra's native CSV format.

Purpose
-------
tephra replays batch jobs (Volcano PodGroups) against a simulated GPU/NPU
fleet.  This script produces realistic-looking, fully deterministic traces for
examples, tests and benchmarks.  Same arguments -> byte-identical output.

Output format (one row per task role of a job, header row first)
----------------------------------------------------------------
    job_id,submit_s,duration_s,queue,priority,role,replicas,min_available,cpu,memory,gpu,gpu_model

* job_id        unique per job (``j000123``); the rows of a multi-role job are
                adjacent and share submit_s/duration_s/queue/priority.
* submit_s      seconds since trace start (ms precision), rows sorted ascending.
* duration_s    seconds of work while the whole gang runs (> 0, ms precision).
* queue         tenant queue; priority is the queue's integer priority.
* role          ``worker`` (accelerator or CPU-only pods) or ``ps``
                (parameter server, CPU only).
* replicas      pods of this role (>= 1); min_available is the gang minimum
                for the role (== replicas except for elastic jobs).
* cpu, memory   Kubernetes quantities per pod (``16``, ``128Gi``).
* gpu           whole accelerators per pod (0..=8); gpu_model is empty (any
                NVIDIA GPU), a GPU model, or an Ascend NPU model.

Workload shape
--------------
The shape follows published analyses of production AI clusters -- Microsoft
Philly (Jeon et al., USENIX ATC'19), SenseTime Helios (Hu et al., SC'21) and
Alibaba PAI (Weng et al., NSDI'22): most jobs use a single GPU, a small number
of large gang jobs hold most of the GPU-hours, and durations are heavy-tailed
(roughly log-normal over several orders of magnitude).  Concretely:

* accelerators per job: 1 (60%), 2 (10%), 4 (10%), 8 (12%), 16 (4.5%),
  32 (2.5%), 64 (1%); ~3% of jobs are CPU-only (one pod, e.g. preprocessing).
* a job with N <= 8 accelerators is one pod with N; N > 8 is a gang of N/8
  pods with 8 each (a node has 8 accelerators).
* durations: log-normal, median 30 min scaled up for larger jobs, capped to
  [60 s, 48 h].
* ~5% of multi-GPU jobs are parameter-server style: a ``ps`` role (1-2 CPU-only
  replicas) plus a ``worker`` role holding the accelerators (N <= 8: N
  single-accelerator workers).
* ~5% of 8-to-32-accelerator jobs are elastic (worker min_available =
  replicas / 2).  Single-pod jobs cannot shrink, so the elastic draw applies
  to the multi-pod (16 and 32) jobs with a correspondingly higher probability.
* min_available == replicas everywhere else.
* arrivals: Poisson with a daily sinusoidal rate (peak 14:00, trough 02:00,
  +-50%).  The mean rate is chosen so that offered accelerator-hours /
  (accelerators x span) == --load, where the span follows from the jobs' total
  accelerator-hours; the N-th arrival is placed at the end of the span.

Usage
-----
    python3 scripts/gen_trace.py --seed 7 --jobs 400 --out traces/quickstart.csv \\
        [--accelerators 192] [--load 0.8] [--ascend-frac 0.2] \\
        [--queues research:0,prod:100,dev:0] [--ascend-model Ascend910B] \\
        [--gpu-model ""]

``--queues`` takes ``name:priority[:weight]`` items; without explicit weights
three queues get 0.45/0.35/0.20 and any other count is uniform.  A one-line
summary goes to stderr.  Stdlib only (Python >= 3.11).
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import random
import sys
import tempfile
from dataclasses import dataclass

HEADER = (
    "job_id", "submit_s", "duration_s", "queue", "priority", "role",
    "replicas", "min_available", "cpu", "memory", "gpu", "gpu_model",
)

# Accelerators per job and their probabilities (sum to 1).
SIZE_DIST = ((1, 0.60), (2, 0.10), (4, 0.10), (8, 0.12), (16, 0.045), (32, 0.025), (64, 0.01))
GPUS_PER_NODE = 8
CPU_ONLY_FRAC = 0.03
PS_FRAC_MULTI_GPU = 0.05  # of jobs with >= 2 accelerators
ELASTIC_FRAC_8_TO_32 = 0.05  # of jobs with 8..=32 accelerators

# Durations (milliseconds): log-normal around a size-dependent median.
DURATION_MEDIAN_MS = 30 * 60 * 1000
DURATION_SIGMA = 1.5
DURATION_SIZE_SLOPE = 0.3  # median *= 1 + slope * log2(accelerators)
DURATION_MIN_MS = 60 * 1000
DURATION_MAX_MS = 48 * 3600 * 1000

# Per-pod resources.
CPU_PER_ACCEL = (8, 16)  # whole cores, inclusive
MEM_PER_ACCEL_GI = (64, 80, 96, 112, 128)
MAX_POD_CPU = 128
MAX_POD_MEM_GI = 1024
CPU_ONLY_CPU = (4, 32)
CPU_ONLY_MEM_GI = (16, 32, 48, 64, 96, 128)

# Diurnal arrival modulation: rate(t) = mean * (1 + A * sin(2*pi*t/DAY + PHASE)).
DAY_S = 86400.0
DIURNAL_AMPLITUDE = 0.5
DIURNAL_PEAK_S = 14 * 3600.0
DIURNAL_PHASE = math.pi / 2 - 2 * math.pi * DIURNAL_PEAK_S / DAY_S

DEFAULT_QUEUES = "research:0,prod:100,dev:0"
DEFAULT_QUEUE_WEIGHTS = (0.45, 0.35, 0.20)


@dataclass(frozen=True)
class Queue:
    name: str
    priority: int
    weight: float


@dataclass(frozen=True)
class Role:
    name: str
    replicas: int
    min_available: int
    cpu: int
    mem_gi: int
    gpu: int
    gpu_model: str


@dataclass(frozen=True)
class Job:
    duration_ms: int
    queue: Queue
    accelerators: int
    roles: tuple[Role, ...]


def parse_queues(spec: str) -> list[Queue]:
    items = [s.strip() for s in spec.split(",") if s.strip()]
    if not items:
        raise ValueError("--queues is empty")
    parsed = []
    for item in items:
        parts = item.split(":")
        if len(parts) not in (2, 3) or not parts[0]:
            raise ValueError(f"bad queue spec {item!r}; want name:priority[:weight]")
        weight = float(parts[2]) if len(parts) == 3 else None
        parsed.append((parts[0], int(parts[1]), weight))
    names = [p[0] for p in parsed]
    if len(set(names)) != len(names):
        raise ValueError("duplicate queue name in --queues")
    if all(w is None for _, _, w in parsed):
        if len(parsed) == len(DEFAULT_QUEUE_WEIGHTS):
            weights = list(DEFAULT_QUEUE_WEIGHTS)
        else:
            weights = [1.0] * len(parsed)
    elif any(w is None for _, _, w in parsed):
        raise ValueError("give weights for all queues or for none")
    else:
        weights = [w for _, _, w in parsed]
    if any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError("queue weights must be non-negative with a positive sum")
    return [Queue(n, p, w) for (n, p, _), w in zip(parsed, weights)]


def allowed_sizes(accelerators: int) -> tuple[list[int], list[float]]:
    """Job sizes that fit in the fleet (all of them for any realistic fleet)."""
    sizes = [(n, p) for n, p in SIZE_DIST if n <= accelerators]
    return [n for n, _ in sizes], [p for _, p in sizes]


def draw_duration_ms(rng: random.Random, accelerators: int) -> int:
    median = DURATION_MEDIAN_MS * (1 + DURATION_SIZE_SLOPE * math.log2(max(accelerators, 1)))
    ms = round(rng.lognormvariate(math.log(median), DURATION_SIGMA))
    return min(max(ms, DURATION_MIN_MS), DURATION_MAX_MS)


def cpu_only_role(rng: random.Random, name: str, replicas: int) -> Role:
    cpu = rng.randint(*CPU_ONLY_CPU)
    mem = rng.choice(CPU_ONLY_MEM_GI)
    return Role(name, replicas, replicas, cpu, mem, 0, "")


def accel_role(rng: random.Random, replicas: int, min_available: int, per_pod: int, model: str) -> Role:
    cpu = min(rng.randint(*CPU_PER_ACCEL) * per_pod, MAX_POD_CPU)
    mem = min(rng.choice(MEM_PER_ACCEL_GI) * per_pod, MAX_POD_MEM_GI)
    return Role("worker", replicas, min_available, cpu, mem, per_pod, model)


def draw_job(rng: random.Random, args: argparse.Namespace, queues: list[Queue],
             sizes: tuple[list[int], list[float]]) -> Job:
    """Draw one job; the order of rng calls is fixed so output is reproducible."""
    queue = rng.choices(queues, weights=[q.weight for q in queues])[0]
    if rng.random() < CPU_ONLY_FRAC:
        return Job(draw_duration_ms(rng, 1), queue, 0, (cpu_only_role(rng, "worker", 1),))

    n = rng.choices(sizes[0], weights=sizes[1])[0]
    model = args.ascend_model if rng.random() < args.ascend_frac else args.gpu_model
    duration = draw_duration_ms(rng, n)
    # Large jobs are gangs of full nodes; small ones a single pod.
    pods, per_pod = (n // GPUS_PER_NODE, GPUS_PER_NODE) if n > GPUS_PER_NODE else (1, n)

    if n >= 2 and rng.random() < PS_FRAC_MULTI_GPU:
        ps = cpu_only_role(rng, "ps", rng.randint(1, 2))
        if n <= GPUS_PER_NODE:  # classic PS jobs: one accelerator per worker
            pods, per_pod = n, 1
        return Job(duration, queue, n, (ps, accel_role(rng, pods, pods, per_pod, model)))

    min_available = pods
    if pods >= 2 and GPUS_PER_NODE <= n <= 32:
        # Only multi-pod jobs can shrink; scale the probability so that about
        # ELASTIC_FRAC_8_TO_32 of all 8..=32-accelerator jobs end up elastic.
        in_range = [(s, p) for s, p in SIZE_DIST if GPUS_PER_NODE <= s <= 32]
        multi = sum(p for s, p in in_range if s > GPUS_PER_NODE)
        p_elastic = ELASTIC_FRAC_8_TO_32 * sum(p for _, p in in_range) / multi
        if rng.random() < p_elastic:
            min_available = pods // 2
    return Job(duration, queue, n, (accel_role(rng, pods, min_available, per_pod, model),))


def diurnal_cum(t: float) -> float:
    """Integral over [0, t] of the normalised rate 1 + A*sin(2*pi*s/DAY + PHASE)."""
    w = 2 * math.pi / DAY_S
    return t + DIURNAL_AMPLITUDE / w * (math.cos(DIURNAL_PHASE) - math.cos(w * t + DIURNAL_PHASE))


def invert_diurnal(target: float) -> float:
    """Solve diurnal_cum(t) == target by safeguarded Newton (diurnal_cum is increasing)."""
    w = 2 * math.pi / DAY_S
    slack = 2 * DIURNAL_AMPLITUDE / w
    lo, hi = max(0.0, target - slack), target + slack
    t = min(max(target, lo), hi)
    for _ in range(100):
        f = diurnal_cum(t) - target
        if abs(f) < 1e-7:
            break
        if f > 0:
            hi = t
        else:
            lo = t
        t_new = t - f / (1 + DIURNAL_AMPLITUDE * math.sin(w * t + DIURNAL_PHASE))
        t = t_new if lo < t_new < hi else (lo + hi) / 2
    return t


def arrival_times_ms(rng: random.Random, n: int, span_s: float) -> list[int]:
    """n arrivals of a diurnally modulated Poisson process whose n-th arrival is at span_s.

    Unit-rate exponential gaps give the arrivals in 'operational time'; scaling
    them so the n-th lands at diurnal_cum(span_s) and mapping back through the
    inverse cumulative rate yields the modulated process (time-rescaling).
    """
    cum, total = [], 0.0
    for _ in range(n):
        total += rng.expovariate(1.0)
        cum.append(total)
    scale = diurnal_cum(span_s) / total
    times = [round(invert_diurnal(c * scale) * 1000) for c in cum]
    times[-1] = round(span_s * 1000)
    for i in range(1, n):  # guard against rounding making the order non-monotonic
        times[i] = max(times[i], times[i - 1])
    return times


def fmt_seconds(ms: int) -> str:
    s, frac = divmod(ms, 1000)
    return f"{s}.{frac:03d}".rstrip("0").rstrip(".") if frac else str(s)


def job_rows(job_id: str, submit_ms: int, job: Job) -> list[list[str]]:
    return [
        [job_id, fmt_seconds(submit_ms), fmt_seconds(job.duration_ms), job.queue.name,
         str(job.queue.priority), r.name, str(r.replicas), str(r.min_available),
         str(r.cpu), f"{r.mem_gi}Gi", str(r.gpu), r.gpu_model]
        for r in job.roles
    ]


def write_atomic(path: str, rows: list[list[str]]) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".gen_trace-", suffix=".csv", dir=directory)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(HEADER)
            writer.writerows(rows)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Generate a seeded tephra workload trace (native CSV).")
    p.add_argument("--seed", type=int, required=True, help="RNG seed")
    p.add_argument("--jobs", type=int, required=True, help="number of jobs")
    p.add_argument("--out", required=True, help="output CSV path (written atomically)")
    p.add_argument("--accelerators", type=int, default=192, help="fleet accelerators (default 192)")
    p.add_argument("--load", type=float, default=0.8, help="offered load target (default 0.8)")
    p.add_argument("--ascend-frac", type=float, default=0.2,
                   help="fraction of accelerator jobs requesting --ascend-model (default 0.2)")
    p.add_argument("--queues", default=DEFAULT_QUEUES, help=f"name:priority[:weight],... (default {DEFAULT_QUEUES})")
    p.add_argument("--ascend-model", default="Ascend910B", help="NPU model name (default Ascend910B)")
    p.add_argument("--gpu-model", default="", help="gpu_model of non-Ascend jobs (default: empty = any NVIDIA GPU)")
    args = p.parse_args(argv)
    if args.jobs < 1:
        p.error("--jobs must be >= 1")
    if args.accelerators < 1:
        p.error("--accelerators must be >= 1")
    if not args.load > 0:
        p.error("--load must be > 0")
    if not 0 <= args.ascend_frac <= 1:
        p.error("--ascend-frac must be in [0, 1]")
    if "," in args.ascend_model or "," in args.gpu_model:
        p.error("model names must not contain commas")
    try:
        args.queue_list = parse_queues(args.queues)
    except ValueError as e:
        p.error(str(e))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rng = random.Random(args.seed)
    sizes = allowed_sizes(args.accelerators)

    jobs = [draw_job(rng, args, args.queue_list, sizes) for _ in range(args.jobs)]
    accel_ms = sum(j.accelerators * j.duration_ms for j in jobs)
    # Offered load = accel-seconds / (accelerators * span)  =>  span = work / (accelerators * load).
    # CPU-only jobs carry no accelerator work; keep a 1 s floor for degenerate inputs.
    span_s = max(accel_ms / 1000 / (args.accelerators * args.load), 1.0)
    submits = arrival_times_ms(rng, len(jobs), span_s)

    width = max(6, len(str(len(jobs) - 1)))
    rows = []
    for i, (submit, job) in enumerate(zip(submits, jobs)):
        rows.extend(job_rows(f"j{i:0{width}d}", submit, job))
    write_atomic(args.out, rows)

    accel_hours = accel_ms / 3.6e6
    span_h = submits[-1] / 3.6e6
    load = accel_hours / (args.accelerators * span_h) if span_h > 0 else float("inf")
    print(f"gen_trace: {args.out}: jobs={len(jobs)} rows={len(rows)} accel_hours={accel_hours:.1f} "
          f"span_h={span_h:.2f} offered_load={load:.3f} (accelerators={args.accelerators}, seed={args.seed})",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
