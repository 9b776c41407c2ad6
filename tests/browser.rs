//! The JS-surface suite (`tests/web/suite.rs`), run in a browser:
//! `wasm-pack test --headless --chrome` (or `--firefox`). `tests/node.rs`
//! runs the same tests in Node. Only on wasm32: natively there is no JS
//! binding to test.
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

extern crate alloc;

#[path = "web/suite.rs"]
mod suite;
