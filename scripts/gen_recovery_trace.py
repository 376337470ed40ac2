#!/usr/bin/env python3
"""Generate the training workload of the recovery scenarios (scenarios/recovery-*.yaml).

Deterministic (seeded); same arguments -> byte-identical output. Writes two traces with the same
jobs: `traces/recovery-training.csv` (rigid gangs: minAvailable == replicas) and
`traces/recovery-training-elastic.csv` (the same jobs elastic: minAvailable = 3/4 of the replicas,
linear scaling via the `tephra.io/scaling` annotation) and `traces/recovery-training-groups.csv`
(the same jobs as two replica groups `group-a` and `group-b` of half the pods each, each group
elastic down to half its pods, so a job keeps training on one group while the other restarts:
the RestartTask case).

Jobs: 30 data-parallel trainings on H100 nodes (8 GPUs a pod, one pod a node), 2 to 12 pods,
6 to 48 hours of work, submitted over the first 12 hours.
"""
import random

HEADER = "job_id,submit_s,duration_s,queue,priority,role,replicas,min_available,cpu,memory,gpu,gpu_model,annotations\n"


def main():
    rng = random.Random(5)
    jobs = []
    for i in range(30):
        submit = round(rng.uniform(0, 12 * 3600), 3)
        pods = rng.choice([2, 4, 4, 8, 8, 12])
        hours = rng.choice([6, 12, 12, 24, 24, 48])
        jobs.append((submit, f"train{i:02d}", pods, hours * 3600))
    jobs.sort()
    with (
        open("traces/recovery-training.csv", "w") as rigid,
        open("traces/recovery-training-elastic.csv", "w") as el,
        open("traces/recovery-training-groups.csv", "w") as groups,
    ):
        rigid.write(HEADER)
        el.write(HEADER)
        groups.write(HEADER)
        for submit, name, pods, work in jobs:
            rigid.write(f"{name},{submit},{work},training,0,worker,{pods},{pods},96,1Ti,8,H100-80G,\n")
            mn = max(1, pods * 3 // 4)
            el.write(f"{name},{submit},{work},training,0,worker,{pods},{mn},96,1Ti,8,H100-80G,tephra.io/scaling=linear\n")
            half = pods // 2
            gmin = max(1, half // 2)
            groups.write(f"{name},{submit},{work},training,0,group-a,{half},{gmin},96,1Ti,8,H100-80G,tephra.io/scaling=linear\n")
            groups.write(f"{name},{submit},{work},training,0,group-b,{half},{gmin},96,1Ti,8,H100-80G,\n")


if __name__ == "__main__":
    main()
