//! Media units the way a demuxer hands them over, made from the real
//! encoder output in `tests/fixtures/inband/`: the NAL units of an Annex B
//! access unit, laid out again with big-endian lengths as in MP4 samples
//! (`avcc`). Core and `alloc` only: the wasm suites use it on the
//! WebAssembly 1.0 build too.

extern crate alloc;

use alloc::vec::Vec;

/// The NAL units of one Annex B access unit, in order, without their start
/// codes: each runs to the next `00 00 01`, and the zero bytes before that
/// start code (the leading zero of a 4-byte start code, trailing zeros) are
/// not part of it.
pub fn annexb_nal_units(unit: &[u8]) -> Vec<&[u8]> {
    let starts: Vec<usize> = unit
        .windows(3)
        .enumerate()
        .filter(|(_, w)| *w == [0, 0, 1])
        .map(|(i, _)| i + 3)
        .collect();
    starts
        .iter()
        .enumerate()
        .map(|(i, &start)| {
            let mut end = starts.get(i + 1).map_or(unit.len(), |next| next - 3);
            while end > start && unit[end - 1] == 0 {
                end -= 1;
            }
            &unit[start..end]
        })
        .collect()
}

/// `nal_units` as one unit in the `avcc` layout: each prefixed by its
/// length in `size` (1, 2 or 4) big-endian bytes. Panics if one does not
/// fit that size: a test asked for a layout its units cannot have.
pub fn avcc(nal_units: &[&[u8]], size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for nal in nal_units {
        let len = nal.len() as u64;
        assert!(
            len < 1 << (8 * size),
            "a {len}-byte NAL unit in {size}-byte lengths"
        );
        out.extend_from_slice(&len.to_be_bytes()[8 - size..]);
        out.extend_from_slice(nal);
    }
    out
}
