#!/usr/bin/env python3
"""Compare tephra's packing experiment with the FGD paper's published curves.

    scripts/openb_vs_artifact.py [OUT/openb-all.csv] [--artifact traces/openb/fgd_artifact_alloc_130.csv]

OUT/openb-all.csv is what scripts/openb_inflate_all.sh writes (every list's inflate_summary.csv
with a `trace` column). The artifact file holds, per pod list and policy, the median, minimum and
maximum over seeds 42-51 of GPU allocation at 130 % arrived, as published with the paper
(see traces/openb/SOURCE.md). Prints a Markdown table "tephra median / artifact median" per list and
policy (a `*` marks a tephra median outside the artifact's min-max), then the largest difference
of medians. Exits 1 when a list or policy is missing on either side or a median differs by more
than --tolerance points (default 1.0), else 0.
"""
import argparse
import csv
import sys

POLICIES = ["random", "dotprod", "clustering", "packing", "bestfit", "fgd"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ours", nargs="?", default="reports/openb-all/openb-all.csv")
    ap.add_argument("--artifact", default="traces/openb/fgd_artifact_alloc_130.csv")
    ap.add_argument("--tolerance", type=float, default=1.0)
    a = ap.parse_args()
    ours = {}
    with open(a.ours, newline="") as f:
        for r in csv.DictReader(f):
            if float(r["arrived_pct"]) == 130.0:
                ours[(r["trace"], r["policy"])] = float(r["alloc_median"])
    ref = {}
    with open(a.artifact, newline="") as f:
        for r in csv.DictReader(f):
            ref[(r["list"], r["policy"])] = (float(r["median_130"]), float(r["min_130"]), float(r["max_130"]))
    lists = []
    for (l, _) in ours:
        if l not in lists:
            lists.append(l)
    missing = [k for k in ref if k[0] in lists and k not in ours] + [k for k in ours if k not in ref]
    print("| list | " + " | ".join(POLICIES) + " |")
    print("|---" * (len(POLICIES) + 1) + "|")
    worst, inside, n = 0.0, 0, 0
    for l in lists:
        cells = []
        for p in POLICIES:
            if (l, p) not in ours or (l, p) not in ref:
                cells.append("-")
                continue
            o, (m, lo, hi) = ours[(l, p)], ref[(l, p)]
            ok = lo <= o <= hi
            inside += ok
            n += 1
            worst = max(worst, abs(o - m))
            cells.append(f"{o:.1f} / {m:.1f}" + ("" if ok else " *"))
        print(f"| {l} | " + " | ".join(cells) + " |")
    print(f"\n{inside} of {n} tephra medians inside the artifact's min-max over its 10 seeds; "
          f"largest difference of medians {worst:.2f} points.")
    if missing:
        print("missing: " + ", ".join(f"{l}/{p}" for l, p in sorted(missing)), file=sys.stderr)
        return 1
    return 1 if worst > a.tolerance else 0


if __name__ == "__main__":
    sys.exit(main())
