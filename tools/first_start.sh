#!/usr/bin/env bash
# Times the README's first-start figure (issue 47): from a fresh clone to
# the default demo trained in the page that scripts/serve.sh serves, as on
# a machine that has never built the app — neither trunk nor wasm-bindgen
# on PATH (they install into a temporary CARGO_INSTALL_ROOT; yours are
# left alone) and no build output (the clone's own target/). What it keeps:
# cargo's download cache of crates, the Rust toolchain and its wasm32
# target, Debian's Chromium and tests/node_modules (`cd tests && npm ci`),
# which drive the page headless (tests/first-start.mjs).
#
#   tools/first_start.sh      # PORT=8097 by default; prints the times
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
[ -d "$repo/tests/node_modules/playwright-core" ] \
  || { echo "first_start: run 'cd tests && npm ci' first" >&2; exit 1; }
work=$(mktemp -d)
port=${PORT:-8097}
cleanup() {
  [ -n "${group:-}" ] && kill -- "-$group" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# the toolchain's commands without the web build tools
mkdir -p "$work/bin" "$work/install/bin"
for f in "${CARGO_HOME:-$HOME/.cargo}"/bin/*; do
  case $(basename "$f") in
    trunk | wasm-bindgen* | wasm2es6js) ;;
    *) ln -s "$f" "$work/bin/" ;;
  esac
done
export CARGO_INSTALL_ROOT=$work/install
export PATH=$work/install/bin:$work/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
unset CARGO_TARGET_DIR

git clone -q "$repo" "$work/clone"
echo "first_start: $(git -C "$work/clone" log --oneline -1 | cut -c1-60) on $(nproc) cores"
start=$SECONDS
setsid bash -c "cd '$work/clone' && PORT=$port exec scripts/serve.sh" >"$work/serve.log" 2>&1 &
group=$!
until grep -q "Palimpsest on http" "$work/serve.log"; do
  kill -0 "$group" 2>/dev/null || { tail -20 "$work/serve.log"; echo "first_start: serve.sh stopped" >&2; exit 1; }
  sleep 5
done
grep '^\[serve' "$work/serve.log"
echo "first_start: served after $((SECONDS - start)) s"
node "$repo/tests/first-start.mjs" "http://127.0.0.1:$port/"
echo "first_start: the demo trained in the page $((SECONDS - start)) s after the clone"
