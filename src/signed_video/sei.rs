//! Recognising a Signed Video / Media Signing SEI NAL unit and taking it
//! apart.
//!
//! The layout (H.264 §7.3.2.3 / H.265 §7.3.5 SEI syntax, then the formats'
//! own part; `lib/src/sv_common.c` `parse_bu_info`, `lib/src/oms_common.c`
//! `parse_nalu_info`):
//!
//! ```text
//! | NAL header (1 or 2) | payload type 5 | payload size | UUID (16) | reserved (1) | TLVs ... | 0x80 |
//! |<------------------------- the document the signature covers ------------>| signature TLV |
//! ```
//!
//! The reserved byte says whether the signer hashed the SEI with its
//! emulation prevention bytes (Axis bit 7, ONVIF bit 6); ONVIF bit 7 marks a
//! certificate SEI, Axis bit 6 a "golden" SEI, Axis bits 5 and 4 the
//! linked-hash and GOP-hash methods of current signers.

use alloc::vec::Vec;
use core::fmt;

use super::reader::{Reader, Short};
use super::tlv::{self, Payload, TlvError};
use super::{Codec, Scheme, av1, escaped_offset, unescape};

/// The SEI payload type `user_data_unregistered`.
const USER_DATA_UNREGISTERED: usize = 5;

/// Why a NAL unit that carries a Signed Video / Media Signing UUID does not
/// parse.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SeiError {
    /// The SEI message's payload size runs past the end of the NAL unit.
    Truncated,
    /// The payload ends after the UUID, without the reserved byte.
    NoReservedByte,
    /// The TLVs do not parse.
    Tlv(TlvError),
}

impl fmt::Display for SeiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeiError::Truncated => f.write_str("sei payload runs past the end of the nal unit"),
            SeiError::NoReservedByte => f.write_str("sei payload ends before its reserved byte"),
            SeiError::Tlv(e) => write!(f, "sei tlvs: {e}"),
        }
    }
}

impl core::error::Error for SeiError {}

impl From<TlvError> for SeiError {
    fn from(e: TlvError) -> SeiError {
        SeiError::Tlv(e)
    }
}

/// One parsed Signed Video / Media Signing SEI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedVideoSei {
    /// Which format (by UUID).
    pub scheme: Scheme,
    /// The codec of the NAL unit.
    pub codec: Codec,
    /// The reserved byte after the UUID (flags).
    pub reserved: u8,
    /// The parsed TLVs.
    pub payload: Payload,
    /// The bytes hashed for this SEI: for a signed SEI the document (NAL
    /// header up to the signature TLV), for an unsigned one the whole NAL
    /// unit; with or without emulation prevention as the reserved byte says.
    hashable: Vec<u8>,
}

impl SignedVideoSei {
    /// Whether the SEI carries a signature.
    pub fn is_signed(&self) -> bool {
        self.payload.signature.is_some()
    }

    /// Whether the signer hashed this SEI with its emulation prevention
    /// bytes.
    pub fn hashed_with_emulation_prevention(&self) -> bool {
        if self.codec == Codec::Av1 {
            return false;
        }
        match self.scheme {
            Scheme::Axis => self.reserved & 0x80 != 0,
            Scheme::Onvif => self.reserved & 0x40 != 0,
        }
    }

    /// ONVIF: a certificate SEI, which carries the certificate chain and no
    /// GOP information.
    pub fn is_certificate_sei(&self) -> bool {
        self.scheme == Scheme::Onvif && self.reserved & 0x80 != 0
    }

    /// Axis: the SEI says its signer uses the linked-hash and GOP-hash
    /// methods (reserved bits 5 and 4, Signed Video 2.x); older signers put
    /// the next GOP's I-frame at the end of the hash list instead.
    pub fn uses_linked_hash(&self) -> bool {
        match self.scheme {
            Scheme::Axis => self.reserved & 0x30 == 0x30,
            Scheme::Onvif => true,
        }
    }

    /// The bytes hashed for this SEI (see the field's description): a
    /// signed SEI's signature is over their SHA-256 hash.
    pub fn hashable(&self) -> &[u8] {
        &self.hashable
    }
}

/// Reads `nal` (one NAL unit without start code) as a Signed Video / Media
/// Signing SEI: `Ok(None)` when it is not one (another NAL unit type,
/// another SEI payload type, another UUID), an error when it carries one of
/// the two UUIDs but does not parse.
///
/// Only the first SEI message of the NAL unit is looked at, as the reference
/// validators do; the signers write one message per NAL unit.
///
/// For [`Codec::Av1`], `nal` is one OBU and this is [`parse_obu`].
pub fn parse_nal(nal: &[u8], codec: Codec) -> Result<Option<SignedVideoSei>, SeiError> {
    if codec == Codec::Av1 {
        return parse_obu(nal);
    }
    let header = codec.header_len();
    let Some(&first) = nal.first() else {
        return Ok(None);
    };
    if nal.len() <= header || !is_sei(first, codec) {
        return Ok(None);
    }
    let bytes = without_emulation_prevention(nal, header);
    let mut r = Reader::new(&bytes[header..]);
    let Ok(payload_type) = r.ff_coded() else {
        return Ok(None);
    };
    if payload_type != USER_DATA_UNREGISTERED {
        return Ok(None);
    }
    let Ok(size) = r.ff_coded() else {
        return Ok(None);
    };
    // The UUID is looked at before the size is trusted: a foreign SEI with
    // a bad size is not ours to refuse.
    let payload_start = header + r.position();
    let Some(uuid) = bytes.get(payload_start..payload_start + 16) else {
        return Ok(None);
    };
    let Some(scheme) = Scheme::from_uuid(uuid) else {
        return Ok(None);
    };
    let payload = r.take(size).map_err(|Short| SeiError::Truncated)?;
    if payload.len() < 17 {
        return Err(SeiError::NoReservedByte);
    }
    let reserved = payload[16];
    let tlv_start = payload_start + 17;
    let parsed = tlv::parse(scheme, &payload[17..])?;
    let mut sei = SignedVideoSei {
        scheme,
        codec,
        reserved,
        payload: parsed,
        hashable: Vec::new(),
    };
    let with_epb = sei.hashed_with_emulation_prevention();
    sei.hashable = match sei.payload.signature_offset {
        Some(offset) => {
            // The document ends where the signature TLV starts.
            let end = tlv_start + offset;
            if with_epb {
                // The raw byte after the document's last byte (an emulation
                // prevention byte before the signature tag is not part of
                // the document, as in `sv_tlv_find_tag`).
                let last = escaped_offset(nal, end - 1).ok_or(SeiError::Truncated)?;
                nal[..last + 1].to_vec()
            } else {
                bytes[..end].to_vec()
            }
        }
        None if with_epb => nal.to_vec(),
        // Without emulation prevention: through the byte after the payload
        // (the stop bit), as `remove_epb_from_sei_payload` does.
        None => {
            let end = (payload_start + size + 1).min(bytes.len());
            bytes[..end].to_vec()
        }
    };
    Ok(Some(sei))
}

/// Reads `obu` (one AV1 OBU, header to payload end) as an Axis Signed
/// Video metadata OBU: `Ok(None)` when it is not one (another OBU type,
/// another metadata type or UUID, an extension header), an error when it
/// carries the Signed Video UUID but does not parse.
///
/// The layout, as the reference signer writes it (`lib/src/sv_sign.c`):
///
/// ```text
/// | 0x2a | obu_size (leb128) | metadata_type 25 | 0x80 | UUID (16) | reserved (1) | TLVs ... | 0x80 |
/// |<----------------------- the document the signature covers ---------------------->| signature TLV |
/// ```
///
/// `obu_size` counts from the metadata type to the last byte. The byte
/// after the metadata type is not looked at (the reference skips it too);
/// the last byte is not part of the TLVs. AV1 has no emulation
/// prevention, so the reserved byte's bit 7 says nothing here. An ONVIF
/// UUID is not read as Media Signing (it has no AV1 form): such an OBU is
/// another metadata OBU, hashed like a picture.
pub fn parse_obu(obu: &[u8]) -> Result<Option<SignedVideoSei>, SeiError> {
    let Some(h) = av1::header(obu) else {
        return Ok(None);
    };
    if h.obu_type != av1::OBU_METADATA || !h.is_supported() {
        return Ok(None);
    }
    let start = h.payload_start;
    if obu.get(start) != Some(&av1::METADATA_TYPE_SIGNED_VIDEO) {
        return Ok(None);
    }
    let Some(uuid) = obu.get(start + 2..start + 18) else {
        return Ok(None);
    };
    if Scheme::from_uuid(uuid) != Some(Scheme::Axis) {
        return Ok(None);
    }
    let payload = obu
        .get(start..)
        .and_then(|p| p.get(..h.payload_len))
        .ok_or(SeiError::Truncated)?;
    // Metadata type, skipped byte, UUID, reserved byte, final byte.
    if payload.len() < 2 + 16 + 1 + 1 {
        return Err(SeiError::NoReservedByte);
    }
    let reserved = payload[18];
    let parsed = tlv::parse(Scheme::Axis, &payload[19..payload.len() - 1])?;
    let end = match parsed.signature_offset {
        Some(offset) => start + 19 + offset,
        None => obu.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1),
    };
    Ok(Some(SignedVideoSei {
        scheme: Scheme::Axis,
        codec: Codec::Av1,
        reserved,
        payload: parsed,
        hashable: obu[..end].to_vec(),
    }))
}

/// The NAL unit without its emulation prevention bytes, if it has any.
///
/// A signer may write its SEI without emulation prevention (ONVIF's
/// default), and then a `00 00 03` in it is data. As in the reference
/// validators, the bytes are unescaped only when the NAL unit is longer
/// than its first SEI message's header, payload size and stop byte add up
/// to; the sizes are read from the raw bytes, where no emulation prevention
/// byte can stand (a size byte is never zero after two zeros: the header's
/// first byte is not zero).
fn without_emulation_prevention(nal: &[u8], header: usize) -> Vec<u8> {
    let mut r = Reader::new(&nal[header..]);
    let sized = r.ff_coded().and_then(|_| r.ff_coded());
    let Ok(size) = sized else {
        return unescape(nal);
    };
    let stop = usize::from(nal.last() == Some(&0x80));
    let expected = (header + r.position())
        .saturating_add(size)
        .saturating_add(stop);
    if nal.len() > expected {
        unescape(nal)
    } else {
        nal.to_vec()
    }
}

fn is_sei(first: u8, codec: Codec) -> bool {
    match codec {
        Codec::H264 => first & 0x1f == 6,
        Codec::H265 => matches!((first >> 1) & 0x3f, 39 | 40),
        Codec::Av1 => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signed_video::ONVIF_UUID;
    use alloc::vec;

    fn onvif_sei(tlvs: &[u8], reserved: u8) -> Vec<u8> {
        let mut payload = ONVIF_UUID.to_vec();
        payload.push(reserved);
        payload.extend_from_slice(tlvs);
        let mut nal = vec![0x06, 5];
        let mut size = payload.len();
        while size >= 255 {
            nal.push(0xff);
            size -= 255;
        }
        nal.push(size as u8);
        nal.extend_from_slice(&payload);
        nal.push(0x80);
        nal
    }

    #[test]
    fn a_signed_sei_hashes_up_to_its_signature_tag() {
        let tlvs = [2, 0, 1, 1, 3, 0, 4, 1, 0, 1, 0x30];
        let nal = onvif_sei(&tlvs, 0);
        let sei = parse_nal(&nal, Codec::H264).expect("parses").expect("ours");
        assert!(sei.is_signed());
        assert_eq!(sei.hashable(), &nal[..3 + 17 + 4]);
    }

    #[test]
    fn an_unsigned_sei_hashes_whole() {
        let nal = onvif_sei(&[2, 0, 1, 1], 0x40);
        let sei = parse_nal(&nal, Codec::H264).expect("parses").expect("ours");
        assert!(!sei.is_signed());
        assert_eq!(sei.hashable(), &nal[..]);
    }

    #[test]
    fn other_nal_units_and_other_seis_are_not_ours() {
        assert_eq!(parse_nal(&[0x65, 0x88], Codec::H264), Ok(None));
        assert_eq!(parse_nal(&[0x06, 4, 1, 0, 0x80], Codec::H264), Ok(None));
        let mut other = onvif_sei(&[], 0);
        other[3] ^= 1;
        assert_eq!(parse_nal(&other, Codec::H264), Ok(None));
        assert_eq!(parse_nal(&[], Codec::H265), Ok(None));
    }

    /// An Axis metadata OBU as the reference signer lays it out.
    fn axis_obu(tlvs: &[u8], reserved: u8) -> Vec<u8> {
        let mut payload = vec![25, 0x80];
        payload.extend_from_slice(&crate::signed_video::AXIS_UUID);
        payload.push(reserved);
        payload.extend_from_slice(tlvs);
        payload.push(0x80);
        let mut obu = vec![0x2a];
        let mut size = payload.len();
        while size >= 0x80 {
            obu.push(0x80 | (size & 0x7f) as u8);
            size >>= 7;
        }
        obu.push(size as u8);
        obu.extend_from_slice(&payload);
        obu
    }

    #[test]
    fn an_av1_metadata_obu_hashes_up_to_its_signature_tag_or_whole() {
        // An Axis signature TLV alone (tag 5, version 2, status, a one-byte
        // signature).
        let signed = axis_obu(&[5, 0, 5, 2, 0, 0, 1, 0x30], 0x30);
        let sei = parse_obu(&signed).expect("parses").expect("ours");
        assert_eq!((sei.scheme, sei.codec), (Scheme::Axis, Codec::Av1));
        assert!(sei.is_signed());
        assert!(!sei.hashed_with_emulation_prevention());
        // Header, size, type, skipped byte, UUID, reserved byte.
        assert_eq!(sei.hashable(), &signed[..2 + 2 + 16 + 1]);
        let unsigned = axis_obu(&[], 0xb0);
        let sei = parse_obu(&unsigned).expect("parses").expect("ours");
        assert!(!sei.is_signed());
        assert!(!sei.hashed_with_emulation_prevention());
        assert_eq!(sei.hashable(), &unsigned[..]);
        // parse_nal takes OBUs for AV1.
        assert_eq!(parse_nal(&unsigned, Codec::Av1), Ok(Some(sei)));
    }

    #[test]
    fn other_obus_are_not_ours_and_a_short_one_of_ours_is_an_error() {
        let obu = axis_obu(&[], 0x30);
        // Another metadata type, the ONVIF UUID, an extension header, a
        // frame OBU, nothing.
        let mut other = obu.clone();
        other[2] = 4;
        assert_eq!(parse_obu(&other), Ok(None));
        let mut onvif = obu.clone();
        onvif[4..20].copy_from_slice(&ONVIF_UUID);
        assert_eq!(parse_obu(&onvif), Ok(None));
        let mut ext = vec![0x2e, 0x00];
        ext.extend_from_slice(&obu[1..]);
        assert_eq!(parse_obu(&ext), Ok(None));
        assert_eq!(parse_obu(&[0x32, 0x01, 0x10]), Ok(None));
        assert_eq!(parse_obu(&[]), Ok(None));
        // Ours, but the size runs past the end, or no reserved byte.
        let mut long = obu.clone();
        long[1] += 1;
        assert_eq!(parse_obu(&long), Err(SeiError::Truncated));
        let mut bare = vec![0x2a, 18, 25, 0x80];
        bare.extend_from_slice(&crate::signed_video::AXIS_UUID);
        assert_eq!(parse_obu(&bare), Err(SeiError::NoReservedByte));
        // TLVs that do not parse.
        let bad = axis_obu(&[0xee, 0, 1, 0], 0x30);
        assert!(matches!(parse_obu(&bad), Err(SeiError::Tlv(_))));
    }

    #[test]
    fn ours_with_a_short_payload_is_an_error() {
        let mut nal = onvif_sei(&[2, 0, 1, 1], 0);
        nal[2] += 10;
        assert_eq!(parse_nal(&nal, Codec::H264), Err(SeiError::Truncated));
        let mut bare = vec![0x06, 5, 16];
        bare.extend_from_slice(&ONVIF_UUID);
        assert_eq!(parse_nal(&bare, Codec::H264), Err(SeiError::NoReservedByte));
    }
}
