//! A media segment rewritten to hold only the kept video samples.

use alloc::vec::Vec;
use core::fmt;

use super::media::{
    MediaSegment, Sample, TRUN_COMPOSITION, TRUN_DATA_OFFSET, TRUN_DURATION, TRUN_FLAGS, TRUN_SIZE,
};
use crate::memory::OutOfMemory;

/// Why a segment could not be rewritten. A wrong keep mask is the caller's
/// mistake; the others are segments whose kept samples cannot be described
/// by one `trun` (times that run backwards, a sample that would last more
/// than 2^32 ticks, a fragment larger than 4 GiB).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RewriteError {
    /// The keep mask does not have one entry per video sample.
    KeepMaskLength {
        /// The segment's video samples.
        expected: usize,
        /// The mask's entries.
        got: usize,
    },
    /// A kept video sample's decode time is before the previous kept one's.
    DecodeTimeBackwards {
        /// The sample's index among the video samples.
        sample: usize,
    },
    /// A kept sample's duration, with the dropped samples after it folded
    /// in, does not fit 32 bits.
    DurationOverflow {
        /// The sample's index among the video samples.
        sample: usize,
    },
    /// Kept composition offsets that no single `trun` version can hold
    /// (a negative one beside one above 2^31 − 1).
    CompositionOffsetRange {
        /// The sample's index among the video samples.
        sample: usize,
    },
    /// A rewritten `moof` or its data offset would not fit 32 bits.
    TooLarge,
    /// The output could not be allocated.
    OutOfMemory(OutOfMemory),
}

impl fmt::Display for RewriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RewriteError::KeepMaskLength { expected, got } => {
                write!(
                    f,
                    "keep mask has {got} entries for {expected} video samples"
                )
            }
            RewriteError::DecodeTimeBackwards { sample } => {
                write!(
                    f,
                    "video sample {sample} decodes before the previous kept sample"
                )
            }
            RewriteError::DurationOverflow { sample } => {
                write!(f, "video sample {sample} would last more than 2^32 ticks")
            }
            RewriteError::CompositionOffsetRange { sample } => {
                write!(
                    f,
                    "video sample {sample}'s composition offset does not fit the run"
                )
            }
            RewriteError::TooLarge => f.write_str("a rewritten fragment would exceed 4 GiB"),
            RewriteError::OutOfMemory(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for RewriteError {}

/// Box sizes of a rewritten fragment.
const MFHD_LEN: u64 = 16;
const TFHD_LEN: u64 = 20;
const TFDT_LEN: u64 = 20;
const TRUN_HEADER_LEN: u64 = 20;
const TRUN_ENTRY_LEN: u64 = 16;

/// A kept sample as it will be written.
struct Kept<'s> {
    index: usize,
    sample: &'s Sample,
    data: &'s [u8],
    duration: u32,
}

impl MediaSegment<'_> {
    /// The segment holding only the video samples whose entry in `keep`
    /// (one per [`MediaSegment::video`] sample) is true; every other
    /// track's samples are dropped, as are fragments left with no sample
    /// and top-level boxes other than `moof` and `mdat` (`styp`, `sidx`,
    /// `emsg`: their offsets and contents would no longer hold). Empty
    /// when nothing is kept.
    ///
    /// Each fragment with a kept sample becomes `moof` (`mfhd` with the
    /// same sequence number; one `traf`: `tfhd` with default-base-is-moof
    /// and sample description 1, `tfdt` v1, one `trun` with every
    /// sample's duration, size, flags and composition offset explicit)
    /// then one `mdat` with the kept bytes in order.
    ///
    /// Times: every kept sample keeps its decode time and composition
    /// offset, so its presentation time too. The `tfdt` is the first kept
    /// sample's decode time, and the durations of dropped samples are
    /// folded into the kept sample before them (a kept sample lasts until
    /// the next kept one of its fragment, the last until the fragment's
    /// end). Folding rather than a new `tfdt` per run of kept samples
    /// because of what MSE does with a gap (Media Source Extensions, the
    /// coded frame processing algorithm, its decode-timestamp discontinuity
    /// step): a decode timestamp more than twice the last frame duration
    /// after the previous one counts as a discontinuity and sets "need
    /// random access point" (in `sequence` mode too), so the SourceBuffer
    /// would drop every frame up to the next keyframe, kept ones included. With the durations folded, decode times inside a
    /// fragment stay contiguous, the buffered range has no hole, and the
    /// picture before a dropped run simply stays on screen through it.
    /// Dropped samples at the start of a fragment shift its `tfdt`
    /// instead; that gap is what the chain rule (SPEC §4, §7) leaves before
    /// a keyframe anyway, and a keyframe satisfies "need random access
    /// point".
    pub fn rewrite(&self, keep: &[bool]) -> Result<Vec<u8>, RewriteError> {
        if keep.len() != self.video.len() {
            return Err(RewriteError::KeepMaskLength {
                expected: self.video.len(),
                got: keep.len(),
            });
        }
        let mut kept = Vec::new();
        kept.try_reserve_exact(keep.len()).map_err(|_| {
            RewriteError::OutOfMemory(OutOfMemory {
                bytes: keep.len().saturating_mul(2 * size_of::<usize>()),
            })
        })?;
        kept.extend(
            self.video
                .iter()
                .zip(keep)
                .map(|(s, &k)| k.then(|| self.data(s))),
        );
        self.rewrite_with(&kept)
    }

    /// [`MediaSegment::rewrite`] where each video sample's entry is the
    /// bytes to write for it (its own, or a replacement such as a delta
    /// unit without parameter sets, SPEC §6.3), or `None` to drop it. Only
    /// the sample sizes change with a replacement; times and flags stay.
    pub fn rewrite_with(&self, samples: &[Option<&[u8]>]) -> Result<Vec<u8>, RewriteError> {
        let keep = samples;
        if keep.len() != self.video.len() {
            return Err(RewriteError::KeepMaskLength {
                expected: self.video.len(),
                got: keep.len(),
            });
        }
        let mut out = Vec::new();
        let mut kept: Vec<Kept<'_>> = Vec::new();
        for fragment in &self.fragments {
            let samples = &self.video[fragment.video.clone()];
            let Some(last) = samples.last() else { continue };
            // The parser checked that this sum fits.
            let end = last.decode_time.saturating_add(u64::from(last.duration));
            kept.clear();
            let first = fragment.video.start;
            let mut indices = (first..fragment.video.end)
                .filter(|&i| keep[i].is_some())
                .peekable();
            while let Some(i) = indices.next() {
                let sample = &self.video[i];
                let until = indices.peek().map_or(end, |&j| self.video[j].decode_time);
                let duration = until.checked_sub(sample.decode_time).ok_or(
                    RewriteError::DecodeTimeBackwards {
                        sample: indices.peek().copied().unwrap_or(i),
                    },
                )?;
                let duration = u32::try_from(duration)
                    .map_err(|_| RewriteError::DurationOverflow { sample: i })?;
                if kept.len() == kept.capacity() {
                    kept.try_reserve(kept.capacity().max(16)).map_err(|_| {
                        RewriteError::OutOfMemory(OutOfMemory {
                            bytes: kept.capacity().saturating_mul(16),
                        })
                    })?;
                }
                kept.push(Kept {
                    index: i,
                    sample,
                    data: keep[i].unwrap_or_default(),
                    duration,
                });
            }
            if !kept.is_empty() {
                self.write_fragment(&mut out, fragment.sequence_number, &kept)?;
            }
        }
        Ok(out)
    }

    fn write_fragment(
        &self,
        out: &mut Vec<u8>,
        sequence_number: u32,
        kept: &[Kept<'_>],
    ) -> Result<(), RewriteError> {
        let signed = kept.iter().any(|k| k.sample.composition_offset < 0);
        let (lo, hi) = if signed {
            (i64::from(i32::MIN), i64::from(i32::MAX))
        } else {
            (0, i64::from(u32::MAX))
        };
        if let Some(k) = kept
            .iter()
            .find(|k| k.sample.composition_offset < lo || k.sample.composition_offset > hi)
        {
            return Err(RewriteError::CompositionOffsetRange { sample: k.index });
        }
        let n = kept.len() as u64;
        let trun = TRUN_HEADER_LEN + TRUN_ENTRY_LEN * n;
        let traf = 8 + TFHD_LEN + TFDT_LEN + trun;
        let moof = 8 + MFHD_LEN + traf;
        let payload: u64 = kept.iter().map(|k| k.data.len() as u64).sum();
        let mdat_header: u64 = if payload + 8 <= u64::from(u32::MAX) {
            8
        } else {
            16
        };
        let moof32 = u32::try_from(moof).map_err(|_| RewriteError::TooLarge)?;
        let data_offset = i32::try_from(moof + mdat_header).map_err(|_| RewriteError::TooLarge)?;
        let total =
            usize::try_from(moof + mdat_header + payload).map_err(|_| RewriteError::TooLarge)?;
        out.try_reserve(total)
            .map_err(|_| RewriteError::OutOfMemory(OutOfMemory { bytes: total }))?;

        let start = out.len();
        put_box(out, moof32, b"moof");
        put_box(out, MFHD_LEN as u32, b"mfhd");
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(&sequence_number.to_be_bytes());
        put_box(out, traf as u32, b"traf");
        put_box(out, TFHD_LEN as u32, b"tfhd");
        out.extend_from_slice(&0x0002_0002u32.to_be_bytes()); // base is moof, description index
        out.extend_from_slice(&self.video_track.to_be_bytes());
        out.extend_from_slice(&1u32.to_be_bytes());
        put_box(out, TFDT_LEN as u32, b"tfdt");
        out.extend_from_slice(&0x0100_0000u32.to_be_bytes()); // version 1
        out.extend_from_slice(&kept[0].sample.decode_time.to_be_bytes());
        put_box(out, trun as u32, b"trun");
        let trun_flags =
            TRUN_DATA_OFFSET | TRUN_DURATION | TRUN_SIZE | TRUN_FLAGS | TRUN_COMPOSITION;
        let version: u32 = if signed { 1 } else { 0 };
        out.extend_from_slice(&((version << 24) | trun_flags).to_be_bytes());
        out.extend_from_slice(&(n as u32).to_be_bytes());
        out.extend_from_slice(&data_offset.to_be_bytes());
        for k in kept {
            out.extend_from_slice(&k.duration.to_be_bytes());
            let size = u32::try_from(k.data.len()).map_err(|_| RewriteError::TooLarge)?;
            out.extend_from_slice(&size.to_be_bytes());
            out.extend_from_slice(&k.sample.flags.to_be_bytes());
            // In range for the version, checked above.
            out.extend_from_slice(&(k.sample.composition_offset as u32).to_be_bytes());
        }
        debug_assert_eq!(out.len() - start, moof as usize);
        if mdat_header == 8 {
            put_box(out, (payload + 8) as u32, b"mdat");
        } else {
            put_box(out, 1, b"mdat");
            out.extend_from_slice(&(payload + 16).to_be_bytes());
        }
        for k in kept {
            out.extend_from_slice(k.data);
        }
        Ok(())
    }
}

fn put_box(out: &mut Vec<u8>, size: u32, kind: &[u8; 4]) {
    out.extend_from_slice(&size.to_be_bytes());
    out.extend_from_slice(kind);
}
