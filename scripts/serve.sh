#!/usr/bin/env bash
# Builds the app and serves it on http://localhost:8080 (PORT to change it),
# installing the build tools first when they are missing. The page opens on
# the bundled entity demo; press Start.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/web-tools.sh
ensure_web_tools
trunk build
port=${PORT:-8080}
echo "Palimpsest on http://localhost:$port"
# dist/ is a plain static site: any static host serves it.
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory dist
