//! Published Ed25519 vectors through the core's own signature check.
//!
//! Every case goes through the same two calls a verifier makes for a frame:
//! [`LinkedKey::from_bytes`] (linking the public key) and
//! [`LinkedKey::verify_strict`] (the signature check). A case passes as
//! "valid" only if the key links and the signature verifies strictly.
//!
//! The vector files are copies of `../shared/vectors/` kept in
//! `tests/vectors/external/` (byte-identical; sources, commits and licences
//! are in `tests/vectors/external/README.md`). They are compiled into the
//! test with `include_str!`, so a missing file is a build error, and every
//! total is asserted, so a truncated or half-parsed file fails the test
//! instead of passing with fewer cases.

mod support;

use frameseal::{LinkedKey, Signer};
use serde_json::Value;
use support::json::{named, str_of, u64_of};
use support::unhex;

const RFC8032: &str = include_str!("vectors/external/rfc8032_ed25519.json");
const WYCHEPROOF: &str = include_str!("vectors/external/wycheproof_ed25519_test.json");

/// Wycheproof cases where strict verification deliberately gives another
/// verdict than the file's `result`, as `(tcId, why)`.
///
/// Empty: ed25519-dalek's `verify_strict` (behind `LinkedKey::verify_strict`)
/// agrees with Wycheproof on all 151 cases. Wycheproof's "valid" signatures
/// are all canonical with R not of small order, and none of its keys is
/// small-order, so the extra strictness (refusing small-order R and keys)
/// never flips a verdict here. A case added to this list must say why, and
/// the test checks that each listed case really does differ.
const STRICT_DIFFERS_FROM_WYCHEPROOF: &[(u64, &str)] = &[];

/// The core's verdict: does `sig` verify strictly over `msg` under `pk`?
///
/// `LinkedKey::verify_strict` takes `&[u8; 64]`, so a signature of any other
/// length cannot even be passed to it: the harness rejects it here, the way
/// a frame verifier never sees such a signature (a frame's signature is
/// always its last 64 bytes). A key that does not link is a rejection too.
fn core_accepts(pk: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    let Ok(key) = LinkedKey::from_bytes(pk) else {
        return false;
    };
    let Ok(sig) = <&[u8; 64]>::try_from(sig) else {
        return false;
    };
    key.verify_strict(msg, sig).is_ok()
}

#[test]
fn rfc8032_vectors_verify_strictly() {
    let doc: Value = serde_json::from_str(RFC8032).expect("RFC 8032 JSON");
    let tests = doc["tests"].as_array().expect("tests[]");
    assert_eq!(tests.len(), 5, "RFC 8032 §7.1 has 5 Ed25519 vectors");
    assert_eq!(u64_of(&doc, "numberOfTests"), 5);
    for t in tests {
        let name = str_of(t, "name");
        let pk = unhex(str_of(t, "public_key"));
        let msg = unhex(str_of(t, "message"));
        let sig = unhex(str_of(t, "signature"));
        assert_eq!(msg.len() as u64, u64_of(t, "message_length"), "{name}");
        assert!(core_accepts(&pk, &msg, &sig), "{name}: valid, refused");

        // The same signature over a changed message, or changed in one bit,
        // must not verify.
        let mut other_msg = msg.clone();
        other_msg.push(0);
        assert!(!core_accepts(&pk, &other_msg, &sig), "{name}: longer msg");
        for bit in [0, 255, 256, 511] {
            let mut flipped = sig.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(!core_accepts(&pk, &msg, &flipped), "{name}: sig bit {bit}");
        }
    }
}

#[test]
fn rfc8032_vectors_are_reproduced_by_the_signer() {
    let doc: Value = serde_json::from_str(RFC8032).expect("RFC 8032 JSON");
    let tests = doc["tests"].as_array().expect("tests[]");
    assert_eq!(tests.len(), 5);
    for t in tests {
        let name = str_of(t, "name");
        let secret: [u8; 32] = unhex(str_of(t, "secret_key"))
            .try_into()
            .expect("32-byte secret");
        let signer = Signer::from_secret(&secret, [0; 16]);
        assert_eq!(
            signer.public_key().as_slice(),
            unhex(str_of(t, "public_key")),
            "{name}: public key"
        );
        // Ed25519 is deterministic: the signature must be the RFC's exactly.
        let sig = signer
            .sign_message(&unhex(str_of(t, "message")))
            .expect("no RFC 8032 message starts FSEAL");
        assert_eq!(
            sig.as_slice(),
            unhex(str_of(t, "signature")),
            "{name}: signature"
        );
    }
}

#[test]
fn wycheproof_vectors_get_the_files_verdict() {
    let doc: Value = serde_json::from_str(WYCHEPROOF).expect("Wycheproof JSON");
    assert_eq!(str_of(&doc, "algorithm"), "EDDSA");
    assert_eq!(str_of(&doc, "schema"), "eddsa_verify_schema_v1.json");
    let groups = doc["testGroups"].as_array().expect("testGroups[]");

    let (mut total, mut valid, mut invalid, mut not_64) = (0u64, 0u64, 0u64, 0u64);
    let mut ids = Vec::new();
    let mut differing = Vec::new();
    let mut unexpected = Vec::new();
    for group in groups {
        assert_eq!(str_of(group, "type"), "EddsaVerify");
        let pk_info = &group["publicKey"];
        assert_eq!(str_of(pk_info, "curve"), "edwards25519");
        let pk = unhex(str_of(pk_info, "pk"));
        // The README says every key in the file links; if one did not, all
        // its cases would be refused at linking, not at the signature.
        assert!(
            LinkedKey::from_bytes(&pk).is_ok(),
            "group key {} does not link",
            str_of(pk_info, "pk")
        );
        for t in group["tests"].as_array().expect("tests[]") {
            let id = u64_of(t, "tcId");
            let msg = unhex(str_of(t, "msg"));
            let sig = unhex(str_of(t, "sig"));
            let expected_valid = match str_of(t, "result") {
                "valid" => true,
                "invalid" => false,
                other => panic!("tcId {id}: unexpected result {other:?}"),
            };
            total += 1;
            if expected_valid {
                valid += 1;
            } else {
                invalid += 1;
            }
            if sig.len() != 64 {
                not_64 += 1;
            }
            ids.push(id);

            let got = core_accepts(&pk, &msg, &sig);
            let listed = STRICT_DIFFERS_FROM_WYCHEPROOF
                .iter()
                .any(|&(listed, _)| listed == id);
            if got != expected_valid {
                differing.push(id);
                if !listed {
                    unexpected.push(format!(
                        "tcId {id} ({}; flags {}): file says {}, core says {}",
                        str_of(t, "comment"),
                        t["flags"],
                        str_of(t, "result"),
                        if got { "valid" } else { "invalid" },
                    ));
                }
            }
        }
    }

    assert!(
        unexpected.is_empty(),
        "verdicts differ:\n{}",
        unexpected.join("\n")
    );
    let listed: Vec<u64> = STRICT_DIFFERS_FROM_WYCHEPROOF
        .iter()
        .map(|&(id, _)| id)
        .collect();
    assert_eq!(differing, listed, "a listed exception no longer differs");

    assert_eq!(groups.len(), 78, "key groups");
    assert_eq!(total, 151, "cases");
    assert_eq!(u64_of(&doc, "numberOfTests"), total);
    assert_eq!((valid, invalid), (88, 63), "(valid, invalid)");
    assert_eq!(not_64, 12, "signatures that are not 64 bytes");
    ids.sort_unstable();
    assert_eq!(
        ids,
        (1..=151).collect::<Vec<u64>>(),
        "tcIds 1..=151, once each"
    );
}

#[test]
fn wycheproof_includes_the_rfc8032_vectors() {
    // tcId 80-83 are RFC 8032 TEST 1, 2, 3 and 1024: a cross-check that the
    // two files were read the same way.
    let rfc: Value = serde_json::from_str(RFC8032).expect("RFC 8032 JSON");
    let wp: Value = serde_json::from_str(WYCHEPROOF).expect("Wycheproof JSON");
    let cases: Vec<(&str, &str, &str)> = wp["testGroups"]
        .as_array()
        .expect("testGroups[]")
        .iter()
        .flat_map(|g| {
            let pk = str_of(&g["publicKey"], "pk");
            g["tests"]
                .as_array()
                .expect("tests[]")
                .iter()
                .filter(|t| (80..=83).contains(&u64_of(t, "tcId")))
                .map(move |t| (pk, str_of(t, "msg"), str_of(t, "sig")))
        })
        .collect();
    assert_eq!(cases.len(), 4);
    for name in ["TEST 1", "TEST 2", "TEST 3", "TEST 1024"] {
        let t = named(&rfc, "tests", name);
        let want = (
            str_of(t, "public_key"),
            str_of(t, "message"),
            str_of(t, "signature"),
        );
        assert!(cases.contains(&want), "{name} not among tcId 80-83");
    }
}
