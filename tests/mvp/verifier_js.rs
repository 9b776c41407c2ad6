//! `tests/verifier_js.rs` (Verifier, Signer and fingerprint as JS sees
//! them) against the WebAssembly 1.0 build: compiled for wasm32v1-none, no
//! std, run by wasm-bindgen-test in Node and, with
//! WASM_BINDGEN_USE_BROWSER=1, in Chromium and Firefox.
#![no_std]
#![no_main]

extern crate alloc;

#[path = "../verifier_js.rs"]
mod verifier_js;
