//! Axis Signed Video in AV1 (a metadata OBU instead of a SEI) on a stream
//! signed here by the reference library (`make-vector-av1.c`, see
//! tests/fixtures/signed-video/README.md), against what the reference
//! library's own validation printed for it (`reference-validator/`).

use std::path::{Path, PathBuf};

use frameseal::signed_video::av1::{self, ObuError};
use frameseal::signed_video::sei::parse_obu;
use frameseal::signed_video::{
    Codec, FrameVerdict, GopReport, GopVerdict, Scheme, StreamValidator, Trust, TrustedKey,
};

const SIGNED: &str = "frameseal_signed_av1.obu";
const MODIFIED: &str = "frameseal_signed_av1_modified_frame_21.obu";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/signed-video")
        .join(name)
}

fn obus(name: &str) -> Vec<Vec<u8>> {
    let file = std::fs::read(fixture(name)).expect("fixture readable");
    av1::obu_units(&file)
        .expect("a low-overhead stream")
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect()
}

fn obu_type(obu: &[u8]) -> u8 {
    (obu[0] >> 3) & 0x0f
}

fn run(obus: &[Vec<u8>], trust: Trust) -> Vec<GopReport> {
    let mut v = StreamValidator::with_trust(Codec::Av1, trust);
    for obu in obus {
        v.push_nal(obu).expect("parses");
    }
    v.finish()
}

fn verdicts(reports: &[GopReport]) -> Vec<(u64, u64, GopVerdict)> {
    reports
        .iter()
        .map(|r| (r.first_frame, r.frames, r.verdict))
        .collect()
}

use GopVerdict::{Authentic as A, Incomplete as I, Tampered as T, Unsigned as U};

/// What the reference printed: four valid GOPs of 16 pictures, the last
/// one checked with the metadata OBU the signer sends when signing stops.
const REFERENCE: [(u64, u64, GopVerdict); 4] = [(0, 16, A), (16, 16, A), (32, 16, A), (48, 16, A)];

#[test]
fn every_metadata_obu_parses_as_axis_signed_video_with_key_and_rising_gop_counters() {
    let obus = obus(SIGNED);
    let seis: Vec<_> = obus
        .iter()
        .filter_map(|o| parse_obu(o).expect("parses"))
        .collect();
    assert_eq!(seis.len(), 4);
    assert_eq!(
        obus.iter()
            .filter(|o| obu_type(o) == av1::OBU_METADATA)
            .count(),
        4
    );
    let mut counters = Vec::new();
    for sei in &seis {
        assert_eq!((sei.scheme, sei.codec), (Scheme::Axis, Codec::Av1));
        assert!(sei.is_signed());
        assert!(sei.uses_linked_hash());
        assert!(!sei.hashed_with_emulation_prevention());
        assert!(
            sei.payload
                .public_key_pem
                .as_deref()
                .is_some_and(|p| p.starts_with(b"-----BEGIN PUBLIC KEY-----"))
        );
        let info = sei.payload.product_info.as_ref().expect("product info");
        assert_eq!(info.firmware_version, "av1-vector-1");
        counters.push(sei.payload.general.as_ref().expect("general").gop_counter);
        // The document: the OBU up to the signature TLV (no emulation
        // prevention to remove).
        assert_eq!(sei.hashable()[0], 0x2a);
    }
    assert!(
        counters.windows(2).all(|w| w[1] == w[0] + 1),
        "{counters:?}"
    );
    // Frames, sequence headers, temporal delimiters are not ours.
    for obu in obus.iter().filter(|o| obu_type(o) != av1::OBU_METADATA) {
        assert_eq!(parse_obu(obu), Ok(None));
    }
}

#[test]
fn every_gop_gets_the_reference_verdict() {
    let reports = run(&obus(SIGNED), Trust::InStream);
    assert_eq!(verdicts(&reports), REFERENCE);
    assert!(reports.iter().all(|r| r.gop_counter.is_some()));
}

#[test]
fn the_changed_frame_21_makes_its_gop_and_only_its_gop_tampered() {
    // The reference: GOP 1 invalid, its 6th picture (frame 21) 'N'.
    let reports = run(&obus(MODIFIED), Trust::InStream);
    assert_eq!(
        verdicts(&reports),
        [(0, 16, A), (16, 16, T), (32, 16, A), (48, 16, A)]
    );
    let gop = &reports[1];
    assert_eq!(gop.reason, Some("hash-list"));
    assert_eq!((gop.invalid_units, gop.missing_units), (1, 0));
    // Per picture, as the reference marks them: frame 21 'N', the rest '.'.
    let marks: Vec<(u64, FrameVerdict)> = gop
        .frame_verdicts
        .iter()
        .map(|f| (f.frame, f.verdict))
        .collect();
    let expected: Vec<(u64, FrameVerdict)> = (16..32)
        .map(|f| {
            let verdict = if f == 21 {
                FrameVerdict::Tampered
            } else {
                FrameVerdict::Authentic
            };
            (f, verdict)
        })
        .collect();
    assert_eq!(marks, expected);
}

/// The stream with `edit` applied to the `n`th OBU of type `ty`.
fn edited(ty: u8, n: usize, edit: impl FnOnce(&mut Vec<Vec<u8>>, usize)) -> Vec<Vec<u8>> {
    let mut obus = obus(SIGNED);
    let at = obus
        .iter()
        .enumerate()
        .filter(|(_, o)| obu_type(o) == ty)
        .nth(n)
        .map(|(i, _)| i)
        .expect("that OBU");
    edit(&mut obus, at);
    obus
}

/// The edits below were also run through the reference library's
/// validation (`validate-av1.c`): a dropped frame is "valid with missing"
/// ('M'), an added metadata OBU "invalid" ('N'), a frame OBU with an
/// extension header "valid" ('U', not looked at).
#[test]
fn a_dropped_frame_makes_its_gop_incomplete() {
    let obus = edited(av1::OBU_FRAME, 40, |o, at| {
        o.remove(at);
    });
    let reports = run(&obus, Trust::InStream);
    assert_eq!(
        verdicts(&reports),
        [(0, 16, A), (16, 16, A), (32, 15, I), (47, 16, A)]
    );
    assert_eq!(reports[2].missing_units, 1);
}

#[test]
fn another_metadata_obu_added_is_hashed_and_makes_its_gop_tampered() {
    // AV1 hashes every metadata OBU (unlike other SEIs in H.264 / H.265):
    // an HDR content light level OBU put in after signing is an addition.
    let cll = vec![0x2a, 0x06, 0x01, 0x03, 0xe8, 0x01, 0x90, 0x80];
    let obus = edited(av1::OBU_FRAME, 50, |o, at| o.insert(at, cll));
    let reports = run(&obus, Trust::InStream);
    assert_eq!(
        verdicts(&reports),
        [(0, 16, A), (16, 16, A), (32, 16, A), (48, 16, T)]
    );
    assert_eq!(reports[3].invalid_units, 1);
}

#[test]
fn a_frame_obu_with_an_extension_header_is_not_let_through() {
    // The reference skips OBUs with an extension header; a decoder may
    // show one, so frameseal counts it as an added unit.
    let obus = edited(av1::OBU_FRAME, 5, |o, at| {
        let frame = o[at].clone();
        let mut with_ext = vec![frame[0] | 0x04, 0x00];
        with_ext.extend_from_slice(&frame[1..]);
        o.insert(at + 1, with_ext);
    });
    let reports = run(&obus, Trust::InStream);
    assert_eq!(verdicts(&reports)[0], (0, 16, T));
    assert_eq!(verdicts(&reports)[1..], REFERENCE[1..]);
}

#[test]
fn a_flipped_signature_byte_fails_only_its_gop() {
    let obus = edited(av1::OBU_METADATA, 1, |o, at| {
        let n = o[at].len();
        o[at][n - 20] ^= 0x01;
    });
    let reports = run(&obus, Trust::InStream);
    assert_eq!(
        (reports[1].verdict, reports[1].reason),
        (T, Some("signature"))
    );
    assert_eq!(verdicts(&reports).iter().filter(|g| g.2 == A).count(), 3);
}

#[test]
fn without_its_metadata_obus_the_stream_is_unsigned() {
    let obus: Vec<_> = obus(SIGNED)
        .into_iter()
        .filter(|o| obu_type(o) != av1::OBU_METADATA)
        .collect();
    let reports = run(&obus, Trust::InStream);
    assert_eq!(reports.len(), 4);
    assert!(reports.iter().all(|r| r.verdict == U && r.frames == 16));
}

#[test]
fn another_cameras_key_makes_every_gop_foreign() {
    // The public half of the reference repository's `tests/wrong_ecdsa_key.pem`.
    let other = "-----BEGIN PUBLIC KEY-----\n\
        MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE47BNVRISnr7dYHc0uAo90vi/ozFz\n\
        povizObdN8Qc4ipzOidOC0aMXY+o8kl+c3ScV0ENNQrRvseQFGc/U3/Rww==\n\
        -----END PUBLIC KEY-----\n";
    let key = TrustedKey::from_spki_pem(other).expect("a P-256 key");
    let reports = run(&obus(SIGNED), Trust::Key(key));
    assert!(
        reports.iter().all(|r| r.verdict == GopVerdict::ForeignKey),
        "{reports:?}"
    );
}

#[test]
fn a_truncated_stream_is_refused_at_its_last_obu() {
    let file = std::fs::read(fixture(SIGNED)).expect("fixture readable");
    let cut = &file[..file.len() - 1];
    let last = file.len() - obus(SIGNED).last().expect("an OBU").len();
    assert_eq!(av1::obu_units(cut), Err(ObuError::Truncated { at: last }));
}

/// The stream's temporal units (each opened by a temporal delimiter).
fn temporal_units(obus: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut units: Vec<Vec<u8>> = Vec::new();
    for obu in obus {
        if obu_type(obu) == av1::OBU_TEMPORAL_DELIMITER || units.is_empty() {
            units.push(Vec::new());
        }
        units.last_mut().expect("a unit").extend_from_slice(obu);
    }
    units
}

#[test]
fn the_display_gate_never_releases_a_picture_of_the_changed_gop() {
    use frameseal::signed_video::gate::{Gate, Layout, Mode};
    let units = temporal_units(&obus(MODIFIED));
    assert_eq!(units.len(), 64);
    // The layout is not used for AV1 (an av01 track's length size is 0).
    let mut gate = Gate::new(
        StreamValidator::new(Codec::Av1),
        Codec::Av1,
        Layout::LengthPrefixed(0),
        Mode::Hold,
    )
    .expect("a gate");
    let mut released = Vec::new();
    for (i, unit) in units.iter().enumerate() {
        gate.push(unit, i).expect("a temporal unit");
        released.extend(gate.take_released());
    }
    gate.finish();
    released.extend(gate.take_released());
    let frames: Vec<u64> = released.iter().map(|r| r.frame).collect();
    let want: Vec<u64> = (0..16).chain(32..64).collect();
    assert_eq!(frames, want);
    let keys: Vec<u64> = released
        .iter()
        .filter(|r| r.keyframe)
        .map(|r| r.frame)
        .collect();
    assert_eq!(keys, [0, 32, 48]);
    // Released bytes are the temporal units, unchanged.
    assert!(released.iter().all(|r| r.data == units[r.meta]));
}

/// The second vector: libaom's default (good-quality) mode, with hidden
/// alternate reference frames and frame header OBUs that show an existing
/// frame (a picture of their own for the format), several pictures a
/// temporal unit. The reference: three valid GOPs of 23 pictures.
const ALTREF: &str = "frameseal_signed_av1_altref.obu";
const ALTREF_CHANGED: &str = "frameseal_signed_av1_altref_shown_frame_changed.obu";

#[test]
fn hidden_frames_and_shown_existing_frames_verify_as_the_reference_says() {
    let obus = obus(ALTREF);
    let shown_existing = obus
        .iter()
        .filter(|o| obu_type(o) == av1::OBU_FRAME_HEADER && o[2] & 0x80 != 0)
        .count();
    assert_eq!(shown_existing, 18);
    let reports = run(&obus, Trust::InStream);
    assert_eq!(verdicts(&reports), [(0, 23, A), (23, 23, A), (46, 23, A)]);
}

#[test]
fn a_frame_header_changed_to_show_another_frame_makes_its_gop_tampered() {
    // frame_to_show_map_idx of picture 32 (a shown existing frame) changed
    // after signing: a decoder shows another stored frame there. The
    // reference: GOP 1 invalid, 'N' at that frame header.
    let reports = run(&obus(ALTREF_CHANGED), Trust::InStream);
    assert_eq!(verdicts(&reports), [(0, 23, A), (23, 23, T), (46, 23, A)]);
    assert_eq!(reports[1].invalid_units, 1);
}
