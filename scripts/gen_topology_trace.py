#!/usr/bin/env python3
"""Generate the seeded gang mix of scenarios/topology.yaml (tephra native CSV with annotations).

Three classes of jobs in turn, same size distribution each, told apart by the job id prefix:
  hard-*  volcano.sh/network-topology-mode=hard, highest tier 1 (one ToR) for gangs of up to 8
          pods, tier 2 (one aggregation switch) for bigger ones;
  soft-*  volcano.sh/network-topology-mode=soft;
  none-*  no constraint.
Sizes: 40% one pod of 1, 2 or 4 GPUs; then gangs of 2, 4, 8 or 16 pods with 8 GPUs each.
Durations log-normal (median 20 min, capped to [2 min, 8 h]); Poisson arrivals at a rate that
offers `--load` of `--gpus` GPUs. Same arguments -> byte-identical output.

    python3 scripts/gen_topology_trace.py --seed 3 --jobs 600 --gpus 768 --load 0.85 \
        --out traces/topology/mixed-gangs.csv
"""
import argparse
import math
import random


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=600)
    ap.add_argument("--gpus", type=int, default=768)
    ap.add_argument("--load", type=float, default=0.85)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    jobs = []
    for i in range(a.jobs):
        if rng.random() < 0.4:
            pods, gpu = 1, rng.choice([1, 2, 4])
        else:
            pods, gpu = rng.choice([2, 2, 4, 4, 8, 16]), 8
        dur = min(max(math.exp(rng.gauss(math.log(1200), 1.0)), 120), 8 * 3600)
        jobs.append((pods, gpu, round(dur, 3)))
    gpu_s = sum(p * g * d for p, g, d in jobs)
    rate = a.load * a.gpus / (gpu_s / len(jobs))  # jobs per second
    t = 0.0
    rows = ["job_id,submit_s,duration_s,queue,priority,role,replicas,min_available,cpu,memory,gpu,gpu_model,annotations"]
    for i, (pods, gpu, dur) in enumerate(jobs):
        t += rng.expovariate(rate)
        cls = ("hard", "soft", "none")[i % 3]
        if cls == "hard":
            tier = 1 if pods <= 8 else 2
            ann = f"volcano.sh/network-topology-mode=hard;volcano.sh/network-topology-highest-tier={tier}"
        elif cls == "soft":
            ann = "volcano.sh/network-topology-mode=soft"
        else:
            ann = ""
        cpu, mem = 12 * gpu, f"{96 * gpu}Gi"
        rows.append(f"{cls}-{i:04d},{t:.3f},{dur},train,0,worker,{pods},{pods},{cpu},{mem},{gpu},,{ann}")
    with open(a.out, "w") as f:
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
