//! Media segments: `moof` + `mdat` fragments, down to every sample's bytes,
//! time and flags.

use alloc::vec::Vec;
use core::ops::Range;

use super::boxes::{BoxRef, Boxes};
use super::init::{InitSegment, TrackDefaults};
use super::{BoxType, Fmp4Error, push};

/// `tfhd` flags (ISO/IEC 14496-12 §8.8.7.1).
const TFHD_BASE_DATA_OFFSET: u32 = 0x1;
pub(crate) const TFHD_DESCRIPTION_INDEX: u32 = 0x2;
const TFHD_DURATION: u32 = 0x8;
const TFHD_SIZE: u32 = 0x10;
const TFHD_FLAGS: u32 = 0x20;
const TFHD_DURATION_IS_EMPTY: u32 = 0x1_0000;
pub(crate) const TFHD_BASE_IS_MOOF: u32 = 0x2_0000;
const TFHD_KNOWN: u32 = TFHD_BASE_DATA_OFFSET
    | TFHD_DESCRIPTION_INDEX
    | TFHD_DURATION
    | TFHD_SIZE
    | TFHD_FLAGS
    | TFHD_DURATION_IS_EMPTY
    | TFHD_BASE_IS_MOOF;

/// `trun` flags (ISO/IEC 14496-12 §8.8.8.1).
pub(crate) const TRUN_DATA_OFFSET: u32 = 0x1;
const TRUN_FIRST_FLAGS: u32 = 0x4;
pub(crate) const TRUN_DURATION: u32 = 0x100;
pub(crate) const TRUN_SIZE: u32 = 0x200;
pub(crate) const TRUN_FLAGS: u32 = 0x400;
pub(crate) const TRUN_COMPOSITION: u32 = 0x800;
const TRUN_KNOWN: u32 =
    TRUN_DATA_OFFSET | TRUN_FIRST_FLAGS | TRUN_DURATION | TRUN_SIZE | TRUN_FLAGS | TRUN_COMPOSITION;

/// One sample of a media segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    /// The track it belongs to.
    pub track_id: u32,
    /// Its bytes in the segment (inside an `mdat`, never empty).
    pub range: Range<usize>,
    /// Its decode time, in the track's timescale (`tfdt` plus the
    /// durations of the samples before it in its `traf`).
    pub decode_time: u64,
    /// Its duration, in the track's timescale.
    pub duration: u32,
    /// Presentation time minus decode time (a `trun` v0 offset, unsigned,
    /// or a v1 offset, signed).
    pub composition_offset: i64,
    /// Its sample flags (ISO/IEC 14496-12 §8.8.3.1), from the `trun`, the
    /// `tfhd` or the `trex`.
    pub flags: u32,
}

impl Sample {
    /// Whether the sample is a sync sample: `sample_is_non_sync_sample`
    /// clear and `sample_depends_on` not 1 (depends on others).
    pub fn keyframe(&self) -> bool {
        self.flags & 0x1_0000 == 0 && (self.flags >> 24) & 3 != 1
    }

    /// Its presentation time: decode time plus composition offset (wide
    /// enough that it cannot overflow).
    pub fn presentation_time(&self) -> i128 {
        i128::from(self.decode_time) + i128::from(self.composition_offset)
    }
}

/// One `moof` and what it describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fragment {
    /// The `moof` box's bytes in the segment.
    pub moof: Range<usize>,
    /// Its `mfhd` sequence number.
    pub sequence_number: u32,
    /// Its video samples: indices into [`MediaSegment::video`].
    pub video: Range<usize>,
    /// Its other tracks' samples: indices into [`MediaSegment::other`].
    pub other: Range<usize>,
}

/// A parsed media segment: every fragment and every sample, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaSegment<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) video_track: u32,
    pub(crate) fragments: Vec<Fragment>,
    pub(crate) video: Vec<Sample>,
    pub(crate) other: Vec<Sample>,
}

impl<'a> MediaSegment<'a> {
    /// Reads a media segment of the stream `init` describes: top-level
    /// `moof` and `mdat` boxes, and `styp`, `sidx`, `ssix`, `prft`, `emsg`,
    /// `mfra` (the random access index ffmpeg ends a file with), `free`,
    /// `skip` (read past); at least one `moof`.
    ///
    /// A `tfhd` base data offset counts from the start of `bytes` (the
    /// segment is the "file" a fragment's offsets refer to).
    pub fn parse(init: &InitSegment, bytes: &'a [u8]) -> Result<MediaSegment<'a>, Fmp4Error> {
        let mut moofs: Vec<BoxRef<'a>> = Vec::new();
        let mut mdats: Vec<Range<usize>> = Vec::new();
        for b in Boxes::new(bytes, 0, true) {
            let b = b?;
            match &b.kind.0 {
                b"moof" => push(&mut moofs, b)?,
                b"mdat" => push(&mut mdats, b.body_offset..b.body_offset + b.body.len())?,
                b"styp" | b"sidx" | b"ssix" | b"prft" | b"emsg" | b"mfra" | b"free" | b"skip" => {}
                _ => {
                    return Err(b.unexpected());
                }
            }
        }
        if moofs.is_empty() {
            return Err(Fmp4Error::NoFragment);
        }
        let mut p = Parser {
            init,
            mdats,
            video: Vec::new(),
            other: Vec::new(),
            budget: bytes.len(),
        };
        let mut fragments = Vec::new();
        for moof in moofs {
            let video_from = p.video.len();
            let other_from = p.other.len();
            let sequence_number = p.moof(moof)?;
            let f = Fragment {
                moof: moof.offset..moof.offset + moof.len(),
                sequence_number,
                video: video_from..p.video.len(),
                other: other_from..p.other.len(),
            };
            push(&mut fragments, f)?;
        }
        check_overlaps(&p.video, &p.other)?;
        Ok(MediaSegment {
            bytes,
            video_track: init.track_id(),
            fragments,
            video: p.video,
            other: p.other,
        })
    }

    /// The segment's bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The fragments, in order.
    pub fn fragments(&self) -> &[Fragment] {
        &self.fragments
    }

    /// The video track's samples, in the order they stand (decode order).
    pub fn video(&self) -> &[Sample] {
        &self.video
    }

    /// Every other track's samples: what a filter removes.
    pub fn other(&self) -> &[Sample] {
        &self.other
    }

    /// A sample's bytes.
    pub fn data(&self, sample: &Sample) -> &'a [u8] {
        self.bytes.get(sample.range.clone()).unwrap_or(&[])
    }
}

/// Rejects two samples that share bytes (sorting a copy of the ranges).
fn check_overlaps(video: &[Sample], other: &[Sample]) -> Result<(), Fmp4Error> {
    let n = video.len() + other.len();
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    ranges
        .try_reserve_exact(n)
        .map_err(|_| crate::memory::OutOfMemory {
            bytes: n.saturating_mul(core::mem::size_of::<(usize, usize)>()),
        })?;
    ranges.extend(
        video
            .iter()
            .chain(other)
            .map(|s| (s.range.start, s.range.end)),
    );
    // Not sort_unstable: its quicksort is ~7 KB of WebAssembly (bench/SIZE.md).
    crate::inband::heap_sort_by(&mut ranges, Ord::cmp);
    for w in ranges.windows(2) {
        if w[1].0 < w[0].1 {
            return Err(Fmp4Error::OverlappingSamples { offset: w[1].0 });
        }
    }
    Ok(())
}

/// The state of one segment's parse.
struct Parser<'i> {
    init: &'i InitSegment,
    mdats: Vec<Range<usize>>,
    video: Vec<Sample>,
    other: Vec<Sample>,
    /// Samples that may still be read: each takes at least one byte of the
    /// segment, so there can never be more than its length.
    budget: usize,
}

/// A `tfhd`.
struct Tfhd {
    track: TrackDefaults,
    base: Option<u64>,
    base_is_moof: bool,
    description_index: u32,
}

impl Parser<'_> {
    /// Reads one `moof`, appending its samples; returns its sequence number.
    fn moof(&mut self, moof: BoxRef<'_>) -> Result<u32, Fmp4Error> {
        let mut sequence = None;
        // Where the previous traf's data ended (the next traf's implicit base).
        let mut data_end: Option<usize> = None;
        for b in Boxes::new(moof.body, moof.body_offset, false) {
            let b = b?;
            match &b.kind.0 {
                b"mfhd" if sequence.is_none() => {
                    let mut r = b.reader();
                    r.versioned(0)?;
                    sequence = Some(r.u32()?);
                    r.finish()?;
                }
                b"mfhd" => {
                    return Err(b.duplicate());
                }
                b"traf" => {
                    let implicit = data_end.unwrap_or(moof.offset);
                    data_end = Some(self.traf(b, moof.offset, implicit)?);
                }
                b"moof" | b"mdat" | b"moov" => {
                    return Err(b.unexpected());
                }
                _ => {}
            }
        }
        sequence.ok_or(Fmp4Error::Missing {
            offset: moof.offset,
            kind: BoxType(*b"mfhd"),
        })
    }

    fn tfhd(&self, b: BoxRef<'_>) -> Result<Tfhd, Fmp4Error> {
        let mut r = b.reader();
        let (_, flags) = r.versioned(0)?;
        if flags & !TFHD_KNOWN != 0 {
            return Err(r.bad_flags(flags));
        }
        let track_id = r.u32()?;
        let mut track = *self.init.track(track_id).ok_or(Fmp4Error::UnknownTrack {
            offset: b.offset,
            track_id,
        })?;
        let base = if flags & TFHD_BASE_DATA_OFFSET != 0 {
            Some(r.u64()?)
        } else {
            None
        };
        if flags & TFHD_DESCRIPTION_INDEX != 0 {
            track.sample_description_index = r.u32()?;
        }
        if flags & TFHD_DURATION != 0 {
            track.duration = r.u32()?;
        }
        if flags & TFHD_SIZE != 0 {
            track.size = r.u32()?;
        }
        if flags & TFHD_FLAGS != 0 {
            track.flags = r.u32()?;
        }
        r.finish()?;
        Ok(Tfhd {
            track,
            base,
            base_is_moof: flags & TFHD_BASE_IS_MOOF != 0,
            description_index: track.sample_description_index,
        })
    }

    /// Reads one `traf`; returns where its data ends (or its base when it
    /// has none), the implicit base of the next `traf`.
    fn traf(
        &mut self,
        traf: BoxRef<'_>,
        moof_at: usize,
        implicit: usize,
    ) -> Result<usize, Fmp4Error> {
        let mut tfhd = None;
        let mut tfdt = None;
        for b in Boxes::new(traf.body, traf.body_offset, false) {
            let b = b?;
            match &b.kind.0 {
                b"tfhd" if tfhd.is_none() => tfhd = Some(self.tfhd(b)?),
                b"tfdt" if tfdt.is_none() => {
                    let mut r = b.reader();
                    let (version, _) = r.versioned(1)?;
                    tfdt = Some(if version == 0 {
                        u64::from(r.u32()?)
                    } else {
                        r.u64()?
                    });
                    r.finish()?;
                }
                b"tfhd" | b"tfdt" => {
                    return Err(b.duplicate());
                }
                _ => {}
            }
        }
        let tfhd = tfhd.ok_or(Fmp4Error::Missing {
            offset: traf.offset,
            kind: BoxType(*b"tfhd"),
        })?;
        let is_video = tfhd.track.track_id == self.init.track_id();
        if is_video {
            if tfdt.is_none() {
                return Err(Fmp4Error::NoDecodeTime {
                    offset: traf.offset,
                });
            }
            if tfhd.description_index != 1 {
                return Err(Fmp4Error::SampleDescription {
                    offset: traf.offset,
                    index: tfhd.description_index,
                });
            }
        }
        let base: u64 = match tfhd.base {
            Some(base) => base,
            None if tfhd.base_is_moof => moof_at as u64,
            None => implicit as u64,
        };
        let mut decode_time = tfdt.unwrap_or(0);
        let mut next: u64 = base;
        for b in Boxes::new(traf.body, traf.body_offset, false) {
            let b = b?;
            if b.kind.0 == *b"trun" {
                next = self.trun(b, &tfhd, is_video, base, next, &mut decode_time)?;
            }
        }
        // `next` is inside the segment once a sample was read, or the base.
        Ok(usize::try_from(next).unwrap_or(usize::MAX))
    }

    /// Reads one `trun`, appending its samples; returns where its data ends.
    #[allow(clippy::too_many_arguments)]
    fn trun(
        &mut self,
        b: BoxRef<'_>,
        tfhd: &Tfhd,
        is_video: bool,
        base: u64,
        follows: u64,
        decode_time: &mut u64,
    ) -> Result<u64, Fmp4Error> {
        let mut r = b.reader();
        let (version, flags) = r.versioned(1)?;
        if flags & !TRUN_KNOWN != 0 || (flags & TRUN_FIRST_FLAGS != 0 && flags & TRUN_FLAGS != 0) {
            return Err(r.bad_flags(flags));
        }
        let count = r.u32()?;
        let mut at: u64 = if flags & TRUN_DATA_OFFSET != 0 {
            let offset = r.u32()? as i32;
            base.checked_add_signed(i64::from(offset))
                .ok_or(Fmp4Error::SampleOutsideMdat {
                    offset: b.offset,
                    index: 0,
                })?
        } else {
            follows
        };
        let first_flags = if flags & TRUN_FIRST_FLAGS != 0 {
            Some(r.u32()?)
        } else {
            None
        };
        let entry = 4 * [TRUN_DURATION, TRUN_SIZE, TRUN_FLAGS, TRUN_COMPOSITION]
            .iter()
            .filter(|&&f| flags & f != 0)
            .count();
        // The entries must fill the rest of the box exactly, and every
        // sample needs one byte of the segment: both bound `count` before
        // anything is allocated.
        let too_many = Fmp4Error::TooManySamples {
            offset: b.offset,
            count,
        };
        let count_usize = usize::try_from(count).map_err(|_| too_many.clone())?;
        if count_usize.checked_mul(entry) != Some(r.remaining()) || count_usize > self.budget {
            return Err(
                if count_usize
                    .checked_mul(entry)
                    .is_some_and(|n| n < r.remaining())
                {
                    Fmp4Error::BadBody {
                        offset: b.offset,
                        kind: b.kind,
                    }
                } else {
                    too_many
                },
            );
        }
        self.budget -= count_usize;
        let list = if is_video {
            &mut self.video
        } else {
            &mut self.other
        };
        list.try_reserve(count_usize)
            .map_err(|_| crate::memory::OutOfMemory {
                bytes: count_usize.saturating_mul(core::mem::size_of::<Sample>()),
            })?;
        let defaults = tfhd.track;
        for index in 0..count {
            let duration = if flags & TRUN_DURATION != 0 {
                r.u32()?
            } else {
                defaults.duration
            };
            let size = if flags & TRUN_SIZE != 0 {
                r.u32()?
            } else {
                defaults.size
            };
            let sample_flags = if flags & TRUN_FLAGS != 0 {
                r.u32()?
            } else {
                match first_flags {
                    Some(f) if index == 0 => f,
                    _ => defaults.flags,
                }
            };
            let composition_offset = if flags & TRUN_COMPOSITION != 0 {
                let raw = r.u32()?;
                if version == 0 {
                    i64::from(raw)
                } else {
                    i64::from(raw as i32)
                }
            } else {
                0
            };
            if size == 0 {
                return Err(Fmp4Error::EmptySample {
                    offset: b.offset,
                    index,
                });
            }
            let outside = Fmp4Error::SampleOutsideMdat {
                offset: b.offset,
                index,
            };
            let end = at.checked_add(u64::from(size)).ok_or(outside.clone())?;
            let (start_usize, end_usize) = match (usize::try_from(at), usize::try_from(end)) {
                (Ok(s), Ok(e)) => (s, e),
                _ => return Err(outside),
            };
            // The mdat that starts at or before the sample must hold it.
            let i = self.mdats.partition_point(|m| m.start <= start_usize);
            if i == 0 || self.mdats[i - 1].end < end_usize {
                return Err(outside);
            }
            let sample = Sample {
                track_id: defaults.track_id,
                range: start_usize..end_usize,
                decode_time: *decode_time,
                duration,
                composition_offset,
                flags: sample_flags,
            };
            *decode_time = decode_time
                .checked_add(u64::from(duration))
                .ok_or(Fmp4Error::DecodeTimeOverflow { offset: b.offset })?;
            at = end;
            list.push(sample);
        }
        r.finish()?;
        Ok(at)
    }
}
