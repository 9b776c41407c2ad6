# shellcheck shell=bash
# `./build.sh fuzz [seconds]`: every cargo-fuzz target in fuzz/ (libFuzzer
# needs the nightly toolchain; fuzz/README.md).
# Sourced by ../build.sh (which sets -euo pipefail and cds to the repository).

FUZZ_TARGETS=(frame_parser verifier_sequence stream_reader signature_check h26x_units av1_units jpeg_units seal_insertion fmp4_parse fmp4_rewrite fragment_filter signed_video_sei)

have_nightly() { rustup toolchain list 2>/dev/null | grep '^nightly' >/dev/null; }

# Why fuzzing cannot run here, or nothing when it can.
fuzz_missing() {
  if ! have_nightly; then echo "no nightly toolchain (rustup toolchain install nightly)"
  elif ! have cargo-fuzz; then echo "cargo-fuzz is not installed (cargo install cargo-fuzz)"
  fi
}

# Runs every target for $1 seconds, seeded from fuzz/corpus/<target> (read
# only; new inputs go to fuzz/target/corpus/<target>), and prints the
# executions of each. A crash stops with the input in fuzz/artifacts/.
# No sanitizer: the crate forbids unsafe code, and ASan would triple the
# build and halve the executions.
run_fuzz() {
  local secs="$1" t out execs
  log "cargo +nightly fuzz build -s none"
  (cd fuzz && cargo +nightly fuzz build -s none)
  for t in "${FUZZ_TARGETS[@]}"; do
    mkdir -p "fuzz/target/corpus/$t"
    out="fuzz/target/$t.log"
    log "fuzz $t for ${secs}s"
    if ! (cd fuzz && cargo +nightly fuzz run -s none "$t" "target/corpus/$t" "corpus/$t" -- \
      -max_total_time="$secs" -print_final_stats=1) >"$out" 2>&1; then
      tail -n 40 "$out"
      echo "error: fuzz target $t failed; the input is in fuzz/artifacts/$t/" >&2
      return 1
    fi
    execs="$(awk '/stat::number_of_executed_units/ { print $NF }' "$out")"
    printf '    %-18s %12s executions in %ss, no crash\n' "$t" "${execs:-?}" "$secs"
  done
}

cmd_fuzz() {
  cmd_setup
  local missing; missing="$(fuzz_missing)"
  [ -z "$missing" ] || { echo "error: cannot fuzz: $missing" >&2; exit 1; }
  run_fuzz "${1:-60}"
}

