#!/usr/bin/env bash
# Every figure of BENCHMARKS.md, measured side by side in one run, and the
# file written from them: Palimpsest's training step natively (four
# builds: glibc's malloc, the default with mimalloc, that with burn's
# rayon + SIMD CPU kernels, and with its SIMD kernels alone) against
# PyTorch's copy of the same step (bench/torch_step.py) on the same
# threads, the machine's sgemm peak, how cost grows with width, depth,
# batch and tasks; what codecs stronger than gzip would save on the packs
# (bench/pack_codecs.py); where the step's time goes (perf,
# bench/step_profile.py; Debian's linux-perf); then the app built as
# scripts/serve.sh builds it: what the page downloads, the browser's
# figures in headless Chromium (bench/browser.mjs) and what the WebGPU
# worker's wasm is made of (bench/wasm_size.sh); SKIP_BROWSER=1 skips these.
#
#   bench/run.sh                   # about 20 minutes on 2 cores, warm caches
#   REPS=1 STEPS=50 bench/run.sh   # a quick look
#
# Installs what it needs: torch and numpy from PyPI into a venv of its own
# (about 5 GB with its CUDA wheels, which run on the CPU here), outside the
# clone; trunk, wasm-bindgen-cli, Chromium and playwright-core as the test
# command does.
set -euo pipefail
cd "$(dirname "$0")/.."

cache=${XDG_CACHE_HOME:-$HOME/.cache}/palimpsest
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$cache/target}
venv=${BENCH_VENV:-$cache/bench-venv}
threads=${THREADS:-$(nproc)}
reps=${REPS:-3}
steps=${STEPS:-200}
out=${BENCH_OUT:-bench/out}

if ! "$venv/bin/python" -c 'import torch, numpy' 2>/dev/null; then
  echo "==> installing torch 2.15.0 and numpy 2.4.6 from PyPI into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q torch==2.15.0 numpy==2.4.6
fi
py="$venv/bin/python"

echo "==> building palimpsest four ways: glibc's malloc, the default (mimalloc), that with burn's rayon + SIMD kernels, and with SIMD alone"
mkdir -p "$out"
rm -f "$out"/*.json "$out/perf.data" "$out/wasm-size.md"
cargo build --release --locked -p palimpsest-cli --no-default-features
cp "$CARGO_TARGET_DIR/release/palimpsest" "$out/palimpsest-glibc"
CARGO_TARGET_DIR=$CARGO_TARGET_DIR-parallel \
  cargo build --release --locked -p palimpsest-cli --features palimpsest-core/rayon,palimpsest-core/simd
cp "$CARGO_TARGET_DIR-parallel/release/palimpsest" "$out/palimpsest-parallel"
CARGO_TARGET_DIR=$CARGO_TARGET_DIR-parallel \
  cargo build --release --locked -p palimpsest-cli --features palimpsest-core/simd
cp "$CARGO_TARGET_DIR-parallel/release/palimpsest" "$out/palimpsest-simd"
cargo build --release --locked -p palimpsest-cli
fast="$CARGO_TARGET_DIR/release/palimpsest"

export RAYON_NUM_THREADS=$threads
"$py" - "$out/meta.json" "$threads" "$reps" "$steps" <<'PY'
import json, platform, subprocess, sys, datetime
def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""
model = [l.split(":", 1)[1].strip() for l in sh("lscpu").splitlines() if l.startswith("Model name")]
burn = sh("grep -A1 '^name = \"burn\"$' Cargo.lock | sed -n 's/version = \"\\(.*\\)\"/\\1/p'")
json.dump({
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    "cpu": model[0] if model else platform.processor(),
    "cores": int(sh("nproc") or 0),
    "threads": int(sys.argv[2]), "reps": int(sys.argv[3]), "steps": int(sys.argv[4]),
    "rustc": sh("rustc --version"), "burn": burn, "kernel": platform.release(),
    "commit": sh("git rev-parse --short HEAD") + (" (with changes)" if sh("git status --porcelain") else ""),
}, open(sys.argv[1], "w"), indent=1)
PY

echo "==> the machine's sgemm peak (PyTorch), 1 and $threads threads"
"$py" bench/torch_step.py --peak --threads 1 --out "$out/peak-1.json"
"$py" bench/torch_step.py --peak --threads "$threads" --out "$out/peak-$threads.json"

echo "==> the default model's training step, $reps rounds alternating"
for r in $(seq "$reps"); do
  "$out/palimpsest-glibc" bench --steps "$steps" --out "$out/glibc-$r.json"
  "$fast" bench --steps "$steps" --out "$out/fast-$r.json"
  "$out/palimpsest-parallel" bench --steps "$steps" --out "$out/parallel-$r.json"
  "$out/palimpsest-simd" bench --steps "$steps" --out "$out/simd-$r.json"
  "$py" bench/torch_step.py --bench "$out/fast-$r.json" --threads "$threads" --out "$out/torch-$r.json"
done

echo "==> how cost grows (the default build)"
scale() {
  local name=$1
  shift
  "$fast" bench --steps $((steps / 2)) --warmup 10 --out "$out/scale-$name.json" "$@"
}
scale base
scale width-128 --set model.d_model=128 --set model.d_ff=256
scale width-256 --set model.d_model=256 --set model.d_ff=512
scale depth-4 --set model.layers=4
scale depth-8 --set model.layers=8
scale batch-64 --batch-size 64
scale batch-128 --batch-size 128
scale tasks-3 --tasks 3
scale tasks-5 --tasks 5

echo "==> the packs and the weights in codecs stronger than gzip"
"$py" bench/pack_codecs.py public/*.pack public/pretrained-encoders.bin >"$out/pack-codecs.json"

echo "==> where the default build's step spends its time (perf)"
command -v perf >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf
} || true
if command -v perf >/dev/null &&
  perf record -F 999 -o "$out/perf.data" "$fast" bench --steps "$steps" --out "$out/profiled.json" 2>"$out/perf.log"; then
  perf report -i "$out/perf.data" --no-children --sort dso,symbol -g none --stdio -q --percent-limit 0 2>/dev/null |
    "$py" bench/step_profile.py >"$out/profile.json"
else
  echo "perf could not profile here ($out/perf.log): BENCHMARKS.md goes without the profile" >&2
fi

if [ "${SKIP_BROWSER:-0}" != 1 ]; then
  echo "==> the app (trunk build) and the browser's figures in headless Chromium"
  source scripts/web-tools.sh
  ensure_web_tools
  command -v chromium >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  }
  trunk build
  (cd tests && npm ci --no-audit --no-fund --loglevel=error)
  # wasm ÷ native from rounds that alternate the two (a machine whose speed
  # drifts moves both), then WebGPU and the default demo
  # (5 rounds by default: a round here takes seconds, and one disturbed
  # round of three moved the median)
  bsteps=${BROWSER_STEPS:-60}
  for r in $(seq "${WASM_REPS:-5}"); do
    "$fast" bench --steps "$bsteps" --warmup 10 --out "$out/native-wasm-$r.json"
    BROWSER_ONLY=cpu BROWSER_STEPS=$bsteps node bench/browser.mjs "$out/fast-1.json" "$out/wasm-$r.json"
  done
  node bench/browser.mjs "$out/fast-1.json" "$out/browser.json"
  echo "==> what the WebGPU worker's wasm is made of (bench/wasm_size.sh)"
  bench/wasm_size.sh >"$out/wasm-size.md"
fi

"$py" bench/report.py "$out" > BENCHMARKS.md
echo "==> BENCHMARKS.md written"
