//! AV1 for Axis Signed Video: the OBUs of a stream, what each one is for
//! the format, and where Signed Video carries its data.
//!
//! Axis Signed Video puts the document and signature an H.264 / H.265
//! stream carries in a SEI into an AV1 metadata OBU (`OBU_METADATA`,
//! metadata type 25, one of the "unregistered user private" types); ONVIF
//! Media Signing has no AV1 form. What an OBU counts as, as the reference
//! library (`lib/src/sv_codec_av1.c`, `lib/src/sv_common.c`) sorts them:
//!
//! - a frame OBU (type 6) is a picture, an I-frame when its `frame_type`
//!   is `KEY_FRAME`; a frame header OBU (type 3) starts a picture whose
//!   tile group OBUs (type 4) follow it, the three hashed together as one
//!   unit; a frame header with `show_existing_frame` is a picture of its
//!   own (a P-frame for the format);
//! - metadata OBUs (type 5) other than Signed Video's are hashed too (not
//!   so in H.264 / H.265, where other SEIs are not covered);
//! - sequence headers and temporal delimiters are not hashed;
//! - redundant frame headers, tile lists, padding, reserved types and OBUs
//!   with the extension header are not the format's ("not supported" in
//!   the reference, which skips them). frameseal departs from that for a
//!   frame, frame header or tile group OBU with an extension header: a
//!   decoder may show it, so it is hashed into its GOP, which then cannot
//!   be authentic (see `docs/SIGNED-VIDEO.md`).
//!
//! An OBU is hashed whole (header, size field, payload) up to its last
//! non-zero byte; AV1 has no emulation prevention.

use alloc::vec::Vec;
use core::fmt;

/// `OBU_SEQUENCE_HEADER`.
pub const OBU_SEQUENCE_HEADER: u8 = 1;
/// `OBU_TEMPORAL_DELIMITER`.
pub const OBU_TEMPORAL_DELIMITER: u8 = 2;
/// `OBU_FRAME_HEADER`.
pub const OBU_FRAME_HEADER: u8 = 3;
/// `OBU_TILE_GROUP`.
pub const OBU_TILE_GROUP: u8 = 4;
/// `OBU_METADATA`.
pub const OBU_METADATA: u8 = 5;
/// `OBU_FRAME`.
pub const OBU_FRAME: u8 = 6;

/// The metadata type of Signed Video's metadata OBU (the reference's
/// `METADATA_TYPE_USER_PRIVATE`).
pub const METADATA_TYPE_SIGNED_VIDEO: u8 = 25;

/// The most bytes a `leb128()` value may take (AV1 §4.10.5).
const MAX_LEB128_BYTES: usize = 8;

/// Why bytes are not a sequence of OBUs with size fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ObuError {
    /// The OBU at this offset has no size field (`obu_has_size_field` 0):
    /// a low-overhead stream (AV1 §5.2), an IVF frame or an MP4 sample is
    /// read here only with size fields.
    NoSizeField {
        /// Offset of the OBU.
        at: usize,
    },
    /// The OBU at this offset has its forbidden bit set.
    ForbiddenBit {
        /// Offset of the OBU.
        at: usize,
    },
    /// The OBU at this offset ends (header, size field or payload) past the
    /// end of the data.
    Truncated {
        /// Offset of the OBU.
        at: usize,
    },
    /// The size field of the OBU at this offset is not a valid `leb128()`
    /// (more than 8 bytes, or a value above 2³² − 1).
    BadSize {
        /// Offset of the OBU.
        at: usize,
    },
}

impl fmt::Display for ObuError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObuError::NoSizeField { at } => write!(f, "obu without a size field at byte {at}"),
            ObuError::ForbiddenBit { at } => {
                write!(f, "obu with its forbidden bit set at byte {at}")
            }
            ObuError::Truncated { at } => write!(f, "obu runs past the end at byte {at}"),
            ObuError::BadSize { at } => write!(f, "obu size field not a valid leb128 at byte {at}"),
        }
    }
}

impl core::error::Error for ObuError {}

/// The header of one OBU (AV1 §5.3.1, §5.3.2) and where its payload is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObuHeader {
    /// `obu_type`.
    pub obu_type: u8,
    /// `obu_extension_flag`: a second header byte with temporal and spatial
    /// layer ids.
    pub extension: bool,
    /// `obu_has_size_field`.
    pub has_size: bool,
    /// The forbidden bit or the reserved bit is set.
    pub bad_bits: bool,
    /// Offset of the payload in the OBU.
    pub payload_start: usize,
    /// The payload's length: the size field's value, or what follows the
    /// header when there is no size field.
    pub payload_len: usize,
}

impl ObuHeader {
    /// Whether the reference library takes the OBU for one of the format's
    /// (its `parse_av1_obu_header`): size field present, no extension, no
    /// forbidden or reserved bit, a type it handles.
    pub fn is_supported(&self) -> bool {
        self.has_size
            && !self.extension
            && !self.bad_bits
            && matches!(
                self.obu_type,
                OBU_SEQUENCE_HEADER
                    | OBU_TEMPORAL_DELIMITER
                    | OBU_FRAME_HEADER
                    | OBU_TILE_GROUP
                    | OBU_METADATA
                    | OBU_FRAME
            )
    }

    /// Whether the OBU carries (part of) a picture a decoder may show: a
    /// frame, frame header or tile group OBU.
    pub fn is_picture_data(&self) -> bool {
        matches!(self.obu_type, OBU_FRAME_HEADER | OBU_TILE_GROUP | OBU_FRAME)
    }
}

/// Reads a `leb128()` value: `(value, bytes read)`, or `None` when it runs
/// past `bytes`, takes more than 8 bytes or exceeds 2³² − 1 (AV1 §4.10.5).
pub fn leb128(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, &b) in bytes.iter().take(MAX_LEB128_BYTES).enumerate() {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return (value <= u64::from(u32::MAX)).then_some((value, i + 1));
        }
    }
    None
}

/// Parses the header of the OBU that `obu` starts with; `None` when the
/// header or size field runs past `obu` or the size field is not a valid
/// `leb128()`. The payload's length is checked against `obu` by the
/// caller ([`obu_units`] does).
pub fn header(obu: &[u8]) -> Option<ObuHeader> {
    let &first = obu.first()?;
    let extension = first & 0x04 != 0;
    let has_size = first & 0x02 != 0;
    let header_len = 1 + usize::from(extension);
    if obu.len() < header_len {
        return None;
    }
    let (payload_start, payload_len) = if has_size {
        let (size, n) = leb128(&obu[header_len..])?;
        (header_len + n, usize::try_from(size).ok()?)
    } else {
        (header_len, obu.len() - header_len)
    };
    Some(ObuHeader {
        obu_type: (first >> 3) & 0x0f,
        extension,
        has_size,
        bad_bits: first & 0x81 != 0,
        payload_start,
        payload_len,
    })
}

/// Splits `data` (a low-overhead AV1 stream, an IVF frame, an MP4 sample)
/// into its OBUs, each with its header and size field. Every OBU must have
/// a size field, its forbidden bit clear and its payload within `data`.
pub fn obu_units(data: &[u8]) -> Result<Vec<&[u8]>, ObuError> {
    let mut units = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let rest = &data[at..];
        if rest[0] & 0x80 != 0 {
            return Err(ObuError::ForbiddenBit { at });
        }
        if rest[0] & 0x02 == 0 {
            return Err(ObuError::NoSizeField { at });
        }
        let header_len = 1 + usize::from(rest[0] & 0x04 != 0);
        let size_bytes = rest.get(header_len..).ok_or(ObuError::Truncated { at })?;
        let h = match header(rest) {
            Some(h) => h,
            None if size_bytes.len() < MAX_LEB128_BYTES
                && size_bytes.iter().all(|b| b & 0x80 != 0) =>
            {
                return Err(ObuError::Truncated { at });
            }
            None => return Err(ObuError::BadSize { at }),
        };
        let end = h
            .payload_start
            .checked_add(h.payload_len)
            .filter(|&end| end <= rest.len())
            .ok_or(ObuError::Truncated { at })?;
        units.push(&rest[..end]);
        at += end;
    }
    Ok(units)
}

/// What an OBU is for the format's hashing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ObuKind {
    /// Not hashed: sequence header, temporal delimiter, an OBU the format
    /// does not take (see the module description).
    Ignored,
    /// A frame OBU, or a frame header with `show_existing_frame`: one
    /// picture hashed alone; `key` when it starts a GOP.
    Frame { key: bool },
    /// A frame header that tile group OBUs follow: the picture's hash runs
    /// over it and them.
    FrameHeader { key: bool },
    /// A tile group OBU: part of the open frame header's picture, or a unit
    /// of its own when no frame header is open.
    TileGroup,
    /// A metadata OBU (a Signed Video one is taken apart before this).
    Metadata,
    /// A frame, frame header or tile group OBU that the format does not
    /// take (extension header, bad bits, no size field, empty payload): a
    /// decoder may still use it, so frameseal hashes it as an added unit.
    Uncovered,
}

/// Sorts one OBU (exactly one, header to payload end) for hashing.
pub(super) fn kind(obu: &[u8]) -> ObuKind {
    let Some(h) = header(obu) else {
        return ObuKind::Ignored;
    };
    let payload = obu
        .get(h.payload_start..)
        .and_then(|p| p.get(..h.payload_len));
    let whole = payload.is_some() && h.payload_start + h.payload_len == obu.len();
    if !h.is_supported() || !whole {
        return if h.is_picture_data() {
            ObuKind::Uncovered
        } else {
            ObuKind::Ignored
        };
    }
    let first = payload.and_then(|p| p.first().copied());
    match (h.obu_type, first) {
        // uncompressed_header(): show_existing_frame (1 bit), then
        // frame_type (2 bits), KEY_FRAME being 0. A frame OBU never shows
        // an existing frame; a frame header that does is a picture of its
        // own, a P-frame for the format.
        (OBU_FRAME, Some(b)) => ObuKind::Frame { key: b & 0x60 == 0 },
        (OBU_FRAME_HEADER, Some(b)) if b & 0x80 != 0 => ObuKind::Frame { key: false },
        (OBU_FRAME_HEADER, Some(b)) => ObuKind::FrameHeader { key: b & 0x60 == 0 },
        (OBU_FRAME | OBU_FRAME_HEADER, None) => ObuKind::Uncovered,
        (OBU_TILE_GROUP, _) => ObuKind::TileGroup,
        (OBU_METADATA, _) => ObuKind::Metadata,
        _ => ObuKind::Ignored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn leb128_reads_up_to_eight_bytes_and_32_bits() {
        assert_eq!(leb128(&[0x00]), Some((0, 1)));
        assert_eq!(leb128(&[0xd3, 0x07]), Some((979, 2)));
        assert_eq!(
            leb128(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]),
            Some((0, 8))
        );
        assert_eq!(leb128(&[0x80; 9]), None);
        assert_eq!(leb128(&[0x80, 0x80]), None);
        assert_eq!(
            leb128(&[0xff, 0xff, 0xff, 0xff, 0x0f]),
            Some((u64::from(u32::MAX), 5))
        );
        assert_eq!(leb128(&[0x80, 0x80, 0x80, 0x80, 0x10]), None);
    }

    #[test]
    fn a_stream_splits_into_its_obus() {
        let td = [0x12, 0x00];
        let frame = [0x32, 0x03, 0x10, 0xaa, 0xbb];
        let stream = [&td[..], &frame[..], &td[..]].concat();
        assert_eq!(obu_units(&stream).unwrap(), [&td[..], &frame[..], &td[..]]);
        // With an extension byte.
        let ext = [0x36, 0x08, 0x01, 0x30];
        assert_eq!(obu_units(&ext).unwrap(), [&ext[..]]);
        assert_eq!(obu_units(&[]).unwrap(), Vec::<&[u8]>::new());
    }

    #[test]
    fn bad_streams_are_refused_at_the_obu() {
        assert_eq!(
            obu_units(&[0x12, 0x00, 0x30, 0x10]),
            Err(ObuError::NoSizeField { at: 2 })
        );
        assert_eq!(
            obu_units(&[0x92, 0x00]),
            Err(ObuError::ForbiddenBit { at: 0 })
        );
        assert_eq!(
            obu_units(&[0x32, 0x05, 0x10]),
            Err(ObuError::Truncated { at: 0 })
        );
        assert_eq!(obu_units(&[0x32, 0x85]), Err(ObuError::Truncated { at: 0 }));
        assert_eq!(obu_units(&[0x36]), Err(ObuError::Truncated { at: 0 }));
        assert_eq!(
            obu_units(&[0x32, 0x80, 0x80, 0x80, 0x80, 0x10]),
            Err(ObuError::BadSize { at: 0 })
        );
        let mut long = vec![0x32];
        long.extend_from_slice(&[0x80; 9]);
        assert_eq!(obu_units(&long), Err(ObuError::BadSize { at: 0 }));
    }

    #[test]
    fn obus_are_sorted_as_the_reference_sorts_them() {
        // Frame OBUs: KEY_FRAME (frame_type 0) starts a GOP, INTER does not.
        assert_eq!(
            kind(&[0x32, 0x02, 0x10, 0x00]),
            ObuKind::Frame { key: true }
        );
        assert_eq!(
            kind(&[0x32, 0x02, 0x30, 0x00]),
            ObuKind::Frame { key: false }
        );
        // Frame headers: KEY, INTER, show_existing_frame.
        assert_eq!(
            kind(&[0x1a, 0x01, 0x10]),
            ObuKind::FrameHeader { key: true }
        );
        assert_eq!(
            kind(&[0x1a, 0x01, 0x20]),
            ObuKind::FrameHeader { key: false }
        );
        assert_eq!(kind(&[0x1a, 0x01, 0x80]), ObuKind::Frame { key: false });
        assert_eq!(kind(&[0x22, 0x01, 0x00]), ObuKind::TileGroup);
        assert_eq!(kind(&[0x2a, 0x01, 0x04]), ObuKind::Metadata);
        // Not hashed: sequence header, temporal delimiter, padding,
        // redundant frame header, a metadata OBU with an extension header.
        assert_eq!(kind(&[0x0a, 0x01, 0x00]), ObuKind::Ignored);
        assert_eq!(kind(&[0x12, 0x00]), ObuKind::Ignored);
        assert_eq!(kind(&[0x7a, 0x01, 0x00]), ObuKind::Ignored);
        assert_eq!(kind(&[0x3a, 0x01, 0x00]), ObuKind::Ignored);
        assert_eq!(kind(&[0x2e, 0x00, 0x01, 0x04]), ObuKind::Ignored);
        // Picture data the format does not take: extension header, reserved
        // bit, empty payload, a size field that does not match.
        assert_eq!(kind(&[0x36, 0x00, 0x02, 0x10, 0x00]), ObuKind::Uncovered);
        assert_eq!(kind(&[0x33, 0x01, 0x10]), ObuKind::Uncovered);
        assert_eq!(kind(&[0x32, 0x00]), ObuKind::Uncovered);
        assert_eq!(kind(&[0x32, 0x05, 0x10]), ObuKind::Uncovered);
    }
}
