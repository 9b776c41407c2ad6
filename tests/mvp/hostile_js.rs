//! `tests/hostile_js.rs` against the WebAssembly 1.0 build (see verifier_js.rs).
#![no_std]
#![no_main]

extern crate alloc;

#[path = "../hostile_js.rs"]
mod hostile_js;
