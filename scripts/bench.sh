# shellcheck shell=bash
# `./build.sh bench`: one markdown table of native and headless-Chromium
# benchmarks and package sizes (bench/run.mjs; bench/RESULTS.md).
# Sourced by ../build.sh (which sets -euo pipefail and cds to the repository).

# Benchmarks, never timed tests: prints one markdown table (bench/RESULTS.md
# keeps the committed one). The shipped pkg/ is measured as built; the raw
# signature rows need the `bench` feature's hooks, built into a second package.
cmd_bench() {
  cmd_build
  local out=target/bench
  mkdir -p "$out"
  log "wasm-pack build --release --features bench -> $out/hooks (benchmark hooks, not shipped)"
  wasm-pack build --release --target web --out-dir "$out/hooks" --out-name frameseal -- --features bench
  node_modules/.bin/wasm-opt "${WASM_OPT_FLAGS[@]}" "${WASM_FEATURES[@]}" \
    "$out/hooks/frameseal_bg.wasm" -o "$out/hooks/frameseal_bg.wasm"
  log "native rows: cargo run --release --example bench_native"
  cargo run --release --example bench_native -- --json >"$out/native.json"
  log "browser rows: node bench/run.mjs (headless Chromium, one page)"
  node bench/run.mjs --hooks "$out/hooks" --native "$out/native.json" --out "$out/results.md"
}

