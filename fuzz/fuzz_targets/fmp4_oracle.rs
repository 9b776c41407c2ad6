//! What `MediaSegment::rewrite` must give back, read from the parsed
//! segment alone: the one oracle of the `fmp4_rewrite` target and of
//! `tests/fmp4.rs` (which includes this file by path; it uses nothing but
//! `frameseal::fmp4`).

use frameseal::fmp4::{MediaSegment, Sample};

/// A video sample as compared: bytes, decode time, duration, flags and
/// composition offset.
pub type Tuple = (Vec<u8>, u64, u64, u32, i64);

/// Each kept sample as a rewrite must give it back: bytes, decode time,
/// duration (to the next kept sample of its fragment, or the fragment's
/// end), flags and composition offset.
pub fn expected(seg: &MediaSegment<'_>, keep: &[bool]) -> Vec<Tuple> {
    let mut out = Vec::new();
    for f in seg.fragments() {
        let samples = &seg.video()[f.video.clone()];
        let Some(last) = samples.last() else { continue };
        let end = last.decode_time + u64::from(last.duration);
        let kept: Vec<&Sample> = samples
            .iter()
            .zip(&keep[f.video.clone()])
            .filter(|(_, k)| **k)
            .map(|(s, _)| s)
            .collect();
        for (j, s) in kept.iter().enumerate() {
            let until = kept.get(j + 1).map_or(end, |n| n.decode_time);
            out.push((
                seg.data(s).to_vec(),
                s.decode_time,
                until.wrapping_sub(s.decode_time),
                s.flags,
                s.composition_offset,
            ));
        }
    }
    out
}

/// A segment's video samples in the shape of [`expected`].
pub fn actual(seg: &MediaSegment<'_>) -> Vec<Tuple> {
    seg.video()
        .iter()
        .map(|s| {
            (
                seg.data(s).to_vec(),
                s.decode_time,
                u64::from(s.duration),
                s.flags,
                s.composition_offset,
            )
        })
        .collect()
}
