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
mod init;
mod media;
mod rewrite;

pub use init::{InitSegment, TrackDefaults};
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
