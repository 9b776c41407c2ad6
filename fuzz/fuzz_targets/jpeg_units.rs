//! The JPEG segment reader (`frameseal::inband`, SPEC §6.3) on any bytes.
//!
//! Input: the file.
//!
//! Invariants: nothing panics; the functions agree with each other and
//! seal insertion round-trips (`inband_common::check_unit`); the content
//! is the file from SOI through its EOI less exactly the seal's segment
//! (the file's first bytes up to the seal, then the rest up to EOI), and a
//! file holding no seal is its own content up to EOI.
#![no_main]

mod inband_common;

use frameseal::inband::{self, FRAMESEAL_UUID, Layout, UnitCodec, UnitFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|unit: &[u8]| {
    let format = UnitFormat::new(UnitCodec::Jpeg, Layout::Jpeg).expect("a valid pair");
    let Some(content) = inband_common::check_unit(unit, format, true, None) else {
        return;
    };
    assert!(content.starts_with(&[0xff, 0xd8]) && content.ends_with(&[0xff, 0xd9]));
    match inband::find_seal(unit, format).expect("it split") {
        None => assert!(unit.starts_with(&content)),
        Some(body) => {
            // The seal segment: FF EF, its length, the UUID, the body.
            let segment = 2 + 2 + FRAMESEAL_UUID.len() + body.len();
            let end = content.len() + segment;
            let is_seal_segment_at = |s: usize| {
                unit.get(s..s + 2) == Some(&[0xff, 0xef][..])
                    && unit.get(s + 4..s + 20) == Some(&FRAMESEAL_UUID[..])
                    && unit[..s] == content[..s]
                    && unit.get(s + segment..end) == Some(&content[s..])
            };
            assert!((2..content.len()).any(is_seal_segment_at));
        }
    }
});
