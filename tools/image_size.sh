#!/usr/bin/env bash
# Does a larger image pay on entity? (Issue 21: "try larger images (48–64 px)
# where the measurements say they pay".) The image size is a constant of the
# code (tools/build_pack.py's IMAGE_SIZE, core's data::IMAGE_SIZE: 32), so
# this builds a copy of HEAD's files in a temporary folder with both set to
# SIZE, renders the bundled pack and the pretraining pool at SIZE px
# (tools/build_pack.py: npm's openmoji, rsvg-convert, Pillow), pretrains that
# copy's encoders on PATCH-px patches (the text side's max_len follows the
# image's sequence length, 1 + (SIZE/PATCH)², as the model asks), and runs
# Joint and Finetune on entity from those weights, seeds 1–3. Prints Joint's
# final A_T, Finetune's mean U_k and the seconds each run took: read them
# against RESULTS.md (32 px, 8-px patches).
#
# Usage: tools/image_size.sh SIZE PATCH [out-dir]      e.g. 64 8, 64 16
#   PYTHON: a python3 with Pillow (default python3)
#   IMAGE_SIZE_TARGET: the copy's cargo target folder (default
#     ~/.cache/palimpsest/target-image-size; its first build is cold)
# About 25 minutes at 64 8 on 2 cores after the build (pretraining 4 min,
# a Joint run 2.5 min).
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:?usage: tools/image_size.sh SIZE PATCH [out-dir]}
patch=${2:?usage: tools/image_size.sh SIZE PATCH [out-dir]}
out=$(realpath -m "${3:-runs/image-size-$size-p$patch}")
python=${PYTHON:-python3}
target=${IMAGE_SIZE_TARGET:-$HOME/.cache/palimpsest/target-image-size}
if (( size % patch != 0 )); then
  echo "PATCH ($patch) must divide SIZE ($size)" >&2
  exit 2
fi
max_len=$(( 1 + (size / patch) ** 2 ))
mkdir -p "$out"

copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
git archive HEAD | tar -x -C "$copy"
# set_size FILE PATTERN REPLACEMENT: the one line that holds the size
set_size() {
  [[ $(grep -c -- "$2" "$1") == 1 ]] || { echo "$1: expected one line matching '$2'" >&2; exit 1; }
  sed -i "s/$2/$3/" "$1"
}
set_size "$copy/tools/build_pack.py" '^IMAGE_SIZE = 32$' "IMAGE_SIZE = $size"
set_size "$copy/core/src/data/sample.rs" '^pub const IMAGE_SIZE: usize = 32;$' "pub const IMAGE_SIZE: usize = $size;"

echo "rendering the pack and the pool at $size px" >&2
(cd "$copy" && "$python" tools/build_pack.py && "$python" tools/build_pack.py --pool) >&2
(cd "$copy" && CARGO_TARGET_DIR=$target cargo build --release --locked -p palimpsest-cli) >&2
bin=$target/release/palimpsest
export bin

shape=(--set "model.patch=$patch" --set "model.tokenizer.max_len=$max_len")
if [[ ! -s $out/weights.bin ]]; then
  echo "pretraining ($size px, $patch-px patches)" >&2
  "$bin" pretrain "${shape[@]}" --pool "$copy/data/pretrain/openmoji-pool-32.pack" \
    --vectors "$copy/data/pretrain/word-vectors-64.tsv" \
    --out "$out/weights.bin" --record "$out/pretrain.json" >&2
fi

source tools/lib.sh
for seed in 1 2 3; do
  for strategy in joint finetune; do
    job "$out/$strategy-s$seed.json" --scenario entity --strategy "$strategy" --seed "$seed" \
      --weights "$out/weights.bin" "${shape[@]}"
  done
done | REUSE=1 run_records

python3 - "$out" "$size" "$patch" <<'PY'
import json, statistics, sys
from pathlib import Path
out, size, patch = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
pre = json.loads((out / "pretrain.json").read_text())
print(f"entity at {size} px, {patch}-px patches (seeds 1–3); pretraining's held-out pool accuracy {100 * pre['A'][-1]:.1f} %")
print()
print("| figure | seed 1 | seed 2 | seed 3 | mean | seconds a run |")
print("|---|---|---|---|---|---|")
for strategy, name, read in (("joint", "Joint final A_T", lambda r: r["A"][-1]),
                             ("finetune", "Finetune mean U_k", lambda r: statistics.mean(r["U"]))):
    recs = [json.loads((out / f"{strategy}-s{s}.json").read_text()) for s in (1, 2, 3)]
    vals = [100 * read(r) for r in recs]
    secs = [r["timing"]["total_s"] for r in recs]
    print(f"| {name} | " + " | ".join(f"{v:.1f}" for v in vals) + f" | {statistics.mean(vals):.1f} | {statistics.mean(secs):.0f} |")
PY
