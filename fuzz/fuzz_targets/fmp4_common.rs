//! Input layout and invariants shared by the `fmp4_parse` and
//! `fmp4_rewrite` targets (`frameseal::fmp4`).
//!
//! Input: 4 bytes of seed (the rewrite's keep mask), a 2-byte big-endian
//! length, an init segment of that length (fewer bytes if the input ends),
//! then a media segment. An init segment that does not parse is replaced by
//! a fixed one (H.264 + AAC, `tests/fixtures/fmp4/h264_aac.mp4`), so media
//! parsing is fuzzed whatever the first bytes are. The seed corpus
//! (`corpus/fmp4_*/`) holds the fixtures in this layout.

use frameseal::fmp4::{InitSegment, MediaSegment};

/// A whole fMP4 file: `ftyp` + `moov`, then fragments.
const FALLBACK_FILE: &[u8] = include_bytes!("../../tests/fixtures/fmp4/h264_aac.mp4");

/// The fixture's init segment: its boxes up to the first `moof`.
fn fallback_init() -> &'static [u8] {
    let mut at = 0;
    while at + 8 <= FALLBACK_FILE.len() && &FALLBACK_FILE[at + 4..at + 8] != b"moof" {
        let size = u32::from_be_bytes(FALLBACK_FILE[at..at + 4].try_into().expect("4 bytes"));
        at += size as usize;
    }
    &FALLBACK_FILE[..at]
}

/// The seed, the init segment (parsed, or the fallback) and the media bytes.
pub fn split(input: &[u8]) -> Option<(u32, InitSegment, &[u8])> {
    let (seed, rest) = input.split_first_chunk::<4>()?;
    let (len, rest) = rest.split_first_chunk::<2>()?;
    let len = usize::from(u16::from_be_bytes(*len)).min(rest.len());
    let (init, media) = rest.split_at(len);
    let init = match InitSegment::parse(init) {
        Ok(init) => {
            check_init(&init);
            init
        }
        Err(e) => {
            let _ = e.to_string();
            InitSegment::parse(fallback_init()).expect("the fixture's init parses")
        }
    };
    Some((u32::from_be_bytes(*seed), init, media))
}

/// What a parsed init segment promises.
fn check_init(init: &InitSegment) {
    assert!(init.timescale() > 0);
    assert!(init.track(init.track_id()).is_some());
    assert!(matches!(init.nal_length_size(), None | Some(1 | 2 | 4)));
    assert!(init.unit_format().is_ok());
}

/// What a parsed media segment promises: every sample non-empty, inside the
/// input, apart from every other; fragments index the sample lists in order
/// and cover them; video samples are the init's video track's.
pub fn check_segment(init: &InitSegment, seg: &MediaSegment<'_>, len: usize) {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for s in seg.video().iter().chain(seg.other()) {
        assert!(
            s.range.start < s.range.end && s.range.end <= len,
            "{:?} outside {len}",
            s.range
        );
        assert_eq!(seg.data(s).len(), s.range.len());
        ranges.push((s.range.start, s.range.end));
    }
    ranges.sort_unstable();
    assert!(
        ranges.windows(2).all(|w| w[0].1 <= w[1].0),
        "overlapping samples"
    );
    assert!(seg.video().iter().all(|s| s.track_id == init.track_id()));
    assert!(seg.other().iter().all(|s| s.track_id != init.track_id()));
    let (mut v, mut o) = (0, 0);
    for f in seg.fragments() {
        assert_eq!(f.video.start, v);
        assert_eq!(f.other.start, o);
        assert!(f.moof.end <= len);
        v = f.video.end;
        o = f.other.end;
    }
    assert_eq!((v, o), (seg.video().len(), seg.other().len()));
}

/// A keep mask for `n` samples from `seed` (xorshift32).
pub fn keep_mask(seed: u32, n: usize) -> Vec<bool> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x & 1 == 1
        })
        .collect()
}
