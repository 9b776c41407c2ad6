//! `tests/gate_browser.rs` against the WebAssembly 1.0 build (see verifier_js.rs).
#![no_std]
#![no_main]

extern crate alloc;

#[path = "../gate_browser.rs"]
mod gate_browser;
