//! The AV1 OBU splitter (`frameseal::inband`, SPEC §6.3) on any bytes.
//!
//! Input: one byte of options (bit 0: KEYFRAME; bit 1: an `av1C` record
//! follows as a 2-byte length and its bytes), then the temporal unit.
//!
//! Invariants: nothing panics; the functions agree with each other and
//! seal insertion round-trips (`inband_common::check_unit`); and the
//! content without KEYFRAME is what a plain reading of AV1 §5.3 gives
//! (OBU headers, leb128 sizes of at most 8 bytes and 2^32 - 1, the last OBU
//! may run to the end; frame header, tile group and frame OBUs
//! length-prefixed with the size flag cleared), and when that reading
//! refuses the unit, so does the module.
#![no_main]

mod inband_common;

use frameseal::inband::{Layout, UnitCodec, UnitFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&options, rest)) = input.split_first() else {
        return;
    };
    let keyframe = options & 1 != 0;
    let Some((config, unit)) = inband_common::split_config(rest, options & 2 != 0) else {
        return;
    };
    let format = UnitFormat::new(UnitCodec::Av1, Layout::Obu).expect("a valid pair");
    let ours = inband_common::check_unit(unit, format, keyframe, config);
    match (ours, plain_v(unit)) {
        (Some(ours), Some(plain)) => assert_eq!(ours, plain),
        // The module also reads metadata OBUs, which the plain reading skips.
        (None, _) => {}
        (Some(_), None) => panic!("the module accepted a unit the plain reading refuses"),
    }
});

fn plain_v(unit: &[u8]) -> Option<Vec<u8>> {
    let mut v = Vec::new();
    let mut pos = 0;
    while pos < unit.len() {
        let h = unit[pos];
        if h & 0x80 != 0 {
            return None;
        }
        let header_len = if h & 4 != 0 { 2 } else { 1 };
        let header = unit.get(pos..pos + header_len)?;
        let mut at = pos + header_len;
        let payload_len = if h & 2 != 0 {
            let mut size = 0u64;
            let mut i = 0;
            loop {
                if i == 8 {
                    return None;
                }
                let b = *unit.get(at)?;
                at += 1;
                size |= u64::from(b & 0x7f) << (7 * i);
                i += 1;
                if b & 0x80 == 0 {
                    break;
                }
            }
            if size > u64::from(u32::MAX) {
                return None;
            }
            size as usize
        } else {
            unit.len() - at
        };
        let payload = unit.get(at..at.checked_add(payload_len)?)?;
        if matches!((h >> 3) & 15, 3 | 4 | 6) {
            v.extend_from_slice(&((header_len + payload_len) as u32).to_be_bytes());
            v.push(h & !2);
            v.extend_from_slice(&header[1..]);
            v.extend_from_slice(payload);
        }
        pos = at + payload_len;
    }
    Some(v)
}
