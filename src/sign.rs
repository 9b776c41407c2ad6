//! The camera side: a device key that turns payloads into signed frames,
//! numbering them per stream.
//!
//! Rules:
//! - the signer never produces a frame the verifier would call malformed: a
//!   payload over 4 GiB − 1, or a key-rotation payload that is not 96 bytes,
//!   is an error, not a frame;
//! - sequence numbers are per stream id: when the caller gives none, the
//!   next one is the last one used on that stream plus one (0 for a new
//!   stream); a given one becomes the new last; running past `u64::MAX` is
//!   an error, never a wrap-around the verifier would call a replay.
//!
//! The core has no randomness source: callers hand in the secret key and
//! the session's random stream id (the JS layer uses `crypto.getRandomValues`,
//! the CLI the OS).

use alloc::vec::Vec;
use core::fmt;
use curve25519_dalek::scalar::{Scalar, clamp_integer};
use curve25519_dalek::traits::BasepointTable;
use zeroize::Zeroize;

use crate::frame::{
    self, CONTENT_HASH_LEN, Codec, Header, ROTATION_PAYLOAD_LEN, SEAL_LEN, SEAL_SIGNED_LEN, Version,
};
use crate::inband::{self, UnitError, UnitFormat};
use crate::keys::{KeyId, PUBLIC_KEY_LEN, basepoint_table, sha512};

/// Length of an Ed25519 secret key (the seed).
pub const SECRET_KEY_LEN: usize = 32;

/// Why a frame could not be signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignError {
    /// The payload does not fit the 32-bit length field.
    PayloadTooLarge(usize),
    /// A key-rotation frame must carry exactly 96 bytes.
    RotationPayloadLength(usize),
    /// A key cannot be rotated to itself.
    SameKey,
    /// The stream has used every sequence number.
    SeqExhausted,
    /// [`Signer::sign_message`] was asked to sign data in the frames'
    /// domain (it starts with `FSEAL`).
    FrameDomain,
    /// An in-band unit that cannot be sealed: it does not split, already
    /// holds a seal, or has no picture to put the seal before.
    Unit(UnitError),
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignError::PayloadTooLarge(n) => {
                write!(
                    f,
                    "payload of {n} bytes does not fit a frame (at most 4294967295)"
                )
            }
            SignError::RotationPayloadLength(n) => {
                write!(f, "a key-rotation payload must be 96 bytes, got {n}")
            }
            SignError::SameKey => f.write_str("the next key is the current key"),
            SignError::SeqExhausted => f.write_str("the stream has used every sequence number"),
            SignError::Unit(e) => write!(f, "cannot seal this unit: {e}"),
            SignError::FrameDomain => f.write_str("a device key never signs data starting FSEAL"),
        }
    }
}

impl core::error::Error for SignError {}

/// What to put in a frame's header besides the payload. `stream_id` and
/// `seq` default to the signer's session stream and its next number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameSpec {
    /// Stream the frame belongs to; `None` means the signer's own session stream.
    pub stream_id: Option<[u8; 16]>,
    /// Frame number; `None` means one more than the last on this stream.
    pub seq: Option<u64>,
    /// Capture time, microseconds since the Unix epoch.
    pub timestamp_us: u64,
    /// Starts a reference chain.
    pub keyframe: bool,
    /// Last frame of the stream.
    pub end_of_stream: bool,
    /// What the payload is.
    pub codec: Codec,
}

impl FrameSpec {
    /// An opaque delta frame captured at `timestamp_us` on the session stream.
    pub fn at(timestamp_us: u64) -> FrameSpec {
        FrameSpec {
            stream_id: None,
            seq: None,
            timestamp_us,
            keyframe: false,
            end_of_stream: false,
            codec: Codec::Opaque,
        }
    }
}

/// An Ed25519 secret key expanded as RFC 8032 §5.1.5 says: the seed,
/// the secret scalar `a` (from the clamped first half of SHA-512(seed)) and
/// the nonce prefix (its second half). All three are wiped on drop.
///
/// Signing is RFC 8032 §5.1.6 with `keys::basepoint_table` rather than
/// ed25519-dalek's `SigningKey`, which reaches the 30 KiB static table
/// (`keys.rs`, size rule); `tests/frame_vectors.rs` and the RFC vectors in
/// `tests/ed25519_vectors.rs` hold the output byte for byte.
struct SecretKey {
    seed: [u8; SECRET_KEY_LEN],
    scalar: Scalar,
    prefix: [u8; 32],
}

impl SecretKey {
    fn expand(seed: &[u8; SECRET_KEY_LEN]) -> SecretKey {
        let mut h = sha512(&[seed]);
        let mut lower = [0u8; 32];
        lower.copy_from_slice(&h[..32]);
        let mut prefix = [0u8; 32];
        prefix.copy_from_slice(&h[32..]);
        let mut clamped = clamp_integer(lower);
        let key = SecretKey {
            seed: *seed,
            scalar: Scalar::from_bytes_mod_order(clamped),
            prefix,
        };
        h.zeroize();
        lower.zeroize();
        clamped.zeroize();
        key
    }

    /// `A = [a]B`, encoded.
    fn public_key(&self) -> [u8; PUBLIC_KEY_LEN] {
        basepoint_table()
            .mul_base(&self.scalar)
            .compress()
            .to_bytes()
    }

    /// `R ‖ S` with `r = SHA-512(prefix ‖ M)`, `R = [r]B`,
    /// `S = r + SHA-512(R ‖ A ‖ M)·a (mod ℓ)`.
    fn sign(&self, public_key: &[u8; PUBLIC_KEY_LEN], message: &[u8]) -> [u8; 64] {
        let mut r = Scalar::from_bytes_mod_order_wide(&sha512(&[&self.prefix, message]));
        let big_r = basepoint_table().mul_base(&r).compress().to_bytes();
        let k = Scalar::from_bytes_mod_order_wide(&sha512(&[&big_r, public_key, message]));
        let s = k * self.scalar + r;
        r.zeroize();
        let mut signature = [0u8; 64];
        signature[..32].copy_from_slice(&big_r);
        signature[32..].copy_from_slice(s.as_bytes());
        signature
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.seed.zeroize();
        self.scalar.zeroize();
        self.prefix.zeroize();
    }
}

/// A device's signing key and its per-stream frame counters.
pub struct Signer {
    key: SecretKey,
    public_key: [u8; PUBLIC_KEY_LEN],
    key_id: KeyId,
    session_stream: [u8; 16],
    last_seq: LastSeq,
}

/// The last seq signed on each stream, sorted by stream id: a sorted `Vec`
/// rather than a `BTreeMap`, whose code is ~2 KiB of the gzipped `.wasm`
/// (bench/SIZE.md) for the handful of streams a signer has.
#[derive(Default)]
struct LastSeq(Vec<([u8; 16], u64)>);

impl LastSeq {
    fn insert(&mut self, stream_id: [u8; 16], seq: u64) {
        match self.0.binary_search_by(|(id, _)| id.cmp(&stream_id)) {
            Ok(i) => self.0[i].1 = seq,
            Err(i) => self.0.insert(i, (stream_id, seq)),
        }
    }

    fn get(&self, stream_id: &[u8; 16]) -> Option<&u64> {
        let i = self.0.binary_search_by(|(id, _)| id.cmp(stream_id)).ok()?;
        self.0.get(i).map(|(_, seq)| seq)
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret key.
        f.debug_struct("Signer")
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer for the 32-byte secret key (an RFC 8032 seed), whose frames
    /// default to `session_stream` (pass fresh random bytes).
    pub fn from_secret(secret: &[u8; SECRET_KEY_LEN], session_stream: [u8; 16]) -> Signer {
        let key = SecretKey::expand(secret);
        let public_key = key.public_key();
        Signer {
            key,
            public_key,
            key_id: KeyId::of(&public_key),
            session_stream,
            last_seq: LastSeq::default(),
        }
    }

    /// The public key a display links to.
    pub fn public_key(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.public_key
    }

    /// The secret key, for writing a key file. Handle with care.
    pub fn secret_key(&self) -> [u8; SECRET_KEY_LEN] {
        self.key.seed
    }

    /// The stream id frames get when the caller names none.
    pub fn session_stream(&self) -> [u8; 16] {
        self.session_stream
    }

    /// Signs `payload` into a complete version-1 frame.
    pub fn sign_frame(&mut self, payload: &[u8], spec: &FrameSpec) -> Result<Vec<u8>, SignError> {
        let header = self.next_header(Version::Envelope, payload.len(), spec)?;
        let mut out = frame::encode_signed_part(&header, payload);
        let signature = self.key.sign(&self.public_key, &out);
        out.extend_from_slice(&signature);
        self.last_seq.insert(header.stream_id, header.seq);
        Ok(out)
    }

    /// Seals `payload` into a complete version-2 frame: the seal (its
    /// signature over the header and the payload's BLAKE3 hash), then the
    /// payload (SPEC §6.2).
    pub fn seal_frame(&mut self, payload: &[u8], spec: &FrameSpec) -> Result<Vec<u8>, SignError> {
        let seal = self.seal(payload.len(), &frame::content_hash(payload), spec)?;
        let mut out = Vec::with_capacity(SEAL_LEN + payload.len());
        out.extend_from_slice(&seal);
        out.extend_from_slice(payload);
        Ok(out)
    }

    /// A 148-byte seal (SPEC §6.1) for content of `content_len` bytes whose
    /// BLAKE3 hash is `content_hash`: what an in-band carrier puts inside
    /// a media unit (`inband`), and the head of a version-2 frame. Takes a
    /// seq like a frame does.
    pub fn seal(
        &mut self,
        content_len: usize,
        content_hash: &[u8; CONTENT_HASH_LEN],
        spec: &FrameSpec,
    ) -> Result<[u8; SEAL_LEN], SignError> {
        let header = self.next_header(Version::Sealed, content_len, spec)?;
        let seal = self.seal_with(&header, content_hash);
        self.last_seq.insert(header.stream_id, header.seq);
        Ok(seal)
    }

    /// The seal of `header` (version 2) over `content_hash`.
    fn seal_with(&self, header: &Header, content_hash: &[u8; CONTENT_HASH_LEN]) -> [u8; SEAL_LEN] {
        let signed = frame::encode_seal_signed_part(header, content_hash);
        let signature = self.key.sign(&self.public_key, &signed);
        let mut seal = [0u8; SEAL_LEN];
        let (head, tail) = seal.split_at_mut(SEAL_SIGNED_LEN);
        head.copy_from_slice(&signed);
        tail.copy_from_slice(&signature);
        seal
    }

    /// Seals a media unit in-band (SPEC §6.3): derives its canonical content
    /// (`config`: the decoder configuration record, for a keyframe that
    /// carries no parameter sets), signs a seal over it with the unit's
    /// codec and `spec`'s other fields, and returns the unit with the seal
    /// inserted where a signer puts it, in the same layout. A unit that
    /// already holds a frameseal seal is refused.
    pub fn seal_unit(
        &mut self,
        unit: &[u8],
        format: UnitFormat,
        config: Option<&[u8]>,
        spec: &FrameSpec,
    ) -> Result<Vec<u8>, SignError> {
        if inband::find_seal(unit, format)
            .map_err(SignError::Unit)?
            .is_some()
        {
            return Err(SignError::Unit(UnitError::AlreadySealed));
        }
        let mut hasher = blake3::Hasher::new();
        let len = inband::content(unit, format, spec.keyframe, config, &mut |piece| {
            hasher.update(piece);
        })
        .map_err(SignError::Unit)?;
        let len = usize::try_from(len).map_err(|_| SignError::PayloadTooLarge(usize::MAX))?;
        let spec = FrameSpec {
            codec: Codec::from_byte(format.codec().codec_byte()).unwrap_or(Codec::Opaque),
            ..*spec
        };
        // Numbered only once the unit is sealed: a refused unit uses no seq.
        let header = self.next_header(Version::Sealed, len, &spec)?;
        let seal = self.seal_with(&header, &hasher.finalize().into());
        let sealed = inband::insert_seal(unit, format, &seal).map_err(SignError::Unit)?;
        self.last_seq.insert(header.stream_id, header.seq);
        Ok(sealed)
    }

    /// The header of the next frame on `spec`'s stream (seq not yet
    /// recorded: the caller records it once the frame is made).
    fn next_header(
        &self,
        version: Version,
        payload_len: usize,
        spec: &FrameSpec,
    ) -> Result<Header, SignError> {
        let len =
            u32::try_from(payload_len).map_err(|_| SignError::PayloadTooLarge(payload_len))?;
        if spec.codec == Codec::KeyRotation && payload_len != ROTATION_PAYLOAD_LEN {
            return Err(SignError::RotationPayloadLength(payload_len));
        }
        let stream_id = spec.stream_id.unwrap_or(self.session_stream);
        let seq = match spec.seq {
            Some(seq) => seq,
            None => match self.last_seq.get(&stream_id) {
                None => 0,
                Some(last) => last.checked_add(1).ok_or(SignError::SeqExhausted)?,
            },
        };
        Ok(Header {
            version,
            keyframe: spec.keyframe,
            end_of_stream: spec.end_of_stream,
            codec: spec.codec,
            key_id: self.key_id.0,
            stream_id,
            seq,
            timestamp_us: spec.timestamp_us,
            payload_len: len,
        })
    }

    /// A key-rotation frame (SPEC §5.2), signed by this key, that tells
    /// linked displays to trust `next` from now on. `spec`'s codec and flags
    /// are ignored: a rotation frame is codec `key-rotation` with no flags.
    pub fn sign_rotation(&mut self, next: &Signer, spec: &FrameSpec) -> Result<Vec<u8>, SignError> {
        if next.public_key == self.public_key {
            return Err(SignError::SameKey);
        }
        // The proof message starts `frameseal-rotate`, never `FSEAL`.
        let proof = next.key.sign(
            &next.public_key,
            &frame::rotation_proof_message(&self.public_key, &next.public_key),
        );
        let mut payload = [0u8; ROTATION_PAYLOAD_LEN];
        payload[..32].copy_from_slice(&next.public_key);
        payload[32..].copy_from_slice(&proof);
        let spec = FrameSpec {
            keyframe: false,
            end_of_stream: false,
            codec: Codec::KeyRotation,
            ..*spec
        };
        self.sign_frame(&payload, &spec)
    }

    /// A plain Ed25519 signature over `message` (for tools, tests and
    /// rotation proofs). Refuses a message that starts with `FSEAL`.
    ///
    /// Constant rule (domain separation, SPEC §2): every frame and seal a
    /// device key signs starts with `FSEAL` and its version, so a device
    /// key must never sign anything else that does; otherwise a signature
    /// made "for a tool" would verify as a frame.
    pub fn sign_message(&self, message: &[u8]) -> Result<[u8; 64], SignError> {
        if message.starts_with(&frame::MAGIC) {
            return Err(SignError::FrameDomain);
        }
        Ok(self.key.sign(&self.public_key, message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{DEFAULT_MAX_PAYLOAD, Frame};
    use crate::keys::LinkedKey;

    fn signer() -> Signer {
        Signer::from_secret(&[1; 32], [0x5A; 16])
    }

    #[test]
    fn signed_frames_parse_and_verify_under_the_public_key() {
        let mut s = signer();
        let spec = FrameSpec {
            keyframe: true,
            codec: Codec::Jpeg,
            ..FrameSpec::at(42)
        };
        let bytes = s.sign_frame(b"jpeg bytes", &spec).unwrap();
        let f = Frame::parse(&bytes, DEFAULT_MAX_PAYLOAD).unwrap();
        let h = f.header();
        assert_eq!(
            (h.keyframe, h.end_of_stream, h.codec),
            (true, false, Codec::Jpeg)
        );
        assert_eq!((h.stream_id, h.seq, h.timestamp_us), ([0x5A; 16], 0, 42));
        assert_eq!(h.key_id, KeyId::of(s.public_key()).0);
        assert_eq!(f.payload(), b"jpeg bytes");
        let key = LinkedKey::from_bytes(s.public_key()).unwrap();
        assert!(key.verify_strict(f.signed_bytes(), f.signature()).is_ok());
    }

    #[test]
    fn sequence_numbers_count_per_stream() {
        let mut s = signer();
        let seq = |bytes: Vec<u8>| Frame::parse(&bytes, 1 << 20).unwrap().header().seq;
        let other = FrameSpec {
            stream_id: Some([1; 16]),
            ..FrameSpec::at(0)
        };
        assert_eq!(seq(s.sign_frame(b"", &FrameSpec::at(0)).unwrap()), 0);
        assert_eq!(seq(s.sign_frame(b"", &FrameSpec::at(0)).unwrap()), 1);
        assert_eq!(seq(s.sign_frame(b"", &other).unwrap()), 0);
        assert_eq!(seq(s.sign_frame(b"", &FrameSpec::at(0)).unwrap()), 2);
        let jump = FrameSpec {
            seq: Some(100),
            ..FrameSpec::at(0)
        };
        assert_eq!(seq(s.sign_frame(b"", &jump).unwrap()), 100);
        assert_eq!(seq(s.sign_frame(b"", &FrameSpec::at(0)).unwrap()), 101);
        assert_eq!(seq(s.sign_frame(b"", &other).unwrap()), 1);
    }

    #[test]
    fn the_last_sequence_number_is_not_wrapped() {
        let mut s = signer();
        let last = FrameSpec {
            seq: Some(u64::MAX),
            ..FrameSpec::at(0)
        };
        assert!(s.sign_frame(b"", &last).is_ok());
        assert_eq!(
            s.sign_frame(b"", &FrameSpec::at(0)),
            Err(SignError::SeqExhausted)
        );
    }

    #[test]
    fn rotation_payloads_are_checked() {
        let mut s = signer();
        let spec = FrameSpec {
            codec: Codec::KeyRotation,
            ..FrameSpec::at(0)
        };
        assert_eq!(
            s.sign_frame(&[0; 95], &spec),
            Err(SignError::RotationPayloadLength(95))
        );
        let same = Signer::from_secret(&[1; 32], [0; 16]);
        assert_eq!(
            s.sign_rotation(&same, &FrameSpec::at(0)),
            Err(SignError::SameKey)
        );
    }

    #[test]
    fn rotation_frames_carry_the_new_key_and_its_proof() {
        let mut old = signer();
        let next = Signer::from_secret(&[2; 32], [0; 16]);
        let spec = FrameSpec {
            keyframe: true,
            codec: Codec::Jpeg,
            ..FrameSpec::at(7)
        };
        let bytes = old.sign_rotation(&next, &spec).unwrap();
        let f = Frame::parse(&bytes, DEFAULT_MAX_PAYLOAD).unwrap();
        assert_eq!(f.header().codec, Codec::KeyRotation);
        assert!(!f.header().keyframe, "rotation frames have no flags");
        assert_eq!(&f.payload()[..32], next.public_key());
        let proof: [u8; 64] = f.payload()[32..].try_into().unwrap();
        let msg = frame::rotation_proof_message(old.public_key(), next.public_key());
        let new_key = LinkedKey::from_bytes(next.public_key()).unwrap();
        assert!(new_key.verify_strict(&msg, &proof).is_ok());
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let s = signer();
        let shown = alloc::format!("{s:?}");
        assert!(!shown.contains(&alloc::format!("{:?}", s.secret_key())));
    }

    #[test]
    fn sign_message_refuses_the_frames_domain() {
        let s = signer();
        assert_eq!(
            s.sign_message(b"FSEAL\x01 anything"),
            Err(SignError::FrameDomain)
        );
        assert_eq!(s.sign_message(b"FSEAL"), Err(SignError::FrameDomain));
        let ok = s.sign_message(b"fseal is fine, lower case").unwrap();
        let key = LinkedKey::from_bytes(s.public_key()).unwrap();
        assert!(key.verify_strict(b"fseal is fine, lower case", &ok).is_ok());
    }
}
