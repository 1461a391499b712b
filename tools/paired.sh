#!/usr/bin/env bash
# Two strategies at their defaults, each seed run both ways, then
# tools/paired.py's paired table (mean difference, 95 % interval, wins).
# Usage: tools/paired.sh A B [out-dir] [seeds] [scenarios]
# A side is a strategy, STRATEGY:PART for the strategy with --ablate PART
# (its records are named STRATEGY-no-PART), or STRATEGY+KEY=VALUE for the
# strategy with --param KEY=VALUE (records named STRATEGY-KEY-VALUE).
# e.g.   tools/paired.sh mspt replay runs/paired-mspt-replay "$(seq 1 10)" "entity relation"
#        tools/paired.sh mspt mspt:ad runs/paired-mspt-replay   (MSPT with and without AD)
#        tools/paired.sh mspt+ad_scores=true mspt runs/paired-ad-scores   (AD before the softmax)
# Runs as many at once as there are cores (PALIMPSEST_JOBS overrides); keeps
# the records already in out-dir.
set -euo pipefail
cd "$(dirname "$0")/.."
a=${1:?usage: tools/paired.sh A B [out-dir] [seeds] [scenarios]}
b=${2:?usage: tools/paired.sh A B [out-dir] [seeds] [scenarios]}
out=${3:-runs/paired-$a-$b}
seeds=${4:-$(seq 1 10)}
scenarios=${5:-entity relation}
mkdir -p "$out"
source tools/lib.sh
build_cli
# the name a side's records go under: mspt, or mspt-no-ad for mspt:ad
# and mspt-ad_scores-true for mspt+ad_scores=true
side_name() {
  if [[ $1 == *:* ]]; then echo "${1%%:*}-no-${1#*:}"
  elif [[ $1 == *+* ]]; then local p=${1#*+}; echo "${1%%+*}-${p%%=*}-${p#*=}"
  else echo "$1"; fi
}
# one side's run on one scenario and seed
side_job() {
  local scenario=$1 side=$2 seed=$3
  local args=(--scenario "$scenario" --strategy "${side%%[:+]*}" --seed "$seed")
  if [[ $side == *:* ]]; then args+=(--ablate "${side#*:}"); fi
  if [[ $side == *+* ]]; then args+=(--param "${side#*+}"); fi
  job "$out/$scenario-$(side_name "$side")-s$seed.json" "${args[@]}"
}
for seed in $seeds; do
  for scenario in $scenarios; do
    side_job "$scenario" "$a" "$seed"
    side_job "$scenario" "$b" "$seed"
  done
done | REUSE=1 run_records
python3 tools/paired.py "$out" "$(side_name "$a")" "$(side_name "$b")" "$a" "$b" "$a against $b"
