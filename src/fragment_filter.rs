//! FragmentFilter (SPEC §7): fragmented MP4 in, fragmented MP4 out, holding
//! only samples the linked camera sealed whose reference chain is intact,
//! and an init segment only once a verified keyframe vouched for it.
//!
//! The rules, in the order they apply to each video sample of a media
//! segment (decode order):
//! 1. the sample is verified as an in-band unit (SPEC §6.3) in the init
//!    segment's layout (`avcc` with its nalLengthSize, or `obu`), with the
//!    init's configuration record for keyframes that carry no parameter
//!    sets; a drop is counted by reason and the sample is not kept;
//! 2. an accepted keyframe that is the first since the init segment
//!    (re)arrived must vouch for the configuration record (every parameter
//!    set in it is one the keyframe's P covers, [`inband::vouches_for`]);
//!    one that does not is not kept (counted in
//!    [`FilterStats::unvouched_keyframes`]), and nothing is kept until one
//!    does: an unsigned `avcC` never reaches a decoder on its own say;
//! 3. an accepted sample is kept only if [`DecodeChain`] admits it (SPEC
//!    §4's chain rule: a delta follows the last kept sample of its stream
//!    seq by seq; after a gap, only a keyframe restarts the chain). So a
//!    lost or forged camera sample costs the samples up to the next
//!    keyframe, while a foreign, replayed or unsealed sample injected
//!    between two genuine ones costs none;
//! 4. a kept delta sample loses any parameter sets it carries (SPEC §6.3:
//!    they are not covered), so a decoder only uses parameter sets a
//!    verified keyframe vouched for.
//!
//! The segment is then rewritten with the kept samples only (every other
//! track removed: [`MediaSegment::rewrite_with`]); the cleaned init segment
//! ([`InitSegment::cleaned`]) is handed out once, with the first segment
//! that keeps a sample after it was vouched for. A media segment that
//! cannot be read is one `malformed` drop and breaks the chain (it may
//! have held genuine samples). State changes only after authentication:
//! the chain and the vouching move only on accepted samples.

use alloc::vec::Vec;
use core::fmt;
use core::ops::Range;

use crate::fmp4::{Fmp4Error, InitSegment, MediaSegment, RewriteError};
use crate::frame::Header;
use crate::inband::{self, UnitCodec, UnitFormat};
use crate::memory::OutOfMemory;
use crate::verify::{DropReason, Stats, Verifier};
use crate::video::DecodeChain;

/// What became of one video sample of a filtered segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleVerdict {
    /// Verified, and written to the output segment.
    Kept(Header),
    /// Verified, but not written: see the reason.
    NotKept(Header, NotKept),
    /// Dropped by the verifier.
    Dropped(DropReason),
}

/// Why a verified sample was not written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotKept {
    /// Its reference chain is broken: it waits for the next keyframe.
    SkippedUntilKeyframe,
    /// A keyframe that does not vouch for the init segment's configuration
    /// record (its parameter sets differ from the record's).
    UnvouchedConfiguration,
}

impl NotKept {
    /// The stable lower-case name JS sees.
    pub fn name(self) -> &'static str {
        match self {
            NotKept::SkippedUntilKeyframe => "skipped-until-keyframe",
            NotKept::UnvouchedConfiguration => "configuration-not-vouched",
        }
    }
}

/// One video sample of a filtered segment: where it stands in the segment
/// handed in, and what became of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilteredSample {
    /// Its bytes in the segment handed to [`FragmentFilter::filter`].
    pub range: Range<usize>,
    /// When it is presented, in ticks of the video track's timescale
    /// (decode time plus composition offset, from the segment).
    pub presentation_time: i128,
    /// Kept, verified but not kept, or dropped.
    pub verdict: SampleVerdict,
}

/// A media segment after the filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filtered {
    /// The cleaned init segment, to append before `bytes`: given once, with
    /// the first segment that keeps a sample after the init was vouched for.
    pub init: Option<Vec<u8>>,
    /// The segment with the kept samples only; `None` when none is kept.
    pub bytes: Option<Vec<u8>>,
    /// One verdict per video sample, in decode order; empty for a segment
    /// that could not be read (then `unreadable` is set).
    pub samples: Vec<FilteredSample>,
    /// Why the segment could not be read, if it could not (counted as one
    /// `malformed` drop).
    pub unreadable: Option<Fmp4Error>,
}

/// Counts beyond the verifier's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FilterStats {
    /// Verified samples not kept because their reference chain was broken.
    pub skipped_until_keyframe: u64,
    /// Verified keyframes not kept because they did not vouch for the init
    /// segment's configuration record.
    pub unvouched_keyframes: u64,
    /// Samples of tracks other than the video track, removed.
    pub other_track_samples: u64,
    /// Media segments that could not be read.
    pub unreadable_segments: u64,
}

/// Why the filter could not do its work (nothing counted or changed).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FilterError {
    /// A media segment came before any init segment.
    NoInitSegment,
    /// The init segment cannot be used.
    Init(Fmp4Error),
    /// The init segment's codec cannot be carried in MP4 samples (JPEG).
    UnsupportedCodec(UnitCodec),
    /// The kept samples could not be written as a segment.
    Rewrite(RewriteError),
    /// Memory ran out.
    OutOfMemory(OutOfMemory),
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilterError::NoInitSegment => {
                f.write_str("a media segment came before any init segment")
            }
            FilterError::Init(e) => write!(f, "init segment: {e}"),
            FilterError::UnsupportedCodec(c) => write!(
                f,
                "init segment: {c} is not a video codec MSE plays from MP4"
            ),
            FilterError::Rewrite(e) => write!(f, "rewriting the segment: {e}"),
            FilterError::OutOfMemory(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for FilterError {}

impl From<OutOfMemory> for FilterError {
    fn from(e: OutOfMemory) -> FilterError {
        FilterError::OutOfMemory(e)
    }
}

/// The init segment in use.
struct Init {
    parsed: InitSegment,
    /// Exactly as given, to tell a repeat from a new one.
    bytes: Vec<u8>,
    cleaned: Vec<u8>,
    format: UnitFormat,
    /// A verified keyframe vouched for its configuration record.
    vouched: bool,
    /// The cleaned copy was handed out.
    released: bool,
}

/// Verifies fMP4 media segments against one linked key (module docs).
pub struct FragmentFilter {
    verifier: Verifier,
    init: Option<Init>,
    chain: DecodeChain,
    stats: FilterStats,
}

impl FragmentFilter {
    /// A filter whose samples `verifier` judges (its policy, its replay
    /// window: one verifier per camera stream).
    pub fn new(verifier: Verifier) -> FragmentFilter {
        FragmentFilter {
            verifier,
            init: None,
            chain: DecodeChain::new(),
            stats: FilterStats::default(),
        }
    }

    /// The verifier (its stats, its linked key).
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// The verifier's counts.
    pub fn verifier_stats(&self) -> &Stats {
        self.verifier.stats()
    }

    /// The filter's own counts.
    pub fn stats(&self) -> FilterStats {
        FilterStats {
            skipped_until_keyframe: self.chain.skipped(),
            ..self.stats
        }
    }

    /// The init segment in use, once one was given.
    pub fn init_segment(&self) -> Option<&InitSegment> {
        self.init.as_ref().map(|i| &i.parsed)
    }

    /// Takes an init segment. The same bytes again change nothing; a new
    /// one replaces the old: nothing is kept until a verified keyframe
    /// vouches for it, and its cleaned copy is handed out again then. An
    /// init segment that cannot be used is an error and changes nothing.
    pub fn init(&mut self, bytes: &[u8]) -> Result<(), FilterError> {
        if self.init.as_ref().is_some_and(|i| i.bytes == bytes) {
            return Ok(());
        }
        let parsed = InitSegment::parse(bytes).map_err(FilterError::Init)?;
        let format = parsed
            .unit_format()
            .map_err(|_| FilterError::UnsupportedCodec(parsed.codec()))?;
        let cleaned = parsed.cleaned(bytes).map_err(FilterError::Init)?;
        let mut copy = Vec::new();
        copy.try_reserve_exact(bytes.len())
            .map_err(|_| OutOfMemory { bytes: bytes.len() })?;
        copy.extend_from_slice(bytes);
        self.init = Some(Init {
            parsed,
            bytes: copy,
            cleaned,
            format,
            vouched: false,
            released: false,
        });
        // A new configuration: whatever follows decodes on it from a keyframe.
        self.chain.break_chain();
        Ok(())
    }

    /// Filters one media segment (one or more `moof` + `mdat`) at `now_us`
    /// (µs since the Unix epoch), as the module docs say.
    pub fn filter(&mut self, segment: &[u8], now_us: i64) -> Result<Filtered, FilterError> {
        let init = self.init.as_mut().ok_or(FilterError::NoInitSegment)?;
        let parsed = match MediaSegment::parse(&init.parsed, segment) {
            Ok(parsed) => parsed,
            Err(e) => {
                self.verifier.drop_unreadable();
                self.stats.unreadable_segments += 1;
                self.chain.break_chain();
                return Ok(Filtered {
                    init: None,
                    bytes: None,
                    samples: Vec::new(),
                    unreadable: Some(e),
                });
            }
        };
        let video = parsed.video();
        let mut samples = Vec::new();
        samples
            .try_reserve_exact(video.len())
            .map_err(|_| OutOfMemory {
                bytes: video.len() * size_of::<FilteredSample>(),
            })?;
        // Replacement bytes of kept deltas that carried parameter sets.
        let mut replaced: Vec<(usize, Vec<u8>)> = Vec::new();
        let config = init.parsed.config();
        for (i, sample) in video.iter().enumerate() {
            let data = parsed.data(sample);
            let verdict =
                match self
                    .verifier
                    .try_verify_unit(data, init.format, Some(config), now_us)?
                {
                    Err(reason) => SampleVerdict::Dropped(reason),
                    Ok(accepted) => {
                        let h = accepted.header;
                        if h.keyframe && !init.vouched {
                            // Splits only a unit that verified: its bytes parse.
                            init.vouched =
                                inband::vouches_for(data, init.format, config).unwrap_or(false);
                        }
                        if h.keyframe && !init.vouched {
                            self.stats.unvouched_keyframes += 1;
                            SampleVerdict::NotKept(h, NotKept::UnvouchedConfiguration)
                        } else if self.chain.admit(h.stream_id, h.seq, h.keyframe) {
                            // A unit that verified splits: an error cannot come.
                            if !h.keyframe
                                && inband::carries_parameter_sets(data, init.format).unwrap_or(true)
                            {
                                let stripped = inband::for_decoder(data, init.format, false)
                                    .map_err(|_| OutOfMemory { bytes: data.len() })?;
                                if stripped.len() != data.len() {
                                    replaced
                                        .try_reserve(1)
                                        .map_err(|_| OutOfMemory { bytes: 64 })?;
                                    replaced.push((i, stripped));
                                }
                            }
                            SampleVerdict::Kept(h)
                        } else {
                            SampleVerdict::NotKept(h, NotKept::SkippedUntilKeyframe)
                        }
                    }
                };
            samples.push(FilteredSample {
                range: sample.range.clone(),
                presentation_time: sample.presentation_time(),
                verdict,
            });
        }
        self.stats.other_track_samples += parsed.other().len() as u64;
        let mut out: Vec<Option<&[u8]>> = Vec::new();
        out.try_reserve_exact(video.len())
            .map_err(|_| OutOfMemory {
                bytes: video.len() * 16,
            })?;
        let mut next = replaced.iter().peekable();
        for (i, (sample, verdict)) in video.iter().zip(&samples).enumerate() {
            out.push(match verdict.verdict {
                SampleVerdict::Kept(_) => match next.peek() {
                    Some((at, bytes)) if *at == i => {
                        next.next();
                        Some(bytes.as_slice())
                    }
                    _ => Some(parsed.data(sample)),
                },
                _ => None,
            });
        }
        let kept = out.iter().any(Option::is_some);
        let bytes = if kept {
            Some(parsed.rewrite_with(&out).map_err(FilterError::Rewrite)?)
        } else {
            None
        };
        let init_out = if kept && init.vouched && !init.released {
            init.released = true;
            let mut copy = Vec::new();
            copy.try_reserve_exact(init.cleaned.len())
                .map_err(|_| OutOfMemory {
                    bytes: init.cleaned.len(),
                })?;
            copy.extend_from_slice(&init.cleaned);
            Some(copy)
        } else {
            None
        };
        Ok(Filtered {
            init: init_out,
            bytes,
            samples,
            unreadable: None,
        })
    }
}
