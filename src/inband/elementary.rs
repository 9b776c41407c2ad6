//! Elementary streams cut into units, for tools that seal or verify files
//! (the CLI, tests): Annex B `.h264` / `.h265` streams into access units,
//! IVF files and low-overhead OBU streams into AV1 temporal units. A display never needs this: it is
//! handed units one at a time (MP4 samples, WebRTC frames).
//!
//! Access-unit boundaries (H.264 §7.4.1.2.3, H.265 §7.4.2.4.4): once an
//! access unit holds a picture (a VCL NAL unit), the next access unit
//! starts at an access unit delimiter, a parameter set, a prefix SEI or
//! another NAL type that may only precede a picture, or at a VCL NAL unit
//! that starts a new picture (`first_mb_in_slice` 0 in H.264,
//! `first_slice_segment_in_pic_flag` in H.265). The opening NAL units
//! start a unit only when the picture NAL unit after them starts a new
//! picture: parameter sets between two slices of one picture (legal, and
//! what RTP packetizers that resend them before every IDR slice produce)
//! stay in that picture's unit. Units come out in the order they stand in
//! the file: decode order.

use alloc::vec::Vec;

use super::av1::ObuType;
use super::{UnitCodec, UnitError};

/// The access units of an Annex B stream of `codec` (H.264 or H.265), in
/// decode order, each with its start codes. Bytes before the first start
/// code are an error, like a unit that does not begin with one.
pub fn annexb_access_units(stream: &[u8], codec: UnitCodec) -> Result<Vec<&[u8]>, UnitError> {
    let starts = start_codes(stream);
    if starts.first().map(|&(at, _)| at) != Some(0) {
        return Err(UnitError::NoStartCode);
    }
    // Where each unit starts; the last runs to the end of the stream.
    let mut cuts = Vec::from([0]);
    let mut has_picture = false;
    // Where the next unit starts if the next picture NAL unit starts a new
    // picture: the first NAL unit after a picture that may open a unit.
    let mut opened_at = None;
    for (i, &(at, header)) in starts.iter().enumerate() {
        let nal = stream.get(header..).unwrap_or_default();
        let next = starts.get(i + 1).map_or(stream.len(), |&(n, _)| n);
        let nal = nal.get(..next.saturating_sub(header)).unwrap_or(nal);
        let (vcl, first_of_picture, opens_unit) = classify(nal, codec)?;
        if has_picture && opens_unit && opened_at.is_none() {
            opened_at = Some(at);
        }
        if vcl && has_picture {
            // A slice of the same picture after a parameter set (as RTP
            // packetizers resend them before every IDR slice) keeps what
            // came between in this unit.
            match opened_at.take() {
                Some(opened) if first_of_picture => cuts.push(opened),
                Some(_) => {}
                None if first_of_picture => cuts.push(at),
                None => {}
            }
        }
        has_picture |= vcl;
    }
    // NAL units after the last picture that no picture follows.
    cuts.extend(opened_at);
    cuts.push(stream.len());
    let units = cuts
        .windows(2)
        .filter_map(|w| stream.get(w[0]..w[1]).filter(|unit| !unit.is_empty()))
        .collect();
    Ok(units)
}

/// The temporal units of an AV1 low-overhead bitstream (AV1 §5.2, `.obu`
/// files): OBUs back to back, each with its size field, each temporal unit
/// opened by a temporal delimiter OBU. The stream must start with one; an
/// OBU without a size field, a forbidden bit set or a size past the end is
/// [`UnitError::BadObu`] at its offset (each OBU's own contents are checked
/// when its unit is read).
pub fn obu_temporal_units(stream: &[u8]) -> Result<Vec<&[u8]>, UnitError> {
    let mut units = Vec::new();
    let mut unit_start = 0;
    let mut at = 0;
    while let Some(&first) = stream.get(at) {
        let bad = UnitError::BadObu { at };
        let obu_type = ObuType::of(first);
        let has_size = first & 0x02 != 0;
        if first & 0x80 != 0 || !has_size || (at == 0 && obu_type != ObuType::TemporalDelimiter) {
            return Err(bad);
        }
        let header_len = if first & 0x04 != 0 { 2 } else { 1 };
        let after_header = stream.get(at + header_len..).ok_or(bad)?;
        let (size, size_len) = super::av1::leb128(after_header).ok_or(bad)?;
        let end = usize::try_from(size)
            .ok()
            .and_then(|size| (at + header_len + size_len).checked_add(size))
            .filter(|&end| end <= stream.len())
            .ok_or(bad)?;
        if obu_type == ObuType::TemporalDelimiter && at > unit_start {
            units.push(&stream[unit_start..at]);
            unit_start = at;
        }
        at = end;
    }
    if unit_start < stream.len() {
        units.push(&stream[unit_start..]);
    }
    Ok(units)
}

/// `(is VCL, starts a picture, may only precede a picture)` for one NAL
/// unit (header included).
fn classify(nal: &[u8], codec: UnitCodec) -> Result<(bool, bool, bool), UnitError> {
    let first_bit_after = |header_len: usize| nal.get(header_len).is_some_and(|b| b & 0x80 != 0);
    match codec {
        UnitCodec::H265 => {
            let ty = nal
                .first()
                .map(|b| (b >> 1) & 0x3F)
                .ok_or(UnitError::EmptyNalUnit { at: 0 })?;
            let vcl = ty <= 31;
            let opens = matches!(ty, 32..=35 | 39 | 41..=44 | 48..=55);
            Ok((vcl, vcl && first_bit_after(2), opens))
        }
        _ => {
            let ty = nal
                .first()
                .map(|b| b & 0x1F)
                .ok_or(UnitError::EmptyNalUnit { at: 0 })?;
            let vcl = matches!(ty, 1..=5);
            let opens = matches!(ty, 6..=9 | 14..=18);
            Ok((vcl, vcl && first_bit_after(1), opens))
        }
    }
}

/// `(start code offset, NAL unit offset)` for every `00 00 01` (a zero byte
/// before it, a 4-byte start code, belongs to it).
fn start_codes(stream: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(window) = stream.get(i..i + 3) {
        if window == [0, 0, 1] {
            let at = if i > 0 && stream.get(i - 1) == Some(&0) {
                i - 1
            } else {
                i
            };
            out.push((at, i + 3));
            i += 3;
        } else {
            i += 1;
        }
    }
    out
}

/// An IVF file (the container of AV1 elementary streams): its 32-byte
/// header and its frames, each one temporal unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ivf<'a> {
    /// The file header, as found (signature `DKIF`, codec, size, rate).
    pub header: &'a [u8],
    /// Each frame's presentation timestamp and data.
    pub frames: Vec<(u64, &'a [u8])>,
}

/// Why bytes are not an IVF file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotIvf {
    /// Offset of the first byte that does not fit.
    pub at: usize,
}

impl core::fmt::Display for NotIvf {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "not an IVF file (at byte {})", self.at)
    }
}

impl core::error::Error for NotIvf {}

impl<'a> Ivf<'a> {
    /// Splits an IVF file; every frame size is checked against what is left.
    pub fn parse(file: &'a [u8]) -> Result<Ivf<'a>, NotIvf> {
        let header_len = file
            .get(6..8)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
            .ok_or(NotIvf { at: 0 })?;
        if file.get(..4) != Some(b"DKIF".as_slice()) || header_len < 32 {
            return Err(NotIvf { at: 0 });
        }
        let header = file.get(..header_len).ok_or(NotIvf { at: 0 })?;
        let mut frames = Vec::new();
        let mut at = header_len;
        while at < file.len() {
            let head = file.get(at..at + 12).ok_or(NotIvf { at })?;
            let mut size = [0u8; 4];
            size.copy_from_slice(&head[..4]);
            let mut pts = [0u8; 8];
            pts.copy_from_slice(&head[4..]);
            let size = u32::from_le_bytes(size) as usize;
            let data = file
                .get(at + 12..(at + 12).saturating_add(size))
                .ok_or(NotIvf { at })?;
            frames.push((u64::from_le_bytes(pts), data));
            at += 12 + size;
        }
        Ok(Ivf { header, frames })
    }

    /// The file with each frame replaced by `frames` (same count and order,
    /// their timestamps kept).
    pub fn with_frames(&self, frames: &[Vec<u8>]) -> Vec<u8> {
        let mut out = self.header.to_vec();
        for ((pts, _), data) in self.frames.iter().zip(frames) {
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&pts.to_le_bytes());
            out.extend_from_slice(data);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_obu_stream_splits_at_its_temporal_delimiters_and_every_size_is_checked() {
        // TD, a padding OBU (type 15) of 2 bytes, TD, a 1-byte padding OBU.
        let stream = [
            0x12, 0x00, 0x7a, 0x02, 0xaa, 0xbb, 0x12, 0x00, 0x7a, 0x01, 0xcc,
        ];
        assert_eq!(
            obu_temporal_units(&stream).unwrap(),
            [&stream[..6], &stream[6..]]
        );
        assert_eq!(obu_temporal_units(&[]).unwrap(), Vec::<&[u8]>::new());
        let bad = |at| Err(UnitError::BadObu { at });
        // Not opened by a temporal delimiter.
        assert_eq!(obu_temporal_units(&stream[2..]), bad(0));
        // A size past the end, a size field missing, a forbidden bit set.
        assert_eq!(obu_temporal_units(&stream[..5]), bad(2));
        assert_eq!(obu_temporal_units(&[0x12, 0x00, 0x78, 0xaa]), bad(2));
        assert_eq!(obu_temporal_units(&[0x12, 0x00, 0xfa, 0x00]), bad(2));
        // A leb128 size that never ends.
        assert_eq!(obu_temporal_units(&[0x12, 0x00, 0x7a, 0x80, 0x80]), bad(2));
    }
}
