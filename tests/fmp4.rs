//! `frameseal::fmp4` on fragmented MP4 made by ffmpeg
//! (`tests/fixtures/fmp4/`, `tools/make-fmp4-fixtures.sh`): init segments,
//! samples checked against ffmpeg's own Annex B conversion, rewrites that
//! reparse to exactly the kept samples, and damaged boxes refused with the
//! right error at the right offset.

use std::alloc::{GlobalAlloc, Layout as AllocLayout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use frameseal::fmp4::{BoxType, Fmp4Error, InitSegment, MediaSegment, RewriteError, Sample};
use frameseal::inband::{self, UnitCodec, elementary};

/// The rewrite's oracle, shared with the `fmp4_rewrite` fuzz target.
#[path = "../fuzz/fuzz_targets/fmp4_oracle.rs"]
mod fmp4_oracle;

use fmp4_oracle::{actual, expected};

/// Records the largest single allocation, to show that a huge sample count
/// is refused before anything is sized by it.
struct Largest;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Largest {
    unsafe fn alloc(&self, layout: AllocLayout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: AllocLayout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: AllocLayout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Largest = Largest;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/fmp4/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Top-level boxes as (offset, type, size), read independently of the
/// module under test (32-bit sizes only, as ffmpeg writes them).
fn top_boxes(bytes: &[u8]) -> Vec<(usize, [u8; 4], usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        out.push((at, bytes[at + 4..at + 8].try_into().unwrap(), size));
        at += size;
    }
    assert_eq!(at, bytes.len());
    out
}

/// A file ffmpeg wrote, split into its init segment and its fragments
/// (without the `mfra` index ffmpeg ends the file with).
fn split(name: &str) -> (Vec<u8>, Vec<u8>) {
    let file = fixture(name);
    let boxes = top_boxes(&file);
    let first_moof = boxes.iter().find(|b| &b.1 == b"moof").expect("a moof").0;
    let end = boxes
        .iter()
        .find(|b| &b.1 == b"mfra")
        .map_or(file.len(), |b| b.0);
    (file[..first_moof].to_vec(), file[first_moof..end].to_vec())
}

/// A file ffmpeg wrote, as its parsed init segment and its fragments.
fn open(name: &str) -> (InitSegment, Vec<u8>) {
    let (init_bytes, media) = split(name);
    let init = InitSegment::parse(&init_bytes).expect("init");
    (init, media)
}

#[test]
fn the_mfra_index_after_the_fragments_is_read_past() {
    let file = fixture("h264_gop.mp4");
    let (init_bytes, media) = split("h264_gop.mp4");
    let init = InitSegment::parse(&init_bytes).expect("init");
    let with_mfra = &file[init_bytes.len()..];
    assert!(with_mfra.len() > media.len());
    assert_eq!(
        actual(&MediaSegment::parse(&init, with_mfra).expect("with mfra")),
        actual(&MediaSegment::parse(&init, &media).expect("without"))
    );
}

/// The offset of the first box at `path` (e.g. `["moof", "traf", "trun"]`).
fn find(bytes: &[u8], path: &[&str]) -> usize {
    let mut from = 0;
    let mut to = bytes.len();
    let mut found = 0;
    for (depth, name) in path.iter().enumerate() {
        let mut at = from;
        loop {
            assert!(at < to, "no {name} at depth {depth}");
            let size = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
            if &bytes[at + 4..at + 8] == name.as_bytes() {
                found = at;
                from = at + 8;
                to = at + size;
                break;
            }
            at += size;
        }
    }
    found
}

fn be32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap())
}

fn set32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_be_bytes());
}

/// The error of `media` with the 32-bit word at `at` set to `value`
/// (panics if the patched segment parses).
fn patched(init: &InitSegment, media: &[u8], at: usize, value: u32) -> Fmp4Error {
    let mut bad = media.to_vec();
    set32(&mut bad, at, value);
    MediaSegment::parse(init, &bad).unwrap_err()
}

/// A sample's NAL units, split by their `size`-byte big-endian lengths;
/// panics if the lengths do not fill the sample exactly.
fn avcc_units(sample: &[u8], size: usize) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < sample.len() {
        let mut len = 0usize;
        for &b in &sample[at..at + size] {
            len = len << 8 | usize::from(b);
        }
        at += size;
        out.push(&sample[at..at + len]);
        at += len;
    }
    assert_eq!(at, sample.len(), "lengths fill the sample");
    out
}

/// An access unit's NAL units, split at start codes, trailing zeros cut.
fn annexb_units(unit: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= unit.len() {
        if unit[i..i + 3] == [0, 0, 1] {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut out = Vec::new();
    for (k, &s) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(unit.len(), |&n| n - 3);
        let mut nal = &unit[s..end];
        while let [rest @ .., 0] = nal {
            nal = rest;
        }
        out.push(nal);
    }
    out
}

/// Whether a NAL unit is of a type mp4toannexb copies from the
/// configuration record before keyframes: parameter sets, and for H.265
/// the prefix SEI that ffmpeg keeps in `hvcC`.
fn is_parameter_set(codec: UnitCodec, nal: &[u8]) -> bool {
    match codec {
        UnitCodec::H264 => matches!(nal[0] & 0x1f, 7 | 8),
        _ => matches!((nal[0] >> 1) & 0x3f, 32..=34 | 39),
    }
}

fn keyframe_positions(samples: &[Sample]) -> Vec<usize> {
    samples
        .iter()
        .enumerate()
        .filter(|(_, s)| s.keyframe())
        .map(|(i, _)| i)
        .collect()
}

/// Each video sample of `seg` against the access unit of the same place in
/// ffmpeg's Annex B conversion `stream` (24 of them): the same NAL units,
/// parameter sets aside; and the sample's keyframe flag is what its units
/// say.
fn samples_match_the_annexb_stream(init: &InitSegment, seg: &MediaSegment<'_>, stream: &str) {
    let codec = init.codec();
    let size = usize::from(init.nal_length_size().expect("a NAL length size"));
    let stream = fixture(stream);
    let units = elementary::annexb_access_units(&stream, codec).expect("annexb");
    assert_eq!(units.len(), 24);
    for (s, unit) in seg.video().iter().zip(units) {
        let ours: Vec<&[u8]> = avcc_units(seg.data(s), size)
            .into_iter()
            .filter(|n| !is_parameter_set(codec, n))
            .collect();
        let theirs: Vec<&[u8]> = annexb_units(unit)
            .into_iter()
            .filter(|n| !is_parameter_set(codec, n))
            .collect();
        assert!(!ours.is_empty());
        assert!(
            ours == theirs,
            "sample at {:?} differs from the Annex B unit",
            s.range
        );
    }
    keyframes_agree_with_the_units(init, seg);
}

/// Every video sample's keyframe flag is what `inband::is_keyframe` reads
/// from its units.
fn keyframes_agree_with_the_units(init: &InitSegment, seg: &MediaSegment<'_>) {
    let format = init.unit_format().expect("format");
    for s in seg.video() {
        assert_eq!(
            inband::is_keyframe(seg.data(s), format).expect("splits"),
            s.keyframe()
        );
    }
}

/// How many fragments a rewrite's output has when parsed again.
fn fragments_after(init: &InitSegment, out: &[u8]) -> usize {
    MediaSegment::parse(init, out)
        .expect("reparses")
        .fragments()
        .len()
}

/// Rewrites with `keep` and checks the result reparses to exactly the kept
/// samples, with no other track.
fn check_rewrite(init: &InitSegment, seg: &MediaSegment<'_>, keep: &[bool]) -> Vec<u8> {
    let out = seg.rewrite(keep).expect("rewritable");
    let kept = keep.iter().filter(|&&k| k).count();
    if kept == 0 {
        assert!(out.is_empty());
        return out;
    }
    let again = MediaSegment::parse(init, &out).expect("the rewrite parses");
    assert_eq!(again.video().len(), kept);
    assert!(again.other().is_empty());
    assert_eq!(actual(&again), expected(seg, keep));
    out
}

#[test]
fn h264_per_gop_fragments_match_the_annexb_stream() {
    let (init, media) = open("h264_gop.mp4");
    assert_eq!(init.codec(), UnitCodec::H264);
    assert_eq!(init.sample_entry(), BoxType(*b"avc1"));
    assert_eq!(init.nal_length_size(), Some(4));
    assert_eq!(init.track_id(), 1);
    assert!(init.timescale() > 0);
    assert_eq!(init.config()[0], 1, "configurationVersion");
    assert_eq!(init.tracks().len(), 1);

    let seg = MediaSegment::parse(&init, &media).expect("media");
    assert_eq!(seg.video().len(), 24);
    assert_eq!(seg.fragments().len(), 2);
    assert_eq!(seg.fragments()[0].video, 0..12);
    assert_eq!(seg.fragments()[1].video, 12..24);
    assert_eq!(keyframe_positions(seg.video()), vec![0, 12]);
    assert!(seg.other().is_empty());
    // x264's defaults have B-frames: composition offsets that differ.
    assert!(
        seg.video()
            .iter()
            .any(|s| s.composition_offset != seg.video()[0].composition_offset)
    );
    // Decode times follow each other within the segment.
    for w in seg.video().windows(2) {
        assert_eq!(
            w[1].decode_time,
            w[0].decode_time + u64::from(w[0].duration)
        );
    }

    samples_match_the_annexb_stream(&init, &seg, "h264_gop.h264");
}

#[test]
fn h265_samples_match_the_annexb_stream() {
    let (init, media) = open("h265_gop.mp4");
    assert_eq!(init.codec(), UnitCodec::H265);
    assert_eq!(init.sample_entry(), BoxType(*b"hvc1"));
    assert!(init.nal_length_size().is_some());
    let seg = MediaSegment::parse(&init, &media).expect("media");
    assert_eq!(seg.video().len(), 24);
    assert_eq!(keyframe_positions(seg.video()), vec![0, 12]);
    samples_match_the_annexb_stream(&init, &seg, "h265_gop.h265");
    let keep: Vec<bool> = (0..24).map(|i| i % 2 == 0).collect();
    check_rewrite(&init, &seg, &keep);
}

#[test]
fn av1_samples_split_as_obus() {
    let (init, media) = open("av1_gop.mp4");
    assert_eq!(init.codec(), UnitCodec::Av1);
    assert_eq!(init.nal_length_size(), None);
    assert_eq!(init.config()[0], 0x81, "av1C marker and version");
    let seg = MediaSegment::parse(&init, &media).expect("media");
    assert_eq!(seg.video().len(), 24);
    assert!(seg.video()[0].keyframe());
    keyframes_agree_with_the_units(&init, &seg);
    let keep: Vec<bool> = (0..24).map(|i| i % 3 != 1).collect();
    check_rewrite(&init, &seg, &keep);
}

#[test]
fn rewrite_keeping_every_other_sample_reparses_to_exactly_those() {
    let (init, media) = open("h264_gop.mp4");
    let seg = MediaSegment::parse(&init, &media).expect("media");
    let keep: Vec<bool> = (0..24).map(|i| i % 2 == 0).collect();
    let out = check_rewrite(&init, &seg, &keep);
    let again = MediaSegment::parse(&init, &out).expect("reparses");
    // A dropped sample's duration went to the kept one before it.
    for (k, s) in again.video().iter().enumerate() {
        let i = 2 * k;
        assert_eq!(
            s.duration,
            seg.video()[i].duration + seg.video()[i + 1].duration
        );
    }
    assert_eq!(again.fragments().len(), 2);
    assert_eq!(keyframe_positions(again.video()), vec![0, 6]);
    // Keeping only the second half drops the first fragment entirely.
    let keep: Vec<bool> = (0..24).map(|i| i >= 12).collect();
    let out = check_rewrite(&init, &seg, &keep);
    assert_eq!(fragments_after(&init, &out), 1);
}

#[test]
fn rewrite_keeping_everything_is_equivalent_and_keeping_nothing_is_empty() {
    for name in [
        "h264_gop.mp4",
        "h264_every_frame.mp4",
        "h265_gop.mp4",
        "av1_gop.mp4",
    ] {
        let (init_bytes, media) = split(name);
        let init = InitSegment::parse(&init_bytes).expect("init");
        let seg = MediaSegment::parse(&init, &media).expect("media");
        let n = seg.video().len();
        let out = check_rewrite(&init, &seg, &vec![true; n]);
        let again = MediaSegment::parse(&init, &out).expect("reparses");
        assert_eq!(actual(&again), actual(&seg), "{name}");
        assert_eq!(again.fragments().len(), seg.fragments().len());
        let numbers = |s: &MediaSegment<'_>| {
            s.fragments()
                .iter()
                .map(|f| f.sequence_number)
                .collect::<Vec<_>>()
        };
        assert_eq!(numbers(&again), numbers(&seg));
        // Rewriting a rewrite changes nothing.
        assert_eq!(
            again.rewrite(&vec![true; n]).expect("rewritable"),
            out,
            "{name}"
        );
        assert!(check_rewrite(&init, &seg, &vec![false; n]).is_empty());
    }
}

#[test]
fn one_fragment_per_frame() {
    let (init, media) = open("h264_every_frame.mp4");
    let seg = MediaSegment::parse(&init, &media).expect("media");
    assert_eq!(seg.fragments().len(), 24);
    assert!(seg.fragments().iter().all(|f| f.video.len() == 1));
    assert_eq!(keyframe_positions(seg.video()), vec![0, 12]);
    // Each fragment alone is a media segment too, as go2rtc sends them.
    let boxes = top_boxes(&media);
    for (k, pair) in boxes.chunks(2).enumerate() {
        let (at, end) = (pair[0].0, pair[1].0 + pair[1].2);
        let one = MediaSegment::parse(&init, &media[at..end]).expect("one fragment");
        assert_eq!(one.video().len(), 1);
        assert_eq!(one.data(&one.video()[0]), seg.data(&seg.video()[k]));
        assert_eq!(one.video()[0].decode_time, seg.video()[k].decode_time);
    }
    let keep: Vec<bool> = (0..24).map(|i| i % 2 == 0).collect();
    let out = check_rewrite(&init, &seg, &keep);
    assert_eq!(fragments_after(&init, &out), 12);
}

#[test]
fn the_audio_track_is_listed_apart_and_removed() {
    let (init, media) = open("h264_aac.mp4");
    assert_eq!(init.tracks().len(), 2);
    let audio = init
        .tracks()
        .iter()
        .find(|t| t.track_id != init.track_id())
        .expect("audio")
        .track_id;
    let seg = MediaSegment::parse(&init, &media).expect("media");
    assert_eq!(seg.video().len(), 24);
    assert!(!seg.other().is_empty());
    assert!(seg.other().iter().all(|s| s.track_id == audio));
    assert!(seg.video().iter().all(|s| s.track_id == init.track_id()));
    let out = check_rewrite(&init, &seg, &[true; 24]);
    assert!(out.len() < media.len());
    let keep: Vec<bool> = (0..24).map(|i| i % 4 == 0).collect();
    check_rewrite(&init, &seg, &keep);
}

#[test]
fn truncated_segments_are_refused_where_they_break() {
    let (init_bytes, media) = split("h264_gop.mp4");
    let init = InitSegment::parse(&init_bytes).expect("init");
    let boxes = top_boxes(&media);
    let (mdat_at, mdat, mdat_len) = boxes[1];
    assert_eq!(&mdat, b"mdat");
    // Cut inside the first mdat: the mdat claims more than is left.
    let cut = &media[..mdat_at + mdat_len - 1];
    assert_eq!(
        MediaSegment::parse(&init, cut),
        Err(Fmp4Error::Truncated {
            offset: mdat_at,
            kind: Some(BoxType(*b"mdat")),
            needed: mdat_len as u64,
            available: (mdat_len - 1) as u64,
        })
    );
    // Cut inside the moof.
    let err = MediaSegment::parse(&init, &media[..100]).unwrap_err();
    assert!(
        matches!(err, Fmp4Error::Truncated { offset: 0, kind: Some(BoxType(k)), .. } if &k == b"moof"),
        "{err}"
    );
    assert!(err.to_string().contains("offset 0"), "{err}");
    // Cut inside a box header.
    let err = MediaSegment::parse(&init, &media[..mdat_at + 5]).unwrap_err();
    assert_eq!(
        err,
        Fmp4Error::Truncated {
            offset: mdat_at,
            kind: None,
            needed: 8,
            available: 5
        }
    );
    // A truncated init segment.
    let err = InitSegment::parse(&init_bytes[..init_bytes.len() - 10]).unwrap_err();
    assert!(
        matches!(err, Fmp4Error::Truncated { kind: Some(BoxType(k)), .. } if &k == b"moov"),
        "{err}"
    );
    assert_eq!(MediaSegment::parse(&init, &[]), Err(Fmp4Error::NoFragment));
}

#[test]
fn a_child_larger_than_its_parent_is_refused_at_its_offset() {
    let (init, media) = open("h264_gop.mp4");
    let traf = find(&media, &["moof", "traf"]);
    let moof_len = be32(&media, 0) as usize;
    let err = patched(&init, &media, traf, (moof_len - traf + 1) as u32);
    assert_eq!(
        err,
        Fmp4Error::Truncated {
            offset: traf,
            kind: Some(BoxType(*b"traf")),
            needed: (moof_len - traf + 1) as u64,
            available: (moof_len - traf) as u64,
        }
    );
    // Size 0 ("to the end") inside a box.
    assert_eq!(
        patched(&init, &media, traf, 0),
        Fmp4Error::SizeZeroInside {
            offset: traf,
            kind: BoxType(*b"traf")
        }
    );
    // A size smaller than the header.
    assert_eq!(
        patched(&init, &media, traf, 7),
        Fmp4Error::BoxTooSmall {
            offset: traf,
            kind: BoxType(*b"traf"),
            size: 7
        }
    );
}

#[test]
fn a_trun_claiming_four_billion_samples_is_refused_without_allocating() {
    let (init, media) = open("h264_gop.mp4");
    let trun = find(&media, &["moof", "traf", "trun"]);
    let mut bad = media.clone();
    set32(&mut bad, trun + 12, u32::MAX);
    LARGEST.store(0, Ordering::Relaxed);
    let err = MediaSegment::parse(&init, &bad).unwrap_err();
    assert!(
        LARGEST.load(Ordering::Relaxed) < 1 << 20,
        "allocated {} bytes",
        LARGEST.load(Ordering::Relaxed)
    );
    assert_eq!(
        err,
        Fmp4Error::TooManySamples {
            offset: trun,
            count: u32::MAX
        }
    );
    // One sample more than its entries hold is refused too.
    let count = be32(&media, trun + 12);
    assert_eq!(
        patched(&init, &media, trun + 12, count + 1),
        Fmp4Error::TooManySamples {
            offset: trun,
            count: count + 1
        }
    );
    // One fewer leaves bytes behind.
    assert_eq!(
        patched(&init, &media, trun + 12, count - 1),
        Fmp4Error::BadBody {
            offset: trun,
            kind: BoxType(*b"trun")
        }
    );
}

#[test]
fn data_offsets_outside_the_mdat_are_refused() {
    let (init, media) = open("h264_gop.mp4");
    let trun = find(&media, &["moof", "traf", "trun"]);
    let flags = be32(&media, trun + 8);
    assert_eq!(flags & 1, 1, "ffmpeg writes a data offset");
    let offset = be32(&media, trun + 16);
    for (shift, index) in [
        (1i64, 11u32),
        (-1, 0),
        (-(i64::from(offset)) - 1, 0),
        (1 << 20, 0),
    ] {
        assert_eq!(
            patched(&init, &media, trun + 16, (i64::from(offset) + shift) as u32),
            Fmp4Error::SampleOutsideMdat {
                offset: trun,
                index
            },
            "shift {shift}"
        );
    }
}

#[test]
fn a_largesize_mdat_is_read() {
    let (init, media) = open("h264_gop.mp4");
    let seg = MediaSegment::parse(&init, &media).expect("media");
    // The first fragment's mdat with a 64-bit size, its data offset moved by 8.
    let boxes = top_boxes(&media);
    let (mdat_at, _, mdat_len) = boxes[1];
    let mut large = media[..mdat_at].to_vec();
    large.extend_from_slice(&1u32.to_be_bytes());
    large.extend_from_slice(b"mdat");
    large.extend_from_slice(&(mdat_len as u64 + 8).to_be_bytes());
    large.extend_from_slice(&media[mdat_at + 8..]);
    let trun = find(&large, &["moof", "traf", "trun"]);
    let offset = be32(&large, trun + 16);
    set32(&mut large, trun + 16, offset + 8);
    let again = MediaSegment::parse(&init, &large).expect("largesize");
    assert_eq!(again.video().len(), 24);
    for (a, b) in again.video().iter().zip(seg.video()) {
        assert_eq!(again.data(a), seg.data(b));
    }
    // The last top-level box may run to the end (size 0).
    let (last_at, _, _) = *boxes.last().expect("boxes");
    let mut open = media.clone();
    set32(&mut open, last_at, 0);
    assert_eq!(
        actual(&MediaSegment::parse(&init, &open).expect("size 0")),
        actual(&seg)
    );
}

#[test]
fn damaged_init_segments_are_refused() {
    let (init_bytes, _) = split("h264_gop.mp4");
    // avcC lengthSizeMinusOne 2 (3-byte lengths) does not exist.
    let avcc = find(
        &init_bytes,
        &["moov", "trak", "mdia", "minf", "stbl", "stsd"],
    );
    let at = init_bytes
        .windows(4)
        .position(|w| w == b"avcC")
        .expect("avcC")
        - 4;
    assert!(at > avcc);
    let mut bad = init_bytes.clone();
    bad[at + 8 + 4] = 0xfe;
    assert_eq!(
        InitSegment::parse(&bad),
        Err(Fmp4Error::BadConfig {
            offset: at,
            kind: BoxType(*b"avcC")
        })
    );
    // A sound handler: no video track left.
    let hdlr = find(&init_bytes, &["moov", "trak", "mdia", "hdlr"]);
    let mut bad = init_bytes.clone();
    bad[hdlr + 16..hdlr + 20].copy_from_slice(b"soun");
    assert_eq!(InitSegment::parse(&bad), Err(Fmp4Error::NoVideoTrack));
    // No mvex: not fragmented.
    let mvex = find(&init_bytes, &["moov", "mvex"]);
    let mut bad = init_bytes.clone();
    bad[mvex + 4..mvex + 8].copy_from_slice(b"free");
    assert!(
        matches!(InitSegment::parse(&bad), Err(Fmp4Error::Missing { kind: BoxType(k), .. }) if &k == b"mvex")
    );
    // An encrypted or unknown sample entry.
    let entry = at - 8 - 78;
    assert_eq!(&init_bytes[entry + 4..entry + 8], b"avc1");
    let mut bad = init_bytes.clone();
    bad[entry + 4..entry + 8].copy_from_slice(b"encv");
    assert_eq!(
        InitSegment::parse(&bad),
        Err(Fmp4Error::UnsupportedCodec {
            offset: entry,
            kind: BoxType(*b"encv")
        })
    );
    // A media segment is not an init segment.
    let (_, media) = split("h264_gop.mp4");
    assert_eq!(
        InitSegment::parse(&media),
        Err(Fmp4Error::Unexpected {
            offset: 0,
            kind: BoxType(*b"moof")
        })
    );
    // The audio track called video: its sample entry is no video codec.
    let (aac_init, _) = split("h264_aac.mp4");
    let traks: Vec<usize> = {
        let moov = find(&aac_init, &["moov"]);
        let mut v = Vec::new();
        let mut at = moov + 8;
        while at < moov + be32(&aac_init, moov) as usize {
            if &aac_init[at + 4..at + 8] == b"trak" {
                v.push(at);
            }
            at += be32(&aac_init, at) as usize;
        }
        v
    };
    assert_eq!(traks.len(), 2);
    let second_hdlr = traks[1] + find(&aac_init[traks[1]..], &["trak", "mdia", "hdlr"]);
    let mut bad = aac_init.clone();
    bad[second_hdlr + 16..second_hdlr + 20].copy_from_slice(b"vide");
    let err = InitSegment::parse(&bad).unwrap_err();
    assert!(
        matches!(err, Fmp4Error::UnsupportedCodec { kind: BoxType(k), .. } if &k == b"mp4a"),
        "{err}"
    );
}

#[test]
fn segments_of_another_stream_are_refused() {
    // An H.264 + AAC segment against the video-only init: the audio traf
    // names a track this init does not have.
    let (init_bytes, _) = split("h264_gop.mp4");
    let (_, aac_media) = split("h264_aac.mp4");
    let init = InitSegment::parse(&init_bytes).expect("init");
    let err = MediaSegment::parse(&init, &aac_media).unwrap_err();
    assert!(
        matches!(err, Fmp4Error::UnknownTrack { track_id: 2, .. }),
        "{err}"
    );
}

#[test]
fn a_wrong_keep_mask_is_the_callers_error() {
    let (init, media) = open("h264_gop.mp4");
    let seg = MediaSegment::parse(&init, &media).expect("media");
    assert_eq!(
        seg.rewrite(&[true; 3]),
        Err(RewriteError::KeepMaskLength {
            expected: 24,
            got: 3
        })
    );
}
