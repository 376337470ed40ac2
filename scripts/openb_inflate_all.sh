#!/usr/bin/env bash
# The FGD paper's packing experiment (Weng et al., USENIX ATC'23) on the openb pod lists:
# 6 policies x 10 seeds per list, each list one `tephra run` of scenarios/openb-fgd.yaml.
#
#   scripts/openb_inflate_all.sh [-o OUT] [-l LISTS] [DIR]
#
#   DIR    holds openb_pod_list_*.csv and openb_node_list_gpu_node.csv
#          (default ../shared/traces/alibaba-gpu-v2023)
#   -l     paper (default): the 17 lists of the paper's artifact (kubernetes-scheduler-simulator
#          experiments/run_scripts/generate_run_scripts.py): default, cpu050/100/200/250,
#          gpushare40/60/80/100, gpuspec10/20/25/33, multigpu20/30/40/50;
#          all: every openb_pod_list_*.csv in DIR; or names separated by commas (default,cpu300)
#   -o     output folder (default reports/openb-all; said on start). Per list OUT/<list>/
#          (inflate_curves.csv, inflate_summary.csv, allocation.svg), then OUT/openb-all.csv (every
#          summary row with a `trace` column first), OUT/timing.csv (wall and CPU seconds per
#          list, load average before and after) and OUT/vs-artifact.md (tephra's medians at 130 %
#          beside the paper's published ones: scripts/openb_vs_artifact.py).
set -euo pipefail
cd "$(dirname "$0")/.."
out=reports/openb-all
lists=paper
while getopts "o:l:" opt; do
  case "$opt" in
    o) out="$OPTARG" ;;
    l) lists="$OPTARG" ;;
    *) sed -n '2,19p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
dir="$(cd "${1:-../shared/traces/alibaba-gpu-v2023}" && pwd)"
nodes="$dir/openb_node_list_gpu_node.csv"
[ -f "$nodes" ] || { echo "no $nodes" >&2; exit 2; }
case "$lists" in
  paper) names="default cpu050 cpu100 cpu200 cpu250 gpushare40 gpushare60 gpushare80 gpushare100
                gpuspec10 gpuspec20 gpuspec25 gpuspec33 multigpu20 multigpu30 multigpu40 multigpu50" ;;
  all) names="$(for f in "$dir"/openb_pod_list_*.csv; do n="$(basename "$f" .csv)"; echo "${n#openb_pod_list_}"; done)" ;;
  *) names="${lists//,/ }" ;;
esac
for name in $names; do
  [ -f "$dir/openb_pod_list_$name.csv" ] || { echo "no $dir/openb_pod_list_$name.csv" >&2; exit 2; }
done
cargo build --release --quiet
mkdir -p "$out/scenarios"
echo "writing to $out/ ($(echo $names | wc -w) pod lists from $dir)"
all="$out/openb-all.csv"
timing="$out/timing.csv"
rm -f "$all"
echo "trace,wall_s,user_s,load1_before,load1_after" > "$timing"
started=$(date +%s.%N)
for name in $names; do
  sc="$out/scenarios/$name.yaml"
  sed -e "s|node_list: .*|node_list: $nodes|" -e "s|  trace: .*|  trace: $dir/openb_pod_list_$name.csv|" \
    -e "s|^name: .*|name: openb-$name|" scenarios/openb-fgd.yaml > "$sc"
  load0=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f "%e %U" -o "$out/scenarios/$name.time" ./target/release/tephra run "$sc" --quiet --out "$out/$name"
  read -r wall user < "$out/scenarios/$name.time"
  echo "$name,$wall,$user,$load0,$(cut -d' ' -f1 /proc/loadavg)" >> "$timing"
  if [ ! -f "$all" ]; then
    { printf 'trace,'; head -1 "$out/$name/inflate_summary.csv"; } > "$all"
  fi
  tail -n +2 "$out/$name/inflate_summary.csv" | sed "s|^|$name,|" >> "$all"
  echo "$name done: $wall s wall, $user s CPU"
done
echo "all done in $(echo "$(date +%s.%N) - $started" | bc) s wall; wrote $all and $timing"
# Against the paper's own curves (traces/openb/fgd_artifact_alloc_130.csv): a table per list and
# policy, tephra's median / the artifact's median at 130 %.
if python3 scripts/openb_vs_artifact.py "$all" > "$out/vs-artifact.md"; then
  tail -1 "$out/vs-artifact.md"
else
  echo "a median differs from the paper's artifact by more than 1 point, or a list is missing: see $out/vs-artifact.md" >&2
fi
