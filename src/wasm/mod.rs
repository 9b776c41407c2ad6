//! The JS surface (SPEC §4): converts JS values to core types and core
//! results to plain JS objects. No policy lives here.
//!
//! Rules at this boundary:
//! - every argument is type-checked here (a `&[u8]` parameter would quietly
//!   accept a string or `null`), and bad input becomes a thrown JS `Error`
//!   whose message names the argument; nothing here can panic;
//! - option objects are read key by key, and an unknown key is an error, so
//!   a typo (`maxAge` for `maxAgeMs`) never silently leaves a check at its
//!   default; `undefined` means "default", `null` means "off" where allowed;
//! - a frame is copied into WebAssembly memory once, into a buffer reused
//!   across calls and never larger than the policy's largest frame: a longer
//!   frame is judged from its first 52 bytes without being copied;
//! - an accepted payload is a view of the caller's own frame bytes (a copy
//!   only when they live in a `SharedArrayBuffer`, which another thread
//!   could change after the check).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::RefCell;
use js_sys::{Array, Function, Object, Reflect, SharedArrayBuffer, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::frame::{Codec, HEADER_LEN};
use crate::keys::{self, LinkedKey, PUBLIC_KEY_LEN};
use crate::sign::{self, FrameSpec};
use crate::verify::{self, DropReason, MAX_REPLAY_WINDOW, Policy};

mod bench;
mod gate;
mod reader;
mod video;
pub use gate::JsFrameGate;
pub use reader::{JsFrameReader, frame_reader_stream};
pub use video::JsVideoGate;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** Why a frame was dropped (SPEC §3), in check order. */
export type DropReason =
  | 'malformed' | 'unsupported-version' | 'too-large' | 'foreign-key'
  | 'bad-signature' | 'wrong-stream' | 'stale' | 'future' | 'replayed'
  | 'bad-rotation';

/** What a frame's payload is. */
export type CodecName =
  | 'opaque' | 'jpeg' | 'png' | 'webp' | 'h264' | 'h265' | 'vp8' | 'vp9'
  | 'av1' | 'key-rotation';

/** A frame that passed every check. */
export interface Accepted {
  ok: true;
  /** The payload: a view of the bytes passed to verify(). */
  payload: Uint8Array;
  seq: number;
  timestampUs: number;
  keyframe: boolean;
  endOfStream: boolean;
  codec: CodecName;
  streamId: Uint8Array;
  /** Only on an accepted key-rotation frame: the key now linked. */
  newPublicKey?: Uint8Array;
}

/** A frame that was dropped, and why. */
export interface Dropped {
  ok: false;
  reason: DropReason;
}

/** The verdict on one frame. */
export type VerifyResult = Accepted | Dropped;

/** How a Verifier judges frames. Every field is optional. */
export interface VerifierOptions {
  /** Oldest acceptable capture time, in ms before now (default 10000); null = off. */
  maxAgeMs?: number | null;
  /** Furthest acceptable capture time, in ms after now (default 5000); null = off. */
  maxFutureSkewMs?: number | null;
  /** Sequence numbers remembered below the highest (default 64); 0 = strictly increasing. */
  replayWindow?: number;
  /** The only stream to accept (16 bytes); default: pin the first accepted stream. */
  streamId?: Uint8Array;
  /** Largest payload accepted, in bytes (default 16 MiB). */
  maxPayloadBytes?: number;
  /** The clock, in ms since the Unix epoch (default Date.now). */
  now?: () => number;
  /** Whether key-rotation frames may replace the linked key (default true). */
  allowRotation?: boolean;
}

/** Counts since the Verifier was built. */
export interface VerifierStats {
  accepted: number;
  dropped: Record<DropReason, number>;
}

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

/** VideoGate stats: the Verifier's plus what reached the screen. */
export interface VideoGateStats extends VerifierStats {
  drawn: number;
  /** Accepted frames not decoded because their reference chain was broken. */
  skippedUntilKeyframe: number;
  decoderErrors: number;
}

/** Header fields for Signer.signFrame. Every field is optional. */
export interface FrameOptions {
  /** Default: the signer's own random session stream id. */
  streamId?: Uint8Array;
  /** Default: one more than the last on this stream (0 for the first). */
  seq?: number | bigint;
  /** Default: now, from Date.now(). */
  timestampUs?: number | bigint;
  keyframe?: boolean;
  endOfStream?: boolean;
  /** Default: 'opaque'. */
  codec?: CodecName;
}

/** Header fields for Signer.signRotation. Every field is optional. */
export interface RotationOptions {
  streamId?: Uint8Array;
  seq?: number | bigint;
  timestampUs?: number | bigint;
}
"#;

#[wasm_bindgen(inline_js = "
const TA = Object.getPrototypeOf(Uint8Array.prototype);
const get = (name) => Object.getOwnPropertyDescriptor(TA, name).get;
const BUFFER = get('buffer'), OFFSET = get('byteOffset'), LENGTH = get('length');
export function isArraySafe(v) { try { return Array.isArray(v); } catch (_) { return false; } }
export function ownKeys(o) { return Object.keys(o); }
export function plainBytes(a) { return new Uint8Array(BUFFER.call(a), OFFSET.call(a), LENGTH.call(a)); }
export function acceptedResult(payload, seq, timestampUs, keyframe, endOfStream, codec, streamId) {
  return { ok: true, payload, seq, timestampUs, keyframe, endOfStream, codec, streamId };
}
export function droppedResult(reason) {
  return { ok: false, reason };
}
")]
extern "C" {
    // One call builds the whole result object: fewer boundary crossings than
    // a Reflect.set per field, and one object shape for the JIT.
    #[wasm_bindgen(js_name = acceptedResult)]
    fn accepted_result(
        payload: &Uint8Array,
        seq: f64,
        timestamp_us: f64,
        keyframe: bool,
        end_of_stream: bool,
        codec: &str,
        stream_id: &Uint8Array,
    ) -> Object;
    #[wasm_bindgen(js_name = droppedResult)]
    fn dropped_result(reason: &str) -> Object;
    #[wasm_bindgen(js_name = isArraySafe)]
    fn is_array_safe(v: &JsValue) -> bool;
    #[wasm_bindgen(js_name = ownKeys, catch)]
    fn own_keys(o: &JsValue) -> Result<js_sys::Array, JsValue>;
    #[wasm_bindgen(js_name = plainBytes, catch)]
    fn plain_bytes(a: &Uint8Array) -> Result<Uint8Array, JsValue>;
}

pub(crate) fn error(message: impl AsRef<str>) -> JsError {
    JsError::new(message.as_ref())
}

/// A short name of a JS value's type, for error messages.
pub(crate) fn type_name(value: &JsValue) -> String {
    if value.is_null() {
        return "null".into();
    }
    if value.is_undefined() {
        return "undefined".into();
    }
    if let Some(array) = value.dyn_ref::<Uint8Array>() {
        // plainBytes: a proxy or subclass must not throw from here either.
        return match plain_bytes(array) {
            Ok(a) => format!("Uint8Array({})", a.length()),
            Err(_) => "an unreadable Uint8Array".into(),
        };
    }
    if is_array_safe(value) {
        return "array".into();
    }
    value
        .js_typeof()
        .as_string()
        .unwrap_or_else(|| "value".into())
}

/// `value` as a Uint8Array, or an error naming `what`.
pub(crate) fn bytes_arg(value: &JsValue, what: &str) -> Result<Uint8Array, JsError> {
    let array = bytes_arg_unchecked(value, what)?;
    plain_bytes(&array).map_err(|_| error(format!("{what}: its bytes cannot be read")))
}

fn bytes_arg_unchecked(value: &JsValue, what: &str) -> Result<Uint8Array, JsError> {
    value.dyn_ref::<Uint8Array>().cloned().ok_or_else(|| {
        error(format!(
            "{what} must be a Uint8Array, got {}",
            type_name(value)
        ))
    })
}

/// `value` as exactly `N` bytes, or an error naming `what`.
fn fixed_bytes<const N: usize>(value: &JsValue, what: &str) -> Result<[u8; N], JsError> {
    let array = bytes_arg(value, what)?;
    let mut out = [0u8; N];
    if array.length() as usize != N {
        return Err(error(format!(
            "{what} must be {N} bytes, got {}",
            array.length()
        )));
    }
    array.copy_to(&mut out);
    Ok(out)
}

pub(crate) fn public_key_arg(value: &JsValue, what: &str) -> Result<LinkedKey, JsError> {
    let array = bytes_arg(value, what)?;
    LinkedKey::from_bytes(&array.to_vec()).map_err(|e| error(format!("{what}: {e}")))
}

/// An options object: `undefined`/`null` (all defaults) or a plain object
/// with only `known` keys.
pub(crate) struct Options {
    object: Option<Object>,
    what: &'static str,
}

impl Options {
    pub(crate) fn read(
        value: &JsValue,
        what: &'static str,
        known: &[&str],
    ) -> Result<Options, JsError> {
        if value.is_undefined() || value.is_null() {
            return Ok(Options { object: None, what });
        }
        if !value.is_object() || is_array_safe(value) || value.is_function() {
            return Err(error(format!(
                "{what} must be an object, got {}",
                type_name(value)
            )));
        }
        let object: Object = value.clone().unchecked_into();
        let keys =
            own_keys(&object).map_err(|_| error(format!("reading the keys of {what} threw")))?;
        for key in keys.iter() {
            let key = key.as_string().unwrap_or_default();
            if !known.contains(&key.as_str()) {
                return Err(error(format!(
                    "unknown option {what}.{key} (known: {})",
                    known.join(", ")
                )));
            }
        }
        Ok(Options {
            object: Some(object),
            what,
        })
    }

    /// The value of `key`, `undefined` when absent. A getter that throws
    /// becomes an error naming the option.
    fn get(&self, key: &str) -> Result<JsValue, JsError> {
        match &self.object {
            None => Ok(JsValue::UNDEFINED),
            Some(o) => Reflect::get(o, &JsValue::from_str(key))
                .map_err(|_| error(format!("reading {}.{key} threw", self.what))),
        }
    }

    fn bad(&self, key: &str, wanted: &str, got: &JsValue) -> JsError {
        error(format!(
            "{}.{key} must be {wanted}, got {}",
            self.what,
            describe(got)
        ))
    }

    /// A finite number in `[0, max]`; `undefined` gives `default`; `null`
    /// gives `None` when `nullable` (the check is off), else an error.
    pub(crate) fn number(
        &self,
        key: &str,
        default: Option<f64>,
        max: f64,
        integer: bool,
        nullable: bool,
    ) -> Result<Option<f64>, JsError> {
        let value = self.get(key)?;
        if value.is_undefined() {
            return Ok(default);
        }
        if value.is_null() && nullable {
            return Ok(None);
        }
        let max = max as u64;
        let wanted = match (integer, nullable) {
            (true, _) => format!("an integer from 0 to {max}"),
            (false, true) => format!("a number from 0 to {max}, or null to switch it off"),
            (false, false) => format!("a number from 0 to {max}"),
        };
        match value.as_f64() {
            Some(n)
                if n.is_finite()
                    && (0.0..=max as f64).contains(&n)
                    && (!integer || crate::float::is_whole(n)) =>
            {
                Ok(Some(n))
            }
            _ => Err(self.bad(key, &wanted, &value)),
        }
    }

    pub(crate) fn boolean(&self, key: &str, default: bool) -> Result<bool, JsError> {
        let value = self.get(key)?;
        if value.is_undefined() {
            return Ok(default);
        }
        value
            .as_bool()
            .ok_or_else(|| self.bad(key, "a boolean", &value))
    }

    /// A non-negative integer given as a number (up to 2^53 - 1) or a bigint.
    fn u64(&self, key: &str) -> Result<Option<u64>, JsError> {
        let value = self.get(key)?;
        if value.is_undefined() {
            return Ok(None);
        }
        let wanted = "a non-negative integer (number or bigint)";
        if value.is_bigint() {
            let bigint: js_sys::BigInt = value.clone().unchecked_into();
            return u64::try_from(bigint)
                .map(Some)
                .map_err(|_| self.bad(key, wanted, &value));
        }
        match value.as_f64() {
            Some(n) if (0.0..=MAX_SAFE_INTEGER).contains(&n) && crate::float::is_whole(n) => {
                Ok(Some(n as u64))
            }
            _ => Err(self.bad(key, wanted, &value)),
        }
    }

    fn stream_id(&self, key: &str) -> Result<Option<[u8; 16]>, JsError> {
        let value = self.get(key)?;
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        // Through plainBytes, like every argument: a subclass or proxy that
        // lies about its length cannot throw from inside Rust.
        let wanted = "a Uint8Array of 16 bytes";
        let array = value
            .dyn_ref::<Uint8Array>()
            .and_then(|a| plain_bytes(a).ok())
            .filter(|a| a.length() == 16)
            .ok_or_else(|| self.bad(key, wanted, &value))?;
        let mut id = [0u8; 16];
        array.copy_to(&mut id);
        Ok(Some(id))
    }

    fn codec(&self, key: &str) -> Result<Codec, JsError> {
        let value = self.get(key)?;
        if value.is_undefined() {
            return Ok(Codec::Opaque);
        }
        value
            .as_string()
            .and_then(|s| Codec::from_name(&s))
            .ok_or_else(|| {
                let names: Vec<&str> = Codec::ALL.iter().map(|c| c.name()).collect();
                self.bad(key, &format!("one of {}", names.join(", ")), &value)
            })
    }

    pub(crate) fn function(&self, key: &str) -> Result<Option<Function>, JsError> {
        let value = self.get(key)?;
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        value
            .dyn_into::<Function>()
            .map(Some)
            .map_err(|v| self.bad(key, "a function", &v))
    }
}

const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// A value for an error message: numbers and strings shown, others by type.
fn describe(value: &JsValue) -> String {
    if let Some(n) = value.as_f64() {
        // JS formats its own numbers (Infinity, NaN, 1e+21): no float
        // formatting code in the module.
        return js_sys::Number::from(n)
            .to_string_with_radix(10)
            .map(String::from)
            .unwrap_or_else(|_| "a number".into());
    }
    if let Some(s) = value.as_string() {
        let short: String = s.chars().take(40).collect();
        return format!("\"{short}\"");
    }
    type_name(value)
}

/// The Verifier option keys (SPEC §4).
pub(crate) const VERIFIER_OPTIONS: [&str; 7] = [
    "maxAgeMs",
    "maxFutureSkewMs",
    "replayWindow",
    "streamId",
    "maxPayloadBytes",
    "now",
    "allowRotation",
];

/// Reads the Verifier options into a policy and an optional clock.
pub(crate) fn read_policy(options: &Options) -> Result<(Policy, Option<Function>), JsError> {
    let defaults = Policy::default();
    let ms_to_us = |ms: f64| (ms * 1000.0) as u64;
    let ms = |us: Option<u64>| us.map(|us| us as f64 / 1000.0);
    // 10^12 ms is about 31 years: more than any sane clock difference, and
    // far from overflowing the microsecond arithmetic.
    let max_ms = 1e12;
    let policy = Policy {
        max_age_us: options
            .number("maxAgeMs", ms(defaults.max_age_us), max_ms, false, true)?
            .map(ms_to_us),
        max_future_skew_us: options
            .number(
                "maxFutureSkewMs",
                ms(defaults.max_future_skew_us),
                max_ms,
                false,
                true,
            )?
            .map(ms_to_us),
        replay_window: options
            .number(
                "replayWindow",
                Some(f64::from(defaults.replay_window)),
                f64::from(MAX_REPLAY_WINDOW),
                true,
                false,
            )?
            .map_or(defaults.replay_window, |n| n as u32),
        stream_id: options.stream_id("streamId")?,
        max_payload_bytes: options
            .number(
                "maxPayloadBytes",
                Some(f64::from(defaults.max_payload_bytes)),
                f64::from(u32::MAX),
                true,
                false,
            )?
            .map_or(defaults.max_payload_bytes, |n| n as u32),
        allow_rotation: options.boolean("allowRotation", defaults.allow_rotation)?,
    };
    Ok((policy, options.function("now")?))
}

/// Checks frames against the one camera key this display was linked to,
/// and drops everything else before it is decoded.
#[wasm_bindgen(js_name = Verifier)]
pub struct JsVerifier {
    inner: verify::Verifier,
    now: Option<Function>,
    /// Reused copy of the frame being checked; never above `max_frame_len`.
    scratch: Vec<u8>,
}

#[wasm_bindgen(js_class = Verifier)]
impl JsVerifier {
    /// Links `linkedPublicKey` (32 bytes, a valid non-small-order Ed25519
    /// point) and applies `options`. Throws on a bad key or option.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = linkedPublicKey, unchecked_param_type = "Uint8Array")]
        linked_public_key: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "VerifierOptions")] options: JsValue,
    ) -> Result<JsVerifier, JsError> {
        let options = Options::read(&options, "options", &VERIFIER_OPTIONS)?;
        JsVerifier::build(&linked_public_key, &options)
    }

    /// Verifies one frame; returns `{ ok: true, payload, ... }` or
    /// `{ ok: false, reason }`. Throws only for a non-Uint8Array argument
    /// or a clock that fails.
    #[wasm_bindgen(unchecked_return_type = "VerifyResult")]
    pub fn verify(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] frame: JsValue,
    ) -> Result<Object, JsError> {
        let frame = bytes_arg(&frame, "frame")?;
        let now_us = self.now_us()?;
        Ok(self.check(&frame, now_us).0)
    }

    /// Verifies a burst of frames in one call (a dashboard's tiles, a
    /// reconnect's backlog), in order: the results, counts and state are
    /// exactly those of `verify` on each frame in turn at one reading of
    /// the clock. Throws, before verifying any, if `frames` is not an array
    /// of Uint8Array.
    ///
    /// Each signature is still checked on its own, with the linked key's
    /// tables: Ed25519 batch verification would change verdicts (a random
    /// linear combination cannot tell torsion differences apart as
    /// `verify_strict` does) and, made exact, costs more than it saves
    /// (bench/RESULTS.md, "Batches"). What a batch saves is the crossings.
    #[wasm_bindgen(js_name = verifyBatch, unchecked_return_type = "VerifyResult[]")]
    pub fn verify_batch(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array[]")] frames: JsValue,
    ) -> Result<Array, JsError> {
        let list = frames.dyn_ref::<Array>().ok_or_else(|| {
            error(format!(
                "frames must be an array of Uint8Array, got {}",
                type_name(&frames)
            ))
        })?;
        // Every argument is checked before any frame changes state; a
        // sparse or lying array fails at its first hole.
        let mut checked = Vec::new();
        for (i, value) in list.iter().enumerate() {
            checked.push(bytes_arg(&value, &format!("frames[{i}]"))?);
        }
        let now_us = self.now_us()?;
        let results = Array::new();
        for frame in &checked {
            results.push(&self.check(frame, now_us).0);
        }
        Ok(results)
    }

    /// Counts since construction: `{ accepted, dropped: { [reason]: n } }`.
    #[wasm_bindgen(unchecked_return_type = "VerifierStats")]
    pub fn stats(&self) -> Result<JsValue, JsError> {
        stats_object(self.inner.stats())
    }

    /// The key frames are checked against now; changes only with an
    /// accepted key-rotation frame.
    #[wasm_bindgen(getter, js_name = linkedPublicKey)]
    pub fn linked_public_key(&self) -> Uint8Array {
        Uint8Array::from(&self.inner.linked_key().as_bytes()[..])
    }
}

impl JsVerifier {
    /// A verifier from an already-read options object (the gates add keys of their own).
    pub(crate) fn build(
        linked_public_key: &JsValue,
        options: &Options,
    ) -> Result<JsVerifier, JsError> {
        let key = public_key_arg(linked_public_key, "linkedPublicKey")?;
        let (policy, now) = read_policy(options)?;
        let inner =
            verify::Verifier::new(key, policy).map_err(|e| error(format!("options: {e}")))?;
        Ok(JsVerifier {
            inner,
            now,
            scratch: Vec::new(),
        })
    }

    /// The core verifier.
    pub(crate) fn core(&self) -> &verify::Verifier {
        &self.inner
    }

    pub(crate) fn now_us(&self) -> Result<i64, JsError> {
        let ms = match &self.now {
            None => js_sys::Date::now(),
            Some(f) => f
                .call0(&JsValue::UNDEFINED)
                .map_err(|_| error("options.now() threw"))?
                .as_f64()
                .filter(|n| n.is_finite())
                .ok_or_else(|| {
                    error("options.now() must return a finite number of milliseconds")
                })?,
        };
        Ok((ms * 1000.0) as i64)
    }

    /// Verifies `frame` and builds the JS result object; also returns, for
    /// the gates, what was decided.
    pub(crate) fn check(&mut self, frame: &Uint8Array, now_us: i64) -> (Object, Verdict) {
        let len = frame.length() as usize;
        if len > self.inner.max_frame_len() {
            let mut head = [0u8; HEADER_LEN];
            let head_len = len.min(HEADER_LEN);
            frame
                .subarray(0, head_len as u32)
                .copy_to(&mut head[..head_len]);
            let reason = self.inner.drop_oversized(&head[..head_len], len);
            return (dropped_result(reason.name()), Err(reason));
        }
        // Within the policy's maximum, but maybe not within what this
        // WebAssembly memory can still grow to: a drop, never an abort.
        // Grown (and zeroed) only when a longer frame comes.
        if len > self.scratch.len() {
            let more = len - self.scratch.len();
            if self.scratch.try_reserve_exact(more).is_err() {
                let reason = self.inner.drop_unholdable();
                return (dropped_result(reason.name()), Err(reason));
            }
            self.scratch.resize(len, 0);
        }
        let bytes = &mut self.scratch[..len];
        frame.copy_to(bytes);
        match self.inner.verify(bytes, now_us) {
            Err(reason) => (dropped_result(reason.name()), Err(reason)),
            Ok(ok) => {
                let h = ok.header;
                let start = HEADER_LEN as u32;
                let payload = if frame.buffer().is_instance_of::<SharedArrayBuffer>() {
                    Uint8Array::from(ok.payload)
                } else {
                    frame.subarray(start, start + h.payload_len)
                };
                let result = accepted_result(
                    &payload,
                    h.seq as f64,
                    h.timestamp_us as f64,
                    h.keyframe,
                    h.end_of_stream,
                    h.codec.name(),
                    &Uint8Array::from(&h.stream_id[..]),
                );
                if let Some(key) = ok.new_public_key {
                    let _ = Reflect::set(
                        &result,
                        &JsValue::from_str("newPublicKey"),
                        &Uint8Array::from(&key[..]),
                    );
                }
                (result, Ok(AcceptedFrame { header: h, payload }))
            }
        }
    }
}

/// What a gate needs to know about an accepted frame.
pub(crate) struct AcceptedFrame {
    pub(crate) header: crate::frame::Header,
    /// The payload as JS sees it (a view of the pushed frame).
    pub(crate) payload: Uint8Array,
}

/// The verifier's decision, beside the JS result object.
pub(crate) type Verdict = Result<AcceptedFrame, DropReason>;

/// `{ accepted, dropped: { [reason]: n } }` with every reason present (0
/// when none), in check order, as plain JSON-compatible JS values. Built
/// with `Reflect::set` rather than serde, so that the binding has no
/// dependency that needs `std` (the WebAssembly 1.0 build is `no_std`).
pub(crate) fn stats_object(stats: &verify::Stats) -> Result<JsValue, JsError> {
    let dropped = Object::new();
    for (reason, n) in stats.by_reason() {
        set_count(&dropped, reason.name(), n)?;
    }
    let out = Object::new();
    set_count(&out, "accepted", stats.accepted)?;
    Reflect::set(&out, &JsValue::from_str("dropped"), &dropped)
        .map_err(|_| error("stats: cannot set dropped"))?;
    Ok(out.into())
}

/// Sets `object[key]` to the count `n` as a JS number; a count past 2^53
/// (which no display reaches) is an error rather than a rounded number.
fn set_count(object: &Object, key: &str, n: u64) -> Result<(), JsError> {
    const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;
    if n > MAX_SAFE_INTEGER {
        return Err(error(format!(
            "stats: {key} = {n} is not a safe JS integer"
        )));
    }
    Reflect::set(
        object,
        &JsValue::from_str(key),
        &JsValue::from_f64(n as f64),
    )
    .map_err(|_| error(format!("stats: cannot set {key}")))?;
    Ok(())
}

/// The pairing fingerprint of a 32-byte public key (SPEC §5.1), e.g.
/// `mzxw-6ytb-oi2d-qnbv`: what a person compares on camera and display.
#[wasm_bindgen]
pub fn fingerprint(
    #[wasm_bindgen(js_name = publicKey, unchecked_param_type = "Uint8Array")] public_key: JsValue,
) -> Result<String, JsError> {
    let key = fixed_bytes::<PUBLIC_KEY_LEN>(&public_key, "publicKey")?;
    Ok(keys::fingerprint(&key))
}

/// The pairing code of a 32-byte public key: a copyable text form
/// (`fs1-...`) in which a typo is caught and located (docs/PAIRING.md).
#[wasm_bindgen(js_name = pairingCode)]
pub fn pairing_code(
    #[wasm_bindgen(js_name = publicKey, unchecked_param_type = "Uint8Array")] public_key: JsValue,
) -> Result<String, JsError> {
    let key = fixed_bytes::<PUBLIC_KEY_LEN>(&public_key, "publicKey")?;
    Ok(crate::pairing::encode(&key))
}

/// The public key in a pairing code; throws an Error that says where a
/// typo is, or why the key cannot be linked.
#[wasm_bindgen(js_name = parsePairingCode)]
pub fn parse_pairing_code(
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
) -> Result<Uint8Array, JsError> {
    let text = text
        .as_string()
        .ok_or_else(|| error(format!("text must be a string, got {}", type_name(&text))))?;
    crate::pairing::decode(&text)
        .map(|key| Uint8Array::from(&key.as_bytes()[..]))
        .map_err(|e| error(e.to_string()))
}

/// Random bytes from the platform's CSPRNG (`crypto.getRandomValues`).
fn random_bytes<const N: usize>() -> Result<[u8; N], JsError> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))
        .ok()
        .filter(|c| c.is_object())
        .ok_or_else(|| error("no crypto.getRandomValues in this environment"))?;
    let crypto: web_sys::Crypto = crypto.unchecked_into();
    let mut out = [0u8; N];
    crypto
        .get_random_values_with_u8_array(&mut out)
        .map_err(|_| error("crypto.getRandomValues failed"))?;
    Ok(out)
}

/// A camera's signing key: turns payloads into signed frames, numbered per
/// stream. For cameras, simulators and tests; a display only needs
/// `Verifier`.
#[wasm_bindgen(js_name = Signer)]
pub struct JsSigner {
    // Every method takes `&self` (so that `s.signRotation(s)` reaches the
    // core's same-key refusal instead of wasm-bindgen's aliasing error);
    // the signer is borrowed mutably only after every argument was read,
    // when no JS code can run until the borrow ends.
    inner: RefCell<sign::Signer>,
}

#[wasm_bindgen(js_class = Signer)]
impl JsSigner {
    /// A signer for a 32-byte Ed25519 secret key (RFC 8032 seed), with a
    /// fresh random session stream id.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = secretKey, unchecked_param_type = "Uint8Array")]
        secret_key: JsValue,
    ) -> Result<JsSigner, JsError> {
        let secret = fixed_bytes::<32>(&secret_key, "secretKey")?;
        Ok(JsSigner {
            inner: RefCell::new(sign::Signer::from_secret(&secret, random_bytes()?)),
        })
    }

    /// A signer with a new random key.
    pub fn generate() -> Result<JsSigner, JsError> {
        Ok(JsSigner {
            inner: RefCell::new(sign::Signer::from_secret(&random_bytes()?, random_bytes()?)),
        })
    }

    /// The 32-byte public key a display links to.
    #[wasm_bindgen(getter, js_name = publicKey)]
    pub fn public_key(&self) -> Uint8Array {
        Uint8Array::from(&self.inner.borrow().public_key()[..])
    }

    /// The random 16-byte stream id of this signer's session, used when a
    /// frame names no other.
    #[wasm_bindgen(getter, js_name = streamId)]
    pub fn stream_id(&self) -> Uint8Array {
        Uint8Array::from(&self.inner.borrow().session_stream()[..])
    }

    /// The 32-byte secret key, to store the camera's identity. Keep it secret.
    #[wasm_bindgen(js_name = exportSecretKey)]
    pub fn export_secret_key(&self) -> Uint8Array {
        Uint8Array::from(&self.inner.borrow().secret_key()[..])
    }

    /// Signs `payload` into a frame. Header fields come from `options`
    /// (all optional; see FrameOptions).
    #[wasm_bindgen(js_name = signFrame)]
    pub fn sign_frame(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] payload: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "FrameOptions")] options: JsValue,
    ) -> Result<Uint8Array, JsError> {
        let payload = bytes_arg(&payload, "payload")?.to_vec();
        let options = Options::read(
            &options,
            "options",
            &[
                "streamId",
                "seq",
                "timestampUs",
                "keyframe",
                "endOfStream",
                "codec",
            ],
        )?;
        let spec = FrameSpec {
            stream_id: options.stream_id("streamId")?,
            seq: options.u64("seq")?,
            timestamp_us: timestamp_or_now(&options)?,
            keyframe: options.boolean("keyframe", false)?,
            end_of_stream: options.boolean("endOfStream", false)?,
            codec: options.codec("codec")?,
        };
        let frame = self
            .inner
            .borrow_mut()
            .sign_frame(&payload, &spec)
            .map_err(|e| error(format!("signFrame: {e}")))?;
        Ok(Uint8Array::from(&frame[..]))
    }

    /// A key-rotation frame (SPEC §5.2) signed by this key, telling linked
    /// displays to trust `nextSigner`'s key from now on.
    #[wasm_bindgen(js_name = signRotation)]
    pub fn sign_rotation(
        &self,
        #[wasm_bindgen(js_name = nextSigner)] next_signer: &JsSigner,
        #[wasm_bindgen(unchecked_optional_param_type = "RotationOptions")] options: JsValue,
    ) -> Result<Uint8Array, JsError> {
        let options = Options::read(&options, "options", &["streamId", "seq", "timestampUs"])?;
        let spec = FrameSpec {
            stream_id: options.stream_id("streamId")?,
            seq: options.u64("seq")?,
            ..FrameSpec::at(timestamp_or_now(&options)?)
        };
        if core::ptr::eq(self, next_signer) {
            return Err(error(format!("signRotation: {}", sign::SignError::SameKey)));
        }
        let frame = self
            .inner
            .borrow_mut()
            .sign_rotation(&next_signer.inner.borrow(), &spec)
            .map_err(|e| error(format!("signRotation: {e}")))?;
        Ok(Uint8Array::from(&frame[..]))
    }
}

fn timestamp_or_now(options: &Options) -> Result<u64, JsError> {
    Ok(options
        .u64("timestampUs")?
        .unwrap_or_else(|| (js_sys::Date::now() * 1000.0) as u64))
}
