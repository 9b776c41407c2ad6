//! In-band carriage (SPEC §6.3): the seal inside one media unit.
//!
//! A camera's seal can ride inside the codec bitstream itself, so that
//! relays which carry nothing but that bitstream (RTSP→MSE gateways, fMP4
//! remuxers, WebRTC, HTTP MJPEG) carry it too. This module does the
//! bitstream side of that for one media unit (an H.264 / H.265 access
//! unit, an AV1 temporal unit, a JPEG file):
//!
//! - [`find_seal`]: the one frameseal seal the unit holds, wherever it
//!   stands (any SEI NAL unit, any metadata OBU, any APP15 before the first
//!   scan), or none; two are an error;
//! - [`content`]: the canonical content the seal's hash covers, streamed
//!   piece by piece to a closure (a hasher), so the unit is never copied;
//! - [`insert_seal`]: the unit with a seal inserted where §6.3 tells a
//!   signer to put it, in the unit's own layout;
//! - [`is_keyframe`]: whether the unit starts a decodable sequence, for a
//!   signer setting the seal's KEYFRAME flag.
//!
//! It knows nothing about keys, hashes or policy: a seal is an opaque
//! [`SEAL_LEN`]-byte body here, found and placed but never checked. The
//! verifier (`verify.rs`) checks it.
//!
//! ```
//! use frameseal::inband::{self, Layout, UnitCodec, UnitFormat, SEAL_LEN};
//!
//! // An H.264 access unit in Annex B: SPS, PPS, one IDR slice.
//! let unit = [
//!     0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x0a,
//!     0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80,
//!     0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x00, 0x03, 0x01, 0x40,
//! ];
//! let format = UnitFormat::new(UnitCodec::H264, Layout::AnnexB).expect("a valid pair");
//! assert!(inband::find_seal(&unit, format)?.is_none());
//! assert!(inband::is_keyframe(&unit, format)?);
//!
//! let mut seal = [0x5a; SEAL_LEN];
//! seal[..5].copy_from_slice(b"FSEAL");
//! let sealed = inband::insert_seal(&unit, format, &seal)?;
//! assert_eq!(inband::find_seal(&sealed, format)?.and_then(|s| s.seal().copied()), Some(seal));
//!
//! // The seal is not part of what it covers.
//! let mut before = Vec::new();
//! let mut after = Vec::new();
//! inband::content(&unit, format, true, None, &mut |piece| before.extend_from_slice(piece))?;
//! inband::content(&sealed, format, true, None, &mut |piece| after.extend_from_slice(piece))?;
//! assert_eq!(before, after);
//! # Ok::<(), inband::UnitError>(())
//! ```
//!
//! Parsing is strict and bounded: every length read from a unit is checked
//! against the bytes that remain before anything is read or allocated; no
//! allocation is sized by a length field; nothing panics or overflows
//! (fuzzed: `fuzz/fuzz_targets/{h26x_units,av1_units,jpeg_units,seal_insertion}.rs`).
//! Every function first splits the whole unit and finds its seal, so a
//! unit that cannot be split, or that holds two seals, fails every function
//! with the same error.

use alloc::vec::Vec;
use core::fmt;

use crate::memory::OutOfMemory;

mod av1;
pub mod elementary;
mod h26x;
mod jpeg;
#[cfg(any(test, feature = "fuzzing"))]
pub mod testing;

/// The frameseal UUID `1e9e82f4-0543-4020-b0e9-a5693c67c235`: the first 16
/// bytes of every in-band seal message (SEI `user_data_unregistered`,
/// AV1 metadata type 31, JPEG APP15), which tells a seal from other
/// vendors' data in the same kind of message.
pub const FRAMESEAL_UUID: [u8; 16] = [
    0x1e, 0x9e, 0x82, 0xf4, 0x05, 0x43, 0x40, 0x20, 0xb0, 0xe9, 0xa5, 0x69, 0x3c, 0x67, 0xc2, 0x35,
];

/// Length of a seal (SPEC §6.1), the body a signer places after the UUID.
pub const SEAL_LEN: usize = 148;

/// The codec of a media unit; its seal's codec byte must name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnitCodec {
    /// H.264 / AVC access units.
    H264,
    /// H.265 / HEVC access units.
    H265,
    /// AV1 temporal units.
    Av1,
    /// Whole JPEG files.
    Jpeg,
}

impl UnitCodec {
    /// The codec byte a seal for this codec carries (SPEC §2, §6.3): 16,
    /// 17, 20, 1; so a verifier can refuse a seal made for another codec.
    pub fn codec_byte(self) -> u8 {
        match self {
            UnitCodec::H264 => 16,
            UnitCodec::H265 => 17,
            UnitCodec::Av1 => 20,
            UnitCodec::Jpeg => 1,
        }
    }
}

impl fmt::Display for UnitCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnitCodec::H264 => "h264",
            UnitCodec::H265 => "h265",
            UnitCodec::Av1 => "av1",
            UnitCodec::Jpeg => "jpeg",
        })
    }
}

/// How a unit's bytes are laid out (SPEC §6.3, "Layouts of a unit handed
/// over").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// H.264 / H.265 NAL units each after a 3- or 4-byte start code, as in
    /// `.h264` files and WebRTC encoded frames.
    AnnexB,
    /// H.264 / H.265 NAL units each after its big-endian length, as in MP4
    /// samples.
    Avcc {
        /// Bytes of each length: 1, 2 or 4 (the configuration record's
        /// `lengthSizeMinusOne` + 1).
        nal_length_size: u8,
    },
    /// AV1 low-overhead format, as in MP4 samples, IVF frames and WebCodecs
    /// chunks: every OBU has its size field, except that the last one may
    /// run to the end of the unit.
    Obu,
    /// A whole JPEG file.
    Jpeg,
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Layout::AnnexB => f.write_str("annexb"),
            Layout::Avcc { nal_length_size } => write!(f, "avcc ({nal_length_size}-byte lengths)"),
            Layout::Obu => f.write_str("obu"),
            Layout::Jpeg => f.write_str("jpeg"),
        }
    }
}

/// A codec with a layout that fits it: only such pairs exist, so the
/// functions below never judge a unit by a layout it cannot have.
///
/// Kept apart from [`UnitError`] on purpose: a wrong pair is the caller's
/// mistake (a bad argument), never a verdict on a unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UnitFormat {
    codec: UnitCodec,
    layout: Layout,
}

impl UnitFormat {
    /// The pair, if the layout fits the codec: H.264 and H.265 in `AnnexB`
    /// or `Avcc` with 1-, 2- or 4-byte lengths, AV1 in `Obu`, JPEG in
    /// `Jpeg`.
    pub fn new(codec: UnitCodec, layout: Layout) -> Result<UnitFormat, FormatError> {
        let fits = match (codec, layout) {
            (UnitCodec::H264 | UnitCodec::H265, Layout::AnnexB) => true,
            (UnitCodec::H264 | UnitCodec::H265, Layout::Avcc { nal_length_size }) => {
                if !matches!(nal_length_size, 1 | 2 | 4) {
                    return Err(FormatError::NalLengthSize(nal_length_size));
                }
                true
            }
            (UnitCodec::Av1, Layout::Obu) | (UnitCodec::Jpeg, Layout::Jpeg) => true,
            _ => false,
        };
        if fits {
            Ok(UnitFormat { codec, layout })
        } else {
            Err(FormatError::LayoutNotForCodec { codec, layout })
        }
    }

    /// The codec.
    pub fn codec(&self) -> UnitCodec {
        self.codec
    }

    /// The layout.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Which parser reads units of this format.
    fn kind(&self) -> Kind {
        let nal = match self.codec {
            UnitCodec::H264 => h26x::NalCodec::H264,
            UnitCodec::H265 => h26x::NalCodec::H265,
            UnitCodec::Av1 => return Kind::Av1,
            UnitCodec::Jpeg => return Kind::Jpeg,
        };
        // `new` admits only 1, 2 and 4 for avcc.
        let framing = match self.layout {
            Layout::Avcc { nal_length_size } => h26x::Framing::Length(usize::from(nal_length_size)),
            _ => h26x::Framing::AnnexB,
        };
        Kind::H26x(nal, framing)
    }
}

/// The parser for a [`UnitFormat`].
enum Kind {
    H26x(h26x::NalCodec, h26x::Framing),
    Av1,
    Jpeg,
}

/// A codec and layout that do not go together (a bad argument, not a
/// verdict on any unit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormatError {
    /// The layout is not one this codec's units come in.
    LayoutNotForCodec {
        /// The codec asked for.
        codec: UnitCodec,
        /// The layout asked for.
        layout: Layout,
    },
    /// An avcc length size other than 1, 2 or 4.
    NalLengthSize(u8),
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::LayoutNotForCodec { codec, layout } => {
                write!(f, "{codec} units do not come in the {layout} layout")
            }
            FormatError::NalLengthSize(n) => {
                write!(f, "NAL unit length size {n} is not 1, 2 or 4")
            }
        }
    }
}

impl core::error::Error for FormatError {}

/// Why a unit could not be split, read or sealed.
///
/// Every variant but [`OutOfMemory`](UnitError::OutOfMemory),
/// [`AlreadySealed`](UnitError::AlreadySealed) and
/// [`NoPicture`](UnitError::NoPicture) means the unit is `malformed`
/// (SPEC §6.3 check 1). Offsets (`at`) count bytes from the start of the
/// unit (of the configuration record for `BadConfig`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnitError {
    /// The unit has no bytes.
    Empty,
    /// An Annex B unit that does not begin with a start code (two or more
    /// zero bytes, then `01`).
    NoStartCode,
    /// An avcc length prefix, or the NAL unit it announces, runs past the
    /// end of the unit.
    Truncated {
        /// Offset of the length prefix.
        at: usize,
    },
    /// A NAL unit with nothing in it once trailing zero bytes are gone: a
    /// zero length prefix, two start codes in a row.
    EmptyNalUnit {
        /// Offset of its first byte.
        at: usize,
    },
    /// A NAL unit header with `forbidden_zero_bit` set, or an H.265 one
    /// shorter than two bytes or with `nuh_temporal_id_plus1` 0.
    BadNalHeader {
        /// Offset of the NAL unit.
        at: usize,
    },
    /// Bytes no NAL unit may hold: `00 00 00`, `00 00 01` (avcc) or
    /// `00 00 02`, or `00 00 03` followed by a byte above 3. A decoder cuts
    /// the NAL unit there, so it would not decode what was signed.
    ForbiddenBytes {
        /// Offset of the first `00`.
        at: usize,
    },
    /// An SEI NAL unit whose messages do not parse: a payload size past the
    /// end of the NAL unit, no `rbsp_trailing_bits`.
    BadSei {
        /// Offset of the SEI NAL unit.
        at: usize,
    },
    /// An OBU that does not parse: forbidden bit set, header or leb128 size
    /// cut short, a leb128 of more than 8 bytes or above 2^32 - 1, a size
    /// past the end, a size field missing before the last OBU, a metadata
    /// OBU without its type, a seal metadata OBU without its trailing byte.
    BadObu {
        /// Offset of the OBU.
        at: usize,
    },
    /// A JPEG that does not parse: no SOI, a byte where a marker should be,
    /// a marker that is not one (`FF 00`, `FF 02`–`FF BF`, a second SOI, a
    /// restart marker outside a scan), a segment length below 2 or past the
    /// end.
    BadJpeg {
        /// Offset of the offending byte or marker.
        at: usize,
    },
    /// A JPEG whose markers run out before its EOI.
    NoEndOfImage,
    /// Two or more frameseal seals in one unit (SPEC §6.3: a unit carries at
    /// most one).
    TwoSeals,
    /// A keyframe that carries no parameter set (sequence header), with no
    /// configuration record holding one: what it decodes with is unknown,
    /// so its content cannot be derived.
    NoParameterSets,
    /// The decoder configuration record (`avcC`, `hvcC`, `av1C` payload)
    /// does not parse.
    BadConfig {
        /// Offset in the record.
        at: usize,
    },
    /// [`insert_seal`] on a unit that already holds a frameseal seal.
    AlreadySealed,
    /// [`insert_seal`] on a unit with no picture (no VCL NAL unit, no frame
    /// or frame-header OBU) to put the seal before.
    NoPicture,
    /// A NAL unit, OBU or sealed unit longer than its length field can say
    /// (4 GiB in the content, 255 or 65535 bytes for a 1- or 2-byte avcc
    /// length).
    TooLong,
    /// The memory the call needed could not be allocated (not a verdict on
    /// the unit).
    OutOfMemory(OutOfMemory),
}

impl fmt::Display for UnitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnitError::Empty => f.write_str("unit is empty"),
            UnitError::NoStartCode => f.write_str("unit does not begin with a start code"),
            UnitError::Truncated { at } => {
                write!(
                    f,
                    "NAL unit length at byte {at} runs past the end of the unit"
                )
            }
            UnitError::EmptyNalUnit { at } => write!(f, "empty NAL unit at byte {at}"),
            UnitError::BadNalHeader { at } => write!(f, "invalid NAL unit header at byte {at}"),
            UnitError::ForbiddenBytes { at } => {
                write!(f, "byte sequence forbidden in a NAL unit at byte {at}")
            }
            UnitError::BadSei { at } => write!(f, "SEI NAL unit at byte {at} does not parse"),
            UnitError::BadObu { at } => write!(f, "OBU at byte {at} does not parse"),
            UnitError::BadJpeg { at } => write!(f, "JPEG does not parse at byte {at}"),
            UnitError::NoEndOfImage => f.write_str("JPEG has no end-of-image marker"),
            UnitError::TwoSeals => f.write_str("unit holds more than one frameseal seal"),
            UnitError::NoParameterSets => {
                f.write_str("keyframe carries no parameter sets and no configuration gives them")
            }
            UnitError::BadConfig { at } => {
                write!(
                    f,
                    "decoder configuration record does not parse at byte {at}"
                )
            }
            UnitError::AlreadySealed => f.write_str("unit already holds a frameseal seal"),
            UnitError::NoPicture => f.write_str("unit holds no picture to put a seal before"),
            UnitError::TooLong => f.write_str("unit or one of its parts is too long"),
            UnitError::OutOfMemory(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for UnitError {}

/// A seal body as found in a unit: the bytes after the frameseal UUID, of
/// whatever length the message gave (a verifier tells a wrong version from
/// a wrong length by them, SPEC §6.3).
///
/// It keeps the first [`SEAL_LEN`] bytes and the length, not a borrow of
/// the unit: in H.264 / H.265 the body sits behind emulation prevention,
/// so its bytes are not contiguous in the unit, and a body of any length
/// costs no allocation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SealBody {
    len: usize,
    head: [u8; SEAL_LEN],
}

impl SealBody {
    fn new() -> SealBody {
        SealBody {
            len: 0,
            head: [0; SEAL_LEN],
        }
    }

    /// Appends one byte of the body (only the first `SEAL_LEN` are kept).
    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.head.get_mut(self.len) {
            *slot = byte;
        }
        self.len = self.len.saturating_add(1);
    }

    fn from_slice(body: &[u8]) -> SealBody {
        let mut seal = SealBody::new();
        let kept = body.len().min(SEAL_LEN);
        seal.head[..kept].copy_from_slice(&body[..kept]);
        seal.len = body.len();
        seal
    }

    /// The body's length in bytes; a seal is exactly [`SEAL_LEN`].
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the message held nothing after the UUID.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The body's first `min(len, SEAL_LEN)` bytes: enough to read its
    /// magic and version whatever its length.
    pub fn head(&self) -> &[u8] {
        &self.head[..self.len.min(SEAL_LEN)]
    }

    /// The body as a seal, if it is exactly [`SEAL_LEN`] bytes long.
    pub fn seal(&self) -> Option<&[u8; SEAL_LEN]> {
        (self.len == SEAL_LEN).then_some(&self.head)
    }
}

impl fmt::Debug for SealBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealBody")
            .field("len", &self.len)
            .field("head", &self.head())
            .finish()
    }
}

/// The frameseal seal `unit` holds, or `None`: any SEI
/// `user_data_unregistered` message with the frameseal UUID (prefix or
/// suffix SEI, alone or among other messages), any AV1 metadata OBU of
/// type 31 with it, any JPEG APP15 segment with it before the first scan
/// (SPEC §6.3, "where a verifier looks").
///
/// The whole unit is split first; a unit that cannot be split, a JPEG
/// without EOI, or two seals are errors.
pub fn find_seal(unit: &[u8], format: UnitFormat) -> Result<Option<SealBody>, UnitError> {
    if unit.is_empty() {
        return Err(UnitError::Empty);
    }
    match format.kind() {
        Kind::H26x(codec, framing) => h26x::find_seal(unit, codec, framing),
        Kind::Av1 => av1::find_seal(unit),
        Kind::Jpeg => jpeg::find_seal(unit),
    }
}

/// The unit's canonical content (SPEC §6.3: **P** then **V** for video, the
/// file without its seal segment for JPEG), given to `sink` in pieces that
/// concatenate to it, so a caller can hash it without a copy of the unit.
/// Returns its length in bytes.
///
/// `keyframe` is the seal's KEYFRAME flag: only keyframe units cover
/// parameter sets (P). A keyframe that carries none takes them from
/// `config`, the decoder configuration record (`avcC` / `hvcC` / `av1C`
/// box payload without the 8-byte box header), which is read only then;
/// with none there either, it is [`UnitError::NoParameterSets`]. `config`
/// is ignored for JPEG.
///
/// On an error, what `sink` was given is meaningless (the unit is split as
/// the content is produced).
pub fn content(
    unit: &[u8],
    format: UnitFormat,
    keyframe: bool,
    config: Option<&[u8]>,
    sink: &mut dyn FnMut(&[u8]),
) -> Result<u64, UnitError> {
    if unit.is_empty() {
        return Err(UnitError::Empty);
    }
    let mut out = Sink {
        sink: Some(sink),
        len: 0,
    };
    content_into(unit, format, keyframe, config, &mut out)?;
    Ok(out.len)
}

/// [`content`] into `out`, for a unit that is not empty.
fn content_into(
    unit: &[u8],
    format: UnitFormat,
    keyframe: bool,
    config: Option<&[u8]>,
    out: &mut Sink<'_>,
) -> Result<(), UnitError> {
    match format.kind() {
        Kind::H26x(codec, framing) => h26x::content(unit, codec, framing, keyframe, config, out),
        Kind::Av1 => av1::content(unit, keyframe, config, out),
        Kind::Jpeg => jpeg::content(unit, out),
    }
}

/// A unit split once, for the verifier: its seal as [`find_seal`] finds
/// it, and, for an H.264 / H.265 unit with few enough parameter sets and
/// VCL NAL units (at most [`h26x::KEPT`], held inline: nothing is
/// allocated), those NAL units, so that its content is measured and then
/// hashed without splitting the unit again (in Annex B, without scanning
/// for start codes again). Other units are split again for their content,
/// as [`content`] does.
pub(crate) struct Surveyed<'a> {
    unit: &'a [u8],
    format: UnitFormat,
    seal: Option<SealBody>,
    nals: Option<h26x::Kept<'a>>,
}

/// Splits `unit` once: [`find_seal`]'s checks and errors, with what
/// [`Surveyed::content`] needs kept.
pub(crate) fn survey(unit: &[u8], format: UnitFormat) -> Result<Surveyed<'_>, UnitError> {
    if unit.is_empty() {
        return Err(UnitError::Empty);
    }
    let (seal, nals) = match format.kind() {
        Kind::H26x(codec, framing) => h26x::survey_kept(unit, codec, framing)?,
        Kind::Av1 => (av1::find_seal(unit)?, None),
        Kind::Jpeg => (jpeg::find_seal(unit)?, None),
    };
    Ok(Surveyed {
        unit,
        format,
        seal,
        nals,
    })
}

impl Surveyed<'_> {
    /// The unit's frameseal seal, if it holds one.
    pub(crate) fn seal(&self) -> Option<&SealBody> {
        self.seal.as_ref()
    }

    /// [`content`] of the surveyed unit, given to `sink`, or only measured
    /// when `sink` is `None` (then no byte is read twice: a NAL unit's
    /// length without emulation prevention is known from the survey).
    /// Returns its length; the same length and errors as [`content`].
    pub(crate) fn content(
        &self,
        keyframe: bool,
        config: Option<&[u8]>,
        sink: Option<Feed<'_>>,
    ) -> Result<u64, UnitError> {
        let mut out = Sink { sink, len: 0 };
        match (&self.nals, self.format.kind()) {
            (Some(kept), Kind::H26x(codec, _)) => {
                h26x::content_kept(kept, codec, keyframe, config, &mut out)?
            }
            _ => content_into(self.unit, self.format, keyframe, config, &mut out)?,
        }
        Ok(out.len)
    }
}

/// `unit` with `seal` inserted where SPEC §6.3 tells a signer to put it, in
/// the same layout:
/// - H.264 / H.265: one SEI NAL unit (prefix SEI for H.265, with the first
///   VCL NAL unit's temporal id) holding one `user_data_unregistered`
///   message, UUID ‖ seal, with emulation prevention, immediately before
///   the first VCL NAL unit (a 4-byte start code in Annex B);
/// - AV1: one metadata OBU (type 31, UUID ‖ seal, trailing byte `0x80`,
///   with a size field) immediately before the first frame or frame-header
///   OBU;
/// - JPEG: one APP15 segment right after the leading run of APP0/APP1
///   segments (after SOI when there is none).
///
/// Nothing else in the unit changes, so its [`content`] is the same before
/// and after. A unit that already holds a frameseal seal is refused
/// ([`UnitError::AlreadySealed`]), as is a video unit with no picture
/// ([`UnitError::NoPicture`]).
pub fn insert_seal(
    unit: &[u8],
    format: UnitFormat,
    seal: &[u8; SEAL_LEN],
) -> Result<Vec<u8>, UnitError> {
    if unit.is_empty() {
        return Err(UnitError::Empty);
    }
    match format.kind() {
        Kind::H26x(codec, framing) => h26x::insert_seal(unit, codec, framing, seal),
        Kind::Av1 => av1::insert_seal(unit, seal),
        Kind::Jpeg => jpeg::insert_seal(unit, seal),
    }
}

/// Whether `unit` is a keyframe, for a signer setting the seal's KEYFRAME
/// flag: it holds an IDR slice (H.264, NAL type 5) or an IRAP picture
/// (H.265, NAL types 16–23); its first frame header is a key frame that is
/// not shown from an earlier unit (AV1: `show_existing_frame` 0 and
/// `frame_type` KEY_FRAME, or a reduced still-picture header); always for
/// JPEG.
///
/// The unit is split as for [`find_seal`] (with the same errors); for AV1
/// the first frame header's first bits must also be there.
pub fn is_keyframe(unit: &[u8], format: UnitFormat) -> Result<bool, UnitError> {
    if unit.is_empty() {
        return Err(UnitError::Empty);
    }
    match format.kind() {
        Kind::H26x(codec, framing) => h26x::is_keyframe(unit, codec, framing),
        Kind::Av1 => av1::is_keyframe(unit),
        Kind::Jpeg => jpeg::find_seal(unit).map(|_| true),
    }
}

/// What of `unit` may reach a decoder (SPEC §6.3, "parameter sets inside
/// a delta unit are not covered"): a keyframe unit as it is, since the seal
/// covers its parameter sets; any other unit without its parameter sets
/// (H.264 SPS / PPS, H.265 VPS / SPS / PPS, AV1 sequence headers), which no
/// seal covers, so that a decoder only ever uses parameter sets a verified
/// keyframe vouched for. A JPEG as it is. The unit is split as for
/// [`find_seal`], with the same errors.
pub fn for_decoder(unit: &[u8], format: UnitFormat, keyframe: bool) -> Result<Vec<u8>, UnitError> {
    if unit.is_empty() {
        return Err(UnitError::Empty);
    }
    match format.kind() {
        Kind::H26x(..) | Kind::Av1 if keyframe => {
            let mut out = vec_with_capacity(unit.len())?;
            out.extend_from_slice(unit);
            Ok(out)
        }
        Kind::H26x(codec, framing) => h26x::without_parameter_sets(unit, codec, framing),
        Kind::Av1 => av1::without_sequence_headers(unit),
        Kind::Jpeg => {
            let mut out = vec_with_capacity(unit.len())?;
            out.extend_from_slice(unit);
            Ok(out)
        }
    }
}

/// Whether `unit` carries parameter sets (H.264 SPS / PPS, H.265 VPS /
/// SPS / PPS, AV1 sequence headers) that [`for_decoder`] would take out of
/// a delta unit: a cheap test first (in the `avcc` layout only the NAL
/// headers are read), so units without any are handed on as they are.
/// Always false for JPEG.
pub fn carries_parameter_sets(unit: &[u8], format: UnitFormat) -> Result<bool, UnitError> {
    if unit.is_empty() {
        return Err(UnitError::Empty);
    }
    match format.kind() {
        Kind::H26x(codec, framing) => h26x::carries_parameter_sets(unit, codec, framing),
        Kind::Av1 => av1::carries_sequence_headers(unit),
        Kind::Jpeg => Ok(false),
    }
}

/// Whether a verified keyframe `unit` vouches for the decoder
/// configuration record `config` (`avcC` / `hvcC` / `av1C` payload), so
/// that the record may reach a decoder (SPEC §7): every parameter set in
/// the record is one the keyframe's P covers. A keyframe that carries no
/// parameter sets took P from the record itself, so it vouches for it; one
/// that carries its own vouches only if the record holds nothing else. A
/// JPEG has no record: always true. The unit is split as for
/// [`find_seal`], with the same errors; a record that cannot be read is
/// [`UnitError::BadConfig`].
pub fn vouches_for(unit: &[u8], format: UnitFormat, config: &[u8]) -> Result<bool, UnitError> {
    if unit.is_empty() {
        return Err(UnitError::Empty);
    }
    match format.kind() {
        Kind::H26x(codec, framing) => h26x::vouches_for(unit, codec, framing, config),
        Kind::Av1 => av1::vouches_for(unit, config),
        Kind::Jpeg => Ok(true),
    }
}

/// `unit` without the parts in `[start, end)` ranges that `drop` marks:
/// `starts` are the parts' first offsets in order (each part runs to the
/// next one's start, the last to the end of the unit).
fn without_parts(unit: &[u8], starts: &[(usize, bool)]) -> Result<Vec<u8>, UnitError> {
    let mut out = vec_with_capacity(unit.len())?;
    for (i, &(at, drop)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(unit.len(), |next| next.0);
        if !drop {
            out.extend_from_slice(unit.get(at..end).ok_or(UnitError::Truncated { at })?);
        }
    }
    Ok(out)
}

/// Where the content's pieces go (a hasher's update, in the verifier).
type Feed<'s> = &'s mut dyn FnMut(&[u8]);

/// The caller's sink with the running content length; with no sink, the
/// length alone is measured.
struct Sink<'s> {
    sink: Option<Feed<'s>>,
    len: u64,
}

impl Sink<'_> {
    fn put(&mut self, piece: &[u8]) -> Result<(), UnitError> {
        self.count(piece.len())?;
        if let Some(sink) = self.sink.as_mut().filter(|_| !piece.is_empty()) {
            sink(piece);
        }
        Ok(())
    }

    /// Adds `n` bytes to the length without giving them to the sink.
    fn count(&mut self, n: usize) -> Result<(), UnitError> {
        let n = u64::try_from(n).map_err(|_| UnitError::TooLong)?;
        self.len = self.len.checked_add(n).ok_or(UnitError::TooLong)?;
        Ok(())
    }

    /// Whether only the length is wanted.
    fn measuring(&self) -> bool {
        self.sink.is_none()
    }

    /// One content item's `u32` big-endian length prefix (SPEC §6.3 V).
    fn put_len(&mut self, len: usize) -> Result<(), UnitError> {
        let len = u32::try_from(len).map_err(|_| UnitError::TooLong)?;
        self.put(&len.to_be_bytes())
    }
}

/// A cursor over a byte slice that fails instead of panicking when the
/// bytes run out (the configuration records and OBU headers are read with
/// it).
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8]) -> Cursor<'a> {
        Cursor { bytes, pos: 0 }
    }

    /// Offset of the next byte.
    fn pos(&self) -> usize {
        self.pos
    }

    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }

    fn is_empty(&self) -> bool {
        self.rest().is_empty()
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let taken = self.rest().get(..n)?;
        self.pos += n;
        Some(taken)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).and_then(|b| b.first().copied())
    }

    fn u16(&mut self) -> Option<u16> {
        let b = self.take(2)?;
        Some(u16::from_be_bytes([*b.first()?, *b.get(1)?]))
    }
}

/// Reads a unit's parts (NAL units, OBUs) one at a time: the next part,
/// `None` after the last, or why the bytes do not split there.
trait Splitter {
    type Part;

    fn step(&mut self) -> Result<Option<Self::Part>, UnitError>;
}

/// A [`Splitter`]'s parts in order: each part, then nothing, or the first
/// error and nothing after it.
struct Parts<S> {
    splitter: S,
    done: bool,
}

impl<S> Parts<S> {
    fn new(splitter: S) -> Parts<S> {
        Parts {
            splitter,
            done: false,
        }
    }
}

impl<S: Splitter> Iterator for Parts<S> {
    type Item = Result<S::Part, UnitError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let step = self.splitter.step();
        self.done = !matches!(step, Ok(Some(_)));
        step.transpose()
    }
}

/// P (SPEC §6.3): the parameter sets (sequence headers) a keyframe unit
/// holds, else those of its decoder configuration record, sorted by `cmp`
/// and each once; [`UnitError::NoParameterSets`] if neither has any.
fn parameter_sets<T>(
    mut sets: Vec<T>,
    from_config: impl FnOnce() -> Result<Vec<T>, UnitError>,
    cmp: impl Fn(&T, &T) -> core::cmp::Ordering,
) -> Result<Vec<T>, UnitError> {
    if sets.is_empty() {
        sets = from_config()?;
        if sets.is_empty() {
            return Err(UnitError::NoParameterSets);
        }
    }
    heap_sort_by(&mut sets, &cmp);
    sets.dedup_by(|a, b| cmp(a, b).is_eq());
    Ok(sets)
}

/// Sorts `items` by `cmp` in O(n log n) without extra memory. `core`'s
/// `sort_unstable_by` would do the same, but its pattern-defeating
/// quicksort is ~10 KB of WebAssembly per element type (two here), a fifth
/// of the gzip budget of the `.wasm` for lists that hold one to three
/// parameter sets.
pub(crate) fn heap_sort_by<T>(items: &mut [T], cmp: impl Fn(&T, &T) -> core::cmp::Ordering) {
    // Moves items[root] down until it is no smaller than its children,
    // within items[..end].
    let sift_down = |items: &mut [T], mut root: usize, end: usize| loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && cmp(&items[child], &items[child + 1]).is_lt() {
            child += 1;
        }
        if cmp(&items[root], &items[child]).is_ge() {
            return;
        }
        items.swap(root, child);
        root = child;
    };
    let len = items.len();
    for root in (0..len / 2).rev() {
        sift_down(items, root, len);
    }
    for end in (1..len).rev() {
        items.swap(0, end);
        sift_down(items, 0, end);
    }
}

/// How many bytes equal to `byte` stand in a row from `from` (none past the
/// end).
fn run_len(bytes: &[u8], from: usize, byte: u8) -> usize {
    bytes
        .get(from..)
        .unwrap_or_default()
        .iter()
        .take_while(|&&b| b == byte)
        .count()
}

/// The first offset from `i` where `byte` may stand, moving 8 bytes at a
/// time while none holds it: a word holds `byte` exactly when the word
/// XOR `byte` repeated has a zero byte, which the bit trick finds exactly.
/// Coded slices rarely hold a zero byte and JPEG scan data rarely an `FF`,
/// so the scans touch most bytes only here.
fn skip_words_without(bytes: &[u8], mut i: usize, byte: u8) -> usize {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let repeated = LOW * u64::from(byte);
    while let Some(word) = bytes.get(i..).and_then(|rest| rest.first_chunk::<8>()) {
        let w = u64::from_le_bytes(*word) ^ repeated;
        if w.wrapping_sub(LOW) & !w & HIGH != 0 {
            break;
        }
        i += 8;
    }
    i
}

/// `unit` with `parts` inserted, in order, at offset `at`: how every layout
/// takes its seal.
fn spliced(unit: &[u8], at: usize, parts: &[&[u8]]) -> Result<Vec<u8>, UnitError> {
    let total = parts
        .iter()
        .try_fold(unit.len(), |total, part| total.checked_add(part.len()))
        .ok_or(UnitError::TooLong)?;
    let mut out = vec_with_capacity(total)?;
    let (before, after) = unit.split_at(at.min(unit.len()));
    out.extend_from_slice(before);
    for part in parts {
        out.extend_from_slice(part);
    }
    out.extend_from_slice(after);
    Ok(out)
}

/// Allocates an empty vector for `len` bytes, or says it could not.
fn vec_with_capacity(len: usize) -> Result<Vec<u8>, UnitError> {
    let mut out = Vec::new();
    out.try_reserve_exact(len)
        .map_err(|_| UnitError::OutOfMemory(OutOfMemory { bytes: len }))?;
    Ok(out)
}

/// Reserves room for one more item in `items`, or says it could not.
fn reserve_one<T>(items: &mut Vec<T>) -> Result<(), UnitError> {
    items.try_reserve(1).map_err(|_| {
        UnitError::OutOfMemory(OutOfMemory {
            bytes: items
                .len()
                .saturating_add(1)
                .saturating_mul(core::mem::size_of::<T>()),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn heap_sort_by_sorts_like_the_standard_sort() {
        // Every length up to 40 (odd and even heaps), with repeats and a
        // reverse order through `cmp`.
        let mut x = 1u32;
        for len in 0..40 {
            let mut items: Vec<u32> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x % 8
                })
                .collect();
            let mut expected = items.clone();
            expected.sort_by(|a, b| b.cmp(a));
            heap_sort_by(&mut items, |a, b| b.cmp(a));
            assert_eq!(items, expected, "length {len}");
        }
    }

    #[test]
    fn formats_pair_each_codec_with_its_layouts_only() {
        for n in [1, 2, 4] {
            let avcc = Layout::Avcc { nal_length_size: n };
            assert!(UnitFormat::new(UnitCodec::H264, avcc).is_ok());
            assert!(UnitFormat::new(UnitCodec::H265, avcc).is_ok());
        }
        for n in [0, 3, 5, 8] {
            let avcc = Layout::Avcc { nal_length_size: n };
            assert_eq!(
                UnitFormat::new(UnitCodec::H264, avcc),
                Err(FormatError::NalLengthSize(n))
            );
        }
        assert!(UnitFormat::new(UnitCodec::Av1, Layout::Obu).is_ok());
        assert!(UnitFormat::new(UnitCodec::Jpeg, Layout::Jpeg).is_ok());
        for (codec, layout) in [
            (UnitCodec::H264, Layout::Obu),
            (UnitCodec::H265, Layout::Jpeg),
            (UnitCodec::Av1, Layout::AnnexB),
            (UnitCodec::Av1, Layout::Avcc { nal_length_size: 4 }),
            (UnitCodec::Jpeg, Layout::AnnexB),
        ] {
            assert_eq!(
                UnitFormat::new(codec, layout),
                Err(FormatError::LayoutNotForCodec { codec, layout })
            );
        }
        let f = UnitFormat::new(UnitCodec::H265, Layout::Avcc { nal_length_size: 2 }).unwrap();
        assert_eq!(
            (f.codec(), f.layout()),
            (UnitCodec::H265, Layout::Avcc { nal_length_size: 2 })
        );
    }

    #[test]
    fn codec_bytes_are_the_spec_ones() {
        assert_eq!(UnitCodec::H264.codec_byte(), 16);
        assert_eq!(UnitCodec::H265.codec_byte(), 17);
        assert_eq!(UnitCodec::Av1.codec_byte(), 20);
        assert_eq!(UnitCodec::Jpeg.codec_byte(), 1);
    }

    #[test]
    fn empty_units_are_refused_by_every_function() {
        for format in [
            UnitFormat::new(UnitCodec::H264, Layout::AnnexB).unwrap(),
            UnitFormat::new(UnitCodec::H265, Layout::Avcc { nal_length_size: 4 }).unwrap(),
            UnitFormat::new(UnitCodec::Av1, Layout::Obu).unwrap(),
            UnitFormat::new(UnitCodec::Jpeg, Layout::Jpeg).unwrap(),
        ] {
            assert_eq!(find_seal(&[], format), Err(UnitError::Empty));
            assert_eq!(
                content(&[], format, false, None, &mut |_| {}),
                Err(UnitError::Empty)
            );
            assert_eq!(
                insert_seal(&[], format, &[0; SEAL_LEN]),
                Err(UnitError::Empty)
            );
            assert_eq!(is_keyframe(&[], format), Err(UnitError::Empty));
        }
    }

    #[test]
    fn seal_bodies_keep_their_length_and_first_bytes() {
        let mut long = SealBody::new();
        for i in 0..200u8 {
            long.push(i);
        }
        assert_eq!(long.len(), 200);
        assert_eq!(long.head().len(), SEAL_LEN);
        assert_eq!(long.head()[147], 147);
        assert!(long.seal().is_none());

        let short = SealBody::from_slice(b"FSEAL\x03");
        assert_eq!((short.len(), short.head()), (6, &b"FSEAL\x03"[..]));
        assert!(short.seal().is_none());
        assert!(SealBody::from_slice(&[]).is_empty());

        let exact = SealBody::from_slice(&[9; SEAL_LEN]);
        assert_eq!(exact.seal(), Some(&[9; SEAL_LEN]));
    }

    #[test]
    fn errors_read_as_lower_case_sentences() {
        let errors = [
            UnitError::Empty,
            UnitError::NoStartCode,
            UnitError::Truncated { at: 3 },
            UnitError::EmptyNalUnit { at: 3 },
            UnitError::BadNalHeader { at: 3 },
            UnitError::ForbiddenBytes { at: 3 },
            UnitError::BadSei { at: 3 },
            UnitError::BadObu { at: 3 },
            UnitError::BadJpeg { at: 3 },
            UnitError::NoEndOfImage,
            UnitError::TwoSeals,
            UnitError::NoParameterSets,
            UnitError::BadConfig { at: 3 },
            UnitError::AlreadySealed,
            UnitError::NoPicture,
            UnitError::TooLong,
        ];
        for e in errors {
            let text = e.to_string();
            // Lower case, but for the abbreviations (NAL, SEI, OBU, JPEG).
            let first = text.split(' ').next().unwrap();
            assert!(
                first.starts_with(|c: char| c.is_lowercase())
                    || first.chars().all(|c| c.is_ascii_uppercase()),
                "{text}"
            );
            assert!(!text.ends_with('.'), "{text}");
        }
        let text = FormatError::LayoutNotForCodec {
            codec: UnitCodec::Av1,
            layout: Layout::AnnexB,
        }
        .to_string();
        assert_eq!(text, "av1 units do not come in the annexb layout");
    }

    #[test]
    fn surveyed_content_is_the_content_with_few_or_many_nal_units() {
        // Up to `h26x::KEPT` parameter sets and slices are kept from the
        // survey; past that the content is derived by splitting again.
        // `testing::content_of` holds both paths to `content`.
        let format = UnitFormat::new(UnitCodec::H264, Layout::AnnexB).unwrap();
        for slices in [0usize, 1, 29, 30, 31, 40] {
            let mut unit = alloc::vec![0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x0a, 0, 0, 1, 0x68, 0xce];
            for i in 0..slices {
                // An IDR slice with one emulation-prevention byte.
                unit.extend_from_slice(&[0, 0, 1, 0x65, 0x88, i as u8 + 4, 0, 0, 3, 1, 0x40]);
            }
            let surveyed = survey(&unit, format).unwrap();
            assert_eq!(
                surveyed.nals.is_some(),
                slices + 2 <= h26x::KEPT,
                "{slices}"
            );
            for keyframe in [false, true] {
                let content = testing::content_of(&unit, format, keyframe, None).unwrap();
                let p = if keyframe { 2 * (4 + 4) - 2 } else { 0 };
                assert_eq!(content.len(), p + slices * (4 + 7), "{slices} {keyframe}");
            }
        }
    }

    #[test]
    fn the_cursor_stops_at_the_end() {
        let mut c = Cursor::new(&[1, 2, 3]);
        assert_eq!(c.u16(), Some(0x0102));
        assert_eq!(c.u16(), None);
        assert_eq!(c.pos(), 2);
        assert_eq!(c.u8(), Some(3));
        assert!(c.is_empty());
        assert_eq!(c.take(1), None);
        assert_eq!(c.take(0), Some(&[][..]));
    }
}
