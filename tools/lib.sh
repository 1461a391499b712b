# Shared by the tools scripts (source it after `cd` to the repository
# root): the CLI they run, and one way of running many run records at once.
#
#   job RECORD ARGS…     prints one run's line for run_records
#   build_cli            builds palimpsest-cli (output on stderr) and sets
#                        $bin; PALIMPSEST_BIN=PATH uses PATH instead, unbuilt
#   … | run_records      reads one run a line, "RECORD run-args…" as job
#                        wrote it (each argument shell-quoted: one may hold
#                        blanks), and runs
#                        `$bin run run-args… --out RECORD`, as many at once as
#                        there are cores (PALIMPSEST_JOBS overrides), each
#                        one's output in RECORD's .log; fails, once every run
#                        has ended, if any run failed
#
# With REUSE set, a record that exists and is not empty is kept instead of
# being run again (runs are deterministic, but only records of the same code
# are the same); KEEP_IF=PATTERN keeps it only if it also holds PATTERN.

build_cli() {
  if [[ -n ${PALIMPSEST_BIN:-} ]]; then
    bin=$PALIMPSEST_BIN
  else
    cargo build --release -p palimpsest-cli >&2
    bin=${CARGO_TARGET_DIR:-target}/release/palimpsest
  fi
  export bin
}

# job RECORD [run args…]: the line run_records reads for that run, each
# argument quoted as the shell reads it back (printf %q writes no newline)
job() {
  printf '%q ' "$@"
  printf '\n'
}

# run_record RECORD [run args…]: one run (what run_records does per line)
run_record() {
  local record=$1
  shift
  if [[ -n ${REUSE:-} && -s $record ]] && { [[ -z ${KEEP_IF:-} ]] || grep -q "$KEEP_IF" "$record"; }; then
    return 0
  fi
  echo "== $record" >&2
  "$bin" run "$@" --out "$record" > "${record%.json}.log" 2>&1 && return 0
  echo "failed: palimpsest run $* (see ${record%.json}.log)" >&2
  return 1
}

run_records() {
  : "${bin:?build_cli first}"
  export -f run_record
  export bin REUSE=${REUSE:-} KEEP_IF=${KEEP_IF:-}
  # one line, one run: the line is the argument, its words job's quoting
  xargs -P "${PALIMPSEST_JOBS:-$(nproc)}" -d '\n' -n 1 bash -c 'eval "set -- $1" && run_record "$@"' _ \
    || { echo "some runs failed (above)" >&2; return 1; }
}
