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

step "browser test tools: Chromium, chromedriver, wasm-bindgen-test-runner"
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
fi
# wasm-bindgen-cli must match the wasm-bindgen in Cargo.lock. Its own lockfile
# wants a crate release the registry does not serve, so no --locked here.
wb=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
if ! wasm-bindgen-test-runner --version 2>/dev/null | grep -qF "$wb"; then
  cargo install wasm-bindgen-cli --version "$wb"
fi

step "the core in headless Chromium: a few training steps on the CPU (wasm) and on WebGPU agree"
# core/webdriver.json passes the Chromium flags, --enable-unsafe-webgpu among them.
CHROMEDRIVER=$(command -v chromedriver) \
WASM_BINDGEN_TEST_TIMEOUT=900 \
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --release --locked -p palimpsest-core --features webgpu \
  --target wasm32-unknown-unknown --test browser

echo
echo "all tests passed"
