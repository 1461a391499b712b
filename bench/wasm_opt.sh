#!/usr/bin/env bash
# What Binaryen's wasm-opt (npm `binaryen`, pinned; Debian's breaks the
# wasm) does to the app's wasm files in dist/: for each, the bytes and the
# gzip -9 bytes as built (wasm-opt off, as index.html builds them) and after
# `wasm-opt -Oz` and `-O3`, as a markdown table, with the seconds each run
# of wasm-opt took. The download goal counts gzip bytes.
#
#   bench/wasm_opt.sh [FILE.wasm …]   # default: every dist/*_bg.wasm
#
# Needs dist/ (scripts/serve.sh or `trunk build`); installs binaryen from
# npm into a folder of its own outside the clone. The WebGPU worker takes
# about 4 minutes a level on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
version=132.0.0
tools=${XDG_CACHE_HOME:-$HOME/.cache}/palimpsest/binaryen-$version
if [ ! -x "$tools/node_modules/.bin/wasm-opt" ]; then
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "binaryen@$version" >&2
fi
opt="$tools/node_modules/.bin/wasm-opt"
# the features rustc's wasm32 target and our +simd128 give the modules
features=(--enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue)
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(dist/*_bg.wasm)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gz() { gzip -9 -c "$1" | wc -c; }
echo "| file | as built: bytes / gzip | -Oz: bytes / gzip (s) | -O3: bytes / gzip (s) |"
echo "|---|---|---|---|"
for f in "${files[@]}"; do
  row="| \`$(basename "$f")\` | $(stat -c %s "$f") / $(gz "$f")"
  for level in Oz O3; do
    echo "wasm-opt -$level $f …" >&2
    start=$SECONDS
    "$opt" "-$level" "${features[@]}" "$f" -o "$work/out.wasm"
    row+=" | $(stat -c %s "$work/out.wasm") / $(gz "$work/out.wasm") ($((SECONDS - start)))"
  done
  echo "$row |"
done
