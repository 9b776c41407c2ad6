//! Fragmented MP4 (SPEC §7): the init segment's video track, the samples of
//! media segments, and media segments rewritten to hold only kept samples.
//!
//! MSE players (go2rtc's WebSocket stream, hls.js with fMP4 parts) append
//! an init segment (`ftyp` + `moov`) and then media segments (one or more
//! `moof` + `mdat` fragments) to a `SourceBuffer`. A FragmentFilter in
//! front of that buffer needs three things from the core, all here:
//!
//! - [`InitSegment::parse`]: the one video track (`hdlr` `vide`), its
//!   track id, timescale, codec (`avc1`/`avc3` → H.264, `hvc1`/`hev1` →
//!   H.265, `av01` → AV1), decoder configuration record (the `avcC` /
//!   `hvcC` / `av1C` payload SPEC §6.3 takes) and nalLengthSize, and every
//!   track's `trex` defaults;
//! - [`MediaSegment::parse`]: every sample of every fragment, the video
//!   track's apart from the others' (which a filter removes), each with its
//!   byte range in the segment, decode time, duration, composition offset
//!   and flags (keyframe or not);
//! - [`MediaSegment::rewrite`]: the segment holding only the video samples
//!   a keep mask names, every other track dropped, with new `moof` and
//!   `mdat` boxes whose sizes, counts and data offsets are fixed up.
//!
//! ```
//! use frameseal::fmp4::{InitSegment, MediaSegment};
//! # fn run(init_bytes: &[u8], media_bytes: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
//! let init = InitSegment::parse(init_bytes)?;
//! let segment = MediaSegment::parse(&init, media_bytes)?;
//! // Keep the keyframes only.
//! let keep: Vec<bool> = segment.video().iter().map(|s| s.keyframe()).collect();
//! let rewritten = segment.rewrite(&keep)?;
//! let again = MediaSegment::parse(&init, &rewritten)?;
//! assert_eq!(again.video().len(), keep.iter().filter(|&&k| k).count());
//! # Ok(()) }
//! ```
//!
//! Hand-written rather than a crate: `mp4-atom` (with `thiserror` 1,
//! `tracing` and `num`) and `mp4` (`std::io::Read + Seek`, `serde_json`)
//! need `std`, and `re_mp4` reads whole files through `std::io`; none builds
//! for wasm32v1-none without `std`. All three decode into owned structures
//! whose vectors are sized by the counts in the boxes (a `trun` claiming
//! 2^32 samples), and none offers a rewriter that keeps some samples of a
//! fragment. What is needed is small: about twenty box types, read with one
//! bounded reader.
//!
//! Parsing is strict and bounded: every box size is checked against its
//! parent before use (64-bit `largesize` read; size 0, "to the end", only
//! for a top-level box); every field list must fill its box exactly; a
//! `trun`'s sample count is checked against the bytes its entries need, and
//! the samples of a segment against the segment's length (every sample
//! holds at least one byte, and samples may not overlap), before anything
//! is allocated; vectors grow fallibly ([`Fmp4Error::OutOfMemory`]); data
//! offsets (relative to the `moof`, to the `tfhd` base, or following the
//! previous run, ISO/IEC 14496-12 §8.8.7, §8.8.8) are computed with checked
//! arithmetic, and every sample must lie inside an `mdat` of the segment.
//! Errors carry the offset of the box at fault. Fuzzed:
//! `fuzz/fuzz_targets/fmp4_parse.rs`, `fuzz/fuzz_targets/fmp4_rewrite.rs`.

use alloc::vec::Vec;
use core::fmt;

use crate::inband::{FormatError, Layout, UnitCodec, UnitFormat};
use crate::memory::OutOfMemory;

mod boxes;
mod clean;
mod init;
pub(crate) mod media;
mod rewrite;

pub use init::{InitSegment, MAX_TRACKS, TrackDefaults};
pub use media::{Fragment, MediaSegment, Sample};
pub use rewrite::RewriteError;

/// A box's four-character type, printed as text (`moof`) when it is
/// printable ASCII and as hex otherwise.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BoxType(pub [u8; 4]);

impl fmt::Display for BoxType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
            for &b in &self.0 {
                write!(f, "{}", b as char)?;
            }
            Ok(())
        } else {
            write!(f, "0x{:08x}", u32::from_be_bytes(self.0))
        }
    }
}

impl fmt::Debug for BoxType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BoxType({self})")
    }
}

/// Why an init or media segment cannot be used. Offsets count bytes from
/// the start of the segment handed to the parser.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fmp4Error {
    /// A box (or its header) runs past the end of its parent.
    Truncated {
        /// Where the box starts.
        offset: usize,
        /// Its type, when its header could be read.
        kind: Option<BoxType>,
        /// The bytes it needs (its size, or its header's).
        needed: u64,
        /// The bytes its parent has left from `offset`.
        available: u64,
    },
    /// A box's size is smaller than its own header.
    BoxTooSmall {
        /// Where the box starts.
        offset: usize,
        /// Its type.
        kind: BoxType,
        /// The size it claims.
        size: u64,
    },
    /// A box inside another box has size 0 ("to the end of the file"),
    /// which only a top-level box may have.
    SizeZeroInside {
        /// Where the box starts.
        offset: usize,
        /// Its type.
        kind: BoxType,
    },
    /// A box's body does not hold exactly its fields (too short for them,
    /// bytes left over, or a nested length that runs past its end).
    BadBody {
        /// Where the box starts.
        offset: usize,
        /// Its type.
        kind: BoxType,
    },
    /// A full box of a version this parser does not know.
    UnsupportedVersion {
        /// Where the box starts.
        offset: usize,
        /// Its type.
        kind: BoxType,
        /// The version.
        version: u8,
    },
    /// Flags that are undefined or contradict each other (a `trun` with
    /// both first-sample flags and per-sample flags).
    BadFlags {
        /// Where the box starts.
        offset: usize,
        /// Its type.
        kind: BoxType,
        /// The 24-bit flags.
        flags: u32,
    },
    /// A required box is missing.
    Missing {
        /// Where the parent starts (0 at top level).
        offset: usize,
        /// The box that is missing.
        kind: BoxType,
    },
    /// A box that may appear once appears again.
    Duplicate {
        /// Where the second one starts.
        offset: usize,
        /// Its type.
        kind: BoxType,
    },
    /// A box that has no place where it stands (a `moof` in an init
    /// segment, an `mdat` inside a `moov`, an unknown top-level box).
    Unexpected {
        /// Where it starts.
        offset: usize,
        /// Its type.
        kind: BoxType,
    },
    /// The init segment has no video track.
    NoVideoTrack,
    /// The init segment has more than one video track.
    SeveralVideoTracks {
        /// The second video track's id.
        track_id: u32,
    },
    /// Two tracks with the same id, or a track id 0.
    BadTrackId {
        /// Where the `tkhd` starts.
        offset: usize,
        /// The id.
        track_id: u32,
    },
    /// More than [`MAX_TRACKS`] tracks (or `trex` boxes).
    TooManyTracks {
        /// Where the first one too many starts.
        offset: usize,
    },
    /// A track without its `trex` defaults (`mvex`), so its fragments
    /// cannot be read.
    NoTrackDefaults {
        /// The track.
        track_id: u32,
    },
    /// The video track's sample entry is not H.264, H.265 or AV1 (or is
    /// encrypted), or there is not exactly one.
    UnsupportedCodec {
        /// Where the sample entry (or `stsd`) starts.
        offset: usize,
        /// The entry's type.
        kind: BoxType,
    },
    /// The decoder configuration record (`avcC`, `hvcC`, `av1C`) is
    /// malformed: wrong version or marker, nalLengthSize 3, or a parameter
    /// set array that runs past the box.
    BadConfig {
        /// Where the box starts.
        offset: usize,
        /// Its type.
        kind: BoxType,
    },
    /// The video track's timescale is 0.
    ZeroTimescale,
    /// A `traf` names a track the init segment does not have.
    UnknownTrack {
        /// Where the `tfhd` starts.
        offset: usize,
        /// The id.
        track_id: u32,
    },
    /// A video `traf` has no `tfdt`, so its samples have no decode time.
    NoDecodeTime {
        /// Where the `traf` starts.
        offset: usize,
    },
    /// A video sample uses a sample description other than the init
    /// segment's one.
    SampleDescription {
        /// Where the `traf` starts.
        offset: usize,
        /// The 1-based index it uses.
        index: u32,
    },
    /// A `trun` claims more samples than its box, or the segment, could
    /// hold (every sample takes at least one byte).
    TooManySamples {
        /// Where the `trun` starts.
        offset: usize,
        /// The count it claims.
        count: u32,
    },
    /// A sample of size 0.
    EmptySample {
        /// Where its `trun` starts.
        offset: usize,
        /// Its index in the run.
        index: u32,
    },
    /// A sample whose bytes are not all inside one `mdat` of the segment
    /// (or whose offset overflows).
    SampleOutsideMdat {
        /// Where its `trun` starts.
        offset: usize,
        /// Its index in the run.
        index: u32,
    },
    /// Two samples share bytes.
    OverlappingSamples {
        /// Where the second sample's bytes start.
        offset: usize,
    },
    /// A decode time that does not fit 64 bits.
    DecodeTimeOverflow {
        /// Where the `trun` starts.
        offset: usize,
    },
    /// A segment with no `moof`.
    NoFragment,
    /// A vector could not grow.
    OutOfMemory(OutOfMemory),
}

impl fmt::Display for Fmp4Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fmp4Error::Truncated {
                offset,
                kind: Some(kind),
                needed,
                available,
            } => write!(
                f,
                "box '{kind}' at offset {offset} needs {needed} bytes, its parent has {available} left"
            ),
            Fmp4Error::Truncated {
                offset,
                kind: None,
                needed,
                available,
            } => write!(
                f,
                "box header at offset {offset} needs {needed} bytes, its parent has {available} left"
            ),
            Fmp4Error::BoxTooSmall { offset, kind, size } => {
                write!(
                    f,
                    "box '{kind}' at offset {offset} claims {size} bytes, less than its header"
                )
            }
            Fmp4Error::SizeZeroInside { offset, kind } => {
                write!(
                    f,
                    "box '{kind}' at offset {offset} has size 0 inside another box"
                )
            }
            Fmp4Error::BadBody { offset, kind } => {
                write!(
                    f,
                    "box '{kind}' at offset {offset} does not hold exactly its fields"
                )
            }
            Fmp4Error::UnsupportedVersion {
                offset,
                kind,
                version,
            } => {
                write!(
                    f,
                    "box '{kind}' at offset {offset} has unsupported version {version}"
                )
            }
            Fmp4Error::BadFlags {
                offset,
                kind,
                flags,
            } => {
                write!(
                    f,
                    "box '{kind}' at offset {offset} has invalid flags 0x{flags:06x}"
                )
            }
            Fmp4Error::Missing { offset, kind } => {
                write!(f, "no '{kind}' box in the box at offset {offset}")
            }
            Fmp4Error::Duplicate { offset, kind } => {
                write!(f, "a second '{kind}' box at offset {offset}")
            }
            Fmp4Error::Unexpected { offset, kind } => {
                write!(f, "unexpected box '{kind}' at offset {offset}")
            }
            Fmp4Error::NoVideoTrack => f.write_str("no video track"),
            Fmp4Error::SeveralVideoTracks { track_id } => {
                write!(f, "more than one video track (track {track_id})")
            }
            Fmp4Error::BadTrackId { offset, track_id } => {
                write!(
                    f,
                    "track id {track_id} at offset {offset} is 0 or used twice"
                )
            }
            Fmp4Error::TooManyTracks { offset } => {
                write!(f, "more than {MAX_TRACKS} tracks (at offset {offset})")
            }
            Fmp4Error::NoTrackDefaults { track_id } => {
                write!(f, "track {track_id} has no 'trex' (not a fragmented track)")
            }
            Fmp4Error::UnsupportedCodec { offset, kind } => {
                write!(
                    f,
                    "unsupported video sample entry '{kind}' at offset {offset}"
                )
            }
            Fmp4Error::BadConfig { offset, kind } => {
                write!(
                    f,
                    "malformed decoder configuration '{kind}' at offset {offset}"
                )
            }
            Fmp4Error::ZeroTimescale => f.write_str("the video track's timescale is 0"),
            Fmp4Error::UnknownTrack { offset, track_id } => {
                write!(
                    f,
                    "'tfhd' at offset {offset} names unknown track {track_id}"
                )
            }
            Fmp4Error::NoDecodeTime { offset } => {
                write!(f, "video 'traf' at offset {offset} has no 'tfdt'")
            }
            Fmp4Error::SampleDescription { offset, index } => {
                write!(
                    f,
                    "video 'traf' at offset {offset} uses sample description {index}"
                )
            }
            Fmp4Error::TooManySamples { offset, count } => {
                write!(
                    f,
                    "'trun' at offset {offset} claims {count} samples, more than its bytes can hold"
                )
            }
            Fmp4Error::EmptySample { offset, index } => {
                write!(f, "sample {index} of 'trun' at offset {offset} is empty")
            }
            Fmp4Error::SampleOutsideMdat { offset, index } => {
                write!(
                    f,
                    "sample {index} of 'trun' at offset {offset} is not inside an 'mdat'"
                )
            }
            Fmp4Error::OverlappingSamples { offset } => {
                write!(f, "the sample at offset {offset} overlaps another")
            }
            Fmp4Error::DecodeTimeOverflow { offset } => {
                write!(f, "decode time overflows in 'trun' at offset {offset}")
            }
            Fmp4Error::NoFragment => f.write_str("no 'moof' in the media segment"),
            Fmp4Error::OutOfMemory(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for Fmp4Error {}

impl From<OutOfMemory> for Fmp4Error {
    fn from(e: OutOfMemory) -> Fmp4Error {
        Fmp4Error::OutOfMemory(e)
    }
}

/// Appends to a vector, growing it fallibly.
pub(crate) fn push<T>(v: &mut Vec<T>, item: T) -> Result<(), OutOfMemory> {
    if v.len() == v.capacity() {
        let more = v.capacity().max(4);
        v.try_reserve(more).map_err(|_| OutOfMemory {
            bytes: more.saturating_mul(core::mem::size_of::<T>()),
        })?;
    }
    v.push(item);
    Ok(())
}

impl InitSegment {
    /// The layout of the video track's samples: avcc with the
    /// configuration's nalLengthSize for H.264 / H.265, OBU for AV1; for
    /// handing samples to [`crate::inband`].
    pub fn unit_format(&self) -> Result<UnitFormat, FormatError> {
        let layout = match self.nal_length_size() {
            Some(nal_length_size) => Layout::Avcc { nal_length_size },
            None => Layout::Obu,
        };
        UnitFormat::new(self.codec(), layout)
    }
}

/// Which codecs a video sample entry type stands for.
pub(crate) fn codec_of_entry(kind: BoxType) -> Option<UnitCodec> {
    match &kind.0 {
        b"avc1" | b"avc3" => Some(UnitCodec::H264),
        b"hvc1" | b"hev1" => Some(UnitCodec::H265),
        b"av01" => Some(UnitCodec::Av1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    //! Hand-built segments for the layouts ffmpeg does not write (see
    //! `tests/fmp4.rs` for real files).
    use alloc::vec::Vec;

    use super::*;

    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    fn full(kind: &[u8; 4], version: u8, flags: u32, body: &[u8]) -> Vec<u8> {
        let mut b = ((u32::from(version) << 24) | flags).to_be_bytes().to_vec();
        b.extend_from_slice(body);
        bx(kind, &b)
    }

    fn cat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    fn u32s(values: &[u32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_be_bytes()).collect()
    }

    /// A `trak` of `handler` with an `avc1` entry (video) or none.
    fn trak(id: u32, handler: &[u8; 4]) -> Vec<u8> {
        let tkhd = full(b"tkhd", 0, 3, &cat(&[&u32s(&[0, 0, id, 0, 0]), &[0; 60]]));
        let mdhd = full(b"mdhd", 0, 0, &u32s(&[0, 0, 90_000, 0, 0]));
        let hdlr = full(b"hdlr", 0, 0, &cat(&[&[0; 4], handler, &[0; 13]]));
        let avcc = bx(
            b"avcC",
            &[
                1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 4, 0x67, 1, 2, 3, 1, 0, 2, 0x68, 1,
            ],
        );
        let entry = bx(b"avc1", &cat(&[&[0; 78], &avcc]));
        let stsd = full(b"stsd", 0, 0, &cat(&[&u32s(&[1]), &entry]));
        let stbl = bx(b"stbl", &stsd);
        let minf = bx(b"minf", &stbl);
        let mdia = bx(b"mdia", &cat(&[&mdhd, &hdlr, &minf]));
        bx(b"trak", &cat(&[&tkhd, &mdia]))
    }

    /// An init segment: track 1 video, track 2 sound (trex duration 10,
    /// size 0, flags 0).
    fn init_bytes(video_tracks: u32) -> Vec<u8> {
        let mut moov = Vec::new();
        let mut mvex = Vec::new();
        for id in 1..=video_tracks {
            moov.extend(trak(id, b"vide"));
            mvex.extend(full(b"trex", 0, 0, &u32s(&[id, 1, 10, 0, 0])));
        }
        let audio = video_tracks + 1;
        moov.extend(trak(audio, b"soun"));
        mvex.extend(full(b"trex", 0, 0, &u32s(&[audio, 1, 10, 0, 0])));
        moov.extend(bx(b"mvex", &mvex));
        cat(&[&bx(b"ftyp", b"isom\0\0\0\0"), &bx(b"moov", &moov)])
    }

    fn init() -> InitSegment {
        InitSegment::parse(&init_bytes(1)).expect("init")
    }

    fn tfdt(time: u64) -> Vec<u8> {
        full(b"tfdt", 1, 0, &time.to_be_bytes())
    }

    /// A `moof` around `trafs` (sequence 7), then an `mdat` of `payload`.
    fn fragment(trafs: &[Vec<u8>], payload: &[u8]) -> Vec<u8> {
        let mfhd = full(b"mfhd", 0, 0, &u32s(&[7]));
        let moof = bx(b"moof", &cat(&[&mfhd, &trafs.concat()]));
        cat(&[&moof, &bx(b"mdat", payload)])
    }

    /// The `moof` length of `fragment(trafs, _)`.
    fn moof_len(trafs: &[Vec<u8>]) -> u32 {
        (8 + 16 + trafs.iter().map(Vec::len).sum::<usize>()) as u32
    }

    #[test]
    fn runs_without_data_offsets_follow_each_other_across_trafs() {
        // Neither tfhd has default-base-is-moof: the first traf's base is
        // the moof, the second's the end of the first's data.
        let video_trun = |off: u32| full(b"trun", 0, 0x201, &u32s(&[2, off, 3, 4]));
        let video = |off: u32| {
            bx(
                b"traf",
                &cat(&[
                    &full(b"tfhd", 0, 0, &u32s(&[1])),
                    &tfdt(100),
                    &video_trun(off),
                ]),
            )
        };
        let audio = bx(
            b"traf",
            &cat(&[
                &full(b"tfhd", 0, 0x10, &u32s(&[2, 5])),
                &full(b"trun", 0, 0, &u32s(&[1])),
            ]),
        );
        let probe = [video(0), audio.clone()];
        let trafs = [video(moof_len(&probe) + 8), audio];
        let bytes = fragment(&trafs, b"vvvVVVVaaaaa");
        let seg = MediaSegment::parse(&init(), &bytes).expect("parses");
        let data: Vec<&[u8]> = seg.video().iter().map(|s| seg.data(s)).collect();
        assert_eq!(data, [&b"vvv"[..], b"VVVV"]);
        assert_eq!(seg.data(&seg.other()[0]), b"aaaaa");
        assert_eq!(
            (seg.video()[1].decode_time, seg.video()[1].duration),
            (110, 10)
        );
        // The rewrite drops the audio and keeps the video bytes.
        let out = seg.rewrite(&[false, true]).expect("rewrites");
        let again = MediaSegment::parse(&init(), &out).expect("reparses");
        assert_eq!(again.video().len(), 1);
        assert_eq!(again.data(&again.video()[0]), b"VVVV");
        assert_eq!(again.video()[0].decode_time, 110);
        assert!(again.other().is_empty());
    }

    #[test]
    fn a_base_data_offset_counts_from_the_segment_start() {
        let tfhd = |base: u64| {
            full(
                b"tfhd",
                0,
                0x1 | 0x10,
                &cat(&[&1u32.to_be_bytes(), &base.to_be_bytes(), &u32s(&[2])]),
            )
        };
        let traf = |base| {
            bx(
                b"traf",
                &cat(&[&tfhd(base), &tfdt(0), &full(b"trun", 0, 0, &u32s(&[2]))]),
            )
        };
        let at = u64::from(moof_len(&[traf(0)])) + 8;
        let bytes = fragment(&[traf(at)], b"abcd");
        let seg = MediaSegment::parse(&init(), &bytes).expect("parses");
        assert_eq!(seg.data(&seg.video()[1]), b"cd");
        let bytes = fragment(&[traf(at + 1)], b"abcd");
        assert!(matches!(
            MediaSegment::parse(&init(), &bytes),
            Err(Fmp4Error::SampleOutsideMdat { index: 1, .. })
        ));
    }

    #[test]
    fn first_sample_flags_and_tfhd_defaults_decide_keyframes() {
        let tfhd = full(b"tfhd", 0, 0x2_0000 | 0x20, &u32s(&[1, 0x0101_0000]));
        let trun = |off| full(b"trun", 0, 0x205, &u32s(&[3, off, 0x0200_0000, 1, 1, 1]));
        let traf = |off| bx(b"traf", &cat(&[&tfhd, &tfdt(0), &trun(off)]));
        let bytes = fragment(&[traf(moof_len(&[traf(0)]) + 8)], b"kdd");
        let seg = MediaSegment::parse(&init(), &bytes).expect("parses");
        let keys: Vec<bool> = seg.video().iter().map(Sample::keyframe).collect();
        assert_eq!(keys, [true, false, false]);
        // Both first-sample flags and per-sample flags: refused.
        let trun = full(b"trun", 0, 0x605, &u32s(&[1, 0, 0, 1, 0]));
        let bytes = fragment(&[bx(b"traf", &cat(&[&tfhd, &tfdt(0), &trun]))], b"k");
        assert!(matches!(
            MediaSegment::parse(&init(), &bytes),
            Err(Fmp4Error::BadFlags { flags: 0x605, .. })
        ));
    }

    #[test]
    fn negative_composition_offsets_survive_a_rewrite() {
        let tfhd = full(b"tfhd", 0, 0x2_0000, &u32s(&[1]));
        let trun = |off| {
            full(
                b"trun",
                1,
                0xa01,
                &u32s(&[3, off, 1, 0, 1, (-20i32) as u32, 1, 10]),
            )
        };
        let traf = |off| bx(b"traf", &cat(&[&tfhd, &tfdt(1000), &trun(off)]));
        let bytes = fragment(&[traf(moof_len(&[traf(0)]) + 8)], b"abc");
        let seg = MediaSegment::parse(&init(), &bytes).expect("parses");
        let offsets: Vec<i64> = seg.video().iter().map(|s| s.composition_offset).collect();
        assert_eq!(offsets, [0, -20, 10]);
        let out = seg.rewrite(&[true, true, false]).expect("rewrites");
        let again = MediaSegment::parse(&init(), &out).expect("reparses");
        let got: Vec<(i64, u64, u32)> = again
            .video()
            .iter()
            .map(|s| (s.composition_offset, s.decode_time, s.duration))
            .collect();
        assert_eq!(got, [(0, 1000, 10), (-20, 1010, 20)]);
    }

    #[test]
    fn overlapping_and_empty_samples_are_refused() {
        let tfhd = full(b"tfhd", 0, 0x2_0000, &u32s(&[1]));
        let trun = |off| full(b"trun", 0, 0x201, &u32s(&[1, off, 2]));
        let traf = |off| {
            bx(
                b"traf",
                &cat(&[&tfhd, &tfdt(0), &trun(off), &trun(off + 1)]),
            )
        };
        let off = moof_len(&[traf(0)]) + 8;
        let bytes = fragment(&[traf(off)], b"abc");
        assert_eq!(
            MediaSegment::parse(&init(), &bytes),
            Err(Fmp4Error::OverlappingSamples {
                offset: off as usize + 1
            })
        );
        let trun = full(b"trun", 0, 0x201, &u32s(&[1, off, 0]));
        let bytes = fragment(&[bx(b"traf", &cat(&[&tfhd, &tfdt(0), &trun]))], b"abc");
        assert!(matches!(
            MediaSegment::parse(&init(), &bytes),
            Err(Fmp4Error::EmptySample { index: 0, .. })
        ));
    }

    #[test]
    fn counts_beyond_the_segment_and_missing_decode_times_are_refused() {
        // No per-sample fields: the count is bounded by the segment's bytes.
        let tfhd = full(b"tfhd", 0, 0x2_0000 | 0x10, &u32s(&[1, 1]));
        let trun = full(b"trun", 0, 0, &u32s(&[1 << 20]));
        let bytes = fragment(&[bx(b"traf", &cat(&[&tfhd, &tfdt(0), &trun]))], b"a");
        assert!(matches!(
            MediaSegment::parse(&init(), &bytes),
            Err(Fmp4Error::TooManySamples {
                count: 0x10_0000,
                ..
            })
        ));
        let trun = full(b"trun", 0, 0, &u32s(&[1]));
        let bytes = fragment(&[bx(b"traf", &cat(&[&tfhd, &trun]))], b"a");
        assert_eq!(
            MediaSegment::parse(&init(), &bytes),
            Err(Fmp4Error::NoDecodeTime { offset: 24 })
        );
    }

    #[test]
    fn durations_that_no_longer_fit_are_refused_by_the_rewrite() {
        let tfhd = full(b"tfhd", 0, 0x2_0000, &u32s(&[1]));
        let trun = |off| {
            full(
                b"trun",
                0,
                0x301,
                &u32s(&[2, off, u32::MAX, 1, u32::MAX, 1]),
            )
        };
        let traf = |off| bx(b"traf", &cat(&[&tfhd, &tfdt(0), &trun(off)]));
        let bytes = fragment(&[traf(moof_len(&[traf(0)]) + 8)], b"ab");
        let seg = MediaSegment::parse(&init(), &bytes).expect("parses");
        assert_eq!(
            seg.rewrite(&[true, false]),
            Err(RewriteError::DurationOverflow { sample: 0 })
        );
        assert!(seg.rewrite(&[false, true]).is_ok());
    }

    #[test]
    fn init_segments_with_two_video_tracks_or_none_are_refused() {
        assert_eq!(
            InitSegment::parse(&init_bytes(2)),
            Err(Fmp4Error::SeveralVideoTracks { track_id: 2 })
        );
        assert_eq!(
            InitSegment::parse(&init_bytes(0)),
            Err(Fmp4Error::NoVideoTrack)
        );
        let init = init();
        assert_eq!(
            (init.track_id(), init.timescale(), init.nal_length_size()),
            (1, 90_000, Some(4))
        );
        assert_eq!(init.config()[..3], [1, 0x64, 0]);
        assert_eq!(init.tracks().len(), 2);
        assert_eq!(alloc::format!("{}", BoxType(*b"moof")), "moof");
        assert_eq!(alloc::format!("{}", BoxType([0, 1, 2, 3])), "0x00010203");
    }
}
