//! The JS surface (SPEC §4): converts JS values to core types and core
//! results to plain JS objects. No policy lives here.
//!
//! Rules at this boundary:
//! - every argument is type-checked here (a `&[u8]` parameter would quietly
//!   accept a string or `null`), and bad input becomes a thrown JS `Error`
//!   whose message names the argument; nothing here can panic;
//! - option objects are read key by key, own properties only (a value
//!   inherited from `Object.prototype`, put there by any script on the
//!   page, is never read), and an unknown key is an error, so a typo
//!   (`maxAge` for `maxAgeMs`) never silently leaves a check at its
//!   default; `undefined` means "default", `null` means "off" where allowed;
//! - durations are whole milliseconds from 1 to 2^31 − 1 (what `setTimeout`
//!   takes without wrapping to 0), or `null` where a check can be off;
//! - the clock (`now`, user code) is read before the frame's bytes are
//!   looked at, and no user code runs from then until the verdict and the
//!   bytes it was given on are handed on;
//! - a frame is judged from its first 52 bytes before it is copied: a
//!   malformed, oversized or foreign frame is never copied into
//!   WebAssembly memory. Otherwise it is copied once, into a buffer reused
//!   across calls; a dropped frame that made that buffer grow gives the
//!   growth back, so dropped input leaves no memory behind;
//! - every copy out of a caller's buffer goes through a JS function whose
//!   exceptions are caught (a detached or shrunk buffer is an `Error`,
//!   never an exception unwinding through Rust with a borrow held);
//! - an accepted payload is a view of the caller's own frame bytes, or a
//!   copy of the verified bytes when the caller's buffer is shared memory
//!   (a `SharedArrayBuffer` of any realm, which another thread could change
//!   after the check);
//! - running out of memory is a thrown `Error`, with nothing changed.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::RefCell;
use js_sys::{Array, Function, Object, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::frame::{Codec, HEADER_LEN, SEAL_LEN};
use crate::keys::{self, LinkedKey, PUBLIC_KEY_LEN};
use crate::sign::{self, FrameSpec};
use crate::verify::{self, DropReason, MAX_REPLAY_WINDOW, Policy, PolicyError};

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
const SUBARRAY = TA.subarray, SET = TA.set;
const AB_LENGTH = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength').get;
const HAS_OWN = Object.prototype.hasOwnProperty, KEYS = Object.keys;
export function isArraySafe(v) { try { return Array.isArray(v); } catch (_) { return false; } }
export function ownKeys(o) { return KEYS(o); }
export function ownValue(o, key) { return HAS_OWN.call(o, key) ? o[key] : undefined; }
export function isShared(buffer) { try { AB_LENGTH.call(buffer); return false; } catch (_) { return true; } }
export function copyIn(src, at, dst) {
  const part = SUBARRAY.call(src, at, at + LENGTH.call(dst));
  if (LENGTH.call(part) !== LENGTH.call(dst)) throw new RangeError('the frame changed during the call');
  SET.call(dst, part);
}
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
    #[wasm_bindgen(js_name = ownValue, catch)]
    fn own_value(o: &Object, key: &str) -> Result<JsValue, JsValue>;
    /// Whether an ArrayBuffer-like is shared memory, whatever realm made it
    /// (`instanceof SharedArrayBuffer` only sees this realm's).
    #[wasm_bindgen(js_name = isShared)]
    fn is_shared(buffer: &JsValue) -> bool;
    #[wasm_bindgen(js_name = copyIn, catch)]
    fn copy_in(src: &Uint8Array, at: u32, dst: &mut [u8]) -> Result<(), JsValue>;
}

/// Copies `dst.len()` bytes of `src` from `at` into `dst`; an error (not
/// an exception through Rust) when `src` was detached or shrunk.
pub(crate) fn copy_from(src: &Uint8Array, at: u32, dst: &mut [u8]) -> Result<(), JsError> {
    copy_in(src, at, dst)
        .map_err(|_| error("the frame's buffer was detached or shrunk during the call"))
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

    /// The value of the own property `key`, `undefined` when the object has
    /// none (an inherited one is never read: SPEC §4). A getter that throws
    /// becomes an error naming the option.
    fn get(&self, key: &str) -> Result<JsValue, JsError> {
        match &self.object {
            None => Ok(JsValue::UNDEFINED),
            Some(o) => {
                own_value(o, key).map_err(|_| error(format!("reading {}.{key} threw", self.what)))
            }
        }
    }

    fn bad(&self, key: &str, wanted: &str, got: &JsValue) -> JsError {
        error(format!(
            "{}.{key} must be {wanted}, got {}",
            self.what,
            describe(got)
        ))
    }

    /// An integer from 0 to `max`; `undefined` gives `default`.
    pub(crate) fn integer(&self, key: &str, default: u32, max: u32) -> Result<u32, JsError> {
        let value = self.get(key)?;
        if value.is_undefined() {
            return Ok(default);
        }
        match value.as_f64() {
            Some(n) if (0.0..=f64::from(max)).contains(&n) && crate::float::is_whole(n) => {
                Ok(n as u32)
            }
            _ => Err(self.bad(key, &format!("an integer from 0 to {max}"), &value)),
        }
    }

    /// A duration in whole milliseconds, from 1 to [`MAX_DURATION_MS`];
    /// `undefined` gives `default`; `null` gives `None` (the check is off)
    /// when `switchable`, else an error.
    pub(crate) fn duration(
        &self,
        key: &str,
        default: Option<u32>,
        switchable: Switchable,
    ) -> Result<Option<u32>, JsError> {
        let value = self.get(key)?;
        if value.is_undefined() {
            return Ok(default);
        }
        if value.is_null() && switchable == Switchable::NullIsOff {
            return Ok(None);
        }
        let wanted = match switchable {
            Switchable::NullIsOff => format!(
                "an integer number of ms from 1 to {MAX_DURATION_MS}, or null to switch it off"
            ),
            Switchable::Always => format!("an integer number of ms from 1 to {MAX_DURATION_MS}"),
        };
        match value.as_f64() {
            Some(n)
                if (1.0..=f64::from(MAX_DURATION_MS)).contains(&n) && crate::float::is_whole(n) =>
            {
                Ok(Some(n as u32))
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

/// The longest duration option, in ms: 2^31 − 1, the most `setTimeout`
/// takes (a larger delay wraps to 0 and the timer fires at once, over and
/// over). Enforced by [`Options::duration`] for every duration option.
pub(crate) const MAX_DURATION_MS: u32 = i32::MAX as u32;

/// Whether `null` switches a duration's check off.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Switchable {
    /// `null` means off.
    NullIsOff,
    /// The duration always applies; `null` is an error.
    Always,
}

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
    let us = |ms: Option<u32>| ms.map(|ms| u64::from(ms) * 1000);
    let ms = |us: Option<u64>| us.and_then(|us| u32::try_from(us / 1000).ok());
    let policy = Policy {
        max_age_us: us(options.duration(
            "maxAgeMs",
            ms(defaults.max_age_us),
            Switchable::NullIsOff,
        )?),
        max_future_skew_us: us(options.duration(
            "maxFutureSkewMs",
            ms(defaults.max_future_skew_us),
            Switchable::NullIsOff,
        )?),
        replay_window: options.integer(
            "replayWindow",
            defaults.replay_window,
            MAX_REPLAY_WINDOW,
        )?,
        stream_id: options.stream_id("streamId")?,
        max_payload_bytes: options.integer(
            "maxPayloadBytes",
            defaults.max_payload_bytes,
            u32::MAX,
        )?,
        allow_rotation: options.boolean("allowRotation", defaults.allow_rotation)?,
    };
    Ok((policy, options.function("now")?))
}

/// Checks frames against the one camera key this display was linked to,
/// and drops everything else before it is decoded.
#[wasm_bindgen(js_name = Verifier)]
pub struct JsVerifier {
    inner: verify::Verifier,
    clock: Clock,
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
        // The clock first: `now()` is user code and may touch the frame.
        let now_us = self.clock().now_us()?;
        let frame = bytes_arg(&frame, "frame")?;
        Ok(self.check(&frame, now_us)?.0)
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
        let now_us = self.clock().now_us()?;
        let results = Array::new();
        for frame in &checked {
            results.push(&self.check(frame, now_us)?.0);
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
        let inner = verify::Verifier::new(key, policy).map_err(|e| match e {
            PolicyError::OutOfMemory(e) => error(format!("linking the key: {e}")),
            e => error(format!("options: {e}")),
        })?;
        Ok(JsVerifier {
            inner,
            clock: Clock(now),
            scratch: Vec::new(),
        })
    }

    /// The core verifier.
    pub(crate) fn core(&self) -> &verify::Verifier {
        &self.inner
    }

    /// The verifier's clock, to read with no borrow of the verifier held
    /// (`now()` is user code and may call back into the object).
    pub(crate) fn clock(&self) -> Clock {
        self.clock.clone()
    }
}

/// The `now` option, or `Date.now`.
#[derive(Clone)]
pub(crate) struct Clock(Option<Function>);

impl Clock {
    /// Now, in µs since the Unix epoch.
    pub(crate) fn now_us(&self) -> Result<i64, JsError> {
        let ms = match &self.0 {
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
}

/// A dropped frame that made the frame buffer grow beyond this keeps no
/// more than the buffer had before it (see [`JsVerifier::check`]).
const KEEP_AFTER_DROP: usize = 64 * 1024;

impl JsVerifier {
    /// Verifies `frame` and builds the JS result object; also returns, for
    /// the gates, what was decided. Throws only when the frame's buffer
    /// changes under the call or memory runs out; then nothing was counted
    /// and nothing changed.
    pub(crate) fn check(
        &mut self,
        frame: &Uint8Array,
        now_us: i64,
    ) -> Result<(Object, Verdict), JsError> {
        let len = frame.length() as usize;
        // The head first: a malformed, oversized or foreign frame is
        // dropped without copying (or holding) the rest of it, and a
        // version-2 seal is authenticated before its payload is copied or
        // hashed (a forged frame costs one short signature check).
        let mut head = [0u8; SEAL_LEN];
        let head = &mut head[..len.min(SEAL_LEN)];
        copy_from(frame, 0, head)?;
        let sealed = head.get(..6) == Some(b"FSEAL\x02".as_slice());
        let seal = if sealed {
            match self.inner.authenticate_seal(head, len) {
                Ok(seal) => Some(seal),
                Err(reason) => return Ok((dropped_result(reason.name()), Err(reason))),
            }
        } else {
            let head = head.get(..len.min(HEADER_LEN)).unwrap_or_default();
            if let Err(reason) = self.inner.check_head(head, len) {
                return Ok((dropped_result(reason.name()), Err(reason)));
            }
            None
        };
        // Within the policy's maximum (the head check refused longer
        // frames). Only what is verified is copied: the whole frame
        // (version 1), or the payload behind the seal (version 2).
        let at = if seal.is_some() { SEAL_LEN } else { 0 };
        let need = len - at;
        // Grown (and zeroed) only when a longer frame comes.
        let (len_before, capacity_before) = (self.scratch.len(), self.scratch.capacity());
        if need > self.scratch.len() {
            let more = need - self.scratch.len();
            if self.scratch.try_reserve_exact(more).is_err() {
                return Err(error(format!(
                    "verify: out of memory (cannot hold a frame of {len} bytes)"
                )));
            }
            self.scratch.resize(need, 0);
        }
        let bytes = &mut self.scratch[..need];
        copy_from(frame, at as u32, bytes)?;
        let verdict = match &seal {
            Some(seal) => {
                let hash = crate::frame::content_hash(bytes);
                self.inner.try_accept_sealed(seal, &hash, bytes, now_us)
            }
            None => self.inner.try_verify(bytes, now_us),
        }
        .map_err(|e| error(format!("verify: {e}: the new key's tables")))?;
        match verdict {
            Err(reason) => {
                // Dropped input leaves no memory behind (SPEC §4).
                if self.scratch.capacity() > capacity_before.max(KEEP_AFTER_DROP) {
                    self.scratch.truncate(len_before);
                    self.scratch.shrink_to(capacity_before);
                }
                Ok((dropped_result(reason.name()), Err(reason)))
            }
            Ok(ok) => {
                let h = ok.header;
                let start = if seal.is_some() { SEAL_LEN } else { HEADER_LEN } as u32;
                // The bytes judged are the bytes used: shared memory can
                // change after this call, so it gets the verified copy.
                let payload = if is_shared(&frame.buffer()) {
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
                Ok((result, Ok(AcceptedFrame { header: h, payload })))
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

/// Every drop reason in check order, each with what it means in plain
/// words: `[{ reason: 'malformed', meaning: 'not a frame' }, ...]`. For
/// tables and tooltips, so a page never keeps its own list.
#[wasm_bindgen(js_name = dropReasons, unchecked_return_type = "{ reason: DropReason; meaning: string }[]")]
pub fn drop_reasons() -> Array {
    DropReason::ALL
        .iter()
        .map(|r| {
            let o = Object::new();
            let _ = Reflect::set(
                &o,
                &JsValue::from_str("reason"),
                &JsValue::from_str(r.name()),
            );
            let _ = Reflect::set(
                &o,
                &JsValue::from_str("meaning"),
                &JsValue::from_str(r.meaning()),
            );
            JsValue::from(o)
        })
        .collect()
}

/// The wire layout's constants (SPEC §2): `{ headerLength: 52,
/// signatureLength: 64, codecs: { jpeg: 1, ... } }`, for tools that show
/// frames (a demo's unprotected player, a packet inspector) without a copy
/// of the format of their own.
#[wasm_bindgen(
    js_name = frameLayout,
    unchecked_return_type = "{ headerLength: number; signatureLength: number; codecs: Record<CodecName, number> }"
)]
pub fn frame_layout() -> Object {
    let codecs = Object::new();
    for c in Codec::ALL {
        let _ = Reflect::set(
            &codecs,
            &JsValue::from_str(c.name()),
            &JsValue::from(c.to_byte()),
        );
    }
    let out = Object::new();
    let _ = Reflect::set(
        &out,
        &JsValue::from_str("headerLength"),
        &JsValue::from(HEADER_LEN as u32),
    );
    let _ = Reflect::set(
        &out,
        &JsValue::from_str("signatureLength"),
        &JsValue::from(crate::frame::SIGNATURE_LEN as u32),
    );
    let _ = Reflect::set(&out, &JsValue::from_str("codecs"), &codecs);
    out
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
        let spec = frame_spec(&options)?;
        let frame = self
            .inner
            .borrow_mut()
            .sign_frame(&payload, &spec)
            .map_err(|e| error(format!("signFrame: {e}")))?;
        Ok(Uint8Array::from(&frame[..]))
    }

    /// Seals `payload` into a version-2 frame (SPEC §6.2): the 148-byte seal
    /// (BLAKE3 of the payload, signed), then the payload. Header fields as
    /// for `signFrame`.
    #[wasm_bindgen(js_name = sealFrame)]
    pub fn seal_frame(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] payload: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "FrameOptions")] options: JsValue,
    ) -> Result<Uint8Array, JsError> {
        let payload = bytes_arg(&payload, "payload")?.to_vec();
        let spec = frame_spec(&options)?;
        let frame = self
            .inner
            .borrow_mut()
            .seal_frame(&payload, &spec)
            .map_err(|e| error(format!("sealFrame: {e}")))?;
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

/// The header fields of `signFrame` / `sealFrame` options.
fn frame_spec(options: &JsValue) -> Result<FrameSpec, JsError> {
    let options = Options::read(
        options,
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
    Ok(FrameSpec {
        stream_id: options.stream_id("streamId")?,
        seq: options.u64("seq")?,
        timestamp_us: timestamp_or_now(&options)?,
        keyframe: options.boolean("keyframe", false)?,
        end_of_stream: options.boolean("endOfStream", false)?,
        codec: options.codec("codec")?,
    })
}

fn timestamp_or_now(options: &Options) -> Result<u64, JsError> {
    Ok(options
        .u64("timestampUs")?
        .unwrap_or_else(|| (js_sys::Date::now() * 1000.0) as u64))
}
