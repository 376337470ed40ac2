#!/usr/bin/env python3
"""Writes a synthetic trace in the Alibaba PAI 2020 schema (headerless pai_job_table.csv and
pai_task_table.csv, as published) for reader benchmarks. Not real data.

    python3 scripts/gen_pai_trace.py --jobs 1000000 --seed 1 --out /tmp/pai1m

Every job has one task; every 10th job also has a parameter-server task (so the task table has
jobs x 1.1 rows). 2 % of jobs are still Running (no end time) and are skipped by the reader.
Run times are log-normal (median 480 s), GPU requests 25/50/100/200/800 (% of a GPU), GPU types
from the trace's five, users u0..u999.
"""
import argparse
import math
import os
import random


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    types = ["T4", "P100", "V100", "V100M32", "MISC", ""]
    gpus = [25, 50, 100, 100, 100, 200, 800]
    t = 0.0
    with open(os.path.join(a.out, "pai_job_table.csv"), "w") as jf, open(
        os.path.join(a.out, "pai_task_table.csv"), "w"
    ) as tf:
        jw, tw = [], []
        for i in range(a.jobs):
            t += rng.expovariate(1 / 3.6)
            name = "%024x" % rng.getrandbits(96)
            user = "u%d" % rng.randrange(1000)
            start = t + rng.expovariate(1 / 60)
            dur = 480 * math.exp(rng.gauss(0, 2.1))
            running = rng.random() < 0.02
            end = "" if running else "%.1f" % (start + dur)
            status = "Running" if running else "Terminated"
            jw.append("%s,inst%d,%s,%s,%.1f,%s\n" % (name, i, user, status, t, end))
            g = rng.choice(gpus)
            ty = rng.choice(types)
            tw.append(
                "%s,worker,%d.0,%s,%.1f,%s,%d.0,%.3f,%d.0,%s\n"
                % (name, rng.choice([1, 1, 1, 2, 4]), status, start, end, 600, 29.3, g, ty)
            )
            if i % 10 == 0:
                tw.append("%s,ps,1.0,%s,%.1f,%s,1200.0,64.0,,\n" % (name, status, start, end))
            if len(jw) >= 10000:
                jf.writelines(jw)
                tf.writelines(tw)
                jw, tw = [], []
        jf.writelines(jw)
        tf.writelines(tw)


if __name__ == "__main__":
    main()
