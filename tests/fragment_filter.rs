//! `frameseal::fragment_filter` (SPEC §7) on fragmented MP4 made by ffmpeg
//! (`tests/fixtures/fmp4/`), sealed sample by sample here as a camera
//! would: what is kept, what is dropped and why, the chain rule, the init
//! segment's vouching and clean-up, and the codec strings.

mod support;

use frameseal::fmp4::{InitSegment, MediaSegment};
use frameseal::fragment_filter::{FilteredSample, FragmentFilter, NotKept, SampleVerdict};
use frameseal::inband;
use frameseal::{DropReason, FrameSpec, Signer};
use support::media::{camera, display, fixture};

const NOW_US: u64 = 1_765_000_000_000_000;
const FRAME_US: u64 = 33_333;

/// A fixture file split into its init segment and its media segments
/// (`moof` + `mdat` pairs), by a top-level box walk of this test's own.
fn split(file: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut init = Vec::new();
    let mut segments = Vec::new();
    let mut at = 0;
    while at < file.len() {
        let size = u32::from_be_bytes(file[at..at + 4].try_into().unwrap()) as usize;
        let kind = &file[at + 4..at + 8];
        let whole = &file[at..at + size];
        match kind {
            b"ftyp" | b"moov" => init.extend_from_slice(whole),
            b"moof" => segments.push(whole.to_vec()),
            b"mdat" => segments.last_mut().unwrap().extend_from_slice(whole),
            _ => {}
        }
        at += size;
    }
    (init, segments)
}

/// The fixture's segments with every video sample sealed by `cam` (seq in
/// decode order from 0, KEYFRAME from the unit), rewritten in place.
fn sealed(cam: &mut Signer, init: &[u8], segments: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let parsed = InitSegment::parse(init).unwrap();
    let format = parsed.unit_format().unwrap();
    let mut n = 0u64;
    segments
        .iter()
        .map(|segment| {
            let seg = MediaSegment::parse(&parsed, segment).unwrap();
            let units: Vec<Vec<u8>> = seg
                .video()
                .iter()
                .map(|s| {
                    let unit = seg.data(s);
                    let keyframe = inband::is_keyframe(unit, format).unwrap();
                    let spec = FrameSpec {
                        seq: Some(n),
                        keyframe,
                        ..FrameSpec::at(NOW_US + n * FRAME_US)
                    };
                    n += 1;
                    cam.seal_unit(unit, format, Some(parsed.config()), &spec)
                        .unwrap()
                })
                .collect();
            let with: Vec<Option<&[u8]>> = units.iter().map(|u| Some(u.as_slice())).collect();
            seg.rewrite_with(&with).unwrap()
        })
        .collect()
}

fn filter_for(cam: &Signer) -> FragmentFilter {
    FragmentFilter::new(display(cam))
}

/// The video samples of a segment as bytes.
fn samples(init: &InitSegment, segment: &[u8]) -> Vec<Vec<u8>> {
    let seg = MediaSegment::parse(init, segment).unwrap();
    seg.video().iter().map(|s| seg.data(s).to_vec()).collect()
}

/// `+` kept, `s` skipped until keyframe, `v` unvouched, or the drop reason.
fn verdicts(v: &[FilteredSample]) -> Vec<String> {
    v.iter()
        .map(|v| match &v.verdict {
            SampleVerdict::Kept(_) => "+".to_string(),
            SampleVerdict::NotKept(_, NotKept::SkippedUntilKeyframe) => "s".to_string(),
            SampleVerdict::NotKept(_, NotKept::UnvouchedConfiguration) => "v".to_string(),
            SampleVerdict::Dropped(r) => r.name().to_string(),
        })
        .collect()
}

#[test]
fn every_sealed_sample_of_every_fixture_is_kept_as_it_was_sealed() {
    for name in [
        "h264_gop.mp4",
        "h264_every_frame.mp4",
        "h265_gop.mp4",
        "av1_gop.mp4",
        "h264_aac.mp4",
    ] {
        let (init, segments) = split(&fixture("fmp4", name));
        let mut cam = camera(7);
        let sealed = sealed(&mut cam, &init, &segments);
        let mut f = filter_for(&cam);
        f.init(&init).unwrap();
        let mut inits = 0;
        let mut total = 0;
        for segment in &sealed {
            let out = f.filter(segment, NOW_US as i64).unwrap();
            assert!(
                out.samples
                    .iter()
                    .all(|v| matches!(v.verdict, SampleVerdict::Kept(_))),
                "{name}: {:?}",
                verdicts(&out.samples)
            );
            if let Some(cleaned) = &out.init {
                inits += 1;
                assert_eq!(
                    total, 0,
                    "{name}: the init comes with the first kept samples"
                );
                let again = InitSegment::parse(cleaned).unwrap();
                let original = InitSegment::parse(&init).unwrap();
                assert_eq!(again.config(), original.config(), "{name}");
                assert_eq!(again.track_id(), original.track_id());
                assert_eq!(again.timescale(), original.timescale());
                assert_eq!(
                    again.tracks().len(),
                    1,
                    "{name}: only the video track's trex"
                );
            }
            let bytes = out.bytes.expect("kept samples");
            let parsed = InitSegment::parse(&init).unwrap();
            assert_eq!(
                samples(&parsed, &bytes),
                samples(&parsed, segment),
                "{name}"
            );
            assert!(
                MediaSegment::parse(&parsed, &bytes)
                    .unwrap()
                    .other()
                    .is_empty()
            );
            total += out.samples.len();
        }
        assert_eq!(inits, 1, "{name}");
        assert_eq!(f.verifier_stats().accepted, total as u64, "{name}");
        assert_eq!(f.verifier_stats().dropped_total(), 0, "{name}");
        if name == "h264_aac.mp4" {
            // Sealing rewrote the segments without the audio; the camera's
            // own segments still have it: unsigned video, audio removed.
            let parsed = InitSegment::parse(&init).unwrap();
            let audio: usize = segments
                .iter()
                .map(|s| MediaSegment::parse(&parsed, s).unwrap().other().len())
                .sum();
            assert!(audio > 0);
            let mut raw = filter_for(&cam);
            raw.init(&init).unwrap();
            for s in &segments {
                assert!(raw.filter(s, NOW_US as i64).unwrap().bytes.is_none());
            }
            assert_eq!(raw.stats().other_track_samples, audio as u64);
        }
    }
}

#[test]
fn a_lost_or_tampered_sample_costs_the_gop_an_injected_one_costs_nothing() {
    let (init, segments) = split(&fixture("fmp4", "h264_every_frame.mp4"));
    let mut cam = camera(7);
    let genuine = sealed(&mut cam, &init, &segments);
    let mut stranger = camera(9);
    let foreign = sealed(&mut stranger, &init, &segments);
    assert_eq!(
        genuine.len(),
        24,
        "one fragment per frame, keyframes at 0 and 12"
    );

    // Frames 0..4, a foreign one, an unsealed one, a replay of 2, then 4;
    // 5 is lost (6..11 wait for 12); 13 tampered (14.. wait, none left).
    let mut tampered = genuine[13].clone();
    let n = tampered.len();
    tampered[n - 3] ^= 0x10; // inside the last slice NAL unit of the mdat
    let feed: Vec<&[u8]> = vec![
        &genuine[0],
        &genuine[1],
        &genuine[2],
        &genuine[3],
        &foreign[4],
        &segments[4],
        &genuine[2],
        &genuine[4],
        &genuine[6],
        &genuine[7],
        &genuine[11],
        &genuine[12],
        &tampered,
        &genuine[14],
        &genuine[15],
    ];
    let mut f = filter_for(&cam);
    f.init(&init).unwrap();
    let got: Vec<String> = feed
        .iter()
        .flat_map(|s| verdicts(&f.filter(s, NOW_US as i64).unwrap().samples))
        .collect();
    let want = [
        "+",
        "+",
        "+",
        "+",
        "foreign-key",
        "unsigned",
        "replayed",
        "+",
        "s",
        "s",
        "s",
        "+",
        "bad-signature",
        "s",
        "s",
    ];
    assert_eq!(got, want);
    assert_eq!(f.stats().skipped_until_keyframe, 5);
    let stats = f.verifier_stats();
    for (reason, n) in [
        (DropReason::ForeignKey, 1),
        (DropReason::Unsigned, 1),
        (DropReason::Replayed, 1),
        (DropReason::BadSignature, 1),
    ] {
        assert_eq!(stats.dropped(reason), n, "{}", reason.name());
    }
}

#[test]
fn nothing_is_kept_before_a_keyframe_and_a_broken_segment_breaks_the_chain() {
    let (init, segments) = split(&fixture("fmp4", "h264_every_frame.mp4"));
    let mut cam = camera(7);
    let genuine = sealed(&mut cam, &init, &segments);
    let mut f = filter_for(&cam);
    assert!(
        f.filter(&genuine[0], NOW_US as i64).is_err(),
        "no init segment yet"
    );
    f.init(&init).unwrap();
    // Joining mid-GOP: deltas wait for the keyframe, with no init handed out.
    for s in &genuine[3..6] {
        let out = f.filter(s, NOW_US as i64).unwrap();
        assert_eq!(verdicts(&out.samples), ["s"]);
        assert!(out.init.is_none() && out.bytes.is_none());
    }
    let out = f.filter(&genuine[12], NOW_US as i64).unwrap();
    assert!(out.init.is_some() && out.bytes.is_some());
    // A truncated segment: one malformed drop, and the chain is broken.
    let cut = &genuine[13][..genuine[13].len() - 10];
    let out = f.filter(cut, NOW_US as i64).unwrap();
    assert!(out.unreadable.is_some() && out.samples.is_empty() && out.bytes.is_none());
    assert_eq!(f.verifier_stats().dropped(DropReason::Malformed), 1);
    assert_eq!(
        verdicts(&f.filter(&genuine[14], NOW_US as i64).unwrap().samples),
        ["s"]
    );
}

/// `init` with its `avcC` payload `old` replaced by `new` (same length).
fn swap_config(init: &[u8], old: &[u8], new: &[u8]) -> Vec<u8> {
    assert_eq!(old.len(), new.len());
    let at = init.windows(old.len()).position(|w| w == old).unwrap();
    let mut out = init.to_vec();
    out[at..at + new.len()].copy_from_slice(new);
    out
}

/// The SPS and PPS of an `avcC` with one of each.
fn sps_pps(config: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let sps_len = u16::from_be_bytes([config[6], config[7]]) as usize;
    let sps = config[8..8 + sps_len].to_vec();
    let at = 8 + sps_len + 1;
    let pps_len = u16::from_be_bytes([config[at], config[at + 1]]) as usize;
    (sps, config[at + 2..at + 2 + pps_len].to_vec())
}

/// `unit` (4-byte lengths) with `sets` put in front of it.
fn with_sets(unit: &[u8], sets: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for s in sets {
        out.extend_from_slice(&(s.len() as u32).to_be_bytes());
        out.extend_from_slice(s);
    }
    out.extend_from_slice(unit);
    out
}

#[test]
fn a_keyframe_with_its_own_parameter_sets_must_vouch_for_the_init_segment() {
    let (init, segments) = split(&fixture("fmp4", "h264_every_frame.mp4"));
    let parsed = InitSegment::parse(&init).unwrap();
    let format = parsed.unit_format().unwrap();
    let (sps, pps) = sps_pps(parsed.config());
    // The camera sends SPS and PPS in band, with every keyframe and (as
    // some encoders do) with a delta too.
    let mut cam = camera(7);
    let mut n = 0u64;
    let segs: Vec<Vec<u8>> = segments[..3]
        .iter()
        .map(|segment| {
            let seg = MediaSegment::parse(&parsed, segment).unwrap();
            let s = &seg.video()[0];
            let unit = with_sets(seg.data(s), &[&sps, &pps]);
            let keyframe = inband::is_keyframe(&unit, format).unwrap();
            let spec = FrameSpec {
                seq: Some(n),
                keyframe,
                ..FrameSpec::at(NOW_US)
            };
            n += 1;
            let sealed = cam.seal_unit(&unit, format, None, &spec).unwrap();
            seg.rewrite_with(&[Some(&sealed)]).unwrap()
        })
        .collect();

    // A relay swaps the init's PPS for another of the same length.
    let mut other_pps = pps.clone();
    *other_pps.last_mut().unwrap() ^= 0x01;
    let mut other_config = parsed.config().to_vec();
    let at = other_config
        .windows(pps.len())
        .position(|w| w == pps)
        .unwrap();
    other_config[at..at + pps.len()].copy_from_slice(&other_pps);
    let swapped = swap_config(&init, parsed.config(), &other_config);
    let mut f = filter_for(&cam);
    f.init(&swapped).unwrap();
    for s in &segs {
        let out = f.filter(s, NOW_US as i64).unwrap();
        assert!(out.init.is_none() && out.bytes.is_none());
        assert!(matches!(out.samples[0].verdict, SampleVerdict::NotKept(..)));
    }
    assert_eq!(f.stats().unvouched_keyframes, 1);

    // The camera's own init: vouched; the delta's parameter sets removed.
    let mut f = filter_for(&cam);
    f.init(&init).unwrap();
    let first = f.filter(&segs[0], NOW_US as i64).unwrap();
    assert!(first.init.is_some());
    assert_eq!(
        samples(&parsed, first.bytes.as_ref().unwrap()),
        samples(&parsed, &segs[0])
    );
    let delta = f.filter(&segs[1], NOW_US as i64).unwrap();
    let kept = samples(&parsed, delta.bytes.as_ref().unwrap()).remove(0);
    let sent = samples(&parsed, &segs[1]).remove(0);
    assert_eq!(kept.len(), sent.len() - 8 - sps.len() - pps.len());
    assert!(
        !kept.windows(sps.len()).any(|w| w == sps),
        "the delta's SPS is gone"
    );
    assert!(sent.ends_with(&kept[kept.len() - 64..]));
    // A second init segment that differs: nothing kept until a keyframe vouches.
    f.init(&swapped).unwrap();
    let out = f.filter(&segs[2], NOW_US as i64).unwrap();
    assert_eq!(verdicts(&out.samples), ["s"]);
}

/// A copy of `init` with the video `tkhd`'s matrix rotated 90° and a `clap`
/// box added to the sample entry, every enclosing size fixed.
fn rotated_and_cropped(init: &[u8]) -> Vec<u8> {
    let mut out = init.to_vec();
    let tkhd = out.windows(4).position(|w| w == b"tkhd").unwrap() - 4;
    let version = out[tkhd + 8];
    let matrix = tkhd + 8 + if version == 1 { 48 } else { 36 };
    let rot: [u32; 9] = [0, 0x0001_0000, 0, 0xffff_0000, 0, 0, 0, 0, 0x4000_0000];
    for (i, v) in rot.iter().enumerate() {
        out[matrix + 4 * i..matrix + 4 * i + 4].copy_from_slice(&v.to_be_bytes());
    }
    // clap: 8 u32 fields.
    let mut clap = vec![0, 0, 0, 40];
    clap.extend_from_slice(b"clap");
    clap.extend_from_slice(&[0, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0, 16, 0, 0, 0, 1]);
    clap.extend_from_slice(&[0; 16]);
    let entry = out.windows(4).position(|w| w == b"avc1").unwrap() - 4;
    let entry_size = u32::from_be_bytes(out[entry..entry + 4].try_into().unwrap()) as usize;
    let at = entry + entry_size;
    out.splice(at..at, clap.iter().copied());
    for kind in [
        b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd", b"avc1",
    ] {
        let b = out.windows(4).position(|w| w == kind).unwrap() - 4;
        let size = u32::from_be_bytes(out[b..b + 4].try_into().unwrap()) + 40;
        out[b..b + 4].copy_from_slice(&size.to_be_bytes());
    }
    out
}

#[test]
fn the_init_segment_handed_out_has_no_rotation_no_crop_and_one_track() {
    let (init, segments) = split(&fixture("fmp4", "h264_every_frame.mp4"));
    let changed = rotated_and_cropped(&init);
    assert!(changed.windows(4).any(|w| w == b"clap"));
    InitSegment::parse(&changed).expect("still a valid init segment");
    let mut cam = camera(7);
    let genuine = sealed(&mut cam, &init, &segments);
    let mut f = filter_for(&cam);
    f.init(&changed).unwrap();
    let cleaned = f.filter(&genuine[0], NOW_US as i64).unwrap().init.unwrap();
    assert!(!cleaned.windows(4).any(|w| w == b"clap"));
    let tkhd = cleaned.windows(4).position(|w| w == b"tkhd").unwrap() - 4;
    let version = cleaned[tkhd + 8];
    let m = tkhd + 8 + if version == 1 { 48 } else { 36 };
    let identity: Vec<u8> = [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    assert_eq!(&cleaned[m..m + 36], &identity[..]);
    let parsed = InitSegment::parse(&cleaned).unwrap();
    assert_eq!(parsed.config(), InitSegment::parse(&init).unwrap().config());

    // Audio: its trak and trex go.
    let (init, _) = split(&fixture("fmp4", "h264_aac.mp4"));
    let parsed = InitSegment::parse(&init).unwrap();
    assert_eq!(parsed.tracks().len(), 2);
    let cleaned = parsed.cleaned(&init).unwrap();
    assert_eq!(cleaned.windows(4).filter(|w| w == b"trak").count(), 1);
    assert!(!cleaned.windows(4).any(|w| w == b"mp4a"));
    assert_eq!(InitSegment::parse(&cleaned).unwrap().tracks().len(), 1);
}

#[test]
fn codec_strings_come_from_the_configuration_record() {
    let init_of = |name: &str| InitSegment::parse(&split(&fixture("fmp4", name)).0).unwrap();
    let h264 = init_of("h264_gop.mp4");
    let c = h264.config();
    assert_eq!(
        h264.codec_string(),
        format!("avc1.{:02x}{:02x}{:02x}", c[1], c[2], c[3])
    );
    assert_eq!(
        h264.mime_type(),
        format!("video/mp4; codecs=\"{}\"", h264.codec_string())
    );
    // ISO/IEC 14496-15 E.3, read here field by field: profile space
    // (none), profile_idc, the 32 compatibility flags bit-reversed in hex,
    // tier and level, then the six constraint bytes in hex without the
    // trailing zero ones. The fixture is x265 on testsrc's 4:4:4 (RExt,
    // profile 4, compatibility flag 4 alone, so 0x08000000 reversed = 0x10).
    let h265 = init_of("h265_gop.mp4");
    let c = h265.config();
    assert_eq!(c[1] >> 6, 0);
    assert_eq!(c[1] & 0x20, 0, "Main tier");
    assert_eq!(&c[2..6], [0x08, 0, 0, 0]);
    let constraints: Vec<String> = c[6..12]
        .iter()
        .rev()
        .skip_while(|&&b| b == 0)
        .map(|b| format!("{b:X}"))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    assert_eq!(
        h265.codec_string(),
        format!(
            "hvc1.{}.10.L{}.{}",
            c[1] & 0x1f,
            c[12],
            constraints.join(".")
        )
    );
    // AV1-ISOBMFF av1C: seq_profile (3 bits), seq_level_idx_0 (5), then
    // tier and bit depth; libaom on 4:4:4 testsrc: High profile (1), Main
    // tier, 8-bit.
    let av1 = init_of("av1_gop.mp4");
    let c = av1.config();
    assert_eq!(c[2] & 0xe0, 0, "Main tier, 8-bit");
    assert_eq!(
        av1.codec_string(),
        format!("av01.{}.{:02}M.08", c[1] >> 5, c[1] & 0x1f)
    );
}

#[test]
fn a_bad_init_segment_is_an_error_and_the_same_one_again_changes_nothing() {
    let (init, segments) = split(&fixture("fmp4", "h264_every_frame.mp4"));
    let mut cam = camera(7);
    let genuine = sealed(&mut cam, &init, &segments);
    let mut f = filter_for(&cam);
    assert!(f.init(b"not an init segment").is_err());
    assert!(f.init_segment().is_none());
    f.init(&init).unwrap();
    assert!(f.filter(&genuine[0], NOW_US as i64).unwrap().init.is_some());
    f.init(&init).unwrap();
    let out = f.filter(&genuine[1], NOW_US as i64).unwrap();
    assert!(out.init.is_none(), "handed out once");
    assert_eq!(verdicts(&out.samples), ["+"], "the chain is intact");
    assert!(f.init(&init[..init.len() - 1]).is_err());
    assert_eq!(
        verdicts(&f.filter(&genuine[2], NOW_US as i64).unwrap().samples),
        ["+"]
    );
}
