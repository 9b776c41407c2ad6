# shellcheck shell=bash
# `./build.sh demo`: build, then serve the demo on 127.0.0.1:$PORT.
# Sourced by ../build.sh (which sets -euo pipefail and cds to the repository).

cmd_demo() {
  cmd_build
  local port="${PORT:-8080}"
  log "cargo run --release -p frameseal-demo -- --port $port (Ctrl-C to stop)"
  exec cargo run --release -p frameseal-demo -- --port "$port"
}

