//! What the native suites on real media (tests/sealed_units.rs,
//! tests/relay_hops.rs) share: the fixtures on disk, the test camera and
//! its display, and a NAL unit as the canonical content holds it.

use std::path::PathBuf;

use frameseal::{LinkedKey, Policy, Signer, Verifier};

/// The stream the media suites' cameras seal for.
pub const STREAM: [u8; 16] = [0x5a; 16];

/// `tests/fixtures/<dir>/<name>`; panics naming the path if it is missing.
pub fn fixture(dir: &str, name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A camera whose secret key is 32 bytes of `seed`, sealing for [`STREAM`].
pub fn camera(seed: u8) -> Signer {
    Signer::from_secret(&[seed; 32], STREAM)
}

/// A display linked to `cam` with the default policy.
pub fn display(cam: &Signer) -> Verifier {
    Verifier::new(
        LinkedKey::from_bytes(cam.public_key()).unwrap(),
        Policy::default(),
    )
    .unwrap()
}

/// A NAL unit as the canonical content holds it (SPEC §6.3 V): emulation
/// prevention removed, trailing zero bytes stripped. Written from the
/// SPEC's words, independently of the library's reader.
pub fn canonical_nal(nal: &[u8]) -> Vec<u8> {
    let mut plain = Vec::with_capacity(nal.len());
    let mut zeros = 0;
    for &b in nal {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        plain.push(b);
    }
    while plain.last() == Some(&0) {
        plain.pop();
    }
    plain
}
