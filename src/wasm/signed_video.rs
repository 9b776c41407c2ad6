//! `SignedVideoGate` (issue 18 item 3): the display side of Axis Signed
//! Video / ONVIF Media Signing, in the package's Signed Video part
//! (`frameseal/signed-video`, built with the `signed-video` feature so that
//! the main module carries no P-256 / RSA / X.509 code).
//!
//! Converting only: options and bytes in, released pictures, GOP reports
//! and counts out; what is held, released and dropped is decided by
//! [`crate::signed_video::gate`]. Bad input throws an `Error` whose
//! `reason` is a stable lower-case string (`bad-options`, `bad-trust-key`,
//! `bad-trust-ca`, `malformed-unit`, `unit-too-large`, `bad-length-size`,
//! `finished`, `busy`, `not-mp4`, `bad-mp4`, `bad-init-segment`,
//! `unsupported-codec`, `no-init-segment`, `bad-fragment`, `out-of-memory`).

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::RefCell;
use js_sys::{Array, Function, Object, Uint8Array};
use wasm_bindgen::prelude::*;

use serde::Serialize;

use super::interop::{Options, bytes_arg, copy_from, count, set};
use super::to_js::{Counts, to_object};
use crate::fmp4::{InitSegment, MediaSegment};
use crate::inband::UnitCodec;
use crate::signed_video::gate::{DropReason, Gate, GateError, GateStats, Layout, Mode, VERDICTS};
use crate::signed_video::trust::TrustError;
use crate::signed_video::{
    CaTrust, Codec, FrameVerdict, GopReport, StreamValidator, Trust, TrustedKey, mp4,
    spki_fingerprint,
};

#[wasm_bindgen(typescript_custom_section)]
const TS_SIGNED_VIDEO_GATE: &str = r#"
/** A GOP's verdict (frameseal verify --signed-video's). */
export type SignedVideoVerdict =
  | 'authentic' | 'tampered' | 'incomplete' | 'unsigned' | 'pending' | 'unverifiable' | 'foreign-key';

/** Why a picture was not released: its GOP's verdict, a picture type the formats do not hash, or too much held. */
export type SignedVideoDropReason = Exclude<SignedVideoVerdict, 'authentic'> | 'not-covered' | 'overflow';

/** What is trusted and how; read as own properties only, unknown keys are an error. */
export interface SignedVideoTrustOptions {
  /** 'hold' (default): each GOP is held until its verdict, only authentic pictures are released. 'mark': released at once, verdicts follow (onGop). */
  mode?: 'hold' | 'mark';
  /** The linked camera's public key: SubjectPublicKeyInfo as PEM text or DER bytes (EC P-256 or RSA). GOPs signed by another key are 'foreign-key'. */
  trustKey?: string | Uint8Array;
  /** A CA certificate PEM (the CA last; a chain for streams that carry a bare key may come before it). */
  trustCa?: string;
  /** When certificates are checked, ms since the epoch (default now). */
  at?: number;
  /** Called with each GOP's report, in order, after the call that completed it returns its pictures. */
  onGop?: (report: SignedVideoGopReport) => void;
}

/** SignedVideoGate options for access units pushed one by one. */
export interface SignedVideoGateOptions extends SignedVideoTrustOptions {
  codec: 'h264' | 'h265' | 'av1';
  /** H.264/H.265: 'annexb' (start codes, default) or 'avcc' (length-prefixed, as MP4 samples). AV1: 'obu' (temporal units of OBUs with size fields; the default). */
  layout?: 'annexb' | 'avcc' | 'obu';
  /** With 'avcc': the NAL unit length size (default 4, or the config record's). */
  nalLengthSize?: 1 | 2 | 4;
  /** With 'avcc': the avcC / hvcC record (its length size is used). */
  config?: Uint8Array;
}

/** A released picture: ready for `new EncodedVideoChunk(picture)`. */
export interface SignedVideoPicture {
  type: 'key' | 'delta';
  /** µs: as pushed, or from the MP4's sample times (the sample index when it has none). */
  timestamp: number;
  duration?: number;
  /** The access unit (after any access units without a picture that came before it). */
  data: Uint8Array;
  /** Decode-order index of its picture from 0, as GOP reports count (firstFrame). */
  frame: number;
}

/** One GOP's verdict: `frameseal verify --signed-video --json`'s line, plus counts. */
export interface SignedVideoGopReport {
  gop: number;
  firstFrame: number;
  frames: number;
  verdict: SignedVideoVerdict;
  reason: string | null;
  gopCounter: number | null;
  invalidUnits: number;
  missingUnits: number;
  /** Pictures of this GOP judged one by one (the stream's hash list allows it; 0 when it does not). */
  checkedFrames: number;
  /** Of those, the decode-order indexes of the pictures that were changed or added. */
  tamperedFrames: number[];
}

/** What a SignedVideoGate counted (access units). */
export interface SignedVideoGateStats {
  released: number;
  held: number;
  heldBytes: number;
  dropped: Record<SignedVideoDropReason, number>;
  gops: Record<SignedVideoVerdict, number>;
  carried: number;
  badSeis: number;
  /** fMP4 samples refused as malformed by pushFragment (push throws instead). */
  malformed: number;
}

/** Who signed, and what is trusted. */
export interface SignedVideoInfo {
  scheme: 'axis' | 'onvif' | null;
  codec: 'h264' | 'h265' | 'av1';
  publicKeyFingerprint: string | null;
  trust: 'in-stream-key-only' | 'key' | 'ca';
  trustError: { reason: string; message: string } | null;
  signer: { manufacturer: string; serialNumber: string; firmwareVersion: string } | null;
}

/** What VideoDecoder.configure takes, from an fMP4 init segment. */
export interface SignedVideoDecoderConfig { codec: string; description: Uint8Array }

/** A whole MP4 recording through a SignedVideoGate. */
export interface SignedVideoMp4 {
  /** For VideoDecoder.configure. */
  decoderConfig: { codec: string; description: Uint8Array; codedWidth: number; codedHeight: number };
  pictures: SignedVideoPicture[];
  reports: SignedVideoGopReport[];
  stats: SignedVideoGateStats;
  info: SignedVideoInfo;
}
"#;

/// The trust options every gate takes.
pub(super) const TRUST_OPTIONS: [&str; 5] = ["mode", "trustKey", "trustCa", "at", "onGop"];
/// Those plus the access unit format.
const UNIT_OPTIONS: [&str; 9] = [
    "mode",
    "trustKey",
    "trustCa",
    "at",
    "onGop",
    "codec",
    "layout",
    "nalLengthSize",
    "config",
];

/// The largest init or media segment taken.
pub(super) const MAX_SEGMENT_BYTES: usize = 256 << 20;

/// The most GOP reports kept for `reports()`; older ones are forgotten
/// (the counts in `stats()` keep them).
pub(super) const MAX_REPORTS: usize = 4096;

/// An `Error` with a stable `reason`.
pub(super) fn fail(reason: &str, message: impl AsRef<str>) -> JsValue {
    let e = js_sys::Error::new(message.as_ref());
    set(&e, "reason", &JsValue::from_str(reason));
    e.into()
}

/// An option error from the shared reader, as `bad-options`.
pub(super) fn bad_options(e: JsError) -> JsValue {
    let value = JsValue::from(e);
    if let Some(object) = value.dyn_ref::<Object>() {
        set(object, "reason", &JsValue::from_str("bad-options"));
    }
    value
}

fn gate_error(e: GateError) -> JsValue {
    fail(e.reason(), e.to_string())
}

/// What the caller gave with an access unit.
#[derive(Clone, Copy)]
struct Timing {
    timestamp: f64,
    duration: Option<f64>,
}

/// The trust, mode and callback of `options`.
pub(super) struct Common {
    pub(super) mode: Mode,
    pub(super) trust: Trust,
    pub(super) on_gop: Option<Function>,
}

pub(super) fn common(o: &Options) -> Result<Common, JsValue> {
    let mode_value = o.get("mode").map_err(bad_options)?;
    let mode = match mode_value.as_string().as_deref() {
        None if mode_value.is_undefined() => Mode::Hold,
        Some("hold") => Mode::Hold,
        Some("mark") => Mode::Mark,
        _ => return Err(bad_options(o.bad("mode", "'hold' or 'mark'", &mode_value))),
    };
    let at_value = o.get("at").map_err(bad_options)?;
    let at_ms = if at_value.is_undefined() {
        js_sys::Date::now()
    } else {
        match at_value.as_f64() {
            Some(ms) if ms.is_finite() && ms.abs() < 8.64e15 => ms,
            _ => {
                return Err(bad_options(o.bad(
                    "at",
                    "a time in ms since the epoch",
                    &at_value,
                )));
            }
        }
    };
    let at = (at_ms / 1000.0).floor() as i64;
    let key = o.get("trustKey").map_err(bad_options)?;
    let ca = o.get("trustCa").map_err(bad_options)?;
    let trust = match (key.is_undefined(), ca.is_undefined()) {
        (false, false) => {
            return Err(fail(
                "bad-options",
                "options.trustKey and options.trustCa cannot be combined: link one key or one CA",
            ));
        }
        (false, true) => Trust::Key(trust_key(&key)?),
        (true, false) => {
            let pem = ca
                .as_string()
                .ok_or_else(|| bad_options(o.bad("trustCa", "CA certificate PEM text", &ca)))?;
            Trust::Ca(CaTrust::from_pem(pem.as_bytes(), at).map_err(|e| {
                fail(
                    "bad-trust-ca",
                    format!("options.trustCa: not a CA certificate PEM: {e}"),
                )
            })?)
        }
        (true, true) => Trust::InStream,
    };
    let on_gop = o.function("onGop").map_err(bad_options)?;
    Ok(Common {
        mode,
        trust,
        on_gop,
    })
}

fn trust_key(value: &JsValue) -> Result<TrustedKey, JsValue> {
    let bad = |e: TrustError| {
        fail(
            "bad-trust-key",
            format!("options.trustKey: not an EC P-256 or RSA public key (SPKI PEM or DER): {e}"),
        )
    };
    if let Some(pem) = value.as_string() {
        return TrustedKey::from_spki_pem(&pem).map_err(bad);
    }
    let der = read_bytes(value, "options.trustKey", 64 * 1024).map_err(|_| {
        fail(
            "bad-trust-key",
            "options.trustKey must be PEM text or DER bytes",
        )
    })?;
    TrustedKey::from_spki_der(&der).map_err(bad)
}

/// The bytes of a Uint8Array argument, copied, at most `max` of them.
pub(super) fn read_bytes(value: &JsValue, what: &str, max: usize) -> Result<Vec<u8>, JsValue> {
    let array = bytes_arg(value, what).map_err(|e| {
        let v = JsValue::from(e);
        if let Some(o) = v.dyn_ref::<Object>() {
            set(o, "reason", &JsValue::from_str("bad-argument"));
        }
        v
    })?;
    let len = array.length() as usize;
    if len > max {
        return Err(fail(
            "unit-too-large",
            format!("{what}: {len} bytes is more than the {max} taken"),
        ));
    }
    let mut out = Vec::new();
    out.try_reserve_exact(len).map_err(|_| {
        fail(
            "out-of-memory",
            format!("{what}: out of memory for {len} bytes"),
        )
    })?;
    out.resize(len, 0);
    copy_from(&array, 0, &mut out).map_err(|e| {
        let v = JsValue::from(e);
        if let Some(o) = v.dyn_ref::<Object>() {
            set(o, "reason", &JsValue::from_str("bad-argument"));
        }
        v
    })?;
    Ok(out)
}

/// The access unit format of `options`: codec, layout, length size.
fn unit_format(o: &Options) -> Result<(Codec, Layout), JsValue> {
    let codec_value = o.get("codec").map_err(bad_options)?;
    let codec = match codec_value.as_string().as_deref() {
        Some("h264") => Codec::H264,
        Some("h265") => Codec::H265,
        Some("av1") => Codec::Av1,
        _ => {
            return Err(bad_options(o.bad(
                "codec",
                "'h264', 'h265' or 'av1'",
                &codec_value,
            )));
        }
    };
    if codec == Codec::Av1 {
        // A temporal unit of OBUs with size fields (as in MP4 samples and
        // WebCodecs): nothing else to say about its layout.
        let layout_value = o.get("layout").map_err(bad_options)?;
        if !layout_value.is_undefined() && layout_value.as_string().as_deref() != Some("obu") {
            return Err(bad_options(o.bad("layout", "'obu' for AV1", &layout_value)));
        }
        return Ok((codec, Layout::AnnexB));
    }
    let layout_value = o.get("layout").map_err(bad_options)?;
    let config = o.bytes("config").map_err(bad_options)?;
    let layout = match layout_value.as_string().as_deref() {
        None if layout_value.is_undefined() => Layout::AnnexB,
        Some("annexb") => Layout::AnnexB,
        Some("avcc") => {
            let from_config = match &config {
                None => None,
                Some(record) => {
                    let at = if codec == Codec::H264 { 4 } else { 21 };
                    let byte = record.get(at).copied().ok_or_else(|| {
                        fail(
                            "bad-options",
                            "options.config: too short for an avcC / hvcC record",
                        )
                    })?;
                    Some(usize::from(byte & 3) + 1)
                }
            };
            let default = from_config.unwrap_or(4) as u32;
            Layout::LengthPrefixed(
                o.integer("nalLengthSize", default, 4)
                    .map_err(bad_options)? as usize,
            )
        }
        _ => {
            return Err(bad_options(o.bad(
                "layout",
                "'annexb' or 'avcc'",
                &layout_value,
            )));
        }
    };
    Ok((codec, layout))
}

/// What `info()` says, kept when the gate finishes.
#[derive(Clone)]
pub(super) struct Info {
    scheme: Option<&'static str>,
    fingerprint: Option<String>,
    trust: &'static str,
    trust_error: Option<(&'static str, String)>,
    signer: Option<(String, String, String)>,
}

impl Info {
    pub(super) fn of(v: &StreamValidator) -> Info {
        Info {
            scheme: v.scheme().map(|s| s.name()),
            fingerprint: v.signer_spki().map(spki_fingerprint),
            trust: v.trust().name(),
            trust_error: v.trust_error().map(|e| (e.reason(), e.to_string())),
            signer: v.product_info().map(|p| {
                (
                    p.manufacturer.clone(),
                    p.serial_number.clone(),
                    p.firmware_version.clone(),
                )
            }),
        }
    }

    pub(super) fn object(&self, codec: Codec) -> Object {
        to_object(&InfoObject {
            scheme: self.scheme,
            codec: codec.name(),
            public_key_fingerprint: self.fingerprint.as_deref(),
            trust: self.trust,
            trust_error: self
                .trust_error
                .as_ref()
                .map(|(reason, message)| InfoTrustError { reason, message }),
            signer: self.signer.as_ref().map(|(m, s, f)| InfoSigner {
                manufacturer: m,
                serial_number: s,
                firmware_version: f,
            }),
        })
    }
}

/// `info()` (`SignedVideoInfo`): `null` for what the stream has not told.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InfoObject<'a> {
    scheme: Option<&'static str>,
    codec: &'static str,
    public_key_fingerprint: Option<&'a str>,
    trust: &'static str,
    trust_error: Option<InfoTrustError<'a>>,
    signer: Option<InfoSigner<'a>>,
}

/// `info().trustError`: why the linked trust failed, stable and in words.
#[derive(Serialize)]
struct InfoTrustError<'a> {
    reason: &'a str,
    message: &'a str,
}

/// `info().signer`: the product info the stream carries.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InfoSigner<'a> {
    manufacturer: &'a str,
    serial_number: &'a str,
    firmware_version: &'a str,
}

struct Inner {
    gate: Gate<Timing>,
    codec: Codec,
    info: Option<Info>,
    reports: VecDeque<GopReport>,
    /// Samples of fMP4 fragments refused as malformed (`push` throws).
    malformed: u64,
}

impl Inner {
    /// The pictures and reports the last call produced, as JS values.
    fn drain(&mut self) -> (Array, Vec<Object>) {
        let pictures = Array::new();
        for p in self.gate.take_released() {
            let o = Object::new();
            let kind = if p.keyframe { "key" } else { "delta" };
            set(&o, "type", &JsValue::from_str(kind));
            set(&o, "timestamp", &JsValue::from_f64(p.meta.timestamp));
            if let Some(d) = p.meta.duration {
                set(&o, "duration", &JsValue::from_f64(d));
            }
            set(&o, "data", &Uint8Array::from(p.data.as_slice()).into());
            set(&o, "frame", &count(p.frame));
            pictures.push(&o);
        }
        let mut reports = Vec::new();
        for r in self.gate.take_reports() {
            reports.push(report_object(&r));
            if self.reports.len() == MAX_REPORTS {
                self.reports.pop_front();
            }
            self.reports.push_back(r);
        }
        (pictures, reports)
    }

    fn finish(&mut self) {
        if let Some(v) = self.gate.validator() {
            self.info = Some(Info::of(v));
        }
        self.gate.finish();
    }

    fn info(&self) -> Option<Info> {
        self.gate
            .validator()
            .map(Info::of)
            .or_else(|| self.info.clone())
    }

    fn stats(&self) -> Object {
        gate_stats_object(&self.gate.stats(), self.malformed)
    }
}

/// A gate's counts as JS sees them (`SignedVideoGateStats`); `malformed`:
/// samples refused as malformed.
pub(super) fn gate_stats_object(s: &GateStats, malformed: u64) -> Object {
    to_object(&Stats {
        released: s.released,
        held: s.held,
        held_bytes: s.held_bytes,
        dropped: DropReason::ALL
            .into_iter()
            .map(|r| (r.name(), s.dropped(r)))
            .collect(),
        gops: VERDICTS
            .into_iter()
            .map(|v| (v.name(), s.gops(v)))
            .collect(),
        carried: s.carried,
        bad_seis: s.bad_seis,
        malformed,
    })
}

/// `SignedVideoGateStats`: pictures released and held, drops by reason and
/// GOPs by verdict (every name present, 0 when none).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Stats {
    released: u64,
    held: u64,
    held_bytes: u64,
    dropped: Counts,
    gops: Counts,
    carried: u64,
    bad_seis: u64,
    malformed: u64,
}

/// A GOP report (`SignedVideoGopReport`); `reason` and `gopCounter` are
/// `null` when there is none.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    gop: usize,
    first_frame: u64,
    frames: u64,
    verdict: &'static str,
    reason: Option<&'static str>,
    gop_counter: Option<u32>,
    invalid_units: usize,
    missing_units: usize,
    /// Per picture, where the stream's hash list allows it: the pictures
    /// judged, and which of them were changed (so a page in mark mode can
    /// blank exactly those).
    checked_frames: usize,
    tampered_frames: Vec<u64>,
}

pub(super) fn report_object(r: &GopReport) -> Object {
    to_object(&Report {
        gop: r.gop,
        first_frame: r.first_frame,
        frames: r.frames,
        verdict: r.verdict.name(),
        reason: r.reason,
        gop_counter: r.gop_counter,
        invalid_units: r.invalid_units,
        missing_units: r.missing_units,
        checked_frames: r.frame_verdicts.len(),
        tampered_frames: r
            .frame_verdicts
            .iter()
            .filter(|f| f.verdict == FrameVerdict::Tampered)
            .map(|f| f.frame)
            .collect(),
    })
}

/// Calls `on_gop` with each report; an exception it throws is ignored (the
/// gate's state is already consistent).
pub(super) fn notify(on_gop: Option<&Function>, reports: &[Object]) {
    if let Some(f) = on_gop {
        for r in reports {
            let _ = f.call1(&JsValue::UNDEFINED, r);
        }
    }
}

/// Holds each GOP of a signed H.264 / H.265 stream (Axis Signed Video,
/// ONVIF Media Signing) until its verdict, then releases its pictures if it
/// is authentic and drops them if not; or, in `mark` mode, releases at once
/// and reports each GOP's verdict after.
#[wasm_bindgen(js_name = SignedVideoGate)]
pub struct JsSignedVideoGate {
    inner: RefCell<Inner>,
    on_gop: Option<Function>,
    /// The fMP4 init segment of a gate made by `fromInitSegment`.
    init: Option<InitSegment>,
}

impl JsSignedVideoGate {
    /// A gate around `gate`, nothing counted yet.
    fn with(
        gate: Gate<Timing>,
        codec: Codec,
        on_gop: Option<Function>,
        init: Option<InitSegment>,
    ) -> JsSignedVideoGate {
        JsSignedVideoGate {
            inner: RefCell::new(Inner {
                gate,
                codec,
                info: None,
                reports: VecDeque::new(),
                malformed: 0,
            }),
            on_gop,
            init,
        }
    }
}

#[wasm_bindgen(js_class = SignedVideoGate)]
impl JsSignedVideoGate {
    /// A gate for access units of `options.codec` in `options.layout`,
    /// trusting what `options` says (the stream's own key by default).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "SignedVideoGateOptions")] options: JsValue,
    ) -> Result<JsSignedVideoGate, JsValue> {
        let o = Options::read(&options, "options", &UNIT_OPTIONS).map_err(bad_options)?;
        let (codec, layout) = unit_format(&o)?;
        let c = common(&o)?;
        let validator = StreamValidator::with_trust(codec, c.trust);
        let gate = Gate::new(validator, codec, layout, c.mode).map_err(gate_error)?;
        Ok(JsSignedVideoGate::with(gate, codec, c.on_gop, None))
    }

    /// A gate for a fragmented MP4 stream (fMP4, as MSE players and HLS /
    /// DASH get it) of `initSegment` (ftyp + moov of an H.264 / H.265
    /// track): its media segments go to `pushFragment`. `options` takes the
    /// trust options only.
    #[wasm_bindgen(js_name = fromInitSegment)]
    pub fn from_init_segment(
        #[wasm_bindgen(js_name = initSegment, unchecked_param_type = "Uint8Array")] init: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SignedVideoTrustOptions")] options: JsValue,
    ) -> Result<JsSignedVideoGate, JsValue> {
        let o = Options::read(&options, "options", &TRUST_OPTIONS).map_err(bad_options)?;
        let c = common(&o)?;
        let bytes = read_bytes(&init, "initSegment", MAX_SEGMENT_BYTES)?;
        let init = InitSegment::parse(&bytes)
            .map_err(|e| fail("bad-init-segment", format!("initSegment: {e}")))?;
        let codec = match init.codec() {
            UnitCodec::H264 => Codec::H264,
            UnitCodec::H265 => Codec::H265,
            UnitCodec::Av1 => Codec::Av1,
            _ => {
                return Err(fail(
                    "unsupported-codec",
                    format!(
                        "initSegment: a {} track; Signed Video is read in H.264, H.265 and AV1",
                        init.sample_entry()
                    ),
                ));
            }
        };
        let length = usize::from(init.nal_length_size().unwrap_or(4));
        let validator = StreamValidator::with_trust(codec, c.trust);
        let gate = Gate::new(validator, codec, Layout::LengthPrefixed(length), c.mode)
            .map_err(gate_error)?;
        Ok(JsSignedVideoGate::with(gate, codec, c.on_gop, Some(init)))
    }

    /// The decoder configuration of a gate made by `fromInitSegment` (the
    /// codec string and the avcC / hvcC), `null` for others.
    #[wasm_bindgen(js_name = decoderConfig, unchecked_return_type = "SignedVideoDecoderConfig | null")]
    pub fn decoder_config(&self) -> JsValue {
        let Some(init) = &self.init else {
            return JsValue::NULL;
        };
        let config = Object::new();
        set(&config, "codec", &JsValue::from_str(&init.codec_string()));
        set(
            &config,
            "description",
            &Uint8Array::from(init.config()).into(),
        );
        config.into()
    }

    /// Takes one media segment (`moof` + `mdat` pairs) of the stream
    /// `fromInitSegment` was given: each video sample, in order, with its
    /// times; returns the pictures released, in decode order.
    #[wasm_bindgen(js_name = pushFragment, unchecked_return_type = "SignedVideoPicture[]")]
    pub fn push_fragment(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] segment: JsValue,
    ) -> Result<Array, JsValue> {
        let Some(init) = &self.init else {
            return Err(fail(
                "no-init-segment",
                "pushFragment needs a gate made by SignedVideoGate.fromInitSegment",
            ));
        };
        let bytes = read_bytes(&segment, "segment", MAX_SEGMENT_BYTES)?;
        let media = MediaSegment::parse(init, &bytes)
            .map_err(|e| fail("bad-fragment", format!("segment: {e}")))?;
        let scale = i128::from(init.timescale().max(1));
        let pictures = Array::new();
        let mut reports = Vec::new();
        {
            let mut inner = self.inner.try_borrow_mut().map_err(|_| busy())?;
            for sample in media.video() {
                let timing = Timing {
                    timestamp: (sample.presentation_time() * 1_000_000 / scale) as f64,
                    duration: Some((i128::from(sample.duration) * 1_000_000 / scale) as f64),
                };
                // A sample that does not split is refused, as push refuses
                // a malformed access unit, and counted; the rest goes on.
                if inner.gate.push(media.data(sample), timing).is_err() {
                    inner.malformed += 1;
                }
                let (p, r) = inner.drain();
                for x in p.iter() {
                    pictures.push(&x);
                }
                reports.extend(r);
            }
        }
        notify(self.on_gop.as_ref(), &reports);
        Ok(pictures)
    }

    /// Takes one access unit with its `timestamp` / `duration` (µs, as
    /// WebCodecs); returns the pictures released by it, in decode order.
    #[wasm_bindgen(unchecked_return_type = "SignedVideoPicture[]")]
    pub fn push(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] unit: JsValue,
        #[wasm_bindgen(
            unchecked_optional_param_type = "{ timestamp?: number; duration?: number }"
        )]
        timing: JsValue,
    ) -> Result<Array, JsValue> {
        let t =
            Options::read(&timing, "timing", &["timestamp", "duration"]).map_err(bad_options)?;
        let number = |key: &str| -> Result<Option<f64>, JsValue> {
            let v = t.get(key).map_err(bad_options)?;
            if v.is_undefined() {
                return Ok(None);
            }
            match v.as_f64() {
                Some(n) if n.is_finite() => Ok(Some(n)),
                _ => Err(bad_options(t.bad(key, "a finite number of µs", &v))),
            }
        };
        let timing = Timing {
            timestamp: number("timestamp")?.unwrap_or(0.0),
            duration: number("duration")?,
        };
        let bytes = read_bytes(&unit, "unit", crate::signed_video::gate::MAX_UNIT_BYTES)?;
        let (pictures, reports) = {
            let mut inner = self.inner.try_borrow_mut().map_err(|_| busy())?;
            inner.gate.push(&bytes, timing).map_err(gate_error)?;
            inner.drain()
        };
        notify(self.on_gop.as_ref(), &reports);
        Ok(pictures)
    }

    /// Ends the stream: the last GOPs get their verdicts (`pending` when
    /// their SEI never came); returns what that releases.
    #[wasm_bindgen(unchecked_return_type = "SignedVideoPicture[]")]
    pub fn finish(&self) -> Result<Array, JsValue> {
        let (pictures, reports) = {
            let mut inner = self.inner.try_borrow_mut().map_err(|_| busy())?;
            inner.finish();
            inner.drain()
        };
        notify(self.on_gop.as_ref(), &reports);
        Ok(pictures)
    }

    /// Every GOP report so far (the latest 4096), in order.
    #[wasm_bindgen(unchecked_return_type = "SignedVideoGopReport[]")]
    pub fn reports(&self) -> Result<Array, JsValue> {
        let inner = self.inner.try_borrow().map_err(|_| busy())?;
        Ok(inner.reports.iter().map(report_object).collect())
    }

    /// Counts: released, held, dropped by reason, GOPs by verdict.
    #[wasm_bindgen(unchecked_return_type = "SignedVideoGateStats")]
    pub fn stats(&self) -> Result<Object, JsValue> {
        let inner = self.inner.try_borrow().map_err(|_| busy())?;
        Ok(inner.stats())
    }

    /// The scheme, the signer and its key's fingerprint, what is trusted.
    #[wasm_bindgen(unchecked_return_type = "SignedVideoInfo")]
    pub fn info(&self) -> Result<Object, JsValue> {
        let inner = self.inner.try_borrow().map_err(|_| busy())?;
        let info = inner.info().ok_or_else(busy)?;
        Ok(info.object(inner.codec))
    }

    /// A whole MP4 recording (plain, not fragmented) through a gate: its
    /// decoder configuration, the released pictures with their times, the
    /// GOP reports, the counts. `options` takes the trust options only.
    #[wasm_bindgen(unchecked_return_type = "SignedVideoMp4")]
    pub fn mp4(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] file: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SignedVideoTrustOptions")] options: JsValue,
    ) -> Result<Object, JsValue> {
        let o = Options::read(&options, "options", &TRUST_OPTIONS).map_err(bad_options)?;
        let c = common(&o)?;
        let bytes = read_bytes(&file, "file", u32::MAX as usize)?;
        if bytes.get(4..8) != Some(b"ftyp") {
            return Err(fail("not-mp4", "file: not an MP4 file (no ftyp box first)"));
        }
        let track = mp4::video_track(&bytes).map_err(|e| fail("bad-mp4", format!("file: {e}")))?;
        let validator = StreamValidator::with_trust(track.codec, c.trust);
        let gate = Gate::new(
            validator,
            track.codec,
            Layout::LengthPrefixed(track.length_size),
            c.mode,
        )
        .map_err(gate_error)?;
        let mut inner = Inner {
            gate,
            codec: track.codec,
            info: None,
            reports: VecDeque::new(),
            malformed: 0,
        };
        let pictures = Array::new();
        let mut reports = Vec::new();
        let us = |ticks: i128| -> f64 {
            match track.timescale {
                Some(scale) => (ticks * 1_000_000 / i128::from(scale)) as f64,
                None => ticks as f64,
            }
        };
        for i in 0..track.len() {
            let sample = track
                .sample(&bytes, i)
                .ok_or_else(|| fail("bad-mp4", format!("file: sample {i} lies outside it")))?;
            let timing = match track.time(i) {
                Some(t) => Timing {
                    timestamp: us(i128::from(t.decode) + i128::from(t.composition_offset)),
                    duration: Some(us(i128::from(t.duration))),
                },
                None => Timing {
                    timestamp: i as f64,
                    duration: None,
                },
            };
            inner
                .gate
                .push(sample, timing)
                .map_err(|e| fail("bad-mp4", format!("file: sample {i}: {e}")))?;
            let (p, r) = inner.drain();
            for x in p.iter() {
                pictures.push(&x);
            }
            reports.extend(r);
        }
        inner.finish();
        let (p, r) = inner.drain();
        for x in p.iter() {
            pictures.push(&x);
        }
        reports.extend(r);
        notify(c.on_gop.as_ref(), &reports);
        let out = Object::new();
        let config = Object::new();
        set(&config, "codec", &JsValue::from_str(&track.codec_string()));
        set(
            &config,
            "description",
            &Uint8Array::from(track.config.as_slice()).into(),
        );
        set(&config, "codedWidth", &JsValue::from(track.size.0));
        set(&config, "codedHeight", &JsValue::from(track.size.1));
        set(&out, "decoderConfig", &config);
        set(&out, "pictures", &pictures);
        let list: Array = reports.iter().collect();
        set(&out, "reports", &list);
        set(&out, "stats", &inner.stats());
        let info = inner
            .info()
            .map_or(JsValue::NULL, |i| i.object(inner.codec).into());
        set(&out, "info", &info);
        Ok(out)
    }
}

fn busy() -> JsValue {
    fail(
        "busy",
        "the SignedVideoGate is in use (called from its own onGop callback)",
    )
}
