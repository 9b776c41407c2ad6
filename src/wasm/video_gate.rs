//! `VideoGate` (SPEC §4): verified H.264 / H.265 / VP8 / VP9 / AV1 frames go
//! to a WebCodecs `VideoDecoder` as `EncodedVideoChunk`s (type from the
//! KEYFRAME flag, timestamp from the frame); decoded pictures are painted.
//!
//! Which accepted frames reach the decoder is [`crate::video::DecodeChain`]'s
//! decision (an intact reference chain only); liveness and reports are the
//! same [`Screen`] FrameGate uses. A decoder error breaks the chain and
//! closes the decoder; the next keyframe opens a new one.
//!
//! An accepted frame's result says why it was not (yet) drawn in
//! `notDrawn`: `decoding` (handed to the decoder: painted when decoded, see
//! `flush()`), `skipped-until-keyframe`, `not-video` or `key-rotation`.

use alloc::format;
use alloc::rc::{Rc, Weak};
use alloc::string::String;
use core::cell::{Cell, RefCell};
use js_sys::{Object, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};

use serde::Serialize;

use super::interop::{UnitOptions, error, set};
use super::screen::{Screen, discard, gate_stats, gate_surface, verify_for_screen};
use super::verifier::{JsVerifier, Verdict};
use crate::frame::Codec;
use crate::inband::{self, Layout, UnitFormat};
use crate::video::{DecodeChain, webcodecs_codec};

#[wasm_bindgen(typescript_custom_section)]
const TS_VIDEO_GATE: &str = r#"
/** VideoGate stats: the Verifier's plus what reached the screen. */
export interface VideoGateStats extends VerifierStats {
  drawn: number;
  /** Accepted frames not decoded because their reference chain was broken. */
  skippedUntilKeyframe: number;
  decoderErrors: number;
}
"#;

#[wasm_bindgen(module = "/js/video.js")]
extern "C" {
    #[wasm_bindgen(js_name = hasVideoDecoder)]
    fn has_video_decoder() -> bool;
    #[wasm_bindgen(js_name = createDecoder, catch)]
    fn create_decoder(output: &JsValue, error: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = configureDecoder, catch)]
    fn configure_decoder(
        decoder: &JsValue,
        codec: &str,
        description: Option<&Uint8Array>,
    ) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = decodeChunk, catch)]
    fn decode_chunk(
        decoder: &JsValue,
        keyframe: bool,
        timestamp_us: f64,
        data: &Uint8Array,
    ) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = flushDecoder, catch)]
    fn flush_decoder(decoder: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = closeDecoder, catch)]
    fn close_decoder(decoder: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = frameTimestamp, catch)]
    fn frame_timestamp(frame: &JsValue) -> Result<f64, JsValue>;
    #[wasm_bindgen(js_name = errorMessage)]
    fn error_message(e: &JsValue) -> String;
}

/// The decoder and the reference chain feeding it.
struct Decoding {
    chain: RefCell<DecodeChain>,
    decoder: RefCell<Option<JsValue>>,
    /// The codec string the open decoder was configured with.
    codec: RefCell<Option<String>>,
    errors: Cell<u64>,
    /// The decoder's last error, until `flush()` reports it.
    last_error: RefCell<Option<String>>,
    on_output: Closure<dyn FnMut(JsValue)>,
    on_error: Closure<dyn FnMut(JsValue)>,
}

impl Decoding {
    fn new(screen: &Rc<Screen>) -> Rc<Decoding> {
        let screen: Weak<Screen> = Rc::downgrade(screen);
        Rc::new_cyclic(|me: &Weak<Decoding>| {
            let me = me.clone();
            Decoding {
                chain: RefCell::new(DecodeChain::new()),
                decoder: RefCell::new(None),
                codec: RefCell::new(None),
                errors: Cell::new(0),
                last_error: RefCell::new(None),
                on_output: Closure::new(move |frame: JsValue| {
                    let Some(screen) = screen.upgrade() else {
                        return;
                    };
                    let timestamp = frame_timestamp(&frame).unwrap_or(0.0).max(0.0) as u64;
                    let Ok(ticket) = screen
                        .gate
                        .try_borrow_mut()
                        .map(|mut g| g.begin_draw(timestamp))
                    else {
                        discard(&frame);
                        return;
                    };
                    // draw() closes the frame if it is not kept on screen.
                    let _ = screen.draw(ticket, screen.captured_at(timestamp), frame);
                }),
                on_error: Closure::new(move |e: JsValue| {
                    if let Some(me) = me.upgrade() {
                        me.failed(error_message(&e));
                    }
                }),
            }
        })
    }

    /// The decoder failed: count it, close it, wait for a keyframe.
    fn failed(&self, message: String) {
        self.errors.set(self.errors.get() + 1);
        *self.last_error.borrow_mut() = Some(message);
        self.chain.borrow_mut().break_chain();
        self.close();
    }

    /// An open decoder configured for `codec` (and `description`, the
    /// configuration record of avcc units), opening one if needed.
    fn decoder_for(&self, codec: String, description: Option<&[u8]>) -> Result<JsValue, JsError> {
        let current = self.decoder.borrow().clone();
        let key = match description {
            Some(d) => format!("{codec} {d:?}"),
            None => codec.clone(),
        };
        if let Some(decoder) = current
            && self.codec.borrow().as_deref() == Some(key.as_str())
        {
            return Ok(decoder);
        }
        self.close();
        let decoder =
            create_decoder(self.on_output.as_ref(), self.on_error.as_ref()).map_err(|e| {
                error(format!(
                    "cannot create a VideoDecoder: {}",
                    error_message(&e)
                ))
            })?;
        let description = description.map(Uint8Array::from);
        if let Err(e) = configure_decoder(&decoder, &codec, description.as_ref()) {
            let _ = close_decoder(&decoder);
            return Err(error(format!(
                "VideoDecoder cannot be configured for {codec}: {}",
                error_message(&e)
            )));
        }
        *self.decoder.borrow_mut() = Some(decoder.clone());
        *self.codec.borrow_mut() = Some(key);
        Ok(decoder)
    }

    fn close(&self) {
        if let Some(decoder) = self.decoder.borrow_mut().take() {
            let _ = close_decoder(&decoder);
        }
        *self.codec.borrow_mut() = None;
    }
}

/// The WebCodecs codec string of an avcC record: profile, constraints
/// and level from its bytes 1 to 3 (`avc1.PPCCLL`).
fn avcc_codec(avcc: &[u8]) -> Option<String> {
    match avcc {
        [_, profile, constraints, level, ..] => {
            Some(format!("avc1.{profile:02x}{constraints:02x}{level:02x}"))
        }
        _ => None,
    }
}

/// How much of a payload is copied to find the codec string (an H.264 SPS
/// follows the access unit delimiter at the very start).
const SNIFF_LEN: u32 = 512;

fn not_drawn(result: Object, why: &str) -> Promise {
    set(&result, "notDrawn", &JsValue::from_str(why));
    Promise::resolve(&JsValue::from(result))
}

/// Shows a camera's video on a canvas, and only what its linked key signed:
/// every frame is verified first, and only accepted frames with an intact
/// reference chain reach the WebCodecs decoder. Its constructor throws
/// where WebCodecs is missing.
#[wasm_bindgen(js_name = VideoGate)]
pub struct JsVideoGate {
    verifier: RefCell<JsVerifier>,
    screen: Rc<Screen>,
    video: Rc<Decoding>,
}

gate_surface!(JsVideoGate as VideoGate);

impl JsVideoGate {
    /// The gate on its opened verifier and screen (for [`gate_surface`]),
    /// if this browser has WebCodecs.
    fn opened(verifier: JsVerifier, screen: Rc<Screen>) -> Result<JsVideoGate, JsError> {
        if !has_video_decoder() {
            screen.close();
            return Err(error(
                "VideoGate needs WebCodecs (VideoDecoder), which this browser lacks",
            ));
        }
        let video = Decoding::new(&screen);
        Ok(JsVideoGate {
            verifier: RefCell::new(verifier),
            screen,
            video,
        })
    }
}

#[wasm_bindgen(js_class = VideoGate)]
impl JsVideoGate {
    /// Verifies `frame` and, if it is accepted video with an intact
    /// reference chain, hands it to the decoder. Resolves to the Verifier's
    /// result plus `drawn: false` (pictures are painted when decoded).
    /// Throws for bad input, a closed gate, or a decoder that cannot be
    /// configured for the stream's codec.
    #[wasm_bindgen(unchecked_return_type = "Promise<GateResult>")]
    pub fn push(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] frame: JsValue,
    ) -> Result<Promise, JsError> {
        let (result, verdict) = verify_for_screen(&self.verifier, &self.screen, &frame, None)?;
        let handed = self.hand_over(result, verdict, None);
        self.screen.poll();
        handed
    }

    /// Verifies a media unit that carries its seal in-band (SPEC §6.4;
    /// `options` as `Verifier.verifyUnit`'s) and, if it is accepted with an
    /// intact reference chain, hands it to the decoder: a keyframe as it
    /// is, a delta unit without parameter sets (no seal covers those, so a
    /// decoder only ever uses what a verified keyframe vouched for). avcc
    /// units are decoded with `config` as the decoder's description.
    #[wasm_bindgen(js_name = pushUnit, unchecked_return_type = "Promise<GateResult>")]
    pub fn push_unit(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] unit: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UnitOptions")] options: JsValue,
    ) -> Result<Promise, JsError> {
        let UnitOptions { format, config } = UnitOptions::read(&options)?;
        let checked = Some((format, config.as_deref()));
        let (result, verdict) = verify_for_screen(&self.verifier, &self.screen, &unit, checked)?;
        let handed = self.hand_over(result, verdict, Some((format, config.as_deref())));
        self.screen.poll();
        handed
    }
}

impl JsVideoGate {
    /// Hands an accepted frame's verified bytes to the decoder if its
    /// reference chain is intact; no user code runs before that.
    /// `unit`: the format and configuration record of an in-band unit.
    fn hand_over(
        &self,
        result: Object,
        verdict: Verdict,
        unit: Option<(UnitFormat, Option<&[u8]>)>,
    ) -> Result<Promise, JsError> {
        let Ok(accepted) = verdict else {
            return Ok(Promise::resolve(&JsValue::from(result)));
        };
        let h = accepted.header;
        // avcc units: the decoder reads the configuration record, whose
        // profile bytes also name the codec.
        let description = match unit {
            Some((format, config)) if matches!(format.layout(), Layout::Avcc { .. }) => config,
            _ => None,
        };
        // The codec string needs at most the stream's first NAL units.
        let head = accepted
            .payload
            .subarray(0, accepted.payload.length().min(SNIFF_LEN));
        let codec = match description {
            Some(avcc) if h.codec == Codec::H264 => avcc_codec(avcc),
            _ => webcodecs_codec(h.codec, &head.to_vec()),
        };
        let Some(codec) = codec else {
            let why = if h.codec == Codec::KeyRotation {
                // A link of the chain: the next delta may follow it.
                self.video.chain.borrow_mut().link(h.stream_id, h.seq);
                "key-rotation"
            } else {
                "not-video"
            };
            return Ok(not_drawn(result, why));
        };
        if !self
            .video
            .chain
            .borrow_mut()
            .admit(h.stream_id, h.seq, h.keyframe)
        {
            return Ok(not_drawn(result, "skipped-until-keyframe"));
        }
        let decoder = if h.keyframe {
            match self.video.decoder_for(codec, description) {
                Ok(decoder) => decoder,
                Err(e) => {
                    self.video.chain.borrow_mut().break_chain();
                    return Err(e);
                }
            }
        } else {
            // The chain admits a delta only after a keyframe reached an open decoder.
            match self.video.decoder.borrow().clone() {
                Some(decoder) => decoder,
                None => return Ok(not_drawn(result, "skipped-until-keyframe")),
            }
        };
        let data = match unit {
            None => accepted.payload,
            Some((format, _)) => {
                let bytes = accepted.payload.to_vec();
                match inband::for_decoder(&bytes, format, h.keyframe) {
                    Ok(data) => Uint8Array::from(&data[..]),
                    Err(e) => return Err(error(format!("pushUnit: {e}"))),
                }
            }
        };
        if let Err(e) = decode_chunk(&decoder, h.keyframe, h.timestamp_us as f64, &data) {
            self.video.failed(error_message(&e));
            return Ok(not_drawn(result, "decode-failed"));
        }
        Ok(not_drawn(result, "decoding"))
    }
}

#[wasm_bindgen(js_class = VideoGate)]
impl JsVideoGate {
    /// Resolves when every frame handed to the decoder so far is decoded
    /// and painted; rejects with the decoder's error if it failed since the
    /// last flush. Like WebCodecs' own flush, the stream then resumes at
    /// the next keyframe (deltas until then are skipped).
    pub fn flush(&self) -> Promise {
        let video = Rc::clone(&self.video);
        future_to_promise(async move {
            let decoder = video.decoder.borrow().clone();
            if let Some(decoder) = decoder {
                match flush_decoder(&decoder) {
                    Ok(promise) => {
                        if let Err(e) = JsFuture::from(promise).await
                            && video.last_error.borrow().is_none()
                        {
                            video.failed(error_message(&e));
                        }
                    }
                    Err(e) => video.failed(error_message(&e)),
                }
            }
            // WebCodecs wants a key chunk after a flush: deltas wait for one.
            video.chain.borrow_mut().break_chain();
            match video.last_error.borrow_mut().take() {
                Some(message) => Err(error(format!("VideoDecoder failed: {message}")).into()),
                None => Ok(JsValue::UNDEFINED),
            }
        })
    }

    /// The Verifier's counts plus `drawn`, `skippedUntilKeyframe` and
    /// `decoderErrors`.
    #[wasm_bindgen(unchecked_return_type = "VideoGateStats")]
    pub fn stats(&self) -> Result<Object, JsError> {
        let extra = Extra {
            skipped_until_keyframe: self.video.chain.borrow().skipped(),
            decoder_errors: self.video.errors.get(),
        };
        gate_stats(&self.verifier, &self.screen, extra)
    }

    /// Releases the decoder and stops the liveness timer; later pushes throw.
    pub fn close(&self) {
        self.video.close();
        self.screen.close();
    }
}

/// VideoGate's counts after the Verifier's and `drawn` (`VideoGateStats`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Extra {
    /// Accepted delta frames not decoded while waiting for a keyframe.
    skipped_until_keyframe: u64,
    /// Errors the VideoDecoder reported.
    decoder_errors: u64,
}
