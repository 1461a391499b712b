#!/usr/bin/env bash
# Serves the app on http://localhost:8080 (PORT to change it). Until the
# Leptos app lands (issue "The browser app"), this serves the placeholder page.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-8080}
echo "Palimpsest on http://localhost:$port"
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory placeholder
