#!/usr/bin/env bash
# frameseal build driver.  Usage: ./build.sh setup|build|test|demo|bench|fuzz
#   setup  install the toolchain pieces that are missing (idempotent)
#   build  setup, then pkg/ (wasm-pack --target web + binaryen wasm-opt), with
#          pkg/mvp/ (the WebAssembly 1.0 build) and pkg/loader.js (picks one)
#   test   setup, fmt, clippy, native tests, wasm tests in node/chrome/firefox
#          (modern and WebAssembly 1.0 builds), build, then node --test tests/js/ on
#          pkg/, pkg/mvp/ and pkg/mvp-js/
#   demo   build, then serve the repo on http://127.0.0.1:$PORT/www/
#   bench  build, then one markdown table of native + headless-Chromium
#          benchmarks and package sizes (bench/run.mjs; see bench/RESULTS.md)
#   fuzz [seconds]  every cargo-fuzz target in fuzz/ for that long each
#          (default 60); needs the nightly toolchain (fuzz/README.md)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export PATH="$HOME/.cargo/bin:$PATH"

# Features rustc enables by default for wasm32-unknown-unknown (plus simd128,
# from .cargo/config.toml); wasm-opt must
# accept all of them or it rejects (or miscompiles) the module.
WASM_FEATURES=(--enable-simd --enable-bulk-memory --enable-mutable-globals --enable-sign-ext
  --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue)
# wasm-opt passes for the release package. -O3: -Os/-Oz/-O4/--converge move the
# size by under 0.5 KiB either way (bench/RESULTS.md); the custom sections that
# nothing reads after wasm-bindgen are dropped (-0.25 KiB gzip).
WASM_OPT_FLAGS=(-O3 --strip-producers --strip-target-features)
# The WebAssembly 1.0 build (pkg/mvp/, issue 9) is wasm32v1-none: MVP plus
# mutable-globals. wasm-opt would otherwise add post-MVP instructions, and
# wabt's validator with every later feature off proves it did not (binaryen's
# own --mvp-features check is not enough).
MVP_FEATURES=(--mvp-features --enable-mutable-globals)
MVP_VALIDATE=(--disable-mutable-globals --disable-bulk-memory --disable-reference-types --disable-multi-value
  --disable-sign-extension --disable-saturating-float-to-int --disable-simd)

log() { printf '==> %s\n' "$*"; }
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
install_test_runner() {
  local root; root="$(test_runner_root "$1")"
  [ -x "$root/bin/wasm-bindgen-test-runner" ] && return
  log "wasm-bindgen-test-runner $1 with tools/tiny_http-task-pool.patch -> $root (~3 min)"
  local work; work="$(mktemp -d)"
  mkdir -p "$work/fetch/src"
  printf '[package]\nname = "fetch"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\ntiny_http = "=0.12.0"\n' \
    >"$work/fetch/Cargo.toml"
  touch "$work/fetch/src/lib.rs"
  (cd "$work/fetch" && cargo vendor -q --versioned-dirs "$work/vendor" >/dev/null)
  patch -s -d "$work/vendor/tiny_http-0.12.0" -p1 <tools/tiny_http-task-pool.patch
  RUSTFLAGS="--cap-lints=allow" cargo install -q --root "$root" --config "patch.crates-io.tiny_http.path=\"$work/vendor/tiny_http-0.12.0\"" \
    wasm-bindgen-cli --version "$1" --bin wasm-bindgen-test-runner
  rm -rf "$work"
}

cmd_setup() {
  local target
  for target in wasm32-unknown-unknown wasm32v1-none; do
    if ! rustup target list --installed | grep -qx "$target"; then
      log "rustup target add $target"
      rustup target add "$target"
    fi
  done
  if ! have wasm-pack; then
    log "cargo install wasm-pack (~3 min)"
    cargo install wasm-pack
  fi
  local wbv; wbv="$(wasm_bindgen_version)"
  [ -n "$wbv" ] || { echo "error: no wasm-bindgen in Cargo.lock" >&2; exit 1; }
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wbv" ]; then
    log "cargo install wasm-bindgen-cli --version $wbv (~4 min)"
    cargo install wasm-bindgen-cli --version "$wbv"
  fi
  install_test_runner "$wbv"
  local pkgs=()
  have chromium || pkgs+=(chromium)
  have chromedriver || pkgs+=(chromium-driver)
  have firefox || pkgs+=(firefox-esr)
  have ffmpeg || pkgs+=(ffmpeg)
  if [ ${#pkgs[@]} -gt 0 ]; then
    log "apt-get install ${pkgs[*]}"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}"
  fi
  if ! have geckodriver; then
    log "cargo install geckodriver (~2.5 min)"
    cargo install geckodriver
  fi
  if [ ! -f node_modules/.package-lock.json ] ||
    [ package.json -nt node_modules/.package-lock.json ] ||
    [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "npm dev tools (binaryen wasm-opt, wabt wasm-validate, playwright-core)"
    if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
  fi
  if have_nightly && ! have cargo-fuzz; then
    log "cargo install cargo-fuzz (~2.5 min)"
    cargo install cargo-fuzz
  fi
}

# ---- fuzzing (fuzz/, cargo-fuzz; libFuzzer needs the nightly toolchain)
FUZZ_TARGETS=(frame_parser verifier_sequence stream_reader signature_check h26x_units av1_units jpeg_units seal_insertion)

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

cmd_build() {
  cmd_setup
  log "wasm-pack build --release --target web"
  wasm-pack build --release --target web --out-dir pkg --out-name frameseal
  log "wasm-opt ${WASM_OPT_FLAGS[*]} pkg/frameseal_bg.wasm"
  node_modules/.bin/wasm-opt "${WASM_OPT_FLAGS[@]}" "${WASM_FEATURES[@]}" pkg/frameseal_bg.wasm -o pkg/frameseal_bg.wasm
  build_mvp
  log "check: pkg/ and pkg/mvp/ instantiate in node"
  local dir
  for dir in pkg pkg/mvp; do
    node --input-type=module -e "
      import { readFileSync } from 'node:fs';
      const { initSync } = await import('./$dir/frameseal.js');
      initSync({ module: readFileSync('$dir/frameseal_bg.wasm') });"
  done
  log "check: pkg/mvp-js/ runs in node without WebAssembly"
  node --input-type=module -e "
    delete globalThis.WebAssembly;
    const { fingerprint } = await import('./pkg/mvp-js/frameseal.js');
    fingerprint(new Uint8Array(32).fill(9));"
  node tools/package.mjs # pkg/ as the npm package: package.json exports/files, mvp/, loader, webrtc/ workers, README
  node tools/integrity.mjs # pkg/integrity.json: SHA-384 (SRI) of every .js/.wasm file in pkg/
  local wasm
  for wasm in pkg/frameseal_bg.wasm pkg/mvp/frameseal_bg.wasm; do
    log "$wasm: $(wc -c <"$wasm") bytes raw, $(gzip -9c "$wasm" | wc -c) bytes gzip"
  done
}

# pkg/mvp/: the same binding built for wasm32v1-none (WebAssembly 1.0), for
# web views older than Chrome 96 / Safari 16.4 / Firefox 89 (js/loader.js
# picks it). wasm-pack does not know that target: cargo, then the
# wasm-bindgen CLI. Fails if wabt finds any post-MVP feature in it.
build_mvp() {
  local out=pkg/mvp wasm=pkg/mvp/frameseal_bg.wasm
  log "cargo build --release --lib --target wasm32v1-none --no-default-features"
  cargo build --release --lib --target wasm32v1-none --no-default-features
  rm -rf "$out"
  wasm-bindgen --target web --out-dir "$out" --out-name frameseal \
    "${CARGO_TARGET_DIR:-$PWD/target}/wasm32v1-none/release/frameseal.wasm"
  log "wasm-opt ${WASM_OPT_FLAGS[*]} ${MVP_FEATURES[*]} $wasm"
  node_modules/.bin/wasm-opt "${WASM_OPT_FLAGS[@]}" "${MVP_FEATURES[@]}" "$wasm" -o "$wasm"
  log "wasm-validate ${MVP_VALIDATE[*]} $wasm"
  node_modules/.bin/wasm-validate "${MVP_VALIDATE[@]}" "$wasm"
  build_js_fallback
}

# pkg/mvp-js/: the same WebAssembly 1.0 module compiled to JavaScript
# (binaryen's wasm2js), for engines with no WebAssembly at all; the loader
# picks it there. wasm2js wants the bundler layout (imports as a module).
build_js_fallback() {
  local out=pkg/mvp-js
  log "wasm-bindgen --target bundler + wasm2js -> $out/ (no WebAssembly needed)"
  rm -rf "$out"
  wasm-bindgen --target bundler --out-dir "$out" --out-name frameseal \
    "${CARGO_TARGET_DIR:-$PWD/target}/wasm32v1-none/release/frameseal.wasm"
  node_modules/.bin/wasm-opt "${WASM_OPT_FLAGS[@]}" "${MVP_FEATURES[@]}" "$out/frameseal_bg.wasm" -o "$out/frameseal_bg.wasm"
  node tools/wasm2js-fallback.mjs "$out"
}

# Every wasm test binary in a headless browser, through the patched runner
# (install_test_runner). Tests without wasm_bindgen_test_configure! default to
# node; WASM_BINDGEN_USE_BROWSER=1 sends them to the browser too.
# Args: browser name, driver env var, driver binary; then cargo test's
# arguments (default: the modern build's tests).
browser_test() {
  local browser="$1" driver_var="$2" driver="$3"; shift 3
  [ $# -gt 0 ] || set -- --target wasm32-unknown-unknown
  log "wasm tests in headless $browser: cargo test $*"
  local webdriver_json=() runner; runner="$(test_runner_root "$(wasm_bindgen_version)")/bin/wasm-bindgen-test-runner"
  [ "$browser" = chrome ] && webdriver_json=(WASM_BINDGEN_TEST_WEBDRIVER_JSON="$PWD/tests/webdriver-chrome.json")
  # The runner's defaults (20 s per test file, 5 s for the driver to answer)
  # are too tight for the video tests on a busy 2-core machine.
  env "${webdriver_json[@]}" "$driver_var=$(command -v "$driver")" \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="$runner" CARGO_TARGET_WASM32V1_NONE_RUNNER="$runner" \
    WASM_BINDGEN_USE_BROWSER=1 WASM_BINDGEN_TEST_ONLY_WEB=1 \
    WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}" \
    WASM_BINDGEN_TEST_DRIVER_TIMEOUT="${WASM_BINDGEN_TEST_DRIVER_TIMEOUT:-30}" \
    cargo test "$@"
}

# The same wasm-bindgen-test suites on the WebAssembly 1.0 build: the crate
# compiled for wasm32v1-none (no std) by tests/mvp/ (its Cargo.toml says
# why a package of its own), in Node, then Chromium and Firefox.
mvp_wasm_test() {
  local mvp=(--manifest-path tests/mvp/Cargo.toml --target wasm32v1-none)
  local target_dir="${CARGO_TARGET_DIR:-$PWD/target}/mvp-tests"
  log "wasm tests of the WebAssembly 1.0 build in node"
  CARGO_TARGET_DIR="$target_dir" \
    CARGO_TARGET_WASM32V1_NONE_RUNNER="$(test_runner_root "$(wasm_bindgen_version)")/bin/wasm-bindgen-test-runner" \
    cargo test "${mvp[@]}" --test suite --test hostile_js --test reader_js
  local wasm
  for wasm in "$target_dir"/wasm32v1-none/debug/deps/*.wasm; do # the code under test is WebAssembly 1.0 too
    node_modules/.bin/wasm-validate "${MVP_VALIDATE[@]}" "$wasm"
  done
  CARGO_TARGET_DIR="$target_dir" browser_test chrome CHROMEDRIVER chromedriver "${mvp[@]}"
  CARGO_TARGET_DIR="$target_dir" browser_test firefox GECKODRIVER geckodriver "${mvp[@]}"
}

cmd_test() {
  cmd_setup
  log "cargo fmt --all --check"
  cargo fmt --all --check
  log "cargo clippy --workspace --all-targets -- -D warnings"
  cargo clippy --workspace --all-targets -- -D warnings
  # The wasm builds are the library's alone: cli/ and demo/ are native programs.
  log "cargo clippy -p frameseal --target wasm32-unknown-unknown --all-targets -- -D warnings"
  cargo clippy -p frameseal --target wasm32-unknown-unknown --all-targets -- -D warnings
  log "cargo clippy -p frameseal --target wasm32v1-none --lib --no-default-features -- -D warnings"
  cargo clippy -p frameseal --target wasm32v1-none --lib --no-default-features -- -D warnings
  log "cargo test --workspace (native: the library, cli/ and demo/)"
  cargo test --workspace
  local missing; missing="$(fuzz_missing)"
  if [ -z "$missing" ]; then
    log "fuzz: every target for ${FUZZ_TEST_SECONDS:-20}s"
    run_fuzz "${FUZZ_TEST_SECONDS:-20}"
  else
    log "fuzz: skipped: $missing"
  fi
  log "wasm-pack test --node"
  wasm-pack test --node
  browser_test chrome CHROMEDRIVER chromedriver
  browser_test firefox GECKODRIVER geckodriver
  mvp_wasm_test
  cmd_build
  log "tsc -p tests/ts (the package's TypeScript types)"
  node_modules/.bin/tsc -p tests/ts
  log "node --test tests/js/ (pkg/: the modern build, and pkg/loader.js on every path)"
  node --test tests/js/
  log "node --test tests/js/ on pkg/mvp/ (the WebAssembly 1.0 build)"
  FRAMESEAL_PKG=pkg/mvp node --import ./tests/js/use-build.mjs --test tests/js/
  log "node --test tests/js/ on pkg/mvp-js/ (the JS build, WebAssembly deleted; two long runs shortened, ~30 s)"
  FRAMESEAL_PKG=pkg/mvp-js node --import ./tests/js/use-build.mjs --test tests/js/
  # The programs' own tests (cli/tests/, demo/tests/, unit tests) ran in `cargo test --workspace`.
  log "cargo build --release -p frameseal-demo (for the end-to-end test)"
  cargo build --release -p frameseal-demo
  log "node --test tests/e2e/ (demo, relay faults, video, package, WebRTC in headless Chromium, ~4 min)"
  FRAMESEAL_DEMO_BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/frameseal-demo" node --test tests/e2e/
}

cmd_demo() {
  cmd_build
  local port="${PORT:-8080}"
  log "cargo run --release -p frameseal-demo -- --port $port (Ctrl-C to stop)"
  exec cargo run --release -p frameseal-demo -- --port "$port"
}

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

case "${1:-}" in
  setup | build | test | demo | bench) "cmd_$1" ;;
  fuzz) cmd_fuzz "${2:-60}" ;;
  *) echo "usage: $0 setup|build|test|demo|bench|fuzz [seconds]" >&2; exit 2 ;;
esac
