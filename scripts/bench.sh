#!/usr/bin/env bash
# Reproduces the figures in BENCHMARKS.md: builds release, generates the 100k-job trace (seeded),
# and times the quickstart and bench-100k scenarios.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
mkdir -p target/bench
if [ ! -s target/bench/bench-100k.csv ]; then
  python3 scripts/gen_trace.py --seed 42 --jobs 100000 --accelerators 8000 --load 0.85 --ascend-frac 0 \
    --out target/bench/bench-100k.csv
fi
for sc in quickstart bench-100k; do
  echo "== $sc"
  /usr/bin/time -f "wall %e s, max RSS %M KiB" ./target/release/tephra run "scenarios/$sc.yaml" \
    --out "target/bench/$sc" --quiet
  cat "target/bench/$sc/perf.json"
done
