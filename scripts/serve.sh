#!/usr/bin/env bash
# Builds the app and serves it on http://localhost:8080 (PORT to change it),
# installing the build tools first when they are missing. The page opens on
# the bundled teaching demo; press Start (or open ?lesson).
#
# To reach a page that trains as soon as it can, the first build leaves the
# WebGPU worker out (the page trains on the CPU then; its WebGPU build is
# the larger one to compile and to download): the page is served as soon as
# the page and the CPU worker are built, and the full build, WebGPU worker
# included, goes on in the background and replaces dist/ when it is done
# (log: target/serve-full-build.log). A reload then offers WebGPU where the
# browser has a hardware adapter. FULL=1 builds everything before serving.
#
# Just the static site, for any static host (GitHub Pages and the like):
# scripts/build-site.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/web-tools.sh

started=$SECONDS
say() { printf '[serve %3d min] %s\n' $(((SECONDS - started) / 60)) "$*"; }

say "build tools (wasm32 target, wasm-bindgen-cli and trunk from crates.io): installed only where missing; on a new 2-core machine about 6 minutes"
ensure_web_tools
port=${PORT:-8080}
mkdir -p target
if [ -n "${FULL:-}" ] || [ -f dist/palimpsest-worker-webgpu_loader.js ]; then
  say "building the page and both workers (a rebuild takes a minute or two)"
  trunk build
else
  # index.html without the WebGPU worker's link, beside it (Trunk resolves
  # the links from the file's folder)
  quick=.index-cpu.html
  grep -v 'app/worker-webgpu/Cargo.toml' index.html >"$quick"
  say "building the page and the CPU worker first (on a new 2-core machine about 7 minutes)"
  trunk build "$quick" || { rm -f "$quick"; exit 1; }
  rm -f "$quick"
  # dist/index.html is the page's, whatever the source file was called
  if [ -f "dist/$quick" ]; then mv "dist/$quick" dist/index.html; fi
  say "the page trains on the CPU now; the WebGPU worker builds in the background (log: target/serve-full-build.log)"
  # niced: the page's training keeps the cores first
  (
    nice -n 10 trunk build >target/serve-full-build.log 2>&1 \
      && echo "[serve] the full build (WebGPU worker included) is in dist/: reload the page" \
      || echo "[serve] the full build failed (target/serve-full-build.log); the page keeps training on the CPU"
  ) &
fi
say "Palimpsest on http://localhost:$port"
# dist/ is a plain static site: any static host serves it.
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory dist
