#!/usr/bin/env bash
# What the WebGPU worker's wasm is made of, against the CPU worker's: both
# built as scripts/serve.sh builds them (release, wasm32, +simd128) but with
# their symbols kept, then bench/wasm_size.py counts each function's code to
# its crate. Prints markdown (bench/run.sh puts it into BENCHMARKS.md).
#
#   bench/wasm_size.sh
#
# Only the two worker crates are relinked (about a minute each on 2 cores,
# once the app has been built); a later build of the app relinks them
# stripped again.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/palimpsest/target}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for crate in palimpsest-worker palimpsest-worker-webgpu; do
  dir=app/${crate#palimpsest-}
  echo "==> $crate with its symbols kept" >&2
  cargo build --release --locked --target wasm32-unknown-unknown --manifest-path "$dir/Cargo.toml" \
    --config "profile.release.package.$crate.strip=\"none\"" >&2
  cp "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/${crate//-/_}.wasm" "$work/$crate.wasm"
done
python3 bench/wasm_size.py "$work/palimpsest-worker-webgpu.wasm" "$work/palimpsest-worker.wasm"
