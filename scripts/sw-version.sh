#!/bin/sh
# Gives the service worker (sw.js) of a built site its version: a hash of
# every other file of the site, so that any change to the page, its wasm,
# the workers or the packs makes a new sw.js, which the browser installs as
# a new version (public/sw.js). Trunk runs it after each build (a post_build
# hook in Trunk.toml, on its staging folder); the end-to-end test of a new
# version runs it on a changed copy of dist/.
#
#   scripts/sw-version.sh [SITE_DIR]   # default: $TRUNK_STAGING_DIR
set -eu
site=${1:-${TRUNK_STAGING_DIR:?give the folder of the built site}}
[ -f "$site/sw.js" ] || { echo "sw-version: $site/sw.js is missing" >&2; exit 1; }
version=$(cd "$site" && find . -type f ! -name sw.js | LC_ALL=C sort \
  | while IFS= read -r f; do printf '%s\n' "$f"; sha256sum < "$f"; done \
  | sha256sum | cut -c1-12)
sed -i "s/^const VERSION = '[^']*';/const VERSION = '$version';/" "$site/sw.js"
grep -q "^const VERSION = '$version';" "$site/sw.js" \
  || { echo "sw-version: no VERSION line in $site/sw.js" >&2; exit 1; }
echo "sw-version: $site/sw.js is version $version"
