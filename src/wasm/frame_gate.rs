//! `FrameGate` (SPEC §4): verify each pushed frame, and decode and draw only
//! accepted JPEG / PNG / WebP stills. A dropped frame is never decoded and
//! never touches the canvas. An accepted frame that is not drawn says why
//! in `notDrawn`: `not-an-image` (opaque or video codec), `key-rotation`,
//! `superseded` (a newer picture was drawn first) or `decode-failed`.

use alloc::rc::Rc;
use core::cell::RefCell;
use js_sys::{Object, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};

use serde::Serialize;

use super::interop::{bytes_arg, set};
use super::screen::{Screen, decode_picture, gate_stats, gate_surface, verify_for_screen};
use super::verifier::{JsVerifier, Verdict};
use crate::frame::Codec;
use crate::inband::{Layout, UnitCodec, UnitFormat};

#[wasm_bindgen(typescript_custom_section)]
const TS_FRAME_GATE: &str = r#"
/** FrameGate options: the Verifier's, plus liveness and reporting. */
export interface FrameGateOptions extends VerifierOptions {
  /** Mark the canvas not live after this long without a drawn frame (default 3000); null = never. */
  stallAfterMs?: number | null;
  /** Called once when the canvas becomes not live. */
  onStall?: (msSinceLastDrawn: number) => void;
  /** Called when a drawn frame ends a stall. */
  onResume?: () => void;
  /** Shortest time between two reports (default 10000). */
  reportIntervalMs?: number;
  /** At most once per interval, only for an interval in which something happened. */
  onReport?: (report: FrameGateReport) => void;
  /** Called for every dropped frame. */
  onDrop?: (result: Dropped & { drawn: false }) => void;
}

/** Counts for one report interval alone (plain JSON, ready for navigator.sendBeacon). */
export interface FrameGateReport {
  intervalMs: number;
  accepted: number;
  drawn: number;
  dropped: Record<DropReason, number>;
  stalledMs: number;
}

/** Why an accepted frame was not drawn. */
export type NotDrawnReason =
  | 'not-an-image' | 'key-rotation' | 'superseded' | 'decode-failed'
  | 'decoding' | 'skipped-until-keyframe' | 'not-video';

/** What FrameGate.push resolves to. */
export type GateResult =
  | (Accepted & { drawn: true })
  | (Accepted & { drawn: false; notDrawn: NotDrawnReason })
  | (Dropped & { drawn: false });

/** Verifier stats plus what FrameGate drew. */
export interface FrameGateStats extends VerifierStats {
  drawn: number;
  decodeErrors: number;
}
"#;

fn image_mime(codec: Codec) -> Option<&'static str> {
    match codec {
        Codec::Jpeg => Some("image/jpeg"),
        Codec::Png => Some("image/png"),
        Codec::Webp => Some("image/webp"),
        _ => None,
    }
}

/// Shows a camera's frames on a canvas, and only those its linked key
/// signed: every frame is verified first, and only accepted stills are
/// decoded and drawn. Marks the canvas not live when frames stop coming.
#[wasm_bindgen(js_name = FrameGate)]
pub struct JsFrameGate {
    verifier: RefCell<JsVerifier>,
    screen: Rc<Screen>,
}

gate_surface!(JsFrameGate as FrameGate);

#[wasm_bindgen(js_class = FrameGate)]
impl JsFrameGate {
    /// Verifies `frame`; resolves to the Verifier's result plus `drawn`
    /// once an accepted still is decoded and drawn (or found not drawable).
    /// Throws for a non-Uint8Array argument or a closed gate.
    #[wasm_bindgen(unchecked_return_type = "Promise<GateResult>")]
    pub fn push(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] frame: JsValue,
    ) -> Result<Promise, JsError> {
        // A JPEG file with its seal in-band starts FF D8; an envelope frame
        // starts FSEAL (SPEC §6.4).
        // Sniffed through the intrinsic view (bytes_arg): the caller's own
        // `length` may be a getter that throws, which must not unwind
        // through Rust. A bad argument is reported by the check below.
        let jpeg = bytes_arg(&frame, "frame")
            .is_ok_and(|f| f.length() >= 2 && f.get_index(0) == 0xFF && f.get_index(1) == 0xD8);
        let unit = if jpeg {
            UnitFormat::new(UnitCodec::Jpeg, Layout::Jpeg)
                .ok()
                .map(|f| (f, None))
        } else {
            None
        };
        let (result, verdict) = verify_for_screen(&self.verifier, &self.screen, &frame, unit)?;
        let promise = self.hand_over(result, verdict);
        self.screen.poll();
        Ok(promise)
    }

    /// The gate on its opened verifier and screen (for [`gate_surface`]).
    fn opened(verifier: JsVerifier, screen: Rc<Screen>) -> Result<JsFrameGate, JsError> {
        Ok(JsFrameGate {
            verifier: RefCell::new(verifier),
            screen,
        })
    }

    /// Starts the decode of an accepted still (no user code runs before
    /// its verified bytes are handed to the decoder); the promise of the
    /// push's result.
    fn hand_over(&self, result: Object, verdict: Verdict) -> Promise {
        let accepted = match verdict {
            Err(_) => return Promise::resolve(&JsValue::from(result)),
            Ok(accepted) => accepted,
        };
        let codec = accepted.header.codec;
        let Some(mime) = image_mime(codec) else {
            let why = if codec == Codec::KeyRotation {
                "key-rotation"
            } else {
                "not-an-image"
            };
            set(&result, "notDrawn", &JsValue::from_str(why));
            return Promise::resolve(&JsValue::from(result));
        };
        let Ok(ticket) = self
            .screen
            .gate
            .try_borrow_mut()
            .map(|mut g| g.begin_draw(accepted.header.timestamp_us))
        else {
            set(&result, "notDrawn", &JsValue::from_str("superseded"));
            return Promise::resolve(&JsValue::from(result));
        };
        let captured_at = self.screen.captured_at(accepted.header.timestamp_us);
        let decode = decode_picture(&accepted.payload, mime);
        let screen = Rc::clone(&self.screen);
        future_to_promise(async move {
            let outcome = match decode {
                Ok(promise) => JsFuture::from(promise).await.map_err(|_| "decode-failed"),
                Err(_) => Err("decode-failed"),
            };
            let drawn = match outcome {
                Ok(bitmap) => screen.draw(ticket, captured_at, bitmap),
                Err(why) => {
                    screen.decode_errors.set(screen.decode_errors.get() + 1);
                    Err(why)
                }
            };
            set(&result, "drawn", &JsValue::from_bool(drawn.is_ok()));
            if let Err(why) = drawn {
                set(&result, "notDrawn", &JsValue::from_str(why));
            }
            Ok(result.into())
        })
    }

    /// The Verifier's counts plus `drawn` and `decodeErrors`.
    #[wasm_bindgen(unchecked_return_type = "FrameGateStats")]
    pub fn stats(&self) -> Result<Object, JsError> {
        let decode_errors = self.screen.decode_errors.get();
        gate_stats(&self.verifier, &self.screen, Extra { decode_errors })
    }

    /// Stops the liveness timer and reports, releases the last picture.
    pub fn close(&self) {
        self.screen.close();
    }
}

/// FrameGate's counts after the Verifier's and `drawn` (`FrameGateStats`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Extra {
    /// Accepted stills the browser could not decode.
    decode_errors: u64,
}
