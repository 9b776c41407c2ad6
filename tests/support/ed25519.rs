//! Ed25519 arithmetic written here from curve25519-dalek's primitives, so
//! the signature suites (`edge_vectors`, `prepared_key`, `frame_vectors`)
//! check the core against something it did not compute.

use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha512};

/// The group order ℓ, little-endian.
pub const GROUP_ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// The challenge `k = SHA-512(R || A || M) mod ℓ` of RFC 8032.
pub fn challenge(r: &[u8; 32], a: &[u8; 32], msg: &[u8]) -> Scalar {
    let mut h = Sha512::new();
    h.update(r);
    h.update(a);
    h.update(msg);
    Scalar::from_bytes_mod_order_wide(&h.finalize().into())
}

/// Adds ℓ to the scalar `s` (32 bytes, little-endian): the same value mod
/// ℓ, but not the canonical encoding strict verification requires. Panics
/// if the sum does not fit 256 bits (it does for every reduced `s`).
pub fn add_group_order(s: &mut [u8]) {
    assert_eq!(s.len(), 32, "a scalar is 32 bytes");
    let mut carry = 0u16;
    for (b, l) in s.iter_mut().zip(GROUP_ORDER) {
        let sum = u16::from(*b) + u16::from(l) + carry;
        *b = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0, "S + ℓ fits 256 bits");
}
