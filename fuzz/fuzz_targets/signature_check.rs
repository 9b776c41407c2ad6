//! The verifier's signature check (`PreparedKey::verify_strict`: per-key
//! variable-time tables, `src/keys.rs`) and the one-off check
//! (`LinkedKey::verify_strict`) against ed25519-dalek's `verify_strict`,
//! verdict for verdict, on genuine signatures and on edits of them: bit
//! flips, S + ℓ, a torsion point added to R, R negated, R or S replaced,
//! under the camera keys and under keys with a torsion component.
//!
//! Invariant: for every (key, message, signature) where the key links,
//! the three checks agree.
#![no_main]

use std::cell::RefCell;

use arbitrary::Arbitrary;
use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use ed25519_dalek::{Signature, VerifyingKey};
use frameseal::Signer;
use frameseal::keys::{LinkedKey, PreparedKey};
use libfuzzer_sys::fuzz_target;

/// ℓ, the group order, little-endian.
const ELL: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// A camera: its signer, and its key with and without a torsion part.
struct Camera {
    signer: Signer,
    keys: Vec<([u8; 32], Option<PreparedKey>)>,
}

thread_local! {
    // Building a PreparedKey's table takes a millisecond: once per key.
    static CAMERAS: RefCell<Vec<Camera>> = RefCell::new(
        (1u8..=3)
            .map(|i| {
                let signer = Signer::from_secret(&[i; 32], [i; 16]);
                let a = CompressedEdwardsY(*signer.public_key()).decompress().expect("a key");
                let keys = std::iter::once(*signer.public_key())
                    .chain(EIGHT_TORSION[1..].iter().map(|t| (a + t).compress().to_bytes()))
                    .map(|bytes| {
                        let prepared = LinkedKey::from_bytes(&bytes).ok().map(PreparedKey::new);
                        (bytes, prepared)
                    })
                    .collect();
                Camera { signer, keys }
            })
            .collect(),
    );
}

#[derive(Arbitrary, Debug)]
enum Edit {
    FlipBit(u16),
    AddEllToS,
    AddTorsionToR(u8),
    NegateR,
    SetR([u8; 32]),
    SetS([u8; 32]),
    TorsionR(u8),
}

#[derive(Arbitrary, Debug)]
struct Input {
    camera: u8,
    key: u8,
    message: Vec<u8>,
    edits: Vec<Edit>,
}

/// Adds ℓ to the little-endian 256-bit S (wrapping past 2^256 is fine:
/// the result is then just another non-canonical or odd S).
fn add_ell(s: &mut [u8]) {
    let mut carry = 0u16;
    for (b, l) in s.iter_mut().zip(ELL) {
        let sum = u16::from(*b) + u16::from(l) + carry;
        *b = sum as u8;
        carry = sum >> 8;
    }
}

fn edit_r(sig: &mut [u8; 64], f: impl FnOnce(EdwardsPoint) -> EdwardsPoint) {
    let mut r = [0u8; 32];
    r.copy_from_slice(&sig[..32]);
    if let Some(p) = CompressedEdwardsY(r).decompress() {
        sig[..32].copy_from_slice(&f(p).compress().to_bytes());
    }
}

fuzz_target!(|input: Input| {
    CAMERAS.with(|cameras| {
        let cameras = cameras.borrow();
        let camera = &cameras[usize::from(input.camera) % cameras.len()];
        let (key_bytes, prepared) = &camera.keys[usize::from(input.key) % camera.keys.len()];
        // The signer refuses the frames' domain (messages starting FSEAL).
        let Ok(mut sig) = camera.signer.sign_message(&input.message) else {
            return;
        };
        for edit in input.edits.iter().take(8) {
            match edit {
                Edit::FlipBit(i) => sig[usize::from(*i) % 512 / 8] ^= 1 << (i % 8),
                Edit::AddEllToS => add_ell(&mut sig[32..]),
                Edit::AddTorsionToR(t) => {
                    edit_r(&mut sig, |p| p + EIGHT_TORSION[usize::from(*t) % 8])
                }
                Edit::NegateR => edit_r(&mut sig, |p| -p),
                Edit::SetR(r) => sig[..32].copy_from_slice(r),
                Edit::SetS(s) => sig[32..].copy_from_slice(s),
                Edit::TorsionR(t) => sig[..32]
                    .copy_from_slice(&EIGHT_TORSION[usize::from(*t) % 8].compress().to_bytes()),
            }
        }
        let Some(prepared) = prepared else { return };
        let dalek = VerifyingKey::from_bytes(key_bytes)
            .expect("a linked key decodes")
            .verify_strict(&input.message, &Signature::from_bytes(&sig))
            .is_ok();
        let ours = prepared.verify_strict(&input.message, &sig).is_ok();
        let one_off = prepared.key().verify_strict(&input.message, &sig).is_ok();
        assert_eq!(
            ours, dalek,
            "PreparedKey vs dalek, key {key_bytes:02x?}, signature {sig:02x?}"
        );
        assert_eq!(
            one_off, dalek,
            "LinkedKey vs dalek, key {key_bytes:02x?}, signature {sig:02x?}"
        );
    });
});
