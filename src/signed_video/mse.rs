//! The Media Source Extensions side of Signed Video / Media Signing: a
//! fragmented MP4 stream (as go2rtc and Frigate send an MSE player) goes
//! in, and what comes out is for a `SourceBuffer`: the init segment
//! cleaned as a FragmentFilter cleans it ([`InitSegment::cleaned`]: the
//! video track alone, identity matrices, no `clap` / `irot` / `imir`), then
//! media segments that hold only the pictures a [`Gate`] released.
//!
//! Every video sample of a media segment goes through the gate with its
//! times. Each call's released pictures (in hold mode, those of the GOPs
//! found authentic, one GOP after their own) become one media segment:
//! a `moof` (`mfhd`, one `traf`: `tfhd`, `tfdt`, `trun`) and an `mdat` for
//! each run of pictures whose decode times follow on without a gap, every
//! picture with its own decode time, duration, composition offset and
//! sample flags, in the track's timescale as they came. Nothing is folded
//! over a dropped GOP: its time range is left out of the `SourceBuffer`
//! (a hole that the player jumps, `js/mse.js`), so that no earlier picture
//! stands in for it. A dropped GOP ends where the next GOP's keyframe
//! starts, which is what MSE wants after a decode time gap (its "need
//! random access point").
//!
//! Samples that do not split into NAL units are refused by the gate and
//! counted ([`MseGate::malformed`]); the rest of the segment goes on.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::gate::{Gate, GateError, GateStats, Layout, Mode, Released};
use super::{Codec, GopReport, StreamValidator, Trust};
use crate::fmp4::media::{
    TFHD_BASE_IS_MOOF, TFHD_DESCRIPTION_INDEX, TRUN_COMPOSITION, TRUN_DATA_OFFSET, TRUN_DURATION,
    TRUN_FLAGS, TRUN_SIZE,
};
use crate::fmp4::{Fmp4Error, InitSegment, MediaSegment, Sample};
use crate::inband::UnitCodec;
use crate::memory::OutOfMemory;

/// A sample's times and flags, as its `trun` gave them (track timescale).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleTimes {
    /// Decode time.
    pub decode_time: u64,
    /// Duration.
    pub duration: u32,
    /// Presentation time minus decode time.
    pub composition_offset: i64,
    /// Sample flags (ISO/IEC 14496-12 §8.8.3.1).
    pub flags: u32,
}

impl From<&Sample> for SampleTimes {
    fn from(s: &Sample) -> SampleTimes {
        SampleTimes {
            decode_time: s.decode_time,
            duration: s.duration,
            composition_offset: s.composition_offset,
            flags: s.flags,
        }
    }
}

impl SampleTimes {
    /// Decode time plus composition offset.
    pub fn presentation_time(&self) -> i128 {
        i128::from(self.decode_time) + i128::from(self.composition_offset)
    }
}

/// Why an init or media segment is refused, or cannot be written out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MseError {
    /// The init segment does not parse.
    BadInitSegment(Fmp4Error),
    /// Its video track is not H.264, H.265 or AV1.
    UnsupportedCodec,
    /// A media segment does not parse against the init segment.
    BadFragment(Fmp4Error),
    /// The gate refused (a finished gate, a bad length size).
    Gate(GateError),
    /// A written fragment would not fit 32-bit sizes and offsets.
    TooLarge,
    /// Released composition offsets that no `trun` version holds together
    /// (a negative one beside one above 2^31 − 1).
    CompositionOffsetRange,
    /// The output could not be allocated.
    OutOfMemory(OutOfMemory),
}

impl MseError {
    /// A stable lower-case reason, for JS.
    pub fn reason(&self) -> &'static str {
        match self {
            MseError::BadInitSegment(_) => "bad-init-segment",
            MseError::UnsupportedCodec => "unsupported-codec",
            MseError::BadFragment(_) => "bad-fragment",
            MseError::Gate(e) => e.reason(),
            MseError::TooLarge => "too-large",
            MseError::CompositionOffsetRange => "composition-offset-range",
            MseError::OutOfMemory(_) => "out-of-memory",
        }
    }
}

impl fmt::Display for MseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MseError::BadInitSegment(e) => write!(f, "not a usable init segment: {e}"),
            MseError::UnsupportedCodec => {
                f.write_str("the video track is not H.264, H.265 or AV1, which Signed Video signs")
            }
            MseError::BadFragment(e) => write!(f, "not a media segment of this stream: {e}"),
            MseError::Gate(e) => write!(f, "{e}"),
            MseError::TooLarge => f.write_str("a written fragment would exceed 4 GiB"),
            MseError::CompositionOffsetRange => {
                f.write_str("the released composition offsets do not fit one 'trun'")
            }
            MseError::OutOfMemory(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for MseError {}

/// A picture written to a media segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Written {
    /// Its decode-order index from 0, as GOP reports count.
    pub frame: u64,
    /// Whether it is a keyframe (IDR / IRAP).
    pub keyframe: bool,
    /// Its times.
    pub times: SampleTimes,
}

/// What one call hands to the `SourceBuffer`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    /// The media segment of the released pictures; empty when none was.
    pub segment: Vec<u8>,
    /// Those pictures, in decode order.
    pub pictures: Vec<Written>,
}

/// A Signed Video gate for a fragmented MP4 stream whose output goes to a
/// `SourceBuffer`.
pub struct MseGate {
    init: InitSegment,
    init_bytes: Vec<u8>,
    cleaned: Vec<u8>,
    codec: Codec,
    gate: Gate<SampleTimes>,
    sequence: u32,
    malformed: u64,
}

impl MseGate {
    /// A gate in `mode` trusting `trust`, for the stream of `init` (`ftyp`
    /// + `moov` of an H.264 / H.265 / AV1 track).
    pub fn new(init: &[u8], trust: Trust, mode: Mode) -> Result<MseGate, MseError> {
        let parsed = InitSegment::parse(init).map_err(MseError::BadInitSegment)?;
        let codec = match parsed.codec() {
            UnitCodec::H264 => Codec::H264,
            UnitCodec::H265 => Codec::H265,
            UnitCodec::Av1 => Codec::Av1,
            _ => return Err(MseError::UnsupportedCodec),
        };
        let cleaned = parsed.cleaned(init).map_err(MseError::BadInitSegment)?;
        let mut init_bytes = Vec::new();
        init_bytes
            .try_reserve_exact(init.len())
            .map_err(|_| MseError::OutOfMemory(OutOfMemory { bytes: init.len() }))?;
        init_bytes.extend_from_slice(init);
        let length = usize::from(parsed.nal_length_size().unwrap_or(4));
        let validator = StreamValidator::with_trust(codec, trust);
        let gate = Gate::new(validator, codec, Layout::LengthPrefixed(length), mode)
            .map_err(MseError::Gate)?;
        Ok(MseGate {
            init: parsed,
            init_bytes,
            cleaned,
            codec,
            gate,
            sequence: 0,
            malformed: 0,
        })
    }

    /// The cleaned init segment, to append before any media segment.
    pub fn init_segment(&self) -> &[u8] {
        &self.cleaned
    }

    /// Whether `bytes` are the init segment this gate was made from.
    pub fn same_init(&self, bytes: &[u8]) -> bool {
        self.init_bytes == bytes
    }

    /// The parsed init segment.
    pub fn init(&self) -> &InitSegment {
        &self.init
    }

    /// The MIME type with codecs for `addSourceBuffer`.
    pub fn mime_type(&self) -> String {
        self.init.mime_type()
    }

    /// The stream's codec.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// The gate's validator, until [`MseGate::finish`].
    pub fn validator(&self) -> Option<&StreamValidator> {
        self.gate.validator()
    }

    /// The gate's counts.
    pub fn stats(&self) -> GateStats {
        self.gate.stats()
    }

    /// Samples refused as malformed (they do not split into NAL units).
    pub fn malformed(&self) -> u64 {
        self.malformed
    }

    /// The GOP reports completed since the last call, in order.
    pub fn take_reports(&mut self) -> Vec<GopReport> {
        self.gate.take_reports()
    }

    /// Takes a media segment (`moof` + `mdat` pairs): its video samples go
    /// through the gate; returns the media segment of what that released.
    /// A segment that does not parse changes nothing.
    pub fn push_segment(&mut self, bytes: &[u8]) -> Result<Output, MseError> {
        let media = MediaSegment::parse(&self.init, bytes).map_err(MseError::BadFragment)?;
        if self.gate.validator().is_none() {
            return Err(MseError::Gate(GateError::Finished));
        }
        let mut released = Vec::new();
        for sample in media.video() {
            let times = SampleTimes::from(sample);
            if self.gate.push(media.data(sample), times).is_err() {
                self.malformed += 1;
            }
            released.append(&mut self.gate.take_released());
        }
        self.write(&released)
    }

    /// Ends the stream: the last GOPs get their verdicts; returns the media
    /// segment of what that releases.
    pub fn finish(&mut self) -> Result<Output, MseError> {
        self.gate.finish();
        let released = self.gate.take_released();
        self.write(&released)
    }

    fn write(&mut self, released: &[Released<SampleTimes>]) -> Result<Output, MseError> {
        let samples: Vec<(&[u8], SampleTimes)> =
            released.iter().map(|r| (&r.data[..], r.meta)).collect();
        let (segment, next) = write_fragments(self.init.track_id(), self.sequence, &samples)?;
        self.sequence = next;
        let pictures = released
            .iter()
            .map(|r| Written {
                frame: r.frame,
                keyframe: r.keyframe,
                times: r.meta,
            })
            .collect();
        Ok(Output { segment, pictures })
    }
}

/// Where the media part of `bytes` starts: 0 unless `bytes` begin with an
/// init segment (`ftyp` / `moov`), else at its first `moof`, `styp`,
/// `sidx` or `emsg` box (or its end). A walk of box sizes only; the
/// parsers check everything.
pub fn init_len(bytes: &[u8]) -> usize {
    if !matches!(bytes.get(4..8), Some(b"ftyp" | b"moov")) {
        return 0;
    }
    let mut at = 0usize;
    while let Some(head) = bytes.get(at..at.saturating_add(8)) {
        if matches!(&head[4..8], b"moof" | b"styp" | b"sidx" | b"emsg") {
            return at;
        }
        let size = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        if size < 8 {
            break;
        }
        match at.checked_add(size) {
            Some(next) => at = next,
            None => break,
        }
    }
    bytes.len()
}

/// `tfhd` flags: sample description index present, default base is moof.
const TFHD_FLAGS: u32 = TFHD_DESCRIPTION_INDEX | TFHD_BASE_IS_MOOF;

/// Writes `samples` (bytes and times, in decode order) of track `track_id`
/// as fragments: one `moof` + `mdat` for each run whose decode times follow
/// on (each sample's decode time is the previous one's plus its duration),
/// numbered from `sequence + 1`. Returns the bytes (empty for no sample)
/// and the last sequence number used.
pub fn write_fragments(
    track_id: u32,
    sequence: u32,
    samples: &[(&[u8], SampleTimes)],
) -> Result<(Vec<u8>, u32), MseError> {
    let mut out = Vec::new();
    let mut sequence = sequence;
    let mut start = 0;
    while start < samples.len() {
        let mut end = start + 1;
        while let Some((_, t)) = samples.get(end) {
            let (_, prev) = samples[end - 1];
            if prev.decode_time.checked_add(u64::from(prev.duration)) != Some(t.decode_time) {
                break;
            }
            end += 1;
        }
        sequence = sequence.wrapping_add(1);
        write_fragment(&mut out, track_id, sequence, &samples[start..end])?;
        start = end;
    }
    Ok((out, sequence))
}

fn write_fragment(
    out: &mut Vec<u8>,
    track_id: u32,
    sequence: u32,
    run: &[(&[u8], SampleTimes)],
) -> Result<(), MseError> {
    let signed = run.iter().any(|(_, t)| t.composition_offset < 0);
    let (lo, hi) = if signed {
        (i64::from(i32::MIN), i64::from(i32::MAX))
    } else {
        (0, i64::from(u32::MAX))
    };
    if run
        .iter()
        .any(|(_, t)| t.composition_offset < lo || t.composition_offset > hi)
    {
        return Err(MseError::CompositionOffsetRange);
    }
    let trun = 20 + 16 * run.len() as u64;
    let traf = 8 + 20 + 20 + trun;
    let moof = 8 + 16 + traf;
    let payload: u64 = run.iter().map(|(d, _)| d.len() as u64).sum();
    let mdat = 8 + payload;
    let moof32 = u32::try_from(moof).map_err(|_| MseError::TooLarge)?;
    let mdat32 = u32::try_from(mdat).map_err(|_| MseError::TooLarge)?;
    let data_offset = i32::try_from(moof + 8).map_err(|_| MseError::TooLarge)?;
    let total = usize::try_from(moof + mdat).map_err(|_| MseError::TooLarge)?;
    out.try_reserve(total)
        .map_err(|_| MseError::OutOfMemory(OutOfMemory { bytes: total }))?;
    let put = |out: &mut Vec<u8>, size: u32, kind: &[u8; 4]| {
        out.extend_from_slice(&size.to_be_bytes());
        out.extend_from_slice(kind);
    };
    put(out, moof32, b"moof");
    put(out, 16, b"mfhd");
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&sequence.to_be_bytes());
    put(out, traf as u32, b"traf");
    put(out, 20, b"tfhd");
    out.extend_from_slice(&TFHD_FLAGS.to_be_bytes());
    out.extend_from_slice(&track_id.to_be_bytes());
    out.extend_from_slice(&1u32.to_be_bytes());
    put(out, 20, b"tfdt");
    out.extend_from_slice(&0x0100_0000u32.to_be_bytes()); // version 1
    out.extend_from_slice(&run[0].1.decode_time.to_be_bytes());
    put(out, trun as u32, b"trun");
    let flags = TRUN_DATA_OFFSET | TRUN_DURATION | TRUN_SIZE | TRUN_FLAGS | TRUN_COMPOSITION;
    let version: u32 = if signed { 1 } else { 0 };
    out.extend_from_slice(&((version << 24) | flags).to_be_bytes());
    out.extend_from_slice(&(run.len() as u32).to_be_bytes());
    out.extend_from_slice(&data_offset.to_be_bytes());
    for (data, t) in run {
        out.extend_from_slice(&t.duration.to_be_bytes());
        // Each fits: their sum does.
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(&t.flags.to_be_bytes());
        // In range for the version, checked above.
        out.extend_from_slice(&(t.composition_offset as u32).to_be_bytes());
    }
    put(out, mdat32, b"mdat");
    for (data, _) in run {
        out.extend_from_slice(data);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The writer on real files, and the gate on the Axis recordings:
    //! `tests/signed_video_mse.rs`.
    use super::*;
    use alloc::vec;

    fn times(decode_time: u64, composition_offset: i64) -> SampleTimes {
        SampleTimes {
            decode_time,
            duration: 1,
            composition_offset,
            flags: 0,
        }
    }

    #[test]
    fn runs_split_at_decode_time_gaps_and_offsets_must_fit_one_version() {
        assert_eq!(write_fragments(1, 3, &[]).expect("nothing"), (vec![], 3));
        let a: &[u8] = b"ab";
        let (one, last) =
            write_fragments(1, 3, &[(a, times(0, 0)), (a, times(1, 0))]).expect("one");
        assert_eq!(last, 4);
        assert_eq!(one.len(), 8 + 16 + 8 + 20 + 20 + 20 + 2 * 16 + 8 + 4);
        let (two, last) =
            write_fragments(1, 3, &[(a, times(0, 0)), (a, times(2, 0))]).expect("two");
        assert_eq!(last, 5);
        assert_eq!(two.len(), 2 * (8 + 16 + 8 + 20 + 20 + 20 + 16 + 8 + 2));
        let wide = [(a, times(0, -1)), (a, times(1, 1 << 31))];
        assert_eq!(
            write_fragments(1, 0, &wide),
            Err(MseError::CompositionOffsetRange)
        );
    }

    #[test]
    fn the_init_part_of_a_buffer() {
        let ftyp = b"\0\0\0\x08ftyp";
        let moof = b"\0\0\0\x08moof";
        let both = [&ftyp[..], &moof[..]].concat();
        assert_eq!(init_len(&both), 8);
        assert_eq!(init_len(moof), 0);
        assert_eq!(init_len(ftyp), 8);
        assert_eq!(init_len(b"\0\0\0\x04ftyp"), 8, "a bad size ends the walk");
        assert_eq!(init_len(b""), 0);
    }

    #[test]
    fn reasons_are_stable() {
        assert_eq!(MseError::TooLarge.reason(), "too-large");
        assert_eq!(MseError::UnsupportedCodec.reason(), "unsupported-codec");
        assert_eq!(MseError::Gate(GateError::Finished).reason(), "finished");
    }
}
