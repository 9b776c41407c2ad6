//! What the unit tests of this module and the fuzz targets in `fuzz/` (the
//! `fuzzing` feature) both need; never in a shipped build. Its checks
//! panic: they are test code.
//!
//! - [`content_of`]: the content as one vector, checked against the length
//!   [`content`](super::content) returns;
//! - [`plain_nal_reading`]: H.264 §7.4.1 read one byte at a time, what the
//!   word-at-a-time NAL unit scan is checked against;
//! - unit builders: NAL units laid out with lengths ([`to_avcc`]), SEI
//!   messages ([`sei_rbsp`]) with emulation prevention
//!   ([`add_emulation_prevention`], the one the signer uses), OBUs
//!   ([`obu`]), JPEG segments ([`segment`]), a seal ([`seal`]).

use alloc::vec;
use alloc::vec::Vec;

pub use super::h26x::add_emulation_prevention;
use super::{SEAL_LEN, UnitError, UnitFormat};

/// The unit's content, or the error, with the length
/// [`content`](super::content) returned checked against the pieces, none
/// of which may be empty.
pub fn content_of(
    unit: &[u8],
    format: UnitFormat,
    keyframe: bool,
    config: Option<&[u8]>,
) -> Result<Vec<u8>, UnitError> {
    let mut out = Vec::new();
    let result = super::content(unit, format, keyframe, config, &mut |piece| {
        assert!(!piece.is_empty(), "empty pieces are not handed over");
        out.extend_from_slice(piece)
    });
    // The verifier's path (one split, then the content from what it kept,
    // measured and then given) agrees: same bytes, length and error.
    let surveyed = super::survey(unit, format).and_then(|s| {
        let measured = s.content(keyframe, config, None)?;
        let mut given = Vec::new();
        let len = s.content(keyframe, config, Some(&mut |p| given.extend_from_slice(p)))?;
        assert_eq!((measured, len), (len, given.len() as u64));
        Ok(given)
    });
    match result {
        Ok(len) => {
            assert_eq!(len, out.len() as u64);
            assert_eq!(surveyed.as_deref(), Ok(&out[..]), "the surveyed content");
            Ok(out)
        }
        Err(e) => {
            assert!(
                surveyed.is_err(),
                "surveyed content of a unit refused with {e:?}"
            );
            Err(e)
        }
    }
}

/// H.264 §7.4.1 read one byte at a time: the NAL unit's bytes with
/// emulation prevention and trailing zeros removed, or `None` when a
/// forbidden sequence occurs before the trailing zeros.
pub fn plain_nal_reading(nal: &[u8]) -> Option<Vec<u8>> {
    let end = nal.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let body = &nal[..end];
    for w in body.windows(3) {
        if w[0] == 0 && w[1] == 0 && w[2] <= 2 {
            return None;
        }
    }
    for w in body.windows(4) {
        if w[..3] == [0, 0, 3] && w[3] > 3 {
            return None;
        }
    }
    let mut out = Vec::new();
    let mut zeros = 0;
    for &b in body {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    while out.last() == Some(&0) {
        out.pop();
    }
    Some(out)
}

/// The NAL units each after its big-endian length of `size` bytes (avcc),
/// or `None` if one is too long for that.
pub fn to_avcc<'a>(nals: impl IntoIterator<Item = &'a [u8]>, size: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for nal in nals {
        if size < 4 && nal.len() >> (8 * size) != 0 {
            return None;
        }
        out.extend_from_slice(&(nal.len() as u32).to_be_bytes()[4 - size..]);
        out.extend_from_slice(nal);
    }
    Some(out)
}

/// The RBSP of an SEI NAL unit holding these `(payloadType, payload)`
/// messages (`FF`-coded type and size), then `rbsp_trailing_bits`; before
/// emulation prevention and without the NAL unit header.
pub fn sei_rbsp(messages: &[(usize, &[u8])]) -> Vec<u8> {
    let mut rbsp = Vec::new();
    for (payload_type, payload) in messages {
        for mut v in [*payload_type, payload.len()] {
            while v >= 255 {
                rbsp.push(0xff);
                v -= 255;
            }
            rbsp.push(v as u8);
        }
        rbsp.extend_from_slice(payload);
    }
    rbsp.push(0x80);
    rbsp
}

/// An OBU of `obu_type` (its low 4 bits), with the extension byte if any,
/// with a leb128 size field if `sized` (else it runs to the end of the
/// unit), then the payload.
pub fn obu(obu_type: u8, extension: Option<u8>, sized: bool, payload: &[u8]) -> Vec<u8> {
    let header = ((obu_type & 0x0f) << 3)
        | if extension.is_some() { 0x04 } else { 0 }
        | if sized { 0x02 } else { 0 };
    let mut out = vec![header];
    out.extend(extension);
    if sized {
        super::av1::push_leb128(&mut out, payload.len());
    }
    out.extend_from_slice(payload);
    out
}

/// A JPEG marker segment: `FF`, the code, the length (2 + the payload's),
/// the payload.
pub fn segment(code: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0xff, code];
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// A seal body: `FSEAL`, then `fill`.
pub fn seal(fill: u8) -> [u8; SEAL_LEN] {
    let mut seal = [fill; SEAL_LEN];
    seal[..5].copy_from_slice(b"FSEAL");
    seal
}
