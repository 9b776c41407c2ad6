//! Conversions between JS values and the core's types, in one place:
//! arguments (type-checked, copied out of caller buffers through functions
//! whose exceptions are caught), option objects (own properties only),
//! counts and result objects.
//!
//! What goes out off the per-frame path (stats, reports, stream info) is
//! `#[derive(Serialize)]` structs turned into plain objects by
//! [`to_js`](super::to_js), the binding's own small serializer:
//! serde-wasm-bindgen 0.6.5 needs `std` (upstream issue
//! RReverser/serde-wasm-bindgen#77), which the WebAssembly 1.0 build
//! (wasm32v1-none) has none of. The per-frame results are not serialized:
//! one JS call builds each (`acceptedResult`, `droppedResult`).
//!
//! What comes in (options) is read by [`Options`], not deserialized:
//! serde-wasm-bindgen's struct deserializer reads each field with a plain
//! property get, which walks the prototype chain (`Object.prototype.maxAgeMs
//! = null` would reach the policy again: SPEC §4's own-property rule), and
//! a derive over an own-property reader of our own would gain little: the
//! options are mostly JS values serde has no type for (functions, the
//! `Uint8Array`s, bigints), `null` (off) differs from `undefined`
//! (default), and each error names the option and the range it wants
//! (tests check them), so every field would need a hand-written
//! `Deserialize` anyway. [`Options`] is the small typed reader that keeps
//! these rules; tests/js/pollution.test.mjs proves inherited keys are never
//! read.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use js_sys::{Function, Object, Reflect, Uint8Array};
use serde::Serialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::to_js::Counts;
use crate::frame::Codec;
use crate::inband::{Layout, UnitCodec, UnitFormat};
use crate::keys::{LinkedKey, Tables};
use crate::verify;

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
    pub(crate) fn accepted_result(
        payload: &Uint8Array,
        seq: f64,
        timestamp_us: f64,
        keyframe: bool,
        end_of_stream: bool,
        codec: &str,
        stream_id: &Uint8Array,
    ) -> Object;
    #[wasm_bindgen(js_name = droppedResult)]
    pub(crate) fn dropped_result(reason: &str) -> Object;
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
    pub(crate) fn is_shared(buffer: &JsValue) -> bool;
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
pub(crate) fn fixed_bytes<const N: usize>(value: &JsValue, what: &str) -> Result<[u8; N], JsError> {
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
    pub(crate) fn get(&self, key: &str) -> Result<JsValue, JsError> {
        match &self.object {
            None => Ok(JsValue::UNDEFINED),
            Some(o) => {
                own_value(o, key).map_err(|_| error(format!("reading {}.{key} threw", self.what)))
            }
        }
    }

    pub(crate) fn bad(&self, key: &str, wanted: &str, got: &JsValue) -> JsError {
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
            Some(n) if (0.0..=f64::from(max)).contains(&n) && super::float::is_whole(n) => {
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
                if (1.0..=f64::from(MAX_DURATION_MS)).contains(&n) && super::float::is_whole(n) =>
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
    pub(crate) fn u64(&self, key: &str) -> Result<Option<u64>, JsError> {
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
            Some(n) if (0.0..=MAX_SAFE_INTEGER).contains(&n) && super::float::is_whole(n) => {
                Ok(Some(n as u64))
            }
            _ => Err(self.bad(key, wanted, &value)),
        }
    }

    pub(crate) fn stream_id(&self, key: &str) -> Result<Option<[u8; 16]>, JsError> {
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

    /// The kind of key tables (`'fast'`, the default, or `'compact'`).
    pub(crate) fn tables(&self, key: &str) -> Result<Tables, JsError> {
        let value = self.get(key)?;
        if value.is_undefined() {
            return Ok(Tables::default());
        }
        value
            .as_string()
            .and_then(|s| Tables::from_name(&s))
            .ok_or_else(|| self.bad(key, "'fast' or 'compact'", &value))
    }

    pub(crate) fn codec(&self, key: &str) -> Result<Codec, JsError> {
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

    /// The in-band unit format of `codec`, `layout` and `nalLengthSize`
    /// (SPEC §6.3): `codec` is required; `layout` defaults to the codec's
    /// usual one (`annexb`, `obu`, `jpeg`), `nalLengthSize` to 4.
    pub(crate) fn unit_format(&self) -> Result<UnitFormat, JsError> {
        let codec_value = self.get("codec")?;
        let codec = match codec_value.as_string().as_deref() {
            Some("h264") => UnitCodec::H264,
            Some("h265") => UnitCodec::H265,
            Some("av1") => UnitCodec::Av1,
            Some("jpeg") => UnitCodec::Jpeg,
            _ => return Err(self.bad("codec", "one of h264, h265, av1, jpeg", &codec_value)),
        };
        let layout_value = self.get("layout")?;
        let layout = match layout_value.as_string().as_deref() {
            None if layout_value.is_undefined() => match codec {
                UnitCodec::H264 | UnitCodec::H265 => Layout::AnnexB,
                UnitCodec::Av1 => Layout::Obu,
                UnitCodec::Jpeg => Layout::Jpeg,
            },
            Some("annexb") => Layout::AnnexB,
            Some("avcc") => Layout::Avcc {
                nal_length_size: self.integer("nalLengthSize", 4, 4)? as u8,
            },
            Some("obu") => Layout::Obu,
            Some("jpeg") => Layout::Jpeg,
            _ => return Err(self.bad("layout", "one of annexb, avcc, obu, jpeg", &layout_value)),
        };
        UnitFormat::new(codec, layout).map_err(|e| error(format!("{}: {e}", self.what)))
    }

    /// An in-band unit's `codec`, `layout`, `nalLengthSize` and `config`
    /// ([`UNIT_OPTIONS`]).
    pub(crate) fn unit(&self) -> Result<UnitOptions, JsError> {
        Ok(UnitOptions {
            format: self.unit_format()?,
            config: self.bytes("config")?,
        })
    }

    /// A Uint8Array option, copied; `undefined` or `null` give `None`.
    pub(crate) fn bytes(&self, key: &str) -> Result<Option<Vec<u8>>, JsError> {
        let value = self.get(key)?;
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        let array = value
            .dyn_ref::<Uint8Array>()
            .and_then(|a| plain_bytes(a).ok())
            .ok_or_else(|| self.bad(key, "a Uint8Array", &value))?;
        Ok(Some(array.to_vec()))
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

/// The options [`Options::unit`] reads: all of `verifyUnit`'s and
/// `VideoGate.pushUnit`'s, the first of `sealUnit`'s.
pub(crate) const UNIT_OPTIONS: [&str; 4] = ["codec", "layout", "nalLengthSize", "config"];

/// An in-band unit's options (SPEC §6.3): its format, and the decoder
/// configuration record (`config`) if given.
pub(crate) struct UnitOptions {
    pub(crate) format: UnitFormat,
    pub(crate) config: Option<Vec<u8>>,
}

impl UnitOptions {
    /// Reads `value`: `undefined`, `null` or an object with only
    /// [`UNIT_OPTIONS`] (`codec` is required, so only an object passes).
    pub(crate) fn read(value: &JsValue) -> Result<UnitOptions, JsError> {
        Options::read(value, "options", &UNIT_OPTIONS)?.unit()
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

/// A count as a JS number, for the hand-built results (the derived stats
/// and reports clamp the same way in [`to_js`](super::to_js)). Exact up to
/// 2^53 − 1, which no display reaches; beyond, it stays at 2^53 − 1 rather
/// than rounding.
pub(crate) fn count(n: u64) -> JsValue {
    const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;
    JsValue::from_f64(n.min(MAX_SAFE_INTEGER) as f64)
}

/// Sets `object[key]` on an object this binding made (so nothing can make
/// the set fail).
pub(crate) fn set(object: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(key), value);
}

/// A Verifier's counts (`VerifierStats`): `{ accepted, dropped: { [reason]:
/// n } }` with every drop reason present (0 when none), in check order.
/// The other classes' stats add their own counts after these (`#[serde(
/// flatten)]`).
#[derive(Serialize)]
pub(crate) struct VerifierStats {
    accepted: u64,
    dropped: Counts,
}

impl VerifierStats {
    pub(crate) fn of(stats: &verify::Stats) -> VerifierStats {
        VerifierStats {
            accepted: stats.accepted,
            dropped: stats.by_reason().map(|(r, n)| (r.name(), n)).collect(),
        }
    }
}
