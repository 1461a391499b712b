#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian machine, installing what
# the tests need first. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain: wasm32 target, rustfmt, clippy"
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed | grep -q '^clippy' || rustup component add clippy

step "format and lints"
cargo fmt --all -- --check
cargo clippy --release --workspace --all-targets --locked -- -D warnings

step "unit tests (core) and headless CLI runs"
cargo test --release --workspace --locked

step "browser test tools: Chromium, chromedriver, wasm-bindgen, trunk, playwright-core"
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
fi
source scripts/web-tools.sh
ensure_web_tools
(cd tests && npm ci --no-audit --no-fund --loglevel=error)

step "the core in headless Chromium: a few training steps on the CPU (wasm) and on WebGPU agree; a WebGPU checkpoint goes on on the CPU"
# app/worker/webdriver.json passes the Chromium flags, --enable-unsafe-webgpu
# among them. The test lives in the worker crate: it builds on the worker's
# dependency tree, which trunk then reuses for the app's worker.
CHROMEDRIVER=$(command -v chromedriver) \
WASM_BINDGEN_TEST_TIMEOUT=900 \
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --release --locked -p palimpsest-worker \
  --target wasm32-unknown-unknown --test browser

step "build the app (trunk) and test it end to end in headless Chromium (playwright-core)"
trunk build
(cd tests && npm test)

echo
echo "all tests passed"
