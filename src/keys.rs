//! Device public keys: linking one (the pairing-time decision to trust it),
//! its key id, and the strict signature check. (What a person compares at
//! pairing, the fingerprint, is in `pairing.rs`; the verifier's fast tables
//! in `vartime.rs`.)
//!
//! Linking rules (SPEC §3), each with its own error:
//! - exactly 32 bytes ([`KeyError::WrongLength`]);
//! - decodes to a point of edwards25519 ([`KeyError::NotAPoint`]);
//! - not of small order, i.e. not one of the 8 torsion points, whose
//!   "signatures" anybody can forge ([`KeyError::SmallOrder`]);
//! - the canonical encoding of that point: RFC 8032 §5.1.3 decoding fails
//!   when y ≥ p, while ed25519-dalek reduces y mod p, so a key file could
//!   otherwise hold one of two spellings of the same camera's key, with two
//!   different key ids and fingerprints ([`KeyError::NonCanonical`]).
//!   Checked after small order, so every spelling of a torsion point is
//!   reported as small order.
//!
//! Signature rule: Ed25519 as in RFC 8032 (pure), checked with
//! `verify_strict` semantics: S canonical (below the group order), R
//! decodes and is not of small order, and R's encoding equals the
//! recomputed `[S]B - [k]A` byte for byte (so non-canonical R fails).
//! [`PreparedKey`] lists the steps; `tests/prepared_key.rs` holds both
//! checks here to ed25519-dalek's `verify_strict`, verdict for verdict.
//!
//! Timing rule: verification runs in variable time (`VartimeTable`): the
//! key, the frame and the signature are public, so nothing can leak.
//! Anything that touches a secret key (`sign.rs`) uses curve25519-dalek's
//! constant-time `basepoint_table` instead, never a `VartimeTable`.
//!
//! Size rule: curve25519-dalek is built without `precomputed-tables`, so
//! neither its static base-point tables (38 KiB of incompressible
//! constants) nor the code that builds and reads such tables is in the
//! `.wasm`. `basepoint_table` multiplies B in constant time as any other
//! point (a few times slower than with a table: signing and the rotation
//! proof only, never the per-frame check).

use core::fmt;
use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{BasepointTable, Identity};

use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha512};

use crate::memory::OutOfMemory;
use crate::vartime::{self, SharedTable, basepoint_vartime};

/// Constant-time multiplication of the Ed25519 base point B, for signing
/// and the one-off rotation-proof check (size rule in the module docs).
pub(crate) fn basepoint_table() -> &'static ConstantTimeBase {
    &BASEPOINT
}

static BASEPOINT: ConstantTimeBase = ConstantTimeBase(ED25519_BASEPOINT_POINT);

/// A point to multiply in constant time, behind curve25519-dalek's
/// `BasepointTable` interface but without a table: `mul_base` is the
/// constant-time variable-base multiplication `[s]P` (what
/// curve25519-dalek's own `EdwardsPoint::mul_base` does without
/// `precomputed-tables`), so a secret scalar is safe with it.
pub(crate) struct ConstantTimeBase(EdwardsPoint);

impl BasepointTable for ConstantTimeBase {
    type Point = EdwardsPoint;

    fn create(basepoint: &EdwardsPoint) -> ConstantTimeBase {
        ConstantTimeBase(*basepoint)
    }

    fn basepoint(&self) -> EdwardsPoint {
        self.0
    }

    fn mul_base(&self, scalar: &Scalar) -> EdwardsPoint {
        self.0 * scalar
    }
}

/// The strict equation for the key whose encoding is `a_bytes`;
/// `s_b_minus_k_a(s, k)` computes `[s]B − [k]A` (steps in
/// [`PreparedKey`]'s docs).
fn check_strict(
    a_bytes: &[u8; PUBLIC_KEY_LEN],
    message: &[u8],
    signature: &[u8; 64],
    s_b_minus_k_a: impl FnOnce(&Scalar, &Scalar) -> EdwardsPoint,
) -> Result<(), BadSignature> {
    let (r_bytes, s_bytes) = signature.split_at(32);
    let r_bytes: [u8; 32] = r_bytes.try_into().map_err(|_| BadSignature)?;
    let s_bytes: [u8; 32] = s_bytes.try_into().map_err(|_| BadSignature)?;
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes)).ok_or(BadSignature)?;
    let k = Scalar::from_bytes_mod_order_wide(&sha512(&[&r_bytes, a_bytes, message]));
    let expected = s_b_minus_k_a(&s, &k);
    // Rules 2 and 5 without decompressing R (a square root saved per
    // frame): `compress` is canonical and one-to-one, so R's bytes equal
    // it only if R decodes, canonically, to `expected` itself; then R
    // is of small order exactly when `expected` is.
    if expected.compress().to_bytes() == r_bytes && !expected.is_small_order() {
        Ok(())
    } else {
        Err(BadSignature)
    }
}

/// SHA-512 of `parts` in order (key ids, the strict check, signing).
/// Out of line: each inlined use of sha2's buffering costs about 1 KB of
/// the `.wasm`, and the hash itself dominates any call.
#[inline(never)]
pub(crate) fn sha512(parts: &[&[u8]]) -> [u8; 64] {
    let mut h = Sha512::new();
    for part in parts {
        h.update(part);
    }
    h.finalize().into()
}

/// Length of an Ed25519 public key.
pub const PUBLIC_KEY_LEN: usize = 32;

/// The 8-byte name of a device key carried in every frame: the first 8
/// bytes of SHA-512 of the public key. It lets a verifier tell a foreign
/// camera's frame from a forged one without checking a signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyId(pub [u8; 8]);

impl KeyId {
    /// The key id of a 32-byte public key (whether or not it links).
    pub fn of(public_key: &[u8; PUBLIC_KEY_LEN]) -> KeyId {
        let digest = sha512(&[public_key]);
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[..8]);
        KeyId(id)
    }
}

/// Why a public key cannot be linked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// Not 32 bytes.
    WrongLength(usize),
    /// 32 bytes that are not the encoding of a curve point.
    NotAPoint,
    /// A point of small order (a torsion point): signatures by it prove nothing.
    SmallOrder,
    /// A point, but not its canonical encoding (y ≥ p): RFC 8032 decoding
    /// refuses it.
    NonCanonical,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::WrongLength(n) => {
                write!(f, "public key has the wrong length: must be 32 bytes, got {n}")
            }
            KeyError::NotAPoint => f.write_str(
                "public key does not decode to a curve point (not a valid Ed25519 curve point)",
            ),
            KeyError::SmallOrder => f.write_str(
                "public key is of small order (a small-order point): signatures by it prove nothing",
            ),
            KeyError::NonCanonical => f.write_str(
                "public key does not decode to a curve point (not a valid Ed25519 curve point): \
                 a non-canonical encoding, y not below p, which RFC 8032 decoding refuses",
            ),
        }
    }
}

impl core::error::Error for KeyError {}

/// The signature did not verify strictly under the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadSignature;

impl fmt::Display for BadSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("signature does not verify under the linked key")
    }
}

impl core::error::Error for BadSignature {}

/// A device public key that passed every linking rule; the only kind of key
/// a verifier checks frames against.
#[derive(Clone, Debug)]
pub struct LinkedKey {
    key: VerifyingKey,
    id: KeyId,
}

impl PartialEq for LinkedKey {
    fn eq(&self, other: &Self) -> bool {
        self.key.as_bytes() == other.key.as_bytes()
    }
}
impl Eq for LinkedKey {}

impl LinkedKey {
    /// Links a public key, refusing anything the module docs list.
    pub fn from_bytes(bytes: &[u8]) -> Result<LinkedKey, KeyError> {
        let bytes: &[u8; PUBLIC_KEY_LEN] = bytes
            .try_into()
            .map_err(|_| KeyError::WrongLength(bytes.len()))?;
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| KeyError::NotAPoint)?;
        if key.is_weak() {
            return Err(KeyError::SmallOrder);
        }
        if key.to_edwards().compress().as_bytes() != bytes {
            return Err(KeyError::NonCanonical);
        }
        Ok(LinkedKey {
            key,
            id: KeyId::of(bytes),
        })
    }

    /// The point the key encodes.
    pub(crate) fn point(&self) -> EdwardsPoint {
        self.key.to_edwards()
    }

    /// The 32 public-key bytes, exactly as linked.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        self.key.as_bytes()
    }

    /// The key id frames signed by this key carry.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// Strict Ed25519 verification of `signature` over `message` (module
    /// docs list the rules). For one-off checks (a rotation proof): no
    /// per-key table, a variable-base multiplication instead.
    pub fn verify_strict(&self, message: &[u8], signature: &[u8; 64]) -> Result<(), BadSignature> {
        let minus_a = -self.key.to_edwards();
        check_strict(self.as_bytes(), message, signature, |s, k| {
            basepoint_table().mul_base(s) + k * minus_a
        })
    }
}

/// Which variable-time table a [`PreparedKey`] builds for its key: the
/// speed of every verification against the memory each linked key holds
/// (the `tables` option of the JS `Verifier`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Tables {
    /// 370 KiB per key; `[k]A` is 37 point additions (the default).
    #[default]
    Fast,
    /// 55 KiB per key; `[k]A` is 43 point additions and 18 doublings, for
    /// pages that link many keys (a dashboard of many cameras).
    Compact,
}

impl Tables {
    /// Both kinds, default first.
    pub const ALL: [Tables; 2] = [Tables::Fast, Tables::Compact];

    /// The name JS uses (`"fast"`, `"compact"`).
    pub fn name(self) -> &'static str {
        match self {
            Tables::Fast => "fast",
            Tables::Compact => "compact",
        }
    }

    /// The kind called `name`, if any.
    pub fn from_name(name: &str) -> Option<Tables> {
        Tables::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Bytes of one key's table of this kind (the shared table of B, 370
    /// KiB once per process, not counted).
    pub fn bytes_per_key(self) -> usize {
        vartime::Layout::of(self).bytes()
    }
}

/// A linked key with its per-key precomputation, for checking many frames
/// against the same key: a variable-time fixed-base table for −A (and a
/// shared one for B, `VartimeTable`), so the strict equation
/// `R == [S]B − [k]A` costs 2 × 37 point additions and no doublings with
/// [`Tables::Fast`] (about 2.6× faster than ed25519-dalek's
/// `verify_strict` in V8 at 1 KiB), 80 additions and 18 doublings with
/// [`Tables::Compact`]. Building the fast table takes ~1 ms and 370 KiB,
/// the compact one a fifth of that and 55 KiB; every `PreparedKey` of the
/// same key and kind alive at once shares one table (a pool of tiles
/// showing one camera holds it once), and it is freed with the last.
///
/// Acceptance is exactly [`LinkedKey::verify_strict`]'s and ed25519-dalek's
/// `verify_strict`'s, whatever the tables (`tests/prepared_key.rs`
/// compares them on random, published and adversarial inputs):
/// 1. S is canonical (`S < ℓ`), else the signature is malleable;
/// 2. R decodes to a point, and that point is not of small order;
/// 3. A is not of small order (guaranteed by linking);
/// 4. `k = SHA-512(R ‖ A ‖ M) mod ℓ`, with A's bytes exactly as linked;
/// 5. the encoding of `[S]B − [k]A` equals R's 32 bytes (so a non-canonical
///    encoding of R never matches).
#[derive(Clone)]
pub struct PreparedKey {
    key: LinkedKey,
    tables: Tables,
    // Shared, so that cloning a verifier, or linking the same key again,
    // does not copy the table.
    minus_a: SharedTable,
}

impl fmt::Debug for PreparedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PreparedKey")
            .field(&self.key)
            .field(&self.tables)
            .finish()
    }
}

impl PartialEq for PreparedKey {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key && self.tables == other.tables
    }
}
impl Eq for PreparedKey {}

impl PreparedKey {
    /// Precomputes for `key` with [`Tables::Fast`]; aborts, like any Rust
    /// allocation, when there is no memory for the tables
    /// ([`PreparedKey::try_new`] does not).
    pub fn new(key: LinkedKey) -> PreparedKey {
        match PreparedKey::try_new(key) {
            Ok(prepared) => prepared,
            Err(e) => alloc::alloc::handle_alloc_error(
                core::alloc::Layout::array::<u8>(e.bytes)
                    .unwrap_or(core::alloc::Layout::new::<u8>()),
            ),
        }
    }

    /// Precomputes for `key` with [`Tables::Fast`], or says that there is
    /// no memory for it ([`PreparedKey::try_with_tables`]).
    pub fn try_new(key: LinkedKey) -> Result<PreparedKey, OutOfMemory> {
        PreparedKey::try_with_tables(key, Tables::Fast)
    }

    /// Precomputes for `key` (the key's table of kind `tables`, unless a
    /// live `PreparedKey` of the same key and kind has it already, and the
    /// shared base-point table on first use, so that no later verification
    /// has to build it or can fail for want of it), or says that there is
    /// no memory for it.
    pub fn try_with_tables(key: LinkedKey, tables: Tables) -> Result<PreparedKey, OutOfMemory> {
        vartime::prepare_basepoint()?;
        let minus_a = vartime::shared_table(key.as_bytes(), &-key.point(), tables)?;
        Ok(PreparedKey {
            key,
            tables,
            minus_a,
        })
    }

    /// The same kind of tables for another key (a key rotation keeps the
    /// verifier's choice).
    pub fn try_prepare(&self, key: LinkedKey) -> Result<PreparedKey, OutOfMemory> {
        PreparedKey::try_with_tables(key, self.tables)
    }

    /// The linked key.
    pub fn key(&self) -> &LinkedKey {
        &self.key
    }

    /// The kind of table this key was prepared with.
    pub fn tables(&self) -> Tables {
        self.tables
    }

    /// Whether `self` and `other` hold one and the same table (two
    /// `PreparedKey`s of one key and kind alive together do).
    pub fn shares_table_with(&self, other: &PreparedKey) -> bool {
        self.minus_a.same_as(&other.minus_a)
    }

    /// Strict Ed25519 verification (rules in the type's docs).
    pub fn verify_strict(&self, message: &[u8], signature: &[u8; 64]) -> Result<(), BadSignature> {
        check_strict(self.key.as_bytes(), message, signature, |s, k| {
            let mut sum = EdwardsPoint::identity();
            basepoint_vartime().add_mul(&mut sum, s);
            self.minus_a.table().add_mul(&mut sum, k);
            sum
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // RFC 8032 §7.1 TEST 1.
    const RFC_PK: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    const RFC_SIG: &str = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

    #[test]
    fn links_a_real_key_and_verifies_rfc8032_test_1() {
        let key = LinkedKey::from_bytes(&hex(RFC_PK)).unwrap();
        let sig: [u8; 64] = hex(RFC_SIG).try_into().unwrap();
        assert_eq!(key.verify_strict(b"", &sig), Ok(()));
        assert_eq!(key.verify_strict(b"x", &sig), Err(BadSignature));
    }

    #[test]
    fn refuses_wrong_lengths() {
        for n in [0usize, 31, 33, 64] {
            assert_eq!(
                LinkedKey::from_bytes(&vec![9; n]).unwrap_err(),
                KeyError::WrongLength(n)
            );
        }
    }

    #[test]
    fn refuses_encodings_that_are_not_points() {
        // y = 2 has no x on the curve (x^2 = (y^2-1)/(d y^2+1) is a non-square).
        let mut y2 = [0u8; 32];
        y2[0] = 2;
        assert_eq!(LinkedKey::from_bytes(&y2).unwrap_err(), KeyError::NotAPoint);
    }

    #[test]
    fn refuses_every_small_order_point() {
        // The canonical encodings of the 8 torsion points (ed25519 "weak keys").
        let torsion = [
            "0100000000000000000000000000000000000000000000000000000000000000",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0000000000000000000000000000000000000000000000000000000000000080",
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        ];
        for t in torsion {
            assert_eq!(
                LinkedKey::from_bytes(&hex(t)).unwrap_err(),
                KeyError::SmallOrder,
                "{t}"
            );
        }
    }

    /// The little-endian encoding of p + y (p = 2^255 − 19), for y < 19:
    /// a second spelling of the field element y, which RFC 8032 refuses.
    fn p_plus(y: u8) -> [u8; 32] {
        let mut e = [0xff; 32];
        e[0] = 0xed + y;
        e[31] = 0x7f;
        e
    }

    #[test]
    fn refuses_non_canonical_encodings_of_points() {
        // p + 3: the point with y = 3 spelled with y ≥ p (dalek alone would
        // link it, as the point whose canonical encoding is 03 00 … 00).
        let mut y3 = [0u8; 32];
        y3[0] = 3;
        assert!(LinkedKey::from_bytes(&y3).is_ok());
        assert_eq!(
            LinkedKey::from_bytes(&p_plus(3)).unwrap_err(),
            KeyError::NonCanonical
        );
        // Every y ≥ p spelling, either sign of x: refused, never linked.
        let mut refused = [0usize; 3];
        for y in 0..19 {
            for sign in [0x00, 0x80] {
                let mut e = p_plus(y);
                e[31] |= sign;
                let slot = match LinkedKey::from_bytes(&e).unwrap_err() {
                    KeyError::NotAPoint => 0,
                    KeyError::SmallOrder => 1,
                    KeyError::NonCanonical => 2,
                    other => panic!("{other:?}"),
                };
                refused[slot] += 1;
            }
        }
        // y = 0 and y = 1 are torsion points: reported as small order.
        assert_eq!(
            LinkedKey::from_bytes(&p_plus(0)).unwrap_err(),
            KeyError::SmallOrder
        );
        assert_eq!(
            LinkedKey::from_bytes(&p_plus(1)).unwrap_err(),
            KeyError::SmallOrder
        );
        assert!(
            refused[2] >= 10,
            "non-canonical points among p+0..p+18: {refused:?}"
        );
        // The sign bit of x = 0 set (y = ±1): a non-canonical torsion point.
        let mut minus_zero = [0u8; 32];
        minus_zero[0] = 1;
        minus_zero[31] = 0x80;
        assert_eq!(
            LinkedKey::from_bytes(&minus_zero).unwrap_err(),
            KeyError::SmallOrder
        );
    }

    #[test]
    fn linking_errors_say_which_rule_failed() {
        use alloc::string::ToString;
        let msg = |bytes: &[u8]| LinkedKey::from_bytes(bytes).unwrap_err().to_string();
        let length = msg(&[1; 31]);
        assert!(
            length.contains("wrong length") && length.contains("32 bytes, got 31"),
            "{length}"
        );
        let mut y2 = [0u8; 32];
        y2[0] = 2;
        assert!(msg(&y2).contains("does not decode to a curve point"));
        assert!(msg(&[0; 32]).contains("small order"));
        let non_canonical = msg(&p_plus(3));
        assert!(
            non_canonical.contains("does not decode to a curve point")
                && non_canonical.contains("non-canonical"),
            "{non_canonical}"
        );
    }

    #[test]
    fn key_id_is_the_sha512_prefix() {
        let pk: [u8; 32] = hex(RFC_PK).try_into().unwrap();
        let digest = Sha512::digest(pk);
        assert_eq!(KeyId::of(&pk).0, digest[..8]);
        assert_eq!(LinkedKey::from_bytes(&pk).unwrap().id(), KeyId::of(&pk));
    }

    /// A key no other test links: `[n]B` for a test-chosen `n`.
    fn key_of(n: u64) -> LinkedKey {
        let point = ED25519_BASEPOINT_POINT * Scalar::from(n);
        LinkedKey::from_bytes(point.compress().as_bytes()).unwrap()
    }

    #[test]
    fn prepared_keys_of_one_key_and_kind_share_one_table_until_the_last_goes() {
        for tables in Tables::ALL {
            let key = key_of(0x7ab1e5 + tables as u64);
            let bytes = *key.as_bytes();
            assert_eq!(vartime::registered(&bytes, tables), 0);
            let first = PreparedKey::try_with_tables(key.clone(), tables).unwrap();
            let pool: Vec<PreparedKey> = (0..15)
                .map(|_| PreparedKey::try_with_tables(key.clone(), tables).unwrap())
                .collect();
            assert!(pool.iter().all(|p| p.shares_table_with(&first)));
            assert_eq!(vartime::registered(&bytes, tables), 1);
            // The other kind is another table.
            let other = match tables {
                Tables::Fast => Tables::Compact,
                Tables::Compact => Tables::Fast,
            };
            let other = PreparedKey::try_with_tables(key.clone(), other).unwrap();
            assert!(!other.shares_table_with(&first));
            drop(pool);
            assert_eq!(vartime::registered(&bytes, tables), 1);
            drop(first);
            assert_eq!(vartime::registered(&bytes, tables), 0, "{tables:?}");
            // A new link builds a new table, registered again.
            let again = PreparedKey::try_with_tables(key, tables).unwrap();
            assert_eq!(vartime::registered(&bytes, tables), 1);
            drop(again);
            assert_eq!(vartime::registered(&bytes, tables), 0);
        }
    }

    #[test]
    fn a_rotation_keeps_the_kind_of_tables() {
        let compact = PreparedKey::try_with_tables(key_of(0x5eed), Tables::Compact).unwrap();
        let next = compact.try_prepare(key_of(0x5eee)).unwrap();
        assert_eq!(next.tables(), Tables::Compact);
        assert_eq!(next.key(), &key_of(0x5eee));
    }

    #[test]
    fn tables_have_stable_names_and_sizes() {
        assert_eq!(Tables::default(), Tables::Fast);
        for t in Tables::ALL {
            assert_eq!(Tables::from_name(t.name()), Some(t));
        }
        assert_eq!(Tables::from_name("Fast"), None);
        assert_eq!(Tables::from_name(""), None);
        assert_eq!(Tables::Fast.bytes_per_key(), 378_880);
        assert!(Tables::Compact.bytes_per_key() <= 64 * 1024);
    }
}
