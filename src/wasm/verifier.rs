//! `Verifier` (SPEC §4): one linked key, one policy, one frame at a time;
//! and the package's exported description of the format (`dropReasons`,
//! `frameLayout`).

use alloc::format;
use alloc::vec::Vec;
use js_sys::{Array, Function, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use super::interop::{
    Options, Switchable, UnitOptions, VerifierStats, accepted_result, bytes_arg, copy_from,
    dropped_result, error, is_shared, public_key_arg, set, type_name,
};
use super::to_js::to_object;
use crate::frame::{Codec, HEADER_LEN, SEAL_LEN};
use crate::inband::UnitFormat;
use crate::verify::{self, DropReason, Head, MAX_REPLAY_WINDOW, Policy, PolicyError, UNIT_SLACK};

#[wasm_bindgen(typescript_custom_section)]
const TS_VERIFIER: &str = r#"
/** Why a frame was dropped (SPEC §3), in check order. */
export type DropReason =
  | 'malformed' | 'unsupported-version' | 'unsigned' | 'too-large'
  | 'foreign-key' | 'bad-signature' | 'wrong-stream' | 'stale' | 'future'
  | 'replayed' | 'bad-rotation';

/** Where a field stands: [start, end) byte offsets. */
export type FieldRange = [number, number];

/** The wire layout, from frameLayout(). */
export interface FrameLayout {
  headerLength: number;
  signatureLength: number;
  sealLength: number;
  fields: Record<'magic' | 'version' | 'flags' | 'codec' | 'keyId' | 'streamId' | 'seq'
    | 'timestampUs' | 'length' | 'contentHash' | 'sealSignature', FieldRange>;
  codecs: Record<CodecName, number>;
}

/** How an in-band unit is handed over (SPEC §6.3). */
export interface UnitOptions {
  codec: 'h264' | 'h265' | 'av1' | 'jpeg';
  /** Default: annexb (H.264/H.265), obu (AV1), jpeg. */
  layout?: 'annexb' | 'avcc' | 'obu' | 'jpeg';
  /** avcc only: bytes of each NAL length, 1, 2 or 4 (default 4). */
  nalLengthSize?: number;
  /** The avcC / hvcC / av1C payload, for keyframes without parameter sets. */
  config?: Uint8Array;
}

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
  /**
   * The linked key's precomputed tables: 'fast' (default; 370 KiB per key)
   * or 'compact' (55 KiB per key, verification a little slower). Either way
   * the verdicts are the same, and verifiers of one key share one table.
   */
  tables?: 'fast' | 'compact';
}

/** Counts since the Verifier was built. */
export interface VerifierStats {
  accepted: number;
  dropped: Record<DropReason, number>;
}
"#;

/// The Verifier option keys (SPEC §4).
pub(crate) const VERIFIER_OPTIONS: [&str; 8] = [
    "maxAgeMs",
    "maxFutureSkewMs",
    "replayWindow",
    "streamId",
    "maxPayloadBytes",
    "now",
    "allowRotation",
    "tables",
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
    /// The copy of the frame being checked.
    buffer: FrameBuffer,
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

    /// Verifies one media unit that carries its seal in-band (SPEC §6.4):
    /// an H.264 / H.265 access unit, an AV1 temporal unit or a JPEG file.
    /// `options`: `codec` ('h264' | 'h265' | 'av1' | 'jpeg'), `layout`
    /// ('annexb' | 'avcc' | 'obu' | 'jpeg'), `nalLengthSize` (avcc: 1, 2
    /// or 4), `config` (the avcC / hvcC / av1C payload, for keyframes that
    /// carry no parameter sets). Returns `verify()`'s result; an accepted
    /// one's payload is the unit as given. One more drop reason:
    /// 'unsigned'. Throws for bad arguments or options.
    #[wasm_bindgen(js_name = verifyUnit, unchecked_return_type = "VerifyResult")]
    pub fn verify_unit(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] unit: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UnitOptions")] options: JsValue,
    ) -> Result<Object, JsError> {
        let UnitOptions { format, config } = UnitOptions::read(&options)?;
        let now_us = self.clock().now_us()?;
        let unit = bytes_arg(&unit, "unit")?;
        Ok(self.check_unit(&unit, format, config.as_deref(), now_us)?.0)
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
    pub fn stats(&self) -> Object {
        to_object(&VerifierStats::of(self.inner.stats()))
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
        let tables = options.tables("tables")?;
        #[cfg(not(feature = "std"))]
        table_registry::install();
        let inner = verify::Verifier::with_tables(key, policy, tables).map_err(|e| match e {
            PolicyError::OutOfMemory(e) => error(format!("linking the key: {e}")),
            e => error(format!("options: {e}")),
        })?;
        Ok(JsVerifier {
            inner,
            clock: Clock(now),
            buffer: FrameBuffer(Vec::new()),
        })
    }

    /// The core verifier and the clock, for a binding that verifies through
    /// a core type of its own (FragmentFilter).
    pub(crate) fn into_parts(self) -> (verify::Verifier, Clock) {
        (self.inner, self.clock)
    }

    /// The core verifier.
    pub(crate) fn core(&self) -> &verify::Verifier {
        &self.inner
    }

    /// The core verifier, for the byte-stream reader's seal judgements
    /// (`Verifier::authenticate_seal` changes no state, only the counts).
    pub(crate) fn core_mut(&mut self) -> &mut verify::Verifier {
        &mut self.inner
    }

    /// The verifier's clock, to read with no borrow of the verifier held
    /// (`now()` is user code and may call back into the object).
    pub(crate) fn clock(&self) -> Clock {
        self.clock.clone()
    }
}

/// The registry of shared key tables in the WebAssembly 1.0 build, which
/// has no `std` and so no `Mutex` for the core to keep it behind
/// (`vartime.rs`, memory rule).
///
/// The cell is the one wasm-bindgen's own thread-local statics expand to
/// (`wasm_bindgen::__rt::LazyCell`, of the pinned wasm-bindgen version):
/// it is `Sync` only where WebAssembly has no threads, true of this
/// build, so the crate stays free of `unsafe`. A re-entrant use finds the
/// `RefCell` lent out and goes without sharing, never panics.
#[cfg(not(feature = "std"))]
mod table_registry {
    use core::cell::RefCell;
    use wasm_bindgen::__rt::LazyCell;

    use crate::vartime::{self, Registry, RegistryHost};

    struct Host(LazyCell<RefCell<Registry>>);

    static HOST: Host = Host(LazyCell::new(|| RefCell::new(Registry::new())));

    impl RegistryHost for Host {
        fn with(&self, f: &mut dyn FnMut(&mut Registry)) {
            if let Ok(mut registry) = self.0.try_borrow_mut() {
                f(&mut registry);
            }
        }
    }

    /// Gives the core the registry (once; later calls change nothing).
    pub(super) fn install() {
        vartime::set_registry_host(&HOST);
    }
}

/// The `now` option, or `Date.now`.
#[derive(Clone)]
pub(crate) struct Clock(pub(crate) Option<Function>);

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
        let seal = match self.inner.judge_head(head, len) {
            Err(reason) => return Ok((dropped_result(reason.name()), Err(reason))),
            Ok(Head::Sealed(seal)) => Some(seal),
            Ok(Head::Envelope) => None,
        };
        // Within the policy's maximum (the head check refused longer
        // frames). Only what is verified is copied: the whole frame
        // (version 1), or the payload behind the seal (version 2).
        let at = if seal.is_some() { SEAL_LEN } else { 0 };
        let before = self.buffer.mark();
        let bytes = self.buffer.hold(frame, at as u32, len - at, "verify")?;
        let verdict = match &seal {
            Some(seal) => {
                let hash = crate::frame::content_hash(bytes);
                self.inner.try_accept_sealed(seal, &hash, bytes, now_us)
            }
            None => self.inner.try_verify(bytes, now_us),
        }
        .map_err(|e| error(format!("verify: {e}: the new key's tables")))?;
        let start = if seal.is_some() { SEAL_LEN } else { HEADER_LEN } as u32;
        let settled = settle(verdict, frame, |h| {
            frame.subarray(start, start + h.payload_len)
        });
        Ok(self.dropped_unless(settled, before))
    }

    /// `settled`, or, for a drop, its JS result once the frame buffer has
    /// given back its growth (dropped input leaves no memory behind, SPEC §4).
    fn dropped_unless(
        &mut self,
        settled: Result<(Object, Verdict), DropReason>,
        before: (usize, usize),
    ) -> (Object, Verdict) {
        settled.unwrap_or_else(|reason| {
            self.buffer.release(before);
            (dropped_result(reason.name()), Err(reason))
        })
    }
}

/// The JS result of an accepted verdict: its payload is `view` of the
/// caller's bytes, or the verified copy when they are shared memory
/// (another thread could change them after this call). A drop stays `Err`.
fn settle(
    verdict: Result<verify::Accepted<'_>, DropReason>,
    source: &Uint8Array,
    view: impl FnOnce(&crate::frame::Header) -> Uint8Array,
) -> Result<(Object, Verdict), DropReason> {
    verdict.map(|ok| {
        let h = ok.header;
        let payload = if is_shared(&source.buffer()) {
            Uint8Array::from(ok.payload)
        } else {
            view(&h)
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
            set(&result, "newPublicKey", &Uint8Array::from(&key[..]));
        }
        (result, Ok(AcceptedFrame { header: h, payload }))
    })
}

/// The one copy of a frame (or unit) being checked, reused across calls.
/// Constant rule: it grows (zeroed) only when a longer input comes, never
/// beyond the policy's largest frame; an input that is then dropped gives
/// back the growth it caused, above [`KEEP_AFTER_DROP`].
struct FrameBuffer(Vec<u8>);

impl FrameBuffer {
    /// Its length and capacity now, to give growth back to.
    fn mark(&self) -> (usize, usize) {
        (self.0.len(), self.0.capacity())
    }

    /// `len` bytes of `src` from `at`, copied in; out of memory, or a
    /// source changed under the call, is an error.
    fn hold(
        &mut self,
        src: &Uint8Array,
        at: u32,
        len: usize,
        what: &str,
    ) -> Result<&[u8], JsError> {
        if len > self.0.len() {
            let more = len - self.0.len();
            if self.0.try_reserve_exact(more).is_err() {
                return Err(error(format!(
                    "{what}: out of memory (cannot hold {len} bytes)"
                )));
            }
            self.0.resize(len, 0);
        }
        let bytes = &mut self.0[..len];
        copy_from(src, at, bytes)?;
        Ok(bytes)
    }

    /// Gives back what the buffer grew by since `mark`.
    fn release(&mut self, (len, capacity): (usize, usize)) {
        if self.0.capacity() > capacity.max(KEEP_AFTER_DROP) {
            self.0.truncate(len);
            self.0.shrink_to(capacity);
        }
    }
}

impl JsVerifier {
    /// Verifies an in-band unit and builds the JS result, like
    /// [`JsVerifier::check`] for frames. A unit longer than the maximum
    /// content plus 64 KiB is `too-large` without being copied (the one
    /// place this binding puts a bound before §6.3's order: it will not
    /// copy an arbitrarily long unit to find out more).
    pub(crate) fn check_unit(
        &mut self,
        unit: &Uint8Array,
        format: UnitFormat,
        config: Option<&[u8]>,
        now_us: i64,
    ) -> Result<(Object, Verdict), JsError> {
        let len = unit.length() as usize;
        let limit = (self.inner.policy().max_payload_bytes as usize).saturating_add(UNIT_SLACK);
        if len > limit {
            let reason = self.inner.drop_unit_too_large();
            return Ok((dropped_result(reason.name()), Err(reason)));
        }
        let before = self.buffer.mark();
        let bytes = self.buffer.hold(unit, 0, len, "verifyUnit")?;
        let verdict = self
            .inner
            .try_verify_unit(bytes, format, config, now_us)
            .map_err(|e| error(format!("verifyUnit: {e}")))?;
        let settled = settle(verdict, unit, |_| unit.clone());
        Ok(self.dropped_unless(settled, before))
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

/// The wire layout (SPEC §2, §6.1), from the core's one layout table:
/// `{ headerLength: 52, signatureLength: 64, sealLength: 148,
/// fields: { magic: [0, 5], version: [5, 6], ... }, codecs: { jpeg: 1, ... } }`
/// (each field as `[start, end)`), for tools that show frames (a demo's
/// unprotected player, a packet inspector) without a copy of the format of
/// their own.
#[wasm_bindgen(js_name = frameLayout, unchecked_return_type = "FrameLayout")]
pub fn frame_layout() -> Object {
    use crate::frame::layout;
    let codecs = Object::new();
    for c in Codec::ALL {
        set(&codecs, c.name(), &JsValue::from(c.to_byte()));
    }
    let fields = Object::new();
    for (name, at) in [
        ("magic", layout::MAGIC),
        ("version", layout::VERSION),
        ("flags", layout::FLAGS),
        ("codec", layout::CODEC),
        ("keyId", layout::KEY_ID),
        ("streamId", layout::STREAM_ID),
        ("seq", layout::SEQ),
        ("timestampUs", layout::TIMESTAMP_US),
        ("length", layout::LENGTH),
        ("contentHash", layout::CONTENT_HASH),
        ("sealSignature", layout::SEAL_SIGNATURE),
    ] {
        let range = Array::of2(
            &JsValue::from(at.start as u32),
            &JsValue::from(at.end as u32),
        );
        set(&fields, name, &range);
    }
    let out = Object::new();
    set(&out, "headerLength", &JsValue::from(HEADER_LEN as u32));
    set(
        &out,
        "signatureLength",
        &JsValue::from(crate::frame::SIGNATURE_LEN as u32),
    );
    set(&out, "sealLength", &JsValue::from(SEAL_LEN as u32));
    set(&out, "fields", &fields);
    set(&out, "codecs", &codecs);
    out
}
