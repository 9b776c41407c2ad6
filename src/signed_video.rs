//! Axis Signed Video and ONVIF Media Signing: the signatures cameras
//! already put in H.264 / H.265 streams, and Axis Signed Video in AV1
//! streams (issue 18).
//!
//! Both formats carry, in a SEI `user_data_unregistered` message with a
//! UUID of their own, a TLV-encoded "document" (GOP counter, hashes of the
//! picture NAL units, product information, the public key or certificate
//! chain) and an ECDSA signature over the SHA-256 hash of that document.
//! In AV1, Axis Signed Video carries the same in a metadata OBU ([`av1`]).
//! `docs/SIGNED-VIDEO.md` describes the formats in this project's words,
//! with the reference files they were learnt from.
//!
//! This module is the core, `no_std` + `alloc`, without any JS type:
//!
//! - [`sei`]: recognise one NAL unit as a Signed Video / Media Signing SEI
//!   and take it apart (reserved byte, TLV region, the bytes its signature
//!   covers), strictly and bounded;
//! - [`av1`]: the OBUs of an AV1 stream and what each is for the format;
//! - [`tlv`]: the TLVs of both formats, parsed into typed structs;
//! - [`validate`]: hashing picture NAL units as the formats say, the
//!   per-GOP checks (signature, GOP hash, linked hash, hash list) and a
//!   verdict per GOP;
//! - [`trust`]: which key may sign (one camera's key, or a CA's
//!   certificate chain checked at a given time), and the SPEC §5.1
//!   fingerprint of a key;
//! - [`mp4`]: the video samples of a plain MP4 recording, the form cameras
//!   export signed video in;
//! - [`gate`]: the display side: access units held until their GOP's
//!   verdict, only authentic pictures released (or released at once and
//!   marked);
//! - [`mse`]: the same for fragmented MP4 bound for a Media Source
//!   Extensions `SourceBuffer`: the cleaned init segment, and media
//!   segments holding only the released pictures, with their own times.
//!
//! What is checked and what is not (SPS/PPS/VPS, AUDs and other SEIs are
//! not covered by these formats) is in `docs/SIGNED-VIDEO.md`.
//!
//! ```
//! use frameseal::signed_video::{Codec, GopVerdict, StreamValidator, annexb_nal_units};
//!
//! // An H.264 stream without any signature: three GOPs of an IDR slice
//! // and a P slice each.
//! let gop = [0, 0, 0, 1, 0x65, 0x88, 0x84, 0x21, 0, 0, 0, 1, 0x41, 0x9a, 0x02, 0x10];
//! let stream = gop.repeat(3);
//! let mut validator = StreamValidator::new(Codec::H264);
//! for nal in annexb_nal_units(&stream) {
//!     validator.push_nal(nal)?;
//! }
//! let reports = validator.finish();
//! assert_eq!(reports.len(), 3);
//! assert!(reports.iter().all(|r| r.verdict == GopVerdict::Unsigned && r.frames == 2));
//! # Ok::<(), frameseal::signed_video::SeiError>(())
//! ```
//!
//! For a recording, [`mp4::video_track`] lists the samples of an MP4 file
//! and their NAL units, which go to [`StreamValidator::push_nal`] in the
//! same way.

use alloc::vec::Vec;

pub mod av1;
pub mod gate;
pub mod mp4;
// Everywhere but in the main WebAssembly builds: it is only for the Signed
// Video part's binding (feature `signed-video`), and its code, unused there
// yet present, would still shift the main module's function order.
#[cfg(any(feature = "signed-video", not(target_arch = "wasm32")))]
pub mod mse;
pub mod sei;
pub mod tlv;
pub mod trust;
pub mod validate;

mod der;
mod reader;

pub use sei::{SeiError, SignedVideoSei};
pub use tlv::{Payload, TlvError};
pub use trust::{AxisTrust, CaTrust, Trust, TrustError, TrustedKey, spki_fingerprint};
pub use validate::{FrameReport, FrameVerdict, GopReport, GopVerdict, StreamValidator};

/// The UUID of an Axis Signed Video SEI: the ASCII bytes `Signed Video...0`.
pub const AXIS_UUID: [u8; 16] = *b"Signed Video...0";

/// The UUID of an ONVIF Media Signing SEI,
/// `005bc93f-2d71-5e95-ada4-796f90877a6f`.
pub const ONVIF_UUID: [u8; 16] = [
    0x00, 0x5b, 0xc9, 0x3f, 0x2d, 0x71, 0x5e, 0x95, 0xad, 0xa4, 0x79, 0x6f, 0x90, 0x87, 0x7a, 0x6f,
];

/// Which of the two formats a SEI follows (its UUID says).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// Axis Signed Video (`AxisCommunications/signed-video-framework`).
    Axis,
    /// ONVIF Media Signing (`onvif/media-signing-framework`).
    Onvif,
}

impl Scheme {
    /// The scheme whose UUID is `uuid`, if any.
    pub fn from_uuid(uuid: &[u8]) -> Option<Scheme> {
        if uuid == AXIS_UUID {
            Some(Scheme::Axis)
        } else if uuid == ONVIF_UUID {
            Some(Scheme::Onvif)
        } else {
            None
        }
    }

    /// A stable lower-case name: `axis` or `onvif`.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Axis => "axis",
            Scheme::Onvif => "onvif",
        }
    }
}

/// The video codecs whose NAL units (AV1: OBUs) these formats sign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    /// H.264 / AVC: one-byte NAL unit headers.
    H264,
    /// H.265 / HEVC: two-byte NAL unit headers.
    H265,
    /// AV1: OBUs with size fields, Axis Signed Video only ([`av1`]).
    Av1,
}

impl Codec {
    /// The length of this codec's NAL unit header (AV1: the OBU header
    /// without its extension byte).
    pub fn header_len(self) -> usize {
        match self {
            Codec::H264 | Codec::Av1 => 1,
            Codec::H265 => 2,
        }
    }

    /// A stable lower-case name: `h264`, `h265` or `av1`.
    pub fn name(self) -> &'static str {
        match self {
            Codec::H264 => "h264",
            Codec::H265 => "h265",
            Codec::Av1 => "av1",
        }
    }
}

/// The NAL units of an Annex B byte stream, without their start codes and
/// without the zero bytes that may follow a NAL unit (`trailing_zero_8bits`,
/// or a 4-byte start code's leading zero). Bytes before the first start
/// code are skipped; a stream without a start code has no NAL units.
///
/// The formats hash a NAL unit "up to the byte with its stop bit", so the
/// trailing zeros are not part of it (the reference validators strip them
/// too, see `parse_bu_info` in `lib/src/sv_common.c`).
pub fn annexb_nal_units(stream: &[u8]) -> Vec<&[u8]> {
    let mut units = Vec::new();
    let mut start: Option<usize> = None;
    let mut i = 0;
    while i + 3 <= stream.len() {
        if stream[i] == 0 && stream[i + 1] == 0 && stream[i + 2] == 1 {
            if let Some(s) = start {
                push_trimmed(&mut units, &stream[s..i]);
            }
            i += 3;
            start = Some(i);
        } else {
            i += 1;
        }
    }
    if let Some(s) = start {
        push_trimmed(&mut units, &stream[s..]);
    }
    units
}

fn push_trimmed<'a>(units: &mut Vec<&'a [u8]>, nal: &'a [u8]) {
    let end = nal.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
    if end > 0 {
        units.push(&nal[..end]);
    }
}

/// The bytes of `raw` without its emulation prevention bytes (a `0x03`
/// after two zero bytes), as H.264 §7.4.1 / H.265 §7.4.2 define them.
pub(crate) fn unescape(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut zeros = 0usize;
    for &b in raw {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}

/// The offset in `raw` of the byte that is at `offset` once emulation
/// prevention bytes are removed, or `None` past the end.
pub(crate) fn escaped_offset(raw: &[u8], offset: usize) -> Option<usize> {
    let mut zeros = 0usize;
    let mut seen = 0usize;
    for (i, &b) in raw.iter().enumerate() {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        if seen == offset {
            return Some(i);
        }
        seen += 1;
        zeros = if b == 0 { zeros + 1 } else { 0 };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annexb_splits_on_3_and_4_byte_start_codes_and_drops_trailing_zeros() {
        let stream = [
            0, 0, 0, 1, 0x67, 1, 0, 0, 1, 0x68, 2, 0, 0, 0, 0, 1, 0x65, 3,
        ];
        let units = annexb_nal_units(&stream);
        assert_eq!(units, [&[0x67, 1][..], &[0x68, 2][..], &[0x65, 3][..]]);
        assert!(annexb_nal_units(&[0x65, 1, 2]).is_empty());
    }

    #[test]
    fn emulation_prevention_is_removed_and_offsets_map_back() {
        let raw = [0x06, 0, 0, 3, 1, 0, 0, 3, 0, 7];
        assert_eq!(unescape(&raw), [0x06, 0, 0, 1, 0, 0, 0, 7]);
        assert_eq!(escaped_offset(&raw, 3), Some(4));
        assert_eq!(escaped_offset(&raw, 6), Some(8));
        assert_eq!(escaped_offset(&raw, 7), Some(9));
        assert_eq!(escaped_offset(&raw, 8), None);
    }

    #[test]
    fn uuids_name_their_scheme() {
        assert_eq!(Scheme::from_uuid(&AXIS_UUID), Some(Scheme::Axis));
        assert_eq!(Scheme::from_uuid(&ONVIF_UUID), Some(Scheme::Onvif));
        assert_eq!(Scheme::from_uuid(&[0; 16]), None);
    }
}
