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
source tools/lib.sh
build_cli
{
  # seeds 1–3 are the table's runs, 4–10 only the paired ones
  for seed in 1 2 3; do
    for strategy in joint finetune replay ewc mspt; do
      job "$out/$scenario-$strategy-s$seed.json" --scenario "$scenario" --strategy "$strategy" --seed "$seed" "$@"
    done
  done
  for seed in $(seq 4 10); do
    for strategy in mspt replay; do
      job "$out/paired/$scenario-$strategy-s$seed.json" --scenario "$scenario" --strategy "$strategy" --seed "$seed" "$@"
    done
  done
} | run_records
for seed in 1 2 3; do
  for strategy in mspt replay; do
    cp "$out/$scenario-$strategy-s$seed.json" "$out/paired/"
  done
done
echo "Settings: \`palimpsest run --scenario $scenario $*\` (records in \`$out/\`)."
echo
python3 tools/targets.py "$out" "$out/paired"
python3 tools/ordering.py "$out"
