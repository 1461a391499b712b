#!/usr/bin/env bash
# The learner issue's targets for one scenario under other settings, without
# regenerating RESULTS.md: Joint, Finetune, Replay, EWC and MSPT on seeds
# 1–3 and MSPT and Replay on seeds 4–10 (for the paired MSPT − Replay
# target), then tools/targets.py's table (the other scenario's rows say
# "not run") and tools/ordering.py's fidelity checks.
# Usage: tools/targets.sh SCENARIO OUT-DIR [extra run args…]
# e.g.   tools/targets.sh relation runs/targets-relation-400 --set relation.train_per_class=400
# Runs as many at once as there are cores (relation at 400 scenes a class:
# about 6 minutes on 2 cores; entity 4). REUSE=1 keeps the records already in OUT-DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: tools/targets.sh SCENARIO OUT-DIR [extra run args…]"
scenario=${1:?$usage}
out=${2:?$usage}
shift 2
mkdir -p "$out/paired"
cargo build --release -p palimpsest-cli >&2
bin=${CARGO_TARGET_DIR:-target}/release/palimpsest
run_one() {
  local strategy=$1 seed=$2 dir=$out
  shift 2
  # seeds 1–3 are the table's runs, 4–10 only the paired ones
  ((seed <= 3)) || dir=$out/paired
  local file="$dir/$scenario-$strategy-s$seed.json"
  if [[ -n $REUSE && -s $file ]]; then return; fi
  "$bin" run --scenario "$scenario" --strategy "$strategy" --seed "$seed" \
    --out "$file" "$@" > "${file%.json}.log" 2>&1 \
    || echo "failed: $strategy, seed $seed (see ${file%.json}.log)" >&2
}
export -f run_one
export bin scenario out REUSE=${REUSE:-}
{
  for seed in 1 2 3; do
    for strategy in joint finetune replay ewc mspt; do echo "$strategy $seed"; done
  done
  for seed in $(seq 4 10); do
    for strategy in mspt replay; do echo "$strategy $seed"; done
  done
} | xargs -P "$(nproc)" -n 2 bash -c 'n=$#; run_one "${@:n-1:1}" "${@:n:1}" "${@:1:n-2}"' _ "$@"
for seed in 1 2 3; do
  for strategy in mspt replay; do
    cp "$out/$scenario-$strategy-s$seed.json" "$out/paired/"
  done
done
echo "Settings: \`palimpsest run --scenario $scenario $*\` (records in \`$out/\`)."
echo
python3 tools/targets.py "$out" "$out/paired"
python3 tools/ordering.py "$out"
