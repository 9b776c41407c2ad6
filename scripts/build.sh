# shellcheck shell=bash
# `./build.sh build`: pkg/ (the modern build), pkg/mvp/ (WebAssembly 1.0),
# pkg/mvp-js/ (no WebAssembly), pkg/signed-video/ (SignedVideoGate), the
# loader and the package metadata.
# Sourced by ../build.sh (which sets -euo pipefail and cds to the repository).

cmd_build() {
  cmd_setup
  log "wasm-pack build --release --target web"
  wasm-pack build --release --target web --out-dir pkg --out-name frameseal
  log "wasm-opt ${WASM_OPT_FLAGS[*]} pkg/frameseal_bg.wasm"
  node_modules/.bin/wasm-opt "${WASM_OPT_FLAGS[@]}" "${WASM_FEATURES[@]}" pkg/frameseal_bg.wasm -o pkg/frameseal_bg.wasm
  build_mvp
  build_signed_video
  log "check: pkg/, pkg/mvp/ and pkg/signed-video/ instantiate in node"
  local dir
  for dir in pkg/frameseal pkg/mvp/frameseal pkg/signed-video/frameseal_signed_video; do
    node --input-type=module -e "
      import { readFileSync } from 'node:fs';
      const { initSync } = await import('./$dir.js');
      initSync({ module: readFileSync('${dir}_bg.wasm') });"
  done
  log "check: pkg/mvp-js/ runs in node without WebAssembly"
  node --input-type=module -e "
    delete globalThis.WebAssembly;
    const { fingerprint } = await import('./pkg/mvp-js/frameseal.js');
    fingerprint(new Uint8Array(32).fill(9));"
  node tools/package.mjs # pkg/ as the npm package: package.json exports/files, mvp/, loader, webrtc/ workers, README
  node tools/integrity.mjs # pkg/integrity.json: SHA-384 (SRI) of every .js/.wasm file in pkg/
  local wasm
  for wasm in pkg/frameseal_bg.wasm pkg/mvp/frameseal_bg.wasm pkg/signed-video/frameseal_signed_video_bg.wasm; do
    log "$wasm: $(wc -c <"$wasm") bytes raw, $(gzip -9c "$wasm" | wc -c) bytes gzip"
  done
}

# pkg/signed-video/ (`frameseal/signed-video`): SignedVideoGate, the display
# side of Axis Signed Video / ONVIF Media Signing, built with the
# `signed-video` feature as a module of its own, so that the main .wasm
# carries none of its P-256 / RSA / X.509 code (modern build only).
build_signed_video() {
  local out=pkg/signed-video wasm=pkg/signed-video/frameseal_signed_video_bg.wasm
  log "wasm-pack build --release --target web --features signed-video -> $out"
  rm -rf "$out"
  wasm-pack build --release --target web --no-pack --out-dir "$out" --out-name frameseal_signed_video \
    -- --features signed-video
  rm -f "$out/.gitignore"
  log "wasm-opt ${WASM_OPT_FLAGS[*]} $wasm"
  node_modules/.bin/wasm-opt "${WASM_OPT_FLAGS[@]}" "${WASM_FEATURES[@]}" "$wasm" -o "$wasm"
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

