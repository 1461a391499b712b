#!/usr/bin/env bash
# Two strategies at their defaults, each seed run both ways, then
# tools/paired.py's paired table (mean difference, 95 % interval, wins).
# Usage: tools/paired.sh A B [out-dir] [seeds] [scenarios]
# e.g.   tools/paired.sh mspt replay runs/paired-mspt-replay "$(seq 1 10)" "entity relation"
# Runs as many at once as there are cores (PALIMPSEST_JOBS overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
a=${1:?usage: tools/paired.sh A B [out-dir] [seeds] [scenarios]}
b=${2:?usage: tools/paired.sh A B [out-dir] [seeds] [scenarios]}
out=${3:-runs/paired-$a-$b}
seeds=${4:-$(seq 1 10)}
scenarios=${5:-entity relation}
mkdir -p "$out"
cargo build --release -p palimpsest-cli
bin=${CARGO_TARGET_DIR:-target}/release/palimpsest
run_one() {
  local scenario=$1 strategy=$2 seed=$3
  local stem="$out/$scenario-$strategy-s$seed"
  [ -s "$stem.json" ] && return 0
  "$bin" run --scenario "$scenario" --strategy "$strategy" --seed "$seed" \
    --out "$stem.json" > "$stem.log" 2>&1 \
    || echo "failed: $scenario $strategy seed $seed (see $stem.log)" >&2
}
export -f run_one
export bin out
for seed in $seeds; do
  for scenario in $scenarios; do
    echo "$scenario $a $seed"
    echo "$scenario $b $seed"
  done
done | xargs -P "${PALIMPSEST_JOBS:-$(nproc)}" -L 1 bash -c 'run_one "$@"' _
python3 tools/paired.py "$out" "$a" "$b" "$a" "$b" "$a against $b"
