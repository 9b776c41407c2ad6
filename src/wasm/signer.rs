//! `Signer`: the camera side in JS (simulators, tests, browser cameras).

use alloc::format;
use core::cell::RefCell;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::interop::{Options, UNIT_OPTIONS, UnitOptions, bytes_arg, error, fixed_bytes};
use crate::sign::{self, FrameSpec};
use alloc::vec::Vec;

#[wasm_bindgen(typescript_custom_section)]
const TS_SIGNER: &str = r#"
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

/** What sealUnit is given besides the unit (SPEC §6.4). */
export interface SealUnitOptions extends UnitOptions {
  streamId?: Uint8Array;
  seq?: number | bigint;
  timestampUs?: number | bigint;
  /** Whether the unit is a keyframe: its parameter sets are then covered. */
  keyframe?: boolean;
  endOfStream?: boolean;
}

/** Header fields for Signer.signRotation. Every field is optional. */
export interface RotationOptions {
  streamId?: Uint8Array;
  seq?: number | bigint;
  timestampUs?: number | bigint;
}
"#;

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
        self.make("signFrame", &payload, &options, sign::Signer::sign_frame)
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
        self.make("sealFrame", &payload, &options, sign::Signer::seal_frame)
    }

    /// Seals a media unit in-band (SPEC §6.4): the same unit, in the same
    /// layout, with a seal over its canonical content inserted where §6.3
    /// says. `options`: `codec` (required: 'h264' | 'h265' | 'av1' |
    /// 'jpeg'), `layout`, `nalLengthSize`, `config` (the decoder
    /// configuration record, for a keyframe that carries no parameter
    /// sets), and the header fields of `signFrame` (`keyframe` is the
    /// caller's to set: it decides whether parameter sets are covered).
    /// Throws for a unit that already holds a frameseal seal.
    #[wasm_bindgen(js_name = sealUnit)]
    pub fn seal_unit(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] unit: JsValue,
        #[wasm_bindgen(unchecked_param_type = "SealUnitOptions")] options: JsValue,
    ) -> Result<Uint8Array, JsError> {
        let unit = bytes_arg(&unit, "unit")?.to_vec();
        let mut known = UNIT_OPTIONS.to_vec();
        known.extend_from_slice(&HEADER_OPTIONS);
        let options = Options::read(&options, "options", &known)?;
        let UnitOptions { format, config } = options.unit()?;
        // The unit's own codec goes in the seal.
        let spec = header_fields(&options, crate::frame::Codec::Opaque)?;
        let sealed = self
            .inner
            .borrow_mut()
            .seal_unit(&unit, format, config.as_deref(), &spec)
            .map_err(|e| error(format!("sealUnit: {e}")))?;
        Ok(Uint8Array::from(&sealed[..]))
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

impl JsSigner {
    /// `signFrame` / `sealFrame`: the payload and the header options read
    /// (every argument before the signer is borrowed), then `make`.
    fn make(
        &self,
        what: &str,
        payload: &JsValue,
        options: &JsValue,
        make: MakeFrame,
    ) -> Result<Uint8Array, JsError> {
        let payload = bytes_arg(payload, "payload")?.to_vec();
        let mut known = HEADER_OPTIONS.to_vec();
        known.push("codec");
        let options = Options::read(options, "options", &known)?;
        let spec = header_fields(&options, options.codec("codec")?)?;
        let frame = make(&mut self.inner.borrow_mut(), &payload, &spec)
            .map_err(|e| error(format!("{what}: {e}")))?;
        Ok(Uint8Array::from(&frame[..]))
    }
}

/// A core signing call: `Signer::sign_frame` or `Signer::seal_frame`.
type MakeFrame = fn(&mut sign::Signer, &[u8], &FrameSpec) -> Result<Vec<u8>, sign::SignError>;

/// The header options every signing call takes (besides `codec`).
const HEADER_OPTIONS: [&str; 5] = ["streamId", "seq", "timestampUs", "keyframe", "endOfStream"];

/// The header fields of a frame or seal, from `HEADER_OPTIONS`.
fn header_fields(options: &Options, codec: crate::frame::Codec) -> Result<FrameSpec, JsError> {
    Ok(FrameSpec {
        stream_id: options.stream_id("streamId")?,
        seq: options.u64("seq")?,
        timestamp_us: timestamp_or_now(options)?,
        keyframe: options.boolean("keyframe", false)?,
        end_of_stream: options.boolean("endOfStream", false)?,
        codec,
    })
}

fn timestamp_or_now(options: &Options) -> Result<u64, JsError> {
    Ok(options
        .u64("timestampUs")?
        .unwrap_or_else(|| (js_sys::Date::now() * 1000.0) as u64))
}
