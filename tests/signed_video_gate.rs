//! The display side of Signed Video (`signed_video::gate`) on the reference
//! recordings: a hold gate releases every picture of the authentic GOPs and
//! nothing of the others, with the same per-GOP verdicts the validator (and
//! so `frameseal verify --signed-video`) gives; a mark gate releases all and
//! reports the same verdicts; a foreign linked key releases nothing.

use std::path::Path;

use frameseal::signed_video::gate::{DropReason, Gate, Layout, Mode};
use frameseal::signed_video::{GopReport, GopVerdict, StreamValidator, Trust, TrustedKey, mp4};

fn read(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/signed-video")
        .join(name);
    std::fs::read(path).expect("fixture readable")
}

/// Every sample of an `.mp4` fixture through a gate; the released pictures
/// (decode-order index, sample index) and every GOP report.
fn gate_mp4(
    name: &str,
    mode: Mode,
    trust: Trust,
) -> (Vec<(u64, usize)>, Vec<GopReport>, Gate<usize>) {
    let file = read(name);
    let track = mp4::video_track(&file).expect("a video track");
    let validator = StreamValidator::with_trust(track.codec, trust);
    let mut gate = Gate::new(
        validator,
        track.codec,
        Layout::LengthPrefixed(track.length_size),
        mode,
    )
    .expect("a gate");
    let mut released = Vec::new();
    let mut reports = Vec::new();
    for i in 0..track.len() {
        gate.push(track.sample(&file, i).expect("inside"), i)
            .expect("a well-formed sample");
        released.extend(gate.take_released().into_iter().map(|r| (r.frame, r.meta)));
        reports.extend(gate.take_reports());
    }
    gate.finish();
    released.extend(gate.take_released().into_iter().map(|r| (r.frame, r.meta)));
    reports.extend(gate.take_reports());
    (released, reports, gate)
}

/// The validator's reports for the same file, NAL unit by NAL unit.
fn reference(name: &str, trust: Trust) -> Vec<GopReport> {
    let file = read(name);
    let track = mp4::video_track(&file).expect("a video track");
    let mut v = StreamValidator::with_trust(track.codec, trust);
    for i in 0..track.len() {
        for nal in track
            .nal_units(track.sample(&file, i).expect("inside"))
            .expect("units")
        {
            let _ = v.push_nal(nal);
        }
    }
    v.finish()
}

#[test]
fn the_tampered_gop_is_never_released_and_every_authentic_picture_is() {
    let name = "axis_signed_test_h264_modified_frame_137.mp4";
    let (released, reports, gate) = gate_mp4(name, Mode::Hold, Trust::InStream);
    assert_eq!(reports, reference(name, Trust::InStream));
    let verdicts: Vec<(u64, u64, GopVerdict)> = reports
        .iter()
        .map(|r| (r.first_frame, r.frames, r.verdict))
        .collect();
    use GopVerdict::{Authentic as A, Pending as P, Tampered as T};
    assert_eq!(
        verdicts,
        [
            (0, 62, A),
            (62, 62, A),
            (124, 62, T),
            (186, 62, A),
            (248, 8, P)
        ]
    );
    let frames: Vec<u64> = released.iter().map(|r| r.0).collect();
    let expected: Vec<u64> = (0..124).chain(186..248).collect();
    assert_eq!(frames, expected, "in decode order, nothing of 124-185");
    let stats = gate.stats();
    assert_eq!(stats.released, 186);
    assert_eq!(stats.dropped(DropReason::Verdict(T)), 62);
    assert_eq!(stats.dropped(DropReason::Verdict(P)), 8);
    assert_eq!((stats.held, stats.held_bytes), (0, 0));
    assert_eq!((stats.gops(A), stats.gops(T), stats.gops(P)), (3, 1, 1));

    // Mark mode: everything at once, the same verdicts after.
    let (marked, mark_reports, _) = gate_mp4(name, Mode::Mark, Trust::InStream);
    assert_eq!(marked.len(), 256);
    assert_eq!(mark_reports, reports);
}

#[test]
fn every_picture_of_an_authentic_recording_is_released_with_its_sample() {
    for name in ["axis_signed_test_h264.mp4", "onvif_test_signed_h265.mp4"] {
        let (released, reports, gate) = gate_mp4(name, Mode::Hold, Trust::InStream);
        assert_eq!(reports, reference(name, Trust::InStream), "{name}");
        let authentic: u64 = reports
            .iter()
            .filter(|r| r.verdict == GopVerdict::Authentic)
            .map(|r| r.frames)
            .sum();
        assert_eq!(released.len() as u64, authentic, "{name}");
        assert!(
            released
                .windows(2)
                .all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1),
            "{name}: decode order"
        );
        assert_eq!(gate.stats().dropped(DropReason::NotCovered), 0);
    }
}

#[test]
fn a_foreign_linked_key_releases_nothing() {
    // The key the H.264 Axis recording carries, linked to the ONVIF one.
    let text = String::from_utf8_lossy(&read("axis_signed_test_h264.mp4")).into_owned();
    let start = text.find("-----BEGIN PUBLIC KEY-----").expect("a key");
    let end = text[start..]
        .find("-----END PUBLIC KEY-----")
        .expect("its end")
        + start
        + 24;
    let key = TrustedKey::from_spki_pem(&text[start..end]).expect("a key");
    let name = "onvif_test_signed_h264.mp4";
    let (released, reports, gate) = gate_mp4(name, Mode::Hold, Trust::Key(key.clone()));
    assert!(released.is_empty());
    assert!(!reports.is_empty());
    assert!(reports.iter().all(|r| r.verdict == GopVerdict::ForeignKey));
    assert_eq!(
        gate.stats()
            .dropped(DropReason::Verdict(GopVerdict::ForeignKey)),
        reports.iter().map(|r| r.frames).sum::<u64>()
    );
    let (_, marked, _) = gate_mp4(name, Mode::Mark, Trust::Key(key));
    assert_eq!(marked, reports);
}
