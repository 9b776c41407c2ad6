# shellcheck shell=bash
# `./build.sh test [stage...]`: every stage in order, or the named ones.
# Stages: lint native fuzz wasm-node wasm-chrome wasm-firefox mvp build
# types js e2e; `quick` = native wasm-node wasm-chrome build js (the inner
# loop while developing).
# Sourced by ../build.sh (which sets -euo pipefail and cds to the repository).

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
    cargo test "${mvp[@]}" --test verifier_js --test hostile_js --test reader_js --test seals_js
  local wasm
  for wasm in "$target_dir"/wasm32v1-none/debug/deps/*.wasm; do # the code under test is WebAssembly 1.0 too
    node_modules/.bin/wasm-validate "${MVP_VALIDATE[@]}" "$wasm"
  done
  CARGO_TARGET_DIR="$target_dir" browser_test chrome CHROMEDRIVER chromedriver "${mvp[@]}"
  CARGO_TARGET_DIR="$target_dir" browser_test firefox GECKODRIVER geckodriver "${mvp[@]}"
}

# Every stage of `./build.sh test`, in order.
TEST_STAGES=(lint native fuzz wasm-node wasm-chrome wasm-firefox mvp build types js e2e)
QUICK_STAGES=(native wasm-node wasm-chrome build js)

stage_lint() {
  log "cargo fmt --all --check"
  cargo fmt --all --check
  log "cargo clippy --workspace --all-targets -- -D warnings"
  cargo clippy --workspace --all-targets -- -D warnings
  # The wasm builds are the library's alone: cli/ and demo/ are native programs.
  log "cargo clippy -p frameseal --target wasm32-unknown-unknown --all-targets -- -D warnings"
  cargo clippy -p frameseal --target wasm32-unknown-unknown --all-targets -- -D warnings
  log "cargo clippy -p frameseal --target wasm32v1-none --lib --no-default-features -- -D warnings"
  cargo clippy -p frameseal --target wasm32v1-none --lib --no-default-features -- -D warnings
  # The package's Signed Video part (pkg/signed-video/): the binding with SignedVideoGate alone.
  log "cargo clippy -p frameseal --target wasm32-unknown-unknown --lib --features signed-video -- -D warnings"
  cargo clippy -p frameseal --target wasm32-unknown-unknown --lib --features signed-video -- -D warnings
}

stage_native() {
  log "cargo test --workspace (native: the library, cli/ and demo/)"
  cargo test --workspace
}

stage_fuzz() {
  local missing; missing="$(fuzz_missing)"
  if [ -n "$missing" ]; then log "fuzz: skipped: $missing"; return; fi
  log "fuzz: every target for ${FUZZ_TEST_SECONDS:-20}s"
  run_fuzz "${FUZZ_TEST_SECONDS:-20}"
}

stage_wasm-node() {
  log "wasm-pack test --node"
  wasm-pack test --node
}

stage_wasm-chrome() { browser_test chrome CHROMEDRIVER chromedriver; }
stage_wasm-firefox() { browser_test firefox GECKODRIVER geckodriver; }
stage_mvp() { mvp_wasm_test; }
stage_build() { cmd_build; }

stage_types() {
  log "tsc -p tests/ts (the package's TypeScript types)"
  node_modules/.bin/tsc -p tests/ts
}

stage_js() {
  log "node --test tests/js/ (pkg/: the modern build, and pkg/loader.js on every path; pkg/signed-video/ against frameseal verify --signed-video)"
  node --test tests/js/
  log "node --test tests/js/ on pkg/mvp/ (the WebAssembly 1.0 build)"
  FRAMESEAL_PKG=pkg/mvp node --import ./tests/js/use-build.mjs --test tests/js/
  log "node --test tests/js/ on pkg/mvp-js/ (the JS build, WebAssembly deleted; two long runs shortened, ~30 s)"
  FRAMESEAL_PKG=pkg/mvp-js node --import ./tests/js/use-build.mjs --test tests/js/
}

stage_e2e() {
  log "cargo build --release -p frameseal-demo (for the end-to-end test)"
  cargo build --release -p frameseal-demo
  # Every scenario runs in each engine of FRAMESEAL_E2E_ENGINES (default
  # chromium,firefox; tests/e2e/browsers.mjs); the WebRTC tests in Chromium only.
  log "node --test tests/e2e/ (demo, relay faults, video, Axis camera tile, package, pool, loader, Signed Video with WebCodecs in headless ${FRAMESEAL_E2E_ENGINES:-Chromium and Firefox}; WebRTC in Chromium; ~10-12 min, ~7.5 in Chromium alone)"
  FRAMESEAL_DEMO_BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/frameseal-demo" node --test tests/e2e/
}

cmd_test() {
  cmd_setup
  local stages=("$@") stage
  [ ${#stages[@]} -gt 0 ] || stages=("${TEST_STAGES[@]}")
  [ "${stages[*]}" != quick ] || stages=("${QUICK_STAGES[@]}")
  for stage in "${stages[@]}"; do
    if ! declare -F "stage_$stage" >/dev/null; then
      echo "error: no test stage '$stage' (stages: ${TEST_STAGES[*]}, or quick)" >&2
      exit 2
    fi
  done
  for stage in "${stages[@]}"; do "stage_$stage"; done
}
