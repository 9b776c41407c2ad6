//! `tests/reader_js.rs` against the WebAssembly 1.0 build (see verifier_js.rs).
#![no_std]
#![no_main]

extern crate alloc;

#[path = "../reader_js.rs"]
mod reader_js;
