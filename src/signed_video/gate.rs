//! The display side of Signed Video / Media Signing: access units go in,
//! and only the pictures of GOPs found authentic come out (issue 18 item 3).
//!
//! A [`Gate`] runs every NAL unit of each access unit through a
//! [`StreamValidator`] and, in [`Mode::Hold`], keeps the access unit until
//! the validator has a verdict on every picture in it: the pictures of an
//! `authentic` GOP are then released in decode order, all others dropped,
//! counted by the GOP's verdict. A GOP's verdict needs the GOP's signed SEI
//! and, for the older Axis signers, the next GOP's I-frame: the latency is
//! one GOP. In [`Mode::Mark`] every picture is released at once and the
//! verdicts follow, for an app that prefers showing at once and blanking a
//! GOP that fails.
//!
//! Access units without a picture (parameter sets, SEIs alone) are carried
//! in front of the next access unit with a picture, so that a decoder gets
//! them with it. Access units whose only pictures are of a type the formats
//! do not hash (H.265 RASL, RADL, TSA, STSA; H.264 data partitions) are
//! dropped as `not-covered`: nothing vouches for them.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::fmt;

use super::av1::{self, ObuKind};
use super::validate::{GopReport, GopVerdict, StreamValidator};
use super::{Codec, annexb_nal_units};

/// Whether pictures wait for their GOP's verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Each access unit is held until its GOP's verdict; only authentic
    /// pictures are released.
    #[default]
    Hold,
    /// Every picture is released at once; the verdicts follow.
    Mark,
}

/// How an access unit's NAL units are delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Start codes (H.264 / H.265 Annex B).
    AnnexB,
    /// A big-endian length of this many bytes (1, 2 or 4) before each NAL
    /// unit, as in MP4 samples (`avcC` / `hvcC`'s length size).
    LengthPrefixed(usize),
}

/// Why an access unit or a call is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateError {
    /// The access unit does not split into NAL units: a length prefix runs
    /// past its end, or an Annex B unit has no start code.
    MalformedUnit,
    /// The access unit is longer than [`MAX_UNIT_BYTES`].
    UnitTooLarge,
    /// A length size other than 1, 2 or 4.
    BadLengthSize,
    /// The gate was finished.
    Finished,
}

impl GateError {
    /// A stable lower-case reason, for JS.
    pub fn reason(self) -> &'static str {
        match self {
            GateError::MalformedUnit => "malformed-unit",
            GateError::UnitTooLarge => "unit-too-large",
            GateError::BadLengthSize => "bad-length-size",
            GateError::Finished => "finished",
        }
    }
}

impl fmt::Display for GateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GateError::MalformedUnit => {
                "the access unit does not split into NAL units (a length prefix runs past its \
                 end, or no start code)"
            }
            GateError::UnitTooLarge => "the access unit is larger than the gate takes (64 MiB)",
            GateError::BadLengthSize => "the NAL unit length size must be 1, 2 or 4",
            GateError::Finished => "the gate was finished",
        })
    }
}

impl core::error::Error for GateError {}

/// The largest access unit taken.
pub const MAX_UNIT_BYTES: usize = 64 << 20;

/// The most bytes held waiting for verdicts: past this, the oldest held
/// pictures are dropped (`overflow`). The validator reports a GOP whose SEI
/// does not come within 8 GOPs anyway; this bounds the bytes of GOPs that
/// are very large.
pub const MAX_HELD_BYTES: usize = 256 << 20;

/// The most bytes of access units without a picture carried to the next
/// picture: past this, the oldest are discarded.
pub const MAX_CARRIED_BYTES: usize = 1 << 20;

/// Why a picture was dropped, besides its GOP's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// Its GOP's verdict is not `authentic`.
    Verdict(GopVerdict),
    /// Its pictures are of a type the formats do not hash.
    NotCovered,
    /// More than [`MAX_HELD_BYTES`] were held.
    Overflow,
}

impl DropReason {
    /// Every reason, in the order stats list them.
    pub const ALL: [DropReason; 8] = [
        DropReason::Verdict(GopVerdict::Tampered),
        DropReason::Verdict(GopVerdict::Incomplete),
        DropReason::Verdict(GopVerdict::Unsigned),
        DropReason::Verdict(GopVerdict::Pending),
        DropReason::Verdict(GopVerdict::Unverifiable),
        DropReason::Verdict(GopVerdict::ForeignKey),
        DropReason::NotCovered,
        DropReason::Overflow,
    ];

    /// A stable lower-case name: the verdict's, `not-covered` or
    /// `overflow`.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::Verdict(v) => v.name(),
            DropReason::NotCovered => "not-covered",
            DropReason::Overflow => "overflow",
        }
    }

    fn index(self) -> usize {
        DropReason::ALL.iter().position(|r| *r == self).unwrap_or(0)
    }
}

/// A picture the gate lets through, with what the caller gave with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Released<M> {
    /// The access unit's bytes, behind those of access units without a
    /// picture that came before it.
    pub data: Vec<u8>,
    /// The decode-order index (from 0) of its first picture, as
    /// [`GopReport::first_frame`] counts.
    pub frame: u64,
    /// Whether it holds an IDR / IRAP picture (a WebCodecs `key` chunk).
    pub keyframe: bool,
    /// What the caller pushed with it (timestamps).
    pub meta: M,
}

/// What the gate counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GateStats {
    /// Access units with pictures released.
    pub released: u64,
    /// Access units with pictures held now.
    pub held: u64,
    /// Bytes held now.
    pub held_bytes: u64,
    /// Access units dropped, by [`DropReason::ALL`] order.
    pub dropped: [u64; 8],
    /// GOPs with a verdict, by [`GopVerdict`] ([`VERDICTS`] order).
    pub gops: [u64; 7],
    /// Access units without a picture, carried to the next picture.
    pub carried: u64,
    /// Signed Video / Media Signing SEIs that did not parse (skipped).
    pub bad_seis: u64,
}

/// Every verdict, in the order [`GateStats::gops`] counts them.
pub const VERDICTS: [GopVerdict; 7] = [
    GopVerdict::Authentic,
    GopVerdict::Tampered,
    GopVerdict::Incomplete,
    GopVerdict::Unsigned,
    GopVerdict::Pending,
    GopVerdict::Unverifiable,
    GopVerdict::ForeignKey,
];

impl GateStats {
    /// The dropped count of `reason`.
    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.dropped[reason.index()]
    }

    /// How many GOPs got `verdict`.
    pub fn gops(&self, verdict: GopVerdict) -> u64 {
        VERDICTS
            .iter()
            .position(|v| *v == verdict)
            .map_or(0, |i| self.gops[i])
    }
}

/// An access unit waiting for its verdict.
struct Held<M> {
    data: Vec<u8>,
    first: u64,
    end: u64,
    keyframe: bool,
    meta: M,
}

/// Holds access units of a signed H.264 / H.265 stream until their GOP's
/// verdict and releases only authentic pictures ([`Mode::Hold`]), or
/// releases at once and reports verdicts after ([`Mode::Mark`]).
pub struct Gate<M> {
    validator: Option<StreamValidator>,
    codec: Codec,
    layout: Layout,
    mode: Mode,
    held: VecDeque<Held<M>>,
    held_bytes: usize,
    carry: VecDeque<Vec<u8>>,
    carry_bytes: usize,
    /// Verdict ranges of pictures `[first, end)` not yet applied to every
    /// held access unit they cover.
    verdicts: VecDeque<(u64, u64, GopVerdict)>,
    /// Pictures before this have a verdict.
    decided: u64,
    new_reports: Vec<GopReport>,
    released: Vec<Released<M>>,
    stats: GateStats,
}

impl<M> Gate<M> {
    /// A gate in `mode` for access units of `codec` in `layout`, validated
    /// by `validator` (which says what is trusted). For [`Codec::Av1`] an
    /// access unit is a temporal unit of OBUs with size fields, whatever
    /// `layout` says.
    pub fn new(
        validator: StreamValidator,
        codec: Codec,
        layout: Layout,
        mode: Mode,
    ) -> Result<Gate<M>, GateError> {
        // AV1 access units are split at their OBUs' size fields: the layout
        // (an `av01` track's length size is 0) is not used.
        if let Layout::LengthPrefixed(n) = layout
            && codec != Codec::Av1
            && !matches!(n, 1 | 2 | 4)
        {
            return Err(GateError::BadLengthSize);
        }
        Ok(Gate {
            validator: Some(validator),
            codec,
            layout,
            mode,
            held: VecDeque::new(),
            held_bytes: 0,
            carry: VecDeque::new(),
            carry_bytes: 0,
            verdicts: VecDeque::new(),
            decided: 0,
            new_reports: Vec::new(),
            released: Vec::new(),
            stats: GateStats::default(),
        })
    }

    /// The validator, until [`Gate::finish`].
    pub fn validator(&self) -> Option<&StreamValidator> {
        self.validator.as_ref()
    }

    /// The mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The counts so far.
    pub fn stats(&self) -> GateStats {
        let mut stats = self.stats.clone();
        stats.held = self.held.len() as u64;
        stats.held_bytes = self.held_bytes as u64;
        stats
    }

    /// Takes one access unit (its bytes are copied only if it is held or
    /// released) with `meta`. What it releases, and the GOP reports it
    /// completes, are taken with [`Gate::take_released`] and
    /// [`Gate::take_reports`]. A malformed access unit changes nothing.
    pub fn push(&mut self, unit: &[u8], meta: M) -> Result<(), GateError> {
        let Some(validator) = self.validator.as_mut() else {
            return Err(GateError::Finished);
        };
        if unit.len() > MAX_UNIT_BYTES {
            return Err(GateError::UnitTooLarge);
        }
        // An AV1 access unit (temporal unit) is its OBUs, whatever the
        // layout says.
        let nals = if self.codec == Codec::Av1 {
            av1::obu_units(unit).map_err(|_| GateError::MalformedUnit)?
        } else {
            split(unit, self.layout)?
        };
        let before = validator.pictures();
        let mut vcl = false;
        let mut keyframe = false;
        for nal in &nals {
            let (is_vcl, is_key) = classify(nal, self.codec);
            vcl |= is_vcl;
            keyframe |= is_key;
            if validator.push_nal(nal).is_err() {
                self.stats.bad_seis += 1;
            }
        }
        let after = validator.pictures();
        if after == before {
            if vcl {
                self.stats.dropped[DropReason::NotCovered.index()] += 1;
            } else {
                self.carry_bytes += unit.len();
                self.carry.push_back(unit.to_vec());
                self.stats.carried += 1;
                while self.carry_bytes > MAX_CARRIED_BYTES {
                    let Some(old) = self.carry.pop_front() else {
                        break;
                    };
                    self.carry_bytes -= old.len();
                }
            }
        } else {
            let mut data = Vec::with_capacity(self.carry_bytes + unit.len());
            for carried in self.carry.drain(..) {
                data.extend_from_slice(&carried);
            }
            self.carry_bytes = 0;
            data.extend_from_slice(unit);
            let held = Held {
                data,
                first: before,
                end: after,
                keyframe,
                meta,
            };
            match self.mode {
                Mode::Mark => self.release(held),
                Mode::Hold => {
                    self.held_bytes += held.data.len();
                    self.held.push_back(held);
                    while self.held_bytes > MAX_HELD_BYTES {
                        let Some(old) = self.held.pop_front() else {
                            break;
                        };
                        self.held_bytes -= old.data.len();
                        self.stats.dropped[DropReason::Overflow.index()] += 1;
                    }
                }
            }
        }
        self.take_verdicts();
        Ok(())
    }

    /// Ends the stream: the last GOPs get their verdicts (`pending` when
    /// their SEI never came), what is still held is released or dropped,
    /// carried access units without a picture are discarded.
    pub fn finish(&mut self) {
        let Some(validator) = self.validator.take() else {
            return;
        };
        // The reports not taken yet.
        let fresh = validator.finish();
        self.apply(fresh);
        self.carry.clear();
        self.carry_bytes = 0;
        // Whatever no report covered (nothing, unless the validator left
        // pictures without a verdict) is pending.
        while let Some(held) = self.held.pop_front() {
            self.held_bytes -= held.data.len();
            self.stats.dropped[DropReason::Verdict(GopVerdict::Pending).index()] += 1;
        }
    }

    /// The pictures released since the last call, in decode order.
    pub fn take_released(&mut self) -> Vec<Released<M>> {
        core::mem::take(&mut self.released)
    }

    /// The GOP reports completed since the last call, in order.
    pub fn take_reports(&mut self) -> Vec<GopReport> {
        core::mem::take(&mut self.new_reports)
    }

    fn release(&mut self, held: Held<M>) {
        self.stats.released += 1;
        self.released.push(Released {
            data: held.data,
            frame: held.first,
            keyframe: held.keyframe,
            meta: held.meta,
        });
    }

    /// Applies the validator's new reports.
    fn take_verdicts(&mut self) {
        let Some(validator) = self.validator.as_mut() else {
            return;
        };
        // Taken out, so that the validator does not keep every GOP's.
        let fresh = validator.take_reports();
        self.apply(fresh);
    }

    /// Records `reports` and releases or drops every held access unit whose
    /// pictures all have a verdict now.
    fn apply(&mut self, reports: Vec<GopReport>) {
        for report in reports {
            if let Some(i) = VERDICTS.iter().position(|v| *v == report.verdict) {
                self.stats.gops[i] += 1;
            }
            if report.frames > 0 {
                let end = report.first_frame.saturating_add(report.frames);
                self.verdicts
                    .push_back((report.first_frame, end, report.verdict));
                self.decided = self.decided.max(end);
            }
            self.new_reports.push(report);
        }
        while let Some(front) = self.held.front() {
            if front.end > self.decided {
                break;
            }
            let (first, end) = (front.first, front.end);
            // The worst verdict over the unit's pictures: authentic only if
            // every GOP it touches is.
            let verdict = self
                .verdicts
                .iter()
                .filter(|(f, e, _)| *f < end && first < *e)
                .map(|(_, _, v)| *v)
                .find(|v| *v != GopVerdict::Authentic)
                .unwrap_or(GopVerdict::Authentic);
            let Some(held) = self.held.pop_front() else {
                break;
            };
            self.held_bytes -= held.data.len();
            if verdict == GopVerdict::Authentic {
                self.release(held);
            } else {
                self.stats.dropped[DropReason::Verdict(verdict).index()] += 1;
            }
            let next = self.held.front().map_or(self.decided, |h| h.first);
            while self.verdicts.front().is_some_and(|(_, e, _)| *e <= next) {
                self.verdicts.pop_front();
            }
        }
        if self.held.is_empty() {
            // Nothing waits: only the ranges later pictures may still touch.
            while self.verdicts.len() > 1 {
                self.verdicts.pop_front();
            }
        }
    }
}

/// The NAL units of an access unit in `layout`, trailing zero bytes kept
/// (the validator strips them).
fn split(unit: &[u8], layout: Layout) -> Result<Vec<&[u8]>, GateError> {
    match layout {
        Layout::AnnexB => {
            let nals = annexb_nal_units(unit);
            if nals.is_empty() && !unit.is_empty() {
                return Err(GateError::MalformedUnit);
            }
            Ok(nals)
        }
        Layout::LengthPrefixed(size) => {
            let mut nals = Vec::new();
            let mut rest = unit;
            while !rest.is_empty() {
                if rest.len() < size {
                    return Err(GateError::MalformedUnit);
                }
                let (prefix, tail) = rest.split_at(size);
                let len = prefix
                    .iter()
                    .fold(0usize, |n, &b| (n << 8) | usize::from(b));
                if len > tail.len() {
                    return Err(GateError::MalformedUnit);
                }
                let (nal, tail) = tail.split_at(len);
                nals.push(nal);
                rest = tail;
            }
            Ok(nals)
        }
    }
}

/// Whether `nal` is a VCL NAL unit (any slice), and whether it is an IDR /
/// IRAP slice (a decoder can start at it).
fn classify(nal: &[u8], codec: Codec) -> (bool, bool) {
    let Some(&first) = nal.first() else {
        return (false, false);
    };
    match codec {
        Codec::H264 => {
            let t = first & 0x1f;
            ((1..=5).contains(&t), t == 5)
        }
        Codec::H265 => {
            let t = (first >> 1) & 0x3f;
            (t <= 31, (16..=23).contains(&t))
        }
        Codec::Av1 => match av1::kind(nal) {
            ObuKind::Frame { key } | ObuKind::FrameHeader { key } => (true, key),
            ObuKind::TileGroup | ObuKind::Uncovered => (true, false),
            ObuKind::Ignored | ObuKind::Metadata => (false, false),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const SPS: &[u8] = &[0x67, 0x42, 0x00, 0x1e];
    const I: &[u8] = &[0x65, 0x88, 0x84, 0x21];
    const P: &[u8] = &[0x41, 0x9a, 0x02, 0x10];

    fn annexb(nals: &[&[u8]]) -> Vec<u8> {
        nals.iter()
            .flat_map(|n| [&[0, 0, 0, 1][..], n].concat())
            .collect()
    }

    fn gate(mode: Mode) -> Gate<u32> {
        Gate::new(
            StreamValidator::new(Codec::H264),
            Codec::H264,
            Layout::AnnexB,
            mode,
        )
        .expect("a gate")
    }

    #[test]
    fn an_unsigned_stream_is_held_then_dropped_as_unsigned() {
        let mut g = gate(Mode::Hold);
        let mut ts = 0;
        for _ in 0..4 {
            g.push(&annexb(&[SPS, I]), ts).expect("pushed");
            g.push(&annexb(&[P]), ts + 1).expect("pushed");
            ts += 2;
        }
        assert!(g.take_released().is_empty(), "nothing is authentic");
        let reports = g.take_reports();
        assert_eq!(reports.len(), 1, "the validator decides two GOPs late");
        assert_eq!(
            g.stats().dropped(DropReason::Verdict(GopVerdict::Unsigned)),
            2
        );
        assert_eq!(g.stats().held, 6);
        g.finish();
        assert_eq!(g.take_reports().len(), 3);
        let stats = g.stats();
        assert_eq!(stats.dropped(DropReason::Verdict(GopVerdict::Unsigned)), 8);
        assert_eq!((stats.held, stats.held_bytes, stats.released), (0, 0, 0));
        assert_eq!(stats.gops(GopVerdict::Unsigned), 4);
        assert_eq!(g.push(&annexb(&[P]), 0), Err(GateError::Finished));
    }

    #[test]
    fn mark_mode_releases_at_once_with_keyframes_and_reports_later() {
        let mut g = gate(Mode::Mark);
        g.push(&annexb(&[SPS]), 0)
            .expect("a unit without a picture");
        g.push(&annexb(&[I]), 1).expect("pushed");
        g.push(&annexb(&[P]), 2).expect("pushed");
        let out = g.take_released();
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[0].data,
            annexb(&[SPS, I]),
            "the SPS goes with the I-frame"
        );
        assert_eq!((out[0].frame, out[0].keyframe, out[0].meta), (0, true, 1));
        assert_eq!((out[1].frame, out[1].keyframe, out[1].meta), (1, false, 2));
        assert_eq!(g.stats().carried, 1);
        g.finish();
        let reports = g.take_reports();
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].verdict, GopVerdict::Unsigned);
        assert_eq!(g.stats().released, 2);
    }

    #[test]
    fn malformed_units_and_uncovered_pictures() {
        let mut g: Gate<()> = Gate::new(
            StreamValidator::new(Codec::H265),
            Codec::H265,
            Layout::LengthPrefixed(4),
            Mode::Hold,
        )
        .expect("a gate");
        assert_eq!(
            g.push(&[0, 0, 0, 9, 2, 1], ()),
            Err(GateError::MalformedUnit)
        );
        assert_eq!(g.push(&[0, 0], ()), Err(GateError::MalformedUnit));
        // A RASL_N picture (type 8): not hashed by the formats.
        g.push(&[0, 0, 0, 3, 8 << 1, 1, 0x80], ()).expect("pushed");
        assert_eq!(g.stats().dropped(DropReason::NotCovered), 1);
        assert!(matches!(
            Gate::<()>::new(
                StreamValidator::new(Codec::H264),
                Codec::H264,
                Layout::LengthPrefixed(3),
                Mode::Hold
            ),
            Err(GateError::BadLengthSize)
        ));
        let mut annex = gate(Mode::Hold);
        assert_eq!(annex.push(&[0x65, 1, 2], 0), Err(GateError::MalformedUnit));
        assert_eq!(
            split(&[0, 1, 0x41, 0, 2, 0, 0x41], Layout::LengthPrefixed(2)),
            Ok(vec![&[0x41][..], &[0, 0x41][..]])
        );
    }

    #[test]
    fn reasons_are_stable_and_distinct() {
        let names: Vec<&str> = DropReason::ALL.iter().map(|r| r.name()).collect();
        assert_eq!(
            names,
            [
                "tampered",
                "incomplete",
                "unsigned",
                "pending",
                "unverifiable",
                "foreign-key",
                "not-covered",
                "overflow"
            ]
        );
        assert_eq!(GateError::MalformedUnit.reason(), "malformed-unit");
    }
}
