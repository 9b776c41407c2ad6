//! The canvas side of both gates: what is drawn, whether it is live, the
//! reports, and the verification step every push starts with. Decisions
//! (draw order, liveness, reports) are made by [`crate::gate`]; this file
//! only moves values between it, the verifier, the canvas and the timers
//! (`js/canvas.js`).
//!
//! Rules at this boundary:
//! - no `RefCell` borrow is held across an `await` or a call into user code
//!   (callbacks, the `now` clock included, may push frames themselves), and
//!   a borrow that is taken anyway fails as an `Error`, never a panic;
//! - no user code runs between a frame's verification and the hand-over of
//!   its verified bytes to the decoder: callbacks due after a push
//!   (`onStall`, `onReport`) run once the frame is handed over;
//! - every JS call that can throw is caught, so an exception never unwinds
//!   through Rust with a borrow held; a throwing user callback is ignored.

use alloc::format;
use alloc::rc::{Rc, Weak};
use core::cell::{Cell, RefCell};
use js_sys::{Function, Object, Promise, Uint8Array};
use serde::Serialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::interop::{Options, Switchable, VerifierStats, bytes_arg, error, set, type_name};
use super::to_js::{Counts, to_js, to_object};
#[cfg(not(feature = "signed-video"))]
use super::verifier::{JsVerifier, VERIFIER_OPTIONS, Verdict};
use crate::gate::{DrawTicket, Event, Gate, GateConfig, Report};
use crate::inband::UnitFormat;
use crate::verify::DropReason;

#[wasm_bindgen(module = "/js/canvas.js")]
extern "C" {
    #[wasm_bindgen(js_name = isCanvas)]
    fn is_canvas(value: &JsValue) -> bool;
    #[wasm_bindgen(js_name = context2d, catch)]
    fn context_2d(canvas: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = decodePicture, catch)]
    pub(crate) fn decode_picture(payload: &Uint8Array, mime: &str) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch)]
    fn paint(ctx: &JsValue, bitmap: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = paintNotLive, catch)]
    fn paint_not_live(ctx: &JsValue, bitmap: &JsValue, label: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = markLive, catch)]
    fn mark_live(canvas: &JsValue, live: bool) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = closeBitmap, catch)]
    fn close_bitmap(bitmap: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = monotonicNow)]
    fn monotonic_now() -> f64;
    #[wasm_bindgen(js_name = startTimer, catch)]
    fn start_timer(callback: &Function, ms: f64) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = stopTimer, catch)]
    fn stop_timer(id: &JsValue) -> Result<(), JsValue>;
}

/// FrameGate's own option keys, beside the Verifier's.
pub(crate) const GATE_OPTIONS: [&str; 6] = [
    "stallAfterMs",
    "onStall",
    "onResume",
    "reportIntervalMs",
    "onReport",
    "onDrop",
];

pub(crate) struct Callbacks {
    on_stall: Option<Function>,
    on_resume: Option<Function>,
    on_report: Option<Function>,
    on_drop: Option<Function>,
}

/// Calls a user callback, ignoring what it returns or throws: a broken UI
/// handler must not stop frames from being verified.
pub(crate) fn notify(callback: &Option<Function>, arg: &JsValue) {
    if let Some(f) = callback {
        let _ = f.call1(&JsValue::UNDEFINED, arg);
    }
}

/// A canvas that shows verified pictures: what is drawn, whether it is
/// live, and the reports. Shared by FrameGate and VideoGate.
pub(crate) struct Screen {
    pub(crate) gate: RefCell<Gate>,
    /// The canvas, or the `<video>` element of an MseGate.
    canvas: JsValue,
    /// The canvas's 2d context; `null` for a video element (nothing is
    /// painted on it: the browser shows its pictures).
    ctx: JsValue,
    /// Sets the element's liveness attribute.
    mark_live: fn(&JsValue, bool) -> Result<(), JsValue>,
    callbacks: Callbacks,
    /// The picture on the canvas, kept to redraw it dimmed while not live.
    picture: RefCell<Option<JsValue>>,
    pub(crate) drawn: Cell<u64>,
    pub(crate) decode_errors: Cell<u64>,
    pub(crate) closed: Cell<bool>,
    /// The verifier's clock minus the monotonic clock, in ms, as of the
    /// last push: turns a frame's capture time into monotonic time.
    clock_offset: Cell<f64>,
    /// The armed timer: its id and the `monotonic_now()` it fires at.
    timer: RefCell<Option<(JsValue, f64)>>,
    /// The timer callback; holds only a weak reference back to this.
    tick: RefCell<Option<Closure<dyn FnMut()>>>,
}

impl Screen {
    /// A screen on `canvas` (checked here), configured from the gate options.
    pub(crate) fn open(canvas: JsValue, options: &Options) -> Result<Rc<Screen>, JsError> {
        if !is_canvas(&canvas) {
            return Err(error(format!(
                "canvas must be an HTMLCanvasElement or OffscreenCanvas, got {}",
                type_name(&canvas)
            )));
        }
        let ctx = context_2d(&canvas)
            .ok()
            .filter(|c| c.is_object())
            .ok_or_else(|| error("canvas has no 2d context (is it already used for WebGL?)"))?;
        let screen = Screen::build(canvas, ctx, mark_live, options)?;
        let _ = mark_live(&screen.canvas, true);
        Ok(screen)
    }

    /// A screen on a media element whose pictures the browser shows
    /// (MseGate): liveness and reports only, through `mark` (which sets
    /// its attribute). Marked not live until [`Screen::shown`] first runs.
    pub(crate) fn on_element(
        element: JsValue,
        mark: fn(&JsValue, bool) -> Result<(), JsValue>,
        options: &Options,
    ) -> Result<Rc<Screen>, JsError> {
        let screen = Screen::build(element, JsValue::NULL, mark, options)?;
        let _ = mark(&screen.canvas, false);
        Ok(screen)
    }

    fn build(
        canvas: JsValue,
        ctx: JsValue,
        mark: fn(&JsValue, bool) -> Result<(), JsValue>,
        options: &Options,
    ) -> Result<Rc<Screen>, JsError> {
        let defaults = GateConfig::default();
        let ms = |ms: f64| ms as u32; // the defaults are whole ms
        let config = GateConfig {
            stall_after_ms: options
                .duration(
                    "stallAfterMs",
                    defaults.stall_after_ms.map(ms),
                    Switchable::NullIsOff,
                )?
                .map(f64::from),
            report_interval_ms: options
                .duration(
                    "reportIntervalMs",
                    Some(ms(defaults.report_interval_ms)),
                    Switchable::Always,
                )?
                .map_or(defaults.report_interval_ms, f64::from),
        };
        let callbacks = Callbacks {
            on_stall: options.function("onStall")?,
            on_resume: options.function("onResume")?,
            on_report: options.function("onReport")?,
            on_drop: options.function("onDrop")?,
        };
        let screen = Rc::new(Screen {
            gate: RefCell::new(Gate::new(config, monotonic_now())),
            canvas,
            ctx,
            mark_live: mark,
            callbacks,
            picture: RefCell::new(None),
            drawn: Cell::new(0),
            decode_errors: Cell::new(0),
            closed: Cell::new(false),
            clock_offset: Cell::new(js_sys::Date::now() - monotonic_now()),
            timer: RefCell::new(None),
            tick: RefCell::new(None),
        });
        let weak: Weak<Screen> = Rc::downgrade(&screen);
        *screen.tick.borrow_mut() = Some(Closure::new(move || {
            if let Some(screen) = weak.upgrade() {
                screen.timer.borrow_mut().take(); // it has fired
                screen.poll();
            }
        }));
        screen.poll();
        Ok(screen)
    }

    /// Records a verdict for the reports and tells `onDrop` about a drop.
    /// The caller polls once whatever it hands on was handed on.
    pub(crate) fn record(&self, verdict: Result<(), DropReason>, result: &Object) {
        if let Ok(mut gate) = self.gate.try_borrow_mut() {
            gate.record_verdict(verdict, monotonic_now());
        }
        if verdict.is_err() {
            notify(&self.callbacks.on_drop, result);
        }
    }

    /// Notes the verifier's clock reading `now_us` (µs since the epoch).
    pub(crate) fn note_clock(&self, now_us: i64) {
        self.clock_offset
            .set(now_us as f64 / 1000.0 - monotonic_now());
    }

    /// When a frame captured at `timestamp_us` (µs since the epoch, by the
    /// camera's clock) was captured, on the monotonic clock of the gate.
    pub(crate) fn captured_at(&self, timestamp_us: u64) -> f64 {
        timestamp_us as f64 / 1000.0 - self.clock_offset.get()
    }

    /// Acts on whatever the gate says is due, then re-arms the timer.
    pub(crate) fn poll(&self) {
        if self.closed.get() {
            return;
        }
        let now = monotonic_now();
        let Ok((events, next)) = self.gate.try_borrow_mut().map(|mut g| g.poll(now)) else {
            return;
        };
        for event in events {
            match event {
                Event::Stalled {
                    ms_since_last_drawn,
                    picture_age_ms,
                    started,
                } => {
                    let label = match picture_age_ms {
                        Some(age) => format!("Not live · picture {} s old", (age / 1000.0) as u64),
                        None => format!(
                            "Not live · no verified frame for {} s",
                            (ms_since_last_drawn / 1000.0) as u64
                        ),
                    };
                    if !self.ctx.is_null() {
                        let picture = self.picture.borrow().clone().unwrap_or(JsValue::NULL);
                        let _ = paint_not_live(&self.ctx, &picture, &label);
                    }
                    if started {
                        let _ = (self.mark_live)(&self.canvas, false);
                        notify(
                            &self.callbacks.on_stall,
                            &JsValue::from_f64(ms_since_last_drawn),
                        );
                    }
                }
                Event::Report(report) => {
                    notify(&self.callbacks.on_report, &report_object(&report));
                }
            }
        }
        self.arm_timer(next, now);
    }

    /// Makes sure a timer fires by `next`. A timer already armed for that
    /// time or earlier stays (when it fires, `poll` arms the next one), so a
    /// steady stream of frames, each moving the deadline later, costs no
    /// timer calls at all; only an earlier deadline re-arms.
    fn arm_timer(&self, next: Option<f64>, now: f64) {
        let Some(at) = next else { return };
        if self
            .timer
            .borrow()
            .as_ref()
            .is_some_and(|(_, armed)| *armed <= at)
        {
            return;
        }
        if let Some((id, _)) = self.timer.borrow_mut().take() {
            let _ = stop_timer(&id);
        }
        let tick = self.tick.borrow();
        if let Some(tick) = tick.as_ref()
            && let Ok(id) = start_timer(tick.as_ref().unchecked_ref(), (at - now).max(0.0))
        {
            *self.timer.borrow_mut() = Some((id, at));
        }
    }

    /// Draws a decoded picture (ImageBitmap or VideoFrame) if nothing newer
    /// is on the canvas; keeps it to redraw it dimmed while not live.
    pub(crate) fn draw(
        &self,
        ticket: DrawTicket,
        captured_at: f64,
        bitmap: JsValue,
    ) -> Result<(), &'static str> {
        let may_draw = self.gate.try_borrow().is_ok_and(|g| g.may_draw(ticket));
        if self.closed.get() || !may_draw {
            let _ = close_bitmap(&bitmap);
            return Err("superseded");
        }
        if paint(&self.ctx, &bitmap).is_err() {
            let _ = close_bitmap(&bitmap);
            self.decode_errors.set(self.decode_errors.get() + 1);
            return Err("decode-failed");
        }
        if let Some(old) = self.picture.borrow_mut().replace(bitmap) {
            let _ = close_bitmap(&old);
        }
        self.drawn.set(self.drawn.get() + 1);
        let resumed = self
            .gate
            .try_borrow_mut()
            .is_ok_and(|mut g| g.drawn(ticket, captured_at, monotonic_now()));
        if resumed {
            let _ = (self.mark_live)(&self.canvas, true);
            notify(&self.callbacks.on_resume, &JsValue::UNDEFINED);
        }
        self.poll();
        Ok(())
    }

    /// Records that the browser shows a new verified picture, captured at
    /// `timestamp_us` (µs since the epoch, by the camera's clock), and
    /// `frames` pictures in all since the last call (a `<video>` element is
    /// read a few times a second). The first one, and one that ends a
    /// stall, marks the element live and calls `onResume`.
    pub(crate) fn shown_frames(&self, timestamp_us: u64, frames: u64) {
        if self.closed.get() {
            return;
        }
        let first = self.drawn.get() == 0;
        self.drawn.set(self.drawn.get() + frames);
        let captured_at = self.captured_at(timestamp_us);
        let resumed = self.gate.try_borrow_mut().is_ok_and(|mut g| {
            let ticket = g.begin_draw(timestamp_us);
            let resumed = g.drawn(ticket, captured_at, monotonic_now());
            g.also_drawn(frames.saturating_sub(1));
            resumed || (first && !g.is_stalled())
        });
        if resumed {
            let _ = (self.mark_live)(&self.canvas, true);
            notify(&self.callbacks.on_resume, &JsValue::UNDEFINED);
        }
        self.poll();
    }

    pub(crate) fn close(&self) {
        self.closed.set(true);
        if let Some((id, _)) = self.timer.borrow_mut().take() {
            let _ = stop_timer(&id);
        }
        if let Some(picture) = self.picture.borrow_mut().take() {
            let _ = close_bitmap(&picture);
        }
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        self.close();
    }
}

/// What `onReport` gets (`GateReport`): `{ intervalMs, accepted, drawn,
/// dropped: { [reason]: n }, stalledMs }`, the times rounded.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportObject {
    interval_ms: f64,
    accepted: u64,
    drawn: u64,
    dropped: Counts,
    stalled_ms: f64,
}

fn report_object(report: &Report) -> JsValue {
    to_js(&ReportObject {
        interval_ms: super::float::round(report.interval_ms),
        accepted: report.accepted,
        drawn: report.drawn,
        dropped: DropReason::ALL
            .into_iter()
            .map(|r| (r.name(), report.dropped(r)))
            .collect(),
        stalled_ms: super::float::round(report.stalled_ms),
    })
}

/// Reads a gate's options: the Verifier's plus FrameGate's (and `extra`).
#[cfg(not(feature = "signed-video"))]
pub(crate) fn open_gate(
    canvas: JsValue,
    linked_public_key: &JsValue,
    options: &JsValue,
) -> Result<(JsVerifier, Rc<Screen>), JsError> {
    let mut known = VERIFIER_OPTIONS.to_vec();
    known.extend_from_slice(&GATE_OPTIONS);
    let options = Options::read(options, "options", &known)?;
    // The key and the verifier options first: their errors matter more.
    let verifier = JsVerifier::build(linked_public_key, &options)?;
    let screen = Screen::open(canvas, &options)?;
    Ok((verifier, screen))
}

/// Verifies a pushed frame for a gate: the result object (with
/// `drawn: false` until something is drawn) and the verdict; a drop is
/// recorded and reported to `onDrop` here.
#[cfg(not(feature = "signed-video"))]
pub(crate) fn verify_for_screen(
    verifier: &RefCell<JsVerifier>,
    screen: &Screen,
    frame: &JsValue,
    unit: Option<(UnitFormat, Option<&[u8]>)>,
) -> Result<(Object, Verdict), JsError> {
    if screen.closed.get() {
        return Err(error("this gate is closed"));
    }
    // The clock is user code: read it with no borrow held and before the
    // frame's bytes are looked at (it may push frames, or touch this one).
    let clock = busy(verifier.try_borrow())?.clock();
    let now_us = clock.now_us()?;
    let frame = bytes_arg(frame, "frame")?;
    let mut verifier = busy(verifier.try_borrow_mut())?;
    let (result, verdict) = match unit {
        None => verifier.check(&frame, now_us)?,
        Some((format, config)) => verifier.check_unit(&frame, format, config, now_us)?,
    };
    drop(verifier);
    screen.note_clock(now_us);
    set(&result, "drawn", &JsValue::FALSE);
    screen.record(verdict.as_ref().map(|_| ()).map_err(|r| *r), &result);
    Ok((result, verdict))
}

/// A borrow of a gate's verifier, or the error for a call that came from
/// inside the same gate's verification (unreachable while no user code
/// runs under a borrow; an error rather than a panic all the same).
#[cfg(not(feature = "signed-video"))]
fn busy<T>(borrow: Result<T, impl core::fmt::Debug>) -> Result<T, JsError> {
    borrow.map_err(|_| error("push: called from inside this gate's own verification"))
}

/// Releases a decoded picture that will not be drawn.
pub(crate) fn discard(picture: &JsValue) {
    let _ = close_bitmap(picture);
}

/// A gate's stats: the verifier's counts, `drawn`, then the gate's own
/// (`E`, a struct whose fields follow).
#[cfg(not(feature = "signed-video"))]
#[derive(Serialize)]
struct GateStats<E> {
    #[serde(flatten)]
    verifier: VerifierStats,
    drawn: u64,
    #[serde(flatten)]
    extra: E,
}

/// [`GateStats`] of a gate's verifier and screen, plus `extra`.
#[cfg(not(feature = "signed-video"))]
pub(crate) fn gate_stats<E: Serialize>(
    verifier: &RefCell<JsVerifier>,
    screen: &Screen,
    extra: E,
) -> Result<Object, JsError> {
    let verifier = verifier
        .try_borrow()
        .map_err(|_| error("stats: called while this gate verifies a frame"))?;
    Ok(to_object(&GateStats {
        verifier: VerifierStats::of(verifier.core().stats()),
        drawn: screen.drawn.get(),
        extra,
    }))
}

/// What FrameGate and VideoGate share of their JS surface, declared once
/// for `$gate` (exported as `$js`): the constructor `(canvas,
/// linkedPublicKey, options?)`, which opens the gate's verifier and screen
/// ([`open_gate`]) and hands them to `$gate::opened` for the rest, and the
/// `linkedPublicKey` and `live` getters. `$gate` has the fields `verifier:
/// RefCell<JsVerifier>` and `screen: Rc<Screen>`.
#[cfg(not(feature = "signed-video"))]
macro_rules! gate_surface {
    ($gate:ident as $js:ident) => {
        #[wasm_bindgen(js_class = $js)]
        impl $gate {
            /// A gate showing on `canvas` (HTMLCanvasElement or
            /// OffscreenCanvas) what `linkedPublicKey` signed. `options`:
            /// the Verifier's, plus `stallAfterMs`, `onStall`, `onResume`,
            /// `reportIntervalMs`, `onReport`, `onDrop`.
            #[wasm_bindgen(constructor)]
            pub fn new(
                #[wasm_bindgen(unchecked_param_type = "HTMLCanvasElement | OffscreenCanvas")]
                canvas: JsValue,
                #[wasm_bindgen(js_name = linkedPublicKey, unchecked_param_type = "Uint8Array")]
                linked_public_key: JsValue,
                #[wasm_bindgen(unchecked_optional_param_type = "FrameGateOptions")]
                options: JsValue,
            ) -> Result<$gate, JsError> {
                let (verifier, screen) =
                    super::screen::open_gate(canvas, &linked_public_key, &options)?;
                $gate::opened(verifier, screen)
            }

            /// The key frames are checked against now (changes only with
            /// an accepted key-rotation frame).
            #[wasm_bindgen(getter, js_name = linkedPublicKey)]
            pub fn linked_public_key(&self) -> Result<Uint8Array, JsError> {
                super::screen::linked_key_of(&self.verifier)
            }

            /// Whether the canvas is currently marked live (not stalled).
            #[wasm_bindgen(getter)]
            pub fn live(&self) -> bool {
                self.screen.is_live()
            }
        }
    };
}
#[cfg(not(feature = "signed-video"))]
pub(crate) use gate_surface;

/// `linkedPublicKey` of a gate.
#[cfg(not(feature = "signed-video"))]
pub(crate) fn linked_key_of(verifier: &RefCell<JsVerifier>) -> Result<Uint8Array, JsError> {
    Ok(busy(verifier.try_borrow())?.linked_public_key())
}

impl Screen {
    /// Whether the canvas is live (not marked stalled).
    pub(crate) fn is_live(&self) -> bool {
        self.gate.try_borrow().is_ok_and(|g| !g.is_stalled())
    }
}
