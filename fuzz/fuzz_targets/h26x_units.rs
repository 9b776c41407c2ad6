//! The H.264 / H.265 splitter (`frameseal::inband`, SPEC §6.3) on any bytes.
//!
//! Input: one byte of options (bit 0: H.265; bits 1-2: annexb, avcc with
//! 1-, 2- or 4-byte lengths; bit 3: KEYFRAME; bit 4: a configuration
//! record follows as a 2-byte length and its bytes), then the unit.
//!
//! Invariants: nothing panics; the functions agree with each other and
//! seal insertion round-trips (`inband_common::check_unit`); and the
//! content without KEYFRAME is what a plain, byte-at-a-time reading of
//! H.264 §7.4.1 / Annex B gives (every NAL unit split at start codes or
//! lengths, then read by `inband::testing::plain_nal_reading`: checked for
//! forbidden sequences, emulation prevention removed, trailing zeros
//! stripped; VCL units length-prefixed), and when that reading refuses the
//! unit, so does the module.
#![no_main]

mod inband_common;

use frameseal::inband::testing::plain_nal_reading;
use frameseal::inband::{Layout, UnitCodec, UnitFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&options, rest)) = input.split_first() else {
        return;
    };
    let codec = if options & 1 != 0 {
        UnitCodec::H265
    } else {
        UnitCodec::H264
    };
    let layout = match (options >> 1) & 3 {
        0 => Layout::AnnexB,
        1 => Layout::Avcc { nal_length_size: 1 },
        2 => Layout::Avcc { nal_length_size: 2 },
        _ => Layout::Avcc { nal_length_size: 4 },
    };
    let keyframe = options & 8 != 0;
    let Some((config, unit)) = inband_common::split_config(rest, options & 16 != 0) else {
        return;
    };
    let format = UnitFormat::new(codec, layout).expect("a valid pair");
    let ours = inband_common::check_unit(unit, format, keyframe, config);
    let plain = plain_v(unit, codec, layout);
    match (ours, plain) {
        (Some(ours), Some(plain)) => assert_eq!(ours, plain),
        // The module also reads SEI messages, which the plain reading skips.
        (None, _) => {}
        (Some(_), None) => panic!("the module accepted a unit the plain reading refuses"),
    }
});

/// V by the book, one byte at a time: `None` where a NAL unit is refused.
fn plain_v(unit: &[u8], codec: UnitCodec, layout: Layout) -> Option<Vec<u8>> {
    let mut nals: Vec<&[u8]> = Vec::new();
    match layout {
        Layout::AnnexB => {
            let zeros = unit.iter().take_while(|&&b| b == 0).count();
            if zeros < 2 || unit.get(zeros) != Some(&1) {
                return None;
            }
            let mut start = zeros + 1;
            let mut i = start;
            while i + 2 < unit.len() {
                if unit[i..i + 3] == [0, 0, 1] {
                    nals.push(&unit[start..i]);
                    start = i + 3;
                    i = start;
                } else {
                    i += 1;
                }
            }
            nals.push(&unit[start..]);
        }
        Layout::Avcc { nal_length_size } => {
            let size = usize::from(nal_length_size);
            let mut rest = unit;
            while !rest.is_empty() {
                let len = rest
                    .get(..size)?
                    .iter()
                    .fold(0usize, |l, &b| (l << 8) | usize::from(b));
                let nal = rest.get(size..size + len)?;
                if len == 0 || (nal.windows(3).any(|w| w == [0, 0, 1])) {
                    return None;
                }
                nals.push(nal);
                rest = &rest[size + len..];
            }
        }
        _ => unreachable!(),
    }
    let mut v = Vec::new();
    for nal in nals {
        let bytes = plain_nal_reading(nal)?;
        let vcl = match codec {
            UnitCodec::H264 => {
                let &h = bytes.first()?;
                if h & 0x80 != 0 {
                    return None;
                }
                (1..=5).contains(&(h & 0x1f))
            }
            _ => {
                if bytes.len() < 2 || bytes[0] & 0x80 != 0 || bytes[1] & 7 == 0 {
                    return None;
                }
                (bytes[0] >> 1) & 0x3f <= 31
            }
        };
        if vcl {
            v.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
            v.extend_from_slice(&bytes);
        }
    }
    Some(v)
}
