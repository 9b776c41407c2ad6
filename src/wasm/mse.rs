//! `FragmentFilter` and `MseGate` (SPEC §7): fragmented MP4 through
//! [`crate::fragment_filter`] before a Media Source Extensions
//! `SourceBuffer`. The filter's decisions are the core's; this file moves
//! bytes and results between JS and it, and MseGate hands what was kept to
//! `js/mse.js` (MediaSource, queue, quota, gaps) and liveness to the
//! [`Screen`] FrameGate uses.
//!
//! Each call copies the segment into WebAssembly memory once; the bytes
//! verified are the bytes written out (SPEC §4), and the copy is freed
//! when the call returns (dropped input leaves nothing behind).

use alloc::collections::VecDeque;
use alloc::format;
use alloc::rc::{Rc, Weak};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use js_sys::{Array, Object, Promise, Uint8Array};
use wasm_bindgen::prelude::*;

use super::interop::{
    Options, VerifierStats, accepted_result, bytes_arg, copy_from, count, dropped_result, error,
    is_shared, set,
};
use super::mse_player::{
    OnShown, SHOWN_HISTORY, append, close_player, create_player, has_media_source,
    is_media_element, mark_live, settle_with,
};
use super::screen::{GATE_OPTIONS, Screen};
use super::to_js::to_object;
use super::verifier::{Clock, JsVerifier, VERIFIER_OPTIONS};
use crate::fragment_filter::{self as core_filter, FilterError, Filtered, SampleVerdict};
use crate::verify;
use serde::Serialize;

#[wasm_bindgen(typescript_custom_section)]
const TS_MSE: &str = r#"
/** One video sample's result: verify()'s, plus whether it was kept. */
export type FilterResult =
  | (Accepted & { kept: true })
  | (Accepted & { kept: false; notKept: 'skipped-until-keyframe' | 'configuration-not-vouched' })
  | (Dropped & { kept: false });
/** What FragmentFilter.filter() returns. */
export interface FilteredSegment {
  /** The cleaned init segment to append before `bytes`, handed out once. */
  init: Uint8Array | null;
  /** The segment with only the kept samples, or null when none is kept. */
  bytes: Uint8Array | null;
  results: FilterResult[];
}
/** FragmentFilter stats: the Verifier's plus the filter's own. */
export interface FragmentFilterStats extends VerifierStats {
  skippedUntilKeyframe: number;
  unvouchedKeyframes: number;
  otherTrackSamples: number;
  unreadableSegments: number;
}
/** MseGate stats: FragmentFilter's plus pictures shown. */
export interface MseGateStats extends FragmentFilterStats {
  drawn: number;
}
/** What MseGate.append() resolves to. */
export interface MseAppendResult {
  /** Samples that reached the SourceBuffer. */
  appended: number;
  results: FilterResult[];
}
"#;

/// A filter and its clock, as both classes hold them.
struct Filter {
    inner: core_filter::FragmentFilter,
    clock: Clock,
}

impl Filter {
    fn build(linked_public_key: &JsValue, options: &Options) -> Result<Filter, JsError> {
        let (verifier, clock) = JsVerifier::build(linked_public_key, options)?.into_parts();
        Ok(Filter {
            inner: core_filter::FragmentFilter::new(verifier),
            clock,
        })
    }

    fn stats(&self) -> FilterStats {
        let s = self.inner.stats();
        FilterStats {
            verifier: VerifierStats::of(self.inner.verifier_stats()),
            skipped_until_keyframe: s.skipped_until_keyframe,
            unvouched_keyframes: s.unvouched_keyframes,
            other_track_samples: s.other_track_samples,
            unreadable_segments: s.unreadable_segments,
        }
    }
}

/// `FragmentFilter.stats()` (`FragmentFilterStats`): the Verifier's counts,
/// then the filter's.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FilterStats {
    #[serde(flatten)]
    verifier: VerifierStats,
    skipped_until_keyframe: u64,
    unvouched_keyframes: u64,
    other_track_samples: u64,
    unreadable_segments: u64,
}

/// `MseGate.stats()` (`MseGateStats`): FragmentFilter's, then `drawn`.
#[derive(Serialize)]
struct MseGateStats {
    #[serde(flatten)]
    filter: FilterStats,
    drawn: u64,
}

/// Copies a caller's segment into WebAssembly memory.
fn held(bytes: &Uint8Array, what: &str) -> Result<Vec<u8>, JsError> {
    let len = bytes.length() as usize;
    let mut out = Vec::new();
    out.try_reserve_exact(len)
        .map_err(|_| error(format!("{what}: out of memory (cannot hold {len} bytes)")))?;
    out.resize(len, 0);
    copy_from(bytes, 0, &mut out)?;
    Ok(out)
}

fn filter_error(what: &str, e: FilterError) -> JsError {
    error(format!("{what}: {e}"))
}

/// The JS result of each sample: a view of the caller's segment as its
/// payload, or a copy of the verified bytes when the caller's buffer is
/// shared memory; `kept` on every result (false on a drop too, so that
/// `results.filter(r => r.kept)` is what reached the output).
fn results(filtered: &Filtered, source: &Uint8Array, held: &[u8]) -> Array {
    let out = Array::new();
    let dropped = |reason: &str| {
        let result = dropped_result(reason);
        set(&result, "kept", &JsValue::FALSE);
        result
    };
    if filtered.unreadable.is_some() {
        out.push(&dropped("malformed"));
        return out;
    }
    let shared = is_shared(&source.buffer());
    for sample in &filtered.samples {
        let header = match sample.verdict {
            SampleVerdict::Dropped(reason) => {
                out.push(&dropped(reason.name()));
                continue;
            }
            SampleVerdict::Kept(h) | SampleVerdict::NotKept(h, _) => h,
        };
        let range = &sample.range;
        let payload = if shared {
            Uint8Array::from(held.get(range.clone()).unwrap_or_default())
        } else {
            source.subarray(range.start as u32, range.end as u32)
        };
        let result = accepted_result(
            &payload,
            header.seq as f64,
            header.timestamp_us as f64,
            header.keyframe,
            header.end_of_stream,
            header.codec.name(),
            &Uint8Array::from(&header.stream_id[..]),
        );
        match sample.verdict {
            SampleVerdict::NotKept(_, why) => {
                set(&result, "kept", &JsValue::FALSE);
                set(&result, "notKept", &JsValue::from_str(why.name()));
            }
            _ => set(&result, "kept", &JsValue::TRUE),
        }
        out.push(&result);
    }
    out
}

/// Where the first `moof` of `bytes` starts, if it holds top-level boxes
/// before one (an init segment and media in one buffer); `None` when it
/// starts with `moof` / `styp` / `sidx` or holds no `moof`. A walk of
/// 32-bit box sizes only: the parsers check everything.
fn init_part(bytes: &[u8]) -> Option<usize> {
    let mut at = 0usize;
    while let Some(head) = bytes.get(at..at + 8) {
        let kind = &head[4..8];
        if kind == b"moof" || kind == b"styp" || kind == b"sidx" || kind == b"emsg" {
            return (at > 0).then_some(at);
        }
        let size = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        if size < 8 {
            return None;
        }
        at = at.checked_add(size)?;
    }
    None
}

/// Whether `bytes` start with an init segment's first box.
fn starts_init(bytes: &[u8]) -> bool {
    matches!(bytes.get(4..8), Some(b"ftyp" | b"moov"))
}

/// Verifies fragmented MP4 for a `SourceBuffer` (SPEC §7).
#[wasm_bindgen(js_name = FragmentFilter)]
pub struct JsFragmentFilter {
    filter: Filter,
}

#[wasm_bindgen(js_class = FragmentFilter)]
impl JsFragmentFilter {
    /// A filter for the camera `linkedPublicKey` (32 bytes); `options` as
    /// the Verifier's.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = linkedPublicKey, unchecked_param_type = "Uint8Array")]
        linked_public_key: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "VerifierOptions")] options: JsValue,
    ) -> Result<JsFragmentFilter, JsError> {
        let options = Options::read(&options, "options", &VERIFIER_OPTIONS)?;
        Ok(JsFragmentFilter {
            filter: Filter::build(&linked_public_key, &options)?,
        })
    }

    /// Takes the init segment (`ftyp` + `moov`): its one video track, codec
    /// and configuration. Throws on one it cannot use. The same bytes
    /// again change nothing; another init segment must be vouched for
    /// again before anything is kept.
    pub fn init(
        &mut self,
        #[wasm_bindgen(js_name = initSegment, unchecked_param_type = "Uint8Array")]
        init_segment: JsValue,
    ) -> Result<(), JsError> {
        let bytes = bytes_arg(&init_segment, "initSegment")?;
        let bytes = held(&bytes, "init")?;
        self.filter
            .inner
            .init(&bytes)
            .map_err(|e| filter_error("init", e))
    }

    /// Filters a media segment (`moof` + `mdat`, one or more): `{ init,
    /// bytes, results }` (SPEC §7). Throws before any init segment, or when
    /// memory runs out.
    #[wasm_bindgen(unchecked_return_type = "FilteredSegment")]
    pub fn filter(
        &mut self,
        #[wasm_bindgen(js_name = mediaSegment, unchecked_param_type = "Uint8Array")]
        media_segment: JsValue,
    ) -> Result<Object, JsError> {
        let now_us = self.filter.clock.now_us()?;
        let source = bytes_arg(&media_segment, "mediaSegment")?;
        let bytes = held(&source, "filter")?;
        let out = self
            .filter
            .inner
            .filter(&bytes, now_us)
            .map_err(|e| filter_error("filter", e))?;
        let result = Object::new();
        let view = |b: &Option<Vec<u8>>| {
            b.as_deref()
                .map_or(JsValue::NULL, |b| Uint8Array::from(b).into())
        };
        set(&result, "init", &view(&out.init));
        set(&result, "bytes", &view(&out.bytes));
        set(&result, "results", &results(&out, &source, &bytes));
        Ok(result)
    }

    /// The MIME type with codecs of the init segment's video track
    /// (`video/mp4; codecs="avc1.64001f"`), for `addSourceBuffer`; null
    /// before an init segment.
    #[wasm_bindgen(js_name = mimeType)]
    pub fn mime_type(&self) -> Option<String> {
        self.filter.inner.init_segment().map(|i| i.mime_type())
    }

    /// Counts since construction: the Verifier's, plus
    /// `skippedUntilKeyframe`, `unvouchedKeyframes`, `otherTrackSamples`,
    /// `unreadableSegments`.
    #[wasm_bindgen(unchecked_return_type = "FragmentFilterStats")]
    pub fn stats(&self) -> Object {
        to_object(&self.filter.stats())
    }
}

/// What the `<video>` side of an MseGate shares with its callbacks.
struct Playback {
    filter: RefCell<Filter>,
    screen: Rc<Screen>,
    /// The `js/mse.js` player (set once, right after construction).
    player: RefCell<JsValue>,
    /// (presentation time in s, capture time in µs) of kept samples, in
    /// append order.
    kept: RefCell<VecDeque<(f64, u64)>>,
    /// The presentation time of the newest picture reported shown.
    last_shown: Cell<Option<f64>>,
    /// The MIME type of the last init segment appended.
    mime: RefCell<Option<String>>,
    closed: Cell<bool>,
    on_shown: RefCell<Option<OnShown>>,
}

impl Playback {
    /// The browser shows the picture at media time `t`: the newest kept
    /// sample presented at or before it. `t` is read a few times a second
    /// (js/mse.js), so every kept sample presented since the last reading
    /// counts as drawn (the first reading counts one).
    fn shown_at(&self, t: f64) {
        if self.closed.get() {
            return;
        }
        let last = self.last_shown.get();
        let (newest, passed) = {
            let kept = self.kept.borrow();
            let on_screen = |pts: f64| pts <= t + 0.0005;
            let newest = kept
                .iter()
                .filter(|(pts, _)| on_screen(*pts))
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .copied();
            let passed = match last {
                None => 1,
                Some(last) => kept
                    .iter()
                    .filter(|(pts, _)| on_screen(*pts) && *pts > last)
                    .count() as u64,
            };
            (newest, passed)
        };
        if let Some((pts, ts)) = newest
            && last != Some(pts)
        {
            self.last_shown.set(Some(pts));
            self.screen.shown_frames(ts, passed.max(1));
        }
    }
}

/// A `<video>` element that plays only verified fragmented MP4 (SPEC §7).
#[wasm_bindgen(js_name = MseGate)]
pub struct JsMseGate {
    playback: Rc<Playback>,
}

#[wasm_bindgen(js_class = MseGate)]
impl JsMseGate {
    /// A gate that owns `video`'s MediaSource and plays what
    /// `linkedPublicKey` signed. `options`: the Verifier's, plus
    /// `stallAfterMs`, `onStall`, `onResume`, `reportIntervalMs`,
    /// `onReport`, `onDrop` (as FrameGate).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "HTMLVideoElement")] video: JsValue,
        #[wasm_bindgen(js_name = linkedPublicKey, unchecked_param_type = "Uint8Array")]
        linked_public_key: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "FrameGateOptions")] options: JsValue,
    ) -> Result<JsMseGate, JsError> {
        let mut known = VERIFIER_OPTIONS.to_vec();
        known.extend_from_slice(&GATE_OPTIONS);
        let options = Options::read(&options, "options", &known)?;
        let filter = Filter::build(&linked_public_key, &options)?;
        if !is_media_element(&video) {
            return Err(error(format!(
                "video must be an HTMLVideoElement, got {}",
                super::interop::type_name(&video)
            )));
        }
        if !has_media_source() {
            return Err(error(
                "this browser has no MediaSource (Media Source Extensions)",
            ));
        }
        let screen = Screen::on_element(video.clone(), mark_live, &options)?;
        let playback = Rc::new_cyclic(|weak: &Weak<Playback>| {
            let weak = weak.clone();
            let on_shown = Closure::new(move |t: f64| {
                if let Some(p) = weak.upgrade() {
                    p.shown_at(t);
                }
            });
            Playback {
                filter: RefCell::new(filter),
                screen,
                player: RefCell::new(JsValue::NULL),
                kept: RefCell::new(VecDeque::new()),
                last_shown: Cell::new(None),
                mime: RefCell::new(None),
                closed: Cell::new(false),
                on_shown: RefCell::new(Some(on_shown)),
            }
        });
        let player = {
            let on_shown = playback.on_shown.borrow();
            let callback: JsValue = on_shown
                .as_ref()
                .map_or(JsValue::NULL, |c| c.as_ref().clone());
            create_player(&video, &callback)
                .map_err(|_| error("could not open a MediaSource on the element"))?
        };
        *playback.player.borrow_mut() = player;
        Ok(JsMseGate { playback })
    }

    /// Appends an init segment, a media segment, or both in one buffer:
    /// through a FragmentFilter, then (only what it kept) to the
    /// SourceBuffer, queued while the buffer updates. Resolves to
    /// `{ appended, results }`. Throws for bad arguments, an init segment
    /// that cannot be used, media before any init segment, or a closed gate.
    #[wasm_bindgen(unchecked_return_type = "Promise<MseAppendResult>")]
    pub fn append(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
    ) -> Result<Promise, JsError> {
        let p = &self.playback;
        if p.closed.get() {
            return Err(error("this gate is closed"));
        }
        // The clock is user code: read it before any borrow.
        let clock = p
            .filter
            .try_borrow()
            .map_err(|_| error("append: called from inside this gate's own verification"))?
            .clock
            .clone();
        let now_us = clock.now_us()?;
        let source = bytes_arg(&bytes, "bytes")?;
        let held = held(&source, "append")?;
        let split = if starts_init(&held) {
            init_part(&held).unwrap_or(held.len())
        } else {
            0
        };
        let (init_bytes, media) = held.split_at(split);
        let mut filter = p
            .filter
            .try_borrow_mut()
            .map_err(|_| error("append: called from inside this gate's own verification"))?;
        if !init_bytes.is_empty() {
            filter
                .inner
                .init(init_bytes)
                .map_err(|e| filter_error("append", e))?;
        }
        let filtered = if media.is_empty() {
            None
        } else {
            Some(
                filter
                    .inner
                    .filter(media, now_us)
                    .map_err(|e| filter_error("append", e))?,
            )
        };
        // The MIME type goes with an init segment only (built once per
        // init, not per append: formatting it showed in profiles).
        let mime = filtered
            .as_ref()
            .and_then(|f| f.init.as_ref())
            .and_then(|_| filter.inner.init_segment().map(|i| i.mime_type()));
        let timescale = filter
            .inner
            .init_segment()
            .map_or(1, |i| i.timescale())
            .max(1);
        drop(filter);
        let Some(filtered) = filtered else {
            let value = Object::new();
            set(&value, "appended", &count(0));
            set(&value, "results", &Array::new());
            let value: JsValue = value.into();
            return Ok(Promise::resolve(&value));
        };
        // Presentation times of what is kept, for liveness.
        let media_source = source.subarray(split as u32, source.length());
        let kept = self.note_kept(&filtered, timescale);
        p.screen.note_clock(now_us);
        let results = results(&filtered, &media_source, media);
        let value = Object::new();
        set(&value, "appended", &count(kept));
        set(&value, "results", &results);
        let init = filtered.init.as_deref().map(Uint8Array::from);
        if init.is_some() {
            *p.mime.borrow_mut() = mime.clone();
        }
        let bytes_out = filtered.bytes.as_deref().map(Uint8Array::from);
        let appending = append(&p.player.borrow(), init, mime, bytes_out)
            .map_err(|_| error("append: the MediaSource refused the segment"))?;
        // The verdicts go to reports and onDrop (user code) once the kept
        // bytes are handed on.
        for (i, sample) in filtered.samples.iter().enumerate() {
            let verdict = match sample.verdict {
                SampleVerdict::Dropped(reason) => Err(reason),
                _ => Ok(()),
            };
            p.screen.record(verdict, &results.get(i as u32).into());
        }
        if filtered.unreadable.is_some() {
            p.screen
                .record(Err(verify::DropReason::Malformed), &results.get(0).into());
        }
        p.screen.poll();
        Ok(settle_with(&appending, &value))
    }

    /// Counts since construction: FragmentFilter's, plus `drawn` (new
    /// verified pictures the element presented).
    #[wasm_bindgen(unchecked_return_type = "MseGateStats")]
    pub fn stats(&self) -> Result<Object, JsError> {
        let filter = self
            .playback
            .filter
            .try_borrow()
            .map_err(|_| error("stats: called while this gate verifies a segment"))?;
        Ok(to_object(&MseGateStats {
            filter: filter.stats(),
            drawn: self.playback.screen.drawn.get(),
        }))
    }

    /// Whether the element is currently marked live.
    #[wasm_bindgen(getter)]
    pub fn live(&self) -> bool {
        self.playback.screen.is_live() && self.playback.screen.drawn.get() > 0
    }

    /// The MIME type of the init segment appended last, or null.
    #[wasm_bindgen(getter, js_name = mimeType)]
    pub fn mime_type(&self) -> Option<String> {
        self.playback.mime.borrow().clone()
    }

    /// Stops: the MediaSource ends, timers and listeners go, pending
    /// appends reject. Later calls throw.
    pub fn close(&self) {
        let p = &self.playback;
        if p.closed.replace(true) {
            return;
        }
        let _ = close_player(&p.player.borrow());
        p.screen.close();
        p.on_shown.borrow_mut().take();
    }
}

impl JsMseGate {
    /// Records the presentation times of `filtered`'s kept samples; returns
    /// how many were kept.
    fn note_kept(&self, filtered: &Filtered, timescale: u32) -> u64 {
        let mut kept = self.playback.kept.borrow_mut();
        let mut n = 0;
        for sample in &filtered.samples {
            if let SampleVerdict::Kept(h) = sample.verdict {
                n += 1;
                let pts = sample.presentation_time as f64 / f64::from(timescale);
                if kept.len() == SHOWN_HISTORY {
                    kept.pop_front();
                }
                kept.push_back((pts, h.timestamp_us));
            }
        }
        n
    }
}

impl Drop for JsMseGate {
    fn drop(&mut self) {
        self.close();
    }
}
