//! The wire formats of a signed frame: version 1 (header, payload,
//! signature) and version 2 (a 148-byte seal, then the payload); a strict
//! borrowing parser for both and the encoders the camera side uses.
//!
//! Version 1 (SPEC §2):
//!
//! ```text
//! offset size field
//!      0    5 magic         "FSEAL"
//!      5    1 version       0x01
//!      6    1 flags         bit 0 KEYFRAME, bit 1 END_OF_STREAM, bits 2-7 zero
//!      7    1 codec         one of [`Codec`]
//!      8    8 key_id        first 8 bytes of SHA-512(device public key)
//!     16   16 stream_id
//!     32    8 seq           big-endian
//!     40    8 timestamp_us  big-endian, microseconds since the Unix epoch
//!     48    4 payload_len   big-endian, N
//!     52    N payload
//!   52+N   64 signature     Ed25519 over bytes [0, 52+N)
//! ```
//!
//! Version 2 (SPEC §6.1–6.2): the same first 52 bytes with version 2 and
//! the length field counting the canonical content, then the content's
//! hash and a signature over the seal alone, so a verifier checks the
//! signature before it reads (or hashes) a byte of the content:
//!
//! ```text
//!      0   52 as above       version 0x02, length = content_len
//!     52   32 content_hash   BLAKE3-256 of the canonical content
//!     84   64 signature      Ed25519 over bytes [0, 84)
//!    148    N payload        (an envelope frame; in-band seals carry none)
//! ```
//!
//! Rules enforced here, in this order (the first that fails names the error):
//! 1. at least 5 bytes and the magic, else [`FrameError::BadMagic`] /
//!    [`FrameError::TooShort`];
//! 2. version 1 or 2, else [`FrameError::UnsupportedVersion`] (checked
//!    before the length, because another version may have another layout);
//! 3. at least the version's overhead ([`OVERHEAD`] or [`SEAL_LEN`]) bytes;
//! 4. reserved flag bits zero, codec known;
//! 5. `payload_len` at most the caller's maximum, else [`FrameError::TooLarge`]
//!    — decided from the header alone, before anything is copied or hashed;
//! 6. the overhead plus `payload_len` equals the frame's length exactly;
//! 7. a key-rotation frame carries exactly [`ROTATION_PAYLOAD_LEN`] bytes.
//!
//! A [`Frame`] can only be built by [`Frame::parse`], so code holding one
//! never re-checks bytes.

use alloc::vec::Vec;
use core::fmt;
use core::ops::Range;

/// The five bytes every frame starts with; with the version they are the
/// domain separation of everything a device key signs.
pub const MAGIC: [u8; 5] = *b"FSEAL";
/// Wire-format version 1: header, payload, signature.
pub const VERSION: u8 = 1;
/// Wire-format version 2: a seal (signed statement about the content),
/// then the payload.
pub const SEAL_VERSION: u8 = 2;
/// Length of a seal (SPEC §6.1).
pub const SEAL_LEN: usize = 148;
/// The bytes of a seal its signature covers: `[0, 84)`.
pub const SEAL_SIGNED_LEN: usize = 84;
/// Length of a seal's content hash (BLAKE3-256).
pub const CONTENT_HASH_LEN: usize = 32;
/// Length of the fixed header that precedes the payload.
pub const HEADER_LEN: usize = 52;
/// Length of the Ed25519 signature that follows the payload.
pub const SIGNATURE_LEN: usize = 64;
/// Bytes a frame carries besides its payload (header + signature).
pub const OVERHEAD: usize = HEADER_LEN + SIGNATURE_LEN;
/// Exact payload length of a key-rotation frame: new key + proof.
pub const ROTATION_PAYLOAD_LEN: usize = 32 + 64;
/// Default largest payload a verifier accepts (16 MiB).
pub const DEFAULT_MAX_PAYLOAD: u32 = 16 * 1024 * 1024;

/// Where each field of a header (and of a seal) stands: the one
/// description of the layout, read by [`Header::parse`] and written by
/// [`Header::encode`] (SPEC §2 and §6.1). Offsets from the frame's first
/// byte; every integer is big-endian.
pub mod layout {
    use core::ops::Range;

    /// `FSEAL`.
    pub const MAGIC: Range<usize> = 0..5;
    /// The version byte: 1 or 2.
    pub const VERSION: Range<usize> = 5..6;
    /// KEYFRAME, END_OF_STREAM; the other bits zero.
    pub const FLAGS: Range<usize> = 6..7;
    /// The codec byte.
    pub const CODEC: Range<usize> = 7..8;
    /// The first 8 bytes of SHA-512 of the signing key.
    pub const KEY_ID: Range<usize> = 8..16;
    /// The streaming session.
    pub const STREAM_ID: Range<usize> = 16..32;
    /// The frame number.
    pub const SEQ: Range<usize> = 32..40;
    /// Capture time, µs since the Unix epoch.
    pub const TIMESTAMP_US: Range<usize> = 40..48;
    /// Payload length (version 1) or content length (version 2).
    pub const LENGTH: Range<usize> = 48..52;
    /// Version 2: BLAKE3 of the canonical content.
    pub const CONTENT_HASH: Range<usize> = 52..84;
    /// Version 2: the signature over the seal's first 84 bytes.
    pub const SEAL_SIGNATURE: Range<usize> = 84..148;
}

/// Flag bit: the frame starts a new reference chain (a keyframe).
pub const FLAG_KEYFRAME: u8 = 0b01;
/// Flag bit: the camera ends this stream with this frame.
pub const FLAG_END_OF_STREAM: u8 = 0b10;
const FLAGS_KNOWN: u8 = FLAG_KEYFRAME | FLAG_END_OF_STREAM;

/// What the payload of a frame is, from the frame's codec byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Codec {
    /// Bytes the verifier does not interpret.
    Opaque,
    /// A JPEG still.
    Jpeg,
    /// A PNG still.
    Png,
    /// A WebP still.
    Webp,
    /// H.264 access unit, Annex B.
    H264,
    /// H.265 access unit, Annex B.
    H265,
    /// VP8 frame.
    Vp8,
    /// VP9 frame.
    Vp9,
    /// AV1 temporal unit.
    Av1,
    /// In-band replacement of the device key (SPEC §5.2).
    KeyRotation,
}

impl Codec {
    /// Every codec, in codec-byte order.
    pub const ALL: [Codec; 10] = [
        Codec::Opaque,
        Codec::Jpeg,
        Codec::Png,
        Codec::Webp,
        Codec::H264,
        Codec::H265,
        Codec::Vp8,
        Codec::Vp9,
        Codec::Av1,
        Codec::KeyRotation,
    ];

    /// The codec a wire byte names, or `None` for a byte v1 does not define.
    pub fn from_byte(byte: u8) -> Option<Codec> {
        Codec::ALL.into_iter().find(|c| c.to_byte() == byte)
    }

    /// The wire byte of this codec.
    pub fn to_byte(self) -> u8 {
        match self {
            Codec::Opaque => 0,
            Codec::Jpeg => 1,
            Codec::Png => 2,
            Codec::Webp => 3,
            Codec::H264 => 16,
            Codec::H265 => 17,
            Codec::Vp8 => 18,
            Codec::Vp9 => 19,
            Codec::Av1 => 20,
            Codec::KeyRotation => 32,
        }
    }

    /// The stable lower-case name JS sees (`"jpeg"`, `"key-rotation"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Codec::Opaque => "opaque",
            Codec::Jpeg => "jpeg",
            Codec::Png => "png",
            Codec::Webp => "webp",
            Codec::H264 => "h264",
            Codec::H265 => "h265",
            Codec::Vp8 => "vp8",
            Codec::Vp9 => "vp9",
            Codec::Av1 => "av1",
            Codec::KeyRotation => "key-rotation",
        }
    }

    /// The codec with this JS name, if there is one.
    pub fn from_name(name: &str) -> Option<Codec> {
        Codec::ALL.into_iter().find(|c| c.name() == name)
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A frame's wire-format version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    /// Version 1: header, payload, then the signature over both.
    Envelope,
    /// Version 2: a seal (header, content hash, signature over the seal),
    /// then the payload.
    Sealed,
}

impl Version {
    /// The version byte.
    pub fn byte(self) -> u8 {
        match self {
            Version::Envelope => VERSION,
            Version::Sealed => SEAL_VERSION,
        }
    }

    /// The version a byte names, if this crate reads it.
    pub fn from_byte(byte: u8) -> Option<Version> {
        match byte {
            VERSION => Some(Version::Envelope),
            SEAL_VERSION => Some(Version::Sealed),
            _ => None,
        }
    }

    /// Bytes a frame of this version carries besides its payload.
    pub fn overhead(self) -> usize {
        match self {
            Version::Envelope => OVERHEAD,
            Version::Sealed => SEAL_LEN,
        }
    }
}

/// Why bytes are not a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// Fewer bytes than the layout needs.
    TooShort {
        /// Bytes present.
        len: usize,
    },
    /// The first five bytes are not `FSEAL`.
    BadMagic,
    /// Magic right, version neither 1 nor 2.
    UnsupportedVersion(u8),
    /// One of flag bits 2–7 is set.
    ReservedFlags(u8),
    /// The codec byte names no v1 codec.
    UnknownCodec(u8),
    /// `payload_len` is above the configured maximum.
    TooLarge {
        /// The declared payload length.
        payload_len: u32,
        /// The configured maximum.
        max: u32,
    },
    /// The overhead plus `payload_len` is not the frame's length.
    LengthMismatch {
        /// Length the header declares for the whole frame.
        declared: u64,
        /// Length actually present.
        actual: usize,
    },
    /// A key-rotation frame whose payload is not exactly 96 bytes.
    BadRotationLength(u32),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::TooShort { len } => {
                write!(
                    f,
                    "frame is {len} bytes, shorter than its version's minimum"
                )
            }
            FrameError::BadMagic => f.write_str("frame does not start with FSEAL"),
            FrameError::UnsupportedVersion(v) => write!(f, "unsupported frame version {v}"),
            FrameError::ReservedFlags(b) => write!(f, "reserved flag bits set (flags {b:#04x})"),
            FrameError::UnknownCodec(c) => write!(f, "unknown codec byte {c}"),
            FrameError::TooLarge { payload_len, max } => {
                write!(
                    f,
                    "payload of {payload_len} bytes is above the maximum of {max}"
                )
            }
            FrameError::LengthMismatch { declared, actual } => {
                write!(
                    f,
                    "header declares a {declared}-byte frame, {actual} bytes present"
                )
            }
            FrameError::BadRotationLength(n) => {
                write!(
                    f,
                    "key-rotation payload is {n} bytes, not {ROTATION_PAYLOAD_LEN}"
                )
            }
        }
    }
}

impl core::error::Error for FrameError {}

/// The fixed 52-byte header of a frame (the first 52 bytes of a seal, in
/// version 2), decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The wire-format version.
    pub version: Version,
    /// The KEYFRAME flag.
    pub keyframe: bool,
    /// The END_OF_STREAM flag.
    pub end_of_stream: bool,
    /// What the payload is.
    pub codec: Codec,
    /// Which device key claims to have signed the frame.
    pub key_id: [u8; 8],
    /// The streaming session the frame belongs to.
    pub stream_id: [u8; 16],
    /// Frame number within the stream.
    pub seq: u64,
    /// Capture time, microseconds since the Unix epoch.
    pub timestamp_us: u64,
    /// Number of payload bytes (version 2: of canonical content).
    pub payload_len: u32,
}

impl Header {
    /// The flags byte for this header.
    pub fn flags(&self) -> u8 {
        (if self.keyframe { FLAG_KEYFRAME } else { 0 })
            | (if self.end_of_stream {
                FLAG_END_OF_STREAM
            } else {
                0
            })
    }

    /// The length of the whole frame this header announces.
    pub fn frame_len(&self) -> u64 {
        self.version.overhead() as u64 + u64::from(self.payload_len)
    }

    /// Writes the 52 header bytes.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        let fields: [(Range<usize>, &[u8]); 9] = [
            (layout::MAGIC, &MAGIC),
            (layout::VERSION, &[self.version.byte()]),
            (layout::FLAGS, &[self.flags()]),
            (layout::CODEC, &[self.codec.to_byte()]),
            (layout::KEY_ID, &self.key_id),
            (layout::STREAM_ID, &self.stream_id),
            (layout::SEQ, &self.seq.to_be_bytes()),
            (layout::TIMESTAMP_US, &self.timestamp_us.to_be_bytes()),
            (layout::LENGTH, &self.payload_len.to_be_bytes()),
        ];
        for (at, bytes) in fields {
            if let Some(slot) = out.get_mut(at) {
                slot.copy_from_slice(bytes);
            }
        }
        out
    }

    /// Decodes a header from the first bytes of a frame whose full length is
    /// `frame_len`, applying every layout rule (see the module docs).
    ///
    /// `head` may be only the beginning of the frame (at least 52 bytes when
    /// the frame is that long), so an oversized frame can be judged without
    /// copying it.
    pub fn parse(head: &[u8], frame_len: usize, max_payload: u32) -> Result<Header, FrameError> {
        let magic: [u8; 5] =
            field(head, layout::MAGIC).ok_or(FrameError::TooShort { len: frame_len })?;
        if magic != MAGIC {
            return Err(FrameError::BadMagic);
        }
        let [version_byte] =
            field(head, layout::VERSION).ok_or(FrameError::TooShort { len: frame_len })?;
        let version =
            Version::from_byte(version_byte).ok_or(FrameError::UnsupportedVersion(version_byte))?;
        if frame_len < version.overhead() {
            return Err(FrameError::TooShort { len: frame_len });
        }
        let too_short = FrameError::TooShort { len: head.len() };
        let [flags] = field(head, layout::FLAGS).ok_or(too_short)?;
        if flags & !FLAGS_KNOWN != 0 {
            return Err(FrameError::ReservedFlags(flags));
        }
        let [codec_byte] = field(head, layout::CODEC).ok_or(too_short)?;
        let codec = Codec::from_byte(codec_byte).ok_or(FrameError::UnknownCodec(codec_byte))?;
        let key_id = field(head, layout::KEY_ID).ok_or(too_short)?;
        let stream_id = field(head, layout::STREAM_ID).ok_or(too_short)?;
        let seq = field(head, layout::SEQ)
            .map(u64::from_be_bytes)
            .ok_or(too_short)?;
        let timestamp_us = field(head, layout::TIMESTAMP_US)
            .map(u64::from_be_bytes)
            .ok_or(too_short)?;
        let payload_len = field(head, layout::LENGTH)
            .map(u32::from_be_bytes)
            .ok_or(too_short)?;
        if payload_len > max_payload {
            return Err(FrameError::TooLarge {
                payload_len,
                max: max_payload,
            });
        }
        let declared = version.overhead() as u64 + u64::from(payload_len);
        if declared != frame_len as u64 {
            return Err(FrameError::LengthMismatch {
                declared,
                actual: frame_len,
            });
        }
        if codec == Codec::KeyRotation && payload_len as usize != ROTATION_PAYLOAD_LEN {
            return Err(FrameError::BadRotationLength(payload_len));
        }
        Ok(Header {
            version,
            keyframe: flags & FLAG_KEYFRAME != 0,
            end_of_stream: flags & FLAG_END_OF_STREAM != 0,
            codec,
            key_id,
            stream_id,
            seq,
            timestamp_us,
            payload_len,
        })
    }
}

/// A frame that satisfied every layout rule, borrowing the bytes it was
/// parsed from. Its signature (and, in version 2, its content hash) has
/// not been checked: that is the verifier's job.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    header: Header,
    signed: &'a [u8],
    signature: &'a [u8; SIGNATURE_LEN],
    payload: &'a [u8],
    content_hash: Option<&'a [u8; CONTENT_HASH_LEN]>,
}

impl<'a> Frame<'a> {
    /// Parses one whole frame of either version (exactly one: no trailing
    /// bytes) whose payload may be at most `max_payload` bytes.
    pub fn parse(bytes: &'a [u8], max_payload: u32) -> Result<Frame<'a>, FrameError> {
        let header = Header::parse(bytes, bytes.len(), max_payload)?;
        let too_short = FrameError::TooShort { len: bytes.len() };
        // Header::parse proved bytes.len() == overhead + payload_len.
        match header.version {
            Version::Envelope => {
                let (signed, signature) =
                    bytes.split_last_chunk::<SIGNATURE_LEN>().ok_or(too_short)?;
                Ok(Frame {
                    header,
                    signed,
                    signature,
                    payload: signed.get(HEADER_LEN..).ok_or(too_short)?,
                    content_hash: None,
                })
            }
            Version::Sealed => {
                let seal = Seal::parse_parts(bytes).ok_or(too_short)?;
                Ok(Frame {
                    header,
                    signed: seal.signed,
                    signature: seal.signature,
                    payload: bytes.get(SEAL_LEN..).ok_or(too_short)?,
                    content_hash: Some(seal.content_hash),
                })
            }
        }
    }

    /// The decoded header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The payload bytes (a sub-slice of the input, never a copy).
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// The bytes the signature covers: header and payload (version 1), or
    /// the seal's first 84 bytes (version 2).
    pub fn signed_bytes(&self) -> &'a [u8] {
        self.signed
    }

    /// The 64 signature bytes.
    pub fn signature(&self) -> &'a [u8; SIGNATURE_LEN] {
        self.signature
    }

    /// Version 2: the hash the seal vouches for; the payload must hash to it.
    pub fn content_hash(&self) -> Option<&'a [u8; CONTENT_HASH_LEN]> {
        self.content_hash
    }

    /// Offset of the payload within the parsed bytes.
    pub fn payload_offset(&self) -> usize {
        match self.header.version {
            Version::Envelope => HEADER_LEN,
            Version::Sealed => SEAL_LEN,
        }
    }
}

/// The parts of a seal, borrowed (a seal's layout, without its rules: those
/// are [`Header::parse`]'s).
struct Seal<'a> {
    signed: &'a [u8],
    content_hash: &'a [u8; CONTENT_HASH_LEN],
    signature: &'a [u8; SIGNATURE_LEN],
}

impl<'a> Seal<'a> {
    fn parse_parts(bytes: &'a [u8]) -> Option<Seal<'a>> {
        let signed = bytes.get(..SEAL_SIGNED_LEN)?;
        let content_hash = bytes.get(layout::CONTENT_HASH)?.try_into().ok()?;
        let signature = bytes.get(layout::SEAL_SIGNATURE)?.try_into().ok()?;
        Some(Seal {
            signed,
            content_hash,
            signature,
        })
    }
}

/// Header followed by payload: the bytes a camera signs in version 1. The
/// signature is appended by the signer (`sign.rs`).
pub fn encode_signed_part(header: &Header, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(OVERHEAD + payload.len());
    out.extend_from_slice(&header.encode());
    out.extend_from_slice(payload);
    out
}

/// The signed part of a seal: the header (version 2, its length the
/// content's) and the content hash. The signature over these 84 bytes
/// completes the seal (`sign.rs`).
pub fn encode_seal_signed_part(
    header: &Header,
    content_hash: &[u8; CONTENT_HASH_LEN],
) -> [u8; SEAL_SIGNED_LEN] {
    let mut out = [0u8; SEAL_SIGNED_LEN];
    let (head, hash) = out.split_at_mut(HEADER_LEN);
    head.copy_from_slice(&header.encode());
    hash.copy_from_slice(content_hash);
    out
}

/// The content hash of a seal: BLAKE3 with a 256-bit output.
pub fn content_hash(content: &[u8]) -> [u8; CONTENT_HASH_LEN] {
    blake3::hash(content).into()
}

/// The 16 ASCII bytes that open the message a new key signs to prove it
/// agrees to replace the old one (SPEC §5.2).
pub const ROTATION_CONTEXT: [u8; 16] = *b"frameseal-rotate";

/// The 80-byte message `frameseal-rotate ‖ old key ‖ new key` that the
/// proof in a key-rotation payload signs with the new key.
pub fn rotation_proof_message(old_key: &[u8; 32], new_key: &[u8; 32]) -> [u8; 80] {
    let mut msg = [0u8; 80];
    msg[..16].copy_from_slice(&ROTATION_CONTEXT);
    msg[16..48].copy_from_slice(old_key);
    msg[48..].copy_from_slice(new_key);
    msg
}

/// The `N` bytes of `bytes` at `at`, or `None` when they are not all there
/// (or `at` is not `N` long).
fn field<const N: usize>(bytes: &[u8], at: Range<usize>) -> Option<[u8; N]> {
    bytes.get(at)?.try_into().ok()
}

#[cfg(test)]
mod tests;
