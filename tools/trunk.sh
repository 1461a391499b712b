#!/usr/bin/env bash
# The shared trunk on the modality stream: fine-tuning, MERA (r = 10 %) and
# replay (10 %) with a trunk of N layers (`--set model.trunk=N`, default 2)
# and the fusion stage, seeds 1–3, as `palimpsest compare` prints it (mean
# ± std, with the relative gains against experts: each task trained alone
# with the same config, kept in ~/.cache/palimpsest/experts). The same
# strategies without a trunk are RESULTS.md's modality section
# (tools/modality.sh). docs/findings.md, "A shared trunk: first
# measurements", quotes it.
# Usage: tools/trunk.sh [out-dir] [trunk layers] [extra run args…]
# Runs as many at once as there are cores (about 25 minutes on 2 cores).
# REUSE=1 keeps the records already in out-dir.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/trunk}
layers=${2:-2}
shift $(( $# >= 2 ? 2 : $# ))
mkdir -p "$out"
source tools/lib.sh
build_cli
methods=(
  "finetune|--strategy finetune"
  "mera10|--strategy mera --param replay_percent=10"
  "replay10|--strategy replay --param memory_percent=10"
)
for seed in 1 2 3; do
  for m in "${methods[@]}"; do
    # shellcheck disable=SC2086
    job "$out/modality-${m%%|*}-$seed.json" --scenario modality ${m#*|} --seed "$seed" \
      --set model.fusion=true --set model.trunk="$layers" "$@"
  done
done | KEEP_IF='"bwrg"' run_records
"$bin" compare "$out"/*.json
