//! The JS-surface suite (`tests/web/suite.rs`), run in Node:
//! `wasm-pack test --node`. `tests/browser.rs` runs the same tests in a
//! browser. Only on wasm32: natively there is no JS binding to test.
#![cfg(target_arch = "wasm32")]

extern crate alloc;

#[path = "web/suite.rs"]
mod suite;
