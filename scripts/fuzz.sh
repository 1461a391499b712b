#!/usr/bin/env bash
# Fuzzes every reader of outside input for a set time per target (issue 23,
# item 7): the property tests of core/tests/fuzz/, each run with
# PALIMPSEST_FUZZ_SECONDS so it keeps drawing fresh cases until the time is
# up. `cargo test` runs the same targets as a seconds-long smoke.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]      (default 60)
#
# Prints, per target, the cases run and the failures; a failure's minimal
# input is in the target's log (named at the end). Exit status 1 when any
# target failed.
set -u
secs=${1:-60}
targets=(metadata_and_pairing image_decoder settings_to_runner checkpoint_and_resume record_import pretrained_weights)
cd "$(dirname "$0")/.."
logs=${TMPDIR:-/tmp}/palimpsest-fuzz
mkdir -p "$logs"
cargo test --release --locked -p palimpsest-core --test fuzz --no-run || exit 1
failed=()
for t in "${targets[@]}"; do
    log="$logs/$t.log"
    if PALIMPSEST_FUZZ_SECONDS="$secs" cargo test --release --locked -q -p palimpsest-core \
        --test fuzz "$t" -- --nocapture >"$log" 2>&1; then
        status=ok
    else
        status=FAILED
        failed+=("$t")
    fi
    grep -h "^fuzz $t:" "$log" | grep -v " failed: " || echo "fuzz $t: no count (see $log)"
    echo "  $status (log: $log)"
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "failed: ${failed[*]}"
    exit 1
fi
echo "all ${#targets[@]} targets passed, ${secs} s each"
