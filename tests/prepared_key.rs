//! `PreparedKey::verify_strict` (per-key precomputed tables) must accept
//! exactly what `ed25519_dalek::VerifyingKey::verify_strict` accepts, with
//! either kind of tables (`Tables::Fast`, `Tables::Compact`). Each group
//! below compares the verdicts on inputs built to hit one rule; the last
//! ones run the published vectors and a property test through both kinds.

mod support;

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT as B, EIGHT_TORSION};
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::{Signature, VerifyingKey};
use frameseal::keys::{LinkedKey, PreparedKey, Tables};
use serde_json::Value;
use support::ed25519::{GROUP_ORDER, add_group_order, challenge};
use support::unhex;

/// xorshift64*: deterministic, so a failure names a reproducible case.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for chunk in out.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        out
    }
    fn scalar(&mut self) -> Scalar {
        Scalar::from_bytes_mod_order_wide(&self.bytes::<64>())
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A signature with a chosen nonce point `R = [r]B + extra_r` under the
/// secret scalar `a` of `A = [a]B + extra_a` (the extras are torsion).
fn sign_with(
    a: Scalar,
    a_bytes: &[u8; 32],
    r: Scalar,
    extra_r: EdwardsPoint,
    msg: &[u8],
) -> [u8; 64] {
    let big_r = (r * B + extra_r).compress().to_bytes();
    let k = challenge(&big_r, a_bytes, msg);
    let s = r + k * a;
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&big_r);
    sig[32..].copy_from_slice(s.as_bytes());
    sig
}

/// Compares both verifiers on `(key, msg, sig)`; returns dalek's verdict.
fn same_verdict(key: &[u8; 32], msg: &[u8], sig: &[u8; 64], what: &str) -> bool {
    let dalek = VerifyingKey::from_bytes(key)
        .map(|k| k.verify_strict(msg, &Signature::from_bytes(sig)).is_ok());
    let linked = LinkedKey::from_bytes(key);
    let (Ok(dalek), Ok(linked)) = (dalek, linked) else {
        panic!("{what}: test keys must link");
    };
    for tables in Tables::ALL {
        let prepared = PreparedKey::try_with_tables(linked.clone(), tables).unwrap();
        let ours = prepared.verify_strict(msg, sig).is_ok();
        assert_eq!(ours, dalek, "{what}: {tables:?} {ours}, dalek {dalek}");
    }
    assert_eq!(
        linked.verify_strict(msg, sig).is_ok(),
        dalek,
        "{what}: LinkedKey"
    );
    dalek
}

/// A key `[a]B + torsion` (torsion index 0 = none) and its bytes.
fn key(rng: &mut Rng, torsion: usize) -> (Scalar, [u8; 32]) {
    let a = rng.scalar();
    (a, (a * B + EIGHT_TORSION[torsion]).compress().to_bytes())
}

/// A fresh key (no torsion), a message drawn by `msg`, and a valid
/// signature over it, drawn from `rng` in that order.
fn signed(rng: &mut Rng, msg: impl FnOnce(&mut Rng) -> Vec<u8>) -> ([u8; 32], Vec<u8>, [u8; 64]) {
    let (a, key) = key(rng, 0);
    let msg = msg(rng);
    let sig = sign_with(a, &key, rng.scalar(), EdwardsPoint::default(), &msg);
    (key, msg, sig)
}

#[test]
fn valid_signatures_agree() {
    let mut rng = Rng(1);
    for i in 0..300 {
        let (key, msg, sig) = signed(&mut rng, |rng| {
            let len = rng.below(300);
            (0..len).map(|_| rng.next() as u8).collect()
        });
        assert!(same_verdict(&key, &msg, &sig, &format!("valid #{i}")));
    }
}

#[test]
fn random_and_mangled_signatures_agree() {
    let mut rng = Rng(2);
    for i in 0..300 {
        let (key, msg, good) = signed(&mut rng, |rng| rng.bytes::<40>().to_vec());
        // Random bytes; one flipped bit anywhere; wrong message.
        let random = rng.bytes::<64>();
        assert!(!same_verdict(&key, &msg, &random, &format!("random #{i}")));
        let mut flipped = good;
        let bit = rng.below(512);
        flipped[bit / 8] ^= 1 << (bit % 8);
        let what = format!("flip {bit} #{i}");
        assert!(!same_verdict(&key, &msg, &flipped, &what));
        let mut other = msg.clone();
        other[0] ^= 1;
        assert!(!same_verdict(&key, &other, &good, &format!("message #{i}")));
    }
}

#[test]
fn s_at_or_above_the_group_order_is_refused_by_both() {
    let mut rng = Rng(3);
    for i in 0..100 {
        let (key, msg, good) = signed(&mut rng, |rng| rng.bytes::<16>().to_vec());
        // S + ℓ (fits in 256 bits): satisfies the equation, but malleable.
        let mut sig = good;
        add_group_order(&mut sig[32..]);
        assert!(!same_verdict(&key, &msg, &sig, &format!("S+l #{i}")));
        // High bits set.
        let mut sig = good;
        sig[63] |= 0xE0;
        assert!(!same_verdict(
            &key,
            &msg,
            &sig,
            &format!("S high bits #{i}")
        ));
        // S = ℓ exactly.
        let mut sig = good;
        sig[32..].copy_from_slice(&GROUP_ORDER);
        assert!(!same_verdict(&key, &msg, &sig, &format!("S=l #{i}")));
    }
}

#[test]
fn small_order_and_non_canonical_r_are_refused_by_both() {
    let mut rng = Rng(4);
    let (_, key) = key(&mut rng, 0);
    let msg = b"frame".to_vec();
    let mut r_encodings: Vec<[u8; 32]> = EIGHT_TORSION
        .iter()
        .map(|t| t.compress().to_bytes())
        .collect();
    // Non-canonical encodings: y + p for small y, and the sign bit on x = 0.
    for y in 0u8..19 {
        let mut e = [0xFF; 32];
        e[0] = 0xED + y;
        e[31] = 0x7F;
        r_encodings.push(e);
        let mut neg = e;
        neg[31] |= 0x80;
        r_encodings.push(neg);
    }
    let mut one_neg = [0u8; 32];
    one_neg[0] = 1;
    one_neg[31] = 0x80;
    r_encodings.push(one_neg);
    for (i, r) in r_encodings.iter().enumerate() {
        for s in [Scalar::ZERO, rng.scalar()] {
            let mut sig = [0u8; 64];
            sig[..32].copy_from_slice(r);
            sig[32..].copy_from_slice(s.as_bytes());
            same_verdict(&key, &msg, &sig, &format!("R encoding #{i}"));
        }
    }
    // A valid signature whose R is re-encoded non-canonically (when possible).
    for i in 0..200 {
        let (a, key) = self::key(&mut rng, 0);
        let sig = sign_with(a, &key, rng.scalar(), EdwardsPoint::default(), &msg);
        let mut high = sig;
        high[31] ^= 0x80; // the other x sign: a different point, or invalid
        assert!(!same_verdict(&key, &msg, &high, &format!("R sign #{i}")));
    }
}

#[test]
#[allow(clippy::needless_range_loop)] // the indices name the torsion points in messages
fn torsion_in_r_or_in_the_key_agrees() {
    let mut rng = Rng(5);
    let msg = b"torsion".to_vec();
    let mut accepted_with_torsion = 0;
    for t_key in 0..8 {
        for t_r in 0..8 {
            // Mixed-order keys link only when not purely small order.
            let (a, key) = key(&mut rng, t_key);
            let r = rng.scalar();
            let sig = sign_with(a, &key, r, EIGHT_TORSION[t_r], &msg);
            let verdict = same_verdict(&key, &msg, &sig, &format!("T_A {t_key} T_R {t_r}"));
            // Cofactorless equation: [S]B - [k]A = [r]B - [k]T_A, so it holds
            // iff T_R = -[k]T_A (torsion can cancel; only small-order R and A
            // are refused outright).
            let big_r = (r * B + EIGHT_TORSION[t_r]).compress().to_bytes();
            let k = challenge(&big_r, &key, &msg);
            let predicted = EIGHT_TORSION[t_r] == -(k * EIGHT_TORSION[t_key]);
            assert_eq!(verdict, predicted, "T_A {t_key} T_R {t_r}");
            accepted_with_torsion += usize::from(verdict && (t_key, t_r) != (0, 0));
        }
    }
    // Some mixed-order cases do verify strictly: the equation is the rule.
    assert!(accepted_with_torsion > 0);
}

#[test]
fn frames_signed_by_the_signer_verify_under_the_prepared_key() {
    let mut cam = frameseal::Signer::from_secret(&[9; 32], [1; 16]);
    let prepared = PreparedKey::new(LinkedKey::from_bytes(cam.public_key()).unwrap());
    for n in [0usize, 1, 63, 64, 1000, 70_000] {
        let frame = cam
            .sign_frame(&vec![0xA5; n], &frameseal::FrameSpec::at(1))
            .unwrap();
        let f = frameseal::Frame::parse(&frame, u32::MAX).unwrap();
        assert!(
            prepared
                .verify_strict(f.signed_bytes(), f.signature())
                .is_ok(),
            "{n} bytes"
        );
    }
}

/// Fast, compact and ed25519-dalek on one published case whose key is 32
/// bytes and signature 64 (others never reach a verifier); dalek's
/// verdict, or `None` when the key does not link.
fn published_case(key: &[u8], msg: &[u8], sig: &[u8], what: &str) -> Option<bool> {
    let (Ok(key), Ok(sig)) = (<[u8; 32]>::try_from(key), <[u8; 64]>::try_from(sig)) else {
        return None;
    };
    let linked = LinkedKey::from_bytes(&key).ok()?;
    let dalek = VerifyingKey::from_bytes(&key)
        .map(|k| k.verify_strict(msg, &Signature::from_bytes(&sig)).is_ok())
        .unwrap_or(false);
    for tables in Tables::ALL {
        let prepared = PreparedKey::try_with_tables(linked.clone(), tables).unwrap();
        let ours = prepared.verify_strict(msg, &sig).is_ok();
        assert_eq!(ours, dalek, "{what}: {tables:?} {ours}, dalek {dalek}");
    }
    Some(dalek)
}

#[test]
fn published_vectors_get_one_verdict_from_both_kinds_of_tables() {
    let json = |text: &str| -> Value { serde_json::from_str(text).unwrap() };
    let text = |v: &Value, k: &str| v[k].as_str().unwrap().to_owned();
    let mut accepted = 0;
    let mut refused = 0;
    let mut count = |verdict: Option<bool>| match verdict {
        Some(true) => accepted += 1,
        Some(false) => refused += 1,
        None => {}
    };
    let rfc = json(include_str!("vectors/external/rfc8032_ed25519.json"));
    for t in rfc["tests"].as_array().unwrap() {
        let (pk, msg, sig) = (
            text(t, "public_key"),
            text(t, "message"),
            text(t, "signature"),
        );
        count(published_case(
            &unhex(&pk),
            &unhex(&msg),
            &unhex(&sig),
            "RFC 8032",
        ));
    }
    let wycheproof = json(include_str!(
        "vectors/external/wycheproof_ed25519_test.json"
    ));
    for group in wycheproof["testGroups"].as_array().unwrap() {
        let pk = unhex(&text(&group["publicKey"], "pk"));
        for t in group["tests"].as_array().unwrap() {
            let what = format!("Wycheproof {}", t["tcId"]);
            count(published_case(
                &pk,
                &unhex(&text(t, "msg")),
                &unhex(&text(t, "sig")),
                &what,
            ));
        }
    }
    // CCTV's messages are text, the rest hex.
    let cctv = json(include_str!("vectors/external/cctv_ed25519vectors.json"));
    for t in cctv.as_array().unwrap() {
        let what = format!("CCTV {}", t["number"]);
        let (pk, msg, sig) = (text(t, "key"), text(t, "msg"), text(t, "sig"));
        count(published_case(
            &unhex(&pk),
            msg.as_bytes(),
            &unhex(&sig),
            &what,
        ));
    }
    let speccheck = json(include_str!("vectors/external/speccheck_cases.json"));
    for (i, t) in speccheck.as_array().unwrap().iter().enumerate() {
        let (pk, msg, sig) = (text(t, "pub_key"), text(t, "message"), text(t, "signature"));
        count(published_case(
            &unhex(&pk),
            &unhex(&msg),
            &unhex(&sig),
            &format!("speccheck {i}"),
        ));
    }
    // Both verdicts occur, so the comparison could have failed either way.
    assert!(
        accepted > 50 && refused > 50,
        "{accepted} accepted, {refused} refused"
    );
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Fast, compact and ed25519-dalek's `verify_strict` on `(key, msg, sig)`.
    fn all_agree(key: &LinkedKey, msg: &[u8], sig: &[u8; 64]) -> Result<bool, TestCaseError> {
        let dalek = VerifyingKey::from_bytes(key.as_bytes())
            .unwrap()
            .verify_strict(msg, &Signature::from_bytes(sig))
            .is_ok();
        for tables in Tables::ALL {
            let ours = PreparedKey::try_with_tables(key.clone(), tables)
                .unwrap()
                .verify_strict(msg, sig)
                .is_ok();
            prop_assert_eq!(ours, dalek, "{:?}", tables);
        }
        Ok(dalek)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        /// Genuine signatures, then forgeries made from them: a flipped
        /// bit, a torsion point added to R, S + ℓ, another message.
        #[test]
        fn fast_compact_and_dalek_agree_on_genuine_and_forged_signatures(
            seed in any::<u64>(),
            msg in proptest::collection::vec(any::<u8>(), 0..200),
            bit in 0usize..512,
            torsion in 1usize..8,
        ) {
            let mut rng = Rng(seed | 1);
            let (a, key_bytes) = key(&mut rng, 0);
            let key = LinkedKey::from_bytes(&key_bytes).unwrap();
            let r = rng.scalar();
            let good = sign_with(a, &key_bytes, r, EdwardsPoint::default(), &msg);
            prop_assert!(all_agree(&key, &msg, &good)?);
            let mut flipped = good;
            flipped[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(!all_agree(&key, &msg, &flipped)?);
            let torsioned = sign_with(a, &key_bytes, r, EIGHT_TORSION[torsion], &msg);
            prop_assert!(!all_agree(&key, &msg, &torsioned)?);
            let mut big_s = good;
            add_group_order(&mut big_s[32..]);
            prop_assert!(!all_agree(&key, &msg, &big_s)?);
            let mut other = msg.clone();
            other.push(1);
            prop_assert!(!all_agree(&key, &other, &good)?);
        }

        /// Random bytes as a signature under a random (possibly mixed-order) key.
        #[test]
        fn fast_compact_and_dalek_agree_on_random_signatures(
            seed in any::<u64>(),
            torsion in 0usize..8,
            sig in proptest::collection::vec(any::<u8>(), 64),
            msg in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let mut rng = Rng(seed | 1);
            let (_, key_bytes) = key(&mut rng, torsion);
            let key = LinkedKey::from_bytes(&key_bytes).unwrap();
            let sig: [u8; 64] = sig.try_into().unwrap();
            prop_assert!(!all_agree(&key, &msg, &sig)?);
        }
    }
}
