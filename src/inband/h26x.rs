//! H.264 and H.265 units (SPEC §6.3): NAL units in Annex B or avcc,
//! emulation prevention, SEI messages, parameter sets and the `avcC` /
//! `hvcC` configuration records.
//!
//! A NAL unit is judged as the standards and decoders see it (H.264
//! §7.4.1, §B.2): in Annex B it ends where the next `00 00 01` starts, and
//! the zero bytes before that are not part of it; inside a NAL unit
//! `00 00 03` is emulation prevention (the `03` is dropped), and
//! `00 00 00`, `00 00 01`, `00 00 02` and `00 00 03` followed by a byte
//! above 3 may not occur. Units holding those are refused rather than
//! read one way here and another way in a decoder (FFmpeg cuts a NAL unit
//! at `00 00 0x`, x < 3, even inside an avcc length).

use alloc::vec::Vec;
use core::cmp::Ordering;

use super::{
    Cursor, FRAMESEAL_UUID, Parts, SEAL_LEN, SealBody, Sink, Splitter, UnitError, parameter_sets,
    reserve_one, run_len, skip_words_without, spliced, vec_with_capacity, without_parts,
};

/// H.264 or H.265: what differs between them here is the NAL unit header
/// and the type numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum NalCodec {
    H264,
    H265,
}

impl NalCodec {
    /// Bytes of the NAL unit header.
    fn header_len(self) -> usize {
        match self {
            NalCodec::H264 => 1,
            NalCodec::H265 => 2,
        }
    }

    /// A picture's coded data: covered by V.
    fn is_vcl(self, nal_type: u8) -> bool {
        match self {
            NalCodec::H264 => (1..=5).contains(&nal_type),
            NalCodec::H265 => nal_type <= 31,
        }
    }

    /// SPS and PPS (and VPS): covered by P in keyframe units.
    fn is_parameter_set(self, nal_type: u8) -> bool {
        match self {
            NalCodec::H264 => nal_type == 7 || nal_type == 8,
            NalCodec::H265 => (32..=34).contains(&nal_type),
        }
    }

    /// SEI NAL units, where a seal may be (H.265: prefix and suffix).
    fn is_sei(self, nal_type: u8) -> bool {
        match self {
            NalCodec::H264 => nal_type == 6,
            NalCodec::H265 => nal_type == 39 || nal_type == 40,
        }
    }

    /// A picture that starts a decodable sequence: IDR (H.264), IRAP
    /// (H.265: BLA, IDR, CRA and the reserved IRAP types 22, 23).
    fn is_random_access(self, nal_type: u8) -> bool {
        match self {
            NalCodec::H264 => nal_type == 5,
            NalCodec::H265 => (16..=23).contains(&nal_type),
        }
    }
}

/// How NAL units follow each other in a unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Framing {
    /// After start codes.
    AnnexB,
    /// After big-endian lengths of this many bytes (1, 2 or 4).
    Length(usize),
}

/// One NAL unit of a unit that split.
#[derive(Clone, Copy, Debug)]
struct Nal<'a> {
    /// Offset of its first (header) byte.
    at: usize,
    /// Offset of its start code (the zero bytes before `00 00 01`
    /// included) or length prefix: where a NAL unit put before it goes.
    prefix_at: usize,
    /// Its bytes as stored, emulation prevention included, up to its last
    /// byte that is neither `00` nor an emulation-prevention byte: what the
    /// content covers, once `eps` bytes of emulation prevention are taken
    /// out. Never empty.
    raw: &'a [u8],
    /// Emulation-prevention bytes in `raw`.
    eps: usize,
    /// `nal_unit_type`.
    nal_type: u8,
    /// H.265 `nuh_temporal_id_plus1` (1..=7); 0 for H.264.
    temporal_id_plus1: u8,
}

impl<'a> Nal<'a> {
    /// Checks the header of the NAL unit whose significant stored bytes are
    /// `raw`.
    fn new(
        codec: NalCodec,
        at: usize,
        prefix_at: usize,
        raw: &'a [u8],
        eps: usize,
    ) -> Result<Nal<'a>, UnitError> {
        let len = raw.len().saturating_sub(eps);
        if len == 0 {
            return Err(UnitError::EmptyNalUnit { at });
        }
        // Emulation prevention needs two zero bytes before it, so the
        // header bytes are never emulation prevention: raw[..header_len]
        // is the header once len >= header_len.
        let bad = UnitError::BadNalHeader { at };
        if len < codec.header_len() {
            return Err(bad);
        }
        let first = *raw.first().ok_or(bad)?;
        if first & 0x80 != 0 {
            return Err(bad);
        }
        let (nal_type, temporal_id_plus1) = match codec {
            NalCodec::H264 => (first & 0x1f, 0),
            NalCodec::H265 => {
                let tid = raw.get(1).ok_or(bad)? & 0x07;
                if tid == 0 {
                    return Err(bad);
                }
                ((first >> 1) & 0x3f, tid)
            }
        };
        Ok(Nal {
            at,
            prefix_at,
            raw,
            eps,
            nal_type,
            temporal_id_plus1,
        })
    }

    /// Length of what the content covers: `raw` without emulation
    /// prevention.
    fn len(&self) -> usize {
        self.raw.len() - self.eps
    }

    /// The NAL unit's bytes with emulation prevention taken out (exactly
    /// `len()` of them).
    fn unescaped(&self) -> Unescaped<'a> {
        Unescaped {
            raw: self.raw,
            pos: 0,
            zeros: 0,
        }
    }

    /// Orders parameter sets for P: by NAL unit type, then by their bytes.
    fn cmp_for_p(&self, other: &Nal<'_>) -> Ordering {
        self.nal_type
            .cmp(&other.nal_type)
            .then_with(|| self.unescaped().cmp(other.unescaped()))
    }
}

/// The bytes of a NAL unit with its emulation-prevention bytes removed
/// (a `03` after two `00`), the reference for what the content holds.
struct Unescaped<'a> {
    raw: &'a [u8],
    pos: usize,
    zeros: u8,
}

impl Iterator for Unescaped<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        loop {
            let b = *self.raw.get(self.pos)?;
            self.pos += 1;
            if self.zeros >= 2 && b == 3 {
                self.zeros = 0;
                continue;
            }
            self.zeros = if b == 0 {
                self.zeros.saturating_add(1)
            } else {
                0
            };
            return Some(b);
        }
    }
}

/// The first `00 00 x` with x <= 3 at or after `i`: its offset and x.
/// Every start code, forbidden sequence and emulation-prevention byte is
/// one; none starts in 8 bytes without a zero byte, nor at i, i + 1 or
/// i + 2 when the byte at i + 2 is above 3.
fn next_zero_pair(bytes: &[u8], mut i: usize) -> Option<(usize, u8)> {
    loop {
        i = skip_words_without(bytes, i, 0);
        let (Some(&b0), Some(&b1), Some(&b2)) = (bytes.get(i), bytes.get(i + 1), bytes.get(i + 2))
        else {
            return None;
        };
        if b2 > 3 {
            i += 3;
        } else if b0 != 0 || b1 != 0 {
            i += 1;
        } else {
            return Some((i, b2));
        }
    }
}

/// What [`scan`] found in a NAL unit's stored bytes.
struct Scanned {
    /// End of its significant bytes (trailing `00` and emulation prevention
    /// among them left out).
    sig_end: usize,
    /// Emulation-prevention bytes before `sig_end`.
    eps: usize,
    /// End of its bytes: where the zero bytes before the next start code,
    /// or the trailing zeros, begin.
    end: usize,
    /// Annex B: offset of the next NAL unit's first byte, after its start
    /// code.
    next: Option<usize>,
}

/// Scans one NAL unit's stored bytes, `buf` from its first byte, checking
/// emulation prevention. In Annex B (`annexb`), the NAL unit ends at the
/// next start code; otherwise `buf` is the whole NAL unit and a start code
/// in it is forbidden. `base` is `buf`'s offset in the unit, for errors.
fn scan(buf: &[u8], annexb: bool, base: usize) -> Result<Scanned, UnitError> {
    let n = buf.len();
    let forbidden = |i: usize| UnitError::ForbiddenBytes {
        at: base.saturating_add(i),
    };
    let mut eps = 0usize;
    let mut end = n;
    let mut next = None;
    let mut i = 0usize;
    while let Some((at, x)) = next_zero_pair(buf, i) {
        i = at;
        match x {
            3 => {
                if buf.get(i + 3).is_some_and(|&after| after > 3) {
                    return Err(forbidden(i));
                }
                eps += 1;
                i += 3;
            }
            1 if annexb => {
                end = i;
                next = Some(i + 3);
                break;
            }
            0 => {
                // Zeros up to the next start code or the end are not part
                // of the NAL unit; `00 00 00` before anything else is.
                let after = i + run_len(buf, i, 0);
                match buf.get(after) {
                    None => {
                        end = i;
                        break;
                    }
                    Some(1) if annexb => {
                        end = i;
                        next = Some(after + 1);
                        break;
                    }
                    Some(_) => return Err(forbidden(i)),
                }
            }
            _ => return Err(forbidden(i)),
        }
    }
    // Trailing zero bytes, and emulation prevention among them (a
    // `cabac_zero_word` is `00 00 03`), are not covered.
    let mut sig_end = end;
    let mut tail_eps = 0usize;
    loop {
        let last = sig_end.checked_sub(1).and_then(|k| buf.get(k));
        let is_ep =
            sig_end >= 3 && buf.get(sig_end - 2) == Some(&0) && buf.get(sig_end - 3) == Some(&0);
        match last {
            Some(0) => sig_end -= 1,
            Some(3) if is_ep => {
                sig_end -= 1;
                tail_eps += 1;
            }
            _ => break,
        }
    }
    Ok(Scanned {
        sig_end,
        eps: eps.saturating_sub(tail_eps),
        end,
        next,
    })
}

/// The NAL units of a unit, in order, each checked; stops at the first
/// error.
fn nal_units(
    unit: &[u8],
    codec: NalCodec,
    framing: Framing,
) -> Result<Parts<NalSplitter<'_>>, UnitError> {
    let pos = match framing {
        Framing::AnnexB => {
            let zeros = run_len(unit, 0, 0);
            if zeros < 2 || unit.get(zeros) != Some(&1) {
                return Err(UnitError::NoStartCode);
            }
            zeros + 1
        }
        Framing::Length(_) => 0,
    };
    Ok(Parts::new(NalSplitter {
        unit,
        codec,
        framing,
        pos: Some(pos),
        prefix_at: 0,
    }))
}

struct NalSplitter<'a> {
    unit: &'a [u8],
    codec: NalCodec,
    framing: Framing,
    /// Annex B: the next NAL unit's first byte; avcc: its length prefix.
    /// `None` once an Annex B unit has no start code left.
    pos: Option<usize>,
    /// Annex B: where the next NAL unit's start code begins.
    prefix_at: usize,
}

impl<'a> Splitter for NalSplitter<'a> {
    type Part = Nal<'a>;

    fn step(&mut self) -> Result<Option<Nal<'a>>, UnitError> {
        let Some(pos) = self.pos else {
            return Ok(None);
        };
        let rest = self.unit.get(pos..).unwrap_or_default();
        match self.framing {
            Framing::AnnexB => {
                let s = scan(rest, true, pos)?;
                let raw = rest.get(..s.sig_end).unwrap_or_default();
                let nal = Nal::new(self.codec, pos, self.prefix_at, raw, s.eps)?;
                if s.next.is_some() {
                    self.prefix_at = pos + s.end;
                }
                self.pos = s.next.map(|next| pos + next);
                Ok(Some(nal))
            }
            Framing::Length(size) => {
                if rest.is_empty() {
                    return Ok(None);
                }
                let at = pos;
                let truncated = UnitError::Truncated { at };
                let prefix = rest.get(..size).ok_or(truncated)?;
                let len = prefix
                    .iter()
                    .fold(0usize, |len, &b| (len << 8) | usize::from(b));
                if len == 0 {
                    return Err(UnitError::EmptyNalUnit { at });
                }
                let buf = rest
                    .get(size..)
                    .and_then(|r| r.get(..len))
                    .ok_or(truncated)?;
                let s = scan(buf, false, at + size)?;
                let raw = buf.get(..s.sig_end).unwrap_or_default();
                let nal = Nal::new(self.codec, at + size, at, raw, s.eps)?;
                self.pos = Some(at + size + len);
                Ok(Some(nal))
            }
        }
    }
}

/// Reads the SEI messages of `nal` (H.264 §7.3.2.3, H.265 §7.3.5), noting a
/// frameseal seal in `found`; a second one anywhere in the unit is
/// [`UnitError::TwoSeals`].
fn read_sei(nal: &Nal<'_>, codec: NalCodec, found: &mut Option<SealBody>) -> Result<(), UnitError> {
    let bad = UnitError::BadSei { at: nal.at };
    let mut bytes = nal.unescaped();
    let mut left = nal.len();
    for _ in 0..codec.header_len() {
        bytes.next().ok_or(bad)?;
        left -= 1;
    }
    let mut byte = |left: &mut usize| -> Result<u8, UnitError> {
        *left = left.checked_sub(1).ok_or(bad)?;
        bytes.next().ok_or(bad)
    };
    loop {
        // One byte left: the rbsp_trailing_bits (a message needs two).
        if left <= 1 {
            return if left == 1 && byte(&mut left)? == 0x80 {
                Ok(())
            } else {
                Err(bad)
            };
        }
        let payload_type = ff_coded(&mut left, &mut byte, bad)?;
        let payload_size = ff_coded(&mut left, &mut byte, bad)?;
        if payload_size > left {
            return Err(bad);
        }
        let mut skip = payload_size;
        if payload_type == 5 && payload_size >= FRAMESEAL_UUID.len() {
            let mut uuid = [0u8; 16];
            for slot in &mut uuid {
                *slot = byte(&mut left)?;
            }
            skip -= FRAMESEAL_UUID.len();
            if uuid == FRAMESEAL_UUID {
                if found.is_some() {
                    return Err(UnitError::TwoSeals);
                }
                let mut body = SealBody::new();
                for _ in 0..skip {
                    body.push(byte(&mut left)?);
                }
                *found = Some(body);
                skip = 0;
            }
        }
        for _ in 0..skip {
            byte(&mut left)?;
        }
    }
}

/// An SEI `payloadType` or `payloadSize`: `FF` bytes adding 255 each, then
/// the last byte.
fn ff_coded(
    left: &mut usize,
    byte: &mut impl FnMut(&mut usize) -> Result<u8, UnitError>,
    bad: UnitError,
) -> Result<usize, UnitError> {
    let mut value = 0usize;
    loop {
        let b = byte(left)?;
        value = value.checked_add(usize::from(b)).ok_or(bad)?;
        if b != 0xff {
            return Ok(value);
        }
    }
}

/// What a pass over a unit found, for [`find_seal`], [`insert_seal`] and
/// [`is_keyframe`].
struct Survey<'a> {
    seal: Option<SealBody>,
    first_vcl: Option<Nal<'a>>,
    random_access: bool,
}

fn survey(unit: &[u8], codec: NalCodec, framing: Framing) -> Result<Survey<'_>, UnitError> {
    let mut s = Survey {
        seal: None,
        first_vcl: None,
        random_access: false,
    };
    for nal in nal_units(unit, codec, framing)? {
        let nal = nal?;
        if codec.is_sei(nal.nal_type) {
            read_sei(&nal, codec, &mut s.seal)?;
        } else if codec.is_vcl(nal.nal_type) {
            s.first_vcl.get_or_insert(nal);
            s.random_access |= codec.is_random_access(nal.nal_type);
        }
    }
    Ok(s)
}

pub(super) fn find_seal(
    unit: &[u8],
    codec: NalCodec,
    framing: Framing,
) -> Result<Option<SealBody>, UnitError> {
    Ok(survey(unit, codec, framing)?.seal)
}

pub(super) fn is_keyframe(
    unit: &[u8],
    codec: NalCodec,
    framing: Framing,
) -> Result<bool, UnitError> {
    Ok(survey(unit, codec, framing)?.random_access)
}

/// Whether `unit` holds a parameter-set NAL unit. In the length layout
/// only the length prefixes and NAL headers are read (the bytes between
/// are not scanned): a cheap test before [`without_parameter_sets`].
pub(super) fn carries_parameter_sets(
    unit: &[u8],
    codec: NalCodec,
    framing: Framing,
) -> Result<bool, UnitError> {
    let Framing::Length(n) = framing else {
        for nal in nal_units(unit, codec, framing)? {
            if codec.is_parameter_set(nal?.nal_type) {
                return Ok(true);
            }
        }
        return Ok(false);
    };
    let mut at = 0usize;
    while at < unit.len() {
        let prefix = unit.get(at..at + n).ok_or(UnitError::Truncated { at })?;
        let len = prefix
            .iter()
            .fold(0usize, |a, &b| (a << 8) | usize::from(b));
        let header = *unit.get(at + n).ok_or(UnitError::Truncated { at })?;
        let nal_type = match codec {
            NalCodec::H264 => header & 0x1f,
            NalCodec::H265 => (header >> 1) & 0x3f,
        };
        if codec.is_parameter_set(nal_type) {
            return Ok(true);
        }
        at = at
            .checked_add(n)
            .and_then(|a| a.checked_add(len))
            .ok_or(UnitError::Truncated { at })?;
    }
    Ok(false)
}

/// `unit` without its parameter-set NAL units (start code or length prefix
/// and trailing zeros with them), for a delta unit's decoder.
pub(super) fn without_parameter_sets(
    unit: &[u8],
    codec: NalCodec,
    framing: Framing,
) -> Result<Vec<u8>, UnitError> {
    let mut starts = Vec::new();
    for nal in nal_units(unit, codec, framing)? {
        let nal = nal?;
        reserve_one(&mut starts)?;
        starts.push((nal.prefix_at, codec.is_parameter_set(nal.nal_type)));
    }
    without_parts(unit, &starts)
}

/// Whether keyframe `unit` vouches for `config`'s parameter sets: it
/// carries none (so its P is the record's own), or every parameter set of
/// the record is, byte for byte without emulation prevention, one of the
/// unit's own (SPEC §7).
pub(super) fn vouches_for(
    unit: &[u8],
    codec: NalCodec,
    framing: Framing,
    config: &[u8],
) -> Result<bool, UnitError> {
    let mut own = Vec::new();
    for nal in nal_units(unit, codec, framing)? {
        let nal = nal?;
        if codec.is_parameter_set(nal.nal_type) {
            reserve_one(&mut own)?;
            own.push(nal);
        }
    }
    if own.is_empty() {
        return Ok(true);
    }
    let recorded = config_sets(config, codec)?;
    Ok(recorded
        .iter()
        .all(|r| own.iter().any(|o| o.cmp_for_p(r) == Ordering::Equal)))
}

/// Gives one NAL unit to the content as SPEC §6.3 V says: its length as a
/// `u32`, then its bytes without emulation prevention, in pieces between
/// the emulation-prevention bytes (no copy).
fn put_nal(out: &mut Sink<'_>, nal: &Nal<'_>) -> Result<(), UnitError> {
    out.put_len(nal.len())?;
    if out.measuring() {
        return out.count(nal.len());
    }
    if nal.eps == 0 {
        return out.put(nal.raw);
    }
    let raw = nal.raw;
    let mut start = 0;
    let mut i = 0;
    // `scan` checked the bytes: every `00 00 x` with x <= 3 in them is
    // emulation prevention (x = 3).
    while let Some((at, x)) = next_zero_pair(raw, i) {
        if x == 3 {
            out.put(raw.get(start..at + 2).unwrap_or_default())?;
            start = at + 3;
            i = at + 3;
        } else {
            i = at + 1;
        }
    }
    out.put(raw.get(start..).unwrap_or_default())
}

/// P (SPEC §6.3) into `out`: the unit's distinct parameter sets `sets`,
/// sorted, or the configuration record's when the unit has none.
fn put_parameter_sets<'a>(
    sets: Vec<Nal<'a>>,
    codec: NalCodec,
    config: Option<&'a [u8]>,
    out: &mut Sink<'_>,
) -> Result<(), UnitError> {
    let sets = parameter_sets(
        sets,
        || config_sets(config.ok_or(UnitError::NoParameterSets)?, codec),
        Nal::cmp_for_p,
    )?;
    for set in &sets {
        put_nal(out, set)?;
    }
    Ok(())
}

pub(super) fn content(
    unit: &[u8],
    codec: NalCodec,
    framing: Framing,
    keyframe: bool,
    config: Option<&[u8]>,
    out: &mut Sink<'_>,
) -> Result<(), UnitError> {
    if !keyframe {
        // One pass: V only. A unit that fails later fails the call, and
        // what the sink got does not matter then.
        let mut seal = None;
        for nal in nal_units(unit, codec, framing)? {
            let nal = nal?;
            if codec.is_sei(nal.nal_type) {
                read_sei(&nal, codec, &mut seal)?;
            } else if codec.is_vcl(nal.nal_type) {
                put_nal(out, &nal)?;
            }
        }
        return Ok(());
    }
    let mut seal = None;
    let mut sets = Vec::new();
    for nal in nal_units(unit, codec, framing)? {
        let nal = nal?;
        if codec.is_sei(nal.nal_type) {
            read_sei(&nal, codec, &mut seal)?;
        } else if codec.is_parameter_set(nal.nal_type) {
            reserve_one(&mut sets)?;
            sets.push(nal);
        }
    }
    put_parameter_sets(sets, codec, config, out)?;
    for nal in nal_units(unit, codec, framing)? {
        let nal = nal?;
        if codec.is_vcl(nal.nal_type) {
            put_nal(out, &nal)?;
        }
    }
    Ok(())
}

/// How many parameter-set and VCL NAL units [`Kept`] holds: more than any
/// encoder puts in one access unit (one per slice, plus SPS / PPS / VPS),
/// few enough to hold inline.
pub(super) const KEPT: usize = 32;

/// The parameter-set and VCL NAL units of a unit, in order, as one split
/// found them: what the content is made of.
pub(super) struct Kept<'a> {
    nals: [Option<Nal<'a>>; KEPT],
    count: usize,
}

impl<'a> Kept<'a> {
    fn iter(&self) -> impl Iterator<Item = &Nal<'a>> {
        self.nals.iter().take(self.count).flatten()
    }
}

/// One split of `unit`, with [`find_seal`]'s checks and errors: its seal,
/// and its parameter-set and VCL NAL units if there are at most [`KEPT`]
/// (else `None`: the content is derived by splitting again).
pub(super) fn survey_kept(
    unit: &[u8],
    codec: NalCodec,
    framing: Framing,
) -> Result<(Option<SealBody>, Option<Kept<'_>>), UnitError> {
    let mut seal = None;
    let mut kept = Some(Kept {
        nals: [None; KEPT],
        count: 0,
    });
    for nal in nal_units(unit, codec, framing)? {
        let nal = nal?;
        if codec.is_sei(nal.nal_type) {
            read_sei(&nal, codec, &mut seal)?;
        } else if (codec.is_parameter_set(nal.nal_type) || codec.is_vcl(nal.nal_type))
            && let Some(k) = &mut kept
        {
            match k.nals.get_mut(k.count) {
                Some(slot) => {
                    *slot = Some(nal);
                    k.count += 1;
                }
                None => kept = None,
            }
        }
    }
    Ok((seal, kept))
}

/// [`content`] from the NAL units a [`survey_kept`] kept: the same pieces,
/// without splitting the unit again.
pub(super) fn content_kept(
    kept: &Kept<'_>,
    codec: NalCodec,
    keyframe: bool,
    config: Option<&[u8]>,
    out: &mut Sink<'_>,
) -> Result<(), UnitError> {
    if keyframe {
        let mut sets = Vec::new();
        for nal in kept.iter().filter(|n| codec.is_parameter_set(n.nal_type)) {
            reserve_one(&mut sets)?;
            sets.push(*nal);
        }
        put_parameter_sets(sets, codec, config, out)?;
    }
    for nal in kept.iter().filter(|n| codec.is_vcl(n.nal_type)) {
        put_nal(out, nal)?;
    }
    Ok(())
}

/// The parameter sets of a decoder configuration record: `avcC` (ISO/IEC
/// 14496-15 §5.3.3.1) or `hvcC` (§8.3.3.1) payload, without the box
/// header. Every NAL unit in it is checked as one in a unit, and must be
/// of the type its array names.
fn config_sets(config: &[u8], codec: NalCodec) -> Result<Vec<Nal<'_>>, UnitError> {
    let mut c = Cursor::new(config);
    let mut sets = Vec::new();
    let bad = |c: &Cursor<'_>| UnitError::BadConfig { at: c.pos() };
    if c.u8() != Some(1) {
        return Err(UnitError::BadConfig { at: 0 });
    }
    match codec {
        NalCodec::H264 => {
            // Profile, compatibility, level, lengthSizeMinusOne.
            c.take(4).ok_or_else(|| bad(&c))?;
            let sps = c.u8().ok_or_else(|| bad(&c))? & 0x1f;
            for _ in 0..sps {
                let nal = config_nal(&mut c, codec, 7)?;
                reserve_one(&mut sets)?;
                sets.push(nal);
            }
            let pps = c.u8().ok_or_else(|| bad(&c))?;
            for _ in 0..pps {
                let nal = config_nal(&mut c, codec, 8)?;
                reserve_one(&mut sets)?;
                sets.push(nal);
            }
            if !c.is_empty() {
                // The High-profile extension: chroma format, bit depths,
                // SPS extension NAL units (type 13, not covered).
                c.take(3).ok_or_else(|| bad(&c))?;
                let ext = c.u8().ok_or_else(|| bad(&c))?;
                for _ in 0..ext {
                    config_nal(&mut c, codec, 13)?;
                }
            }
        }
        NalCodec::H265 => {
            // Profile, tier, level, the fields up to lengthSizeMinusOne.
            c.take(21).ok_or_else(|| bad(&c))?;
            let arrays = c.u8().ok_or_else(|| bad(&c))?;
            for _ in 0..arrays {
                let nal_type = c.u8().ok_or_else(|| bad(&c))? & 0x3f;
                let count = c.u16().ok_or_else(|| bad(&c))?;
                for _ in 0..count {
                    let nal = config_nal(&mut c, codec, nal_type)?;
                    if codec.is_parameter_set(nal_type) {
                        reserve_one(&mut sets)?;
                        sets.push(nal);
                    }
                }
            }
        }
    }
    if !c.is_empty() {
        return Err(bad(&c));
    }
    Ok(sets)
}

/// One `u16`-length-prefixed NAL unit of a configuration record, of type
/// `nal_type`.
fn config_nal<'a>(c: &mut Cursor<'a>, codec: NalCodec, nal_type: u8) -> Result<Nal<'a>, UnitError> {
    let at = c.pos();
    let bad = UnitError::BadConfig { at };
    let len = c.u16().ok_or(bad)?;
    let bytes = c.take(usize::from(len)).ok_or(bad)?;
    let s = scan(bytes, false, at + 2).map_err(|_| bad)?;
    let raw = bytes.get(..s.sig_end).unwrap_or_default();
    let nal = Nal::new(codec, at + 2, at, raw, s.eps).map_err(|_| bad)?;
    if nal.nal_type != nal_type {
        return Err(bad);
    }
    Ok(nal)
}

/// Bytes of the seal's SEI NAL unit before emulation prevention: header,
/// payloadType 5, payloadSize 164, UUID, seal, rbsp_trailing_bits.
const SEI_RBSP_MAX: usize = 2 + 2 + 16 + SEAL_LEN + 1;

/// The seal's SEI NAL unit, emulation prevention inserted.
fn seal_sei(
    codec: NalCodec,
    temporal_id_plus1: u8,
    seal: &[u8; SEAL_LEN],
) -> Result<Vec<u8>, UnitError> {
    let mut out = vec_with_capacity(SEI_RBSP_MAX + SEI_RBSP_MAX / 2)?;
    match codec {
        NalCodec::H264 => out.push(6),
        // Prefix SEI (39), nuh_layer_id 0.
        NalCodec::H265 => out.extend_from_slice(&[39 << 1, temporal_id_plus1]),
    }
    // payloadSize 164 < 255: one byte each.
    let message = [5u8, (FRAMESEAL_UUID.len() + SEAL_LEN) as u8];
    let rbsp = message
        .iter()
        .chain(&FRAMESEAL_UUID)
        .chain(seal)
        .chain(&[0x80]);
    add_emulation_prevention(rbsp, &mut out);
    Ok(out)
}

/// Appends `bytes` to `out` with emulation prevention (H.264 §7.4.1): a
/// `03` before every byte up to 3 that follows two zero bytes. Zeros are
/// counted from the first of `bytes`: what `out` already holds must not
/// end in `00` (a NAL unit header never does), or be empty.
pub fn add_emulation_prevention<'b>(bytes: impl IntoIterator<Item = &'b u8>, out: &mut Vec<u8>) {
    let mut zeros = 0;
    for &b in bytes {
        if zeros >= 2 && b <= 3 {
            out.push(3);
            zeros = 0;
        }
        out.push(b);
        zeros = if b == 0 { zeros + 1 } else { 0 };
    }
}

pub(super) fn insert_seal(
    unit: &[u8],
    codec: NalCodec,
    framing: Framing,
    seal: &[u8; SEAL_LEN],
) -> Result<Vec<u8>, UnitError> {
    let s = survey(unit, codec, framing)?;
    if s.seal.is_some() {
        return Err(UnitError::AlreadySealed);
    }
    let vcl = s.first_vcl.ok_or(UnitError::NoPicture)?;
    let sei = seal_sei(codec, vcl.temporal_id_plus1, seal)?;
    let len = u32::try_from(sei.len()).map_err(|_| UnitError::TooLong)?;
    let (prefix, prefix_len) = match framing {
        // A 4-byte start code, as for the first NAL unit of a unit.
        Framing::AnnexB => ([0, 0, 0, 1], 4),
        Framing::Length(size) => {
            if size < 4 && len >> (8 * size) != 0 {
                return Err(UnitError::TooLong);
            }
            (len.to_be_bytes(), size)
        }
    };
    let prefix = prefix.get(4 - prefix_len..).unwrap_or_default();
    spliced(unit, vcl.prefix_at, &[prefix, &sei])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inband::testing::{content_of, plain_nal_reading, seal, sei_rbsp, to_avcc};
    use crate::inband::{self, Layout, UnitCodec, UnitFormat};
    use alloc::vec;

    const SC4: [u8; 4] = [0, 0, 0, 1];
    const SC3: [u8; 3] = [0, 0, 1];

    // Hand-made NAL units, emulation prevention already in their bytes.
    const SPS: &[u8] = &[0x67, 0x42, 0xc0, 0x0a, 0xd9, 0x00, 0x00, 0x03, 0x00, 0x10];
    const SPS_B: &[u8] = &[0x67, 0x42, 0xc0, 0x0b];
    const PPS: &[u8] = &[0x68, 0xce, 0x3c, 0x80];
    const AUD: &[u8] = &[0x09, 0xf0];
    const IDR: &[u8] = &[
        0x65, 0x88, 0x84, 0x00, 0x00, 0x03, 0x01, 0x40, 0x00, 0x00, 0x03,
    ];
    const SLICE: &[u8] = &[0x41, 0x9a, 0x21, 0x6c];
    // An SEI with one message: payloadType 1, size 2.
    const OTHER_SEI: &[u8] = &[0x06, 0x01, 0x02, 0xaa, 0xbb, 0x80];

    fn annexb(nals: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, nal) in nals.iter().enumerate() {
            out.extend_from_slice(if i % 2 == 0 { &SC4[..] } else { &SC3[..] });
            out.extend_from_slice(nal);
        }
        out
    }

    fn avcc(nals: &[&[u8]], size: usize) -> Vec<u8> {
        to_avcc(nals.iter().copied(), size).unwrap()
    }

    fn h264() -> UnitFormat {
        UnitFormat::new(UnitCodec::H264, Layout::AnnexB).unwrap()
    }

    fn h264_avcc(size: u8) -> UnitFormat {
        UnitFormat::new(
            UnitCodec::H264,
            Layout::Avcc {
                nal_length_size: size,
            },
        )
        .unwrap()
    }

    fn h265() -> UnitFormat {
        UnitFormat::new(UnitCodec::H265, Layout::AnnexB).unwrap()
    }

    /// `u32 BE length ‖ bytes` of each item, as SPEC §6.3 spells P and V.
    fn items(items: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for item in items {
            out.extend_from_slice(&(item.len() as u32).to_be_bytes());
            out.extend_from_slice(item);
        }
        out
    }

    /// A SEI NAL unit (H.264) with these messages, emulation prevention
    /// added.
    fn sei(messages: &[(usize, &[u8])]) -> Vec<u8> {
        let mut out = vec![6];
        add_emulation_prevention(&sei_rbsp(messages), &mut out);
        out
    }

    fn uuid_and(body: &[u8]) -> Vec<u8> {
        let mut p = FRAMESEAL_UUID.to_vec();
        p.extend_from_slice(body);
        p
    }

    #[test]
    fn annexb_takes_3_and_4_byte_start_codes_and_leading_zeros() {
        let unit = annexb(&[PPS, SPS, IDR]);
        // Sorted P: SPS (7) before PPS (8); V: the IDR.
        let mut p_then_v = items(&[SPS_CONTENT, PPS]);
        p_then_v.extend(items(&[IDR_CONTENT]));
        assert_eq!(content_of(&unit, h264(), true, None).unwrap(), p_then_v);
        let mut padded = vec![0, 0, 0, 0];
        padded.extend_from_slice(&unit);
        padded.extend_from_slice(&[0, 0, 0]);
        assert_eq!(content_of(&padded, h264(), true, None).unwrap(), p_then_v);
    }

    const SPS_CONTENT: &[u8] = &[0x67, 0x42, 0xc0, 0x0a, 0xd9, 0x00, 0x00, 0x00, 0x10];
    // The IDR's trailing `00 00 03` (a cabac_zero_word) is not covered.
    const IDR_CONTENT: &[u8] = &[0x65, 0x88, 0x84, 0x00, 0x00, 0x01, 0x40];

    #[test]
    fn annexb_units_must_start_with_a_start_code() {
        for unit in [
            &[0x65, 0x88][..],
            &[0, 1, 0x65],
            &[0, 0, 2, 0x65],
            &[0, 0, 0, 0],
            &[1, 0, 0, 1, 0x65],
        ] {
            assert_eq!(
                find_seal(unit, NalCodec::H264, Framing::AnnexB).unwrap_err(),
                UnitError::NoStartCode
            );
        }
    }

    #[test]
    fn empty_nal_units_are_refused() {
        for unit in [
            &[0, 0, 1][..],
            &[0, 0, 1, 0, 0, 1, 0x65, 0x88],
            &[0, 0, 0, 1, 0x65, 0x88, 0, 0, 1],
            &[0, 0, 0, 1, 0x65, 0x88, 0, 0, 1, 0, 0, 0, 0],
            &[0, 0, 1, 0x65, 0x88, 0, 0, 0, 1, 0, 0, 3, 0, 0, 1, 0x41, 1],
        ] {
            assert!(
                matches!(
                    find_seal(unit, NalCodec::H264, Framing::AnnexB),
                    Err(UnitError::EmptyNalUnit { .. })
                ),
                "{unit:?}"
            );
        }
        assert_eq!(
            find_seal(&[0, 0, 0, 0, 1, 0x65], NalCodec::H264, Framing::Length(2)),
            Err(UnitError::EmptyNalUnit { at: 0 })
        );
    }

    #[test]
    fn bytes_forbidden_in_nal_units_are_refused() {
        for (nal, at) in [
            (&[0x65, 0x88, 0, 0, 0, 0x40][..], 2),
            (&[0x65, 0x88, 0, 0, 2, 0x40], 2),
            (&[0x65, 0x88, 0, 0, 3, 4], 2),
            (&[0x65, 0, 0, 0, 3, 1], 1),
        ] {
            let unit = annexb(&[nal]);
            assert_eq!(
                find_seal(&unit, NalCodec::H264, Framing::AnnexB),
                Err(UnitError::ForbiddenBytes { at: 4 + at })
            );
            let unit = avcc(&[nal], 4);
            assert_eq!(
                find_seal(&unit, NalCodec::H264, Framing::Length(4)),
                Err(UnitError::ForbiddenBytes { at: 4 + at })
            );
        }
        // A start code inside an avcc NAL unit.
        let unit = avcc(&[&[0x65, 0x88, 0, 0, 1, 0x40]], 2);
        assert_eq!(
            find_seal(&unit, NalCodec::H264, Framing::Length(2)),
            Err(UnitError::ForbiddenBytes { at: 4 })
        );
        // Allowed: 00 00 03 followed by 00..=03, or at the end.
        for nal in [
            &[0x65, 0, 0, 3, 0, 1][..],
            &[0x65, 0, 0, 3, 3],
            &[0x65, 0, 0, 3],
        ] {
            assert!(find_seal(&avcc(&[nal], 4), NalCodec::H264, Framing::Length(4)).is_ok());
        }
    }

    #[test]
    fn avcc_lengths_must_stay_inside_the_unit() {
        for size in [1, 2, 4] {
            let unit = avcc(&[SPS, PPS, IDR], size);
            assert!(find_seal(&unit, NalCodec::H264, Framing::Length(size)).is_ok());
            // Cut anywhere inside: a length or a NAL unit runs past the end.
            for cut in 1..unit.len() {
                let r = find_seal(&unit[..cut], NalCodec::H264, Framing::Length(size));
                let boundary = [size + SPS.len(), 2 * size + SPS.len() + PPS.len()].contains(&cut);
                assert_eq!(r.is_ok(), boundary, "size {size} cut {cut}");
            }
        }
        let unit = avcc(&[IDR], 4);
        let mut long = unit.clone();
        long[3] += 1;
        assert_eq!(
            find_seal(&long, NalCodec::H264, Framing::Length(4)),
            Err(UnitError::Truncated { at: 0 })
        );
    }

    #[test]
    fn annexb_and_avcc_give_the_same_content() {
        let nals: &[&[u8]] = &[AUD, SPS, PPS, OTHER_SEI, IDR, SLICE];
        let expected = content_of(&annexb(nals), h264(), true, None).unwrap();
        for size in [1, 2, 4] {
            assert_eq!(
                content_of(&avcc(nals, size as usize), h264_avcc(size), true, None).unwrap(),
                expected
            );
        }
        // Trailing zeros inside an avcc length are not covered either.
        let padded: Vec<u8> = [IDR, &[0, 0][..]].concat();
        let unit = avcc(&[AUD, SPS, PPS, &padded, SLICE], 4);
        assert_eq!(
            content_of(&unit, h264_avcc(4), true, None).unwrap(),
            expected
        );
    }

    #[test]
    fn v_covers_vcl_nal_units_only_and_p_only_in_keyframes() {
        let unit = annexb(&[AUD, SPS, PPS, OTHER_SEI, &[0x0c, 0xff, 0x80], SLICE, IDR]);
        assert_eq!(
            content_of(&unit, h264(), false, None).unwrap(),
            items(&[SLICE, IDR_CONTENT])
        );
        // Types 1-5 are VCL; 0 and 6-31 are not.
        for t in 1..=5u8 {
            let nal = [t, 0x11];
            assert_eq!(
                content_of(&annexb(&[&nal]), h264(), false, None).unwrap(),
                items(&[&nal])
            );
        }
        for t in [0u8, 7, 8, 9, 10, 11, 12, 13, 14, 19, 20, 24, 31] {
            let nal = [t, 0x11];
            assert_eq!(
                content_of(&annexb(&[&nal]), h264(), false, None).unwrap(),
                Vec::<u8>::new(),
                "type {t}"
            );
        }
    }

    #[test]
    fn p_is_sorted_and_deduplicated_whatever_a_relay_did() {
        let camera = annexb(&[SPS, PPS, IDR]);
        let expected = content_of(&camera, h264(), true, None).unwrap();
        for relayed in [
            annexb(&[AUD, SPS, PPS, IDR]),
            annexb(&[PPS, SPS, IDR]),
            annexb(&[SPS, PPS, SPS, PPS, OTHER_SEI, IDR]),
            annexb(&[SPS, IDR, PPS, SPS]),
        ] {
            assert_eq!(content_of(&relayed, h264(), true, None).unwrap(), expected);
        }
        // Another SPS is covered, sorted by its bytes.
        let two = content_of(&annexb(&[SPS_B, SPS, PPS, IDR]), h264(), true, None).unwrap();
        let mut p_then_v = items(&[SPS_CONTENT, SPS_B, PPS]);
        p_then_v.extend(items(&[IDR_CONTENT]));
        assert_eq!(two, p_then_v);
        // A changed SPS byte changes the content.
        let mut sps = SPS.to_vec();
        sps[2] ^= 1;
        assert_ne!(
            content_of(&annexb(&[&sps, PPS, IDR]), h264(), true, None).unwrap(),
            expected
        );
    }

    #[test]
    fn keyframes_without_parameter_sets_take_the_configuration_record() {
        let unit = annexb(&[IDR]);
        let expected = content_of(&annexb(&[SPS, PPS, IDR]), h264(), true, None).unwrap();
        assert_eq!(
            content_of(&unit, h264(), true, None),
            Err(UnitError::NoParameterSets)
        );
        let avcc_record = avcc_config(&[SPS], &[PPS]);
        assert_eq!(
            content_of(&unit, h264(), true, Some(&avcc_record)).unwrap(),
            expected
        );
        // With the extension of High profiles.
        let mut high = avcc_record.clone();
        high.extend_from_slice(&[0xfd, 0xf8, 0xf8, 1, 0, 2, 0x6d, 0x10]);
        assert_eq!(
            content_of(&unit, h264(), true, Some(&high)).unwrap(),
            expected
        );
        // A delta unit does not read it, a keyframe with its own sets ignores it.
        assert!(content_of(&unit, h264(), false, Some(&[0xde, 0xad])).is_ok());
        assert!(content_of(&annexb(&[SPS, PPS, IDR]), h264(), true, Some(&[0xde, 0xad])).is_ok());
        // One that holds none.
        assert_eq!(
            content_of(&unit, h264(), true, Some(&avcc_config(&[], &[]))),
            Err(UnitError::NoParameterSets)
        );
    }

    fn avcc_config(sps: &[&[u8]], pps: &[&[u8]]) -> Vec<u8> {
        let mut c = vec![1, 0x42, 0xc0, 0x0a, 0xff, 0xe0 | sps.len() as u8];
        for s in sps {
            c.extend_from_slice(&(s.len() as u16).to_be_bytes());
            c.extend_from_slice(s);
        }
        c.push(pps.len() as u8);
        for p in pps {
            c.extend_from_slice(&(p.len() as u16).to_be_bytes());
            c.extend_from_slice(p);
        }
        c
    }

    #[test]
    fn configuration_records_are_parsed_strictly() {
        let unit = annexb(&[IDR]);
        let good = avcc_config(&[SPS], &[PPS]);
        let bad_records: Vec<Vec<u8>> = vec![
            vec![],
            {
                let mut c = good.clone();
                c[0] = 2;
                c
            },
            good[..good.len() - 1].to_vec(),
            [&good[..], &[0]].concat(),
            [&good[..], &[0xfd, 0xf8, 0xf8, 1, 0, 9, 0x6d]].concat(),
            avcc_config(&[PPS], &[PPS]),
            avcc_config(&[SPS], &[&[0x68, 0, 0, 2, 1]]),
            avcc_config(&[&[]], &[PPS]),
            avcc_config(&[&[0xe7, 1]], &[PPS]),
        ];
        for record in bad_records {
            assert!(
                matches!(
                    content_of(&unit, h264(), true, Some(&record)),
                    Err(UnitError::BadConfig { .. })
                ),
                "{record:02x?}"
            );
        }
    }

    #[test]
    fn the_seal_is_found_among_other_messages_in_any_sei() {
        let body = seal(0);
        let alone = sei(&[(5, &uuid_and(&body))]);
        let among = sei(&[
            (1, &[1, 2]),
            (5, b"another vendor's uuid"),
            (5, &uuid_and(&body)),
            (300, &[0; 300]),
        ]);
        for unit in [
            annexb(&[SPS, PPS, &alone, IDR]),
            annexb(&[&among, IDR]),
            annexb(&[IDR, &among]),
        ] {
            let found = find_seal(&unit, NalCodec::H264, Framing::AnnexB)
                .unwrap()
                .unwrap();
            assert_eq!(found.seal(), Some(&body));
        }
        // The body as found, whatever its length.
        for body in [&b"FSEAL\x01"[..], &[], &[7; 400]] {
            let unit = annexb(&[&sei(&[(5, &uuid_and(body))]), IDR]);
            let found = find_seal(&unit, NalCodec::H264, Framing::AnnexB)
                .unwrap()
                .unwrap();
            assert_eq!(found.len(), body.len());
            assert_eq!(found.head(), &body[..body.len().min(SEAL_LEN)]);
        }
        // The UUID in another payload type, or a UUID cut short, is no seal.
        for message in [(4, uuid_and(&body)), (5, FRAMESEAL_UUID[..15].to_vec())] {
            let unit = annexb(&[&sei(&[(message.0, &message.1)]), IDR]);
            assert_eq!(find_seal(&unit, NalCodec::H264, Framing::AnnexB), Ok(None));
        }
    }

    #[test]
    fn two_seals_in_a_unit_are_refused() {
        let one = sei(&[(5, &uuid_and(&seal(1)))]);
        let both = sei(&[(5, &uuid_and(&seal(1))), (5, &uuid_and(&seal(2)))]);
        for unit in [
            annexb(&[&one, &one, IDR]),
            annexb(&[&both, IDR]),
            annexb(&[&one, IDR, &one]),
        ] {
            assert_eq!(
                find_seal(&unit, NalCodec::H264, Framing::AnnexB),
                Err(UnitError::TwoSeals)
            );
            assert_eq!(
                content_of(&unit, h264(), false, None),
                Err(UnitError::TwoSeals)
            );
            assert_eq!(
                inband::insert_seal(&unit, h264(), &seal(3)),
                Err(UnitError::TwoSeals)
            );
        }
    }

    #[test]
    fn sei_messages_must_parse() {
        let bad_seis: [&[u8]; 6] = [
            &[0x06, 0x05, 0x10, 0x80],             // size past the end
            &[0x06, 0x01, 0x01, 0xaa],             // no trailing bits
            &[0x06, 0x01, 0x01, 0xaa, 0x40],       // trailing bits not 0x80
            &[0x06, 0xff, 0xff],                   // type runs out
            &[0x06, 0x01, 0x01, 0xaa, 0x01, 0x80], // a message cut short
            &[0x06],                               // nothing at all
        ];
        for nal in bad_seis {
            let unit = annexb(&[nal, IDR]);
            assert_eq!(
                find_seal(&unit, NalCodec::H264, Framing::AnnexB),
                Err(UnitError::BadSei { at: 4 }),
                "{nal:02x?}"
            );
        }
        // Trailing zero bytes after the trailing bits are fine.
        let unit = annexb(&[&[0x06, 0x01, 0x01, 0xaa, 0x80, 0x00, 0x00], IDR]);
        assert_eq!(find_seal(&unit, NalCodec::H264, Framing::AnnexB), Ok(None));
    }

    #[test]
    fn insertion_goes_before_the_first_vcl_nal_unit_with_emulation_prevention() {
        let unit = annexb(&[AUD, SPS, PPS, OTHER_SEI, IDR, SLICE]);
        // A seal full of zeros needs emulation prevention.
        let body = seal(0);
        let sealed = inband::insert_seal(&unit, h264(), &body).unwrap();
        let expected_sei = sei(&[(5, &uuid_and(&body))]);
        let mut expected = annexb(&[AUD, SPS, PPS, OTHER_SEI]);
        expected.extend_from_slice(&SC4);
        expected.extend_from_slice(&expected_sei);
        expected.extend_from_slice(
            &annexb(&[AUD, SPS, PPS, OTHER_SEI, IDR, SLICE])
                [annexb(&[AUD, SPS, PPS, OTHER_SEI]).len()..],
        );
        assert_eq!(sealed, expected);
        assert!(
            expected_sei.len() > 1 + 2 + 164 + 1,
            "emulation prevention was added"
        );
        assert_eq!(
            find_seal(&sealed, NalCodec::H264, Framing::AnnexB)
                .unwrap()
                .unwrap()
                .seal(),
            Some(&body)
        );
        assert_eq!(
            content_of(&sealed, h264(), true, None),
            content_of(&unit, h264(), true, None)
        );
        assert_eq!(
            inband::insert_seal(&sealed, h264(), &body),
            Err(UnitError::AlreadySealed)
        );

        // First in the unit: the seal goes first.
        let unit = annexb(&[IDR]);
        let sealed = inband::insert_seal(&unit, h264(), &seal(9)).unwrap();
        assert_eq!(&sealed[..5], &[0, 0, 0, 1, 6]);
        assert_eq!(&sealed[sealed.len() - unit.len()..], &unit[..]);
    }

    #[test]
    fn insertion_in_avcc_uses_the_unit_length_size() {
        for size in [1u8, 2, 4] {
            let unit = avcc(&[SPS, PPS, IDR], size as usize);
            let sealed = inband::insert_seal(&unit, h264_avcc(size), &seal(0)).unwrap();
            let sei = sei(&[(5, &uuid_and(&seal(0)))]);
            assert_eq!(sealed, avcc(&[SPS, PPS, &sei, IDR], size as usize));
            assert_eq!(
                content_of(&sealed, h264_avcc(size), true, None),
                content_of(&unit, h264_avcc(size), true, None)
            );
        }
    }

    #[test]
    fn units_without_a_picture_cannot_be_sealed() {
        let unit = annexb(&[SPS, PPS]);
        assert_eq!(
            inband::insert_seal(&unit, h264(), &seal(1)),
            Err(UnitError::NoPicture)
        );
    }

    #[test]
    fn keyframes_are_idr_units() {
        assert!(inband::is_keyframe(&annexb(&[SPS, PPS, IDR]), h264()).unwrap());
        assert!(inband::is_keyframe(&annexb(&[IDR]), h264()).unwrap());
        assert!(!inband::is_keyframe(&annexb(&[SPS, PPS, SLICE]), h264()).unwrap());
    }

    #[test]
    fn nal_headers_are_checked() {
        let unit = annexb(&[&[0x85, 0x11]]);
        assert_eq!(
            find_seal(&unit, NalCodec::H264, Framing::AnnexB),
            Err(UnitError::BadNalHeader { at: 4 })
        );
        // H.265: two bytes, forbidden bit clear, temporal id + 1 not 0.
        for nal in [&[0x26][..], &[0xa6, 0x01, 0x11], &[0x26, 0x00, 0x11]] {
            let unit = annexb(&[nal]);
            assert_eq!(
                find_seal(&unit, NalCodec::H265, Framing::AnnexB),
                Err(UnitError::BadNalHeader { at: 4 })
            );
        }
    }

    // H.265: VPS, SPS, PPS, an IDR_W_RADL slice at temporal id 0, a
    // TRAIL_R slice at temporal id 2 (header 02 03).
    const VPS5: &[u8] = &[0x40, 0x01, 0x0c, 0x01];
    const SPS5: &[u8] = &[0x42, 0x01, 0x01, 0x01];
    const PPS5: &[u8] = &[0x44, 0x01, 0xc1, 0x72];
    const IDR5: &[u8] = &[0x26, 0x01, 0xaf, 0x00, 0x00, 0x03, 0x02, 0x11];
    const TRAIL5: &[u8] = &[0x02, 0x03, 0xd0, 0x11];
    // TRAIL_N (type 0): its header starts with 00.
    const TRAIL_N5: &[u8] = &[0x00, 0x01, 0xd0, 0x22];

    fn h265_sei(nal_type: u8, messages: &[(usize, &[u8])]) -> Vec<u8> {
        let mut s = sei(messages);
        s[0] = 0x01;
        s.insert(0, nal_type << 1);
        s
    }

    #[test]
    fn h265_content_p_and_v() {
        let unit = annexb(&[PPS5, SPS5, VPS5, IDR5, TRAIL_N5]);
        let mut expected = items(&[VPS5, SPS5, PPS5]);
        expected.extend(items(&[
            &[0x26, 0x01, 0xaf, 0x00, 0x00, 0x02, 0x11],
            TRAIL_N5,
        ]));
        assert_eq!(content_of(&unit, h265(), true, None).unwrap(), expected);
        assert!(inband::is_keyframe(&unit, h265()).unwrap());
        assert!(!inband::is_keyframe(&annexb(&[TRAIL5, TRAIL_N5]), h265()).unwrap());
        // Every type 16-23 is IRAP.
        for t in 16..=23u8 {
            assert!(inband::is_keyframe(&annexb(&[&[t << 1, 1, 0x11]]), h265()).unwrap());
        }
        // VCL 0-31, the rest not covered.
        for t in 0..64u8 {
            let nal = [t << 1, 1, 0x11];
            let c = content_of(&annexb(&[&nal]), h265(), false, None);
            if t == 39 || t == 40 {
                assert!(matches!(c, Err(UnitError::BadSei { .. })));
            } else {
                assert_eq!(c.unwrap().is_empty(), t > 31, "type {t}");
            }
        }
    }

    #[test]
    fn h265_seals_in_prefix_and_suffix_sei() {
        let body = seal(0x00);
        for nal_type in [39, 40] {
            let s = h265_sei(nal_type, &[(4, &[1, 2, 3]), (5, &uuid_and(&body))]);
            let unit = annexb(&[IDR5, &s]);
            assert_eq!(
                find_seal(&unit, NalCodec::H265, Framing::AnnexB)
                    .unwrap()
                    .unwrap()
                    .seal(),
                Some(&body)
            );
        }
        // The seal's SEI takes the first VCL NAL unit's temporal id.
        let unit = annexb(&[TRAIL5, TRAIL_N5]);
        let sealed = inband::insert_seal(&unit, h265(), &body).unwrap();
        assert_eq!(&sealed[..6], &[0, 0, 0, 1, 39 << 1, 0x03]);
        assert_eq!(
            content_of(&sealed, h265(), false, None),
            content_of(&unit, h265(), false, None)
        );
        let mut expected = h265_sei(39, &[(5, &uuid_and(&body))]);
        expected[1] = 0x03;
        assert_eq!(&sealed[4..4 + expected.len()], &expected[..]);
    }

    #[test]
    fn hvcc_records_give_the_vps_sps_and_pps() {
        let mut record = vec![1];
        record.extend_from_slice(&[0; 21]);
        record.push(4);
        for (t, nals) in [
            (32u8, &[VPS5][..]),
            (33, &[SPS5]),
            (34, &[PPS5]),
            (39, &[&[0x4e, 0x01, 0x80][..]]),
        ] {
            record.push(0x80 | t);
            record.extend_from_slice(&(nals.len() as u16).to_be_bytes());
            for nal in nals {
                record.extend_from_slice(&(nal.len() as u16).to_be_bytes());
                record.extend_from_slice(nal);
            }
        }
        let unit = annexb(&[IDR5]);
        let expected = content_of(&annexb(&[VPS5, SPS5, PPS5, IDR5]), h265(), true, None).unwrap();
        assert_eq!(
            content_of(&unit, h265(), true, Some(&record)).unwrap(),
            expected
        );
        for cut in 0..record.len() {
            assert!(
                matches!(
                    content_of(&unit, h265(), true, Some(&record[..cut])),
                    Err(UnitError::BadConfig { .. })
                ),
                "cut {cut}"
            );
        }
        record.push(0);
        assert!(matches!(
            content_of(&unit, h265(), true, Some(&record)),
            Err(UnitError::BadConfig { .. })
        ));
    }

    /// What `scan` and `Unescaped` make of one avcc NAL unit's bytes.
    fn scan_reading(nal: &[u8]) -> Option<Vec<u8>> {
        let s = scan(nal, false, 0).ok()?;
        let unescaped = Unescaped {
            raw: &nal[..s.sig_end],
            pos: 0,
            zeros: 0,
        };
        Some(unescaped.collect())
    }

    #[test]
    fn scan_matches_a_byte_by_byte_reading() {
        // Every NAL unit of up to 7 bytes over {00, 01, 02, 03, 04, 80}:
        // scan's verdict and content agree with the plain reading.
        let alphabet = [0u8, 1, 2, 3, 4, 0x80];
        let mut nal = Vec::new();
        for len in 1..=7u32 {
            for mut code in 0..alphabet.len().pow(len) {
                nal.clear();
                for _ in 0..len {
                    nal.push(alphabet[code % alphabet.len()]);
                    code /= alphabet.len();
                }
                assert_eq!(scan_reading(&nal), plain_nal_reading(&nal), "{nal:02x?}");
            }
        }
    }

    #[test]
    fn scan_matches_a_byte_by_byte_reading_at_every_offset_of_long_units() {
        // The word-at-a-time skip must not step over a pattern, wherever it
        // stands in a word.
        let patterns: [&[u8]; 8] = [
            &[0, 0, 0],
            &[0, 0, 1],
            &[0, 0, 2],
            &[0, 0, 3, 0],
            &[0, 0, 3, 4],
            &[0, 0, 3],
            &[0, 0],
            &[0],
        ];
        for len in 1..40 {
            for at in 0..len {
                for pattern in patterns {
                    let mut nal = vec![0x41; len];
                    for (k, &b) in pattern.iter().enumerate() {
                        if let Some(slot) = nal.get_mut(at + k) {
                            *slot = b;
                        }
                    }
                    assert_eq!(scan_reading(&nal), plain_nal_reading(&nal), "{nal:02x?}");
                    if let Some(content) = plain_nal_reading(&nal).filter(|c| !c.is_empty()) {
                        let unit = avcc(&[&nal], 4);
                        if content[0] & 0x80 == 0 {
                            let header = content[0] & 0x1f;
                            let got = content_of(&unit, h264_avcc(4), false, None).unwrap();
                            let expected = if (1..=5).contains(&header) {
                                items(&[&content])
                            } else {
                                Vec::new()
                            };
                            assert_eq!(got, expected, "{nal:02x?}");
                        }
                    }
                }
            }
        }
    }
}
