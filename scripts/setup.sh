# shellcheck shell=bash
# `./build.sh setup`: install what is missing, idempotently (each step skips
# what is present).
# Sourced by ../build.sh (which sets -euo pipefail and cds to the repository).

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

# Whether GStreamer has element $1 (false while GStreamer is not installed).
gst_has() { have gst-inspect-1.0 && gst-inspect-1.0 --exists "$1"; }

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
  # GStreamer for the RTP hop of tests/relay_hops.rs: gst-launch-1.0 (tools),
  # udpsrc/udpsink, rtpjitterbuffer, rtph264pay/depay, rtph265pay/depay,
  # multifilesink (good), h264parse/h265parse (bad).
  have gst-launch-1.0 || pkgs+=(gstreamer1.0-tools)
  gst_has rtph264pay || pkgs+=(gstreamer1.0-plugins-good)
  gst_has h264parse || pkgs+=(gstreamer1.0-plugins-bad)
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

