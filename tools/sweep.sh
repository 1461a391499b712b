#!/usr/bin/env bash
# Validation sweep of one hyper-parameter: runs STRATEGY on both bundled
# scenarios for every VALUE of PARAM over SEEDS, which default to 11–20 so
# that a value chosen here is not chosen on the seeds RESULTS.md reports
# (1–10), then prints mean final A_T, mean U_k and forgetting per value.
# Usage: tools/sweep.sh STRATEGY PARAM "V1 V2 ..." ["SEEDS"] [OUT-DIR]
# e.g.   tools/sweep.sh mspt lambda_ad "0 1 3 10 30"
# ARGS="--set separated_softmax=true" adds those arguments to every run;
# REUSE=1 keeps the records already in OUT-DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $# -lt 3 ]]; then
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
strategy=$1 param=$2 values=$3
seeds=${4:-$(seq -s ' ' 11 20)}
out=${5:-runs/sweep-$strategy-$param}
mkdir -p "$out"
source tools/lib.sh
build_cli
for scenario in entity relation; do
  for value in $values; do
    for seed in $seeds; do
      # shellcheck disable=SC2086
      job "$out/$scenario-$param=$value-s$seed.json" --scenario "$scenario" --strategy "$strategy" \
        --seed "$seed" --param "$param=$value" ${ARGS:-}
    done
  done
done | run_records
python3 - "$out" "$param" "$values" "$seeds" <<'PY'
import statistics, sys
sys.path.insert(0, "tools")
from paired import load  # the measures, read as the paired comparisons read them
out, param, values, seeds = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4].split()
runs = load(out, [f"{param}={v}" for v in values])
def fmt(xs):
    sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
    return f"{statistics.mean(xs):.1f} ± {sd:.1f}"
for scenario in ["entity", "relation"]:
    print(f"\n### {scenario}, seeds {seeds[0]}–{seeds[-1]}\n")
    print(f"| {param} | A_T | mean U_k | forgetting |")
    print("|---|---|---|---|")
    for v in values:
        rs = [runs[(scenario, int(s))][f"{param}={v}"] for s in seeds]
        print(f"| {v} | " + " | ".join(fmt([r[m] for r in rs]) for m in ["A_T", "mean U_k", "forgetting"]) + " |")
PY
