//! The `<video>` side that MseGate and SignedVideoMseGate share: the
//! imports of js/mse.js (one MediaSource and SourceBuffer per element,
//! appends queued, quota eviction, gap jumps) and what both keep to tell
//! which appended picture is shown. What reaches the player is decided by
//! each gate.

use alloc::string::String;
use js_sys::{Promise, Uint8Array};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/mse.js")]
extern "C" {
    #[wasm_bindgen(js_name = isMediaElement)]
    pub(crate) fn is_media_element(value: &JsValue) -> bool;
    #[wasm_bindgen(js_name = hasMediaSource)]
    pub(crate) fn has_media_source() -> bool;
    #[wasm_bindgen(js_name = createPlayer, catch)]
    pub(crate) fn create_player(video: &JsValue, on_shown: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    pub(crate) fn append(
        player: &JsValue,
        init: Option<Uint8Array>,
        mime: Option<String>,
        media: Option<Uint8Array>,
    ) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = closePlayer, catch)]
    pub(crate) fn close_player(player: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = settleWith)]
    pub(crate) fn settle_with(promise: &Promise, value: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = markLive, catch)]
    pub(crate) fn mark_live(element: &JsValue, live: bool) -> Result<(), JsValue>;
}

/// Presentation times of appended pictures kept to tell which one is
/// shown: at most this many, the oldest forgotten first.
pub(crate) const SHOWN_HISTORY: usize = 512;

/// The player's callback for the media time now shown (s).
pub(crate) type OnShown = Closure<dyn FnMut(f64)>;
