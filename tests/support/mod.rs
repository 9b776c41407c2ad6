//! What more than one suite in `tests/` needs, found in one place: each
//! suite says `mod support;` (a suite in a folder of its own, such as
//! `tests/frame_vectors/`, says `#[path = "../support/mod.rs"] mod support;`).
//!
//! Core and `alloc` only at this level: the wasm suites are compiled
//! without std too (`tests/mvp/`, wasm32v1-none). The submodules say where
//! they build.
//!
//! - here: hex, and the field names of an accepted result;
//! - `ed25519`: the curve arithmetic the signature suites check the core
//!   against (not in `tests/mvp/`);
//! - `json`: reading and writing the JSON vector files (not in
//!   `tests/mvp/`);
//! - `js`: JS values, objects, errors and the fixed clock of the
//!   wasm-bindgen suites (wasm32 only);
//! - `units`: media units as demuxers hand them over (Annex B NAL units
//!   laid out again as MP4 samples);
//! - `media`: fixtures on disk, the test camera and display of the native
//!   suites on real media (not in `tests/mvp/`).

// Every suite compiles the whole module and uses a part of it.
#![allow(dead_code)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

// Not in tests/mvp/ (wasm32v1-none), which has none of their crates.
#[cfg(not(target_os = "none"))]
pub mod ed25519;
#[cfg(target_arch = "wasm32")]
pub mod js;
#[cfg(not(target_os = "none"))]
pub mod json;
#[cfg(not(target_os = "none"))]
pub mod media;
pub mod units;

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The bytes hex text spells; panics on an odd length or a non-hex digit.
pub fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd-length hex {s:?}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// The fields of an accepted result as JS sees it (SPEC §4), sorted; a
/// key-rotation frame adds `newPublicKey`.
pub const ACCEPTED_FIELDS: [&str; 8] = [
    "codec",
    "endOfStream",
    "keyframe",
    "ok",
    "payload",
    "seq",
    "streamId",
    "timestampUs",
];
