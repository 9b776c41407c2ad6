//! `FragmentFilter` (SPEC §7) on a relay's worst: the fuzzer plays a
//! sequence of media segments taken from a real sealed stream
//! (`tests/fixtures/fmp4/h264_every_frame.mp4`, one fragment per frame,
//! keyframes at 0 and 12, every sample sealed here by a fixed camera):
//! genuine ones in any order and number, another camera's, unsealed ones,
//! ones with a byte changed, cut ones, and raw fuzzer bytes.
//!
//! Invariants, whatever the sequence:
//! - nothing panics; every call returns one result per video sample (or an
//!   unreadable segment with none);
//! - a kept sample was accepted; the first kept sample, and the first after
//!   a drop that broke the chain, is a keyframe; a kept delta follows the
//!   previous kept sample seq by seq;
//! - the output segment reparses to exactly the kept samples, their bytes
//!   unchanged (this stream's deltas carry no parameter sets), and is there
//!   only when something is kept;
//! - the init segment is handed out once, with the first kept sample.
#![no_main]

use std::sync::OnceLock;

use frameseal::fmp4::{InitSegment, MediaSegment};
use frameseal::fragment_filter::{FragmentFilter, SampleVerdict};
use frameseal::inband;
use frameseal::{FrameSpec, LinkedKey, Policy, Signer, Verifier};
use libfuzzer_sys::fuzz_target;

const FILE: &[u8] = include_bytes!("../../tests/fixtures/fmp4/h264_every_frame.mp4");
const NOW_US: u64 = 1_765_000_000_000_000;
const STREAM: [u8; 16] = [0x5a; 16];

struct Stream {
    init: Vec<u8>,
    raw: Vec<Vec<u8>>,
    genuine: Vec<Vec<u8>>,
    foreign: Vec<Vec<u8>>,
    key: [u8; 32],
}

fn split(file: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut init = Vec::new();
    let mut segments: Vec<Vec<u8>> = Vec::new();
    let mut at = 0;
    while at + 8 <= file.len() {
        let size = u32::from_be_bytes(file[at..at + 4].try_into().expect("4 bytes")) as usize;
        let whole = &file[at..at + size];
        match &file[at + 4..at + 8] {
            b"ftyp" | b"moov" => init.extend_from_slice(whole),
            b"moof" => segments.push(whole.to_vec()),
            b"mdat" => segments
                .last_mut()
                .expect("a moof first")
                .extend_from_slice(whole),
            _ => {}
        }
        at += size;
    }
    (init, segments)
}

fn sealed(cam: &mut Signer, init: &InitSegment, raw: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let format = init.unit_format().expect("avcc");
    raw.iter()
        .enumerate()
        .map(|(n, segment)| {
            let seg = MediaSegment::parse(init, segment).expect("the fixture parses");
            let units: Vec<Vec<u8>> = seg
                .video()
                .iter()
                .map(|s| {
                    let unit = seg.data(s);
                    let spec = FrameSpec {
                        seq: Some(n as u64),
                        keyframe: inband::is_keyframe(unit, format).expect("splits"),
                        ..FrameSpec::at(NOW_US)
                    };
                    cam.seal_unit(unit, format, Some(init.config()), &spec)
                        .expect("seals")
                })
                .collect();
            let with: Vec<Option<&[u8]>> = units.iter().map(|u| Some(u.as_slice())).collect();
            seg.rewrite_with(&with).expect("rewrites")
        })
        .collect()
}

fn stream() -> &'static Stream {
    static STREAM_DATA: OnceLock<Stream> = OnceLock::new();
    STREAM_DATA.get_or_init(|| {
        let (init, raw) = split(FILE);
        let parsed = InitSegment::parse(&init).expect("the fixture's init parses");
        let mut cam = Signer::from_secret(&[7; 32], STREAM);
        let mut stranger = Signer::from_secret(&[9; 32], STREAM);
        let genuine = sealed(&mut cam, &parsed, &raw);
        let foreign = sealed(&mut stranger, &parsed, &raw);
        Stream {
            init,
            raw,
            genuine,
            foreign,
            key: *cam.public_key(),
        }
    })
}

fuzz_target!(|input: &[u8]| {
    let s = stream();
    let verifier = Verifier::new(
        LinkedKey::from_bytes(&s.key).expect("a valid key"),
        Policy::default(),
    )
    .expect("a verifier");
    let mut f = FragmentFilter::new(verifier);
    f.init(&s.init).expect("the fixture's init");
    let init = InitSegment::parse(&s.init).expect("parses");
    let n = s.genuine.len();
    let mut last_kept: Option<u64> = None;
    let mut broken = true;
    let mut inits = 0;
    let mut ops = input.chunks(3);
    let mut raw_rest = &[][..];
    while let Some(op) = ops.next() {
        let [kind, a, b] = *op else {
            raw_rest = op;
            break;
        };
        let i = usize::from(a) % n;
        let segment: Vec<u8> = match kind % 6 {
            0 | 1 => s.genuine[i].clone(),
            2 => s.foreign[i].clone(),
            3 => s.raw[i].clone(),
            4 => {
                let mut x = s.genuine[i].clone();
                let at = usize::from(b) * x.len() / 256;
                x[at] ^= 1 << (a % 8);
                x
            }
            _ => s.genuine[i][..usize::from(b) * s.genuine[i].len() / 256].to_vec(),
        };
        let out = f
            .filter(&segment, NOW_US as i64)
            .expect("no filter error here");
        check(
            &init,
            &segment,
            &out,
            &mut last_kept,
            &mut broken,
            &mut inits,
        );
    }
    if !raw_rest.is_empty() || input.len() % 3 == 0 {
        // Whatever the fuzzer's own bytes are, as a segment.
        let segment = input
            .get(input.len() - input.len() % 3..)
            .unwrap_or_default();
        if let Ok(out) = f.filter(segment, NOW_US as i64) {
            check(
                &init,
                segment,
                &out,
                &mut last_kept,
                &mut broken,
                &mut inits,
            );
        }
    }
});

fn check(
    init: &InitSegment,
    segment: &[u8],
    out: &frameseal::fragment_filter::Filtered,
    last_kept: &mut Option<u64>,
    broken: &mut bool,
    inits: &mut u32,
) {
    let Ok(parsed) = MediaSegment::parse(init, segment) else {
        assert!(out.unreadable.is_some() && out.samples.is_empty() && out.bytes.is_none());
        *broken = true;
        return;
    };
    assert!(out.unreadable.is_none());
    assert_eq!(out.samples.len(), parsed.video().len());
    let mut kept = Vec::new();
    for (sample, filtered) in parsed.video().iter().zip(&out.samples) {
        assert_eq!(sample.range, filtered.range);
        match filtered.verdict {
            SampleVerdict::Kept(h) => {
                if h.keyframe {
                    assert!(last_kept.is_none_or(|l| h.seq > l));
                } else {
                    assert!(!*broken, "a delta kept after a break");
                    assert_eq!(Some(h.seq), last_kept.map(|l| l + 1));
                }
                *broken = false;
                *last_kept = Some(h.seq);
                kept.push(parsed.data(sample).to_vec());
            }
            SampleVerdict::NotKept(h, _) => {
                // Only a keyframe behind the chain waits (this stream's
                // keyframes always vouch for its init segment).
                assert!(!h.keyframe || last_kept.is_some_and(|l| h.seq <= l));
                if !h.keyframe {
                    *broken = true;
                }
            }
            SampleVerdict::Dropped(_) => {}
        }
    }
    match &out.bytes {
        None => assert!(kept.is_empty()),
        Some(bytes) => {
            let again = MediaSegment::parse(init, bytes).expect("the output reparses");
            let got: Vec<Vec<u8>> = again
                .video()
                .iter()
                .map(|s| again.data(s).to_vec())
                .collect();
            assert_eq!(got, kept);
        }
    }
    if out.init.is_some() {
        *inits += 1;
        assert!(out.bytes.is_some());
    }
    assert!(*inits <= 1, "the init segment is handed out once");
}
