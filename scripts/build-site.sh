#!/usr/bin/env bash
# Builds the app as a static site in dist/ (the page, both workers, the
# packs and the licences), installing the build tools first when they are
# missing. Any static host serves dist/ as it is — GitHub Pages, a
# university web space, `python3 -m http.server --directory dist`: every
# path in it is relative, and nothing is fetched from elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/web-tools.sh
ensure_web_tools
trunk build
echo "the site is in dist/ ($(du -sh dist | cut -f1)); copy the folder to any static host"
