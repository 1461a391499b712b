#!/usr/bin/env bash
# The quick comparison: every strategy at its defaults on one scenario,
# seeds 1–3, as `palimpsest compare` prints it (mean ± std).
# Usage: tools/table.sh SCENARIO [out-dir] [extra run args…]
# e.g.   tools/table.sh relation runs/table-relation
#        tools/table.sh entity runs/table-entity-pretrained --init pretrained
# Runs as many at once as there are cores. The whole of RESULTS.md is
# tools/results.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:?usage: tools/table.sh SCENARIO [out-dir] [extra run args…]}
out=${2:-runs/table-$scenario}
shift $(( $# >= 2 ? 2 : 1 ))
mkdir -p "$out"
cargo build --release -p palimpsest-cli
bin=${CARGO_TARGET_DIR:-target}/release/palimpsest
run_one() {
  local strategy=$1 seed=$2
  shift 2
  "$bin" run --scenario "$scenario" --strategy "$strategy" --seed "$seed" \
    --out "$out/$strategy-$seed.json" "$@" > "$out/$strategy-$seed.log" 2>&1 \
    || echo "failed: $strategy, seed $seed (see $out/$strategy-$seed.log)" >&2
}
export -f run_one
export bin scenario out
for seed in 1 2 3; do
  for strategy in finetune joint replay ewc lwf mspt; do
    echo "$strategy $seed"
  done
done | xargs -P "$(nproc)" -n 2 bash -c 'n=$#; run_one "${@:n-1:1}" "${@:n:1}" "${@:1:n-2}"' _ "$@"
"$bin" compare "$out"/*.json
