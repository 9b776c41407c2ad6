//! VideoGate with real encoded video, in real browsers: the page encodes a
//! clip with WebCodecs' VideoEncoder (the linked camera's clip is red, a
//! stranger's blue), signs it with Signer, mixes in foreign, forged and
//! lost frames, and checks by pixels that only the linked camera's pictures
//! are shown and that the decoder never reports an error.
//!
//! A codec the browser cannot encode is skipped with a printed reason
//! (Debian's Chromium has no H.265 encoder, for one).
#![cfg(target_arch = "wasm32")]

extern crate alloc;

mod support;

// What the prelude has under std; tests/mvp/ compiles this file no_std.
#[allow(unused_imports)]
use alloc::{borrow::ToOwned, boxed::Box, format, string::String, string::ToString, vec, vec::Vec};
use frameseal::wasm::{JsSigner, JsVideoGate};
use js_sys::{Array, Object, Reflect, Uint8Array};
use support::js::{call_method, clock_that_pushes, close_to, get, obj, settled};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
const CONFIGS = {
  vp8: { codec: 'vp8' },
  vp9: { codec: 'vp09.00.10.08' },
  h264: { codec: 'avc1.42001f', avc: { format: 'annexb' } },
  h265: { codec: 'hev1.1.6.L93.B0', hevc: { format: 'annexb' } },
  av1: { codec: 'av01.0.04M.08' },
};
// Encodes `count` frames of a solid `rgb` picture with a moving white square;
// keyframes where `keyEvery` divides the index. Resolves to
// { chunks: [{ data, keyframe }] } or { skip: reason }.
export async function encodeClip(name, rgb, count, keyEvery) {
  if (typeof VideoEncoder !== 'function') return { skip: 'no VideoEncoder in this browser' };
  const config = { ...CONFIGS[name], width: 64, height: 48, bitrate: 400000, framerate: 30 };
  let support;
  try { support = await VideoEncoder.isConfigSupported(config); } catch (e) { return { skip: String(e) }; }
  if (!support.supported) return { skip: `this browser cannot encode ${name} (${config.codec})` };
  const chunks = [];
  let failure = null;
  const encoder = new VideoEncoder({
    output: (chunk) => { const data = new Uint8Array(chunk.byteLength); chunk.copyTo(data); chunks.push({ data, keyframe: chunk.type === 'key' }); },
    error: (e) => { failure = e; },
  });
  encoder.configure(config);
  const canvas = new OffscreenCanvas(64, 48);
  const ctx = canvas.getContext('2d');
  for (let i = 0; i < count; i++) {
    ctx.fillStyle = `rgb(${rgb[0]}, ${rgb[1]}, ${rgb[2]})`;
    ctx.fillRect(0, 0, 64, 48);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(40 + (i % 10), 30, 6, 6);
    const frame = new VideoFrame(canvas, { timestamp: i * 33333 });
    encoder.encode(frame, { keyFrame: i % keyEvery === 0 });
    frame.close();
  }
  await encoder.flush();
  encoder.close();
  if (failure) return { skip: `encoder error: ${failure}` };
  return { chunks };
}
export function domCanvas() {
  const c = document.createElement('canvas');
  c.width = 64; c.height = 48;
  document.body.appendChild(c);
  return c;
}
// The top-left corner: away from the moving square.
export function cornerPixel(canvas) {
  const d = canvas.getContext('2d').getImageData(8, 8, 1, 1).data;
  return [d[0], d[1], d[2]];
}
export function sleep(ms) { return new Promise(r => setTimeout(r, ms)); }
export function frameOptions(codec, keyframe, seq, timestampUs) {
  return { codec, keyframe, seq, timestampUs };
}
export function log(s) { console.log(s); }
"#)]
extern "C" {
    #[wasm_bindgen(js_name = encodeClip)]
    async fn encode_clip(name: &str, rgb: Vec<u8>, count: u32, key_every: u32) -> JsValue;
    #[wasm_bindgen(js_name = domCanvas)]
    fn dom_canvas() -> JsValue;
    #[wasm_bindgen(js_name = cornerPixel)]
    fn corner_pixel(canvas: &JsValue) -> Vec<u8>;
    async fn sleep(ms: f64);
    #[wasm_bindgen(js_name = frameOptions)]
    fn frame_options(codec: &str, keyframe: bool, seq: f64, timestamp_us: f64) -> JsValue;
    fn log(s: &str);
}

const RED: [u8; 3] = [255, 0, 0];
const BLUE: [u8; 3] = [0, 0, 255];

/// How far a pixel may be from its camera's colour (video codecs at this
/// bitrate move it more than a still's JPEG).
const TOLERANCE: u8 = 40;

fn number(object: &JsValue, key: &str) -> f64 {
    get(object, key)
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number"))
}

/// The signed frames of an encoded clip, seq from 0, 33 ms apart, ending now.
async fn signed_clip(
    cam: &mut JsSigner,
    codec: &str,
    rgb: [u8; 3],
    count: u32,
) -> Option<Vec<(JsValue, bool)>> {
    let clip = encode_clip(codec, rgb.to_vec(), count, 10).await;
    if let Some(reason) = get(&clip, "skip").as_string() {
        log(&format!("{codec}: skipped: {reason}"));
        return None;
    }
    let chunks = Array::from(&get(&clip, "chunks"));
    assert_eq!(chunks.length(), count, "{codec}: one chunk per frame");
    let start = js_sys::Date::now() * 1000.0 - f64::from(count) * 33_333.0;
    let frames = chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let keyframe = get(&chunk, "keyframe").as_bool().unwrap();
            let opts = frame_options(codec, keyframe, i as f64, start + i as f64 * 33_333.0);
            (
                cam.sign_frame(get(&chunk, "data"), opts).unwrap().into(),
                keyframe,
            )
        })
        .collect();
    Some(frames)
}

async fn only_the_linked_cameras_video_is_shown(codec: &str) {
    let mut cam = JsSigner::generate().unwrap();
    let mut stranger = JsSigner::generate().unwrap();
    let Some(genuine) = signed_clip(&mut cam, codec, RED, 20).await else {
        return;
    };
    let foreign = signed_clip(&mut stranger, codec, BLUE, 20).await.unwrap();
    assert!(
        genuine[0].1 && genuine[10].1,
        "{codec}: keyframes at 0 and 10"
    );

    let canvas = dom_canvas();
    let options = obj(&[("stallAfterMs", JsValue::NULL)]);
    let gate = JsVideoGate::new(canvas.clone(), cam.public_key().into(), options).unwrap();
    let push = |frame: &JsValue| {
        let promise = gate.push(frame.clone()).unwrap();
        async move { JsFuture::from(promise).await.unwrap() }
    };

    let mut foreign_pushed = 0.0;
    for (i, (frame, _)) in genuine.iter().enumerate() {
        // The stranger's frame of the same position: a cache mix-up.
        if i % 3 == 1 {
            let r = push(&foreign[i].0).await;
            assert_eq!(
                get(&r, "reason").as_string().as_deref(),
                Some("foreign-key"),
                "{codec} #{i}"
            );
            foreign_pushed += 1.0;
        }
        // A forged copy of frame 5 injected before the genuine one.
        if i == 5 {
            let forged = Uint8Array::new(frame).slice(0, Uint8Array::new(frame).length());
            forged.set_index(60, forged.get_index(60) ^ 0x08);
            let r = push(&forged.into()).await;
            assert_eq!(
                get(&r, "reason").as_string().as_deref(),
                Some("bad-signature"),
                "{codec}"
            );
        }
        // Frame 13 is lost on the network.
        if i == 13 {
            continue;
        }
        let r = push(frame).await;
        assert_eq!(get(&r, "ok"), JsValue::TRUE, "{codec} #{i}");
        let expected = if i > 13 {
            "skipped-until-keyframe"
        } else {
            "decoding"
        };
        assert_eq!(
            get(&r, "notDrawn").as_string().as_deref(),
            Some(expected),
            "{codec} #{i}"
        );
        sleep(5.0).await;
        let pixel = corner_pixel(&canvas);
        assert!(
            !close_to(&pixel, BLUE, TOLERANCE),
            "{codec} #{i}: the stranger's picture is on screen: {pixel:?}"
        );
    }
    JsFuture::from(gate.flush()).await.unwrap();
    let pixel = corner_pixel(&canvas);
    assert!(
        close_to(&pixel, RED, TOLERANCE),
        "{codec}: expected the linked camera's red, got {pixel:?}"
    );
    let stats = gate.stats().unwrap();
    assert_eq!(number(&stats, "decoderErrors"), 0.0, "{codec}");
    // Frames 14..=19 followed the lost frame 13: skipped, never decoded.
    assert_eq!(number(&stats, "skippedUntilKeyframe"), 6.0, "{codec}");
    // 0..=12: the foreign and forged frames cost no picture.
    assert_eq!(number(&stats, "drawn"), 13.0, "{codec}");
    assert_eq!(
        number(&get(&stats, "dropped"), "foreign-key"),
        foreign_pushed,
        "{codec}"
    );
    assert_eq!(number(&stats, "accepted"), 19.0, "{codec}");
    // VideoGateStats' shape: the Verifier's counts, then the gate's.
    assert_eq!(
        keys(&stats),
        [
            "accepted",
            "dropped",
            "drawn",
            "skippedUntilKeyframe",
            "decoderErrors"
        ],
        "{codec}"
    );
    gate.close();
    log(&format!("{codec}: exercised"));
}

#[wasm_bindgen_test]
async fn vp8_only_the_linked_cameras_video_is_shown() {
    only_the_linked_cameras_video_is_shown("vp8").await;
}

#[wasm_bindgen_test]
async fn vp9_only_the_linked_cameras_video_is_shown() {
    only_the_linked_cameras_video_is_shown("vp9").await;
}

#[wasm_bindgen_test]
async fn h264_only_the_linked_cameras_video_is_shown() {
    only_the_linked_cameras_video_is_shown("h264").await;
}

#[wasm_bindgen_test]
async fn h265_only_the_linked_cameras_video_is_shown() {
    only_the_linked_cameras_video_is_shown("h265").await;
}

#[wasm_bindgen_test]
async fn av1_only_the_linked_cameras_video_is_shown() {
    only_the_linked_cameras_video_is_shown("av1").await;
}

#[wasm_bindgen_test]
async fn after_a_flush_the_stream_resumes_at_the_next_keyframe() {
    let mut cam = JsSigner::generate().unwrap();
    let Some(clip) = signed_clip(&mut cam, "vp8", RED, 12).await else {
        return;
    };
    let gate = JsVideoGate::new(dom_canvas(), cam.public_key().into(), JsValue::UNDEFINED).unwrap();
    for (frame, _) in &clip[..5] {
        JsFuture::from(gate.push(frame.clone()).unwrap())
            .await
            .unwrap();
    }
    JsFuture::from(gate.flush()).await.unwrap();
    let r = JsFuture::from(gate.push(clip[5].0.clone()).unwrap())
        .await
        .unwrap();
    assert_eq!(
        get(&r, "notDrawn").as_string().as_deref(),
        Some("skipped-until-keyframe")
    );
    for (frame, _) in &clip[6..] {
        JsFuture::from(gate.push(frame.clone()).unwrap())
            .await
            .unwrap();
    }
    JsFuture::from(gate.flush()).await.unwrap();
    let stats = gate.stats().unwrap();
    assert_eq!(number(&stats, "decoderErrors"), 0.0);
    // 5..=9 wait for keyframe 10; 10 and 11 decode.
    assert_eq!(number(&stats, "skippedUntilKeyframe"), 5.0);
    assert_eq!(number(&stats, "drawn"), 7.0);
}

#[wasm_bindgen_test]
async fn stills_and_bad_arguments_are_refused_clearly() {
    let cam = JsSigner::generate().unwrap();
    let gate = JsVideoGate::new(dom_canvas(), cam.public_key().into(), JsValue::UNDEFINED).unwrap();
    let jpeg = cam
        .sign_frame(
            Uint8Array::new_with_length(4).into(),
            frame_options("jpeg", true, 0.0, js_sys::Date::now() * 1000.0),
        )
        .unwrap();
    let r = JsFuture::from(gate.push(jpeg.into()).unwrap())
        .await
        .unwrap();
    assert_eq!(
        get(&r, "notDrawn").as_string().as_deref(),
        Some("not-video")
    );
    let message = |e: JsError| get(&JsValue::from(e), "message").as_string().unwrap();
    assert!(message(gate.push(JsValue::from_str("x")).err().unwrap()).contains("Uint8Array"));
    gate.close();
    assert!(
        message(
            gate.push(Uint8Array::new_with_length(1).into())
                .err()
                .unwrap()
        )
        .contains("closed")
    );
}

#[wasm_bindgen_test]
async fn a_key_rotation_in_the_middle_of_a_gop_costs_no_picture() {
    let cam = JsSigner::generate().unwrap();
    let next = JsSigner::generate().unwrap();
    let clip = encode_clip("vp8", RED.to_vec(), 8, 100).await;
    if let Some(reason) = get(&clip, "skip").as_string() {
        log(&format!("vp8: skipped: {reason}"));
        return;
    }
    let chunks = Array::from(&get(&clip, "chunks"));
    let stream = cam.stream_id();
    let start = js_sys::Date::now() * 1000.0 - 9.0 * 33_333.0;
    let options = |keyframe: bool, seq: u32| {
        let o = frame_options(
            "vp8",
            keyframe,
            f64::from(seq),
            start + f64::from(seq) * 33_333.0,
        );
        Reflect::set(&o, &"streamId".into(), &stream).unwrap();
        o
    };
    // Frames 0..=3 by the old key (seq 0..=3), the rotation (seq 4), then
    // frames 4..=7 by the new key (seq 5..=8): one GOP, keyframe at 0.
    let mut frames: Vec<JsValue> = Vec::new();
    for i in 0..4u32 {
        let chunk = chunks.get(i);
        let key = get(&chunk, "keyframe").as_bool().unwrap();
        frames.push(
            cam.sign_frame(get(&chunk, "data"), options(key, i))
                .unwrap()
                .into(),
        );
    }
    let rotation = Object::new();
    Reflect::set(&rotation, &"streamId".into(), &stream).unwrap();
    Reflect::set(&rotation, &"seq".into(), &JsValue::from_f64(4.0)).unwrap();
    frames.push(cam.sign_rotation(&next, rotation.into()).unwrap().into());
    for i in 4..8u32 {
        let chunk = chunks.get(i);
        let key = get(&chunk, "keyframe").as_bool().unwrap();
        assert!(!key, "one GOP");
        frames.push(
            next.sign_frame(get(&chunk, "data"), options(false, i + 1))
                .unwrap()
                .into(),
        );
    }
    let gate = JsVideoGate::new(dom_canvas(), cam.public_key().into(), JsValue::UNDEFINED).unwrap();
    for (i, frame) in frames.iter().enumerate() {
        let r = JsFuture::from(gate.push(frame.clone()).unwrap())
            .await
            .unwrap();
        assert_eq!(get(&r, "ok"), JsValue::TRUE, "#{i}");
    }
    JsFuture::from(gate.flush()).await.unwrap();
    let stats = gate.stats().unwrap();
    assert_eq!(number(&stats, "skippedUntilKeyframe"), 0.0);
    assert_eq!(number(&stats, "decoderErrors"), 0.0);
    assert_eq!(number(&stats, "drawn"), 8.0);
    assert_eq!(
        gate.linked_public_key().unwrap().to_vec(),
        next.public_key().to_vec()
    );
    gate.close();
}

#[wasm_bindgen_test]
async fn push_from_inside_its_own_clock_gets_a_result_and_the_video_gate_can_be_freed() {
    let mut cam = JsSigner::generate().unwrap();
    let Some(clip) = signed_clip(&mut cam, "vp8", RED, 2).await else {
        return;
    };
    let holder = Object::new();
    let options = obj(&[("now", clock_that_pushes(&holder))]);
    let gate: JsValue = JsVideoGate::new(dom_canvas(), cam.public_key().into(), options)
        .unwrap()
        .into();
    Reflect::set(&holder, &"frame".into(), &clip[1].0).unwrap();
    Reflect::set(&holder, &"gate".into(), &gate).unwrap();
    let outer = call_method(&gate, "push", &clip[0].0).expect("the outer push");
    let outer = settled(outer).await.unwrap();
    assert_eq!(get(&outer, "ok"), JsValue::TRUE, "the outer push");
    let inner = settled(get(&holder, "inner")).await;
    let inner = inner.expect("the inner push settles with a result");
    assert!(
        get(&inner, "ok").as_bool().is_some(),
        "the inner push has a verdict"
    );
    call_method(&gate, "free", &JsValue::UNDEFINED).expect("the gate can be freed");
}

/// The chunks of an encoded clip, each sealed in-band by `cam` (seq from 0,
/// 33 ms apart, ending now), or None where the browser cannot encode it.
async fn sealed_units(
    cam: &JsSigner,
    codec: &str,
    rgb: [u8; 3],
    count: u32,
) -> Option<Vec<JsValue>> {
    let clip = encode_clip(codec, rgb.to_vec(), count, 10).await;
    if let Some(reason) = get(&clip, "skip").as_string() {
        log(&format!("{codec} units: skipped: {reason}"));
        return None;
    }
    let chunks = Array::from(&get(&clip, "chunks"));
    let start = js_sys::Date::now() * 1000.0 - f64::from(count) * 33_333.0;
    Some(
        chunks
            .iter()
            .enumerate()
            .map(|(i, chunk)| {
                let keyframe = get(&chunk, "keyframe").as_bool().unwrap();
                let opts = frame_options(codec, keyframe, i as f64, start + i as f64 * 33_333.0);
                cam.seal_unit(get(&chunk, "data"), opts).unwrap().into()
            })
            .collect(),
    )
}

#[wasm_bindgen_test]
async fn h264_units_sealed_in_band_are_shown_and_a_strangers_never() {
    let cam = JsSigner::generate().unwrap();
    let stranger = JsSigner::generate().unwrap();
    let Some(units) = sealed_units(&cam, "h264", RED, 20).await else {
        return;
    };
    let foreign = sealed_units(&stranger, "h264", BLUE, 20).await.unwrap();
    let canvas = dom_canvas();
    let options = Object::new();
    Reflect::set(&options, &"stallAfterMs".into(), &JsValue::NULL).unwrap();
    let gate = JsVideoGate::new(canvas.clone(), cam.public_key().into(), options.into()).unwrap();
    let unit_options = || {
        let o = Object::new();
        Reflect::set(&o, &"codec".into(), &"h264".into()).unwrap();
        JsValue::from(o)
    };
    let push = |unit: &JsValue| {
        let promise = gate.push_unit(unit.clone(), unit_options()).unwrap();
        async move { JsFuture::from(promise).await.unwrap() }
    };
    for (i, unit) in units.iter().enumerate() {
        if i % 4 == 2 {
            let r = push(&foreign[i]).await;
            assert_eq!(
                get(&r, "reason").as_string().as_deref(),
                Some("foreign-key"),
                "#{i}"
            );
        }
        let r = push(unit).await;
        assert_eq!(get(&r, "ok"), JsValue::TRUE, "#{i}");
        let pixel = corner_pixel(&canvas);
        assert!(
            !close_to(&pixel, BLUE, TOLERANCE),
            "#{i}: the stranger's picture is on screen: {pixel:?}"
        );
    }
    JsFuture::from(gate.flush()).await.unwrap();
    assert!(
        close_to(&corner_pixel(&canvas), RED, TOLERANCE),
        "the linked camera's picture"
    );
    let stats = gate.stats().unwrap();
    assert_eq!(number(&stats, "decoderErrors"), 0.0);
    assert_eq!(number(&stats, "drawn"), 20.0);
    assert_eq!(number(&stats, "skippedUntilKeyframe"), 0.0);
    // An unsealed unit (the relay stripped the seal): unsigned, not decoded.
    let plain = encode_clip("h264", RED.to_vec(), 1, 10).await;
    let plain = get(&Array::from(&get(&plain, "chunks")).get(0), "data");
    let r = push(&plain).await;
    assert_eq!(get(&r, "reason").as_string().as_deref(), Some("unsigned"));
    gate.close();
}

/// The own enumerable keys of `value`, in order (a stats or report object's
/// shape, src/wasm/to_js.rs).
fn keys(value: &JsValue) -> Vec<String> {
    js_sys::Object::keys(value.unchecked_ref::<Object>())
        .iter()
        .map(|k| k.as_string().unwrap())
        .collect()
}
