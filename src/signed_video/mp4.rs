//! The video samples of a plain (non-fragmented) MP4 file, for validating
//! the signed recordings cameras export (ISO/IEC 14496-12 `moov` with
//! `stbl` sample tables; `frameseal::fmp4` reads fragmented MP4 only).
//!
//! It finds the first video track (`hdlr` `vide`) whose sample entry is
//! `avc1`/`avc3` or `hvc1`/`hev1`, reads the NAL unit length size from its
//! `avcC`/`hvcC`, and lists the samples in decode order from `stsz`, `stsc`
//! and `stco`/`co64`. For a display that decodes what it validated
//! (`SignedVideoGate`), it also keeps the decoder configuration record, the
//! coded size, the media timescale (`mdhd`) and each sample's decode time,
//! duration and composition offset (`stts`, `ctts`); edit lists are not
//! read. Timing is optional: a track without `mdhd` or `stts` has none.
//!
//! Strict and bounded: every box must fit in its parent, every table's
//! entry count is checked against the bytes of its box before anything is
//! allocated, the sample-to-chunk runs must add up to the sample count, and
//! every sample must lie inside the file.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::reader::{Reader, Short};
use super::{Codec, av1};

/// Why an MP4 file cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mp4Error {
    /// A box header or a box's content runs past its parent.
    Truncated,
    /// There is no `moov` box, or it has no H.264 / H.265 / AV1 video track.
    NoVideoTrack,
    /// A box that must appear once appears twice.
    Duplicate([u8; 4]),
    /// A box the track needs is missing.
    Missing([u8; 4]),
    /// A table's contents are inconsistent (counts, runs, lengths).
    BadTable([u8; 4]),
    /// A sample lies (partly) outside the file.
    SampleOutside,
    /// A sample's NAL unit lengths do not add up to the sample.
    BadSample,
    /// More samples than this reader holds ([`MAX_SAMPLES`]).
    TooManySamples,
}

/// A box type as text (`?` for a byte that is not printable ASCII).
struct Kind<'a>(&'a [u8; 4]);

impl fmt::Display for Kind<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        for &b in self.0 {
            f.write_char(if b.is_ascii_graphic() {
                char::from(b)
            } else {
                '?'
            })?;
        }
        Ok(())
    }
}

impl fmt::Display for Mp4Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mp4Error::Truncated => f.write_str("mp4 box runs past its parent"),
            Mp4Error::NoVideoTrack => f.write_str("mp4 has no h264/h265 video track"),
            Mp4Error::Duplicate(t) => write!(f, "mp4 box {} appears twice", Kind(t)),
            Mp4Error::Missing(t) => write!(f, "mp4 box {} is missing", Kind(t)),
            Mp4Error::BadTable(t) => write!(f, "mp4 table {} is inconsistent", Kind(t)),
            Mp4Error::SampleOutside => f.write_str("mp4 sample lies outside the file"),
            Mp4Error::BadSample => f.write_str("mp4 sample nal unit lengths do not add up"),
            Mp4Error::TooManySamples => f.write_str("mp4 track has too many samples"),
        }
    }
}

impl core::error::Error for Mp4Error {}

impl From<Short> for Mp4Error {
    fn from(_: Short) -> Mp4Error {
        Mp4Error::Truncated
    }
}

/// The most samples a track may have here (about 4.5 hours at 60 frames
/// per second): the sample list costs 12 bytes a sample.
pub const MAX_SAMPLES: usize = 1 << 20;

/// The video track of an MP4 file: its codec, NAL unit length size and
/// where its samples are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VideoTrack {
    /// The codec of the sample entry.
    pub codec: Codec,
    /// The size in bytes of each NAL unit's length prefix (1, 2 or 4; 0
    /// for AV1, whose samples are OBUs with size fields).
    pub length_size: usize,
    /// The sample entry's type (`avc1`, `avc3`, `hvc1`, `hev1` or `av01`).
    pub entry: [u8; 4],
    /// The decoder configuration record, the content of the `avcC` /
    /// `hvcC` / `av1C` box (what WebCodecs calls the `description`).
    pub config: Vec<u8>,
    /// The coded width and height of the sample entry, in pixels.
    pub size: (u16, u16),
    /// The media timescale (`mdhd`), ticks per second, when the track has
    /// one and its samples have times.
    pub timescale: Option<u32>,
    /// Each sample's (offset in the file, size), in decode order.
    samples: Vec<(usize, usize)>,
    /// Each sample's time, in decode order; empty without timing.
    times: Vec<SampleTime>,
}

/// When one sample is decoded and shown, in ticks of the track's timescale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleTime {
    /// Its decode time: the durations of the samples before it.
    pub decode: u64,
    /// Its duration (`stts`).
    pub duration: u32,
    /// Its presentation time less its decode time (`ctts`; 0 without one).
    pub composition_offset: i64,
}

/// One box: its type and content.
struct Mp4Box<'a> {
    kind: [u8; 4],
    content: &'a [u8],
}

/// The boxes of `data`, in order; an error ends the iteration.
fn boxes(data: &[u8]) -> impl Iterator<Item = Result<Mp4Box<'_>, Mp4Error>> {
    let mut r = Reader::new(data);
    let mut failed = false;
    core::iter::from_fn(move || {
        if failed || r.is_empty() {
            return None;
        }
        let item = next_box(&mut r);
        failed = item.is_err();
        Some(item)
    })
}

fn next_box<'a>(r: &mut Reader<'a>) -> Result<Mp4Box<'a>, Mp4Error> {
    let size32 = r.u32()?;
    let mut kind = [0u8; 4];
    kind.copy_from_slice(r.take(4)?);
    let content_len = match size32 {
        // To the end of the enclosing data.
        0 => r.remaining(),
        1 => {
            let hi = r.u32()?;
            let lo = r.u32()?;
            let size = (u64::from(hi) << 32) | u64::from(lo);
            let size = usize::try_from(size).map_err(|_| Mp4Error::Truncated)?;
            size.checked_sub(16).ok_or(Mp4Error::Truncated)?
        }
        n => usize::try_from(n)
            .ok()
            .and_then(|n| n.checked_sub(8))
            .ok_or(Mp4Error::Truncated)?,
    };
    let content = r.take(content_len)?;
    Ok(Mp4Box { kind, content })
}

/// The one child of `parent` of type `kind`: missing or twice is an error.
fn only<'a>(parent: &'a [u8], kind: &[u8; 4]) -> Result<&'a [u8], Mp4Error> {
    let mut found = None;
    for b in boxes(parent) {
        let b = b?;
        if &b.kind == kind {
            if found.is_some() {
                return Err(Mp4Error::Duplicate(*kind));
            }
            found = Some(b.content);
        }
    }
    found.ok_or(Mp4Error::Missing(*kind))
}

/// Skips a full box's version and flags.
fn full(content: &[u8]) -> Result<Reader<'_>, Mp4Error> {
    let mut r = Reader::new(content);
    r.u32()?;
    Ok(r)
}

/// Reads the video track of `file`.
pub fn video_track(file: &[u8]) -> Result<VideoTrack, Mp4Error> {
    let moov = only(file, b"moov").map_err(|e| match e {
        Mp4Error::Missing(_) => Mp4Error::NoVideoTrack,
        e => e,
    })?;
    for b in boxes(moov) {
        let b = b?;
        if &b.kind != b"trak" {
            continue;
        }
        let mdia = only(b.content, b"mdia")?;
        let mut hdlr = full(only(mdia, b"hdlr")?)?;
        hdlr.u32()?; // pre_defined
        if hdlr.take(4)? != b"vide" {
            continue;
        }
        let stbl = only(only(mdia, b"minf")?, b"stbl")?;
        let Some(entry) = sample_entry(only(stbl, b"stsd")?)? else {
            continue;
        };
        let samples = sample_table(stbl, file.len())?;
        let (timescale, times) = timing(mdia, stbl, samples.len())?;
        return Ok(VideoTrack {
            codec: entry.codec,
            length_size: entry.length_size,
            entry: entry.kind,
            config: entry.config.to_vec(),
            size: entry.size,
            timescale,
            samples,
            times,
        });
    }
    Err(Mp4Error::NoVideoTrack)
}

/// What the track's first sample entry says.
struct Entry<'a> {
    kind: [u8; 4],
    codec: Codec,
    length_size: usize,
    config: &'a [u8],
    size: (u16, u16),
}

/// The first sample entry, or `None` for an entry that is not H.264 /
/// H.265.
fn sample_entry(stsd: &[u8]) -> Result<Option<Entry<'_>>, Mp4Error> {
    let mut r = full(stsd)?;
    if r.u32()? == 0 {
        return Err(Mp4Error::BadTable(*b"stsd"));
    }
    let entry = next_box(&mut r)?;
    let (codec, config) = match &entry.kind {
        b"avc1" | b"avc3" => (Codec::H264, b"avcC"),
        b"hvc1" | b"hev1" => (Codec::H265, b"hvcC"),
        b"av01" => (Codec::Av1, b"av1C"),
        _ => return Ok(None),
    };
    // A VisualSampleEntry has 78 bytes of fields before its child boxes;
    // width and height are the two u16 at 24.
    let children = entry.content.get(78..).ok_or(Mp4Error::Truncated)?;
    let size = (
        u16::from_be_bytes([entry.content[24], entry.content[25]]),
        u16::from_be_bytes([entry.content[26], entry.content[27]]),
    );
    let record = only(children, config)?;
    if codec == Codec::Av1 {
        // av1C (AV1-ISOBMFF §2.3): marker and version 1, then the profile,
        // level, tier and bit depth bytes the codec string reads. Samples
        // are OBUs with size fields, no length prefixes.
        if record.len() < 4 || record[0] != 0x81 {
            return Err(Mp4Error::BadTable(*config));
        }
        return Ok(Some(Entry {
            kind: entry.kind,
            codec,
            length_size: 0,
            config: record,
            size,
        }));
    }
    // avcC: lengthSizeMinusOne in byte 4; hvcC: in byte 21 (low two bits).
    let at = if codec == Codec::H264 { 4 } else { 21 };
    let byte = *record.get(at).ok_or(Mp4Error::BadTable(*config))?;
    let length_size = usize::from(byte & 3) + 1;
    if length_size == 3 {
        return Err(Mp4Error::BadTable(*config));
    }
    // The codec string reads the profile, level and (H.265) constraint
    // bytes: a record too short for them is refused here.
    let needed = if codec == Codec::H264 { 5 } else { 23 };
    if record.len() < needed {
        return Err(Mp4Error::BadTable(*config));
    }
    Ok(Some(Entry {
        kind: entry.kind,
        codec,
        length_size,
        config: record,
        size,
    }))
}

/// The timescale and each sample's time, from `mdhd`, `stts` and `ctts`:
/// `(None, [])` when the track has no `mdhd` or no `stts`. A table that is
/// there must cover exactly `n` samples.
fn timing(mdia: &[u8], stbl: &[u8], n: usize) -> Result<(Option<u32>, Vec<SampleTime>), Mp4Error> {
    let (mdhd, stts) = match (only(mdia, b"mdhd"), only(stbl, b"stts")) {
        (Ok(m), Ok(s)) => (m, s),
        (Err(Mp4Error::Missing(_)), _) | (_, Err(Mp4Error::Missing(_))) => {
            return Ok((None, Vec::new()));
        }
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    let mut r = Reader::new(mdhd);
    let version = r.u8()?;
    r.take(3)?;
    // Creation and modification times: 4 bytes each in version 0, 8 in 1.
    r.take(if version == 1 { 16 } else { 8 })?;
    let timescale = r.u32()?;
    if timescale == 0 || version > 1 {
        return Err(Mp4Error::BadTable(*b"mdhd"));
    }
    let mut times = Vec::new();
    times
        .try_reserve_exact(n)
        .map_err(|_| Mp4Error::TooManySamples)?;
    let mut r = full(stts)?;
    let runs_count = r.u32()?;
    let runs = table(&mut r, runs_count, 8, *b"stts")?;
    let mut decode = 0u64;
    for run in runs.chunks_exact(8) {
        let (count, duration) = (be32(&run[..4]) as usize, be32(&run[4..]));
        if count > n - times.len() {
            return Err(Mp4Error::BadTable(*b"stts"));
        }
        for _ in 0..count {
            times.push(SampleTime {
                decode,
                duration,
                composition_offset: 0,
            });
            decode = decode.saturating_add(u64::from(duration));
        }
    }
    if times.len() != n {
        return Err(Mp4Error::BadTable(*b"stts"));
    }
    let ctts = match only(stbl, b"ctts") {
        Ok(c) => c,
        Err(Mp4Error::Missing(_)) => return Ok((Some(timescale), times)),
        Err(e) => return Err(e),
    };
    let mut r = Reader::new(ctts);
    let signed = r.u8()? == 1;
    r.take(3)?;
    let runs_count = r.u32()?;
    let runs = table(&mut r, runs_count, 8, *b"ctts")?;
    let mut i = 0usize;
    for run in runs.chunks_exact(8) {
        let count = be32(&run[..4]) as usize;
        let raw = be32(&run[4..]);
        let offset = if signed {
            i64::from(raw as i32)
        } else {
            i64::from(raw)
        };
        if count > n - i {
            return Err(Mp4Error::BadTable(*b"ctts"));
        }
        for t in &mut times[i..i + count] {
            t.composition_offset = offset;
        }
        i += count;
    }
    if i != n {
        return Err(Mp4Error::BadTable(*b"ctts"));
    }
    Ok((Some(timescale), times))
}

/// A table of `count` entries of `width` bytes each, checked against the
/// bytes that remain before anything is allocated.
fn table<'a>(
    r: &mut Reader<'a>,
    count: u32,
    width: usize,
    kind: [u8; 4],
) -> Result<&'a [u8], Mp4Error> {
    let count = usize::try_from(count).map_err(|_| Mp4Error::BadTable(kind))?;
    let bytes = count.checked_mul(width).ok_or(Mp4Error::BadTable(kind))?;
    if bytes != r.remaining() {
        return Err(Mp4Error::BadTable(kind));
    }
    Ok(r.take(bytes)?)
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// The samples' (offset, size) from `stsz`, `stsc` and `stco`/`co64`.
fn sample_table(stbl: &[u8], file_len: usize) -> Result<Vec<(usize, usize)>, Mp4Error> {
    // Sample sizes.
    let mut stsz = full(only(stbl, b"stsz")?)?;
    let fixed = stsz.u32()?;
    let count = stsz.u32()?;
    let n = usize::try_from(count).map_err(|_| Mp4Error::TooManySamples)?;
    if n > MAX_SAMPLES {
        return Err(Mp4Error::TooManySamples);
    }
    let sizes = if fixed == 0 {
        Some(table(&mut stsz, count, 4, *b"stsz")?)
    } else if stsz.is_empty() {
        None
    } else {
        return Err(Mp4Error::BadTable(*b"stsz"));
    };
    let size_of = |i: usize| -> usize {
        let s = sizes.map_or(fixed, |t| be32(&t[4 * i..4 * i + 4]));
        s as usize
    };
    // Chunk offsets.
    let stco = only(stbl, b"stco");
    let co64 = only(stbl, b"co64");
    let (offsets, width, kind) = match (stco, co64) {
        (Ok(c), Err(Mp4Error::Missing(_))) => (c, 4, *b"stco"),
        (Err(Mp4Error::Missing(_)), Ok(c)) => (c, 8, *b"co64"),
        (Err(Mp4Error::Missing(_)), Err(Mp4Error::Missing(_))) => {
            return Err(Mp4Error::Missing(*b"stco"));
        }
        (Err(e), _) | (_, Err(e)) => return Err(e),
        (Ok(_), Ok(_)) => return Err(Mp4Error::Duplicate(*b"co64")),
    };
    let mut r = full(offsets)?;
    let chunks = r.u32()?;
    let offsets = table(&mut r, chunks, width, kind)?;
    let chunk_offset = |i: usize| -> Result<usize, Mp4Error> {
        let b = &offsets[width * i..width * (i + 1)];
        let v = if width == 4 {
            u64::from(be32(b))
        } else {
            (u64::from(be32(&b[..4])) << 32) | u64::from(be32(&b[4..]))
        };
        usize::try_from(v).map_err(|_| Mp4Error::SampleOutside)
    };
    // Sample-to-chunk runs.
    let mut stsc = full(only(stbl, b"stsc")?)?;
    let runs_count = stsc.u32()?;
    let runs = table(&mut stsc, runs_count, 12, *b"stsc")?;
    let chunks = chunks as usize;
    let mut samples = Vec::new();
    samples
        .try_reserve_exact(n)
        .map_err(|_| Mp4Error::TooManySamples)?;
    let mut previous_first = 0u32;
    for (k, run) in runs.chunks_exact(12).enumerate() {
        let first = be32(&run[..4]);
        let per_chunk = be32(&run[4..8]) as usize;
        let next_first = runs
            .get(12 * (k + 1)..12 * (k + 1) + 4)
            .map_or(chunks as u64 + 1, |b| u64::from(be32(b)));
        if first == 0 || first <= previous_first || u64::from(first) > chunks as u64 {
            return Err(Mp4Error::BadTable(*b"stsc"));
        }
        if next_first <= u64::from(first) || next_first > chunks as u64 + 1 {
            return Err(Mp4Error::BadTable(*b"stsc"));
        }
        previous_first = first;
        for chunk in (first as usize - 1)..(next_first as usize - 1) {
            let mut at = chunk_offset(chunk)?;
            for _ in 0..per_chunk {
                let i = samples.len();
                if i >= n {
                    return Err(Mp4Error::BadTable(*b"stsc"));
                }
                let size = size_of(i);
                let end = at.checked_add(size).ok_or(Mp4Error::SampleOutside)?;
                if end > file_len {
                    return Err(Mp4Error::SampleOutside);
                }
                samples.push((at, size));
                at = end;
            }
        }
    }
    if samples.len() != n {
        return Err(Mp4Error::BadTable(*b"stsc"));
    }
    Ok(samples)
}

impl VideoTrack {
    /// How many samples the track has.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether the track has no sample.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The bytes of sample `i` (decode order) in `file`, the file this
    /// track was read from.
    pub fn sample<'a>(&self, file: &'a [u8], i: usize) -> Option<&'a [u8]> {
        let &(at, size) = self.samples.get(i)?;
        file.get(at..at.checked_add(size)?)
    }

    /// The time of sample `i` (decode order), when the track has timing.
    pub fn time(&self, i: usize) -> Option<SampleTime> {
        self.times.get(i).copied()
    }

    /// The codec string WebCodecs and `MediaSource.isTypeSupported` take,
    /// from the decoder configuration record: `avc1.PPCCLL` (RFC 6381) or
    /// `hvc1.P.C.TL.B…` (ISO/IEC 14496-15 annex E) or `av01.P.LLT.DD`
    /// (AV1-ISOBMFF), with the sample entry's type as its first part.
    pub fn codec_string(&self) -> String {
        use core::fmt::Write;
        let mut out = String::new();
        for &b in &self.entry {
            out.push(char::from(b));
        }
        // `video_track` checked that the record is long enough; a shorter
        // one (the field is public) reads as zeros rather than panicking.
        let c = |i: usize| self.config.get(i).copied().unwrap_or(0);
        match self.codec {
            Codec::H264 => {
                let _ = write!(out, ".{:02x}{:02x}{:02x}", c(1), c(2), c(3));
            }
            Codec::Av1 => {
                // av01.P.LLT.DD (AV1-ISOBMFF codecs parameter): profile,
                // level and tier of operating point 0, bit depth.
                let profile = c(1) >> 5;
                let level = c(1) & 0x1f;
                let tier = if c(2) & 0x80 != 0 { 'H' } else { 'M' };
                let depth = match (c(2) & 0x40 != 0, c(2) & 0x20 != 0) {
                    (true, true) => 12,
                    (true, false) => 10,
                    _ => 8,
                };
                let _ = write!(out, ".{profile}.{level:02}{tier}.{depth:02}");
            }
            Codec::H265 => {
                let space = c(1) >> 6;
                let tier = if c(1) & 0x20 != 0 { 'H' } else { 'L' };
                let profile = c(1) & 0x1f;
                let flags = u32::from_be_bytes([c(2), c(3), c(4), c(5)]).reverse_bits();
                out.push('.');
                if space > 0 {
                    out.push(char::from(b'A' + space - 1));
                }
                let _ = write!(out, "{profile}.{flags:x}.{tier}{}", c(12));
                let constraints: Vec<u8> = (6..12).map(c).collect();
                let used = constraints
                    .iter()
                    .rposition(|&b| b != 0)
                    .map_or(0, |p| p + 1);
                for b in &constraints[..used] {
                    let _ = write!(out, ".{b:X}");
                }
            }
        }
        out
    }

    /// The NAL units of one sample, split at their length prefixes (AV1:
    /// its OBUs, split at their size fields).
    pub fn nal_units<'a>(&self, sample: &'a [u8]) -> Result<Vec<&'a [u8]>, Mp4Error> {
        if self.codec == Codec::Av1 {
            return av1::obu_units(sample).map_err(|_| Mp4Error::BadSample);
        }
        let mut r = Reader::new(sample);
        let mut units = Vec::new();
        while !r.is_empty() {
            let prefix = r.take(self.length_size).map_err(|_| Mp4Error::BadSample)?;
            let len = prefix
                .iter()
                .fold(0usize, |n, &b| (n << 8) | usize::from(b));
            units.push(r.take(len).map_err(|_| Mp4Error::BadSample)?);
        }
        Ok(units)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn bx(kind: &[u8; 4], content: &[u8]) -> Vec<u8> {
        let mut out = ((content.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(content);
        out
    }

    fn fullbox(kind: &[u8; 4], content: &[u8]) -> Vec<u8> {
        bx(kind, &[&[0u8; 4][..], content].concat())
    }

    fn words(ws: &[u32]) -> Vec<u8> {
        ws.iter().flat_map(|w| w.to_be_bytes()).collect()
    }

    /// A file of `mdat` first, then `moov` with the sample tables given
    /// (each as its words after the full box header).
    fn file(stsz: &[u32], stsc: &[u32], stco: &[u32]) -> Vec<u8> {
        let mut entry = vec![0u8; 78];
        entry.extend(bx(b"avcC", &[1, 0x42, 0, 0x1e, 0xff]));
        let stsd = fullbox(b"stsd", &[&words(&[1])[..], &bx(b"avc1", &entry)].concat());
        let stbl = bx(
            b"stbl",
            &[
                stsd,
                fullbox(b"stsz", &words(stsz)),
                fullbox(b"stsc", &words(stsc)),
                fullbox(b"stco", &words(stco)),
            ]
            .concat(),
        );
        let hdlr = fullbox(b"hdlr", &[&words(&[0])[..], b"vide", &[0; 12]].concat());
        let mdia = bx(b"mdia", &[hdlr, bx(b"minf", &stbl)].concat());
        let moov = bx(b"moov", &bx(b"trak", &mdia));
        // The one sample, a 5-byte NAL unit `0x41`, is at file offset 10.
        let mdat = bx(b"mdat", &[9, 9, 0, 0, 0, 1, 0x41, 9]);
        [mdat, moov].concat()
    }

    #[test]
    fn a_minimal_file_lists_its_samples_and_their_nal_units() {
        let f = file(&[0, 1, 5], &[1, 1, 1, 1], &[1, 10]);
        let track = video_track(&f).expect("parses");
        assert_eq!(
            (track.codec, track.length_size, track.len()),
            (Codec::H264, 4, 1)
        );
        let sample = track.sample(&f, 0).expect("inside");
        assert_eq!(sample, [0, 0, 0, 1, 0x41]);
        assert_eq!(track.nal_units(sample), Ok(vec![&[0x41][..]]));
        assert_eq!(
            track.nal_units(&[0, 0, 0, 2, 0x41]),
            Err(Mp4Error::BadSample)
        );
    }

    /// `file` with `mdhd` (timescale 90 000) and the `stts` / `ctts` words
    /// given added to its `mdia` / `stbl`.
    fn timed(stts: &[u32], ctts: Option<(u8, &[u32])>) -> Vec<u8> {
        let mut entry = vec![0u8; 78];
        entry[24..28].copy_from_slice(&[0x02, 0x80, 0x01, 0xe0]);
        entry.extend(bx(b"avcC", &[1, 0x64, 0, 0x1f, 0xff]));
        let stsd = fullbox(b"stsd", &[&words(&[1])[..], &bx(b"avc1", &entry)].concat());
        let mut tables = vec![
            stsd,
            fullbox(b"stsz", &words(&[0, 2, 5, 5])),
            fullbox(b"stsc", &words(&[1, 1, 2, 1])),
            fullbox(b"stco", &words(&[1, 10])),
            fullbox(b"stts", &words(stts)),
        ];
        if let Some((version, words_)) = ctts {
            tables.push(bx(
                b"ctts",
                &[&[version, 0, 0, 0][..], &words(words_)].concat(),
            ));
        }
        let stbl = bx(b"stbl", &tables.concat());
        let mdhd = fullbox(b"mdhd", &words(&[0, 0, 90_000, 0, 0]));
        let hdlr = fullbox(b"hdlr", &[&words(&[0])[..], b"vide", &[0; 12]].concat());
        let mdia = bx(b"mdia", &[mdhd, hdlr, bx(b"minf", &stbl)].concat());
        let moov = bx(b"moov", &bx(b"trak", &mdia));
        // Two 5-byte samples at 10 and 15 (the plain file's mdat, longer).
        let mdat = bx(b"mdat", &[9, 9, 0, 0, 0, 1, 0x41, 0, 0, 0, 1, 0x41]);
        [mdat, moov].concat()
    }

    #[test]
    fn timing_config_and_codec_string_are_read() {
        let f = timed(
            &[1, 2, 3000],
            Some((1, &[2, 1, 6000, 1, (-3000i32) as u32])),
        );
        let track = video_track(&f).expect("parses");
        assert_eq!(track.len(), 2);
        assert_eq!((track.timescale, track.size), (Some(90_000), (640, 480)));
        assert_eq!(track.config, [1, 0x64, 0, 0x1f, 0xff]);
        assert_eq!(track.codec_string(), "avc1.64001f");
        let t: Vec<SampleTime> = (0..2).filter_map(|i| track.time(i)).collect();
        assert_eq!(
            t,
            [
                SampleTime {
                    decode: 0,
                    duration: 3000,
                    composition_offset: 6000
                },
                SampleTime {
                    decode: 3000,
                    duration: 3000,
                    composition_offset: -3000
                },
            ]
        );
        // Without a ctts, offsets are 0; without stts, no timing at all.
        let f = timed(&[1, 2, 3000], None);
        let track = video_track(&f).expect("parses");
        assert_eq!(track.time(1).map(|t| t.composition_offset), Some(0));
        let f = file(&[0, 1, 5], &[1, 1, 1, 1], &[1, 10]);
        let track = video_track(&f).expect("parses");
        assert_eq!((track.timescale, track.time(0)), (None, None));
        // Tables that do not cover the samples exactly are refused.
        assert_eq!(
            video_track(&timed(&[1, 3, 3000], None)),
            Err(Mp4Error::BadTable(*b"stts"))
        );
        assert_eq!(
            video_track(&timed(&[1, 1, 3000], None)),
            Err(Mp4Error::BadTable(*b"stts"))
        );
        assert_eq!(
            video_track(&timed(&[1, 2, 3000], Some((0, &[1, 0])))),
            Err(Mp4Error::BadTable(*b"ctts"))
        );
    }

    #[test]
    fn the_hevc_codec_string_follows_annex_e() {
        // Main profile, compatibility flags 0x60000000, level 93 (3.1),
        // constraint byte 0xb0: hvc1.1.6.L93.B0.
        let mut config = vec![1, 0x01, 0x60, 0, 0, 0, 0xb0, 0, 0, 0, 0, 0, 93];
        config.resize(23, 0);
        let track = VideoTrack {
            codec: Codec::H265,
            length_size: 4,
            entry: *b"hvc1",
            config,
            size: (0, 0),
            timescale: None,
            samples: Vec::new(),
            times: Vec::new(),
        };
        assert_eq!(track.codec_string(), "hvc1.1.6.L93.B0");
        // A record cut short (the field is public) reads as zeros.
        let short = VideoTrack {
            config: vec![1],
            ..track
        };
        assert_eq!(short.codec_string(), "hvc1.0.0.L0");
    }

    #[test]
    fn inconsistent_tables_are_refused_with_the_rule_they_break() {
        let cases: [(&str, Vec<u8>, Mp4Error); 6] = [
            ("no moov", bx(b"mdat", &[]), Mp4Error::NoVideoTrack),
            (
                "a box past its parent",
                vec![0, 0, 0, 9, b'm', b'o', b'o', b'v'],
                Mp4Error::Truncated,
            ),
            (
                "more sizes than the box holds",
                file(&[0, 1000, 5], &[1, 1, 1, 1], &[1, 10]),
                Mp4Error::BadTable(*b"stsz"),
            ),
            (
                "runs that do not add up to the samples",
                file(&[0, 2, 5, 5], &[1, 1, 1, 1], &[1, 10]),
                Mp4Error::BadTable(*b"stsc"),
            ),
            (
                "a run from chunk 0",
                file(&[0, 1, 5], &[1, 0, 1, 1], &[1, 10]),
                Mp4Error::BadTable(*b"stsc"),
            ),
            (
                "a sample past the end",
                file(&[0, 1, 5], &[1, 1, 1, 1], &[1, 1 << 30]),
                Mp4Error::SampleOutside,
            ),
        ];
        for (name, f, expected) in cases {
            assert_eq!(video_track(&f), Err(expected), "{name}");
        }
    }
}
