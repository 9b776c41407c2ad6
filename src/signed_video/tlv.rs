//! The TLVs of a Signed Video / Media Signing SEI, parsed into a
//! [`Payload`].
//!
//! A TLV is one tag byte, a big-endian length and that many value bytes;
//! every value starts with a version byte of its own. The two formats share
//! the idea but not the numbers:
//!
//! | what | Axis tag (length bytes) | ONVIF tag (length bytes) |
//! |---|---|---|
//! | general (GOP counter, timestamps, GOP and linked hash) | 1 (1) | 1 (2) |
//! | public key (PEM) | 2 (2) | — |
//! | product / vendor info | 3 (2) | 5 (2) |
//! | hash list | 4 (2) | 2 (2) |
//! | signature | 5 (2) | 3 (2) |
//! | arbitrary data | 6 (2) | 7 (2) |
//! | crypto info (hash algorithm OID) | 7 (1) | 4 (2) |
//! | certificate chain (PEM) | 129 (2, Axis vendor tag) | 6 (2) |
//!
//! Parsing follows the reference decoders' rules (`lib/src/sv_tlv.c`,
//! `lib/src/oms_tlv.c`): an unknown tag or version is an error, a value
//! must be consumed exactly, and the signature TLV ends the document. It is
//! stricter in two places: a tag may appear only once, and nothing may
//! follow the signature TLV. Every length is checked against the bytes that
//! remain before it is used, so no allocation is sized by an unchecked
//! length.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::Scheme;
use super::reader::{Reader, Short};

/// The largest hash the formats know (SHA-512), in bytes.
pub const MAX_HASH_LEN: usize = 64;

/// Why the TLVs of a SEI do not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlvError {
    /// A TLV header or value runs past the end of the TLV bytes.
    Truncated {
        /// The tag being read.
        tag: u8,
    },
    /// A tag this scheme does not define.
    UnknownTag {
        /// The tag byte.
        tag: u8,
    },
    /// A tag appears twice in one SEI.
    DuplicateTag {
        /// The tag byte.
        tag: u8,
    },
    /// A TLV's version byte is one the format does not define.
    UnsupportedVersion {
        /// The tag.
        tag: u8,
        /// The version byte.
        version: u8,
    },
    /// A TLV's value has bytes left over, or a field that must not be empty
    /// is empty, or the two hashes of a general TLV differ in length.
    BadValue {
        /// The tag.
        tag: u8,
    },
    /// A TLV follows the signature TLV, which must end the document.
    AfterSignature,
}

impl fmt::Display for TlvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlvError::Truncated { tag } => write!(f, "tlv {tag} runs past the end of the sei"),
            TlvError::UnknownTag { tag } => write!(f, "unknown tlv tag {tag}"),
            TlvError::DuplicateTag { tag } => write!(f, "tlv tag {tag} appears twice"),
            TlvError::UnsupportedVersion { tag, version } => {
                write!(f, "tlv {tag} has unsupported version {version}")
            }
            TlvError::BadValue { tag } => write!(f, "tlv {tag} has a malformed value"),
            TlvError::AfterSignature => f.write_str("a tlv follows the signature"),
        }
    }
}

impl core::error::Error for TlvError {}

/// The general TLV: where this SEI stands in the stream and what it
/// vouches for as a whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct General {
    /// The TLV's own version (Axis 1..=4, ONVIF 1..=2).
    pub version: u8,
    /// The (partial) GOP counter, incremented by the signer for every
    /// (partial) GOP it signs.
    pub gop_counter: u32,
    /// How many NAL units the signer hashed into this (partial) GOP.
    pub hashed_units: u16,
    /// The signer's library version, major.minor.patch.
    pub code_version: [u8; 3],
    /// Signing was triggered by a frame limit inside a GOP rather than by
    /// the next GOP's I-frame.
    pub triggered_partial_gop: bool,
    /// Time of the first NAL unit of the (partial) GOP, when given (Axis: Unix
    /// µs; ONVIF: 100 ns units since 1601).
    pub start_timestamp: Option<i64>,
    /// Time of the end of the (partial) GOP, when given.
    pub end_timestamp: Option<i64>,
    /// The hash of all the (partial) GOP's NAL unit hashes, when given
    /// (Axis version 3+, every ONVIF version); all zeros if it hashed none.
    pub gop_hash: Option<Vec<u8>>,
    /// The first hash of the previous (partial) GOP, chaining GOPs; all
    /// zeros at the start of a stream.
    pub linked_hash: Option<Vec<u8>>,
}

/// The signature TLV.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureTlv {
    /// The TLV's own version.
    pub version: u8,
    /// Axis only: the signer's encoding status byte (0 when all went well).
    pub encoding_status: Option<u8>,
    /// The signature (DER-encoded ECDSA, or RSA), without the padding that
    /// fills the signer's maximum signature size.
    pub signature: Vec<u8>,
}

/// Who made the camera: Axis's product info TLV or ONVIF's vendor info TLV.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProductInfo {
    /// Axis only: the hardware id.
    pub hardware_id: Option<String>,
    /// The firmware version.
    pub firmware_version: String,
    /// The serial number.
    pub serial_number: String,
    /// The manufacturer.
    pub manufacturer: String,
    /// Axis only: a contact address (URL, mail).
    pub address: Option<String>,
}

/// The crypto info TLV: which hash the signer used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CryptoInfo {
    /// The hash algorithm's OID, DER-encoded (tag and length included).
    pub hash_algorithm_oid: Vec<u8>,
    /// ONVIF only: the signature algorithm's OID (empty for ECDSA).
    pub signature_algorithm_oid: Vec<u8>,
}

/// A certificate chain carried in the stream (PEM text, leaf first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateChain {
    /// ONVIF: the chain was provisioned by the user rather than the
    /// manufacturer. Axis: the key was not provisioned in the factory (an
    /// attestation is present).
    pub user_provisioned: bool,
    /// Axis only: the attestation report of the device key.
    pub attestation: Vec<u8>,
    /// The PEM text of the chain.
    pub pem: Vec<u8>,
}

/// The parsed TLVs of one SEI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payload {
    /// Which format the TLVs follow.
    pub scheme: Scheme,
    /// The general TLV (absent only in ONVIF certificate SEIs).
    pub general: Option<General>,
    /// The concatenated hashes of the (partial) GOP's NAL units, when the
    /// signer sent them.
    pub hash_list: Option<Vec<u8>>,
    /// The signature, when this SEI is signed.
    pub signature: Option<SignatureTlv>,
    /// Axis: the public key, as the PEM text of a SubjectPublicKeyInfo.
    pub public_key_pem: Option<Vec<u8>>,
    /// Who made the camera.
    pub product_info: Option<ProductInfo>,
    /// Which hash the signer used (SHA-256 when absent).
    pub crypto_info: Option<CryptoInfo>,
    /// The certificate chain of the signing key.
    pub certificates: Option<CertificateChain>,
    /// Arbitrary data the signer added (not interpreted).
    pub arbitrary_data: Option<Vec<u8>>,
    /// Where the signature TLV starts in the TLV bytes: the document the
    /// signature covers ends there.
    pub signature_offset: Option<usize>,
}

impl Payload {
    fn empty(scheme: Scheme) -> Payload {
        Payload {
            scheme,
            general: None,
            hash_list: None,
            signature: None,
            public_key_pem: None,
            product_info: None,
            crypto_info: None,
            certificates: None,
            arbitrary_data: None,
            signature_offset: None,
        }
    }
}

/// What a tag is in a scheme, with the width of its length field.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    General,
    PublicKey,
    ProductInfo,
    HashList,
    Signature,
    ArbitraryData,
    CryptoInfo,
    Certificates,
}

fn kind(scheme: Scheme, tag: u8) -> Option<(Kind, usize)> {
    Some(match (scheme, tag) {
        (Scheme::Axis, 1) => (Kind::General, 1),
        (Scheme::Axis, 2) => (Kind::PublicKey, 2),
        (Scheme::Axis, 3) => (Kind::ProductInfo, 2),
        (Scheme::Axis, 4) => (Kind::HashList, 2),
        (Scheme::Axis, 5) => (Kind::Signature, 2),
        (Scheme::Axis, 6) => (Kind::ArbitraryData, 2),
        (Scheme::Axis, 7) => (Kind::CryptoInfo, 1),
        (Scheme::Axis, 129) => (Kind::Certificates, 2),
        (Scheme::Onvif, 1) => (Kind::General, 2),
        (Scheme::Onvif, 2) => (Kind::HashList, 2),
        (Scheme::Onvif, 3) => (Kind::Signature, 2),
        (Scheme::Onvif, 4) => (Kind::CryptoInfo, 2),
        (Scheme::Onvif, 5) => (Kind::ProductInfo, 2),
        (Scheme::Onvif, 6) => (Kind::Certificates, 2),
        (Scheme::Onvif, 7) => (Kind::ArbitraryData, 2),
        _ => return None,
    })
}

/// Parses the TLV bytes of a SEI (after its UUID and reserved byte, with
/// emulation prevention removed) of `scheme`.
pub fn parse(scheme: Scheme, tlvs: &[u8]) -> Result<Payload, TlvError> {
    let mut payload = Payload::empty(scheme);
    let mut r = Reader::new(tlvs);
    let mut seen = [false; 256];
    while !r.is_empty() {
        if payload.signature.is_some() {
            return Err(TlvError::AfterSignature);
        }
        let at = r.position();
        let tag = r.u8().map_err(|Short| TlvError::Truncated { tag: 0 })?;
        let (kind, len_bytes) = kind(scheme, tag).ok_or(TlvError::UnknownTag { tag })?;
        if seen[usize::from(tag)] {
            return Err(TlvError::DuplicateTag { tag });
        }
        seen[usize::from(tag)] = true;
        let truncated = |Short| TlvError::Truncated { tag };
        let len = if len_bytes == 1 {
            usize::from(r.u8().map_err(truncated)?)
        } else {
            usize::from(r.u16().map_err(truncated)?)
        };
        let value = r.take(len).map_err(truncated)?;
        let mut v = Reader::new(value);
        let version = v.u8().map_err(|Short| TlvError::BadValue { tag })?;
        let bad_version = TlvError::UnsupportedVersion { tag, version };
        let bad = |Short| TlvError::BadValue { tag };
        match kind {
            Kind::General => {
                payload.general = Some(match scheme {
                    Scheme::Axis => axis_general(tag, version, &mut v)?,
                    Scheme::Onvif => onvif_general(tag, version, &mut v)?,
                });
            }
            Kind::PublicKey => {
                // Version 1 had an algorithm byte before the key.
                match version {
                    1 => {
                        v.u8().map_err(bad)?;
                    }
                    2 => {}
                    _ => return Err(bad_version),
                }
                let key = v.rest();
                if key.is_empty() {
                    return Err(TlvError::BadValue { tag });
                }
                payload.public_key_pem = Some(key.to_vec());
            }
            Kind::ProductInfo => {
                payload.product_info = Some(match scheme {
                    Scheme::Axis => {
                        if !(1..=2).contains(&version) {
                            return Err(bad_version);
                        }
                        ProductInfo {
                            hardware_id: Some(string(&mut v).map_err(bad)?),
                            firmware_version: string(&mut v).map_err(bad)?,
                            serial_number: string(&mut v).map_err(bad)?,
                            manufacturer: string(&mut v).map_err(bad)?,
                            address: Some(string(&mut v).map_err(bad)?),
                        }
                    }
                    Scheme::Onvif => {
                        if version != 1 {
                            return Err(bad_version);
                        }
                        ProductInfo {
                            hardware_id: None,
                            firmware_version: string(&mut v).map_err(bad)?,
                            serial_number: string(&mut v).map_err(bad)?,
                            manufacturer: string(&mut v).map_err(bad)?,
                            address: None,
                        }
                    }
                });
            }
            Kind::HashList => {
                if version != 1 {
                    return Err(bad_version);
                }
                payload.hash_list = Some(v.rest().to_vec());
            }
            Kind::Signature => {
                let encoding_status = match (scheme, version) {
                    (Scheme::Axis, 1) => {
                        let status = v.u8().map_err(bad)?;
                        v.u8().map_err(bad)?; // the unused hash type byte
                        Some(status)
                    }
                    (Scheme::Axis, 2) => Some(v.u8().map_err(bad)?),
                    (Scheme::Onvif, 1) => None,
                    _ => return Err(bad_version),
                };
                let size = usize::from(v.u16().map_err(bad)?);
                // The rest is the signer's maximum signature size; the
                // signature fills its start.
                let room = v.rest();
                let signature = room.get(..size).ok_or(TlvError::BadValue { tag })?;
                payload.signature = Some(SignatureTlv {
                    version,
                    encoding_status,
                    signature: signature.to_vec(),
                });
                payload.signature_offset = Some(at);
            }
            Kind::ArbitraryData => {
                if version != 1 {
                    return Err(bad_version);
                }
                let data = v.rest();
                if data.is_empty() {
                    return Err(TlvError::BadValue { tag });
                }
                payload.arbitrary_data = Some(data.to_vec());
            }
            Kind::CryptoInfo => {
                if version != 1 {
                    return Err(bad_version);
                }
                let n = usize::from(v.u8().map_err(bad)?);
                let hash_oid = v.take(n).map_err(bad)?;
                if hash_oid.is_empty() {
                    return Err(TlvError::BadValue { tag });
                }
                let sign_oid = match scheme {
                    Scheme::Axis => &[][..],
                    Scheme::Onvif => {
                        let n = usize::from(v.u8().map_err(bad)?);
                        let oid = v.take(n).map_err(bad)?;
                        v.u16().map_err(bad)?; // the RSA key size, unused for ECDSA
                        oid
                    }
                };
                payload.crypto_info = Some(CryptoInfo {
                    hash_algorithm_oid: hash_oid.to_vec(),
                    signature_algorithm_oid: sign_oid.to_vec(),
                });
            }
            Kind::Certificates => {
                if version != 1 {
                    return Err(bad_version);
                }
                let (user_provisioned, attestation) = match scheme {
                    Scheme::Onvif => (v.u8().map_err(bad)? != 0, &[][..]),
                    Scheme::Axis => {
                        let n = usize::from(v.u8().map_err(bad)?);
                        let attestation = v.take(n).map_err(bad)?;
                        (!attestation.is_empty(), attestation)
                    }
                };
                let pem = v.rest();
                if pem.is_empty() {
                    return Err(TlvError::BadValue { tag });
                }
                payload.certificates = Some(CertificateChain {
                    user_provisioned,
                    attestation: attestation.to_vec(),
                    pem: pem.to_vec(),
                });
            }
        }
        if !v.is_empty() {
            return Err(TlvError::BadValue { tag });
        }
    }
    Ok(payload)
}

/// One length-prefixed string of a product info TLV; version 1 of the
/// Axis TLV counted a terminating NUL in the length, which is dropped.
fn string(v: &mut Reader<'_>) -> Result<String, Short> {
    let n = usize::from(v.u8()?);
    let bytes = v.take(n)?;
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
    Ok(String::from_utf8_lossy(&bytes[..end]).as_ref().to_owned())
}

/// The two hashes ending a general TLV, of equal length.
fn two_hashes(tag: u8, v: &mut Reader<'_>) -> Result<(Vec<u8>, Vec<u8>), TlvError> {
    let rest = v.rest();
    if !rest.len().is_multiple_of(2) || rest.len() / 2 > MAX_HASH_LEN {
        return Err(TlvError::BadValue { tag });
    }
    let (a, b) = rest.split_at(rest.len() / 2);
    Ok((a.to_vec(), b.to_vec()))
}

fn axis_general(tag: u8, version: u8, v: &mut Reader<'_>) -> Result<General, TlvError> {
    if !(1..=4).contains(&version) {
        return Err(TlvError::UnsupportedVersion { tag, version });
    }
    let bad = |Short| TlvError::BadValue { tag };
    let gop_counter = v.u32().map_err(bad)?;
    let hashed_units = v.u16().map_err(bad)?;
    let mut code_version = [0u8; 3];
    code_version.copy_from_slice(v.take(3).map_err(bad)?);
    let mut general = General {
        version,
        gop_counter,
        hashed_units,
        code_version,
        triggered_partial_gop: false,
        start_timestamp: None,
        end_timestamp: None,
        gop_hash: None,
        linked_hash: None,
    };
    if version >= 2 {
        let flags = v.u8().map_err(bad)?;
        general.triggered_partial_gop = flags & 0x02 != 0;
        if flags & 0x01 != 0 {
            let start = v.i64().map_err(bad)?;
            general.start_timestamp = Some(start);
            general.end_timestamp = Some(if version >= 4 {
                v.i64().map_err(bad)?
            } else {
                start
            });
        }
    }
    if version >= 3 {
        // Axis writes the linked hash first, then the GOP hash.
        let (linked, gop) = two_hashes(tag, v)?;
        general.linked_hash = Some(linked);
        general.gop_hash = Some(gop);
    }
    Ok(general)
}

fn onvif_general(tag: u8, version: u8, v: &mut Reader<'_>) -> Result<General, TlvError> {
    if !(1..=2).contains(&version) {
        return Err(TlvError::UnsupportedVersion { tag, version });
    }
    let bad = |Short| TlvError::BadValue { tag };
    let mut code_version = [0u8; 3];
    code_version.copy_from_slice(v.take(3).map_err(bad)?);
    let triggered_partial_gop = v.u8().map_err(bad)? != 0;
    let start = v.i64().map_err(bad)?;
    let end = if version >= 2 {
        v.i64().map_err(bad)?
    } else {
        start
    };
    let gop_counter = v.u32().map_err(bad)?;
    let hashed_units = v.u16().map_err(bad)?;
    // ONVIF writes the (partial) GOP hash first, then the linked hash.
    let (gop, linked) = two_hashes(tag, v)?;
    Ok(General {
        version,
        gop_counter,
        hashed_units,
        code_version,
        triggered_partial_gop,
        start_timestamp: Some(start),
        end_timestamp: Some(end),
        gop_hash: Some(gop),
        linked_hash: Some(linked),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn tlv(tag: u8, wide: bool, value: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        if wide {
            out.extend_from_slice(&(value.len() as u16).to_be_bytes());
        } else {
            out.push(value.len() as u8);
        }
        out.extend_from_slice(value);
        out
    }

    fn onvif_general_value(counter: u32) -> Vec<u8> {
        let mut v = vec![2, 25, 12, 3, 0];
        v.extend_from_slice(&7i64.to_be_bytes());
        v.extend_from_slice(&9i64.to_be_bytes());
        v.extend_from_slice(&counter.to_be_bytes());
        v.extend_from_slice(&3u16.to_be_bytes());
        v.extend_from_slice(&[0xaa; 32]);
        v.extend_from_slice(&[0xbb; 32]);
        v
    }

    #[test]
    fn an_onvif_document_with_a_signature_parses_into_its_fields() {
        let mut bytes = tlv(5, true, b"\x01\x03fw1\x02sn\x04ACME");
        bytes.extend(tlv(1, true, &onvif_general_value(42)));
        bytes.extend(tlv(2, true, &[&[1u8][..], &[0x11; 64]].concat()));
        let offset = bytes.len();
        bytes.extend(tlv(3, true, &[1, 0, 2, 0x30, 0x00, 1, 1, 1]));
        let p = parse(Scheme::Onvif, &bytes).expect("parses");
        let g = p.general.expect("general");
        assert_eq!((g.gop_counter, g.hashed_units), (42, 3));
        assert_eq!(g.gop_hash, Some(vec![0xaa; 32]));
        assert_eq!(g.linked_hash, Some(vec![0xbb; 32]));
        assert_eq!(p.hash_list.map(|h| h.len()), Some(64));
        assert_eq!(p.signature.expect("signed").signature, [0x30, 0x00]);
        assert_eq!(p.signature_offset, Some(offset));
        let info = p.product_info.expect("vendor info");
        assert_eq!(
            (info.firmware_version.as_str(), info.manufacturer.as_str()),
            ("fw1", "ACME")
        );
    }

    #[test]
    fn an_axis_general_tlv_has_a_one_byte_length_and_the_linked_hash_first() {
        let mut v = vec![4, 0, 0, 0, 5, 0, 9, 2, 3, 8, 0x01];
        v.extend_from_slice(&1i64.to_be_bytes());
        v.extend_from_slice(&2i64.to_be_bytes());
        v.extend_from_slice(&[0x11; 32]);
        v.extend_from_slice(&[0x22; 32]);
        let p = parse(Scheme::Axis, &tlv(1, false, &v)).expect("parses");
        let g = p.general.expect("general");
        assert_eq!(
            (g.gop_counter, g.hashed_units, g.code_version),
            (5, 9, [2, 3, 8])
        );
        assert_eq!((g.start_timestamp, g.end_timestamp), (Some(1), Some(2)));
        assert_eq!(g.linked_hash, Some(vec![0x11; 32]));
        assert_eq!(g.gop_hash, Some(vec![0x22; 32]));
    }

    #[test]
    fn malformed_tlvs_are_refused_with_the_rule_they_break() {
        let cases: [(&str, Scheme, Vec<u8>, TlvError); 7] = [
            (
                "unknown tag",
                Scheme::Onvif,
                tlv(9, true, &[1]),
                TlvError::UnknownTag { tag: 9 },
            ),
            (
                "length past the end",
                Scheme::Onvif,
                vec![2, 0, 9, 1],
                TlvError::Truncated { tag: 2 },
            ),
            (
                "half a header",
                Scheme::Axis,
                vec![4, 0],
                TlvError::Truncated { tag: 4 },
            ),
            (
                "twice the same tag",
                Scheme::Onvif,
                [tlv(2, true, &[1]), tlv(2, true, &[1])].concat(),
                TlvError::DuplicateTag { tag: 2 },
            ),
            (
                "unknown version",
                Scheme::Onvif,
                tlv(2, true, &[2]),
                TlvError::UnsupportedVersion { tag: 2, version: 2 },
            ),
            (
                "signature longer than its room",
                Scheme::Onvif,
                tlv(3, true, &[1, 0, 5, 1, 1]),
                TlvError::BadValue { tag: 3 },
            ),
            (
                "something after the signature",
                Scheme::Onvif,
                [tlv(3, true, &[1, 0, 0]), tlv(2, true, &[1])].concat(),
                TlvError::AfterSignature,
            ),
        ];
        for (name, scheme, bytes, expected) in cases {
            assert_eq!(parse(scheme, &bytes), Err(expected), "{name}");
        }
    }

    #[test]
    fn a_general_tlv_with_odd_or_oversized_hashes_is_refused() {
        let mut odd = onvif_general_value(1);
        odd.push(0);
        assert_eq!(
            parse(Scheme::Onvif, &tlv(1, true, &odd)),
            Err(TlvError::BadValue { tag: 1 })
        );
        let mut big = onvif_general_value(1);
        big.extend_from_slice(&[0; 2 * 64 - 64 + 2]);
        assert_eq!(
            parse(Scheme::Onvif, &tlv(1, true, &big)),
            Err(TlvError::BadValue { tag: 1 })
        );
    }
}
