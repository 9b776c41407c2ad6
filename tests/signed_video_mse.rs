//! `signed_video::mse` on the Axis recording whose picture 137 was changed
//! after signing, made fragmented MP4 by ffmpeg (`-c copy`, samples
//! unchanged; one fragment per GOP): the media segments written for the
//! `SourceBuffer` reparse to exactly the released pictures' samples, bytes
//! and times as they came, and hold no sample of the tampered GOP
//! (pictures 124-185) and every picture of the authentic ones; the
//! cleaned init segment is what a FragmentFilter appends.
//!
//! Native only: ffmpeg runs here, and in a WebAssembly build without the
//! `signed-video` feature the module is left out.
#![cfg(not(target_arch = "wasm32"))]

use std::path::Path;
use std::process::Command;

use frameseal::fmp4::{InitSegment, MediaSegment};
use frameseal::signed_video::gate::Mode;
use frameseal::signed_video::mse::{MseGate, SampleTimes, init_len};
use frameseal::signed_video::{GopVerdict, Trust};

const TAMPERED: &str = "axis_signed_test_h264_modified_frame_137.mp4";

/// `name` as fragmented MP4: the init segment and each `moof` + `mdat`.
fn fragmented(name: &str) -> (Vec<u8>, Vec<Vec<u8>>) {
    let input = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/signed-video")
        .join(name);
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&input)
        .args(["-map", "0:v:0", "-c", "copy", "-movflags"])
        .args([
            "frag_keyframe+empty_moov+default_base_moof",
            "-f",
            "mp4",
            "-",
        ])
        .output()
        .expect("ffmpeg runs");
    assert!(out.status.success(), "ffmpeg failed on {name}");
    let file = out.stdout;
    let init = init_len(&file);
    assert!(init > 0 && init < file.len());
    let mut boxes = Vec::new();
    let mut at = init;
    while at < file.len() {
        let size = u32::from_be_bytes(file[at..at + 4].try_into().expect("4 bytes")) as usize;
        boxes.push((file[at + 4..at + 8].to_vec(), at..at + size));
        at += size;
    }
    let mut segments = Vec::new();
    for pair in boxes.windows(2) {
        if pair[0].0 == b"moof" && pair[1].0 == b"mdat" {
            segments.push(file[pair[0].1.start..pair[1].1.end].to_vec());
        }
    }
    (file[..init].to_vec(), segments)
}

/// Every video sample of `segments`: bytes and times.
fn samples(init: &InitSegment, segments: &[Vec<u8>]) -> Vec<(Vec<u8>, SampleTimes)> {
    let mut out = Vec::new();
    for bytes in segments {
        let seg = MediaSegment::parse(init, bytes).expect("a media segment");
        for s in seg.video() {
            let times = SampleTimes::from(s);
            out.push((seg.data(s).to_vec(), times));
        }
    }
    out
}

/// What [`run`] gives: the cleaned init segment, the written media
/// segments, the written pictures' frame indexes, the GOP verdicts.
type Run = (Vec<u8>, Vec<Vec<u8>>, Vec<u64>, Vec<(u64, u64, GopVerdict)>);

/// The whole stream through an [`MseGate`] in `mode`.
fn run(mode: Mode) -> Run {
    let (init, segments) = fragmented(TAMPERED);
    let mut gate = MseGate::new(&init, Trust::InStream, mode).expect("a gate");
    let mut written = Vec::new();
    let mut frames = Vec::new();
    let mut verdicts = Vec::new();
    let mut outputs = Vec::new();
    for s in &segments {
        outputs.push(gate.push_segment(s).expect("a segment"));
        verdicts.extend(gate.take_reports());
    }
    outputs.push(gate.finish().expect("finished"));
    verdicts.extend(gate.take_reports());
    for out in outputs {
        frames.extend(out.pictures.iter().map(|p| p.frame));
        assert_eq!(out.segment.is_empty(), out.pictures.is_empty());
        if !out.segment.is_empty() {
            written.push(out.segment);
        }
    }
    assert_eq!(gate.malformed(), 0);
    let verdicts = verdicts
        .iter()
        .map(|r| (r.first_frame, r.frames, r.verdict))
        .collect();
    (gate.init_segment().to_vec(), written, frames, verdicts)
}

#[test]
fn the_written_segments_hold_exactly_the_authentic_pictures_with_their_times() {
    let (init, segments) = fragmented(TAMPERED);
    let source_init = InitSegment::parse(&init).expect("ffmpeg's init segment");
    let original = samples(&source_init, &segments);
    assert_eq!(segments.len(), 5, "one fragment per GOP");

    let (cleaned, written, frames, verdicts) = run(Mode::Hold);
    assert_eq!(
        verdicts,
        [
            (0, 62, GopVerdict::Authentic),
            (62, 62, GopVerdict::Authentic),
            (124, 62, GopVerdict::Tampered),
            (186, 62, GopVerdict::Authentic),
            (248, 8, GopVerdict::Pending),
        ]
    );
    let authentic: Vec<u64> = (0..248).filter(|f| !(124..=185).contains(f)).collect();
    assert_eq!(frames, authentic, "every authentic picture, in order");

    // The cleaned init segment parses to the same track, and the written
    // segments reparse against it to the original samples of those
    // pictures (one picture a sample here), bytes and times.
    let out_init = InitSegment::parse(&cleaned).expect("the cleaned init segment");
    assert_eq!(out_init.track_id(), source_init.track_id());
    assert_eq!(out_init.timescale(), source_init.timescale());
    assert_eq!(out_init.config(), source_init.config());
    assert_eq!(cleaned, source_init.cleaned(&init).expect("cleans"));
    let got = samples(&out_init, &written);
    let expected: Vec<(Vec<u8>, SampleTimes)> = authentic
        .iter()
        .map(|&f| original[f as usize].clone())
        .collect();
    assert_eq!(got.len(), 186);
    assert!(got == expected, "the released samples, bytes and times");

    // The tampered GOP's time range is not in any written segment.
    let (from, to) = (original[124].1.decode_time, original[186].1.decode_time);
    assert!(
        got.iter()
            .all(|(_, t)| t.decode_time < from || t.decode_time >= to)
    );
    // Sync samples are the GOPs' first pictures.
    let keys: Vec<usize> = got
        .iter()
        .enumerate()
        .filter(|(_, (_, t))| t.flags & 0x1_0000 == 0)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(keys, [0, 62, 124]);
}

#[test]
fn mark_mode_writes_every_picture_at_once() {
    let (init, segments) = fragmented(TAMPERED);
    let source_init = InitSegment::parse(&init).expect("ffmpeg's init segment");
    let original = samples(&source_init, &segments);
    let (cleaned, written, frames, verdicts) = run(Mode::Mark);
    assert_eq!(verdicts[2], (124, 62, GopVerdict::Tampered));
    assert_eq!(frames, (0..256).collect::<Vec<u64>>());
    let out_init = InitSegment::parse(&cleaned).expect("the cleaned init segment");
    let got = samples(&out_init, &written);
    // The last sample holds no picture: carried, never written.
    assert_eq!(got.len(), 256);
    assert!(got[..] == original[..256]);
}

#[test]
fn bad_segments_change_nothing_and_a_finished_gate_refuses() {
    let (init, segments) = fragmented(TAMPERED);
    let mut gate = MseGate::new(&init, Trust::InStream, Mode::Hold).expect("a gate");
    assert!(gate.same_init(&init));
    assert!(!gate.same_init(&segments[0]));
    let e = gate.push_segment(&init).expect_err("not a media segment");
    assert_eq!(e.reason(), "bad-fragment");
    let mut cut = segments[0].clone();
    cut.truncate(cut.len() - 1);
    assert_eq!(
        gate.push_segment(&cut).expect_err("cut").reason(),
        "bad-fragment"
    );
    assert_eq!(gate.stats().released + gate.stats().held, 0);
    assert!(gate.push_segment(&segments[0]).is_ok());
    gate.finish().expect("finished");
    assert_eq!(
        gate.push_segment(&segments[1])
            .expect_err("finished")
            .reason(),
        "finished"
    );
    assert_eq!(
        MseGate::new(&segments[0], Trust::InStream, Mode::Hold)
            .err()
            .map(|e| e.reason()),
        Some("bad-init-segment")
    );
}

/// The fuzz target `signed_video_sei` feeds `MseGate` the H.265 recording
/// as committed fMP4 (no ffmpeg there): it is the ffmpeg output of
/// [`fragmented`] byte for byte, and its GOPs are found authentic, so the
/// fuzzer's genuine segments reach the written-segment checks in hold mode.
#[test]
fn the_fuzz_fixture_is_the_h265_recording_as_fmp4_with_authentic_gops() {
    let file = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/signed-video/axis_signed_test_h265_fragmented.mp4"),
    )
    .expect("the fixture");
    let (init, segments) = fragmented("axis_signed_test_h265.mp4");
    assert!(file.starts_with(&init));
    let at = init.len();
    assert!(file[at..].starts_with(&segments.concat()));
    let mut gate = MseGate::new(&init, Trust::InStream, Mode::Hold).expect("a gate");
    let mut written = 0;
    for s in &segments {
        written += gate.push_segment(s).expect("a segment").pictures.len();
    }
    written += gate.finish().expect("finished").pictures.len();
    let reports = gate.take_reports();
    assert!(reports.len() >= 4, "{reports:?}");
    assert!(
        reports[..reports.len() - 1]
            .iter()
            .all(|r| r.verdict == GopVerdict::Authentic),
        "{reports:?}"
    );
    assert!(written > 0);
}
