//! FrameGate in real browsers (Chromium and Firefox via wasm-pack test):
//! what reaches the canvas, read back pixel by pixel.
//!
//! Each camera paints a solid colour, so a pixel read says whose picture is
//! on the canvas. The scenarios are named after the attack or fault they
//! replay.
#![cfg(target_arch = "wasm32")]

extern crate alloc;

mod support;

// What the prelude has under std; tests/mvp/ compiles this file no_std.
#[allow(unused_imports)]
use alloc::{borrow::ToOwned, boxed::Box, format, string::String, string::ToString, vec, vec::Vec};
use frameseal::wasm::{JsFrameGate, JsSigner};
use js_sys::{Array, Function, Object, Reflect, Uint8Array};
use support::js::{call_method, clock_that_pushes, close_to, get, num, obj, settled};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
export async function solidJpeg(rgb) {
  const c = new OffscreenCanvas(32, 24);
  const x = c.getContext('2d');
  x.fillStyle = `rgb(${rgb[0]}, ${rgb[1]}, ${rgb[2]})`;
  x.fillRect(0, 0, 32, 24);
  const blob = await c.convertToBlob({ type: 'image/jpeg', quality: 0.95 });
  return new Uint8Array(await blob.arrayBuffer());
}
export function domCanvas() {
  const c = document.createElement('canvas');
  c.width = 64; c.height = 48;
  document.body.appendChild(c);
  return c;
}
export function offscreenCanvas() { return new OffscreenCanvas(64, 48); }
export function centrePixel(canvas) {
  const d = canvas.getContext('2d').getImageData(canvas.width / 2, canvas.height / 2, 1, 1).data;
  return [d[0], d[1], d[2]];
}
export function sleep(ms) { return new Promise(r => setTimeout(r, ms)); }
export function monotonic() { return performance.now(); }
export function recorder() {
  const calls = [];
  const fn = (...args) => { calls.push(args); };
  fn.calls = calls;
  return fn;
}
export function calls(fn) { return fn.calls; }
export function frameOptions(codec, keyframe, timestampUs) {
  const o = { codec, keyframe };
  if (timestampUs !== undefined) o.timestampUs = timestampUs;
  return o;
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = solidJpeg)]
    async fn solid_jpeg(rgb: Vec<u8>) -> JsValue;
    #[wasm_bindgen(js_name = domCanvas)]
    fn dom_canvas() -> JsValue;
    #[wasm_bindgen(js_name = offscreenCanvas)]
    fn offscreen_canvas() -> JsValue;
    #[wasm_bindgen(js_name = centrePixel)]
    fn centre_pixel(canvas: &JsValue) -> Vec<u8>;
    async fn sleep(ms: f64);
    fn monotonic() -> f64;
    fn recorder() -> Function;
    fn calls(f: &Function) -> Array;
    #[wasm_bindgen(js_name = frameOptions)]
    fn frame_options(codec: &str, keyframe: bool, timestamp_us: Option<f64>) -> JsValue;
}

const RED: [u8; 3] = [255, 0, 0];
const GREEN: [u8; 3] = [0, 255, 0];
const BLUE: [u8; 3] = [0, 0, 255];

/// How far a pixel may be from its camera's colour (JPEG moves it a little).
const TOLERANCE: u8 = 12;

/// Whether the middle of `canvas` shows `rgb`.
fn shows(canvas: &JsValue, rgb: [u8; 3]) -> bool {
    close_to(&centre_pixel(canvas), rgb, TOLERANCE)
}

fn now_us() -> f64 {
    js_sys::Date::now() * 1000.0
}

/// Waits for `state` to hold (checked every 10 ms), for at most 10 s: a
/// test waits for the state it expects, never for a fixed time.
async fn wait_until(what: &str, state: impl Fn() -> bool) {
    let deadline = monotonic() + 10_000.0;
    while !state() {
        assert!(monotonic() < deadline, "timed out waiting until {what}");
        sleep(10.0).await;
    }
}

async fn still(cam: &mut JsSigner, rgb: [u8; 3], timestamp_us: Option<f64>) -> JsValue {
    let jpeg = solid_jpeg(rgb.to_vec()).await;
    cam.sign_frame(jpeg, frame_options("jpeg", true, timestamp_us))
        .unwrap()
        .into()
}

async fn push(gate: &JsFrameGate, frame: JsValue) -> JsValue {
    JsFuture::from(gate.push(frame).unwrap()).await.unwrap()
}

/// A DOM canvas, a camera, and a gate with default options drawing that
/// camera's pictures on the canvas.
fn gate_on_a_dom_canvas() -> (JsValue, JsSigner, JsFrameGate) {
    let canvas = dom_canvas();
    let cam = JsSigner::generate().unwrap();
    let gate =
        JsFrameGate::new(canvas.clone(), cam.public_key().into(), JsValue::UNDEFINED).unwrap();
    (canvas, cam, gate)
}

/// A gate on `canvas` whose picture counts as not live `stall_after_ms`
/// after its capture, with recorders of its onStall and onResume calls.
fn stalling_gate(
    canvas: &JsValue,
    cam: &JsSigner,
    stall_after_ms: f64,
) -> (JsFrameGate, Function, Function) {
    let on_stall = recorder();
    let on_resume = recorder();
    let options = obj(&[
        ("stallAfterMs", num(stall_after_ms)),
        ("onStall", on_stall.clone().into()),
        ("onResume", on_resume.clone().into()),
    ]);
    let gate = JsFrameGate::new(canvas.clone(), cam.public_key().into(), options).unwrap();
    (gate, on_stall, on_resume)
}

async fn foreign_and_forged_frames_never_reach(canvas: JsValue) {
    let mut cam = JsSigner::generate().unwrap();
    let mut stranger = JsSigner::generate().unwrap();
    let on_drop = recorder();
    let gate = JsFrameGate::new(
        canvas.clone(),
        cam.public_key().into(),
        obj(&[("onDrop", on_drop.clone().into())]),
    )
    .unwrap();

    let r = push(&gate, still(&mut cam, RED, None).await).await;
    assert_eq!(get(&r, "drawn"), JsValue::TRUE);
    assert!(shows(&canvas, RED));

    // The incident: a stranger's camera frame served to this display.
    let r = push(&gate, still(&mut stranger, BLUE, None).await).await;
    assert_eq!(get(&r, "reason").as_string().unwrap(), "foreign-key");
    assert_eq!(get(&r, "drawn"), JsValue::FALSE);
    assert!(shows(&canvas, RED), "foreign picture drawn");

    // A stranger claiming the linked key's id: the signature fails.
    let forged: Uint8Array = still(&mut stranger, GREEN, None).await.unchecked_into();
    let own: Uint8Array = still(&mut cam, RED, None).await.unchecked_into();
    forged.set(&own.subarray(8, 16), 8);
    let r = push(&gate, forged.into()).await;
    assert_eq!(get(&r, "reason").as_string().unwrap(), "bad-signature");
    assert!(shows(&canvas, RED), "forged picture drawn");

    // A genuine frame with one payload byte changed.
    let tampered: Uint8Array = still(&mut cam, BLUE, None).await.unchecked_into();
    tampered.set_index(60, tampered.get_index(60) ^ 0x40);
    let r = push(&gate, tampered.into()).await;
    assert_eq!(get(&r, "reason").as_string().unwrap(), "bad-signature");
    assert!(shows(&canvas, RED), "tampered picture drawn");

    let dropped = calls(&on_drop);
    assert_eq!(dropped.length(), 3, "onDrop once per dropped frame");
    let first = get(&dropped.get(0), "0");
    assert_eq!(get(&first, "reason").as_string().unwrap(), "foreign-key");
    assert_eq!(get(&first, "ok"), JsValue::FALSE);

    let r = push(&gate, still(&mut cam, GREEN, None).await).await;
    assert_eq!(get(&r, "drawn"), JsValue::TRUE);
    assert!(shows(&canvas, GREEN));
    let stats = gate.stats().unwrap();
    assert_eq!(get(&stats, "accepted").as_f64(), Some(2.0));
    assert_eq!(get(&stats, "drawn").as_f64(), Some(2.0));
    assert_eq!(
        get(&get(&stats, "dropped"), "bad-signature").as_f64(),
        Some(2.0)
    );
    // FrameGateStats' shape: the Verifier's counts (every reason, in check
    // order), then drawn and decodeErrors.
    assert_eq!(
        keys(&stats),
        ["accepted", "dropped", "drawn", "decodeErrors"]
    );
    const REASONS: [&str; 11] = [
        "malformed",
        "unsupported-version",
        "unsigned",
        "too-large",
        "foreign-key",
        "bad-signature",
        "wrong-stream",
        "stale",
        "future",
        "replayed",
        "bad-rotation",
    ];
    assert_eq!(keys(&get(&stats, "dropped")), REASONS);
}

#[wasm_bindgen_test]
async fn foreign_and_forged_frames_never_reach_a_dom_canvas() {
    foreign_and_forged_frames_never_reach(dom_canvas()).await;
}

#[wasm_bindgen_test]
async fn foreign_and_forged_frames_never_reach_an_offscreen_canvas() {
    foreign_and_forged_frames_never_reach(offscreen_canvas()).await;
}

#[wasm_bindgen_test]
async fn a_late_decode_of_an_older_frame_is_not_drawn_over_a_newer_one() {
    let (canvas, mut cam, gate) = gate_on_a_dom_canvas();
    let now = now_us();
    let older = still(&mut cam, RED, Some(now - 2_000_000.0)).await;
    let newer = still(&mut cam, BLUE, Some(now - 1_000_000.0)).await;
    let r = push(&gate, newer).await;
    assert_eq!(get(&r, "drawn"), JsValue::TRUE);
    // Accepted (inside the replay window) but older than the picture shown.
    let r = push(&gate, older).await;
    assert_eq!(get(&r, "ok"), JsValue::TRUE);
    assert_eq!(get(&r, "drawn"), JsValue::FALSE);
    assert_eq!(get(&r, "notDrawn").as_string().unwrap(), "superseded");
    assert!(shows(&canvas, BLUE));

    // Racing decodes: whichever finishes first, the newest picture stays.
    let a = still(&mut cam, RED, Some(now + 1_000.0)).await;
    let b = still(&mut cam, GREEN, Some(now + 2_000.0)).await;
    let pa = gate.push(a).unwrap();
    let pb = gate.push(b).unwrap();
    JsFuture::from(pb).await.unwrap();
    JsFuture::from(pa).await.unwrap();
    assert!(shows(&canvas, GREEN));
}

#[wasm_bindgen_test]
async fn frames_it_cannot_draw_leave_the_canvas_alone() {
    let (canvas, mut cam, gate) = gate_on_a_dom_canvas();
    push(&gate, still(&mut cam, RED, None).await).await;

    let opaque = cam.sign_frame(
        Uint8Array::new_with_length(8).into(),
        frame_options("opaque", false, None),
    );
    let r = push(&gate, opaque.unwrap().into()).await;
    assert_eq!(
        (get(&r, "ok"), get(&r, "drawn")),
        (JsValue::TRUE, JsValue::FALSE)
    );
    assert_eq!(get(&r, "notDrawn").as_string().unwrap(), "not-an-image");

    let garbage = cam.sign_frame(
        Uint8Array::from(&b"not a png"[..]).into(),
        frame_options("png", true, None),
    );
    let r = push(&gate, garbage.unwrap().into()).await;
    assert_eq!(get(&r, "notDrawn").as_string().unwrap(), "decode-failed");
    assert!(shows(&canvas, RED));
    assert_eq!(
        get(&gate.stats().unwrap(), "decodeErrors").as_f64(),
        Some(1.0)
    );
}

#[wasm_bindgen_test]
async fn a_silent_camera_is_marked_not_live_until_the_next_drawn_frame() {
    let canvas = dom_canvas();
    let mut cam = JsSigner::generate().unwrap();
    let (gate, on_stall, on_resume) = stalling_gate(&canvas, &cam, 150.0);
    let before_capture = monotonic();
    push(&gate, still(&mut cam, GREEN, None).await).await;
    assert!(gate.live());
    wait_until("the gate is not live", || !gate.live()).await;
    // Not live from 150 ms after the picture's capture (or its draw, if
    // earlier), never sooner.
    assert!(monotonic() - before_capture >= 150.0);
    assert_eq!(calls(&on_stall).length(), 1, "onStall once per stall");
    let ms = Array::from(&calls(&on_stall).get(0))
        .get(0)
        .as_f64()
        .unwrap();
    assert!((0.0..10_000.0).contains(&ms), "onStall got {ms}");
    // The last picture stays, visibly dimmed.
    let pixel = centre_pixel(&canvas);
    assert!(!close_to(&pixel, GREEN, TOLERANCE), "not dimmed: {pixel:?}");
    let el: web_canvas::Element = canvas.clone().unchecked_into();
    assert_eq!(el.get_attribute("data-live").as_deref(), Some("false"));

    push(&gate, still(&mut cam, RED, None).await).await;
    assert!(gate.live());
    assert_eq!(calls(&on_resume).length(), 1);
    assert!(shows(&canvas, RED));
    assert_eq!(el.get_attribute("data-live").as_deref(), Some("true"));
}

#[wasm_bindgen_test]
async fn a_flood_of_foreign_frames_costs_one_report_per_interval() {
    let canvas = dom_canvas();
    let mut cam = JsSigner::generate().unwrap();
    let mut stranger = JsSigner::generate().unwrap();
    let on_report = recorder();
    let gate = JsFrameGate::new(
        canvas,
        cam.public_key().into(),
        obj(&[
            ("reportIntervalMs", num(300.0)),
            ("stallAfterMs", JsValue::NULL),
            ("onReport", on_report.clone().into()),
        ]),
    )
    .unwrap();
    let foreign = still(&mut stranger, BLUE, None).await;
    for _ in 0..200 {
        push(&gate, foreign.clone()).await;
    }
    push(&gate, still(&mut cam, RED, None).await).await;
    wait_until("a report came", || calls(&on_report).length() >= 1).await;
    let reports = calls(&on_report);
    assert_eq!(reports.length(), 1, "one report for the interval");
    let report = Array::from(&reports.get(0)).get(0);
    assert_eq!(
        get(&get(&report, "dropped"), "foreign-key").as_f64(),
        Some(200.0)
    );
    assert_eq!(get(&report, "accepted").as_f64(), Some(1.0));
    assert_eq!(get(&report, "drawn").as_f64(), Some(1.0));
    assert!(get(&report, "intervalMs").as_f64().unwrap() >= 300.0);
    assert_eq!(
        keys(&report),
        ["intervalMs", "accepted", "drawn", "dropped", "stalledMs"]
    );
    // Plain JSON: survives a round trip unchanged.
    let json = js_sys::JSON::stringify(&report).unwrap();
    let back = js_sys::JSON::parse(&json.as_string().unwrap()).unwrap();
    assert_eq!(js_sys::JSON::stringify(&back).unwrap(), json);
    // Nothing happens: no further report. (A wait that bounds an absence:
    // a slow machine can only make it more lenient, never fail it.)
    sleep(700.0).await;
    assert_eq!(calls(&on_report).length(), 1);
}

#[wasm_bindgen_test]
async fn bad_arguments_throw_and_the_gate_keeps_working() {
    let canvas = dom_canvas();
    let mut cam = JsSigner::generate().unwrap();
    let message = |e: JsError| get(&JsValue::from(e), "message").as_string().unwrap();
    for (target, key, options, needle) in [
        (
            Object::new().into(),
            cam.public_key().into(),
            JsValue::UNDEFINED,
            "HTMLCanvasElement or OffscreenCanvas",
        ),
        (
            canvas.clone(),
            Uint8Array::new_with_length(31).into(),
            JsValue::UNDEFINED,
            "32 bytes",
        ),
        (
            canvas.clone(),
            cam.public_key().into(),
            obj(&[("onStall", JsValue::from(5))]),
            "onStall",
        ),
    ] {
        let err = JsFrameGate::new(target, key, options).err().unwrap();
        assert!(message(err).contains(needle), "{needle}");
    }
    let gate =
        JsFrameGate::new(canvas.clone(), cam.public_key().into(), JsValue::UNDEFINED).unwrap();
    assert!(message(gate.push(JsValue::from_str("frame")).err().unwrap()).contains("Uint8Array"));
    assert!(gate.push(JsValue::NULL).is_err());
    let r = push(&gate, still(&mut cam, BLUE, None).await).await;
    assert_eq!(get(&r, "drawn"), JsValue::TRUE);
    gate.close();
    assert!(message(gate.push(still(&mut cam, RED, None).await).err().unwrap()).contains("closed"));
}

mod web_canvas {
    use alloc::string::String;
    use wasm_bindgen::prelude::*;
    #[wasm_bindgen]
    extern "C" {
        pub type Element;
        #[wasm_bindgen(method, js_name = getAttribute)]
        pub fn get_attribute(this: &Element, name: &str) -> Option<String>;
    }
}

#[wasm_bindgen_test]
async fn a_relay_delaying_every_frame_by_9_5_s_cannot_pass_old_pictures_off_as_live() {
    let canvas = dom_canvas();
    let mut cam = JsSigner::generate().unwrap();
    let (gate, on_stall, on_resume) = stalling_gate(&canvas, &cam, 3000.0);
    let el: web_canvas::Element = canvas.clone().unchecked_into();
    // Within maxAge (10 s), so every frame is accepted and drawn; but each
    // picture is 9.5 s old when it arrives.
    for rgb in [RED, GREEN, RED, GREEN] {
        let delayed = still(&mut cam, rgb, Some(now_us() - 9_500_000.0)).await;
        let r = push(&gate, delayed).await;
        assert_eq!(get(&r, "drawn"), JsValue::TRUE);
        assert!(!gate.live(), "an old picture passed for live");
        assert_eq!(el.get_attribute("data-live").as_deref(), Some("false"));
    }
    assert_eq!(calls(&on_stall).length(), 1, "onStall once");
    assert_eq!(
        calls(&on_resume).length(),
        0,
        "an old picture never resumes"
    );
    // A recent picture is live again.
    push(&gate, still(&mut cam, RED, None).await).await;
    assert!(gate.live());
    assert_eq!(calls(&on_resume).length(), 1);
    assert_eq!(el.get_attribute("data-live").as_deref(), Some("true"));
}

#[wasm_bindgen_test]
async fn push_from_inside_its_own_clock_gets_a_result_and_the_gate_can_be_freed() {
    let mut cam = JsSigner::generate().unwrap();
    let first = still(&mut cam, RED, None).await;
    let second = still(&mut cam, GREEN, None).await;
    let holder = Object::new();
    let options = obj(&[("now", clock_that_pushes(&holder))]);
    let gate: JsValue = JsFrameGate::new(offscreen_canvas(), cam.public_key().into(), options)
        .unwrap()
        .into();
    Reflect::set(&holder, &"frame".into(), &second).unwrap();
    Reflect::set(&holder, &"gate".into(), &gate).unwrap();
    let outer = call_method(&gate, "push", &first).expect("the outer push");
    let outer = settled(outer).await.unwrap();
    assert_eq!(get(&outer, "ok"), JsValue::TRUE, "the outer push");
    let inner = settled(get(&holder, "inner"))
        .await
        .expect("the inner push settles with a result");
    assert_eq!(get(&inner, "ok"), JsValue::TRUE, "the inner push");
    // The object is not left borrowed: it still verifies, and frees.
    let third = still(&mut cam, RED, None).await;
    let r = call_method(&gate, "push", &third).expect("a push after the re-entrant one");
    let r = settled(r).await.unwrap();
    assert_eq!(get(&r, "ok"), JsValue::TRUE);
    call_method(&gate, "free", &JsValue::UNDEFINED).expect("the gate can be freed");
}

#[wasm_bindgen_test]
fn gate_timers_above_what_set_timeout_takes_are_refused() {
    let cam = JsSigner::generate().unwrap();
    for (key, value) in [
        ("stallAfterMs", 2_147_483_648.0),
        ("stallAfterMs", 1e12),
        ("stallAfterMs", 0.0),
        ("reportIntervalMs", 1e12),
        ("reportIntervalMs", 0.5),
    ] {
        let err = JsFrameGate::new(
            offscreen_canvas(),
            cam.public_key().into(),
            obj(&[(key, num(value))]),
        )
        .err()
        .unwrap_or_else(|| panic!("{key} = {value} was accepted"));
        let message = get(&JsValue::from(err), "message").as_string().unwrap();
        assert!(
            message.contains(key) && message.contains("2147483647"),
            "{message}"
        );
    }
    for (key, value) in [("stallAfterMs", 2_147_483_647.0), ("reportIntervalMs", 1.0)] {
        assert!(
            JsFrameGate::new(
                offscreen_canvas(),
                cam.public_key().into(),
                obj(&[(key, num(value))]),
            )
            .is_ok()
        );
    }
}

/// The own enumerable keys of `value`, in order (a stats or report object's
/// shape, src/wasm/to_js.rs).
fn keys(value: &JsValue) -> Vec<String> {
    js_sys::Object::keys(value.unchecked_ref::<Object>())
        .iter()
        .map(|k| k.as_string().unwrap())
        .collect()
}
