#!/usr/bin/env bash
# The whole demo stream on WebGPU in headless Chromium: five tasks of
# fine-tuning on the GPU, then a class added, WebGPU made to fail as that
# sixth task starts and the CPU going on from WebGPU's checkpoint at the end
# of task 5 (tests/e2e/webgpu.test.mjs with WEBGPU_FULL=1). Not part of
# scripts/test.sh: on a software adapter (SwiftShader, where no GPU exists)
# it takes 20 minutes or more; CI trains task 1 on WebGPU and hands over at
# task 2. Run it for a release, or on a machine with a real GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null || ! command -v node >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium nodejs npm
fi
source scripts/web-tools.sh
ensure_web_tools
(cd tests && npm ci --no-audit --no-fund --loglevel=error)
trunk build
cd tests
WEBGPU_FULL=1 node --test --test-concurrency=1 e2e/webgpu.test.mjs
