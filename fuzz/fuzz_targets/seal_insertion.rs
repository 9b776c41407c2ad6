//! Seal insertion round trips (`frameseal::inband`, SPEC §6.3) on units
//! that mostly split: built from a description (NAL units with emulation
//! prevention added, OBUs with their sizes, JPEG segments and scan data
//! with stuffing), sometimes holding a seal message already.
//!
//! Invariants: those of `inband_common::check_unit` (the content of
//! `insert_seal(u)` is the content of `u`, `find_seal(insert_seal(u))` is
//! the seal, a second seal is refused, ...), on every layout; for H.264 /
//! H.265 the same NAL units in Annex B (3- or 4-byte start codes) and in
//! avcc with 1-, 2- and 4-byte lengths split alike, hold the same seal and
//! give the same content, and a seal inserted in one layout is the one
//! inserted in another, laid out again.
#![no_main]

mod inband_common;

use arbitrary::Arbitrary;
use frameseal::inband::testing::{
    add_emulation_prevention, content_of, obu, segment, sei_rbsp, to_avcc,
};
use frameseal::inband::{self, FRAMESEAL_UUID, Layout, SEAL_LEN, UnitCodec, UnitFormat};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Description {
    H26x {
        h265: bool,
        keyframe: bool,
        nals: Vec<NalDescription>,
    },
    Av1 {
        keyframe: bool,
        obus: Vec<(u8, Option<u8>, Vec<u8>)>,
        /// The last OBU without its size field.
        last_unsized: bool,
    },
    Jpeg {
        segments: Vec<(u8, Vec<u8>)>,
        scan: Vec<u8>,
        tail: Vec<u8>,
    },
}

#[derive(Arbitrary, Debug)]
struct NalDescription {
    /// nal_unit_type (masked to the codec's range).
    nal_type: u8,
    /// H.265: the second header byte (temporal id + 1 forced non-zero).
    layer_tid: u8,
    /// The payload, before emulation prevention.
    payload: Vec<u8>,
    /// An SEI NAL unit holding a seal message with this body instead.
    seal_body: Option<Vec<u8>>,
    /// A 4-byte start code in Annex B (else 3).
    long_start_code: bool,
    /// Zero bytes after it (trailing_zero_8bits).
    trailing_zeros: u8,
}

/// The NAL unit, emulation prevention added over all of it (an H.264
/// header of type 0 is a zero byte).
fn nal_bytes(d: &NalDescription, h265: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let header_type = if d.seal_body.is_some() {
        if h265 { 39 } else { 6 }
    } else if h265 {
        d.nal_type & 0x3f
    } else {
        d.nal_type & 0x1f
    };
    if h265 {
        out.push(header_type << 1);
        out.push((d.layer_tid & 0xf8) | (d.layer_tid & 7).max(1));
    } else {
        out.push((d.nal_type & 0x60) | header_type);
    }
    let rbsp = match &d.seal_body {
        Some(body) => sei_rbsp(&[(5, &[&FRAMESEAL_UUID[..], body].concat())]),
        None => d.payload.clone(),
    };
    out.extend_from_slice(&rbsp);
    let mut escaped = Vec::new();
    add_emulation_prevention(&out, &mut escaped);
    escaped
}

fuzz_target!(|input: (Description, Vec<u8>)| {
    let (description, seal_bytes) = input;
    let mut seal = [0u8; SEAL_LEN];
    for (s, b) in seal.iter_mut().zip(seal_bytes) {
        *s = b;
    }
    match description {
        Description::H26x {
            h265,
            keyframe,
            nals,
        } => {
            let codec = if h265 {
                UnitCodec::H265
            } else {
                UnitCodec::H264
            };
            let bytes: Vec<Vec<u8>> = nals.iter().map(|d| nal_bytes(d, h265)).collect();
            let mut annexb = Vec::new();
            for (d, nal) in nals.iter().zip(&bytes) {
                annexb.extend_from_slice(if d.long_start_code {
                    &[0, 0, 0, 1][..]
                } else {
                    &[0, 0, 1]
                });
                annexb.extend_from_slice(nal);
                annexb.extend(std::iter::repeat_n(0, usize::from(d.trailing_zeros % 4)));
            }
            let annexb_format = UnitFormat::new(codec, Layout::AnnexB).expect("a valid pair");
            let reference = inband_common::check_unit(&annexb, annexb_format, keyframe, None);
            let reference_seal = inband::find_seal(&annexb, annexb_format).ok();
            let reference_with_p = content_of(&annexb, annexb_format, keyframe, None).ok();
            let sealed_annexb = inband::insert_seal(&annexb, annexb_format, &seal).ok();
            for size in [1usize, 2, 4] {
                let Some(avcc) = to_avcc(bytes.iter().map(|b| &b[..]), size) else {
                    continue;
                };
                let format = UnitFormat::new(
                    codec,
                    Layout::Avcc {
                        nal_length_size: size as u8,
                    },
                )
                .expect("a valid pair");
                let ours = inband_common::check_unit(&avcc, format, keyframe, None);
                // The same NAL units split alike in both layouts (an empty
                // one: a zero length in avcc, two start codes in Annex B).
                assert_eq!(ours.is_some(), reference.is_some());
                assert_eq!(ours, reference);
                assert_eq!(inband::find_seal(&avcc, format).ok(), reference_seal);
                assert_eq!(
                    content_of(&avcc, format, keyframe, None).ok(),
                    reference_with_p
                );
                // Sealing in avcc is sealing in Annex B, laid out again.
                match (&sealed_annexb, inband::insert_seal(&avcc, format, &seal)) {
                    (Some(sealed), Ok(sealed_avcc)) => {
                        // The same SEI NAL unit: after a 4-byte start code
                        // in one, a length in the other.
                        assert_eq!(
                            sealed_avcc.len() - avcc.len() + 4,
                            sealed.len() - annexb.len() + size
                        );
                        assert_eq!(
                            inband::find_seal(&sealed_avcc, format).ok(),
                            inband::find_seal(sealed, annexb_format).ok()
                        );
                    }
                    (None, Err(_)) => {}
                    other => panic!("sealing in Annex B and avcc{size} disagree: {other:?}"),
                }
            }
        }
        Description::Av1 {
            keyframe,
            obus,
            last_unsized,
        } => {
            let mut unit = Vec::new();
            let count = obus.len();
            for (i, (obu_type, ext, payload)) in obus.iter().enumerate() {
                let sized = !(last_unsized && i + 1 == count);
                unit.extend(obu(*obu_type, *ext, sized, payload));
            }
            let format = UnitFormat::new(UnitCodec::Av1, Layout::Obu).expect("a valid pair");
            inband_common::check_unit(&unit, format, keyframe, None);
        }
        Description::Jpeg {
            segments,
            scan,
            tail,
        } => {
            let mut unit = vec![0xff, 0xd8];
            for (code, payload) in &segments {
                // Codes with a length: C0..FE less the restart markers,
                // SOI, EOI and SOS.
                let code = 0xc0 + code % 0x3f;
                let code = if (0xd0..=0xda).contains(&code) {
                    0xe0 + (code - 0xd0)
                } else {
                    code
                };
                unit.extend(segment(code, &payload[..payload.len().min(0xfff0)]));
            }
            unit.extend_from_slice(&[0xff, 0xda, 0x00, 0x02]);
            for &b in &scan {
                unit.push(b);
                if b == 0xff {
                    unit.push(0x00);
                }
            }
            unit.extend_from_slice(&[0xff, 0xd9]);
            unit.extend_from_slice(&tail);
            let format = UnitFormat::new(UnitCodec::Jpeg, Layout::Jpeg).expect("a valid pair");
            let content = inband_common::check_unit(&unit, format, true, None);
            if inband::find_seal(&unit, format) != Err(inband::UnitError::TwoSeals) {
                content.expect("a built JPEG splits");
            }
        }
    }
});
