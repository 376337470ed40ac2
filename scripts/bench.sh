#!/usr/bin/env bash
# Reproduces the figures in BENCHMARKS.md: builds release, generates the 100k-job trace (seeded),
# and times the quickstart and bench-100k scenarios. With `--ci`, also bench-100k under Volcano's CI
# configuration (reclaim and preempt on; several minutes). The one-cycle benchmark at 10,000 nodes is
# `cargo bench --bench allocate`.
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
if [ "${1:-}" = "--ci" ]; then
  echo "== bench-100k, volcano-ci.conf"
  /usr/bin/time -f "wall %e s, max RSS %M KiB" ./target/release/tephra run scenarios/bench-100k.yaml \
    --conf scenarios/conf/volcano-ci.conf --out target/bench/bench-100k-ci --quiet
  cat target/bench/bench-100k-ci/perf.json
fi
