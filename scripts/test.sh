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

step "the core builds for the browser (wasm32-unknown-unknown)"
cargo check --release --locked -p palimpsest-core --target wasm32-unknown-unknown

echo
echo "all tests passed"
