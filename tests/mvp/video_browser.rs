//! `tests/video_browser.rs` against the WebAssembly 1.0 build (see verifier_js.rs).
#![no_std]
#![no_main]

extern crate alloc;

#[path = "../video_browser.rs"]
mod video_browser;
