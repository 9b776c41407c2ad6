# shellcheck shell=bash
# `./build.sh bench`: one markdown table of native and headless-Chromium
# benchmarks, cold start (bench/cold.mjs) and package sizes (bench/run.mjs;
# bench/RESULTS.md), then FragmentFilter / MseGate on 1080p30 H.264
# (bench/mse.mjs). The cold-start rows alone: node bench/run.mjs --cold-only
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
  bench_fixture "$out/fixtures"
  log "browser rows: node bench/run.mjs (headless Chromium, one page)"
  node bench/run.mjs --hooks "$out/hooks" --native "$out/native.json" --fixtures "$out/fixtures" \
    --out "$out/results.md"
  log "MSE rows: node bench/mse.mjs (FragmentFilter in Node, MseGate in headless Chromium; 1080p30 H.264)"
  node bench/mse.mjs | tee "$out/mse.md"
}

# The verifyUnit / sealUnit rows' input: real x264 output, 1280x720, six
# access units with delimiters (aud=1), the first an IDR keyframe of about
# 110 KiB (SPS, PPS, SEI, slice), the others P units of 11-16 KiB. ffmpeg's
# testsrc2 with a fixed noise pattern (the same every frame, so the P units
# stay small while the keyframe carries the noise), no B-frames. Encoded
# once into $1 (made by `./build.sh setup`'s ffmpeg; not committed).
bench_fixture() {
  local dir=$1 file=$1/x264-720p.h264
  [ -s "$file" ] && return 0
  mkdir -p "$dir"
  log "ffmpeg libx264 -> $file (verifyUnit rows)"
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=1280x720:rate=30 \
    -vf noise=alls=9:allf=u -frames:v 6 -pix_fmt yuv420p \
    -c:v libx264 -preset veryfast -g 30 -bf 0 -x264-params aud=1:crf=22 -f h264 "$file.tmp"
  mv "$file.tmp" "$file"
}

