#!/usr/bin/env bash
# The quick comparison: every strategy at its defaults on one scenario,
# seeds 1–3, as `palimpsest compare` prints it (mean ± std).
# Usage: tools/table.sh SCENARIO [out-dir] [extra run args…]
# e.g.   tools/table.sh relation runs/table-relation
#        tools/table.sh entity runs/table-entity-pretrained --init pretrained
# Runs as many at once as there are cores; REUSE=1 keeps the records
# already in out-dir. The whole of RESULTS.md is
# tools/results.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:?usage: tools/table.sh SCENARIO [out-dir] [extra run args…]}
out=${2:-runs/table-$scenario}
shift $(( $# >= 2 ? 2 : 1 ))
mkdir -p "$out"
source tools/lib.sh
build_cli
for seed in 1 2 3; do
  for strategy in finetune joint replay ewc lwf mspt; do
    job "$out/$strategy-$seed.json" --scenario "$scenario" --strategy "$strategy" --seed "$seed" "$@"
  done
done | run_records
"$bin" compare "$out"/*.json
