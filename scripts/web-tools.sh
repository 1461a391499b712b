# Sourced by serve.sh, test.sh and test-webgpu-full.sh: installs what
# building the web app needs, each tool only when the pinned version is not
# already on PATH. Everything comes from crates.io (Trunk must not download
# anything: Trunk.toml sets offline = true).
#
# Neither tool ships as a binary through the registries we reach, so both
# are compiled, as cheaply as they still work:
# * without default features: those add TLS (rustls and its C/assembly
#   crypto) for downloads and update checks, which an offline build never
#   makes; trunk still serves and builds, wasm-bindgen-test-runner still
#   talks to chromedriver over plain HTTP on localhost;
# * with a light release profile: trunk's own asks for fat LTO over one
#   codegen unit, most of its cold install time, for a tool whose run time
#   here is spent in cargo and wasm-bindgen;
# * into one shared target directory, so the crates both use build once.

ensure_web_tools() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown \
    || rustup target add wasm32-unknown-unknown
  # wasm-bindgen-cli must match the wasm-bindgen in Cargo.lock.
  local wb need_wb=0 need_trunk=0
  wb=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
  if ! wasm-bindgen --version 2>/dev/null | grep -qF "$wb" \
    || ! wasm-bindgen-test-runner --version 2>/dev/null | grep -qF "$wb"; then
    need_wb=1
  fi
  # trunk 0.22 needs a newer rustc than the one we have.
  trunk --version 2>/dev/null | grep -qF "0.21.14" || need_trunk=1
  [ $need_wb = 0 ] && [ $need_trunk = 0 ] && return 0

  local tools_target status=0
  tools_target=$(mktemp -d)
  if ! (
    export CARGO_TARGET_DIR=$tools_target
    export CARGO_PROFILE_RELEASE_LTO=false
    export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
    export CARGO_PROFILE_RELEASE_OPT_LEVEL=1
    export CARGO_PROFILE_RELEASE_DEBUG=false
    # wasm-bindgen-cli's own lockfile wants a crate release the registry
    # does not serve: no --locked (the version itself is pinned).
    if [ $need_wb = 1 ]; then
      cargo install wasm-bindgen-cli --version "$wb" --no-default-features --force
    fi
    if [ $need_trunk = 1 ]; then
      cargo install trunk --locked --version 0.21.14 --no-default-features --force
    fi
  ); then
    status=1
  fi
  rm -rf "$tools_target"
  return $status
}

# geckodriver (crates.io; MPL-2.0), through which the Firefox end-to-end
# test drives Debian's firefox-esr: installed the same way, only when the
# pinned version is not on PATH (3.2 min cold here, with the light profile;
# it builds with rustc 1.95).
ensure_geckodriver() {
  geckodriver --version 2>/dev/null | grep -qx "geckodriver 0.37.1" && return 0
  local tools_target status=0
  tools_target=$(mktemp -d)
  CARGO_TARGET_DIR=$tools_target \
  CARGO_PROFILE_RELEASE_LTO=false \
  CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
  CARGO_PROFILE_RELEASE_DEBUG=false \
    cargo install --locked geckodriver --version 0.37.1 --force || status=1
  rm -rf "$tools_target"
  return $status
}
