//! Verifier, Signer and fingerprint as JS sees them (SPEC §3–§5), through
//! the exported Rust items of `frameseal::wasm`: arguments go in as
//! `JsValue`s and the returned JS objects are inspected with `Reflect`, so
//! field names, JS types, drop-reason strings and thrown `Error` messages
//! are all checked.
//!
//! The engine is the runner's choice: `wasm-pack test --node` runs these
//! tests in Node, `WASM_BINDGEN_USE_BROWSER=1` (as `./build.sh test` sets)
//! in Chromium and Firefox, and `tests/mvp/` runs them on the WebAssembly
//! 1.0 build. What only the generated JS glue does (`initSync`, class
//! wrappers, `_assertClass`) is tested against the built package in
//! `tests/js/`.
#![cfg(target_arch = "wasm32")]

extern crate alloc;

mod support;

// What the prelude has under std; tests/mvp/ compiles this file no_std.
#[allow(unused_imports)]
use alloc::{borrow::ToOwned, boxed::Box, format, string::String, string::ToString, vec, vec::Vec};
use frameseal::DropReason;
use frameseal::wasm::{JsSigner, JsVerifier, fingerprint};
use js_sys::{Function, Object, Uint8Array};
use support::js::{
    NOW_MS, NOW_US, OrFail, STREAM, assert_throws, camera, clock, get, js, jv, num, obj, s, u8a,
};
use support::{ACCEPTED_FIELDS, unhex};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{console_log, wasm_bindgen_test};

const OTHER_STREAM: [u8; 16] = [0xB0; 16];

// RFC 8032 §7.1, TEST 1.
const RFC8032_SECRET: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const RFC8032_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
/// SPEC §5.1 fingerprint of RFC8032_PUBLIC (computed independently with
/// Python: base32(sha512(key)[:10]).lower()).
const RFC8032_FINGERPRINT: &str = "bybk-karf-ws5k-ugfa";

// ---------------------------------------------------------------- helpers

/// Every drop reason's JS name, in SPEC §3 check order: the core's list,
/// which the JS stats follow.
fn reasons() -> Vec<&'static str> {
    DropReason::ALL.iter().map(|r| r.name()).collect()
}

fn typeof_(value: &JsValue) -> String {
    value.js_typeof().as_string().expect("typeof")
}

/// The own enumerable keys of a JS object, in order.
fn keys(value: &JsValue) -> Vec<String> {
    Object::keys(value.unchecked_ref::<Object>())
        .iter()
        .map(|k| k.as_string().expect("string key"))
        .collect()
}

/// `value` as bytes; fails unless it is a Uint8Array.
fn bytes(value: &JsValue) -> Vec<u8> {
    value
        .dyn_ref::<Uint8Array>()
        .unwrap_or_else(|| panic!("expected a Uint8Array, got {value:?}"))
        .to_vec()
}

/// A clock whose first call runs `bad` (a statement that returns a bad
/// value or throws) and whose later calls return NOW_MS.
fn clock_bad_once(bad: &str) -> JsValue {
    js(&format!(
        "let calls = 0; return function () {{ calls += 1; if (calls === 1) {{ {bad} }} return 1700000000000; }};"
    ))
}

/// Header fields of a test frame.
#[derive(Clone, Copy)]
struct Spec {
    stream: [u8; 16],
    seq: u64,
    /// Capture time relative to NOW_MS.
    offset_ms: f64,
    keyframe: bool,
    end_of_stream: bool,
    codec: &'static str,
}

impl Spec {
    fn seq(seq: u64) -> Spec {
        Spec {
            stream: STREAM,
            seq,
            offset_ms: 0.0,
            keyframe: false,
            end_of_stream: false,
            codec: "opaque",
        }
    }
    fn stream(self, stream: [u8; 16]) -> Spec {
        Spec { stream, ..self }
    }
    fn at(self, offset_ms: f64) -> Spec {
        Spec { offset_ms, ..self }
    }
    fn keyframe(self) -> Spec {
        Spec {
            keyframe: true,
            ..self
        }
    }
    fn codec(self, codec: &'static str) -> Spec {
        Spec { codec, ..self }
    }
    fn options(&self) -> JsValue {
        obj(&[
            ("streamId", jv(&self.stream)),
            ("seq", num(self.seq as f64)),
            ("timestampUs", num(NOW_US + self.offset_ms * 1000.0)),
            ("keyframe", JsValue::from_bool(self.keyframe)),
            ("endOfStream", JsValue::from_bool(self.end_of_stream)),
            ("codec", s(self.codec)),
        ])
    }
}

fn sign(cam: &mut JsSigner, payload: &[u8], spec: Spec) -> Uint8Array {
    cam.sign_frame(jv(payload), spec.options())
        .or_fail("signFrame")
}

fn rotation(cam: &mut JsSigner, next: &JsSigner, seq: u64) -> Uint8Array {
    let options = obj(&[
        ("streamId", jv(&STREAM)),
        ("seq", num(seq as f64)),
        ("timestampUs", num(NOW_US)),
    ]);
    cam.sign_rotation(next, options).or_fail("signRotation")
}

/// A copy of `frame` with `edit` applied to its bytes.
fn edited(frame: &Uint8Array, edit: impl FnOnce(&mut Vec<u8>)) -> Uint8Array {
    let mut b = frame.to_vec();
    edit(&mut b);
    u8a(&b)
}

/// A verifier for `key` on the fixed clock, plus `options`.
fn verifier(key: &Uint8Array, options: &[(&str, JsValue)]) -> JsVerifier {
    let mut props = vec![("now", clock())];
    props.extend_from_slice(options);
    JsVerifier::new(key.clone().into(), obj(&props)).or_fail("valid verifier options")
}

/// Camera 1 and a verifier linked to it, with `options`.
fn linked(options: &[(&str, JsValue)]) -> (JsSigner, JsVerifier) {
    let cam = camera(1);
    let v = verifier(&cam.public_key(), options);
    (cam, v)
}

fn verify(v: &mut JsVerifier, frame: &Uint8Array) -> JsValue {
    v.verify(frame.clone().into())
        .or_fail("verify threw")
        .into()
}

/// Verifies `frame`, asserts it was accepted, returns the result object.
fn accept(v: &mut JsVerifier, frame: &Uint8Array) -> JsValue {
    let result = verify(v, frame);
    assert_eq!(
        get(&result, "ok"),
        JsValue::TRUE,
        "expected acceptance, got reason {:?}",
        get(&result, "reason")
    );
    result
}

/// Verifies `frame`, asserts it was dropped, returns the reason.
fn dropped(v: &mut JsVerifier, frame: &Uint8Array) -> String {
    let result = verify(v, frame);
    assert_eq!(get(&result, "ok"), JsValue::FALSE, "expected a drop");
    assert_eq!(
        keys(&result),
        ["ok", "reason"],
        "a drop carries only ok and reason"
    );
    get(&result, "reason").as_string().expect("reason string")
}

fn assert_drop(v: &mut JsVerifier, frame: &Uint8Array, reason: &str) {
    assert_eq!(dropped(v, frame), reason);
}

/// `(accepted, [count per reason in check order])`, checking the shape.
fn stats(v: &JsVerifier) -> (f64, Vec<f64>) {
    let st = JsValue::from(v.stats());
    assert_eq!(keys(&st), ["accepted", "dropped"]);
    let accepted = get(&st, "accepted").as_f64().expect("accepted number");
    let dropped = get(&st, "dropped");
    let reasons = reasons();
    assert_eq!(keys(&dropped), reasons, "every reason, in check order");
    let counts = reasons
        .iter()
        .map(|r| get(&dropped, r).as_f64().expect("count number"))
        .collect();
    (accepted, counts)
}

fn dropped_count(v: &JsVerifier, reason: &str) -> f64 {
    let i = reasons()
        .iter()
        .position(|r| *r == reason)
        .expect("a reason");
    stats(v).1[i]
}

/// A camera, a verifier linked to it, and the next sequence number.
struct Rig {
    cam: JsSigner,
    v: JsVerifier,
    next: u64,
}

impl Rig {
    fn new(options: &[(&str, JsValue)]) -> Rig {
        let (cam, v) = linked(options);
        Rig { cam, v, next: 0 }
    }

    /// A good frame with the next sequence number.
    fn good(&mut self) -> Uint8Array {
        self.next += 1;
        sign(&mut self.cam, b"good", Spec::seq(self.next))
    }

    /// The verifier still accepts a good frame (after a thrown error).
    fn assert_works(&mut self) {
        let frame = self.good();
        accept(&mut self.v, &frame);
    }
}

// ------------------------------------------------------ accepted results

#[wasm_bindgen_test]
fn accepted_result_has_every_field_with_its_js_type() {
    let (mut cam, mut v) = linked(&[]);
    let spec = Spec {
        stream: STREAM,
        seq: 7,
        offset_ms: -1.0,
        keyframe: true,
        end_of_stream: true,
        codec: "jpeg",
    };
    let frame = sign(&mut cam, b"\xFF\xD8jpeg bytes\xFF\xD9", spec);
    assert_eq!(frame.length(), 116 + 14);
    let r = accept(&mut v, &frame);

    let mut fields = keys(&r);
    fields.sort();
    assert_eq!(
        fields, ACCEPTED_FIELDS,
        "exactly the SPEC §4 fields (no newPublicKey on an ordinary frame)"
    );
    assert_eq!(typeof_(&get(&r, "ok")), "boolean");
    assert_eq!(bytes(&get(&r, "payload")), b"\xFF\xD8jpeg bytes\xFF\xD9");
    assert_eq!(typeof_(&get(&r, "seq")), "number");
    assert_eq!(get(&r, "seq").as_f64(), Some(7.0));
    assert_eq!(typeof_(&get(&r, "timestampUs")), "number");
    assert_eq!(get(&r, "timestampUs").as_f64(), Some(NOW_US - 1000.0));
    assert_eq!(get(&r, "keyframe"), JsValue::TRUE);
    assert_eq!(get(&r, "endOfStream"), JsValue::TRUE);
    assert_eq!(get(&r, "codec").as_string().as_deref(), Some("jpeg"));
    assert_eq!(bytes(&get(&r, "streamId")), STREAM);
    // Plain data, not wrappers around Rust objects.
    assert!(Object::is(
        &Object::get_prototype_of(&r).into(),
        &js("return Object.prototype"),
    ));
}

/// Byte arrays in a result belong to the caller: they keep their bytes
/// across later calls and are not views of the module's own memory (a view
/// of WebAssembly memory changes when Rust reuses it, lets JS write into
/// Rust's memory, and empties when the memory grows).
#[wasm_bindgen_test]
fn result_byte_arrays_are_stable_and_not_wasm_memory() {
    let mut old = camera(1);
    let new = camera(2);
    let mut v = verifier(&old.public_key(), &[]);
    let first = accept(&mut v, &sign(&mut old, b"one", Spec::seq(0)));
    let rot = accept(&mut v, &rotation(&mut old, &new, 1));
    // More calls that reuse the module's stack and heap.
    let mut other = camera(3);
    for seq in 0..5 {
        let _ = verify(&mut v, &sign(&mut other, &[seq as u8; 300], Spec::seq(seq)));
        let _ = v.stats();
    }
    let memory = wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer();
    for (name, value) in [
        ("streamId", get(&first, "streamId")),
        ("payload", get(&first, "payload")),
        ("rotation streamId", get(&rot, "streamId")),
        ("newPublicKey", get(&rot, "newPublicKey")),
    ] {
        let array: Uint8Array = value.unchecked_into();
        assert!(
            !Object::is(&array.buffer(), &memory),
            "{name} is a view of WebAssembly memory"
        );
    }
    assert_eq!(bytes(&get(&first, "streamId")), STREAM);
    assert_eq!(bytes(&get(&first, "payload")), b"one");
    assert_eq!(bytes(&get(&rot, "streamId")), STREAM);
    assert_eq!(bytes(&get(&rot, "newPublicKey")), new.public_key().to_vec());
}

#[wasm_bindgen_test]
fn flags_default_to_false() {
    let (mut cam, mut v) = linked(&[]);
    let r = accept(&mut v, &sign(&mut cam, b"", Spec::seq(0)));
    assert_eq!(get(&r, "keyframe"), JsValue::FALSE);
    assert_eq!(get(&r, "endOfStream"), JsValue::FALSE);
    assert_eq!(bytes(&get(&r, "payload")), b"", "an empty payload is fine");
    assert_eq!(get(&r, "codec").as_string().as_deref(), Some("opaque"));
}

#[wasm_bindgen_test]
fn every_codec_name_round_trips() {
    let (mut cam, mut v) = linked(&[]);
    let names = [
        "opaque", "jpeg", "png", "webp", "h264", "h265", "vp8", "vp9", "av1",
    ];
    for (seq, name) in names.into_iter().enumerate() {
        let r = accept(
            &mut v,
            &sign(&mut cam, b"x", Spec::seq(seq as u64).codec(name)),
        );
        assert_eq!(get(&r, "codec").as_string().as_deref(), Some(name));
    }
    // The tenth, key-rotation, is covered by the rotation tests.
}

#[wasm_bindgen_test]
fn payload_is_a_view_of_the_callers_bytes_even_at_an_offset() {
    let (mut cam, mut v) = linked(&[]);
    let frame = sign(&mut cam, b"payload!", Spec::seq(0));
    // The frame sits at offset 7 of a larger buffer.
    let big = Uint8Array::new_with_length(frame.length() + 20);
    big.set(&frame, 7);
    let view = big.subarray(7, 7 + frame.length());
    let r = accept(&mut v, &view);
    let payload: Uint8Array = get(&r, "payload").unchecked_into();
    assert_eq!(payload.to_vec(), b"payload!");
    assert!(Object::is(&payload.buffer(), &big.buffer()), "no copy");
    assert_eq!(payload.byte_offset(), 7 + 52);
}

#[wasm_bindgen_test]
fn payload_in_shared_memory_is_a_copy() {
    if !js("return typeof SharedArrayBuffer === 'function'").is_truthy() {
        console_log!("SharedArrayBuffer is not available here: test skipped");
        return;
    }
    let (mut cam, mut v) = linked(&[]);
    let frame = sign(&mut cam, b"shared", Spec::seq(0));
    let shared: Uint8Array = Function::new_with_args(
        "f",
        "const u = new Uint8Array(new SharedArrayBuffer(f.length)); u.set(f); return u;",
    )
    .call1(&JsValue::UNDEFINED, &frame)
    .expect("copy to a SharedArrayBuffer")
    .unchecked_into();
    let r = accept(&mut v, &shared);
    let payload: Uint8Array = get(&r, "payload").unchecked_into();
    assert_eq!(payload.to_vec(), b"shared");
    assert!(
        !payload
            .buffer()
            .is_instance_of::<js_sys::SharedArrayBuffer>(),
        "a payload checked in shared memory must be a copy"
    );
    shared.set_index(52, b'X');
    assert_eq!(payload.to_vec(), b"shared", "later writes do not reach it");
}

// ---------------------------------------------------------- drop reasons

#[wasm_bindgen_test]
fn malformed_frames() {
    let (mut cam, mut v) = linked(&[]);
    let good = sign(&mut cam, b"abc", Spec::seq(0));
    let cases: Vec<(&str, Uint8Array)> = vec![
        ("empty", u8a(&[])),
        ("magic only", u8a(b"FSEAL")),
        ("115 bytes", u8a(&good.to_vec()[..115])),
        (
            "truncated by one byte",
            edited(&good, |b| b.truncate(b.len() - 1)),
        ),
        ("one byte appended", edited(&good, |b| b.push(0))),
        ("wrong magic", edited(&good, |b| b[0] = b'X')),
        ("reserved flag bit 2", edited(&good, |b| b[6] |= 0b100)),
        ("reserved flag bit 7", edited(&good, |b| b[6] |= 0x80)),
        ("unknown codec 4", edited(&good, |b| b[7] = 4)),
        ("unknown codec 255", edited(&good, |b| b[7] = 255)),
        (
            "rotation codec, 3-byte payload",
            edited(&good, |b| b[7] = 32),
        ),
        ("payload_len one short", edited(&good, |b| b[51] -= 1)),
    ];
    for (name, frame) in &cases {
        assert_eq!(dropped(&mut v, frame), "malformed", "{name}");
    }
    assert_eq!(dropped_count(&v, "malformed"), cases.len() as f64);
    accept(&mut v, &good);
}

#[wasm_bindgen_test]
fn unsupported_version() {
    let (mut cam, mut v) = linked(&[]);
    let good = sign(&mut cam, b"abc", Spec::seq(0));
    for version in [0u8, 3, 255] {
        assert_drop(
            &mut v,
            &edited(&good, |b| b[5] = version),
            "unsupported-version",
        );
    }
    accept(&mut v, &good);
}

#[wasm_bindgen_test]
fn too_large() {
    let mut cam = camera(1);
    // Default maximum: a header declaring a 4 GiB payload, 119 bytes present.
    let mut v = verifier(&cam.public_key(), &[]);
    let good = sign(&mut cam, b"abc", Spec::seq(0));
    let huge = edited(&good, |b| b[48..52].copy_from_slice(&[0xFF; 4]));
    assert_drop(&mut v, &huge, "too-large");

    // A configured maximum: frames longer than the largest acceptable one
    // are judged from their header alone.
    let mut v = verifier(&cam.public_key(), &[("maxPayloadBytes", num(3.0))]);
    let four = sign(&mut cam, b"four", Spec::seq(1));
    assert_drop(&mut v, &four, "too-large");
    assert_drop(&mut v, &edited(&four, |b| b[0] = b'X'), "malformed");
    assert_drop(&mut v, &edited(&four, |b| b[5] = 3), "unsupported-version");
    // Header says 3 bytes (allowed) but the frame is one byte longer.
    assert_drop(&mut v, &edited(&four, |b| b[51] = 3), "malformed");
    let big = sign(&mut cam, &[7; 100_000], Spec::seq(2));
    assert_drop(&mut v, &big, "too-large");
    // Exactly the maximum passes.
    accept(&mut v, &sign(&mut cam, b"abc", Spec::seq(3)));
    assert_eq!(dropped_count(&v, "too-large"), 2.0);
}

#[wasm_bindgen_test]
fn foreign_key() {
    let mut cam = camera(1);
    let mut stranger = camera(2);
    let mut v = verifier(&cam.public_key(), &[]);
    assert_drop(
        &mut v,
        &sign(&mut stranger, b"x", Spec::seq(0)),
        "foreign-key",
    );
    accept(&mut v, &sign(&mut cam, b"x", Spec::seq(0)));
}

#[wasm_bindgen_test]
fn bad_signature() {
    let (mut cam, mut v) = linked(&[]);
    let good = sign(&mut cam, b"abc", Spec::seq(5));
    let last = good.length() as usize - 1;
    let cases = [
        edited(&good, |b| b[52] ^= 1),        // payload
        edited(&good, |b| b[39] ^= 1),        // seq
        edited(&good, |b| b[47] ^= 1),        // timestamp
        edited(&good, |b| b[20] ^= 1),        // stream id
        edited(&good, |b| b[6] ^= 1),         // keyframe flag
        edited(&good, |b| b[7] = 1),          // codec
        edited(&good, |b| b[last - 40] ^= 1), // R
        edited(&good, |b| b[last] ^= 0x10),   // S, made non-canonical
        edited(&good, |b| b[last - 63..].fill(0)),
    ];
    for frame in &cases {
        assert_drop(&mut v, frame, "bad-signature");
    }
    // No forged frame moved the window or pinned a stream.
    accept(&mut v, &good);
}

#[wasm_bindgen_test]
fn wrong_stream_with_a_chosen_stream_id() {
    let (mut cam, mut v) = linked(&[("streamId", jv(&STREAM))]);
    let other = Spec::seq(0).stream(OTHER_STREAM);
    assert_drop(&mut v, &sign(&mut cam, b"x", other), "wrong-stream");
    // Not even a newer keyframe of another stream.
    let restart = Spec::seq(0).stream(OTHER_STREAM).keyframe().at(1000.0);
    assert_drop(&mut v, &sign(&mut cam, b"x", restart), "wrong-stream");
    let r = accept(&mut v, &sign(&mut cam, b"x", Spec::seq(0)));
    assert_eq!(bytes(&get(&r, "streamId")), STREAM);
}

#[wasm_bindgen_test]
fn the_first_stream_is_pinned_and_a_newer_keyframe_restarts() {
    let (mut cam, mut v) = linked(&[]);
    accept(&mut v, &sign(&mut cam, b"x", Spec::seq(10).at(-10.0)));
    let other = Spec::seq(0).stream(OTHER_STREAM);
    assert_drop(&mut v, &sign(&mut cam, b"x", other.at(1.0)), "wrong-stream");
    // A keyframe no newer than every accepted frame is no restart.
    let old_keyframe = other.keyframe().at(-10.0);
    assert_drop(&mut v, &sign(&mut cam, b"x", old_keyframe), "wrong-stream");
    // A newer keyframe is: it re-pins and resets the replay window.
    accept(&mut v, &sign(&mut cam, b"x", other.keyframe().at(-5.0)));
    accept(
        &mut v,
        &sign(&mut cam, b"x", Spec { seq: 1, ..other }.at(-4.0)),
    );
    let back = Spec::seq(11).at(-3.0);
    assert_drop(&mut v, &sign(&mut cam, b"x", back), "wrong-stream");
    assert_eq!(dropped_count(&v, "wrong-stream"), 3.0);
}

#[wasm_bindgen_test]
fn stale_and_future_at_the_boundaries() {
    let mut cam = camera(1);
    // Defaults (maxAge 10 s, maxFutureSkew 5 s), then maxAge 100 ms and
    // maxFutureSkew 1 ms: one past each limit is dropped, each limit passes.
    let cases = [
        (vec![], 10_000.0, 5_000.0),
        (
            vec![("maxAgeMs", num(100.0)), ("maxFutureSkewMs", num(1.0))],
            100.0,
            1.0,
        ),
    ];
    for (options, max_age, max_skew) in cases {
        let mut v = verifier(&cam.public_key(), &options);
        let past_age = sign(&mut cam, b"x", Spec::seq(0).at(-max_age - 1.0));
        assert_drop(&mut v, &past_age, "stale");
        let past_skew = sign(&mut cam, b"x", Spec::seq(1).at(max_skew + 1.0));
        assert_drop(&mut v, &past_skew, "future");
        accept(&mut v, &sign(&mut cam, b"x", Spec::seq(2).at(-max_age)));
        accept(&mut v, &sign(&mut cam, b"x", Spec::seq(3).at(max_skew)));
    }
}

#[wasm_bindgen_test]
fn null_switches_the_time_checks_off() {
    let mut cam = camera(1);
    let mut v = verifier(
        &cam.public_key(),
        &[
            ("maxAgeMs", JsValue::NULL),
            ("maxFutureSkewMs", JsValue::NULL),
        ],
    );
    let year_ms = 365.0 * 24.0 * 3600.0 * 1000.0;
    accept(&mut v, &sign(&mut cam, b"x", Spec::seq(0).at(-year_ms)));
    accept(&mut v, &sign(&mut cam, b"x", Spec::seq(1).at(year_ms)));
    // Timestamp 0 (1970) too.
    let epoch = cam
        .sign_frame(
            jv(b"x"),
            obj(&[
                ("streamId", jv(&STREAM)),
                ("seq", num(2.0)),
                ("timestampUs", num(0.0)),
            ]),
        )
        .or_fail("signFrame");
    accept(&mut v, &epoch);

    // Only one of them off.
    let mut v = verifier(&cam.public_key(), &[("maxAgeMs", JsValue::NULL)]);
    accept(&mut v, &sign(&mut cam, b"x", Spec::seq(0).at(-year_ms)));
    assert_drop(
        &mut v,
        &sign(&mut cam, b"x", Spec::seq(1).at(year_ms)),
        "future",
    );
}

#[wasm_bindgen_test]
fn replayed_and_the_replay_window() {
    let (mut cam, mut v) = linked(&[]);
    let f100 = sign(&mut cam, b"x", Spec::seq(100));
    accept(&mut v, &f100);
    assert_drop(&mut v, &f100, "replayed");
    // Default window 64: 100 - 36 = 64 is outside, 37 inside.
    assert_drop(&mut v, &sign(&mut cam, b"x", Spec::seq(36)), "replayed");
    accept(&mut v, &sign(&mut cam, b"x", Spec::seq(37)));
    accept(&mut v, &sign(&mut cam, b"x", Spec::seq(99)));
    assert_drop(&mut v, &sign(&mut cam, b"x", Spec::seq(99)), "replayed");
    assert_eq!(dropped_count(&v, "replayed"), 3.0);

    // Window 0: strictly increasing.
    let mut v = verifier(&cam.public_key(), &[("replayWindow", num(0.0))]);
    accept(&mut v, &sign(&mut cam, b"x", Spec::seq(5)));
    assert_drop(&mut v, &sign(&mut cam, b"x", Spec::seq(4)), "replayed");
    assert_drop(&mut v, &sign(&mut cam, b"x", Spec::seq(5)), "replayed");
    accept(&mut v, &sign(&mut cam, b"x", Spec::seq(7)));
}

// ------------------------------------------------------------- rotation

#[wasm_bindgen_test]
fn rotation_end_to_end() {
    let mut old = camera(1);
    let mut new = camera(2);
    let old_key = old.public_key().to_vec();
    let new_key = new.public_key().to_vec();
    let mut v = verifier(&old.public_key(), &[]);
    assert_eq!(v.linked_public_key().to_vec(), old_key);

    accept(&mut v, &sign(&mut old, b"x", Spec::seq(0)));
    let rot = rotation(&mut old, &new, 1);
    assert_eq!(rot.length(), 116 + 96);
    let r = accept(&mut v, &rot);
    assert_eq!(
        get(&r, "codec").as_string().as_deref(),
        Some("key-rotation")
    );
    assert_eq!(get(&r, "keyframe"), JsValue::FALSE);
    assert_eq!(get(&r, "endOfStream"), JsValue::FALSE);
    assert_eq!(get(&r, "seq").as_f64(), Some(1.0));
    let new_public_key = get(&r, "newPublicKey");
    assert!(new_public_key.is_instance_of::<Uint8Array>());
    assert_eq!(bytes(&new_public_key), new_key);
    let payload = bytes(&get(&r, "payload"));
    assert_eq!(payload.len(), 96);
    assert_eq!(payload[..32], new_key[..]);

    assert_eq!(v.linked_public_key().to_vec(), new_key);
    // The getter hands out a copy.
    v.linked_public_key().fill(0, 0, 32);
    assert_eq!(v.linked_public_key().to_vec(), new_key);

    // The old key's frames are now foreign, the rotation frame too.
    assert_drop(&mut v, &sign(&mut old, b"x", Spec::seq(2)), "foreign-key");
    assert_drop(&mut v, &rot, "foreign-key");
    // The stream pin and replay window carried over.
    assert_drop(&mut v, &sign(&mut new, b"x", Spec::seq(1)), "replayed");
    let other = Spec::seq(9).stream(OTHER_STREAM);
    assert_drop(&mut v, &sign(&mut new, b"x", other), "wrong-stream");
    accept(&mut v, &sign(&mut new, b"x", Spec::seq(2)));
    let (accepted, _) = stats(&v);
    assert_eq!(accepted, 3.0);
}

#[wasm_bindgen_test]
fn rotation_refused_when_not_allowed() {
    let mut old = camera(1);
    let new = camera(2);
    let mut v = verifier(&old.public_key(), &[("allowRotation", JsValue::FALSE)]);
    accept(&mut v, &sign(&mut old, b"x", Spec::seq(0)));
    assert_drop(&mut v, &rotation(&mut old, &new, 1), "bad-rotation");
    assert_eq!(v.linked_public_key().to_vec(), old.public_key().to_vec());
    // The refused frame changed nothing: its seq is still free.
    accept(&mut v, &sign(&mut old, b"x", Spec::seq(1)));
    assert_eq!(dropped_count(&v, "bad-rotation"), 1.0);

    // allowRotation: true is the default, and may be given.
    let mut v = verifier(&old.public_key(), &[("allowRotation", JsValue::TRUE)]);
    accept(&mut v, &rotation(&mut old, &new, 2));
}

#[wasm_bindgen_test]
fn bad_rotation_payloads() {
    let mut old = camera(1);
    let new = camera(2);
    let mut third = camera(3);
    let old_key = old.public_key().to_vec();
    let new_key = new.public_key().to_vec();
    let valid = bytes(&get(
        &accept(
            &mut verifier(&old.public_key(), &[]),
            &rotation(&mut old, &new, 0),
        ),
        "payload",
    ));
    // A proof made for another old key (third -> new) does not transfer.
    let foreign_proof = bytes(&get(
        &accept(
            &mut verifier(&third.public_key(), &[]),
            &rotation(&mut third, &new, 0),
        ),
        "payload",
    ));
    let with_key = |key: &[u8], proof: &[u8]| [key, proof].concat();
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut not_a_point = [0u8; 32];
    not_a_point[0] = 2;
    let cases: Vec<(&str, Vec<u8>, bool)> = vec![
        ("all zero (small-order key)", vec![0; 96], false),
        ("identity key", with_key(&identity, &valid[32..]), false),
        ("not a point", with_key(&not_a_point, &valid[32..]), false),
        (
            "the linked key itself",
            with_key(&old_key, &valid[32..]),
            false,
        ),
        ("zero proof", with_key(&new_key, &[0; 64]), false),
        ("proof for another old key", foreign_proof, false),
        (
            "flipped proof bit",
            {
                let mut p = valid.clone();
                p[40] ^= 1;
                p
            },
            false,
        ),
        ("valid payload with the KEYFRAME flag", valid.clone(), true),
    ];
    let mut v = verifier(&old.public_key(), &[]);
    accept(&mut v, &sign(&mut old, b"x", Spec::seq(100)));
    for (i, (name, payload, keyframe)) in cases.iter().enumerate() {
        let mut spec = Spec::seq(101 + i as u64).codec("key-rotation");
        spec.keyframe = *keyframe;
        let frame = sign(&mut old, payload, spec);
        assert_eq!(dropped(&mut v, &frame), "bad-rotation", "{name}");
        assert_eq!(v.linked_public_key().to_vec(), old_key, "{name}");
    }
    assert_eq!(dropped_count(&v, "bad-rotation"), cases.len() as f64);
    // The valid payload, signed as a rotation frame, is accepted.
    let frame = sign(&mut old, &valid, Spec::seq(200).codec("key-rotation"));
    let r = accept(&mut v, &frame);
    assert_eq!(bytes(&get(&r, "newPublicKey")), new_key);
}

// ---------------------------------------------------------------- stats

#[wasm_bindgen_test]
fn stats_count_every_reason() {
    let mut cam = camera(1);
    let mut stranger = camera(2);
    let next = camera(3);
    let mut v = verifier(
        &cam.public_key(),
        &[("streamId", jv(&STREAM)), ("maxPayloadBytes", num(1000.0))],
    );
    let (accepted, counts) = stats(&v);
    assert_eq!((accepted, counts), (0.0, vec![0.0; DropReason::ALL.len()]));

    let good = sign(&mut cam, b"x", Spec::seq(1));
    accept(&mut v, &good);
    // Every reason a frame can get; `unsigned` is for in-band units (the
    // gates' video and JPEG units), never a frame, and stays at 0.
    let frames: [(&str, Uint8Array); 10] = [
        ("malformed", u8a(b"nonsense")),
        ("unsupported-version", edited(&good, |b| b[5] = 9)),
        ("too-large", sign(&mut cam, &[0; 1001], Spec::seq(2))),
        ("foreign-key", sign(&mut stranger, b"x", Spec::seq(2))),
        ("bad-signature", edited(&good, |b| b[52] ^= 1)),
        (
            "wrong-stream",
            sign(&mut cam, b"x", Spec::seq(2).stream(OTHER_STREAM)),
        ),
        ("stale", sign(&mut cam, b"x", Spec::seq(2).at(-60_000.0))),
        ("future", sign(&mut cam, b"x", Spec::seq(2).at(60_000.0))),
        ("replayed", good.clone()),
        (
            "bad-rotation",
            sign(&mut cam, &[0; 96], Spec::seq(2).codec("key-rotation")),
        ),
    ];
    for (i, (reason, frame)) in frames.iter().enumerate() {
        // Reason i is dropped i + 1 times.
        for _ in 0..=i {
            assert_drop(&mut v, frame, reason);
        }
    }
    accept(&mut v, &rotation(&mut cam, &next, 2));
    let (accepted, counts) = stats(&v);
    assert_eq!(accepted, 2.0);
    let want: Vec<f64> = reasons()
        .iter()
        .map(|r| {
            frames
                .iter()
                .position(|(name, _)| name == r)
                .map_or(0, |i| i + 1) as f64
        })
        .collect();
    assert_eq!(counts, want);
    // Plain JSON data.
    let json = js_sys::JSON::stringify(&JsValue::from(v.stats()))
        .expect("stringify")
        .as_string()
        .expect("string");
    assert_eq!(
        json,
        r#"{"accepted":2,"dropped":{"malformed":1,"unsupported-version":2,"unsigned":0,"too-large":3,"foreign-key":4,"bad-signature":5,"wrong-stream":6,"stale":7,"future":8,"replayed":9,"bad-rotation":10}}"#
    );
}

#[wasm_bindgen_test]
fn a_mixed_run_adds_up() {
    let mut cam = camera(1);
    let mut stranger = camera(2);
    let mut v = verifier(&cam.public_key(), &[]);
    let mut expected = vec![0f64; DropReason::ALL.len()];
    let mut accepted = 0.0;
    for i in 0..300u64 {
        let (frame, reason) = match i % 5 {
            0 => (sign(&mut cam, b"frame", Spec::seq(i)), None),
            1 => (
                sign(&mut stranger, b"frame", Spec::seq(i)),
                Some(DropReason::ForeignKey),
            ),
            2 => (
                edited(&sign(&mut cam, b"frame", Spec::seq(i)), |b| b[53] ^= 4),
                Some(DropReason::BadSignature),
            ),
            3 => (
                sign(&mut cam, b"frame", Spec::seq(i - 3)),
                Some(DropReason::Replayed),
            ),
            _ => (u8a(&[i as u8; 3]), Some(DropReason::Malformed)),
        };
        let result = verify(&mut v, &frame);
        match reason {
            None => {
                assert_eq!(get(&result, "ok"), JsValue::TRUE, "frame {i}");
                accepted += 1.0;
            }
            Some(r) => {
                assert_eq!(
                    get(&result, "reason").as_string().as_deref(),
                    Some(r.name())
                );
                let index = DropReason::ALL.iter().position(|&x| x == r);
                expected[index.expect("a reason")] += 1.0;
            }
        }
    }
    assert_eq!(stats(&v), (accepted, expected.clone()));
    assert_eq!(accepted + expected.iter().sum::<f64>(), 300.0);
}

#[wasm_bindgen_test]
fn a_batch_gets_the_verdicts_and_state_of_one_by_one() {
    let mut cam = camera(1);
    let mut stranger = camera(2);
    let mut next = camera(3);
    let mut burst = Vec::new();
    for i in 0..60u64 {
        burst.push(match i % 6 {
            0 | 1 => sign(&mut cam, &[i as u8; 40], Spec::seq(i)),
            2 => sign(&mut stranger, b"frame", Spec::seq(i)),
            3 => edited(&sign(&mut cam, b"frame", Spec::seq(i)), |b| b[60] ^= 1),
            4 => sign(&mut cam, b"frame", Spec::seq(i - 3)),
            _ => sign(&mut cam, b"frame", Spec::seq(i).at(-60_000.0)),
        });
    }
    // A rotation mid-burst: later frames of the old key are foreign, the
    // new key's are accepted, exactly as one by one.
    burst.push(rotation(&mut cam, &next, 60));
    burst.push(sign(&mut cam, b"old key", Spec::seq(61)));
    burst.push(sign(&mut next, b"new key", Spec::seq(62)));
    burst.push(sign(&mut next, b"new key", Spec::seq(62)));

    let mut one = verifier(&cam.public_key(), &[]);
    let singles: Vec<JsValue> = burst.iter().map(|f| verify(&mut one, f)).collect();
    let mut batch = verifier(&cam.public_key(), &[]);
    let list = js_sys::Array::new();
    for f in &burst {
        list.push(f);
    }
    let results = batch.verify_batch(list.into()).or_fail("verifyBatch");
    assert_eq!(results.length() as usize, burst.len());
    let mut reasons = alloc::collections::BTreeSet::new();
    for (i, single) in singles.iter().enumerate() {
        let b = results.get(i as u32);
        assert_eq!(keys(&b), keys(single), "frame {i}");
        assert_eq!(get(&b, "ok"), get(single, "ok"), "frame {i}");
        assert_eq!(get(&b, "reason"), get(single, "reason"), "frame {i}");
        if get(&b, "ok") == JsValue::TRUE {
            assert_eq!(bytes(&get(&b, "payload")), bytes(&get(single, "payload")));
            assert_eq!(get(&b, "seq"), get(single, "seq"));
        } else {
            reasons.insert(get(&b, "reason").as_string().unwrap_or_default());
        }
    }
    // The burst covered every kind of verdict it was built to.
    let want = ["bad-signature", "foreign-key", "replayed", "stale"];
    assert!(want.iter().all(|r| reasons.contains(*r)), "{reasons:?}");
    assert_eq!(stats(&batch), stats(&one));
    assert_eq!(
        bytes(&batch.linked_public_key().into()),
        next.public_key().to_vec()
    );
    // The state ended the same: the next frame gets one verdict from both.
    let after = sign(&mut next, b"after", Spec::seq(63));
    assert_eq!(get(&verify(&mut one, &after), "ok"), JsValue::TRUE);
    assert_eq!(get(&verify(&mut batch, &after), "ok"), JsValue::TRUE);
}

#[wasm_bindgen_test]
fn a_bad_batch_argument_throws_before_any_frame_counts() {
    let (mut cam, mut v) = linked(&[]);
    let good = sign(&mut cam, b"frame", Spec::seq(0));
    assert_throws(
        v.verify_batch(good.clone().into()),
        &["frames must be an array", "Uint8Array"],
    );
    assert_throws(
        v.verify_batch(JsValue::NULL),
        &["frames must be an array", "null"],
    );
    let list = js_sys::Array::of2(&good, &JsValue::from_str("frame"));
    assert_throws(
        v.verify_batch(list.into()),
        &["frames[1] must be a Uint8Array", "string"],
    );
    let sparse = js("return new Array(4294967295)");
    assert_throws(v.verify_batch(sparse), &["frames[0] must be a Uint8Array"]);
    assert_eq!(stats(&v), (0.0, vec![0.0; DropReason::ALL.len()]));
    // Nothing moved: the frame is still new.
    assert_eq!(get(&verify(&mut v, &good), "ok"), JsValue::TRUE);
    let empty = v
        .verify_batch(js_sys::Array::new().into())
        .or_fail("an empty batch");
    assert_eq!(empty.length(), 0);
}

// ------------------------------------------------------ linking, errors

#[wasm_bindgen_test]
fn linking_refuses_bad_keys_and_says_why() {
    let opts = || JsValue::UNDEFINED;
    let mut identity = [0u8; 32];
    identity[0] = 1;
    // (0, -1), the point of order 2: y = p - 1.
    let mut order_two = [0xFFu8; 32];
    order_two[0] = 0xEC;
    order_two[31] = 0x7F;
    let mut not_a_point = [0u8; 32];
    not_a_point[0] = 2;
    // p + 3: the point y = 3 spelled with y ≥ p (RFC 8032 decoding fails).
    let mut non_canonical = [0xFFu8; 32];
    non_canonical[0] = 0xF0;
    non_canonical[31] = 0x7F;
    let cases: Vec<(JsValue, Vec<&str>)> = vec![
        (jv(&[9; 31]), vec!["linkedPublicKey", "32 bytes", "31"]),
        (jv(&[9; 33]), vec!["linkedPublicKey", "32 bytes", "33"]),
        (jv(&[]), vec!["linkedPublicKey", "32 bytes", "0"]),
        (jv(&[0; 32]), vec!["linkedPublicKey", "small-order"]),
        (jv(&identity), vec!["linkedPublicKey", "small-order"]),
        (jv(&order_two), vec!["linkedPublicKey", "small-order"]),
        (
            jv(&not_a_point),
            vec!["linkedPublicKey", "not a valid Ed25519 curve point"],
        ),
        (
            jv(&non_canonical),
            vec![
                "linkedPublicKey",
                "not a valid Ed25519 curve point",
                "non-canonical",
            ],
        ),
        (
            s("d75a980182b10ab7d54bfed3c964073a"),
            vec!["linkedPublicKey must be a Uint8Array", "string"],
        ),
        (
            JsValue::NULL,
            vec!["linkedPublicKey must be a Uint8Array", "null"],
        ),
        (
            JsValue::UNDEFINED,
            vec!["linkedPublicKey must be a Uint8Array", "undefined"],
        ),
        (
            js("return new Array(32).fill(1)"),
            vec!["linkedPublicKey must be a Uint8Array", "array"],
        ),
        (
            js("return new ArrayBuffer(32)"),
            vec!["linkedPublicKey must be a Uint8Array"],
        ),
    ];
    for (key, needles) in cases {
        assert_throws(JsVerifier::new(key, opts()), &needles);
    }
    // And the module keeps working.
    let mut rig = Rig::new(&[]);
    rig.assert_works();
}

#[wasm_bindgen_test]
fn options_are_checked_key_by_key() {
    let key: JsValue = camera(1).public_key().into();
    let getter_throws = js(
        "return Object.defineProperty({}, 'maxAgeMs', { enumerable: true, get() { throw new Error('getter'); } })",
    );
    let cases: Vec<(JsValue, Vec<&str>)> = vec![
        (
            obj(&[("maxAge", num(1.0))]),
            vec!["unknown option options.maxAge", "maxAgeMs"],
        ),
        (
            obj(&[("now", clock()), ("replaywindow", num(1.0))]),
            vec!["options.replaywindow"],
        ),
        (
            obj(&[("maxAgeMs", s("10000"))]),
            vec!["options.maxAgeMs", "number", "\"10000\""],
        ),
        (
            obj(&[("maxAgeMs", num(-1.0))]),
            vec!["options.maxAgeMs", "-1"],
        ),
        (
            obj(&[("maxAgeMs", num(f64::NAN))]),
            vec!["options.maxAgeMs", "NaN"],
        ),
        (
            obj(&[("maxAgeMs", num(f64::INFINITY))]),
            vec!["options.maxAgeMs"],
        ),
        (obj(&[("maxAgeMs", num(1e13))]), vec!["options.maxAgeMs"]),
        (
            obj(&[("maxAgeMs", JsValue::TRUE)]),
            vec!["options.maxAgeMs", "boolean"],
        ),
        (
            obj(&[("maxFutureSkewMs", num(-5.0))]),
            vec!["options.maxFutureSkewMs"],
        ),
        (
            obj(&[("maxFutureSkewMs", s("5s"))]),
            vec!["options.maxFutureSkewMs"],
        ),
        (
            obj(&[("replayWindow", num(1.5))]),
            vec!["options.replayWindow", "integer", "1.5"],
        ),
        (
            obj(&[("replayWindow", num(65537.0))]),
            vec!["options.replayWindow", "65536"],
        ),
        (
            obj(&[("replayWindow", num(1e12))]),
            vec!["options.replayWindow"],
        ),
        (
            obj(&[("replayWindow", num(-1.0))]),
            vec!["options.replayWindow"],
        ),
        (
            obj(&[("replayWindow", JsValue::NULL)]),
            vec!["options.replayWindow"],
        ),
        (
            obj(&[("replayWindow", s("64"))]),
            vec!["options.replayWindow"],
        ),
        (
            obj(&[("maxPayloadBytes", num(-1.0))]),
            vec!["options.maxPayloadBytes"],
        ),
        (
            obj(&[("maxPayloadBytes", num(4294967296.0))]),
            vec!["options.maxPayloadBytes"],
        ),
        (
            obj(&[("maxPayloadBytes", num(0.5))]),
            vec!["options.maxPayloadBytes"],
        ),
        (
            obj(&[("maxPayloadBytes", JsValue::NULL)]),
            vec!["options.maxPayloadBytes"],
        ),
        (
            obj(&[("streamId", jv(&[1; 15]))]),
            vec!["options.streamId", "16 bytes", "Uint8Array(15)"],
        ),
        (
            obj(&[("streamId", jv(&[1; 17]))]),
            vec!["options.streamId", "Uint8Array(17)"],
        ),
        (
            obj(&[("streamId", s("5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"))]),
            vec!["options.streamId"],
        ),
        (
            obj(&[("streamId", js("return new Array(16).fill(0)"))]),
            vec!["options.streamId", "array"],
        ),
        (
            obj(&[("allowRotation", s("yes"))]),
            vec!["options.allowRotation", "boolean"],
        ),
        (
            obj(&[("allowRotation", num(1.0))]),
            vec!["options.allowRotation", "boolean"],
        ),
        (
            obj(&[("now", num(NOW_MS))]),
            vec!["options.now", "function"],
        ),
        (
            obj(&[("now", s("Date.now"))]),
            vec!["options.now", "function"],
        ),
        (s("{}"), vec!["options must be an object", "string"]),
        (num(5.0), vec!["options must be an object", "number"]),
        (JsValue::TRUE, vec!["options must be an object", "boolean"]),
        (js("return []"), vec!["options must be an object", "array"]),
        (clock(), vec!["options must be an object", "function"]),
        (getter_throws, vec!["options.maxAgeMs", "threw"]),
    ];
    for (options, needles) in cases {
        assert_throws(JsVerifier::new(key.clone(), options), &needles);
    }
    // Limits themselves are fine, and so are absent options.
    let fine = [
        JsValue::UNDEFINED,
        JsValue::NULL,
        obj(&[]),
        obj(&[("replayWindow", num(65536.0))]),
        obj(&[
            ("maxAgeMs", num(1.0)),
            ("maxFutureSkewMs", num(2147483647.0)),
        ]),
        obj(&[("maxPayloadBytes", num(0.0))]),
        obj(&[("maxPayloadBytes", num(4294967295.0))]),
        obj(&[
            ("streamId", JsValue::UNDEFINED),
            ("now", JsValue::UNDEFINED),
        ]),
    ];
    for options in fine {
        assert!(JsVerifier::new(key.clone(), options).is_ok());
    }
    let mut rig = Rig::new(&[]);
    rig.assert_works();
}

#[wasm_bindgen_test]
fn verify_refuses_non_bytes_and_keeps_working() {
    let mut rig = Rig::new(&[]);
    rig.assert_works();
    let cases: Vec<(JsValue, &str)> = vec![
        (s("FSEAL"), "string"),
        (JsValue::NULL, "null"),
        (JsValue::UNDEFINED, "undefined"),
        (num(116.0), "number"),
        (js("return [70, 83, 69, 65, 76]"), "array"),
        (js("return new ArrayBuffer(116)"), "object"),
        (js("return new Uint16Array(58)"), "object"),
        (js("return new DataView(new ArrayBuffer(116))"), "object"),
        (obj(&[("length", num(116.0))]), "object"),
    ];
    for (value, kind) in cases {
        let before = stats(&rig.v);
        assert_throws(rig.v.verify(value), &["frame must be a Uint8Array", kind]);
        assert_eq!(stats(&rig.v), before, "a thrown call counts nothing");
        rig.assert_works();
    }
}

#[wasm_bindgen_test]
fn a_failing_clock_throws_and_changes_nothing() {
    let bad_clocks: [(&str, &[&str]); 7] = [
        ("return 'soon';", &["options.now()", "finite number"]),
        ("return NaN;", &["options.now()", "finite number"]),
        ("return Infinity;", &["options.now()", "finite number"]),
        ("return undefined;", &["options.now()", "finite number"]),
        (
            "return 1700000000000n;",
            &["options.now()", "finite number"],
        ),
        (
            "return new Date(1700000000000);",
            &["options.now()", "finite number"],
        ),
        ("throw new Error('clock broke');", &["options.now() threw"]),
    ];
    for (bad, needles) in bad_clocks {
        let mut rig = Rig::new(&[("now", clock_bad_once(bad))]);
        let frame = rig.good();
        assert_throws(rig.v.verify(frame.clone().into()), needles);
        assert_eq!(
            stats(&rig.v),
            (0.0, vec![0.0; DropReason::ALL.len()]),
            "{bad}: nothing counted"
        );
        // The same frame is not a replay: the throw changed no state.
        accept(&mut rig.v, &frame);
        rig.assert_works();
    }
}

#[wasm_bindgen_test]
fn the_default_clock_is_date_now() {
    let mut cam = camera(1);
    let mut v = JsVerifier::new(cam.public_key().into(), JsValue::UNDEFINED).or_fail("defaults");
    // Without timestampUs a signer stamps frames with Date.now().
    let now_frame = cam.sign_frame(jv(b"x"), JsValue::UNDEFINED).or_fail("sign");
    accept(&mut v, &now_frame);
    // The fixed test instant is years ago.
    assert_drop(&mut v, &sign(&mut cam, b"x", Spec::seq(0)), "wrong-stream");
    let stale = cam
        .sign_frame(jv(b"x"), obj(&[("timestampUs", num(NOW_US))]))
        .or_fail("sign");
    assert_drop(&mut v, &stale, "stale");
}

// ---------------------------------------------------------- fingerprint

#[wasm_bindgen_test]
fn fingerprint_format_and_value() {
    assert_eq!(
        fingerprint(jv(&unhex(RFC8032_PUBLIC))).ok().as_deref(),
        Some(RFC8032_FINGERPRINT)
    );
    for seed in 1..=20u8 {
        let fp = fingerprint(camera(seed).public_key().into()).or_fail("fp");
        let groups: Vec<&str> = fp.split('-').collect();
        assert_eq!(groups.len(), 4, "{fp}");
        for g in groups {
            assert_eq!(g.len(), 4, "{fp}");
            assert!(
                g.bytes()
                    .all(|c| c.is_ascii_lowercase() || (b'2'..=b'7').contains(&c)),
                "{fp}"
            );
        }
    }
    assert_throws(
        fingerprint(s("x")),
        &["publicKey must be a Uint8Array", "string"],
    );
    assert_throws(
        fingerprint(JsValue::NULL),
        &["publicKey must be a Uint8Array", "null"],
    );
    assert_throws(
        fingerprint(jv(&[0; 31])),
        &["publicKey must be 32 bytes", "31"],
    );
    assert_throws(
        fingerprint(js("return new Array(32).fill(0)")),
        &["publicKey", "array"],
    );
    assert!(
        fingerprint(jv(&unhex(RFC8032_PUBLIC))).is_ok(),
        "still works"
    );
}

// --------------------------------------------------------------- signer

#[wasm_bindgen_test]
fn signer_keys() {
    let signer = JsSigner::new(jv(&unhex(RFC8032_SECRET))).or_fail("signer");
    assert_eq!(
        signer.public_key().to_vec(),
        unhex(RFC8032_PUBLIC),
        "RFC 8032 TEST 1"
    );
    assert_eq!(signer.export_secret_key().to_vec(), unhex(RFC8032_SECRET));
    let again = JsSigner::new(jv(&unhex(RFC8032_SECRET))).or_fail("signer");
    assert_eq!(again.public_key().to_vec(), signer.public_key().to_vec());
    assert_eq!(signer.stream_id().length(), 16);
    assert_ne!(
        signer.stream_id().to_vec(),
        again.stream_id().to_vec(),
        "random per session"
    );

    let a = JsSigner::generate().or_fail("generate");
    let b = JsSigner::generate().or_fail("generate");
    assert_eq!(a.public_key().length(), 32);
    assert_ne!(a.public_key().to_vec(), b.public_key().to_vec());
    // A generated key links.
    assert!(JsVerifier::new(a.public_key().into(), JsValue::UNDEFINED).is_ok());
}

#[wasm_bindgen_test]
fn signer_defaults_number_frames_per_stream() {
    let cam = camera(1);
    let session = cam.stream_id().to_vec();
    let mut v = JsVerifier::new(
        cam.public_key().into(),
        obj(&[
            ("maxAgeMs", JsValue::NULL),
            ("maxFutureSkewMs", JsValue::NULL),
        ]),
    )
    .or_fail("verifier");
    let mut seqs = vec![];
    for options in [
        JsValue::UNDEFINED,
        JsValue::NULL,
        obj(&[]),
        obj(&[("seq", num(10.0))]),
        obj(&[]),
    ] {
        let frame = cam.sign_frame(jv(b"x"), options).or_fail("sign");
        let r = accept(&mut v, &frame);
        assert_eq!(bytes(&get(&r, "streamId")), session);
        seqs.push(get(&r, "seq").as_f64().expect("seq"));
    }
    assert_eq!(seqs, [0.0, 1.0, 2.0, 10.0, 11.0]);
    // Big sequence numbers as bigint.
    let frame = cam
        .sign_frame(
            jv(b"x"),
            obj(&[("seq", js_sys::BigInt::from(u64::MAX).into())]),
        )
        .or_fail("u64::MAX as bigint");
    let r = accept(&mut v, &frame);
    assert_eq!(get(&r, "seq").as_f64(), Some(u64::MAX as f64));
}

#[wasm_bindgen_test]
fn signer_refuses_bad_input() {
    let cam = camera(1);
    assert_throws(
        JsSigner::new(jv(&[1; 31])),
        &["secretKey must be 32 bytes", "31"],
    );
    assert_throws(
        JsSigner::new(s("secret")),
        &["secretKey must be a Uint8Array", "string"],
    );
    assert_throws(
        JsSigner::new(JsValue::UNDEFINED),
        &["secretKey", "undefined"],
    );
    let frame_cases: Vec<(JsValue, JsValue, Vec<&str>)> = vec![
        (
            s("x"),
            JsValue::UNDEFINED,
            vec!["payload must be a Uint8Array", "string"],
        ),
        (
            JsValue::NULL,
            JsValue::UNDEFINED,
            vec!["payload must be a Uint8Array", "null"],
        ),
        (
            js("return [1, 2]"),
            JsValue::UNDEFINED,
            vec!["payload must be a Uint8Array", "array"],
        ),
        (jv(b"x"), s("opts"), vec!["options must be an object"]),
        (
            jv(b"x"),
            obj(&[("sequence", num(1.0))]),
            vec!["unknown option options.sequence"],
        ),
        (
            jv(b"x"),
            obj(&[("seq", num(-1.0))]),
            vec!["options.seq", "non-negative integer"],
        ),
        (jv(b"x"), obj(&[("seq", num(1.5))]), vec!["options.seq"]),
        (
            jv(b"x"),
            obj(&[("seq", num(9007199254740992.0))]),
            vec!["options.seq"],
        ),
        (jv(b"x"), obj(&[("seq", s("1"))]), vec!["options.seq"]),
        (
            jv(b"x"),
            obj(&[("seq", js("return 2n ** 64n"))]),
            vec!["options.seq"],
        ),
        (
            jv(b"x"),
            obj(&[("seq", js("return -1n"))]),
            vec!["options.seq"],
        ),
        (
            jv(b"x"),
            obj(&[("timestampUs", s("now"))]),
            vec!["options.timestampUs"],
        ),
        (
            jv(b"x"),
            obj(&[("timestampUs", num(-1.0))]),
            vec!["options.timestampUs"],
        ),
        (
            jv(b"x"),
            obj(&[("keyframe", s("yes"))]),
            vec!["options.keyframe", "boolean"],
        ),
        (
            jv(b"x"),
            obj(&[("endOfStream", num(1.0))]),
            vec!["options.endOfStream", "boolean"],
        ),
        (
            jv(b"x"),
            obj(&[("codec", s("mjpeg"))]),
            vec!["options.codec", "jpeg", "\"mjpeg\""],
        ),
        (jv(b"x"), obj(&[("codec", num(1.0))]), vec!["options.codec"]),
        (
            jv(b"x"),
            obj(&[("streamId", jv(&[0; 15]))]),
            vec!["options.streamId", "16 bytes"],
        ),
        (
            jv(&[0; 95]),
            obj(&[("codec", s("key-rotation"))]),
            vec!["signFrame", "96"],
        ),
    ];
    for (payload, options, needles) in frame_cases {
        assert_throws(cam.sign_frame(payload, options), &needles);
    }
    let same = camera(1);
    assert_throws(
        cam.sign_rotation(&same, JsValue::UNDEFINED),
        &["signRotation", "current key"],
    );
    // The very same signer (in JS: `s.signRotation(s)`).
    assert_throws(
        cam.sign_rotation(&cam, JsValue::UNDEFINED),
        &["signRotation", "current key"],
    );
    let next = camera(2);
    assert_throws(
        cam.sign_rotation(&next, obj(&[("codec", s("jpeg"))])),
        &["unknown option options.codec"],
    );
    assert_throws(
        cam.sign_rotation(&next, obj(&[("seq", num(-2.0))])),
        &["options.seq"],
    );
    // The signer still works, and no failed call used a sequence number
    // of the session stream.
    let mut v = verifier(&cam.public_key(), &[]);
    for expected in [0.0, 1.0] {
        let options = obj(&[("timestampUs", num(NOW_US))]);
        let frame = cam.sign_frame(jv(b"x"), options).or_fail("sign");
        let r = accept(&mut v, &frame);
        assert_eq!(get(&r, "seq").as_f64(), Some(expected));
    }
}

#[wasm_bindgen_test]
fn stats_are_fresh_objects() {
    let mut rig = Rig::new(&[]);
    let first = JsValue::from(rig.v.stats());
    rig.assert_works();
    assert_eq!(get(&first, "accepted").as_f64(), Some(0.0), "a snapshot");
    let second = JsValue::from(rig.v.stats());
    assert_eq!(get(&second, "accepted").as_f64(), Some(1.0));
    assert!(!Object::is(&first, &second));
}

#[wasm_bindgen_test]
fn frames_of_every_size_in_any_order_verify_alike() {
    // The verifier reuses one buffer for every frame, grown only for a
    // longer one: a shorter frame after a longer one must be judged on its
    // own bytes alone, with nothing left over from the one before.
    let (mut cam, mut v) = linked(&[]);
    let sizes = [70_000, 0, 1, 4096, 69_999, 70_000, 3, 200_000, 17];
    for (i, len) in sizes.iter().enumerate() {
        let payload: Vec<u8> = (0..*len).map(|j| (j * 31 + i) as u8).collect();
        let frame = sign(&mut cam, &payload, Spec::seq(i as u64 + 1));
        let result = accept(&mut v, &frame);
        assert_eq!(bytes(&get(&result, "payload")), payload, "frame {i}");
        // The same frame one byte short is malformed, not a leftover match.
        let short = edited(&frame, |b| {
            b.pop();
        });
        assert_drop(&mut v, &short, "malformed");
    }
    assert_eq!(stats(&v).0, sizes.len() as f64);
}

// ------------------------------------------------------ the tables option

#[wasm_bindgen_test]
fn both_kinds_of_tables_give_the_same_verdicts() {
    // One script of frames: genuine, forged, foreign, replayed, a rotation
    // to camera 3 and frames under the new key; every verifier must judge
    // it the same whatever its tables.
    let mut cam = camera(1);
    let next = camera(3);
    let mut intruder = camera(2);
    let mut script = Vec::new();
    for seq in 1..=4 {
        script.push(sign(&mut cam, b"genuine", Spec::seq(seq)));
    }
    let forged = edited(&script[1], |b| {
        let last = b.len() - 1;
        b[last] ^= 1;
    });
    let tampered = edited(&script[2], |b| b[60] ^= 0x40);
    script.insert(2, forged);
    script.push(tampered);
    script.push(sign(&mut intruder, b"foreign", Spec::seq(9)));
    script.push(script[0].clone());
    script.push(rotation(&mut cam, &next, 5));
    let mut next = next;
    script.push(sign(&mut next, b"after", Spec::seq(6)));
    script.push(sign(&mut cam, b"old key", Spec::seq(7)));
    let verdicts = |tables: Option<&str>| -> Vec<String> {
        let options: Vec<(&str, JsValue)> = tables.map(|t| ("tables", s(t))).into_iter().collect();
        let mut v = verifier(&camera(1).public_key(), &options);
        script
            .iter()
            .map(|frame| {
                let result = verify(&mut v, frame);
                get(&result, "reason")
                    .as_string()
                    .unwrap_or_else(|| "accepted".into())
            })
            .collect()
    };
    let default = verdicts(None);
    assert_eq!(
        default,
        [
            "accepted",
            "accepted",
            "bad-signature",
            "accepted",
            "accepted",
            "bad-signature",
            "foreign-key",
            "replayed",
            "accepted",
            "accepted",
            "foreign-key",
        ]
    );
    assert_eq!(verdicts(Some("fast")), default);
    assert_eq!(verdicts(Some("compact")), default);
}

#[wasm_bindgen_test]
fn a_bad_tables_option_throws_and_an_inherited_one_is_not_read() {
    let key: JsValue = camera(1).public_key().into();
    let cases: Vec<(JsValue, Vec<&str>)> = vec![
        (
            s("turbo"),
            vec!["options.tables", "'fast' or 'compact'", "\"turbo\""],
        ),
        (s("Compact"), vec!["options.tables", "\"Compact\""]),
        (s(""), vec!["options.tables"]),
        (num(1.0), vec!["options.tables", "1"]),
        (JsValue::NULL, vec!["options.tables", "null"]),
        (JsValue::TRUE, vec!["options.tables", "boolean"]),
    ];
    for (value, needles) in cases {
        let options = obj(&[("now", clock()), ("tables", value)]);
        assert_throws(JsVerifier::new(key.clone(), options), &needles);
    }
    // An inherited `tables` is never read (SPEC §4's own-property rule).
    let inherited = js("return Object.create({ tables: 'turbo' })");
    JsVerifier::new(key, inherited).or_fail("an inherited option is ignored");
    Rig::new(&[("tables", s("compact"))]).assert_works();
}

#[wasm_bindgen_test]
fn verifiers_of_one_key_share_one_table() {
    // 64 tiles of one camera: one 370 KiB table, not 64 (23 MiB).
    // WebAssembly memory only grows, so a heap with free space left by
    // earlier tests could hide copies, never invent them.
    let memory = || {
        wasm_bindgen::memory()
            .unchecked_into::<js_sys::WebAssembly::Memory>()
            .buffer()
            .unchecked_into::<js_sys::ArrayBuffer>()
            .byte_length() as f64
    };
    let key = camera(7).public_key();
    let first = verifier(&key, &[("tables", s("fast"))]);
    let before = memory();
    let tiles: Vec<JsVerifier> = (0..64)
        .map(|_| verifier(&key, &[("tables", s("fast"))]))
        .collect();
    let grown = memory() - before;
    assert!(
        grown < 2.0 * 1024.0 * 1024.0,
        "64 verifiers of one key grew memory by {grown} bytes"
    );
    drop(tiles);
    drop(first);
}
