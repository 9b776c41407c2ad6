//! Seals as JS sees them (SPEC §6.4): `Signer.sealFrame` / `sealUnit` and
//! `Verifier.verify` / `verifyUnit` on real encoder output
//! (tests/fixtures/inband/: x264 with B-frames, x265, libaom, FFmpeg and
//! libjpeg-turbo JPEG), through the exported Rust items of
//! `frameseal::wasm`, so option names, result fields, drop-reason strings
//! and thrown messages are what a page gets.
//!
//! The engine is the runner's: Node (`wasm-pack test --node`), Chromium
//! and Firefox (`WASM_BINDGEN_USE_BROWSER=1`), and the WebAssembly 1.0
//! build (`tests/mvp/seals_js.rs`). The JS build runs the same API in
//! `tests/js/seals.test.mjs`.
#![cfg(target_arch = "wasm32")]

extern crate alloc;

mod support;

// What the prelude has under std; tests/mvp/ compiles this file no_std.
#[allow(unused_imports)]
use alloc::{borrow::ToOwned, boxed::Box, format, string::String, string::ToString, vec, vec::Vec};
use frameseal::inband::elementary::{Ivf, annexb_access_units};
use frameseal::inband::{self, Layout, UnitCodec, UnitFormat};
use frameseal::wasm::{JsSigner, JsVerifier};
use js_sys::{Object, Uint8Array};
use support::js::{NOW_US, OrFail, STREAM, assert_throws, camera, clock, get, jv, num, obj, s};
use support::units::{annexb_nal_units, avcc};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const H264: &[u8] = include_bytes!("fixtures/inband/h264-bframes.h264");
const H264_AVCC_CONFIG: &[u8] = include_bytes!("fixtures/inband/h264.avcC");
const H265: &[u8] = include_bytes!("fixtures/inband/h265.h265");
const AV1_IVF: &[u8] = include_bytes!("fixtures/inband/av1.ivf");
const JPEGS: [(&str, &[u8]); 4] = [
    ("jfif.jpg", include_bytes!("fixtures/inband/jfif.jpg")),
    ("exif.jpg", include_bytes!("fixtures/inband/exif.jpg")),
    ("no-app.jpg", include_bytes!("fixtures/inband/no-app.jpg")),
    (
        "progressive-restart.jpg",
        include_bytes!("fixtures/inband/progressive-restart.jpg"),
    ),
];

// ---------------------------------------------------------------- helpers

/// A verifier of `key` on the suites' fixed clock.
fn display(key: &Uint8Array) -> JsVerifier {
    JsVerifier::new(key.clone().into(), obj(&[("now", clock())])).or_fail("Verifier")
}

/// The fixture's units with the codec's name and layout, as a demuxer of
/// its file hands them over: Annex B access units, IVF frames, files.
fn units_of(codec: &str) -> Vec<Vec<u8>> {
    match codec {
        "h264" => annexb_access_units(H264, UnitCodec::H264).unwrap(),
        "h265" => annexb_access_units(H265, UnitCodec::H265).unwrap(),
        "av1" => Ivf::parse(AV1_IVF)
            .unwrap()
            .frames
            .into_iter()
            .map(|(_, f)| f)
            .collect(),
        "jpeg" => JPEGS.iter().map(|(_, file)| *file).collect(),
        other => panic!("no fixture for {other}"),
    }
    .into_iter()
    .map(<[u8]>::to_vec)
    .collect()
}

/// The unit format a codec's fixtures come in.
fn format_of(codec: &str) -> UnitFormat {
    let (codec, layout) = match codec {
        "h264" => (UnitCodec::H264, Layout::AnnexB),
        "h265" => (UnitCodec::H265, Layout::AnnexB),
        "av1" => (UnitCodec::Av1, Layout::Obu),
        _ => (UnitCodec::Jpeg, Layout::Jpeg),
    };
    UnitFormat::new(codec, layout).unwrap()
}

/// `sealUnit`'s options: the unit's format options, then the seal's
/// fields (seq, the suite's stream and instant, keyframe).
fn seal_options(format: &[(&str, JsValue)], seq: u64, keyframe: bool) -> JsValue {
    let mut props = format.to_vec();
    props.extend([
        ("streamId", jv(&STREAM)),
        ("seq", num(seq as f64)),
        ("timestampUs", num(NOW_US)),
        ("keyframe", JsValue::from_bool(keyframe)),
    ]);
    obj(&props)
}

fn seal_unit(
    cam: &JsSigner,
    unit: &[u8],
    format: &[(&str, JsValue)],
    seq: u64,
    key: bool,
) -> Vec<u8> {
    cam.seal_unit(jv(unit), seal_options(format, seq, key))
        .or_fail("sealUnit")
        .to_vec()
}

/// `verifyUnit`'s result for `unit`, with `format` as its options.
fn verify_unit(v: &mut JsVerifier, unit: &[u8], format: &[(&str, JsValue)]) -> Object {
    v.verify_unit(jv(unit), obj(format)).or_fail("verifyUnit")
}

/// The drop reason of a result, or "accepted".
fn verdict(result: &Object) -> String {
    if get(result, "ok").as_bool() == Some(true) {
        "accepted".to_owned()
    } else {
        get(result, "reason").as_string().expect("reason")
    }
}

fn count(v: &JsVerifier, reason: &str) -> f64 {
    let stats = v.stats();
    let field = if reason == "accepted" {
        get(&stats, "accepted")
    } else {
        get(&get(&stats, "dropped"), reason)
    };
    field.as_f64().expect("a count")
}

fn payload(result: &Object) -> Vec<u8> {
    get(result, "payload")
        .dyn_into::<Uint8Array>()
        .expect("payload is a Uint8Array")
        .to_vec()
}

/// Unit options, and the words the error they cause must name.
type OptionsCase<'a> = (&'a [(&'a str, JsValue)], &'a [&'a str]);

// ------------------------------------------------------------------ tests

#[wasm_bindgen_test]
fn every_unit_of_each_real_stream_sealed_in_js_is_accepted_with_the_unit_as_its_payload() {
    for codec in ["h264", "h265", "av1", "jpeg"] {
        let cam = camera(1);
        let mut v = display(&cam.public_key());
        let format = [("codec", s(codec))];
        let units = units_of(codec);
        let mut keyframes = 0;
        for (i, unit) in units.iter().enumerate() {
            let seq = i as u64 + 1;
            let key = inband::is_keyframe(unit, format_of(codec)).unwrap();
            keyframes += usize::from(key);
            let sealed = seal_unit(&cam, unit, &format, seq, key);
            assert!(
                sealed.len() > unit.len() + 148,
                "{codec} #{seq}: the seal is inside"
            );
            let r = verify_unit(&mut v, &sealed, &format);
            assert_eq!(verdict(&r), "accepted", "{codec} unit #{seq}");
            assert_eq!(
                payload(&r),
                sealed,
                "{codec} #{seq}: the payload is the unit as given"
            );
            assert_eq!(get(&r, "seq").as_f64(), Some(seq as f64));
            assert_eq!(get(&r, "keyframe").as_bool(), Some(key), "{codec} #{seq}");
            assert_eq!(get(&r, "codec").as_string().as_deref(), Some(codec));
            assert_eq!(get(&r, "timestampUs").as_f64(), Some(NOW_US));
        }
        assert!(
            keyframes >= 1 && keyframes < units.len() || codec == "jpeg",
            "{codec}"
        );
        assert_eq!(count(&v, "accepted"), units.len() as f64, "{codec}");
    }
}

#[wasm_bindgen_test]
fn an_h264_unit_sealed_as_annexb_verifies_as_an_mp4_sample_with_its_parameter_sets_in_avcc() {
    let cam = camera(2);
    let mut v = display(&cam.public_key());
    let annexb = [("codec", s("h264"))];
    let avcc_with = |size: usize| {
        [
            ("codec", s("h264")),
            ("layout", s("avcc")),
            ("nalLengthSize", num(size as f64)),
            ("config", jv(H264_AVCC_CONFIG)),
        ]
    };
    let units = units_of("h264");
    let mut moved = 0;
    for (i, unit) in units.iter().enumerate() {
        let seq = i as u64 + 1;
        let key = inband::is_keyframe(unit, format_of("h264")).unwrap();
        let sealed = seal_unit(&cam, unit, &annexb, seq, key);
        // A muxer keeps every NAL unit but the parameter sets (SPS 7,
        // PPS 8), which go to the avcC box, and the AUDs (9).
        let nals: Vec<&[u8]> = annexb_nal_units(&sealed)
            .into_iter()
            .filter(|nal| !matches!(nal[0] & 0x1f, 7..=9))
            .collect();
        moved += usize::from(nals.len() < annexb_nal_units(&sealed).len());
        let size = if i % 2 == 0 { 4 } else { 2 };
        let sample = avcc(&nals, size);
        if key {
            // A keyframe without parameter sets and without the record is
            // malformed: nothing would vouch for what decodes it.
            let bare = [
                ("codec", s("h264")),
                ("layout", s("avcc")),
                ("nalLengthSize", num(4.0)),
            ];
            if size == 4 {
                assert_eq!(
                    verdict(&verify_unit(&mut v, &sample, &bare)),
                    "malformed",
                    "#{seq}"
                );
            }
        }
        let r = verify_unit(&mut v, &sample, &avcc_with(size));
        assert_eq!(
            verdict(&r),
            "accepted",
            "sample #{seq} with {size}-byte lengths"
        );
        assert_eq!(payload(&r), sample);
    }
    assert!(
        moved >= 2,
        "the fixture's keyframes carry parameter sets to move"
    );
    assert_eq!(count(&v, "accepted"), units.len() as f64);
}

#[wasm_bindgen_test]
fn units_sealed_in_the_avcc_layout_stay_in_it() {
    let cam = camera(3);
    let mut v = display(&cam.public_key());
    for (i, unit) in units_of("h265").iter().enumerate() {
        let seq = i as u64 + 1;
        let key = inband::is_keyframe(unit, format_of("h265")).unwrap();
        let sample = avcc(&annexb_nal_units(unit), 4);
        let format = [
            ("codec", s("h265")),
            ("layout", s("avcc")),
            ("nalLengthSize", num(4.0)),
        ];
        let sealed = seal_unit(&cam, &sample, &format, seq, key);
        // Still length-prefixed from its first byte to its last, with one
        // NAL unit more than the sample: the seal's SEI.
        let mut at = 0;
        let mut nal_units = 0;
        while at < sealed.len() {
            let len = u32::from_be_bytes(sealed[at..at + 4].try_into().unwrap()) as usize;
            at += 4 + len;
            nal_units += 1;
        }
        assert_eq!(at, sealed.len(), "#{seq}: lengths add up to the sample");
        assert_eq!(nal_units, annexb_nal_units(unit).len() + 1, "#{seq}");
        assert_eq!(
            verdict(&verify_unit(&mut v, &sealed, &format)),
            "accepted",
            "#{seq}"
        );
        // The same bytes read as Annex B are not this unit.
        let annexb = [("codec", s("h265")), ("layout", s("annexb"))];
        assert_ne!(
            verdict(&verify_unit(&mut v, &sealed, &annexb)),
            "accepted",
            "#{seq}"
        );
    }
}

#[wasm_bindgen_test]
fn a_stripped_seal_is_unsigned_a_changed_picture_bad_signature_a_strangers_seal_foreign_key() {
    for codec in ["h264", "h265", "av1", "jpeg"] {
        let cam = camera(4);
        let stranger = camera(5);
        let mut v = display(&cam.public_key());
        let format = [("codec", s(codec))];
        let unit = &units_of(codec)[0];
        let sealed = seal_unit(&cam, unit, &format, 1, true);
        assert_eq!(
            verdict(&verify_unit(&mut v, unit, &format)),
            "unsigned",
            "{codec}"
        );
        // The last byte before the end of the picture data (AV1: the last
        // OBU's payload; H.26x: the last slice; JPEG: the last byte of
        // the scan before EOI).
        let mut changed = sealed.clone();
        let at = sealed.len() - if codec == "jpeg" { 3 } else { 2 };
        changed[at] ^= 0x10;
        assert_eq!(
            verdict(&verify_unit(&mut v, &changed, &format)),
            "bad-signature",
            "{codec}"
        );
        let foreign = seal_unit(&stranger, unit, &format, 1, true);
        assert_eq!(
            verdict(&verify_unit(&mut v, &foreign, &format)),
            "foreign-key",
            "{codec}"
        );
        assert_eq!(
            verdict(&verify_unit(&mut v, &sealed, &format)),
            "accepted",
            "{codec}"
        );
        assert_eq!(
            verdict(&verify_unit(&mut v, &sealed, &format)),
            "replayed",
            "{codec}"
        );
        for reason in [
            "unsigned",
            "bad-signature",
            "foreign-key",
            "replayed",
            "accepted",
        ] {
            assert_eq!(count(&v, reason), 1.0, "{codec}: {reason} counted once");
        }
    }
}

#[wasm_bindgen_test]
fn a_unit_read_as_another_codec_or_sealed_twice_is_refused() {
    let cam = camera(6);
    let mut v = display(&cam.public_key());
    let h264 = [("codec", s("h264"))];
    let unit = &units_of("h264")[0];
    let sealed = seal_unit(&cam, unit, &h264, 1, true);
    // The seal names H.264: read as H.265 it does not match the unit.
    let h265 = [("codec", s("h265"))];
    assert_eq!(verdict(&verify_unit(&mut v, &sealed, &h265)), "malformed");
    // A second seal is refused by the signer, and a unit holding two
    // (spliced by hand) is malformed for the verifier.
    assert_throws(
        cam.seal_unit(jv(&sealed), seal_options(&h264, 2, true)),
        &["sealUnit", "already"],
    );
    let seals: Vec<&[u8]> = annexb_nal_units(&sealed)
        .into_iter()
        .filter(|nal| nal[0] & 0x1f == 6 && nal.windows(16).any(|w| w == inband::FRAMESEAL_UUID))
        .collect();
    assert_eq!(seals.len(), 1, "one SEI NAL unit holds the seal");
    let mut twice = vec![0, 0, 0, 1];
    twice.extend_from_slice(seals[0]);
    twice.extend_from_slice(&sealed);
    assert_eq!(verdict(&verify_unit(&mut v, &twice, &h264)), "malformed");
    assert_eq!(verdict(&verify_unit(&mut v, &sealed, &h264)), "accepted");
    assert_eq!(count(&v, "malformed"), 2.0);
}

#[wasm_bindgen_test]
fn envelope_frames_of_both_versions_and_in_band_units_share_one_replay_window() {
    let cam = camera(7);
    let mut v = display(&cam.public_key());
    let spec = |seq: u64| {
        obj(&[
            ("streamId", jv(&STREAM)),
            ("seq", num(seq as f64)),
            ("timestampUs", num(NOW_US)),
            ("codec", s("jpeg")),
        ])
    };
    let jpeg = JPEGS[0].1;
    let v1 = cam.sign_frame(jv(jpeg), spec(1)).or_fail("signFrame");
    let v2 = cam.seal_frame(jv(jpeg), spec(2)).or_fail("sealFrame");
    let format = [("codec", s("jpeg"))];
    let in_band = seal_unit(&cam, jpeg, &format, 3, true);
    assert_eq!(v2.length() as usize, 148 + jpeg.len());
    assert_eq!(v2.to_vec()[..6], *b"FSEAL\x02");
    for _ in 0..2 {
        let first = verdict(&v.verify(v1.clone().into()).or_fail("verify v1"));
        let second = verdict(&v.verify(v2.clone().into()).or_fail("verify v2"));
        let third = verdict(&verify_unit(&mut v, &in_band, &format));
        if count(&v, "replayed") == 0.0 {
            assert_eq!([first, second, third], ["accepted"; 3]);
        } else {
            assert_eq!([first, second, third], ["replayed"; 3]);
        }
    }
    // The in-band seal's seq also closes the envelope's: seq 3 as a v1
    // frame is a replay.
    let v1_again = cam.sign_frame(jv(jpeg), spec(3)).or_fail("signFrame");
    assert_eq!(
        verdict(&v.verify(v1_again.into()).or_fail("verify")),
        "replayed"
    );
    assert_eq!(count(&v, "accepted"), 3.0);
    assert_eq!(count(&v, "replayed"), 4.0);
}

#[wasm_bindgen_test]
fn bad_unit_options_throw_naming_the_option_and_count_nothing() {
    let cam = camera(8);
    let mut v = display(&cam.public_key());
    let unit = seal_unit(&cam, &units_of("h264")[0], &[("codec", s("h264"))], 1, true);
    let cases: [OptionsCase; 5] = [
        (&[], &["codec", "h264"]),
        (&[("codec", s("vp8"))], &["codec", "vp8"]),
        (
            &[("codec", s("h264")), ("layout", s("mp4"))],
            &["layout", "annexb"],
        ),
        (
            &[
                ("codec", s("h264")),
                ("layout", s("avcc")),
                ("nalLengthSize", num(3.0)),
            ],
            &["options", "3"],
        ),
        (
            &[("codec", s("h264")), ("config", s("avcC"))],
            &["config", "Uint8Array"],
        ),
    ];
    for (options, needles) in cases {
        assert_throws(v.verify_unit(jv(&unit), obj(options)), needles);
        assert_throws(
            cam.seal_unit(jv(&units_of("h264")[0]), obj(options)),
            needles,
        );
    }
    let stats = v.stats();
    assert_eq!(get(&stats, "accepted").as_f64(), Some(0.0));
    for reason in frameseal::DropReason::ALL {
        assert_eq!(count(&v, reason.name()), 0.0, "{}", reason.name());
    }
    // And the verifier still works.
    assert_eq!(
        verdict(&verify_unit(&mut v, &unit, &[("codec", s("h264"))])),
        "accepted"
    );
}
