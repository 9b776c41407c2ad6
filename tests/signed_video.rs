//! Axis Signed Video and ONVIF Media Signing on the reference projects' own
//! recordings (tests/fixtures/signed-video/, see its README).
//!
//! The `.mp4` files are plain (non-fragmented) MP4, read by
//! `signed_video::mp4` and checked against ffmpeg copying their samples out
//! unchanged (`-c copy -f rawvideo`). Not through Annex B: the ONVIF signer
//! writes its SEIs without emulation prevention by default, so a SEI may
//! hold a start code pattern that an Annex B conversion would split it at.

use std::path::{Path, PathBuf};
use std::process::Command;

use frameseal::signed_video::mp4;
use frameseal::signed_video::sei::parse_nal;
use frameseal::signed_video::{
    Codec, FrameVerdict, GopReport, GopVerdict, Scheme, SignedVideoSei, StreamValidator,
    annexb_nal_units,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/signed-video")
        .join(name)
}

/// The NAL units of a fixture in decode order: split at start codes for
/// the `.h264` file, read from the samples by `signed_video::mp4` for
/// `.mp4` files.
fn nal_units(name: &str) -> Vec<Vec<u8>> {
    let file = std::fs::read(fixture(name)).expect("fixture readable");
    if name.ends_with(".h264") {
        return annexb_nal_units(&file)
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect();
    }
    let track = mp4::video_track(&file).expect("a video track");
    let mut units = Vec::new();
    for i in 0..track.len() {
        let sample = track.sample(&file, i).expect("inside the file");
        for nal in track.nal_units(sample).expect("length prefixes add up") {
            units.push(nal.to_vec());
        }
    }
    units
}

/// The NAL units of an `.mp4` fixture as ffmpeg copies its samples out
/// (`-c copy -f rawvideo`: the samples back to back, each NAL unit behind
/// its 4-byte length), to check `signed_video::mp4` against.
fn ffmpeg_nal_units(name: &str) -> Vec<Vec<u8>> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(fixture(name))
        .args(["-c", "copy", "-f", "rawvideo", "-"])
        .output()
        .expect("ffmpeg runs");
    assert!(out.status.success(), "ffmpeg failed on {name}");
    let mut rest = &out.stdout[..];
    let mut units = Vec::new();
    while !rest.is_empty() {
        assert!(rest.len() >= 4, "{name}: a length prefix is cut");
        let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        assert!(rest.len() >= 4 + len, "{name}: a NAL unit is cut");
        units.push(rest[4..4 + len].to_vec());
        rest = &rest[4 + len..];
    }
    units
}

#[test]
fn the_mp4_reader_gives_the_nal_units_ffmpeg_gives() {
    for (name, codec) in [
        ("axis_signed_test_h264.mp4", Codec::H264),
        ("axis_signed_test_h265.mp4", Codec::H265),
        ("axis_signed_test_h264_modified_frame_137.mp4", Codec::H264),
        ("axis_test_h264.mp4", Codec::H264),
        ("axis_test_h265.mp4", Codec::H265),
        ("onvif_test_signed_h264.mp4", Codec::H264),
        ("onvif_test_signed_h265.mp4", Codec::H265),
    ] {
        let file = std::fs::read(fixture(name)).expect("fixture readable");
        let track = mp4::video_track(&file).expect("a video track");
        assert_eq!(track.codec, codec, "{name}");
        assert_eq!(track.length_size, 4, "{name}");
        assert!(
            nal_units(name) == ffmpeg_nal_units(name),
            "{name}: NAL units differ"
        );
    }
}

fn seis(name: &str, codec: Codec) -> Vec<SignedVideoSei> {
    nal_units(name)
        .iter()
        .filter_map(|nal| parse_nal(nal, codec).expect("every SEI of ours parses"))
        .collect()
}

fn validate(name: &str, codec: Codec) -> Vec<GopReport> {
    let mut v = StreamValidator::new(codec);
    for nal in nal_units(name) {
        v.push_nal(&nal).expect("every SEI of ours parses");
    }
    v.finish()
}

/// What a signed fixture holds: its scheme, codec, how many of our SEIs,
/// and who made it.
struct Signed {
    name: &'static str,
    codec: Codec,
    scheme: Scheme,
    seis: usize,
    manufacturer: &'static str,
    serial_number: &'static str,
}

const SIGNED: [Signed; 6] = [
    Signed {
        name: "axis_signed_test_h264.mp4",
        codec: Codec::H264,
        scheme: Scheme::Axis,
        seis: 5,
        manufacturer: "Signed Video Framework",
        serial_number: "N/A",
    },
    Signed {
        name: "axis_signed_test_h265.mp4",
        codec: Codec::H265,
        scheme: Scheme::Axis,
        seis: 6,
        manufacturer: "Signed Video Framework",
        serial_number: "N/A",
    },
    Signed {
        name: "axis_signed_test_h264_modified_frame_137.mp4",
        codec: Codec::H264,
        scheme: Scheme::Axis,
        seis: 6,
        manufacturer: "Signed Video Framework",
        serial_number: "N/A",
    },
    Signed {
        name: "axis_signed_vendor_axis.h264",
        codec: Codec::H264,
        scheme: Scheme::Axis,
        seis: 2,
        manufacturer: "Axis Communications AB",
        serial_number: "B8A44F27E6D1",
    },
    Signed {
        name: "onvif_test_signed_h264.mp4",
        codec: Codec::H264,
        scheme: Scheme::Onvif,
        seis: 5,
        manufacturer: "Signed Media Framework",
        serial_number: "N/A",
    },
    Signed {
        name: "onvif_test_signed_h265.mp4",
        codec: Codec::H265,
        scheme: Scheme::Onvif,
        seis: 5,
        manufacturer: "Signed Media Framework",
        serial_number: "N/A",
    },
];

#[test]
fn every_sei_of_every_signed_file_parses_with_key_product_info_and_rising_gop_counters() {
    for f in &SIGNED {
        let seis = seis(f.name, f.codec);
        assert_eq!(seis.len(), f.seis, "{}: SEI count", f.name);
        let mut last_counter = None;
        for (i, sei) in seis.iter().enumerate() {
            let p = &sei.payload;
            assert_eq!(sei.scheme, f.scheme, "{} SEI {i}", f.name);
            assert!(sei.is_signed(), "{} SEI {i}: signed", f.name);
            // Axis streams carry a PEM public key (and the Axis camera its
            // certificate chain too); ONVIF streams the certificate chain.
            match f.scheme {
                Scheme::Axis => {
                    let pem = p.public_key_pem.as_deref().expect("public key");
                    assert!(
                        pem.starts_with(b"-----BEGIN PUBLIC KEY-----"),
                        "{} SEI {i}",
                        f.name
                    );
                }
                Scheme::Onvif => {
                    let chain = p.certificates.as_ref().expect("certificate chain");
                    assert!(chain.pem.starts_with(b"-----BEGIN CERTIFICATE-----"));
                    assert!(!chain.user_provisioned, "{} SEI {i}", f.name);
                }
            }
            let info = p.product_info.as_ref().expect("product info");
            assert_eq!(info.manufacturer, f.manufacturer, "{} SEI {i}", f.name);
            assert_eq!(info.serial_number, f.serial_number, "{} SEI {i}", f.name);
            let general = p.general.as_ref().expect("general TLV");
            if let Some(last) = last_counter {
                assert_eq!(
                    general.gop_counter,
                    last + 1,
                    "{} SEI {i}: GOP counter",
                    f.name
                );
            }
            last_counter = Some(general.gop_counter);
            let list = p.hash_list.as_ref().expect("hash list");
            assert_eq!(list.len() % 32, 0, "{} SEI {i}: SHA-256 hashes", f.name);
        }
    }
}

#[test]
fn the_axis_camera_recording_carries_its_certificate_chain_and_hardware_id() {
    let seis = seis("axis_signed_vendor_axis.h264", Codec::H264);
    for sei in &seis {
        let chain = sei.payload.certificates.as_ref().expect("Axis vendor TLV");
        assert!(chain.pem.starts_with(b"-----BEGIN CERTIFICATE-----"));
        let info = sei.payload.product_info.as_ref().expect("product info");
        assert_eq!(info.hardware_id.as_deref(), Some("7EB.1"));
        assert_eq!(info.firmware_version, "11.6+snapshot-20230615");
    }
}

#[test]
fn unsigned_files_have_no_sei_of_ours_and_every_gop_is_unsigned() {
    for (name, codec) in [
        ("axis_test_h264.mp4", Codec::H264),
        ("axis_test_h265.mp4", Codec::H265),
    ] {
        assert!(seis(name, codec).is_empty(), "{name}");
        let reports = validate(name, codec);
        assert_eq!(reports.len(), 5, "{name}: GOPs");
        assert!(
            reports.iter().all(|r| r.verdict == GopVerdict::Unsigned),
            "{name}"
        );
        let frames: u64 = reports.iter().map(|r| r.frames).sum();
        assert!(frames > 250, "{name}: every picture is in a GOP");
    }
}

/// (first frame, frames, verdict) of every GOP.
fn verdicts(name: &str, codec: Codec) -> Vec<(u64, u64, GopVerdict)> {
    validate(name, codec)
        .iter()
        .map(|r| (r.first_frame, r.frames, r.verdict))
        .collect()
}

/// The per-GOP verdicts agree with the reference validators (the
/// `validator` app of signed-video-framework-examples built with
/// signed-video-framework 2.3.8; its output is in `tests/fixtures/
/// signed-video/reference-validator/`). The last GOP of a current signer's
/// recording is checked with the SEI the signer sends when signing stops;
/// an older Axis signer's SEI lists the next I-frame, so its last GOP stays
/// pending. (The reference app, fed the `.mp4` files through GStreamer,
/// shows every last GOP pending: `h264parse` drops the last sample, which
/// holds that SEI and no picture. Fed the same stream as Annex B, it checks
/// the last GOP: `axis_signed_test_h264.annexb.txt`.) The Axis camera
/// recording starts with a SEI vouching for the GOP before signing started,
/// and its GOP's SEI comes 9 pictures into the next GOP.
#[test]
fn every_gop_of_the_signed_test_files_gets_the_reference_verdict() {
    use GopVerdict::{Authentic as A, Pending as P};
    let current_h264 = vec![
        (0, 62, A),
        (62, 62, A),
        (124, 62, A),
        (186, 62, A),
        (248, 8, A),
    ];
    let current_h265 = vec![
        (0, 62, A),
        (62, 62, A),
        (124, 62, A),
        (186, 62, A),
        (248, 54, A),
    ];
    let older_h265 = vec![
        (0, 62, A),
        (62, 62, A),
        (124, 62, A),
        (186, 62, A),
        (248, 54, P),
    ];
    assert_eq!(
        verdicts("axis_signed_test_h264.mp4", Codec::H264),
        current_h264
    );
    assert_eq!(
        verdicts("onvif_test_signed_h264.mp4", Codec::H264),
        current_h264
    );
    assert_eq!(
        verdicts("onvif_test_signed_h265.mp4", Codec::H265),
        current_h265
    );
    assert_eq!(
        verdicts("axis_signed_test_h265.mp4", Codec::H265),
        older_h265
    );
    assert_eq!(
        verdicts("axis_signed_vendor_axis.h264", Codec::H264),
        [(0, 32, A), (32, 18, P)]
    );
}

#[test]
fn the_modified_frame_137_makes_its_gop_and_only_its_gop_tampered() {
    use GopVerdict::{Authentic as A, Pending as P, Tampered as T};
    let reports = validate("axis_signed_test_h264_modified_frame_137.mp4", Codec::H264);
    let verdicts: Vec<_> = reports.iter().map(|r| r.verdict).collect();
    // As the reference validator: GOP 2 invalid ('N' at its 14th picture).
    assert_eq!(verdicts, [A, A, T, A, P]);
    let gop = &reports[2];
    assert_eq!((gop.invalid_units, gop.missing_units), (1, 0));
    assert_eq!(gop.reason, Some("hash-list"));
    assert!(
        (gop.first_frame..gop.first_frame + gop.frames).contains(&137),
        "{gop:?}"
    );
}

#[test]
fn the_modified_frame_137_is_the_one_tampered_picture_of_its_gop() {
    let reports = validate("axis_signed_test_h264_modified_frame_137.mp4", Codec::H264);
    // As the reference validator marks the units of GOP 2: '.' for every
    // picture but its 14th (decode-order picture 137), 'N'.
    let gop = &reports[2];
    let frames: Vec<u64> = gop.frame_verdicts.iter().map(|f| f.frame).collect();
    assert_eq!(frames, (124..186).collect::<Vec<u64>>());
    let tampered: Vec<u64> = gop
        .frame_verdicts
        .iter()
        .filter(|f| f.verdict == FrameVerdict::Tampered)
        .map(|f| f.frame)
        .collect();
    assert_eq!(tampered, [137]);
    assert_eq!(gop.frame_verdicts[13].verdict.name(), "tampered");
    // The authentic GOPs: every picture authentic; the pending one: none
    // judged.
    for r in &reports {
        match r.verdict {
            GopVerdict::Authentic => {
                assert_eq!(r.frame_verdicts.len() as u64, r.frames, "{r:?}");
                assert!(
                    r.frame_verdicts
                        .iter()
                        .all(|f| f.verdict == FrameVerdict::Authentic)
                );
                assert_eq!(r.frame_verdicts[0].frame, r.first_frame);
            }
            GopVerdict::Pending => assert!(r.frame_verdicts.is_empty()),
            _ => {}
        }
    }
}

#[test]
fn a_stream_whose_seis_are_dropped_is_reported_unsigned_not_authentic() {
    let codec = Codec::H264;
    let mut v = StreamValidator::new(codec);
    for nal in nal_units("onvif_test_signed_h264.mp4") {
        if parse_nal(&nal, codec).expect("parses").is_none() {
            v.push_nal(&nal).expect("no SEI of ours");
        }
    }
    let reports = v.finish();
    assert!(!reports.is_empty());
    assert!(reports.iter().all(|r| r.verdict == GopVerdict::Unsigned));
}

#[test]
fn a_forged_signature_byte_makes_the_gop_tampered() {
    // Flip one byte inside the signature of the third SEI: its GOP must
    // fail on the signature, the others stay authentic.
    let codec = Codec::H264;
    let mut v = StreamValidator::new(codec);
    let mut seen = 0;
    for mut nal in nal_units("onvif_test_signed_h264.mp4") {
        if parse_nal(&nal, codec).expect("parses").is_some() {
            seen += 1;
            if seen == 3 {
                // The stop byte is last, the signature TLV before it: 60
                // bytes from the end is inside a P-256 DER signature (about
                // 71 bytes) at the end of its 72-byte room.
                let at = nal.len() - 60;
                nal[at] ^= 0x01;
            }
        }
        v.push_nal(&nal).expect("still parses");
    }
    let reports = v.finish();
    let bad: Vec<_> = reports
        .iter()
        .filter(|r| !matches!(r.verdict, GopVerdict::Authentic | GopVerdict::Pending))
        .map(|r| (r.gop, r.verdict, r.reason))
        .collect();
    assert_eq!(bad, [(2, GopVerdict::Tampered, Some("signature"))]);
}

/// Pushes the NAL units of fixture `name` into `v`, each first shown to
/// `edit` with the decode-order index of the picture it belongs to (the
/// number of slices before it) and whether it is a slice; `edit` may change
/// it, or drop it by returning `false`.
fn feed(
    v: &mut StreamValidator,
    name: &str,
    codec: Codec,
    mut edit: impl FnMut(usize, bool, &mut Vec<u8>) -> bool,
) {
    let mut picture = 0usize;
    for mut nal in nal_units(name) {
        let slice = match codec {
            Codec::H264 => matches!(nal[0] & 0x1f, 1 | 5),
            Codec::H265 => matches!((nal[0] >> 1) & 0x3f, 0..=9 | 16..=21),
            // The AV1 recordings are fed in tests/signed_video_av1.rs.
            Codec::Av1 => matches!((nal[0] >> 3) & 0x0f, 3 | 4 | 6),
        };
        if edit(picture, slice, &mut nal) {
            v.push_nal(&nal).expect("parses");
        }
        if slice {
            picture += 1;
        }
    }
}

/// Replays the ONVIF H.264 recording through `edit`, which sees every slice
/// with the index of its picture and may change it or drop it (`false`).
fn replay_onvif_h264(mut edit: impl FnMut(usize, &mut Vec<u8>) -> bool) -> Vec<GopReport> {
    let codec = Codec::H264;
    let mut v = StreamValidator::new(codec);
    feed(
        &mut v,
        "onvif_test_signed_h264.mp4",
        codec,
        |picture, slice, nal| !slice || edit(picture, nal),
    );
    v.finish()
}

/// (verdict, invalid units, missing units) of every GOP.
fn counted(reports: &[GopReport]) -> Vec<(GopVerdict, usize, usize)> {
    reports
        .iter()
        .map(|r| (r.verdict, r.invalid_units, r.missing_units))
        .collect()
}

#[test]
fn a_changed_delta_picture_in_an_onvif_stream_makes_its_gop_tampered() {
    use GopVerdict::{Authentic as A, Tampered as T};
    let reports = replay_onvif_h264(|picture, nal| {
        if picture == 70 {
            let last = nal.len() - 1;
            nal[last - 1] ^= 0x10;
        }
        true
    });
    // The GOP hash fails, then the hash list finds the one changed picture.
    let got = counted(&reports);
    assert_eq!(got, [(A, 0, 0), (T, 1, 0), (A, 0, 0), (A, 0, 0), (A, 0, 0)]);
    assert_eq!(reports[1].reason, Some("hash-list"));
}

#[test]
fn a_dropped_delta_picture_makes_its_gop_incomplete_not_authentic() {
    use GopVerdict::{Authentic as A, Incomplete as I};
    let reports = replay_onvif_h264(|picture, _| picture != 130);
    let got = counted(&reports);
    assert_eq!(got, [(A, 0, 0), (A, 0, 0), (I, 0, 1), (A, 0, 0), (A, 0, 0)]);
    assert_eq!((reports[2].frames, reports[2].units), (61, 61));
    // Per picture: the 61 that arrived are authentic; the listed one that
    // never did has no picture, only the GOP's missing count.
    let gop = &reports[2];
    assert_eq!(gop.frame_verdicts.len(), 61);
    assert!(
        gop.frame_verdicts
            .iter()
            .all(|f| f.verdict == FrameVerdict::Authentic)
    );
}

#[test]
fn a_lost_sei_leaves_its_gop_unauthentic_and_the_next_gops_authentic() {
    use GopVerdict::{Authentic as A, Tampered as T};
    let codec = Codec::H264;
    let mut v = StreamValidator::new(codec);
    let mut seen = 0;
    for nal in nal_units("onvif_test_signed_h264.mp4") {
        if parse_nal(&nal, codec).expect("parses").is_some() {
            seen += 1;
            if seen == 2 {
                continue;
            }
        }
        v.push_nal(&nal).expect("parses");
    }
    let reports = v.finish();
    let verdicts: Vec<_> = reports.iter().map(|r| (r.verdict, r.reason)).collect();
    assert_eq!(
        verdicts,
        [
            (A, None),
            (T, Some("missing-sei")),
            (A, None),
            (A, None),
            (A, None)
        ]
    );
    // Without its SEI no picture of the GOP has a verdict of its own.
    assert!(reports[1].frame_verdicts.is_empty());
}

#[test]
fn gops_of_another_camera_spliced_in_are_tampered_by_key_change() {
    // The ONVIF camera's pictures 0..124, then the Axis test camera's from
    // its picture 124 on: same GOP layout, another key.
    use GopVerdict::{Authentic as A, Tampered as T};
    let codec = Codec::H264;
    let mut v = StreamValidator::new(codec);
    for (name, keep) in [
        ("onvif_test_signed_h264.mp4", 0..124),
        ("axis_signed_test_h264.mp4", 124..usize::MAX),
    ] {
        feed(&mut v, name, codec, |picture, _, _| keep.contains(&picture));
    }
    let verdicts: Vec<_> = v.finish().iter().map(|r| (r.verdict, r.reason)).collect();
    let changed = (T, Some("key-changed"));
    assert_eq!(verdicts, [(A, None), changed, changed, changed, changed]);
}

/// The reports on a fixture from picture `from` on (decode order), as a
/// display joining a live stream there sees it; pictures are counted from
/// the join.
fn joined_at(name: &str, codec: Codec, from: usize) -> Vec<GopReport> {
    let mut v = StreamValidator::new(codec);
    feed(&mut v, name, codec, |picture, _, _| picture >= from);
    v.finish()
}

#[test]
fn a_stream_joined_mid_gop_has_its_first_gop_incomplete_and_the_rest_authentic() {
    use GopVerdict::{Authentic as A, Incomplete as I, Pending as P};
    for (name, codec) in [
        ("onvif_test_signed_h264.mp4", Codec::H264),
        ("axis_signed_test_h264.mp4", Codec::H264),
        ("axis_signed_test_h265.mp4", Codec::H265),
    ] {
        // Joined at picture 80: the SEI of GOP 0 is not seen, GOP 1 lacks
        // its I-frame and 17 more pictures; the pictures present are checked
        // against the hash list with the anchor hash it lists.
        let reports = joined_at(name, codec, 80);
        let got: Vec<_> = reports
            .iter()
            .map(|r| (r.first_frame, r.frames, r.verdict))
            .collect();
        // The older Axis signer's last GOP waits for an I-frame.
        let last = match name {
            "axis_signed_test_h265.mp4" => (168, 54, P),
            _ if codec == Codec::H264 => (168, 8, A),
            _ => (168, 54, A),
        };
        assert_eq!(got, [(0, 44, I), (44, 62, A), (106, 62, A), last], "{name}");
        assert_eq!(reports[0].reason, Some("missing-units"), "{name}");
        // The I-frame and pictures 63..80 are missing; nothing is invalid.
        assert_eq!(
            (reports[0].invalid_units, reports[0].missing_units),
            (0, 18),
            "{name}"
        );
    }
}

#[test]
fn a_stream_joined_at_an_i_frame_skips_the_sei_of_the_gop_before() {
    use GopVerdict::{Authentic as A, Pending as P};
    for (name, codec) in [
        ("onvif_test_signed_h264.mp4", Codec::H264),
        ("axis_signed_test_h264.mp4", Codec::H264),
        ("axis_signed_test_h265.mp4", Codec::H265),
        ("onvif_test_signed_h265.mp4", Codec::H265),
    ] {
        let reports = joined_at(name, codec, 62);
        let got: Vec<_> = reports.iter().map(|r| (r.first_frame, r.verdict)).collect();
        let last = if name == "axis_signed_test_h265.mp4" {
            P
        } else {
            A
        };
        assert_eq!(got, [(0, A), (62, A), (124, A), (186, last)], "{name}");
    }
}

#[test]
fn a_replayed_gop_with_its_old_sei_is_never_authentic() {
    // Pictures 0..186, then GOP 1 again (pictures 62..124, with the SEI that
    // follows its I-frame), then the rest from picture 186.
    use GopVerdict::Authentic as A;
    let codec = Codec::H264;
    let mut v = StreamValidator::new(codec);
    for range in [0..186, 62..124, 186..usize::MAX] {
        feed(
            &mut v,
            "onvif_test_signed_h264.mp4",
            codec,
            |picture, _, _| range.contains(&picture),
        );
    }
    let reports = v.finish();
    let got: Vec<_> = reports
        .iter()
        .map(|r| (r.first_frame, r.verdict, r.reason))
        .collect();
    // GOPs 0 and 1 check; from GOP 2 on, SEIs and GOPs no longer line up
    // (the replayed SEI of GOP 0 meets GOP 2, GOP 2's SEI the replayed GOP
    // 1, whose first hash then breaks the next GOP's link): nothing is
    // authentic until the chain is whole again at the last GOP.
    use GopVerdict::Tampered as T;
    assert_eq!(
        got,
        [
            (0, A, None),
            (62, A, None),
            (124, T, Some("replayed-sei")),
            (186, T, Some("linked-hash")),
            (248, T, Some("linked-hash")),
            (310, A, None),
        ]
    );
}

#[test]
fn an_rsa_signed_stream_verifies_as_the_reference_says() {
    // Made here with the reference library (make-vector.c, the Axis
    // repository's test RSA key); the reference validator finds every GOP
    // valid, the last one too: its end-of-stream SEI counts its units.
    use GopVerdict::Authentic as A;
    let name = "frameseal_rsa_signed_h264.h264";
    let seis = seis(name, Codec::H264);
    let pem = seis[0]
        .payload
        .public_key_pem
        .as_deref()
        .expect("public key");
    assert!(pem.starts_with(b"-----BEGIN PUBLIC KEY-----"));
    assert!(seis.iter().all(|s| {
        s.payload
            .signature
            .as_ref()
            .is_some_and(|t| t.signature.len() == 256)
    }));
    let got: Vec<_> = validate(name, Codec::H264)
        .iter()
        .map(|r| (r.first_frame, r.frames, r.verdict))
        .collect();
    assert_eq!(got, [(0, 62, A), (62, 62, A), (124, 62, A), (186, 14, A)]);

    // One flipped byte of the second SEI's signature: its GOP fails.
    let mut v = StreamValidator::new(Codec::H264);
    let mut seen = 0;
    for mut nal in nal_units(name) {
        if parse_nal(&nal, Codec::H264).expect("parses").is_some() {
            seen += 1;
            if seen == 2 {
                let at = nal.len() - 20;
                nal[at] ^= 0x01;
            }
        }
        v.push_nal(&nal).expect("parses");
    }
    let verdicts: Vec<_> = v.finish().iter().map(|r| (r.verdict, r.reason)).collect();
    assert_eq!(verdicts[1], (GopVerdict::Tampered, Some("signature")));
}

#[test]
fn partial_gops_and_a_golden_sei_verify_as_the_reference_says() {
    // Made here with the reference library (make-vector.c, ECDSA, a partial
    // GOP signed every 20 pictures, a golden SEI first); the reference
    // validator finds 13 valid partial GOPs.
    use GopVerdict::{Authentic as A, Tampered as T};
    let name = "frameseal_partial_gops_golden_h264.h264";
    let seis = seis(name, Codec::H264);
    assert_eq!(seis.len(), 14);
    assert!(
        seis[0].payload.general.is_none(),
        "the golden SEI vouches for no GOP"
    );
    let mut expected = Vec::new();
    for gop in 0..3 {
        for part in 0..3 {
            expected.push((62 * gop + 20 * part, 20, A));
        }
        expected.push((62 * gop + 60, 2, A));
    }
    expected.push((186, 14, A));
    assert_eq!(verdicts(name, Codec::H264), expected);

    // A changed picture 30 fails its partial GOP (pictures 20..40) only.
    let mut v = StreamValidator::new(Codec::H264);
    feed(&mut v, name, Codec::H264, |picture, slice, nal| {
        if slice && picture == 30 {
            let last = nal.len() - 1;
            nal[last - 1] ^= 0x10;
        }
        true
    });
    let bad: Vec<_> = v
        .finish()
        .iter()
        .filter(|r| r.verdict != A)
        .map(|r| (r.first_frame, r.verdict, r.invalid_units))
        .collect();
    assert_eq!(bad, [(20, T, 1)]);
}

#[test]
fn a_forged_first_sei_with_another_key_cannot_lock_the_camera_out() {
    // The Axis test camera's first SEI put before the ONVIF recording: as it
    // is, its key is pinned (it signed that SEI) and every ONVIF GOP is
    // key-changed; with its signature broken, its key is not pinned, so the
    // ONVIF camera's own SEIs still check.
    let genuine = nal_units("axis_signed_test_h264.mp4")
        .into_iter()
        .find(|nal| parse_nal(nal, Codec::H264).expect("parses").is_some())
        .expect("a SEI");
    let mut forged = genuine.clone();
    let at = forged.len() - 20;
    forged[at] ^= 0x01;
    for (first, expected) in [
        (genuine, (GopVerdict::Tampered, Some("key-changed"))),
        (forged, (GopVerdict::Authentic, None)),
    ] {
        let mut v = StreamValidator::new(Codec::H264);
        v.push_nal(&first).expect("parses");
        for nal in nal_units("onvif_test_signed_h264.mp4") {
            v.push_nal(&nal).expect("parses");
        }
        let got: Vec<_> = v.finish().iter().map(|r| (r.verdict, r.reason)).collect();
        assert_eq!(got, [expected; 5]);
    }
}
