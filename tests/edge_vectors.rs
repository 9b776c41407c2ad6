//! Ed25519 edge cases nobody on this project wrote — C2SP/CCTV's 914
//! `ed25519vectors.json` and the 12 cases of ed25519-speccheck — through
//! the two steps a display takes for every frame: linking the public key
//! ([`LinkedKey::from_bytes`]) and the strict signature check
//! ([`PreparedKey::verify_strict`], what the verifier runs, and
//! [`LinkedKey::verify_strict`], ed25519-dalek's, which must agree).
//!
//! `tests/vectors/EDGE_CASES.md` is the table these tests assert: which
//! cases are accepted, which are refused at linking and which fail
//! verification, per group of flags, with the rule behind each group. The
//! rule is not taken from the core: [`first_broken_rule`] recomputes it
//! from curve25519-dalek's primitives, and every case must fail under the
//! rule its group names, and only that one.
//!
//! The vector files are byte-identical copies of `../shared/vectors/`
//! (sources, blob ids and licences in `tests/vectors/external/README.md`),
//! compiled in with `include_str!` so a missing file is a build error.

mod support;

use std::collections::BTreeMap;

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT as B;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use frameseal::keys::{KeyError, LinkedKey, PreparedKey};
use serde_json::Value;
use support::ed25519::challenge;
use support::unhex;

const CCTV: &str = include_str!("vectors/external/cctv_ed25519vectors.json");
const SPECCHECK: &str = include_str!("vectors/external/speccheck_cases.json");

/// What the core does with one (key, message, signature).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Verdict {
    Accepted,
    /// `LinkedKey::from_bytes` refused the key.
    Unlinkable(Link),
    /// The key linked; strict verification refused the signature.
    Refused(Rule),
}

/// Why `LinkedKey::from_bytes` refused a key ([`KeyError`] has no `Ord`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Link {
    NotAPoint,
    SmallOrder,
    NonCanonical,
}

impl From<KeyError> for Link {
    fn from(e: KeyError) -> Link {
        match e {
            KeyError::NotAPoint => Link::NotAPoint,
            KeyError::SmallOrder => Link::SmallOrder,
            KeyError::NonCanonical => Link::NonCanonical,
            other => panic!("every key here is 32 bytes, got {other:?}"),
        }
    }
}

/// The strict-verification rules, in the order the check applies them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Rule {
    /// S is not below the group order L.
    NonCanonicalS,
    /// The 32 R bytes do not decode to a curve point.
    RNotAPoint,
    /// R is one of the 8 points of small order.
    SmallOrderR,
    /// `[S]B − [k]A` does not encode to exactly the R bytes (the
    /// cofactorless equation; also refuses a non-canonical R encoding).
    Equation,
}

/// The first strict rule `sig` breaks under public key `a`, recomputed
/// from curve25519-dalek's primitives; `None` if it breaks none.
fn first_broken_rule(a: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> Option<Rule> {
    let (r_bytes, s_bytes) = sig.split_at(32);
    let r_bytes: [u8; 32] = r_bytes.try_into().expect("32");
    let s_bytes: [u8; 32] = s_bytes.try_into().expect("32");
    let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes)) else {
        return Some(Rule::NonCanonicalS);
    };
    let Some(r) = CompressedEdwardsY(r_bytes).decompress() else {
        return Some(Rule::RNotAPoint);
    };
    if r.is_small_order() {
        return Some(Rule::SmallOrderR);
    }
    let big_a = CompressedEdwardsY(*a)
        .decompress()
        .expect("a linked key decodes");
    let k = challenge(&r_bytes, a, msg);
    let expected = EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &-big_a, &s);
    (expected.compress().to_bytes() != r_bytes).then_some(Rule::Equation)
}

/// Whether the cofactored equation `[8]([S]B − [k]A − R) = 0` holds: what a
/// lenient, cofactored verifier would accept.
fn cofactored_equation_holds(a: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
    let r_bytes: [u8; 32] = sig[..32].try_into().expect("32");
    let s_bytes: [u8; 32] = sig[32..].try_into().expect("32");
    let (Some(s), Some(r), Some(big_a)) = (
        Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes)),
        CompressedEdwardsY(r_bytes).decompress(),
        CompressedEdwardsY(*a).decompress(),
    ) else {
        return false;
    };
    let k = challenge(&r_bytes, a, msg);
    (s * B - k * big_a - r).mul_by_cofactor().is_identity()
}

/// Links the key and runs both strict checks; they must agree with each
/// other and with [`first_broken_rule`].
fn verdict(key: &[u8], msg: &[u8], sig: &[u8; 64], case: &str) -> Verdict {
    let linked = match LinkedKey::from_bytes(key) {
        Ok(k) => k,
        Err(e) => return Verdict::Unlinkable(e.into()),
    };
    let dalek = linked.verify_strict(msg, sig).is_ok();
    let prepared = PreparedKey::new(linked.clone())
        .verify_strict(msg, sig)
        .is_ok();
    assert_eq!(
        prepared, dalek,
        "{case}: PreparedKey and LinkedKey disagree"
    );
    let rule = first_broken_rule(linked.as_bytes(), msg, sig);
    assert_eq!(
        rule.is_none(),
        prepared,
        "{case}: the core's verdict is not what the rules give"
    );
    match rule {
        None => Verdict::Accepted,
        Some(rule) => Verdict::Refused(rule),
    }
}

/// The groups of `EDGE_CASES.md`, first match wins (the order the checks
/// run: linking, then strict verification).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    /// `low_order_A`: the public key has small order.
    LowOrderA,
    /// `low_order_R` (key fine): the signature's R has small order.
    LowOrderR,
    /// `low_order_residue` (key and R fine): only the cofactored equation holds.
    LowOrderResidue,
    /// Everything else: flags within {`low_order_component_A`,
    /// `low_order_component_R`}, or none.
    MixedOrderOnly,
}

fn group_of(flags: &[&str]) -> Group {
    let has = |f: &str| flags.contains(&f);
    if has("low_order_A") {
        Group::LowOrderA
    } else if has("low_order_R") {
        Group::LowOrderR
    } else if has("low_order_residue") {
        Group::LowOrderResidue
    } else {
        let rest: Vec<&&str> = flags
            .iter()
            .filter(|f| !["low_order_component_A", "low_order_component_R"].contains(f))
            .collect();
        assert!(rest.is_empty(), "flags outside the table: {rest:?}");
        Group::MixedOrderOnly
    }
}

struct CctvCase {
    number: u64,
    key: Vec<u8>,
    msg: Vec<u8>,
    sig: [u8; 64],
    flags: Vec<String>,
}

fn cctv_cases() -> Vec<CctvCase> {
    let doc: Value = serde_json::from_str(CCTV).expect("CCTV JSON");
    doc.as_array()
        .expect("a JSON array")
        .iter()
        .map(|c| CctvCase {
            number: c["number"].as_u64().expect("number"),
            key: unhex(c["key"].as_str().expect("key")),
            // `msg` is plain text, not hex.
            msg: c["msg"].as_str().expect("msg").as_bytes().to_vec(),
            sig: unhex(c["sig"].as_str().expect("sig"))
                .try_into()
                .expect("64-byte sig"),
            flags: match &c["flags"] {
                Value::Null => Vec::new(),
                v => v
                    .as_array()
                    .expect("flags[]")
                    .iter()
                    .map(|f| f.as_str().expect("flag").to_string())
                    .collect(),
            },
        })
        .collect()
}

#[test]
fn cctv_edge_cases_get_exactly_the_verdicts_of_the_table() {
    let cases = cctv_cases();
    assert_eq!(cases.len(), 914);
    let numbers: Vec<u64> = cases.iter().map(|c| c.number).collect();
    assert_eq!(numbers, (0..914).collect::<Vec<u64>>(), "numbers 0..914");

    let mut table: BTreeMap<(Group, Verdict), u32> = BTreeMap::new();
    let mut verdicts: BTreeMap<Verdict, u32> = BTreeMap::new();
    let mut flag_counts: BTreeMap<(Group, String), u32> = BTreeMap::new();
    for c in &cases {
        let flags: Vec<&str> = c.flags.iter().map(String::as_str).collect();
        let group = group_of(&flags);
        let v = verdict(&c.key, &c.msg, &c.sig, &format!("CCTV #{}", c.number));
        *table.entry((group, v)).or_default() += 1;
        *verdicts.entry(v).or_default() += 1;
        for f in &c.flags {
            *flag_counts.entry((group, f.clone())).or_default() += 1;
        }
    }

    use Group::*;
    use Verdict::*;
    // EDGE_CASES.md, CCTV table: one verdict per group.
    let expected: BTreeMap<(Group, Verdict), u32> = [
        ((LowOrderA, Unlinkable(Link::SmallOrder)), 526),
        ((LowOrderR, Refused(Rule::SmallOrderR)), 282),
        ((LowOrderResidue, Refused(Rule::Equation)), 63),
        ((MixedOrderOnly, Accepted), 43),
    ]
    .into();
    assert_eq!(table, expected);

    // Per verdict: 43 accepted, 526 refused at linking, 345 refused by the
    // strict check; no key that fails to decode, no non-canonical S.
    let expected: BTreeMap<Verdict, u32> = [
        (Accepted, 43),
        (Unlinkable(Link::SmallOrder), 526),
        (Refused(Rule::SmallOrderR), 282),
        (Refused(Rule::Equation), 63),
    ]
    .into();
    assert_eq!(verdicts, expected);

    // The sub-counts the table quotes: every non-canonical A is a
    // small-order key; 176 of the small-order R are also non-canonical
    // encodings (refused for their order before their encoding matters);
    // no accepted case carries reencoded_k.
    let count = |g: Group, f: &str| flag_counts.get(&(g, f.to_string())).copied().unwrap_or(0);
    assert_eq!(count(LowOrderA, "non_canonical_A"), 226);
    assert_eq!(
        [LowOrderR, LowOrderResidue, MixedOrderOnly].map(|g| count(g, "non_canonical_A")),
        [0, 0, 0]
    );
    assert_eq!(count(LowOrderR, "non_canonical_R"), 176);
    assert_eq!(count(LowOrderResidue, "non_canonical_R"), 0);
    assert_eq!(count(MixedOrderOnly, "reencoded_k"), 0);
    assert_eq!(count(MixedOrderOnly, "low_order_component_A"), 42);
    assert_eq!(count(MixedOrderOnly, "low_order_component_R"), 35);
}

#[test]
fn cofactored_only_signatures_are_refused() {
    // The low_order_residue group is what a cofactored verifier accepts and
    // a strict (cofactorless) one refuses: a signature that is valid only
    // up to a small-order component.
    let mut n = 0;
    for c in cctv_cases() {
        let flags: Vec<&str> = c.flags.iter().map(String::as_str).collect();
        if group_of(&flags) != Group::LowOrderResidue {
            continue;
        }
        let key: [u8; 32] = c.key.as_slice().try_into().expect("32");
        assert!(
            cofactored_equation_holds(&key, &c.msg, &c.sig),
            "CCTV #{}: the cofactored equation should hold",
            c.number
        );
        assert_eq!(
            verdict(&c.key, &c.msg, &c.sig, "residue"),
            Verdict::Refused(Rule::Equation)
        );
        n += 1;
    }
    assert_eq!(n, 63);
}

#[test]
fn speccheck_cases_get_exactly_the_verdicts_of_the_table() {
    let doc: Value = serde_json::from_str(SPECCHECK).expect("speccheck JSON");
    let cases = doc.as_array().expect("a JSON array");
    assert_eq!(cases.len(), 12);
    use Verdict::*;
    // EDGE_CASES.md, speccheck table, by case number.
    let expected = [
        Unlinkable(Link::SmallOrder), // 0: S = 0, small A and R
        Unlinkable(Link::SmallOrder), // 1: small A
        Refused(Rule::SmallOrderR),   // 2: small R
        Accepted,                     // 3: mixed-order A and R
        Refused(Rule::Equation),      // 4: cofactored-only
        Refused(Rule::Equation),      // 5: cofactored-only (8h pre-reduced)
        Refused(Rule::NonCanonicalS), // 6: S > L
        Refused(Rule::NonCanonicalS), // 7: S >> L
        Refused(Rule::SmallOrderR),   // 8: non-canonical small R
        Refused(Rule::SmallOrderR),   // 9: non-canonical small R
        Unlinkable(Link::SmallOrder), // 10: non-canonical small A
        Unlinkable(Link::SmallOrder), // 11: non-canonical small A
    ];
    for (i, (c, want)) in cases.iter().zip(expected).enumerate() {
        let key = unhex(c["pub_key"].as_str().expect("pub_key"));
        let msg = unhex(c["message"].as_str().expect("message"));
        let sig: [u8; 64] = unhex(c["signature"].as_str().expect("signature"))
            .try_into()
            .expect("64-byte signature");
        let got = verdict(&key, &msg, &sig, &format!("speccheck #{i}"));
        assert_eq!(got, want, "speccheck #{i}");
        if i == 4 || i == 5 {
            let key: [u8; 32] = key.as_slice().try_into().expect("32");
            assert!(cofactored_equation_holds(&key, &msg, &sig), "#{i}");
        }
    }
}
