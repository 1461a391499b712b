#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian machine, installing what
# the tests need first. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step's wall time, printed at the end (also when a step fails), so
# that where CI's time goes can be read off any run's log.
timings=()
current=""
started=$SECONDS
close_step() {
  [ -n "$current" ] && timings+=("$(printf '%5ds  %s' $((SECONDS - since)) "$current")")
  current=""
}
step() {
  close_step
  current=$1
  since=$SECONDS
  printf '\n==> %s\n' "$*"
}
report() {
  close_step
  printf '\n==> time per step\n'
  printf '%s\n' "${timings[@]}"
  printf '%5ds  in all\n' $((SECONDS - started))
}
trap report EXIT

# Build outputs go to a cache outside the clone (CARGO_TARGET_DIR overrides
# it): a machine that has run the tests before, from this clone or any
# other, compiles only what changed since, while a new machine builds
# everything once. Too large a cache is cleared first.
cache=${XDG_CACHE_HOME:-$HOME/.cache}/palimpsest
if [ -z "${CARGO_TARGET_DIR:-}" ]; then
  export CARGO_TARGET_DIR=$cache/target
  if [ -d "$CARGO_TARGET_DIR" ] && [ "$(du -sm "$CARGO_TARGET_DIR" | cut -f1)" -gt 30000 ]; then
    echo "clearing the build cache $CARGO_TARGET_DIR (over 30 GB)"
    rm -rf "$CARGO_TARGET_DIR"
  fi
fi
echo "build outputs in $CARGO_TARGET_DIR"

step "toolchain: wasm32 target, rustfmt, clippy"
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed | grep -q '^clippy' || rustup component add clippy

# Debian's Chromium and chromedriver, Firefox ESR (and Node and Python where
# they are missing) download while the native build below keeps the cores
# busy; waited for before the first browser test.
browsers_log=$(mktemp)
(
  need=()
  command -v chromium >/dev/null || need+=(chromium)
  command -v chromedriver >/dev/null || need+=(chromium-driver)
  command -v firefox-esr >/dev/null || need+=(firefox-esr)
  command -v node >/dev/null || need+=(nodejs)
  command -v npm >/dev/null || need+=(npm)
  command -v python3 >/dev/null || need+=(python3)
  if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
  fi
) >"$browsers_log" 2>&1 &
browsers=$!

step "format"
cargo fmt --all -- --check

step "lints (clippy, native, all targets; the core without \`train\`, as the page builds it)"
cargo clippy --release --workspace --all-targets --locked -- -D warnings
cargo clippy --release -p palimpsest-core --no-default-features --locked -- -D warnings

step "build the native tests"
cargo test --release --workspace --locked --no-run

step "unit tests (core, app) and headless CLI runs"
cargo test --release --workspace --locked

step "docs: links, anchors, README length, the documented commands"
python3 -m unittest scripts/test_check_docs.py
python3 scripts/check_docs.py

step "install Chromium, chromedriver and Firefox ESR (Debian), wasm-bindgen-cli, trunk and geckodriver (crates.io), playwright-core and axe-core (npm)"
if ! wait "$browsers"; then
  cat "$browsers_log"
  echo "installing Chromium or Firefox ESR from Debian's packages failed" >&2
  exit 1
fi
source scripts/web-tools.sh
ensure_web_tools
ensure_geckodriver
(cd tests && npm ci --no-audit --no-fund --loglevel=error)

step "the bench's evidence scripts (bench/wasm_size.py, step_profile.py, pack_codecs.py): unit tests"
python3 -m unittest discover -s bench -p 'test_*.py'

# app/worker/webdriver.json passes the Chromium flags, --enable-unsafe-webgpu
# among them. The test lives in the worker crate: with `webgpu` it builds on
# the dependency tree of the worker's WebGPU build, which trunk then reuses.
browser_test() {
  CHROMEDRIVER=$(command -v chromedriver) \
  WASM_BINDGEN_TEST_TIMEOUT=900 \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test --release --locked -p palimpsest-worker --features webgpu \
    --target wasm32-unknown-unknown --test browser "$@"
}

step "build the core's browser test (wasm32, the worker's dependency tree)"
browser_test --no-run

step "the core in headless Chromium: a few training steps on the CPU (wasm) and on WebGPU agree; a WebGPU checkpoint goes on on the CPU; the log-mel pictures are the native ones"
# --nocapture: the test prints where a task's time goes on WebGPU
browser_test -- --nocapture

step "build the app (trunk)"
trunk build

step "the built app end to end in headless Chromium (playwright-core) and Firefox ESR (geckodriver)"
(cd tests && npm test)

echo
echo "all tests passed"
