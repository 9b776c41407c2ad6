//! No panic reaches JS: every exported entry point (Verifier, Signer,
//! fingerprint, FrameReader, frameReaderStream — FrameGate is browser-only
//! and has its own suite) is called with wrong types, `undefined`, `null`,
//! zero-length and detached buffers, typed arrays of the wrong kind, huge,
//! negative and NaN numbers, and option objects that lie. Each call must
//! throw a JS `Error` (not a trap, not a non-Error value) whose message
//! names the argument or option at fault, and after each one the module
//! must still work: a fresh verifier accepts a genuine frame, and the
//! object that threw still does its job.
//!
//! Runs in Node (`wasm-pack test --node`) and, with
//! `WASM_BINDGEN_USE_BROWSER=1`, in Chromium and Firefox: no configure
//! macro on purpose. What only the generated JS glue does (class checks such
//! as `signRotation(notASigner)`) is out of reach from here and is tested
//! against the built package in `tests/js/`.
#![cfg(target_arch = "wasm32")]

extern crate alloc;

mod support;

// What the prelude has under std; tests/mvp/ compiles this file no_std.
#[allow(unused_imports)]
use alloc::{borrow::ToOwned, boxed::Box, format, string::String, string::ToString, vec, vec::Vec};
use frameseal::wasm::{
    JsFrameReader, JsSigner, JsVerifier, fingerprint, frame_reader_stream, pairing_code,
    parse_pairing_code,
};
use js_sys::{Array, Function, Uint8Array};
use support::js::{
    NOW_MS, NOW_US, OrFail, STREAM, assert_names, clock, get, js, jv, num, obj, s, thrown,
};
use wasm_bindgen::{JsCast, JsError, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

// ---------------------------------------------------------------- helpers

/// A label for a hostile value in failure messages.
fn label(value: &JsValue) -> String {
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| value.js_typeof().as_string().unwrap_or_else(|| "?".into()))
}

/// Asserts `result` is a thrown JS `Error` whose message contains every
/// needle, and that the module still works afterwards.
#[track_caller]
fn throws<T>(result: Result<T, JsError>, needles: &[&str], case: &str) {
    assert_names(&thrown(result, case), needles, case);
    module_still_works();
}

/// A genuine frame of camera `[1; 32]`, seq 1, fresh at NOW_MS.
fn genuine() -> (Uint8Array, Uint8Array) {
    let cam = JsSigner::new(jv(&[1; 32])).or_fail("Signer");
    let spec = obj(&[
        ("streamId", jv(&STREAM)),
        ("seq", num(1.0)),
        ("timestampUs", num(NOW_US)),
    ]);
    let frame = cam.sign_frame(jv(b"picture"), spec).or_fail("signFrame");
    (cam.public_key(), frame)
}

/// Fresh objects still work: a verifier accepts a genuine frame, a reader
/// reads it, fingerprint answers.
fn module_still_works() {
    let (key, frame) = genuine();
    let mut v = JsVerifier::new(key.clone().into(), obj(&[("now", clock())])).or_fail("Verifier");
    let result = v.verify(frame.clone().into()).or_fail("verify");
    assert_eq!(get(&result, "ok"), JsValue::TRUE, "the module broke");
    let mut r =
        JsFrameReader::new(key.clone().into(), obj(&[("now", clock())])).or_fail("FrameReader");
    let results = r.push(frame.into()).or_fail("push");
    assert_eq!(results.length(), 1);
    assert_eq!(get(&results.get(0), "ok"), JsValue::TRUE);
    assert_eq!(fingerprint(key.into()).or_fail("fingerprint").len(), 19);
}

/// The verifier still accepts the genuine `frame`, and the reader still
/// reads it, after the hostile calls they answered.
fn still_work(v: &mut JsVerifier, r: &mut JsFrameReader, frame: Uint8Array) {
    let result = v.verify(frame.clone().into()).or_fail("verify");
    assert_eq!(get(&result, "ok"), JsValue::TRUE, "the verifier broke");
    assert_eq!(r.push(frame.into()).or_fail("push").length(), 1);
}

/// A Uint8Array of `len` bytes whose buffer was transferred away
/// (detached), by `structuredClone` or by `ArrayBuffer.prototype.transfer`
/// where the engine has it. Its length reads as 0 afterwards.
fn detached(len: usize) -> Vec<(&'static str, JsValue)> {
    let by_clone = js(&format!(
        "const u = new Uint8Array({len}); structuredClone(u.buffer, {{ transfer: [u.buffer] }}); return u;"
    ));
    assert_eq!(by_clone.unchecked_ref::<Uint8Array>().length(), 0);
    let mut out = vec![("detached by structuredClone", by_clone)];
    let by_transfer = js(&format!(
        "if (!ArrayBuffer.prototype.transfer) return null; const u = new Uint8Array({len}); u.buffer.transfer(); return u;"
    ));
    if !by_transfer.is_null() {
        out.push(("detached by ArrayBuffer.transfer", by_transfer));
    }
    out
}

/// Values that are not a Uint8Array, with the type name the error gives.
fn not_bytes() -> Vec<(JsValue, &'static str)> {
    let list = js("return [
        [undefined, 'undefined'], [null, 'null'], [true, 'boolean'], [0, 'number'],
        [-1, 'number'], [NaN, 'number'], [Infinity, 'number'], [1e300, 'number'],
        ['', 'string'], ['0102', 'string'], [Symbol('x'), 'symbol'], [10n, 'bigint'],
        [{}, 'object'], [[1, 2, 3], 'array'], [() => 1, 'function'],
        [new ArrayBuffer(32), 'object'], [new DataView(new ArrayBuffer(32)), 'object'],
        [new Int8Array(32), 'object'], [new Uint8ClampedArray(32), 'object'],
        [new Uint16Array(16), 'object'], [{ length: 32, 0: 1 }, 'object'],
        [new Proxy({}, {}), 'object'],
    ];");
    list.unchecked_into::<Array>()
        .iter()
        .map(|pair| {
            let pair: Array = pair.unchecked_into();
            let name = pair.get(1).as_string().expect("name");
            (pair.get(0), &*Box::leak(name.into_boxed_str()))
        })
        .collect()
}

/// The values of a JS array literal, such as `"[1, 'x', null]"`.
fn js_values(list: &str) -> Vec<JsValue> {
    js(&format!("return {list};"))
        .unchecked_into::<Array>()
        .iter()
        .collect()
}

/// Numbers no numeric option accepts: negative, NaN, infinite, fractional
/// where an integer is needed, huge, and other types.
fn bad_numbers(integer: bool) -> Vec<JsValue> {
    let mut v: Vec<JsValue> = [
        -1.0,
        -0.5,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1e300,
    ]
    .into_iter()
    .map(num)
    .collect();
    if integer {
        v.push(num(1.5));
    }
    v.extend(js_values("['10', 10n, {}, [], true]"));
    v
}

// ------------------------------------------------------------ arguments

#[wasm_bindgen_test]
fn byte_arguments_refuse_everything_but_a_uint8array() {
    let (key, frame) = genuine();
    let mut v = JsVerifier::new(key.clone().into(), obj(&[("now", clock())])).or_fail("Verifier");
    let mut r =
        JsFrameReader::new(key.clone().into(), obj(&[("now", clock())])).or_fail("FrameReader");
    let cam = JsSigner::new(jv(&[1; 32])).or_fail("Signer");
    for (value, type_name) in not_bytes() {
        let case = label(&value);
        let wanted = format!("must be a Uint8Array, got {type_name}");
        throws(
            JsVerifier::new(value.clone(), JsValue::UNDEFINED),
            &["linkedPublicKey", &wanted],
            &format!("new Verifier({case})"),
        );
        throws(v.verify(value.clone()), &["frame", &wanted], &case);
        throws(fingerprint(value.clone()), &["publicKey", &wanted], &case);
        throws(JsSigner::new(value.clone()), &["secretKey", &wanted], &case);
        throws(
            cam.sign_frame(value.clone(), JsValue::UNDEFINED),
            &["payload", &wanted],
            &case,
        );
        throws(
            JsFrameReader::new(value.clone(), JsValue::UNDEFINED),
            &["linkedPublicKey", &wanted],
            &case,
        );
        throws(r.push(value.clone()), &["chunk", &wanted], &case);
        throws(
            frame_reader_stream(value.clone(), JsValue::UNDEFINED),
            &["linkedPublicKey", &wanted],
            &case,
        );
    }
    // The objects that threw a hundred times still work.
    assert_eq!(
        get(&v.verify(frame.clone().into()).or_fail("verify"), "ok"),
        JsValue::TRUE
    );
    let results = r.push(frame.into()).or_fail("push");
    assert_eq!(get(&results.get(0), "ok"), JsValue::TRUE);
    let stats = JsValue::from(r.stats());
    assert_eq!(get(&stats, "inputBytes").as_f64(), Some(123.0));
}

#[wasm_bindgen_test]
fn wrong_lengths_and_detached_buffers_are_refused_by_name() {
    let (key, frame) = genuine();
    let cam = JsSigner::new(jv(&[1; 32])).or_fail("Signer");
    let mut short = vec![("zero-length", jv(&[])), ("31 bytes", jv(&[1; 31]))];
    short.extend(detached(32));
    for (case, value) in short {
        throws(
            JsVerifier::new(value.clone(), JsValue::UNDEFINED),
            &["linkedPublicKey"],
            case,
        );
        throws(fingerprint(value.clone()), &["publicKey"], case);
        throws(JsSigner::new(value.clone()), &["secretKey"], case);
        throws(
            JsFrameReader::new(value.clone(), JsValue::UNDEFINED),
            &["linkedPublicKey"],
            case,
        );
        throws(
            JsVerifier::new(key.clone().into(), obj(&[("streamId", value.clone())])),
            &["options.streamId", "16 bytes"],
            case,
        );
        throws(
            cam.sign_frame(jv(b"x"), obj(&[("streamId", value.clone())])),
            &["options.streamId", "16 bytes"],
            case,
        );
    }
    // Data arguments: empty is data, not an error (a dropped frame, an
    // empty chunk, an empty payload); a detached buffer is an error.
    let mut v = JsVerifier::new(key.clone().into(), obj(&[("now", clock())])).or_fail("Verifier");
    let mut r = JsFrameReader::new(key.clone().into(), obj(&[("now", clock())])).or_fail("reader");
    let result = v.verify(jv(&[])).or_fail("verify([])");
    assert_eq!(
        get(&result, "reason").as_string().as_deref(),
        Some("malformed")
    );
    assert_eq!(r.push(jv(&[])).or_fail("push([])").length(), 0);
    assert_eq!(
        cam.sign_frame(jv(&[]), JsValue::UNDEFINED)
            .or_fail("empty payload")
            .length(),
        116
    );
    for (case, value) in detached(200) {
        throws(v.verify(value.clone()), &["frame"], case);
        throws(r.push(value.clone()), &["chunk"], case);
        throws(
            cam.sign_frame(value.clone(), JsValue::UNDEFINED),
            &["payload"],
            case,
        );
    }
    still_work(&mut v, &mut r, frame);
}

#[wasm_bindgen_test]
fn small_order_and_non_point_keys_are_refused_by_rule() {
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut not_point = [0u8; 32];
    not_point[0] = 2;
    for (key, rule) in [(identity, "small-order"), (not_point, "not a valid")] {
        throws(
            JsVerifier::new(jv(&key), JsValue::UNDEFINED),
            &["linkedPublicKey", rule],
            rule,
        );
        throws(
            JsFrameReader::new(jv(&key), JsValue::UNDEFINED),
            &["linkedPublicKey", rule],
            rule,
        );
        throws(
            frame_reader_stream(jv(&key), JsValue::UNDEFINED),
            &["linkedPublicKey", rule],
            rule,
        );
    }
}

// -------------------------------------------------------------- options

/// Builds something from an options object.
type Build = Box<dyn Fn(JsValue) -> Result<(), JsError>>;

/// Every constructor that takes Verifier options, as one closure each.
fn verifier_constructors() -> Vec<(&'static str, Build)> {
    let (key, _) = genuine();
    let (k1, k2, k3) = (key.clone(), key.clone(), key);
    vec![
        (
            "Verifier",
            Box::new(move |o| JsVerifier::new(k1.clone().into(), o).map(|_| ())),
        ),
        (
            "FrameReader",
            Box::new(move |o| JsFrameReader::new(k2.clone().into(), o).map(|_| ())),
        ),
        (
            "frameReaderStream",
            Box::new(move |o| frame_reader_stream(k3.clone().into(), o).map(|_| ())),
        ),
    ]
}

#[wasm_bindgen_test]
fn verifier_options_refuse_bad_types_and_out_of_range_numbers() {
    for (name, build) in verifier_constructors() {
        for value in js_values("[true, 0, 'maxAgeMs', Symbol('o'), 1n, [], () => ({})]") {
            throws(
                build(value.clone()),
                &["options must be an object"],
                &format!("{name}({})", label(&value)),
            );
        }
        for (key, integer) in [
            ("maxAgeMs", true),
            ("maxFutureSkewMs", true),
            ("replayWindow", true),
            ("maxPayloadBytes", true),
        ] {
            for value in bad_numbers(integer) {
                let case = format!("{name} {key}: {}", label(&value));
                throws(
                    build(obj(&[(key, value)])),
                    &[&format!("options.{key} must be")],
                    &case,
                );
            }
        }
        // Huge values, one above each limit.
        for (key, value) in [
            // Durations: 1 ..= 2^31 - 1 ms (SPEC §4); 0 is not "off" (null is).
            ("maxAgeMs", 2_147_483_648.0),
            ("maxAgeMs", 1e12),
            ("maxAgeMs", 0.0),
            ("maxFutureSkewMs", 1e15),
            ("maxFutureSkewMs", 0.0),
            ("replayWindow", 65_537.0),
            ("replayWindow", 4_294_967_296.0),
            ("maxPayloadBytes", 4_294_967_296.0),
            ("maxPayloadBytes", 9_007_199_254_740_992.0),
        ] {
            throws(
                build(obj(&[(key, num(value))])),
                &[&format!("options.{key}")],
                &format!("{name} {key}={value}"),
            );
        }
        // null switches only the time checks off.
        for key in ["replayWindow", "maxPayloadBytes", "allowRotation"] {
            throws(
                build(obj(&[(key, JsValue::NULL)])),
                &[&format!("options.{key}")],
                key,
            );
        }
        for (key, values, kind) in [
            ("allowRotation", "['yes', 1, 0, {}]", "boolean"),
            ("now", "[1, 'Date.now', {}, true]", "function"),
        ] {
            for value in js_values(values) {
                let option = format!("options.{key}");
                throws(build(obj(&[(key, value)])), &[&option, kind], name);
            }
        }
        // An unknown key, and objects that throw when read.
        for (options, needle) in [
            ("return { maxAge: 1 };", "unknown option options.maxAge"),
            (
                "return { get maxAgeMs() { throw new Error('boom'); } };",
                "options.maxAgeMs",
            ),
            (
                "return new Proxy({}, { ownKeys() { throw new Error('boom'); } });",
                "options",
            ),
            (
                "const p = Proxy.revocable({}, {}); p.revoke(); return p.proxy;",
                "options",
            ),
        ] {
            throws(build(js(options)), &[needle], name);
        }
        // The largest values that are allowed build.
        for (key, value) in [
            ("maxAgeMs", 2_147_483_647.0),
            ("maxAgeMs", 1.0),
            ("maxFutureSkewMs", 2_147_483_647.0),
            ("replayWindow", 65_536.0),
            ("maxPayloadBytes", 4_294_967_296.0 - 1.0),
        ] {
            build(obj(&[(key, num(value))])).or_fail(&format!("{name} {key}={value}"));
        }
    }
}

#[wasm_bindgen_test]
fn signer_options_refuse_bad_numbers_codecs_and_streams() {
    let cam = JsSigner::new(jv(&[1; 32])).or_fail("Signer");
    let next = JsSigner::new(jv(&[2; 32])).or_fail("Signer");
    let bad_u64 =
        js("return [-1, -0.5, 1.5, NaN, Infinity, 2 ** 53, 1e300, -1n, 2n ** 64n, '1', {}, true];");
    for key in ["seq", "timestampUs"] {
        for value in bad_u64.unchecked_ref::<Array>().iter() {
            let case = format!("{key}: {}", label(&value));
            throws(
                cam.sign_frame(jv(b"x"), obj(&[(key, value.clone())])),
                &[&format!("options.{key}")],
                &case,
            );
            throws(
                cam.sign_rotation(&next, obj(&[(key, value)])),
                &[&format!("options.{key}")],
                &case,
            );
        }
    }
    for value in js_values("['JPEG', 'mp4', '', 1, null, {}]") {
        throws(
            cam.sign_frame(jv(b"x"), obj(&[("codec", value.clone())])),
            &["options.codec", "one of"],
            &label(&value),
        );
    }
    for key in ["keyframe", "endOfStream"] {
        throws(
            cam.sign_frame(jv(b"x"), obj(&[(key, num(1.0))])),
            &[&format!("options.{key}"), "boolean"],
            key,
        );
    }
    throws(
        cam.sign_frame(jv(b"x"), obj(&[("codec", s("key-rotation"))])),
        &["96 bytes"],
        "rotation codec",
    );
    throws(
        cam.sign_frame(jv(b"x"), obj(&[("sequence", num(1.0))])),
        &["unknown option options.sequence"],
        "typo",
    );
    throws(
        cam.sign_rotation(&next, obj(&[("keyframe", JsValue::TRUE)])),
        &["unknown option options.keyframe"],
        "rotation keyframe",
    );
    throws(
        cam.sign_frame(jv(b"x"), num(5.0)),
        &["options must be an object"],
        "number options",
    );
    // The largest seq and timestamp are fine as bigints.
    let max = obj(&[
        ("seq", js("return 2n ** 64n - 1n;")),
        ("timestampUs", js("return 2n ** 64n - 1n;")),
    ]);
    cam.sign_frame(jv(b"x"), max).or_fail("u64::MAX as bigint");
    // That stream has used its last seq: the next default one cannot exist.
    let last = obj(&[("seq", js("return 2n ** 64n - 1n;"))]);
    cam.sign_frame(jv(b"x"), last).or_fail("last seq");
    throws(
        cam.sign_frame(jv(b"x"), JsValue::UNDEFINED),
        &["signFrame", "every sequence number"],
        "seq exhausted",
    );
    throws(
        cam.sign_rotation(
            &JsSigner::new(jv(&[1; 32])).or_fail("same"),
            JsValue::UNDEFINED,
        ),
        &["signRotation", "current key"],
        "same key",
    );
}

// ---------------------------------------------------------------- clocks

#[wasm_bindgen_test]
fn a_broken_clock_throws_and_changes_nothing() {
    let (key, frame) = genuine();
    for bad in [
        "throw new Error('clock broke');",
        "return NaN;",
        "return Infinity;",
        "return '1700000000000';",
        "return undefined;",
        "return 1700000000000n;",
    ] {
        let clock = js(&format!(
            "let calls = 0; return function () {{ calls += 1; if (calls === 1) {{ {bad} }} return 1700000000000; }};"
        ));
        let options = obj(&[("now", clock.clone())]);
        let mut v = JsVerifier::new(key.clone().into(), options.clone()).or_fail("Verifier");
        throws(v.verify(frame.clone().into()), &["options.now()"], bad);
        assert_eq!(
            get(&v.verify(frame.clone().into()).or_fail("verify"), "ok"),
            JsValue::TRUE,
            "{bad}"
        );

        let options = obj(&[(
            "now",
            js(&format!(
                "let calls = 0; return function () {{ calls += 1; if (calls === 1) {{ {bad} }} return 1700000000000; }};"
            )),
        )]);
        let mut r = JsFrameReader::new(key.clone().into(), options).or_fail("reader");
        throws(r.push(frame.clone().into()), &["options.now()"], bad);
        // The failed push consumed nothing: the frame comes out of the next.
        let stats = JsValue::from(r.stats());
        assert_eq!(get(&stats, "inputBytes").as_f64(), Some(0.0), "{bad}");
        let results = r.push(frame.clone().into()).or_fail("push");
        assert_eq!(results.length(), 1, "{bad}");
        assert_eq!(get(&results.get(0), "ok"), JsValue::TRUE, "{bad}");
    }
}

// ------------------------------------------------------- hostile frames

#[wasm_bindgen_test]
fn hostile_bytes_are_verdicts_not_errors() {
    // Bytes are data: whatever they are, verify and push answer with
    // verdicts, and nothing throws.
    let (key, frame) = genuine();
    // The largest maximum: every claimed length is plausible.
    let options = || obj(&[("now", clock()), ("maxPayloadBytes", num(4_294_967_295.0))]);
    let mut v = JsVerifier::new(key.clone().into(), options()).or_fail("Verifier");
    let mut r = JsFrameReader::new(key.clone().into(), options()).or_fail("reader");
    let f = frame.to_vec();
    let mut cases: Vec<Vec<u8>> = vec![
        b"FSEAL".to_vec(),
        b"FSEAL\x01".to_vec(),
        f[..115].to_vec(),
        [&f[..], &[0]].concat(),
        vec![0xFF; 4096],
        b"FSEAL\x01".repeat(1000),
    ];
    for claim in [0u32, 1, 96, 1 << 30, u32::MAX - 116, u32::MAX] {
        let mut c = f.clone();
        c[48..52].copy_from_slice(&claim.to_be_bytes());
        cases.push(c);
    }
    let mut found = 0;
    for case in &cases {
        let result = v.verify(jv(case)).or_fail("verify");
        assert_eq!(get(&result, "ok"), JsValue::FALSE);
        for result in r.push(jv(case)).or_fail("push").iter() {
            // Back to back, the cases hold the genuine frame once (the
            // one followed by a stray byte): the reader finds it, and
            // nothing else.
            if get(&result, "ok") == JsValue::TRUE {
                let payload: Uint8Array = get(&result, "payload").unchecked_into();
                assert_eq!(payload.to_vec(), b"picture");
                found += 1;
            }
        }
    }
    assert_eq!(found, 1);
    // Data in a view at an odd offset of a bigger buffer.
    let offset = js("const b = new Uint8Array(1000); return b.subarray(3, 900);");
    assert_eq!(
        get(&v.verify(offset.clone()).or_fail("verify"), "ok"),
        JsValue::FALSE
    );
    r.push(offset).or_fail("push");
    r.finish().or_fail("finish");
    assert_eq!(
        get(&v.verify(frame.clone().into()).or_fail("verify"), "ok"),
        JsValue::TRUE
    );
    let results = r.push(frame.into()).or_fail("push");
    assert_eq!(results.length(), 1);
    assert_eq!(
        get(&results.get(0), "reason").as_string().as_deref(),
        Some("replayed")
    );
    module_still_works();
}

// ------------------------------------------- pairing codes and getters

#[wasm_bindgen_test]
fn pairing_codes_refuse_what_is_not_one() {
    let (key, _) = genuine();
    for (value, type_name) in not_bytes() {
        let wanted = format!("must be a Uint8Array, got {type_name}");
        throws(pairing_code(value), &["publicKey", &wanted], "pairingCode");
    }
    for (case, value) in detached(32) {
        throws(pairing_code(value), &["publicKey"], case);
    }
    for value in js_values("[undefined, null, 1, 1n, {}, [], new Uint8Array(32), Symbol('s')]") {
        throws(
            parse_pairing_code(value.clone()),
            &["text must be a string"],
            &label(&value),
        );
    }
    // Strings that are not pairing codes: each is an Error with a message,
    // whatever its size or characters.
    let code = pairing_code(key.clone().into()).or_fail("pairingCode");
    let texts = [
        String::new(),
        "fs1-".into(),
        code.replace('-', ""),
        format!("{code}x"),
        code.to_uppercase(),
        "\u{1F4F7}".repeat(64),
        "fs1-\u{0}\u{FFFF}\u{10FFFF}".into(),
        "a".repeat(1 << 20),
    ];
    for text in texts {
        let case: String = text.chars().take(30).collect();
        if text == code.to_uppercase() || text == code.replace('-', "") {
            // Case and dashes may be forgiven; then it must be the same key.
            if let Ok(k) = parse_pairing_code(s(&text)) {
                assert_eq!(k.to_vec(), key.to_vec());
                continue;
            }
        }
        throws(parse_pairing_code(s(&text)), &[], &case);
    }
    assert_eq!(
        parse_pairing_code(s(&code))
            .or_fail("parsePairingCode")
            .to_vec(),
        key.to_vec()
    );
}

#[wasm_bindgen_test]
fn getters_and_stats_answer_after_hostile_calls() {
    let (key, frame) = genuine();
    let mut v = JsVerifier::new(key.clone().into(), obj(&[("now", clock())])).or_fail("Verifier");
    let mut r = JsFrameReader::new(key.clone().into(), obj(&[("now", clock())])).or_fail("reader");
    let cam = JsSigner::generate().or_fail("Signer.generate");
    for (value, _) in not_bytes() {
        let _ = v.verify(value.clone());
        let _ = r.push(value.clone());
        let _ = cam.sign_frame(value, JsValue::UNDEFINED);
    }
    assert_eq!(v.linked_public_key().to_vec(), key.to_vec());
    assert_eq!(r.linked_public_key().to_vec(), key.to_vec());
    assert_eq!(cam.public_key().length(), 32);
    assert_eq!(cam.stream_id().length(), 16);
    let secret = cam.export_secret_key();
    assert_eq!(
        JsSigner::new(secret.into())
            .or_fail("Signer")
            .public_key()
            .to_vec(),
        cam.public_key().to_vec()
    );
    // Nothing hostile was counted as a frame: no verdict came of it.
    let stats = JsValue::from(v.stats());
    assert_eq!(get(&stats, "accepted").as_f64(), Some(0.0));
    let reader_stats = JsValue::from(r.stats());
    assert_eq!(get(&reader_stats, "inputBytes").as_f64(), Some(0.0));
    still_work(&mut v, &mut r, frame);
}

// ------------------------------------------------------- reported bugs

#[wasm_bindgen_test]
fn lying_typed_arrays_as_stream_id_throw_a_named_error() {
    let (key, _) = genuine();
    let cam = JsSigner::new(jv(&[1; 32])).or_fail("Signer");
    let liars = js(
        "class Liar extends Uint8Array { get length() { return 16; } }
        return [new Liar(32), new Liar(8), new Proxy(new Uint8Array(16), {})];",
    );
    for liar in liars.unchecked_into::<Array>().iter() {
        throws(
            JsVerifier::new(key.clone().into(), obj(&[("streamId", liar.clone())])),
            &["options.streamId"],
            "Verifier streamId",
        );
        throws(
            cam.sign_frame(jv(b"x"), obj(&[("streamId", liar)])),
            &["options.streamId"],
            "signFrame streamId",
        );
    }
}

// ------------------------------------------- attacks from the security review

/// Properties set on `Object.prototype` for the length of a test, deleted
/// again on drop (also when the test fails), so other tests never see them.
struct Pollution(&'static [&'static str]);

impl Pollution {
    /// Sets each `(key, JS expression)` on `Object.prototype`.
    fn set(props: &'static [(&'static str, &'static str)]) -> Pollution {
        for (key, value) in props {
            js(&format!(
                "Object.prototype[{key:?}] = ({value}); return null;"
            ));
        }
        Pollution(Box::leak(
            props
                .iter()
                .map(|(k, _)| *k)
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        ))
    }
}

impl Drop for Pollution {
    fn drop(&mut self) {
        for key in self.0 {
            js(&format!("delete Object.prototype[{key:?}]; return null;"));
        }
    }
}

/// A frame of camera `[1; 32]` on STREAM, captured `age_ms` before NOW_MS.
fn frame_aged(seq: f64, age_ms: f64) -> Uint8Array {
    let cam = JsSigner::new(jv(&[1; 32])).or_fail("Signer");
    let spec = obj(&[
        ("streamId", jv(&STREAM)),
        ("seq", num(seq)),
        ("timestampUs", num((NOW_MS - age_ms) * 1000.0)),
    ]);
    cam.sign_frame(jv(b"picture"), spec).or_fail("signFrame")
}

#[wasm_bindgen_test]
fn a_polluted_object_prototype_cannot_switch_freshness_off_or_become_the_clock() {
    let (key, _) = genuine();
    // An hour old: stale under the default maxAge of 10 s.
    let old = frame_aged(1.0, 3_600_000.0);
    let _pollution = Pollution::set(&[
        ("maxAgeMs", "null"),
        ("maxFutureSkewMs", "null"),
        ("now", "() => 1700000000000 - 3600000"),
        ("replayWindow", "0"),
        ("allowRotation", "false"),
    ]);
    // Options given as own properties still apply; inherited ones never do.
    let options = || obj(&[("replayWindow", num(64.0)), ("now", clock())]);
    let mut v = JsVerifier::new(key.clone().into(), options()).or_fail("Verifier");
    let result = v.verify(old.clone().into()).or_fail("verify");
    assert_eq!(
        get(&result, "reason"),
        s("stale"),
        "freshness was switched off"
    );
    let mut r = JsFrameReader::new(key.clone().into(), options()).or_fail("FrameReader");
    let results = r.push(old.clone().into()).or_fail("push");
    assert_eq!(get(&results.get(0), "reason"), s("stale"), "FrameReader");
    // Without a `now` of its own, the clock is Date.now, not the prototype's.
    let mut v = JsVerifier::new(key.into(), obj(&[])).or_fail("Verifier");
    let result = v.verify(frame_aged(1.0, 0.0).into()).or_fail("verify");
    assert_eq!(
        get(&result, "reason"),
        s("stale"),
        "Object.prototype.now became the clock"
    );
}

#[wasm_bindgen_test]
fn a_polluted_object_prototype_cannot_choose_what_a_signer_signs() {
    let _pollution = Pollution::set(&[
        ("seq", "999"),
        ("codec", "'key-rotation'"),
        ("keyframe", "true"),
        ("streamId", "new Uint8Array(16).fill(7)"),
    ]);
    let cam = JsSigner::new(jv(&[1; 32])).or_fail("Signer");
    let frame = cam.sign_frame(jv(b"x"), obj(&[])).or_fail("signFrame");
    let mut v = JsVerifier::new(cam.public_key().into(), obj(&[("maxAgeMs", JsValue::NULL)]))
        .or_fail("Verifier");
    let result = v.verify(frame.into()).or_fail("verify");
    assert_eq!(get(&result, "ok"), JsValue::TRUE);
    assert_eq!(get(&result, "seq"), num(0.0));
    assert_eq!(get(&result, "codec"), s("opaque"));
    assert_eq!(get(&result, "keyframe"), JsValue::FALSE);
    assert_eq!(
        get(&result, "streamId")
            .unchecked_into::<Uint8Array>()
            .to_vec(),
        cam.stream_id().to_vec()
    );
}

/// Verifies `victim` (a copy of the genuine `frame`) with a clock that,
/// on its first call, runs `sabotage` on the victim's buffer (`frame` in
/// the JS): the verdict is a clean drop or a clean Error, never a trap, and
/// the verifier then still accepts `frame`.
fn verifier_survives(key: &Uint8Array, frame: Uint8Array, victim: Uint8Array, sabotage: &str) {
    let now = Function::new_with_args(
        "frame",
        &format!(
            "let done = false; return () => {{ if (!done) {{ done = true; {sabotage} }} \
             return 1700000000000; }};"
        ),
    )
    .call1(&JsValue::UNDEFINED, &victim)
    .expect("clock");
    let mut v = JsVerifier::new(key.clone().into(), obj(&[("now", now)])).or_fail("Verifier");
    match v.verify(victim.into()) {
        Ok(result) => assert_eq!(get(&result, "ok"), JsValue::FALSE),
        Err(e) => throws::<()>(Err(e), &[""], sabotage),
    }
    let result = v.verify(frame.into()).or_fail(sabotage);
    assert_eq!(
        get(&result, "ok"),
        JsValue::TRUE,
        "the verifier was bricked by {sabotage}"
    );
}

#[wasm_bindgen_test]
fn detaching_the_frame_inside_now_leaves_the_verifier_usable() {
    let (key, frame) = genuine();
    // now() transfers the frame's buffer away, once.
    let victim = Uint8Array::new_with_length(frame.length());
    victim.set(&frame, 0);
    let detach = "structuredClone(frame.buffer, { transfer: [frame.buffer] });";
    verifier_survives(&key, frame, victim, detach);
}

#[wasm_bindgen_test]
fn shrinking_the_frame_buffer_inside_now_leaves_the_verifier_usable() {
    let (key, frame) = genuine();
    let victim = js(&format!(
        "try {{ const b = new ArrayBuffer({n}, {{ maxByteLength: {n} }}); return new Uint8Array(b, 0, {n}); }} \
         catch (_) {{ return null; }}",
        n = frame.length()
    ));
    if victim.is_null() {
        return; // no resizable ArrayBuffer in this engine
    }
    let victim: Uint8Array = victim.unchecked_into();
    victim.set(&frame, 0);
    verifier_survives(&key, frame, victim, "frame.buffer.resize(10);");
}

#[wasm_bindgen_test]
fn durations_above_what_set_timeout_takes_are_refused() {
    let (key, _) = genuine();
    for (key_name, value) in [
        ("maxAgeMs", 2_147_483_648.0),
        ("maxFutureSkewMs", 1e12),
        ("maxAgeMs", 0.5),
    ] {
        throws(
            JsVerifier::new(key.clone().into(), obj(&[(key_name, num(value))])),
            &[&format!("options.{key_name}"), "2147483647"],
            &format!("{key_name} = {value}"),
        );
    }
}
