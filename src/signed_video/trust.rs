//! Trust in the key that signs a stream (issue 18 item 2): a display is
//! linked to one camera by its public key, or to a CA certificate that
//! vouches for every device it signed.
//!
//! - [`Trust::Key`]: only GOPs signed by this key (a SubjectPublicKeyInfo)
//!   can be authentic; a stream signed by any other key is `foreign-key`.
//! - [`Trust::Ca`]: the signing key must be the leaf of a certificate chain
//!   (from the stream, else the one given with the CA) that leads to the
//!   CA certificate: each certificate's issuer name is the next one's
//!   subject, each signature checks with the next one's key (ECDSA P-256
//!   with SHA-256, or RSA PKCS #1 v1.5 with SHA-256), every issuer is a CA
//!   (basicConstraints), and every certificate, the CA's too, is valid at
//!   the verification time, which is a parameter. A chain that is whole but
//!   expired (or not yet valid) is [`TrustError::Expired`], reported as
//!   such: the GOPs keep their verdicts, nothing is called tampered for it.
//!   Any other failure makes the stream's GOPs `foreign-key`.
//! - [`Trust::InStream`]: the key the stream carries, which proves the
//!   pictures are unchanged since signing but not who signed them.
//!
//! Not checked: revocation, name constraints, policies, key usage, and
//! Axis device attestation (the Axis root CAs); critical extensions other
//! than basicConstraints, keyUsage, extKeyUsage and subjectAltName make a
//! certificate unusable. [`spki_fingerprint`] shows a key as SPEC §5.1
//! shows frameseal's own keys.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use sha2::{Digest, Sha256, Sha384, Sha512};

use super::der::{Element, element};
use super::reader::Reader;
use super::validate::StreamKey;
use crate::calendar::{civil_from_days, days_from_civil};

/// The most certificates a chain may have, the CA's included: a bound on
/// the work a stream can ask for.
pub const MAX_CHAIN_LEN: usize = 8;

/// The most bytes of PEM text read for certificates.
pub const MAX_PEM_LEN: usize = 64 * 1024;

/// `ecdsa-with-SHA256` (1.2.840.10045.4.3.2), DER with tag and length.
const ECDSA_SHA256: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
/// `ecdsa-with-SHA384` (1.2.840.10045.4.3.3).
const ECDSA_SHA384: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
/// `ecdsa-with-SHA512` (1.2.840.10045.4.3.4).
const ECDSA_SHA512: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04];
/// `sha256WithRSAEncryption` (1.2.840.113549.1.1.11).
const RSA_SHA256: [u8; 11] = [
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
];
/// The extensions this module reads or may ignore when critical:
/// basicConstraints, keyUsage, extKeyUsage, subjectAltName (2.5.29.x).
const BASIC_CONSTRAINTS: [u8; 5] = [0x06, 0x03, 0x55, 0x1d, 0x13];
const KNOWN_CRITICAL: [[u8; 5]; 4] = [
    BASIC_CONSTRAINTS,
    [0x06, 0x03, 0x55, 0x1d, 0x0f],
    [0x06, 0x03, 0x55, 0x1d, 0x25],
    [0x06, 0x03, 0x55, 0x1d, 0x11],
];

/// Why the stream's key is not trusted, or a trust input is unusable.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustError {
    /// PEM text without a usable block of the expected kind, or too long.
    BadPem,
    /// A certificate does not have the RFC 5280 shape.
    BadCertificate,
    /// A key that is not an EC P-256 or RSA SubjectPublicKeyInfo.
    UnsupportedKey,
    /// An Axis attestation report that does not parse or whose signature
    /// does not check with the attestation certificate's key.
    BadAttestation,
    /// The stream's key comes with no certificate chain, and none was given.
    NoChain,
    /// The chain's first certificate is not for the key that signs.
    LeafMismatch,
    /// The chain does not lead to the CA: an issuer name or signature does
    /// not match, an issuer is not a CA, or the chain is too long.
    Untrusted,
    /// A certificate signed with an algorithm other than ECDSA P-256 or RSA
    /// with SHA-256 (e.g. by a P-384 or P-521 key).
    UnsupportedAlgorithm,
    /// The chain leads to the CA but a certificate of it is not valid at
    /// the verification time.
    Expired {
        /// Its position in the chain, 0 for the leaf (the CA is last).
        index: usize,
        /// Its subject's common name, when it has one.
        subject: String,
        /// Its validity, in seconds since the Unix epoch.
        not_before: i64,
        /// Its validity, in seconds since the Unix epoch.
        not_after: i64,
        /// The verification time, in seconds since the Unix epoch.
        at: i64,
    },
}

impl TrustError {
    /// A stable lower-case reason string, for JSON and JS.
    pub fn reason(&self) -> &'static str {
        match self {
            TrustError::BadPem => "bad-pem",
            TrustError::BadCertificate => "bad-certificate",
            TrustError::UnsupportedKey => "unsupported-key",
            TrustError::BadAttestation => "bad-attestation",
            TrustError::NoChain => "no-certificate-chain",
            TrustError::LeafMismatch => "leaf-mismatch",
            TrustError::Untrusted => "untrusted-chain",
            TrustError::UnsupportedAlgorithm => "unsupported-algorithm",
            TrustError::Expired { at, not_before, .. } if at < not_before => "not-yet-valid",
            TrustError::Expired { .. } => "expired",
        }
    }

    /// Whether the chain is whole and only its validity period fails.
    pub fn is_expired(&self) -> bool {
        matches!(self, TrustError::Expired { .. })
    }
}

impl fmt::Display for TrustError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrustError::BadPem => f.write_str("no usable PEM block"),
            TrustError::BadCertificate => f.write_str("a certificate is malformed"),
            TrustError::UnsupportedKey => {
                f.write_str("the key is neither an EC P-256 nor an RSA public key")
            }
            TrustError::BadAttestation => {
                f.write_str("the Axis attestation report does not vouch for the stream's key")
            }
            TrustError::NoChain => f.write_str("the stream's key comes with no certificate chain"),
            TrustError::LeafMismatch => {
                f.write_str("the certificate chain is for another key than the one that signs")
            }
            TrustError::Untrusted => f.write_str("the certificate chain does not lead to the CA"),
            TrustError::UnsupportedAlgorithm => f.write_str(
                "a certificate of the chain is signed with an algorithm other than ECDSA P-256 or \
                 RSA with SHA-256",
            ),
            TrustError::Expired {
                index,
                subject,
                not_before,
                not_after,
                at,
            } => {
                let which = if *index == 0 { "the signer's" } else { "a" };
                let state = if at < not_before {
                    "is not yet valid"
                } else {
                    "has expired"
                };
                write!(
                    f,
                    "{which} certificate '{subject}' {state} (valid from {} to {}, checked at {})",
                    Rfc3339(*not_before),
                    Rfc3339(*not_after),
                    Rfc3339(*at)
                )
            }
        }
    }
}

impl core::error::Error for TrustError {}

/// Seconds since the Unix epoch, written as RFC 3339 UTC.
struct Rfc3339(i64);

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

/// A public key a display trusts: one camera's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedKey {
    pub(super) key: StreamKey,
    spki: Vec<u8>,
}

impl TrustedKey {
    /// The key of a DER SubjectPublicKeyInfo (EC P-256 or RSA).
    pub fn from_spki_der(der: &[u8]) -> Result<TrustedKey, TrustError> {
        let key = StreamKey::from_spki_der(der).ok_or(TrustError::UnsupportedKey)?;
        Ok(TrustedKey {
            key,
            spki: der.to_vec(),
        })
    }

    /// Its SPEC §5.1 fingerprint ([`spki_fingerprint`]).
    pub fn fingerprint(&self) -> String {
        spki_fingerprint(&self.spki)
    }

    /// The key of a `PUBLIC KEY` PEM block.
    pub fn from_spki_pem(pem: &str) -> Result<TrustedKey, TrustError> {
        let der = pem_blocks(pem.as_bytes(), "PUBLIC KEY")?
            .into_iter()
            .next()
            .ok_or(TrustError::BadPem)?;
        TrustedKey::from_spki_der(&der)
    }
}

/// A CA a display trusts, with the time certificates are checked at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaTrust {
    /// The CA certificate (DER).
    anchor: Vec<u8>,
    /// Certificates given with it, leaf first, for streams that carry only
    /// a key (the Axis examples' `cert_chain.pem`).
    chain: Vec<Vec<u8>>,
    /// Seconds since the Unix epoch.
    at: i64,
}

impl CaTrust {
    /// From PEM text of one or more certificates: the last one is the CA;
    /// those before it, leaf first, are the chain of a stream that carries
    /// none. `at` is the verification time in seconds since the Unix epoch.
    pub fn from_pem(pem: &[u8], at: i64) -> Result<CaTrust, TrustError> {
        let mut certs = pem_blocks(pem, "CERTIFICATE")?;
        if certs.len() > MAX_CHAIN_LEN {
            return Err(TrustError::Untrusted);
        }
        let anchor = certs.pop().ok_or(TrustError::BadPem)?;
        for der in certs.iter().chain([&anchor]) {
            Certificate::parse(der)?;
        }
        Ok(CaTrust {
            anchor,
            chain: certs,
            at,
        })
    }

    /// The verification time, seconds since the Unix epoch.
    pub fn at(&self) -> i64 {
        self.at
    }

    /// The CA's subject common name (`?` without one), to show which CA.
    pub fn ca_name(&self) -> String {
        Certificate::parse(&self.anchor).map_or_else(|_| String::from("?"), |c| c.common_name())
    }

    /// Checks that `key` is vouched for by the CA through `stream_chain`
    /// (the PEM chain the stream carries, leaf first) or, without one, the
    /// chain given with the CA.
    pub(super) fn check(
        &self,
        key: &StreamKey,
        stream_chain: Option<&[u8]>,
    ) -> Result<(), TrustError> {
        let chain = match stream_chain {
            Some(pem) => pem_blocks(pem, "CERTIFICATE")?,
            None => self.chain.clone(),
        };
        if chain.is_empty() {
            return Err(TrustError::NoChain);
        }
        // The path: the chain up to (not including) a copy of the CA, then
        // the CA.
        let mut path: Vec<Certificate<'_>> = Vec::new();
        for der in chain.iter().take_while(|der| **der != self.anchor) {
            path.push(Certificate::parse(der)?);
        }
        // Then the CA (alone when the CA itself signs the stream).
        path.push(Certificate::parse(&self.anchor)?);
        if path.len() > MAX_CHAIN_LEN {
            return Err(TrustError::Untrusted);
        }
        let leaf_key = StreamKey::from_spki_der(path[0].spki).ok_or(TrustError::UnsupportedKey)?;
        if leaf_key != *key {
            return Err(TrustError::LeafMismatch);
        }
        check_signatures(&path)?;
        check_validity(&path, self.at)
    }
}

/// Checks a path (leaf first, CA last): names first, so that a chain to
/// another CA says so whatever its algorithms; then every issuer is a CA
/// and every signature checks with the next certificate's key, the CA's
/// own when it is self-signed.
fn check_signatures(path: &[Certificate<'_>]) -> Result<(), TrustError> {
    if path.len() > MAX_CHAIN_LEN
        || path
            .windows(2)
            .any(|pair| pair[0].issuer != pair[1].subject || !pair[1].is_ca)
    {
        return Err(TrustError::Untrusted);
    }
    for pair in path.windows(2) {
        pair[0].verify_with(&pair[1])?;
    }
    let ca = path.last().ok_or(TrustError::Untrusted)?;
    if ca.issuer == ca.subject {
        ca.verify_with(ca)?;
    }
    Ok(())
}

/// Checks that every certificate of a path is valid at `at`.
fn check_validity(path: &[Certificate<'_>], at: i64) -> Result<(), TrustError> {
    for (index, cert) in path.iter().enumerate() {
        if at < cert.not_before || at > cert.not_after {
            return Err(TrustError::Expired {
                index,
                subject: cert.common_name(),
                not_before: cert.not_before,
                not_after: cert.not_after,
                at,
            });
        }
    }
    Ok(())
}

/// The Axis root CAs that Axis device attestation chains lead to: "Axis
/// Edge Vault CA ECC" (P-521, 2020–2035) and "Axis TEE Signed Video Root
/// CA" (P-521, 2026–2041), as `AxisCommunications/signed-video-framework`
/// (MIT, `lib/src/sv_axis_communications.c`, `kTrustedRootCAs`) lists them.
/// Public certificates: data, not code.
const AXIS_ROOT_CAS: [&str; 2] = [
    "-----BEGIN CERTIFICATE-----
MIIClDCCAfagAwIBAgIBATAKBggqhkjOPQQDBDBcMR8wHQYDVQQKExZBeGlzIENv
bW11bmljYXRpb25zIEFCMRgwFgYDVQQLEw9BeGlzIEVkZ2UgVmF1bHQxHzAdBgNV
BAMTFkF4aXMgRWRnZSBWYXVsdCBDQSBFQ0MwHhcNMjAxMDI2MDg0MzEzWhcNMzUx
MDI2MDg0MzEzWjBcMR8wHQYDVQQKExZBeGlzIENvbW11bmljYXRpb25zIEFCMRgw
FgYDVQQLEw9BeGlzIEVkZ2UgVmF1bHQxHzAdBgNVBAMTFkF4aXMgRWRnZSBWYXVs
dCBDQSBFQ0MwgZswEAYHKoZIzj0CAQYFK4EEACMDgYYABAEmfjxRiTrvjLZol9gG
3YCUxcoWihbz2L3+6sp120I+KA/tLhYIDMais32M0tAqld5VDo1FWvi6kEVtqQn4
3+rOzgH8XkXolP+QFNSdKUPyJawnM4B9/jPZ6OA5bG7R1CNKmP4JpkYWqrD22hjc
AV9Hf/hz5TK2pc5IBHIxZyMcnlBc26NmMGQwHQYDVR0OBBYEFJBaAarD0kirmPmR
vCdrM6kt0XChMB8GA1UdIwQYMBaAFJBaAarD0kirmPmRvCdrM6kt0XChMBIGA1Ud
EwEB/wQIMAYBAf8CAQEwDgYDVR0PAQH/BAQDAgEGMAoGCCqGSM49BAMEA4GLADCB
hwJBUfwiBK0TIRJebWm9/nsNAEkjbxao40oeMUg+I3mDNr7guNJUo4ugOfToGpnm
3QLOhEJzyHqPBHTChxEd5bGVUW8CQgDR/ZAr405Ohk5kpM/gmzELP+fYDZfuTFut
w3S8HMYSvMWbTCzN+qnq+GV1goSS6vjVr95EpDxCVIxkKOvuxhyVDg==
-----END CERTIFICATE-----
",
    "-----BEGIN CERTIFICATE-----
MIIChjCCAeegAwIBAgIBATAKBggqhkjOPQQDBDBWMQswCQYDVQQGEwJTRTEfMB0G
A1UECgwWQXhpcyBDb21tdW5pY2F0aW9ucyBBQjEmMCQGA1UEAwwdQXhpcyBURUUg
U2lnbmVkIFZpZGVvIFJvb3QgQ0EwHhcNMjYwMzIzMTAyMTE0WhcNNDEwMzE5MTAy
MTE0WjBWMQswCQYDVQQGEwJTRTEfMB0GA1UECgwWQXhpcyBDb21tdW5pY2F0aW9u
cyBBQjEmMCQGA1UEAwwdQXhpcyBURUUgU2lnbmVkIFZpZGVvIFJvb3QgQ0EwgZsw
EAYHKoZIzj0CAQYFK4EEACMDgYYABAByYn89N6rzNsUTEHPRZXsdQQqorBJPX8W/
nV7j00ANnFioFDWp9WdSW/UC1ALY+SKoArUBjnzGnqTPBPtfV3UbRQBOHacPkVgL
//1OxEJfwyhhQrGTcn9KKeG8iJTKFoXArvicU+lilsjE8PV9+uUsE6zbIf4lFQLE
oU5hx+vTSxGRA6NjMGEwHwYDVR0jBBgwFoAUvtSs3PsLSpSPdTDJjXMBivgRJo4w
DwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwHQYDVR0OBBYEFL7UrNz7
C0qUj3UwyY1zAYr4ESaOMAoGCCqGSM49BAMEA4GMADCBiAJCAUjQy+PomgLYoKn1
4bcF1Y4Bv80jm285vdy+hQ8AdmaG6ixvHGMSaXolOhSDWKOuwDg0kIYGVF1quHCI
9vEKNZw0AkIB2b20NGna+9QE3hB0nuTmK1uYsqXfbwnQYj0dOv4YfRicHeys73u+
4+x8cqidPOf4i0Xdf+zFg9hRWxW/WGbvmA4=
-----END CERTIFICATE-----
",
];

/// Axis device attestation (Axis Edge Vault): the stream's key is vouched
/// for by an attestation report signed by the camera's attestation
/// certificate, whose chain (the Axis vendor TLV) leads to an Axis root CA;
/// or, for a key provisioned in the factory (no report), the key is that
/// certificate's. Certificates are checked at `at`. The chain is signed
/// with P-384 and P-521 keys: without the crate feature `axis-attestation`
/// every check fails with [`TrustError::UnsupportedAlgorithm`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AxisTrust {
    at: i64,
}

/// The report format's constants (`sv_axis_communications.c`): the Secure
/// Element attributes of the key and the freshness value the camera used.
const AXIS_ATTRIBUTES: [u8; 37] = [
    0x7b, 0x00, 0x02, 0x01, 0x29, 0x01, 0x00, 0x00, 0x7b, 0x00, 0x00, 0x03, 0x00, 0x00, 0x08, 0x7b,
    0x00, 0x00, 0x03, 0x1f, 0x3c, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00,
    0x02, 0x00, 0x00, 0x00, 0x00,
];
const AXIS_FRESHNESS: [u8; 16] = [
    0x92, 0xbb, 0xed, 0xfb, 0x98, 0x82, 0xac, 0x16, 0xc7, 0xf0, 0x1a, 0xe4, 0x59, 0x05, 0x96, 0x04,
];
/// The attestation certificate's common name: this, then the chip id in hex.
const AXIS_ATTESTATION_CN: &str = "Axis Edge Vault Attestation ";

impl AxisTrust {
    /// Axis device attestation with certificates checked at `at` (seconds
    /// since the Unix epoch).
    pub fn new(at: i64) -> AxisTrust {
        AxisTrust { at }
    }

    /// The verification time, seconds since the Unix epoch.
    pub fn at(&self) -> i64 {
        self.at
    }

    /// Checks that the key with SubjectPublicKeyInfo `spki` is attested by
    /// the Axis vendor TLV's `attestation` and `chain`.
    pub(super) fn check(
        &self,
        key: &StreamKey,
        spki: Option<&[u8]>,
        chain: Option<&[u8]>,
        attestation: &[u8],
    ) -> Result<(), TrustError> {
        let chain = pem_blocks(chain.ok_or(TrustError::NoChain)?, "CERTIFICATE")?;
        if chain.len() >= MAX_CHAIN_LEN {
            return Err(TrustError::Untrusted);
        }
        let mut path: Vec<Certificate<'_>> = Vec::new();
        for der in &chain {
            path.push(Certificate::parse(der)?);
        }
        let roots: Vec<Vec<u8>> = AXIS_ROOT_CAS
            .iter()
            .filter_map(|pem| pem_blocks(pem.as_bytes(), "CERTIFICATE").ok()?.pop())
            .collect();
        let last_issuer = path.last().map(|c| c.issuer).ok_or(TrustError::NoChain)?;
        let root = roots
            .iter()
            .filter_map(|der| Certificate::parse(der).ok())
            .find(|root| root.subject == last_issuer)
            .ok_or(TrustError::Untrusted)?;
        path.push(root);
        check_signatures(&path)?;
        let leaf = &path[0];
        if attestation.is_empty() {
            let leaf_key = StreamKey::from_spki_der(leaf.spki).ok_or(TrustError::UnsupportedKey)?;
            if leaf_key != *key {
                return Err(TrustError::LeafMismatch);
            }
        } else {
            verify_attestation(leaf, spki.ok_or(TrustError::UnsupportedKey)?, attestation)?;
        }
        check_validity(&path, self.at)
    }
}

/// Verifies an Axis attestation report: the attestation certificate's key
/// signed (ECDSA P-256, SHA-256) a record of the attested key (uncompressed
/// P-256 point), the chip id from the certificate's common name, the key's
/// attributes and the report's timestamp.
fn verify_attestation(
    leaf: &Certificate<'_>,
    spki: &[u8],
    report: &[u8],
) -> Result<(), TrustError> {
    const BAD: TrustError = TrustError::BadAttestation;
    // header (2), version (2), object id (4), list length (1, must be 1),
    // timestamp (12), signature length (u16), signature.
    let mut r = Reader::new(report);
    r.take(8).map_err(|_| BAD)?;
    if r.u8().map_err(|_| BAD)? != 1 {
        return Err(BAD);
    }
    let timestamp = r.take(12).map_err(|_| BAD)?;
    let len = usize::from(r.u16().map_err(|_| BAD)?);
    let signature = r.take(len).map_err(|_| BAD)?;
    if !r.is_empty() {
        return Err(BAD);
    }
    // The attested key as an uncompressed P-256 point.
    let mut s = Reader::new(spki);
    let info = expect(&mut s, 0x30)?;
    let mut i = Reader::new(info.content);
    expect(&mut i, 0x30)?;
    let point = match expect(&mut i, 0x03)?.content {
        [0, point @ ..] if point.len() == 65 && point[0] == 4 => point,
        _ => return Err(TrustError::UnsupportedKey),
    };
    let cn = leaf.common_name();
    let hex = cn.strip_prefix(AXIS_ATTESTATION_CN).ok_or(BAD)?;
    if hex.len() != 36 {
        return Err(BAD);
    }
    let mut chip_id = [0u8; 18];
    for (k, byte) in chip_id.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * k..2 * k + 2).ok_or(BAD)?, 16).map_err(|_| BAD)?;
    }
    // The Secure Element command the report answers: its fixed bytes, the
    // key's object id (the attributes' first 4 bytes) at 9, the freshness
    // at 24.
    let mut raw = [0u8; 40];
    raw[..24].copy_from_slice(&[
        0x80, 0x22, 0x00, 0x00, 0x00, 0x00, 0x21, 0x41, 0x04, 0xf0, 0x00, 0x00, 0x12, 0x45, 0x04,
        0xf0, 0x00, 0x00, 0x12, 0x46, 0x01, 0x21, 0x47, 0x10,
    ]);
    raw[9..13].copy_from_slice(&AXIS_ATTRIBUTES[..4]);
    raw[24..].copy_from_slice(&AXIS_FRESHNESS);
    let mut signed = Vec::with_capacity(186);
    signed.extend_from_slice(&Sha256::digest(raw));
    signed.extend_from_slice(&[0x41, 0x82, 0x00, 65]);
    signed.extend_from_slice(point);
    signed.extend_from_slice(&[0x42, 0x82, 0x00, 18]);
    signed.extend_from_slice(&chip_id);
    signed.extend_from_slice(&[0x43, 0x82, 0x00, 37]);
    signed.extend_from_slice(&AXIS_ATTRIBUTES);
    signed.extend_from_slice(&[0x44, 0x82, 0x00, 0x02, 0x00, 0x20, 0x4f, 0x82, 0x00, 0x0c]);
    signed.extend_from_slice(timestamp);
    let key = match StreamKey::from_spki_der(leaf.spki) {
        Some(key @ StreamKey::P256(_)) => key,
        _ => return Err(TrustError::UnsupportedKey),
    };
    if key.verify_prehash(&Sha256::digest(&signed), signature) {
        Ok(())
    } else {
        Err(BAD)
    }
}

/// What a [`StreamValidator`](super::StreamValidator) trusts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Trust {
    /// The key the stream carries, pinned from the first SEI it signs: the
    /// pictures are unchanged since signing, by whoever signed them.
    #[default]
    InStream,
    /// One camera's key.
    Key(TrustedKey),
    /// A CA that vouches for the camera's key.
    Ca(CaTrust),
    /// Axis device attestation with the Axis root CAs.
    Axis(AxisTrust),
}

impl Trust {
    /// A stable lower-case name: `in-stream-key-only`, `key` or `ca`.
    pub fn name(&self) -> &'static str {
        match self {
            Trust::InStream => "in-stream-key-only",
            Trust::Key(_) => "key",
            Trust::Ca(_) => "ca",
            Trust::Axis(_) => "axis-attestation",
        }
    }
}

/// The SPEC §5.1 fingerprint of a key, over its SubjectPublicKeyInfo DER
/// bytes: the first 10 bytes of their SHA-512 in lower-case base32, as
/// `xxxx-xxxx-xxxx-xxxx`, so that a person compares it with the camera's.
pub fn spki_fingerprint(spki_der: &[u8]) -> String {
    let digest = Sha512::digest(spki_der);
    let mut prefix = [0u8; 10];
    prefix.copy_from_slice(&digest[..10]);
    crate::pairing::base32_grouped(&prefix)
}

/// The DER contents of the PEM blocks labelled `label` in `pem`, in order;
/// other blocks are skipped. At least one, at most [`MAX_CHAIN_LEN`].
pub(super) fn pem_blocks(pem: &[u8], label: &str) -> Result<Vec<Vec<u8>>, TrustError> {
    if pem.len() > MAX_PEM_LEN {
        return Err(TrustError::BadPem);
    }
    let text = core::str::from_utf8(pem).map_err(|_| TrustError::BadPem)?;
    let text = text.trim_end_matches('\0');
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let block = &rest[start..];
        let header_end = block[11..].find("-----").ok_or(TrustError::BadPem)? + 16;
        let found = &block[11..header_end - 5];
        let end_marker = alloc::format!("-----END {found}-----");
        let end = block.find(&end_marker).ok_or(TrustError::BadPem)? + end_marker.len();
        if found == label {
            if out.len() == MAX_CHAIN_LEN {
                return Err(TrustError::BadPem);
            }
            let (_, der) = p256::pkcs8::der::pem::decode_vec(&block.as_bytes()[..end])
                .map_err(|_| TrustError::BadPem)?;
            out.push(der);
        }
        rest = &block[end..];
    }
    if out.is_empty() {
        return Err(TrustError::BadPem);
    }
    Ok(out)
}

/// The parts of an X.509 certificate (RFC 5280 §4.1) a chain check needs.
struct Certificate<'a> {
    /// The whole `tbsCertificate` element: what the issuer signed.
    tbs: &'a [u8],
    /// The signature algorithm's OID element.
    algorithm: &'a [u8],
    /// The signature, without the BIT STRING's unused-bits byte.
    signature: &'a [u8],
    /// The issuer and subject Name elements, compared byte for byte.
    issuer: &'a [u8],
    subject: &'a [u8],
    not_before: i64,
    not_after: i64,
    /// The SubjectPublicKeyInfo element.
    spki: &'a [u8],
    /// basicConstraints says cA.
    is_ca: bool,
}

impl<'a> Certificate<'a> {
    fn parse(der: &'a [u8]) -> Result<Certificate<'a>, TrustError> {
        const BAD: TrustError = TrustError::BadCertificate;
        let mut r = Reader::new(der);
        let cert = expect(&mut r, 0x30)?;
        if !r.is_empty() {
            return Err(BAD);
        }
        let mut c = Reader::new(cert.content);
        let start = c.position();
        let tbs_el = expect(&mut c, 0x30)?;
        let tbs = &cert.content[start..c.position()];
        let alg = expect(&mut c, 0x30)?;
        let mut a = Reader::new(alg.content);
        let oid_start = a.position();
        expect(&mut a, 0x06)?;
        let algorithm = &alg.content[oid_start..a.position()];
        let sig = expect(&mut c, 0x03)?;
        let signature = match sig.content.split_first() {
            Some((0, bits)) => bits,
            _ => return Err(BAD),
        };
        if !c.is_empty() {
            return Err(BAD);
        }

        let content = tbs_el.content;
        let mut t = Reader::new(content);
        let raw = |t: &mut Reader<'a>, tag: u8| -> Result<&'a [u8], TrustError> {
            let s = t.position();
            expect(t, tag)?;
            Ok(&content[s..t.position()])
        };
        let mut peek = Reader::new(&content[t.position()..]);
        if element(&mut peek).map_err(|_| BAD)?.tag == 0xa0 {
            expect(&mut t, 0xa0)?;
        }
        expect(&mut t, 0x02)?; // serialNumber
        expect(&mut t, 0x30)?; // signature (must equal the outer one)
        let issuer = raw(&mut t, 0x30)?;
        let validity = expect(&mut t, 0x30)?;
        let subject = raw(&mut t, 0x30)?;
        let spki = raw(&mut t, 0x30)?;
        let mut v = Reader::new(validity.content);
        let not_before = time(element(&mut v).map_err(|_| BAD)?)?;
        let not_after = time(element(&mut v).map_err(|_| BAD)?)?;
        if !v.is_empty() {
            return Err(BAD);
        }
        let mut is_ca = false;
        while !t.is_empty() {
            let e = element(&mut t).map_err(|_| BAD)?;
            match e.tag {
                0x81 | 0x82 => {}
                0xa3 => is_ca = extensions(e.content)?,
                _ => return Err(BAD),
            }
        }
        Ok(Certificate {
            tbs,
            algorithm,
            signature,
            issuer,
            subject,
            not_before,
            not_after,
            spki,
            is_ca,
        })
    }

    /// Checks this certificate's signature with `issuer`'s key.
    fn verify_with(&self, issuer: &Certificate<'_>) -> Result<(), TrustError> {
        let unsupported = TrustError::UnsupportedAlgorithm;
        let key = IssuerKey::from_spki_der(issuer.spki).ok_or(unsupported.clone())?;
        let digest: Vec<u8> = match self.algorithm {
            a if a == ECDSA_SHA256 || a == RSA_SHA256 => Sha256::digest(self.tbs).to_vec(),
            a if a == ECDSA_SHA384 => Sha384::digest(self.tbs).to_vec(),
            a if a == ECDSA_SHA512 => Sha512::digest(self.tbs).to_vec(),
            _ => return Err(unsupported),
        };
        let rsa = self.algorithm == RSA_SHA256;
        let valid = match &key {
            IssuerKey::Stream(k @ StreamKey::Rsa(_)) if rsa => {
                k.verify_prehash(&digest, self.signature)
            }
            IssuerKey::Stream(k @ StreamKey::P256(_)) if !rsa => {
                k.verify_prehash(&digest, self.signature)
            }
            #[cfg(feature = "axis-attestation")]
            IssuerKey::P384(k) if !rsa => {
                use p384::ecdsa::signature::hazmat::PrehashVerifier;
                p384::ecdsa::Signature::from_der(self.signature)
                    .is_ok_and(|s| k.verify_prehash(&digest, &s).is_ok())
            }
            #[cfg(feature = "axis-attestation")]
            IssuerKey::P521(k) if !rsa => {
                use p521::ecdsa::signature::hazmat::PrehashVerifier;
                p521::ecdsa::Signature::from_der(self.signature)
                    .is_ok_and(|s| k.verify_prehash(&digest, &s).is_ok())
            }
            _ => return Err(unsupported),
        };
        if valid {
            Ok(())
        } else {
            Err(TrustError::Untrusted)
        }
    }

    /// The subject's common name (2.5.4.3), or `?`.
    fn common_name(&self) -> String {
        const CN: [u8; 5] = [0x06, 0x03, 0x55, 0x04, 0x03];
        let find = || -> Option<String> {
            let mut r = Reader::new(self.subject);
            let name = element(&mut r).ok()?;
            let mut rdns = Reader::new(name.content);
            let mut found = None;
            while !rdns.is_empty() {
                let set = element(&mut rdns).ok()?;
                let mut s = Reader::new(set.content);
                while !s.is_empty() {
                    let atv = element(&mut s).ok()?;
                    let mut a = Reader::new(atv.content);
                    let oid_start = a.position();
                    element(&mut a).ok()?;
                    let oid = &atv.content[oid_start..a.position()];
                    let value = element(&mut a).ok()?;
                    if oid == CN {
                        found = core::str::from_utf8(value.content).ok().map(String::from);
                    }
                }
            }
            found
        };
        find().unwrap_or_else(|| String::from("?"))
    }
}

/// A key that signs certificates: the keys streams are signed with, and,
/// with the `axis-attestation` feature, the P-384 and P-521 keys of the
/// Axis CAs.
enum IssuerKey {
    Stream(StreamKey),
    #[cfg(feature = "axis-attestation")]
    P384(p384::ecdsa::VerifyingKey),
    #[cfg(feature = "axis-attestation")]
    P521(p521::ecdsa::VerifyingKey),
}

impl IssuerKey {
    fn from_spki_der(der: &[u8]) -> Option<IssuerKey> {
        if let Some(key) = StreamKey::from_spki_der(der) {
            return Some(IssuerKey::Stream(key));
        }
        #[cfg(feature = "axis-attestation")]
        {
            use p384::pkcs8::DecodePublicKey;
            if let Ok(key) = p384::PublicKey::from_public_key_der(der) {
                return Some(IssuerKey::P384(key.into()));
            }
            if let Ok(key) = p521::PublicKey::from_public_key_der(der) {
                return Some(IssuerKey::P521(key.into()));
            }
        }
        None
    }
}

/// Reads one element that must have `tag`.
fn expect<'a>(r: &mut Reader<'a>, tag: u8) -> Result<Element<'a>, TrustError> {
    match element(r) {
        Ok(e) if e.tag == tag => Ok(e),
        _ => Err(TrustError::BadCertificate),
    }
}

/// Whether the extensions say cA; an unknown critical extension makes the
/// certificate unusable (RFC 5280 §4.2).
fn extensions(explicit: &[u8]) -> Result<bool, TrustError> {
    const BAD: TrustError = TrustError::BadCertificate;
    let mut r = Reader::new(explicit);
    let list = expect(&mut r, 0x30)?;
    if !r.is_empty() {
        return Err(BAD);
    }
    let mut l = Reader::new(list.content);
    let mut is_ca = false;
    while !l.is_empty() {
        let ext = expect(&mut l, 0x30)?;
        let mut e = Reader::new(ext.content);
        let oid_start = e.position();
        expect(&mut e, 0x06)?;
        let oid = &ext.content[oid_start..e.position()];
        let mut next = element(&mut e).map_err(|_| BAD)?;
        let mut critical = false;
        if next.tag == 0x01 {
            critical = next.content == [0xff];
            next = element(&mut e).map_err(|_| BAD)?;
        }
        if next.tag != 0x04 || !e.is_empty() {
            return Err(BAD);
        }
        if critical && !KNOWN_CRITICAL.iter().any(|k| k == oid) {
            return Err(TrustError::Untrusted);
        }
        if oid == BASIC_CONSTRAINTS {
            let mut v = Reader::new(next.content);
            let seq = expect(&mut v, 0x30)?;
            let mut s = Reader::new(seq.content);
            if !s.is_empty() {
                let first = element(&mut s).map_err(|_| BAD)?;
                is_ca = first.tag == 0x01 && first.content == [0xff];
            }
        }
    }
    Ok(is_ca)
}

/// A UTCTime (`YYMMDDHHMMSSZ`, years 1950–2049) or GeneralizedTime
/// (`YYYYMMDDHHMMSSZ`) as seconds since the Unix epoch (RFC 5280 §4.1.2.5).
fn time(e: Element<'_>) -> Result<i64, TrustError> {
    const BAD: TrustError = TrustError::BadCertificate;
    let digits = |s: &[u8]| -> Result<i64, TrustError> {
        s.iter().try_fold(0i64, |acc, &b| {
            if b.is_ascii_digit() {
                Ok(acc * 10 + i64::from(b - b'0'))
            } else {
                Err(BAD)
            }
        })
    };
    let (year, rest) = match (e.tag, e.content.len()) {
        (0x17, 13) => {
            let yy = digits(&e.content[..2])?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, &e.content[2..])
        }
        (0x18, 15) => (digits(&e.content[..4])?, &e.content[4..]),
        _ => return Err(BAD),
    };
    if rest[10] != b'Z' {
        return Err(BAD);
    }
    let month = digits(&rest[0..2])?;
    let day = digits(&rest[2..4])?;
    let (h, m, s) = (
        digits(&rest[4..6])?,
        digits(&rest[6..8])?,
        digits(&rest[8..10])?,
    );
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return Err(BAD);
    }
    Ok(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_written_as_rfc3339_utc() {
        assert_eq!(
            alloc::format!("{}", Rfc3339(1_700_000_000)),
            "2023-11-14T22:13:20Z"
        );
    }

    #[test]
    fn utc_and_generalized_times_read_as_unix_seconds() {
        let utc = Element {
            tag: 0x17,
            content: b"231114221320Z",
        };
        assert_eq!(time(utc), Ok(1_700_000_000));
        let generalized = Element {
            tag: 0x18,
            content: b"20231114221320Z",
        };
        assert_eq!(time(generalized), Ok(1_700_000_000));
        let old = Element {
            tag: 0x17,
            content: b"700101000000Z",
        };
        assert_eq!(time(old), Ok(0));
        for bad in [&b"2311142213200"[..], b"23111422132Z", b"231314221320Z"] {
            let e = Element {
                tag: 0x17,
                content: bad,
            };
            assert_eq!(time(e), Err(TrustError::BadCertificate), "{bad:?}");
        }
    }

    #[test]
    fn pem_blocks_take_only_the_label_asked_for() {
        let pem = b"junk\n-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n\
                    -----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n";
        assert_eq!(
            pem_blocks(pem, "CERTIFICATE"),
            Ok(alloc::vec![alloc::vec![1, 2, 3]])
        );
        assert_eq!(pem_blocks(pem, "PUBLIC KEY"), Err(TrustError::BadPem));
        assert_eq!(
            pem_blocks(b"-----BEGIN CERTIFICATE-----\nAQID\n", "CERTIFICATE"),
            Err(TrustError::BadPem)
        );
    }

    #[test]
    fn a_certificate_cut_or_changed_anywhere_is_refused_or_parsed_without_panic() {
        let pem = include_bytes!("../../tests/fixtures/signed-video/onvif_ca.pem");
        let der = pem_blocks(pem, "CERTIFICATE")
            .expect("a certificate")
            .remove(0);
        let cert = Certificate::parse(&der).expect("parses");
        assert!(cert.is_ca);
        assert_eq!(cert.common_name(), "Test RootCA");
        assert_eq!(cert.issuer, cert.subject);
        assert_eq!(cert.verify_with(&cert), Ok(()), "self-signed");
        for len in 0..der.len() {
            assert!(Certificate::parse(&der[..len]).is_err(), "cut at {len}");
        }
        let mut longer = der.clone();
        longer.push(0);
        assert!(Certificate::parse(&longer).is_err(), "a byte after it");
        for i in 0..der.len() {
            for flip in [0x01, 0x80] {
                let mut changed = der.clone();
                changed[i] ^= flip;
                if let Ok(c) = Certificate::parse(&changed) {
                    // A change inside what the CA signed breaks its
                    // signature; one inside the signature too.
                    if c.tbs != cert.tbs || c.signature != cert.signature {
                        assert!(c.verify_with(&cert).is_err(), "byte {i} ^ {flip:#x}");
                    }
                }
            }
        }
    }

    /// The Axis camera recording's attestation report, attestation
    /// certificate and attested key (SPKI DER).
    fn axis_vendor_parts() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        use crate::signed_video::{Codec, annexb_nal_units, sei::parse_nal};
        let stream =
            include_bytes!("../../tests/fixtures/signed-video/axis_signed_vendor_axis.h264");
        let sei = annexb_nal_units(stream)
            .into_iter()
            .find_map(|nal| parse_nal(nal, Codec::H264).ok().flatten())
            .expect("a SEI");
        let certs = sei.payload.certificates.expect("the Axis vendor TLV");
        let leaf = pem_blocks(&certs.pem, "CERTIFICATE")
            .expect("a chain")
            .remove(0);
        let pem = core::str::from_utf8(sei.payload.public_key_pem.as_deref().expect("a key"))
            .expect("PEM text")
            .trim_end_matches('\0');
        let spki = pem_blocks(pem.as_bytes(), "PUBLIC KEY")
            .expect("SPKI")
            .remove(0);
        (certs.attestation, leaf, spki)
    }

    #[test]
    fn an_axis_attestation_report_vouches_for_its_key_only_unchanged() {
        let (report, leaf, spki) = axis_vendor_parts();
        assert_eq!(report.len(), 94);
        let leaf = Certificate::parse(&leaf).expect("parses");
        assert_eq!(verify_attestation(&leaf, &spki, &report), Ok(()));
        // Any changed byte of the report (its timestamp, signature, sizes)
        // or of the attested key fails.
        for i in 0..report.len() {
            let mut changed = report.clone();
            changed[i] ^= 0x01;
            if i < 8 {
                // Header, version and object id are not part of what is
                // signed (as the reference reads them).
                continue;
            }
            assert!(
                verify_attestation(&leaf, &spki, &changed).is_err(),
                "byte {i}"
            );
        }
        let mut other = spki.clone();
        let last = other.len() - 1;
        other[last] ^= 0x01;
        assert!(verify_attestation(&leaf, &other, &report).is_err());
        assert_eq!(
            verify_attestation(&leaf, &spki, &report[..93]),
            Err(TrustError::BadAttestation)
        );
    }

    #[test]
    fn fingerprints_follow_spec_5_1() {
        // SHA-512("") starts cf 83 e1 35 7e ef b8 bd f1 54.
        assert_eq!(spki_fingerprint(b""), "z6b6-cnl6-564l-34ku");
    }
}
