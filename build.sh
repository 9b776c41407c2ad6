#!/usr/bin/env bash
# frameseal's front door. Usage:
#   ./build.sh setup            install what is missing (idempotent)
#   ./build.sh build            setup, then pkg/ (modern, WebAssembly 1.0 and JS builds)
#   ./build.sh test [stage...]  setup, then every test stage (scripts/test.sh lists
#                               them; `./build.sh test e2e` runs one, `test quick`
#                               the inner loop: native, Node, Chromium, Node on pkg/)
#   ./build.sh demo             build, then serve the demo on http://127.0.0.1:$PORT/www/
#   ./build.sh bench            build, then one markdown table of benchmarks
#   ./build.sh fuzz [seconds]   every fuzz target for that long (default 60)
#   ./build.sh soak [minutes]   the demo under switching faults, 16 tiles, memory sampled (default 30)
# Each verb lives in scripts/<verb>.sh; scripts/common.sh holds what they share.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export PATH="$HOME/.cargo/bin:$PATH"

for part in common setup build fuzz test demo bench soak; do
  # shellcheck source=/dev/null
  source "scripts/$part.sh"
done

verb="${1:-}"
[ $# -eq 0 ] || shift
case "$verb" in
  setup | build | demo | bench) "cmd_$verb" ;;
  test) cmd_test "$@" ;;
  fuzz) cmd_fuzz "${1:-60}" ;;
  soak) cmd_soak "${1:-30}" ;;
  *) echo "usage: $0 setup|build|test [stage...]|demo|bench|fuzz [seconds]|soak [minutes]" >&2; exit 2 ;;
esac
