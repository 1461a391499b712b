# Sourced by serve.sh and test.sh: installs what building the web app needs,
# each tool only when the pinned version is not already on PATH. Everything
# comes from crates.io (Trunk must not download anything: Trunk.toml sets
# offline = true).

ensure_web_tools() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown \
    || rustup target add wasm32-unknown-unknown
  # wasm-bindgen-cli must match the wasm-bindgen in Cargo.lock. Its own
  # lockfile wants a crate release the registry does not serve: no --locked.
  local wb
  wb=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
  if ! wasm-bindgen --version 2>/dev/null | grep -qF "$wb" \
    || ! wasm-bindgen-test-runner --version 2>/dev/null | grep -qF "$wb"; then
    cargo install wasm-bindgen-cli --version "$wb"
  fi
  # trunk 0.22 needs a newer rustc than the one we have.
  if ! trunk --version 2>/dev/null | grep -qF "0.21.14"; then
    cargo install trunk --locked --version 0.21.14
  fi
}
