#!/usr/bin/env bash
# The FGD paper's packing experiment on every openb pod list: 6 policies x 10 seeds per trace.
#
#   scripts/openb_inflate_all.sh [DIR]     # DIR holds openb_pod_list_*.csv and
#                                          # openb_node_list_gpu_node.csv
#                                          # (default ../shared/traces/alibaba-gpu-v2023)
#
# Writes reports/openb-<list>/ per pod list (inflate_curves.csv, inflate_summary.csv,
# allocation.svg) and reports/openb-all.csv: every summary row with a `trace` column first.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$(cd "${1:-../shared/traces/alibaba-gpu-v2023}" && pwd)"
nodes="$dir/openb_node_list_gpu_node.csv"
[ -f "$nodes" ] || { echo "no $nodes" >&2; exit 1; }
cargo build --release --quiet
mkdir -p target/openb-all reports
all=reports/openb-all.csv
rm -f "$all"
for pods in "$dir"/openb_pod_list_*.csv; do
  name="$(basename "$pods" .csv)"
  name="${name#openb_pod_list_}"
  sc="target/openb-all/$name.yaml"
  sed -e "s|node_list: .*|node_list: $nodes|" -e "s|  trace: .*|  trace: $pods|" -e "s|^name: .*|name: openb-$name|" \
    scenarios/openb-fgd.yaml > "$sc"
  ./target/release/tephra run "$sc" --quiet
  if [ ! -f "$all" ]; then
    { printf 'trace,'; head -1 "reports/openb-$name/inflate_summary.csv"; } > "$all"
  fi
  tail -n +2 "reports/openb-$name/inflate_summary.csv" | sed "s|^|$name,|" >> "$all"
  echo "$name done"
done
echo "wrote $all"
