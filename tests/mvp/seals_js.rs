//! `tests/seals_js.rs` (seals and in-band units as JS sees them) against
//! the WebAssembly 1.0 build (see verifier_js.rs).
#![no_std]
#![no_main]

extern crate alloc;

#[path = "../seals_js.rs"]
mod seals_js;
