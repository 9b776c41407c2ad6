# shellcheck shell=bash
# What every stage shares: the wasm feature sets, small helpers, the pinned
# wasm-bindgen version and where the patched test runner lives.
# Sourced by ../build.sh (which sets -euo pipefail and cds to the repository).

# Features rustc enables by default for wasm32-unknown-unknown (plus simd128,
# from .cargo/config.toml); wasm-opt must
# accept all of them or it rejects (or miscompiles) the module.
WASM_FEATURES=(--enable-simd --enable-bulk-memory --enable-mutable-globals --enable-sign-ext
  --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue)
# wasm-opt passes for the release package. -O3: -Os/-Oz/-O4/--converge move the
# size by under 0.5 KiB either way (bench/RESULTS.md); the custom sections that
# nothing reads after wasm-bindgen are dropped (-0.25 KiB gzip).
WASM_OPT_FLAGS=(-O3 --strip-producers --strip-target-features)
# The WebAssembly 1.0 build (pkg/mvp/) is wasm32v1-none: MVP plus
# mutable-globals. wasm-opt would otherwise add post-MVP instructions, and
# wabt's validator with every later feature off proves it did not (binaryen's
# own --mvp-features check is not enough).
MVP_FEATURES=(--mvp-features --enable-mutable-globals)
MVP_VALIDATE=(--disable-mutable-globals --disable-bulk-memory --disable-reference-types --disable-multi-value
  --disable-sign-extension --disable-saturating-float-to-int --disable-simd)

# Each line says how long the run has taken so far (bash's SECONDS), so a
# CI log shows where the time goes.
log() { printf '==> [%02d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif have sudo; then sudo "$@"
  else echo "error: need root (or sudo) for: $*" >&2; return 1; fi
}

# The wasm-bindgen version pinned in Cargo.lock; wasm-bindgen-cli must match it.
wasm_bindgen_version() {
  [ -f Cargo.lock ] || cargo generate-lockfile >&2
  awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock
}

# The browser tests' wasm-bindgen-test-runner, built with a one-line fix to
# tiny_http 0.12.0 (the HTTP server it serves the test page with): its thread
# pool loses a wake-up when more connections arrive at once than it has idle
# threads, and the late connection then waits for a kept-alive one to close.
# Headless Chromium fetches the page's five JS modules at once, so on a busy
# machine the page sometimes never loaded ("Timed out receiving message from
# renderer: 300"). tools/tiny_http-task-pool.patch says what changes and why.
test_runner_root() { echo "${CARGO_HOME:-$HOME/.cargo}/frameseal/test-runner-$1-tiny_http-fix"; }
