# shellcheck shell=bash
# `./build.sh soak [minutes]`: the demo with every relay fault switching on
# and off on a schedule, 16 protected tiles in headless Chromium
# (www/soak.html), sampled every 10 s for memory, frames, foreign pixels and
# lost genuine frames (tools/soak.mjs says what each figure is); ends with one
# summary line, bench/SOAK.md and bench/SOAK.svg. Not part of `./build.sh test`.
# Sourced by ../build.sh (which sets -euo pipefail and cds to the repository).

cmd_soak() {
  local minutes=${1:-30}
  if ! [[ $minutes =~ ^[0-9]+$ ]] || [ "$minutes" -lt 1 ]; then
    echo "usage: ./build.sh soak [minutes] (a whole number, at least 1; default 30)" >&2
    return 2
  fi
  # pkg/ as it stands (the page, the package and frameseal/hls); built only if missing.
  if [ ! -f pkg/frameseal.js ] || [ ! -f pkg/hls/index.js ]; then cmd_build; fi
  [ -d node_modules/playwright-core ] && [ -d node_modules/hls.js ] || npm ci
  log "cargo build --release -p frameseal-demo"
  cargo build --release -p frameseal-demo
  log "node tools/soak.mjs $minutes (progress every 10 s)"
  node tools/soak.mjs "$minutes" --command "./build.sh soak $minutes"
}
