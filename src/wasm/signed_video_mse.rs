//! `SignedVideoMseGate`: a `<video>` element that plays only the authentic
//! pictures of a signed fragmented MP4 stream (Axis Signed Video / ONVIF
//! Media Signing, as go2rtc and Frigate send it to an MSE player), in the
//! package's Signed Video part. The Signed Video counterpart of MseGate
//! (SPEC §7), built on the same `js/mse.js` player; and
//! `SignedVideoFragmentFilter`, the same without a `<video>` (bytes in,
//! bytes for a SourceBuffer out), the counterpart of FragmentFilter.
//!
//! Converting only: what reaches the `SourceBuffer` is decided by
//! [`crate::signed_video::mse`] (the cleaned init segment, media segments
//! of the released pictures); `js/mse.js` owns the MediaSource, the append
//! queue, quota eviction and jumps over the holes dropped GOPs leave.
//! Errors are thrown with a stable `reason`: those of SignedVideoGate's
//! options, `bad-argument`, `bad-init-segment`, `unsupported-codec`,
//! `init-changed`, `no-init-segment`, `bad-fragment`, `finished`, `busy`,
//! `closed`, `too-large`, `composition-offset-range`, `out-of-memory`,
//! `not-a-video-element`, `no-media-source`, `media-source`.
//!
//! Liveness is MseGate's (SPEC §4, §7): the same [`Screen`] marks the
//! element's `data-frameseal-live` and calls `onStall` / `onResume`, after
//! `stallAfterMs` without a new appended picture presented. Only the
//! default differs in hold mode ([`HOLD_STALL_AFTER_MS`]): a GOP is
//! appended once its verdict is in, so new pictures come a GOP at a time.

use alloc::collections::VecDeque;
use alloc::format;
use alloc::rc::{Rc, Weak};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Cell, Ref, RefCell, RefMut};
use js_sys::{Array, Function, Object, Promise, Uint8Array};
use wasm_bindgen::prelude::*;

use super::interop::{Options, count, set};
use super::mse_player::{
    OnShown, SHOWN_HISTORY, append, close_player, create_player, has_media_source,
    is_media_element, mark_live, settle_with,
};
use super::screen::Screen;
use super::signed_video::{
    Info, MAX_REPORTS, MAX_SEGMENT_BYTES, TRUST_OPTIONS, bad_options, common, fail,
    gate_stats_object, notify, read_bytes, report_object,
};
use crate::signed_video::gate::{GateStats, Mode};
use crate::signed_video::mse::{MseError, MseGate, Output, init_len};
use crate::signed_video::{GopReport, Trust};

#[wasm_bindgen(typescript_custom_section)]
const TS_SIGNED_VIDEO_MSE: &str = r#"
/** What SignedVideoMseGate.append() and finish() resolve to, once the SourceBuffer has the bytes. */
export interface SignedVideoMseAppendResult {
  /** Pictures (samples) this call handed to the SourceBuffer: those of the GOPs it completed as authentic (hold mode). */
  appended: number;
  /** The GOP reports this call completed, in order. */
  reports: SignedVideoGopReport[];
}

/** A picture in what SignedVideoFragmentFilter.filter() returned. */
export interface SignedVideoFilteredPicture {
  /** Decode-order index from 0, as GOP reports count (firstFrame). */
  frame: number;
  type: 'key' | 'delta';
  /** µs: presentation time (decode time plus composition offset). */
  timestamp: number;
  /** µs. */
  duration: number;
}

/** What SignedVideoFragmentFilter.filter() and finish() return. */
export interface SignedVideoFilteredSegment {
  /** The cleaned init segment to append before `bytes` (the video track alone, no rotation, mirror or crop), handed out once. */
  init: Uint8Array | null;
  /** A media segment with the released pictures alone, each with its own times; null when none was released. */
  bytes: Uint8Array | null;
  /** The pictures in `bytes`, in decode order. */
  pictures: SignedVideoFilteredPicture[];
  /** The GOP reports this call completed, in order. */
  reports: SignedVideoGopReport[];
}

/** What a SignedVideoFragmentFilter counted: the gate's counts, plus pictures handed out. */
export interface SignedVideoFragmentFilterStats extends SignedVideoGateStats {
  /** Pictures written to media segments. */
  appended: number;
}

/** SignedVideoMseGate's options: whom to trust, the mode, onGop, and liveness as MseGate's. */
export interface SignedVideoMseGateOptions extends SignedVideoTrustOptions {
  /**
   * ms without a new appended picture presented before the element is marked
   * not live (`data-frameseal-live="false"`) and onStall is called; null: never.
   * Default 8000 in hold mode (a GOP is appended once its verdict is in, so
   * pictures come a GOP at a time; covers GOPs up to 5 s), 3000 (MseGate's) in mark mode.
   */
  stallAfterMs?: number | null;
  /** Called with the ms since the last new picture when the element stops being live. */
  onStall?: (msSinceLastPicture: number) => void;
  /** Called when a new appended picture is presented after a stall (and for the first one). */
  onResume?: () => void;
}

/** What a SignedVideoMseGate counted: the gate's counts, plus pictures appended and presented. */
export interface SignedVideoMseGateStats extends SignedVideoFragmentFilterStats {
  /** Appended pictures the element has presented (read from currentTime a few times a second). */
  drawn: number;
}
"#;

/// SignedVideoMseGate's option keys beside SignedVideoGate's trust ones:
/// MseGate's liveness options.
const LIVENESS_OPTIONS: [&str; 3] = ["stallAfterMs", "onStall", "onResume"];

/// The default `stallAfterMs` in hold mode. A GOP reaches the
/// SourceBuffer once its verdict is in (the next GOP's SEI), so new
/// pictures are presented a GOP at a time: in steady state the element
/// may wait up to a GOP for the next one. MseGate's 3 s plus a 5 s GOP.
/// In mark mode pictures come as they arrive, and MseGate's default holds.
const HOLD_STALL_AFTER_MS: u32 = 8000;

/// The options [`Screen`] reads for liveness: `o`'s `stallAfterMs`,
/// `onStall` and `onResume` (own properties, as [`Options::get`] reads
/// them), with `stallAfterMs` defaulting to [`HOLD_STALL_AFTER_MS`] in
/// hold mode.
fn liveness_options(o: &Options, mode: Mode) -> Result<Options, JsValue> {
    let picked = Object::new();
    for key in LIVENESS_OPTIONS {
        let value = o.get(key).map_err(bad_options)?;
        if !value.is_undefined() {
            set(&picked, key, &value);
        }
    }
    if mode == Mode::Hold && o.get("stallAfterMs").map_err(bad_options)?.is_undefined() {
        set(&picked, "stallAfterMs", &JsValue::from(HOLD_STALL_AFTER_MS));
    }
    Options::read(&picked, "options", &LIVENESS_OPTIONS).map_err(bad_options)
}

fn mse_error(what: &str, e: MseError) -> JsValue {
    fail(e.reason(), format!("{what}: {e}"))
}

fn busy(class: &str) -> JsValue {
    fail(
        "busy",
        format!("the {class} is in use (called from its own onGop callback)"),
    )
}

/// The filter of a `class` object, or `busy` when its own onGop callback
/// is using it.
fn borrow<'a>(filter: &'a RefCell<Filter>, class: &str) -> Result<Ref<'a, Filter>, JsValue> {
    filter.try_borrow().map_err(|_| busy(class))
}

/// [`borrow`], to change it.
fn borrow_mut<'a>(filter: &'a RefCell<Filter>, class: &str) -> Result<RefMut<'a, Filter>, JsValue> {
    filter.try_borrow_mut().map_err(|_| busy(class))
}

/// A Signed Video gate for one fragmented MP4 stream and what it handed
/// out: what both classes hold.
struct Filter {
    trust: Trust,
    mode: Mode,
    /// Made from the first init segment.
    gate: Option<MseGate>,
    /// Whether the cleaned init segment was handed out.
    init_sent: bool,
    /// Kept when the gate finishes.
    info: Option<Info>,
    reports: VecDeque<GopReport>,
    appended: u64,
}

/// What one call hands to the SourceBuffer.
struct Step {
    /// The cleaned init segment and its MIME type, the first time.
    init: Option<(Vec<u8>, String)>,
    out: Output,
    reports: Vec<Object>,
}

impl Filter {
    fn new(trust: Trust, mode: Mode) -> Filter {
        Filter {
            trust,
            mode,
            gate: None,
            init_sent: false,
            info: None,
            reports: VecDeque::new(),
            appended: 0,
        }
    }

    /// An init segment, a media segment or both in one buffer through the
    /// gate. The first init segment makes the gate; the same bytes again
    /// change nothing; other ones are refused (`init-changed`).
    fn take(&mut self, bytes: &[u8], what: &str) -> Result<Step, JsValue> {
        let (init_bytes, media) = bytes.split_at(init_len(bytes));
        if !init_bytes.is_empty() {
            match &self.gate {
                Some(gate) if gate.same_init(init_bytes) => {}
                Some(_) => {
                    return Err(fail(
                        "init-changed",
                        format!(
                            "{what}: another init segment; a gate takes one stream (make a new one)"
                        ),
                    ));
                }
                None => {
                    let gate = MseGate::new(init_bytes, self.trust.clone(), self.mode)
                        .map_err(|e| mse_error(what, e))?;
                    self.gate = Some(gate);
                }
            }
        }
        let out = if media.is_empty() {
            Output::default()
        } else {
            let gate = self.gate.as_mut().ok_or_else(|| {
                fail(
                    "no-init-segment",
                    format!("{what}: a media segment before any init segment"),
                )
            })?;
            gate.push_segment(media).map_err(|e| mse_error(what, e))?
        };
        Ok(self.step(out))
    }

    /// Ends the stream: the last GOPs get their verdicts.
    fn finish(&mut self) -> Result<Step, JsValue> {
        let out = match self.gate.as_mut() {
            None => Output::default(),
            Some(gate) => {
                let info = gate.validator().map(Info::of);
                let out = gate.finish().map_err(|e| mse_error("finish", e))?;
                if info.is_some() {
                    self.info = info;
                }
                out
            }
        };
        Ok(self.step(out))
    }

    /// `out` with the init segment if not handed out yet (not with a call
    /// that threw), and the new reports, recorded.
    fn step(&mut self, out: Output) -> Step {
        let init = match &self.gate {
            Some(gate) if !self.init_sent => Some((gate.init_segment().to_vec(), gate.mime_type())),
            _ => None,
        };
        self.init_sent = self.gate.is_some();
        self.appended += out.pictures.len() as u64;
        let fresh = self
            .gate
            .as_mut()
            .map(MseGate::take_reports)
            .unwrap_or_default();
        let mut reports = Vec::new();
        for r in fresh {
            reports.push(report_object(&r));
            if self.reports.len() == MAX_REPORTS {
                self.reports.pop_front();
            }
            self.reports.push_back(r);
        }
        Step { init, out, reports }
    }

    /// The video track's timescale (1 before the init segment).
    fn timescale(&self) -> f64 {
        self.gate
            .as_ref()
            .map_or(1.0, |g| f64::from(g.init().timescale().max(1)))
    }

    fn stats(&self) -> Object {
        let out = match &self.gate {
            Some(g) => gate_stats_object(&g.stats(), g.malformed()),
            None => gate_stats_object(&GateStats::default(), 0),
        };
        set(&out, "appended", &count(self.appended));
        out
    }

    fn reports(&self) -> Array {
        self.reports.iter().map(report_object).collect()
    }

    fn info(&self) -> JsValue {
        let Some(gate) = &self.gate else {
            return JsValue::NULL;
        };
        let info = gate.validator().map(Info::of).or_else(|| self.info.clone());
        info.map_or(JsValue::NULL, |i| i.object(gate.codec()).into())
    }

    fn mime_type(&self) -> Option<String> {
        self.gate.as_ref().map(MseGate::mime_type)
    }
}

/// Filters a signed fragmented MP4 stream (Axis Signed Video, ONVIF Media
/// Signing; H.264, H.265, AV1) for a SourceBuffer the caller owns: init and
/// media segments go to `filter`, and what comes out is the cleaned init
/// segment and media segments of the released pictures only (hold mode:
/// those of authentic GOPs, one GOP late), each picture with its own times,
/// so that a dropped GOP is a hole in the buffered ranges.
#[wasm_bindgen(js_name = SignedVideoFragmentFilter)]
pub struct JsSignedVideoFragmentFilter {
    filter: RefCell<Filter>,
    on_gop: Option<Function>,
}

#[wasm_bindgen(js_class = SignedVideoFragmentFilter)]
impl JsSignedVideoFragmentFilter {
    /// A filter trusting what `options` says (the stream's own key by
    /// default).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "SignedVideoTrustOptions")] options: JsValue,
    ) -> Result<JsSignedVideoFragmentFilter, JsValue> {
        let o = Options::read(&options, "options", &TRUST_OPTIONS).map_err(bad_options)?;
        let c = common(&o)?;
        Ok(JsSignedVideoFragmentFilter {
            filter: RefCell::new(Filter::new(c.trust, c.mode)),
            on_gop: c.on_gop,
        })
    }

    /// Takes an init segment, a media segment, or both in one buffer:
    /// `{ init, bytes, pictures, reports }`. The first init segment makes
    /// the gate; the same bytes again change nothing, other ones throw
    /// `init-changed`.
    #[wasm_bindgen(unchecked_return_type = "SignedVideoFilteredSegment")]
    pub fn filter(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
    ) -> Result<Object, JsValue> {
        let held = read_bytes(&bytes, "bytes", MAX_SEGMENT_BYTES)?;
        let (step, scale) = {
            let mut f = borrow_mut(&self.filter, "SignedVideoFragmentFilter")?;
            (f.take(&held, "filter")?, f.timescale())
        };
        Ok(self.result(step, scale))
    }

    /// Ends the stream: the last GOPs get their verdicts (`pending` when
    /// their SEI never came); returns what that releases as `filter` does.
    #[wasm_bindgen(unchecked_return_type = "SignedVideoFilteredSegment")]
    pub fn finish(&self) -> Result<Object, JsValue> {
        let (step, scale) = {
            let mut f = borrow_mut(&self.filter, "SignedVideoFragmentFilter")?;
            (f.finish()?, f.timescale())
        };
        Ok(self.result(step, scale))
    }

    /// The MIME type with codecs of the video track, for
    /// `addSourceBuffer`; null before the init segment.
    #[wasm_bindgen(getter, js_name = mimeType, unchecked_return_type = "string | null")]
    pub fn mime_type(&self) -> JsValue {
        mime_value(&self.filter)
    }

    /// Every GOP report so far (the latest 4096), in order.
    #[wasm_bindgen(unchecked_return_type = "SignedVideoGopReport[]")]
    pub fn reports(&self) -> Result<Array, JsValue> {
        let f = borrow(&self.filter, "SignedVideoFragmentFilter")?;
        Ok(f.reports())
    }

    /// Counts: SignedVideoGate's, plus `appended`.
    #[wasm_bindgen(unchecked_return_type = "SignedVideoFragmentFilterStats")]
    pub fn stats(&self) -> Result<Object, JsValue> {
        let f = borrow(&self.filter, "SignedVideoFragmentFilter")?;
        Ok(f.stats())
    }

    /// The scheme, the signer and its key's fingerprint, what is trusted;
    /// null before the init segment.
    #[wasm_bindgen(unchecked_return_type = "SignedVideoInfo | null")]
    pub fn info(&self) -> Result<JsValue, JsValue> {
        let f = borrow(&self.filter, "SignedVideoFragmentFilter")?;
        Ok(f.info())
    }
}

impl JsSignedVideoFragmentFilter {
    /// A step as JS sees it; calls onGop with its reports.
    fn result(&self, step: Step, scale: f64) -> Object {
        let us = |ticks: f64| (ticks * 1_000_000.0 / scale).floor();
        let value = Object::new();
        let bytes = |b: &[u8]| Uint8Array::from(b).into();
        let init = step.init.as_ref().map_or(JsValue::NULL, |(b, _)| bytes(b));
        set(&value, "init", &init);
        let media = if step.out.segment.is_empty() {
            JsValue::NULL
        } else {
            bytes(&step.out.segment)
        };
        set(&value, "bytes", &media);
        let pictures = Array::new();
        for p in &step.out.pictures {
            let o = Object::new();
            set(&o, "frame", &count(p.frame));
            let kind = if p.keyframe { "key" } else { "delta" };
            set(&o, "type", &JsValue::from_str(kind));
            let pts = p.times.presentation_time() as f64;
            set(&o, "timestamp", &JsValue::from_f64(us(pts)));
            let duration = f64::from(p.times.duration);
            set(&o, "duration", &JsValue::from_f64(us(duration)));
            pictures.push(&o);
        }
        set(&value, "pictures", &pictures);
        let list: Array = step.reports.iter().collect();
        set(&value, "reports", &list);
        notify(self.on_gop.as_ref(), &step.reports);
        value
    }
}

/// What the element side of a SignedVideoMseGate tracks.
struct View {
    /// Presentation times in s of appended pictures, in append order.
    starts: VecDeque<f64>,
    last_shown: Option<f64>,
}

/// What the element's callbacks share with the gate.
struct Shared {
    filter: RefCell<Filter>,
    view: RefCell<View>,
    /// MseGate's liveness: the element's attribute, onStall / onResume,
    /// `drawn`.
    screen: Rc<Screen>,
    video: JsValue,
    player: RefCell<JsValue>,
    on_gop: Option<Function>,
    closed: Cell<bool>,
    on_shown: RefCell<Option<OnShown>>,
}

impl Shared {
    /// The element shows media time `t`: when the newest appended picture
    /// presented at or before it is newer than last time, the screen learns
    /// of it (live again, `onResume`, the stall countdown restarted), with
    /// every appended picture presented since the last reading counted as
    /// drawn (the first reading counts one).
    fn shown_at(&self, t: f64) {
        if self.closed.get() {
            return;
        }
        let Ok(mut v) = self.view.try_borrow_mut() else {
            return;
        };
        let on_screen = |start: f64| start <= t + 0.0005;
        let newest = v
            .starts
            .iter()
            .copied()
            .filter(|&start| on_screen(start))
            .max_by(f64::total_cmp);
        let passed = match v.last_shown {
            None => 1,
            Some(last) => v
                .starts
                .iter()
                .filter(|&&start| on_screen(start) && start > last)
                .count() as u64,
        };
        let Some(newest) = newest.filter(|&n| v.last_shown != Some(n)) else {
            return;
        };
        v.last_shown = Some(newest);
        drop(v);
        // No capture clock here (fMP4 times are media times): the picture
        // counts as captured now, so only the time since the last new
        // picture decides liveness, not the picture's age.
        let now_us = (js_sys::Date::now() * 1000.0) as u64;
        self.screen.shown_frames(now_us, passed.max(1));
    }
}

/// A `<video>` element that plays only the authentic pictures of a signed
/// H.264 / H.265 / AV1 fragmented MP4 stream (Axis Signed Video, ONVIF
/// Media Signing): init and media segments go to `append`; each GOP is held
/// until its verdict and only authentic ones reach the SourceBuffer
/// (`mode: 'mark'`: everything at once, verdicts after). A dropped GOP
/// leaves a hole in the buffered ranges that playback jumps. Liveness is
/// MseGate's: the element's `data-frameseal-live` attribute turns `true`
/// when it presents an appended picture, and `false` (with `onStall`)
/// once none new was presented for `stallAfterMs`.
#[wasm_bindgen(js_name = SignedVideoMseGate)]
pub struct JsSignedVideoMseGate {
    shared: Rc<Shared>,
}

#[wasm_bindgen(js_class = SignedVideoMseGate)]
impl JsSignedVideoMseGate {
    /// A gate that owns `video`'s MediaSource and plays the authentic
    /// pictures of what is appended, trusting what `options` says (the
    /// stream's own key by default); `stallAfterMs`, `onStall` and
    /// `onResume` as MseGate's.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "HTMLVideoElement")] video: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SignedVideoMseGateOptions")]
        options: JsValue,
    ) -> Result<JsSignedVideoMseGate, JsValue> {
        let mut known = TRUST_OPTIONS.to_vec();
        known.extend_from_slice(&LIVENESS_OPTIONS);
        let o = Options::read(&options, "options", &known).map_err(bad_options)?;
        let c = common(&o)?;
        let liveness = liveness_options(&o, c.mode)?;
        if !is_media_element(&video) {
            return Err(fail(
                "not-a-video-element",
                "video must be an HTMLVideoElement",
            ));
        }
        if !has_media_source() {
            return Err(fail(
                "no-media-source",
                "this browser has no MediaSource (Media Source Extensions)",
            ));
        }
        let screen =
            Screen::on_element(video.clone(), mark_live, &liveness).map_err(bad_options)?;
        let shared = Rc::new_cyclic(|weak: &Weak<Shared>| {
            let weak = weak.clone();
            let on_shown = Closure::new(move |t: f64| {
                if let Some(s) = weak.upgrade() {
                    s.shown_at(t);
                }
            });
            Shared {
                filter: RefCell::new(Filter::new(c.trust, c.mode)),
                view: RefCell::new(View {
                    starts: VecDeque::new(),
                    last_shown: None,
                }),
                screen,
                video: video.clone(),
                player: RefCell::new(JsValue::NULL),
                on_gop: c.on_gop,
                closed: Cell::new(false),
                on_shown: RefCell::new(Some(on_shown)),
            }
        });
        let player = {
            let on_shown = shared.on_shown.borrow();
            let callback: JsValue = on_shown
                .as_ref()
                .map_or(JsValue::NULL, |c| c.as_ref().clone());
            create_player(&video, &callback).map_err(|_| {
                fail(
                    "media-source",
                    "could not open a MediaSource on the element",
                )
            })?
        };
        *shared.player.borrow_mut() = player;
        Ok(JsSignedVideoMseGate { shared })
    }

    /// Appends an init segment (`ftyp` + `moov`), a media segment (`moof`
    /// + `mdat` pairs), or both in one buffer, as
    /// SignedVideoFragmentFilter.filter takes them; what comes out goes to
    /// the SourceBuffer, queued while it updates. Resolves to `{ appended,
    /// reports }` once the SourceBuffer has it.
    #[wasm_bindgen(unchecked_return_type = "Promise<SignedVideoMseAppendResult>")]
    pub fn append(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
    ) -> Result<Promise, JsValue> {
        if self.shared.closed.get() {
            return Err(closed());
        }
        let held = read_bytes(&bytes, "bytes", MAX_SEGMENT_BYTES)?;
        let (step, scale) = {
            let mut f = borrow_mut(&self.shared.filter, "SignedVideoMseGate")?;
            (f.take(&held, "append")?, f.timescale())
        };
        self.hand_on(step, scale)
    }

    /// Ends the stream: the last GOPs get their verdicts (`pending` when
    /// their SEI never came); appends what that releases and resolves as
    /// `append` does. Later appends throw `finished`.
    #[wasm_bindgen(unchecked_return_type = "Promise<SignedVideoMseAppendResult>")]
    pub fn finish(&self) -> Result<Promise, JsValue> {
        if self.shared.closed.get() {
            return Err(closed());
        }
        let (step, scale) = {
            let mut f = borrow_mut(&self.shared.filter, "SignedVideoMseGate")?;
            (f.finish()?, f.timescale())
        };
        self.hand_on(step, scale)
    }

    /// Every GOP report so far (the latest 4096), in order.
    #[wasm_bindgen(unchecked_return_type = "SignedVideoGopReport[]")]
    pub fn reports(&self) -> Result<Array, JsValue> {
        let f = borrow(&self.shared.filter, "SignedVideoMseGate")?;
        Ok(f.reports())
    }

    /// Counts: SignedVideoGate's, plus `appended` and `drawn`.
    #[wasm_bindgen(unchecked_return_type = "SignedVideoMseGateStats")]
    pub fn stats(&self) -> Result<Object, JsValue> {
        let f = borrow(&self.shared.filter, "SignedVideoMseGate")?;
        let out = f.stats();
        set(&out, "drawn", &count(self.shared.screen.drawn.get()));
        Ok(out)
    }

    /// The scheme, the signer and its key's fingerprint, what is trusted;
    /// null before the init segment.
    #[wasm_bindgen(unchecked_return_type = "SignedVideoInfo | null")]
    pub fn info(&self) -> Result<JsValue, JsValue> {
        let f = borrow(&self.shared.filter, "SignedVideoMseGate")?;
        Ok(f.info())
    }

    /// The MIME type of the init segment's video track, or null before it.
    #[wasm_bindgen(getter, js_name = mimeType, unchecked_return_type = "string | null")]
    pub fn mime_type(&self) -> JsValue {
        mime_value(&self.shared.filter)
    }

    /// Whether the element is marked live, as its `data-frameseal-live`
    /// attribute says: it presented a new appended (authentic, in hold
    /// mode) picture within `stallAfterMs`.
    #[wasm_bindgen(getter)]
    pub fn live(&self) -> bool {
        let screen = &self.shared.screen;
        !self.shared.closed.get() && screen.is_live() && screen.drawn.get() > 0
    }

    /// Stops: the MediaSource ends, timers and listeners go (no `onStall`
    /// after it), pending appends reject, the element is marked not live.
    /// Later `append` and `finish` calls throw `closed`.
    pub fn close(&self) {
        let s = &self.shared;
        if s.closed.replace(true) {
            return;
        }
        let _ = close_player(&s.player.borrow());
        s.screen.close();
        let _ = mark_live(&s.video, false);
        s.on_shown.borrow_mut().take();
    }
}

/// The MIME type of `filter`'s stream, or null.
fn mime_value(filter: &RefCell<Filter>) -> JsValue {
    filter
        .try_borrow()
        .ok()
        .and_then(|f| f.mime_type())
        .map_or(JsValue::NULL, |m| JsValue::from_str(&m))
}

fn closed() -> JsValue {
    fail("closed", "this SignedVideoMseGate is closed")
}

impl JsSignedVideoMseGate {
    /// Hands `step` to the SourceBuffer, notes its pictures' times, then
    /// calls onGop with its reports; the promise resolves to the call's
    /// result once the SourceBuffer has it.
    fn hand_on(&self, step: Step, scale: f64) -> Result<Promise, JsValue> {
        let s = &self.shared;
        if let Ok(mut v) = s.view.try_borrow_mut() {
            for p in &step.out.pictures {
                if v.starts.len() == SHOWN_HISTORY {
                    v.starts.pop_front();
                }
                v.starts
                    .push_back(p.times.presentation_time() as f64 / scale);
            }
        }
        let value = Object::new();
        set(&value, "appended", &count(step.out.pictures.len() as u64));
        let list: Array = step.reports.iter().collect();
        set(&value, "reports", &list);
        let (init, mime) = match step.init {
            Some((bytes, mime)) => (Some(Uint8Array::from(&bytes[..])), Some(mime)),
            None => (None, None),
        };
        let media = (!step.out.segment.is_empty()).then(|| Uint8Array::from(&step.out.segment[..]));
        let appending = append(&s.player.borrow(), init, mime, media)
            .map_err(|_| fail("media-source", "the MediaSource refused the segment"))?;
        notify(s.on_gop.as_ref(), &step.reports);
        Ok(settle_with(&appending, &value.into()))
    }
}

impl Drop for JsSignedVideoMseGate {
    fn drop(&mut self) {
        self.close();
    }
}
