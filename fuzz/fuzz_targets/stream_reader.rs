//! The byte-stream reader under random chunking, with corruption between
//! and inside frames.
//!
//! The stream is a sequence of items: whole frames of either version
//! (genuine, foreign, forged, stale, replayed) and corruption (garbage,
//! truncated frames, frames with a byte changed, lone version-1 headers and
//! version-2 seals claiming any length). The reader's judge also judges
//! version-2 seals alone, as the JS `FrameReader` does (a seal it drops is
//! a verdict like any other, at the frame's offset). A
//! reference verifier checks the whole frames one by one, in order, and
//! never sees the corruption; a second verifier gets what the reader cuts
//! out of the stream, pushed in random chunks.
//!
//! Invariants:
//! - every candidate the reader hands over that is not one of the whole
//!   frames is refused before or at the signature (it cannot be authentic);
//! - every authenticated verdict is at the offset of a whole frame, with
//!   that frame's bytes, and authenticated frames come out in stream order
//!   without overlapping (candidates are judged in the order they complete,
//!   so an unauthenticated one nested in a longer one comes first);
//! - unless the re-reading budget ran out (`ReaderStats::unscanned`) or the
//!   pending list overflowed (`ReaderStats::crowded`), every whole frame is
//!   handed over once, at its own offset, and the whole frames get exactly
//!   the reference verdicts in stream order, whatever the chunking and the
//!   corruption around them, lone headers claiming long payloads included
//!   (a frame above the maximum payload is skipped from its header
//!   instead: the reference calls it too-large);
//! - the buffer never exceeds one maximum frame, every byte is accounted
//!   for, and nothing is left after `finish`.
#![no_main]

mod verifier_cache;

use arbitrary::Arbitrary;
use frameseal::deframer::{Boundaries, Candidate, FrameReader, Judge, SealCandidate};
use frameseal::frame::{Codec, Header, OVERHEAD, SEAL_LEN, Version};
use frameseal::keys::KeyId;
use frameseal::{DropReason, FrameSpec, LinkedKey, Policy, Signer, Verifier};
use libfuzzer_sys::fuzz_target;

const NOW_US: i64 = 1_700_000_000_000_000;
const STREAM: [u8; 16] = [0x5A; 16];

/// The maximum payloads tried (the fuzzer controls the frames' lengths).
const MAX_PAYLOADS: [u32; 8] = [0, 1, 16, 64, 96, 255, 1000, 16 << 20];

fn verifier(key: &LinkedKey, max: u32) -> Verifier {
    let policy = Policy {
        max_payload_bytes: max,
        ..Policy::default()
    };
    verifier_cache::verifier(key, policy)
}

#[derive(Arbitrary, Debug)]
struct Input {
    max_payload: u8,
    items: Vec<Item>,
    chunks: Vec<u16>,
}

#[derive(Arbitrary, Debug)]
enum Item {
    Genuine {
        seq: u8,
        keyframe: bool,
        payload: Vec<u8>,
        sealed: bool,
    },
    Foreign {
        seq: u8,
        payload: Vec<u8>,
        sealed: bool,
    },
    Forged {
        seq: u8,
        payload: Vec<u8>,
        sealed: bool,
    },
    Stale {
        seq: u8,
        payload: Vec<u8>,
        sealed: bool,
    },
    Replay(u8),
    Garbage(Vec<u8>),
    Truncated {
        index: u8,
        keep: u16,
    },
    Flipped {
        index: u8,
        at: u16,
        xor: u8,
    },
    /// A header (version 1) or a seal with a signature that is not the
    /// camera's (version 2), with the linked key's id (or not), claiming
    /// this payload length.
    LoneHeader {
        claim: u32,
        ours: bool,
        sealed: bool,
    },
}

/// What a verdict is compared on: the accepted header and payload, or the reason.
type Seen = Result<(Header, Vec<u8>), DropReason>;

/// A frame of `signer`'s: version 2 when `sealed`, else version 1.
fn make(signer: &mut Signer, sealed: bool, payload: &[u8], spec: &FrameSpec) -> Vec<u8> {
    match sealed {
        true => signer.seal_frame(payload, spec),
        false => signer.sign_frame(payload, spec),
    }
    .expect("signable")
}

fn seen(v: &mut Verifier, bytes: &[u8]) -> Seen {
    v.verify(bytes, NOW_US)
        .map(|ok| (ok.header, ok.payload.to_vec()))
}

fn authenticated(s: &Seen) -> bool {
    Boundaries::of(s) == Boundaries::Authenticated
}

/// A verdict as the reader gave it: at this offset, on these bytes (a
/// whole candidate, or a seal alone).
type Got = (u64, Seen, Vec<u8>);

/// The reader's judge: whole candidates through `Verifier::verify`, seals
/// alone through `Verifier::authenticate_seal`; every verdict recorded.
struct Recorder<'a> {
    v: &'a mut Verifier,
    got: &'a mut Vec<Got>,
    max_frame: u64,
}

impl Judge for Recorder<'_> {
    fn frame(&mut self, c: Candidate<'_>) -> Boundaries {
        assert!(c.bytes.len() as u64 <= self.max_frame);
        let s = seen(self.v, c.bytes);
        let b = Boundaries::of(&s);
        self.got.push((c.offset, s, c.bytes.to_vec()));
        b
    }

    fn seal(&mut self, c: SealCandidate<'_>) -> Option<Boundaries> {
        assert_eq!(c.seal.len(), SEAL_LEN);
        assert!(c.frame_len > SEAL_LEN && c.frame_len as u64 <= self.max_frame);
        let before = self.v.fuzzing_state();
        let verdict = self.v.authenticate_seal(c.seal, c.frame_len);
        assert!(self.v.fuzzing_state() == before, "a seal changed the state");
        match verdict {
            Ok(_) => Some(Boundaries::Authenticated),
            Err(reason) => {
                self.got.push((c.offset, Err(reason), c.seal.to_vec()));
                Some(Boundaries::Unauthenticated)
            }
        }
    }
}

fuzz_target!(|input: Input| {
    let mut ours = Signer::from_secret(&[1; 32], STREAM);
    let mut stranger = Signer::from_secret(&[2; 32], STREAM);
    let key = LinkedKey::from_bytes(ours.public_key()).expect("a valid key");
    let max = MAX_PAYLOADS[usize::from(input.max_payload) % MAX_PAYLOADS.len()];

    // Build the stream; remember where each whole frame starts.
    let mut stream = Vec::new();
    let mut whole: Vec<(u64, Vec<u8>)> = Vec::new();
    for item in input.items.into_iter().take(48) {
        let at = |seq: u8, age_us: i64, keyframe: bool| FrameSpec {
            seq: Some(u64::from(seq)),
            keyframe,
            codec: Codec::Jpeg,
            ..FrameSpec::at((NOW_US - age_us) as u64)
        };
        let earlier =
            |i: u8| (!whole.is_empty()).then(|| whole[usize::from(i) % whole.len()].1.clone());
        let (bytes, is_whole) = match item {
            Item::Genuine {
                seq,
                keyframe,
                payload,
                sealed,
            } => (
                make(&mut ours, sealed, &payload, &at(seq, 0, keyframe)),
                true,
            ),
            Item::Foreign {
                seq,
                payload,
                sealed,
            } => (
                make(&mut stranger, sealed, &payload, &at(seq, 0, true)),
                true,
            ),
            Item::Forged {
                seq,
                payload,
                sealed,
            } => {
                let mut f = make(&mut stranger, sealed, &payload, &at(seq, 0, true));
                f[8..16].copy_from_slice(&key.id().0);
                (f, true)
            }
            Item::Stale {
                seq,
                payload,
                sealed,
            } => (
                make(&mut ours, sealed, &payload, &at(seq, 60_000_000, false)),
                true,
            ),
            Item::Replay(i) => match earlier(i) {
                Some(f) => (f, true),
                None => continue,
            },
            Item::Garbage(g) => (g, false),
            Item::Truncated { index, keep } => match earlier(index) {
                Some(mut f) => {
                    f.truncate(usize::from(keep) % f.len());
                    (f, false)
                }
                None => continue,
            },
            Item::Flipped { index, at, xor } => match earlier(index) {
                Some(mut f) => {
                    let at = usize::from(at) % f.len();
                    f[at] ^= xor.max(1);
                    (f, false)
                }
                None => continue,
            },
            Item::LoneHeader {
                claim,
                ours: mine,
                sealed,
            } => {
                let h = Header {
                    version: if sealed {
                        Version::Sealed
                    } else {
                        Version::Envelope
                    },
                    keyframe: true,
                    end_of_stream: false,
                    codec: Codec::Jpeg,
                    key_id: if mine {
                        key.id().0
                    } else {
                        KeyId::of(&[9; 32]).0
                    },
                    stream_id: STREAM,
                    seq: 0,
                    timestamp_us: NOW_US as u64,
                    payload_len: claim,
                };
                let mut bytes = h.encode().to_vec();
                if sealed {
                    // A content hash and a signature that are not the camera's.
                    bytes.resize(SEAL_LEN, 0x5A);
                }
                (bytes, false)
            }
        };
        if is_whole {
            whole.push((stream.len() as u64, bytes.clone()));
        }
        stream.extend_from_slice(&bytes);
    }

    // The reference: each whole frame, verified alone, in order.
    let mut reference = verifier(&key, max);
    let want: Vec<(u64, Seen)> = whole
        .iter()
        .map(|(offset, f)| (*offset, seen(&mut reference, f)))
        .collect();

    // The reader, in random chunks.
    let mut v = verifier(&key, max);
    let mut reader = FrameReader::for_verifier(&v);
    let max_frame = reader.max_frame_len();
    let mut got: Vec<Got> = Vec::new();
    let mut judge = Recorder {
        v: &mut v,
        got: &mut got,
        max_frame,
    };
    let mut rest = &stream[..];
    let mut sizes = input.chunks.iter().cycle();
    while !rest.is_empty() {
        let n = sizes
            .next()
            .map_or(rest.len(), |&n| usize::from(n).max(1))
            .min(rest.len());
        reader.push_to(&rest[..n], &mut judge);
        assert!(reader.buffer_capacity() as u64 <= max_frame);
        rest = &rest[n..];
    }
    reader.finish_to(&mut judge);

    let s = *reader.stats();
    assert_eq!(reader.buffered(), 0);
    assert_eq!(s.input_bytes, stream.len() as u64);
    assert_eq!(s.input_bytes, s.frame_bytes + s.skipped_bytes);
    assert_eq!(s.frames, got.len() as u64);

    // Nothing authentic comes from anywhere but a whole frame, and
    // authentic frames come in stream order, none inside another.
    let mut authentic_end = 0u64;
    for (offset, verdict, bytes) in &got {
        if authenticated(verdict) {
            let at = whole.iter().find(|(o, _)| o == offset);
            assert!(
                at.is_some_and(|(_, f)| f == bytes),
                "authentic candidate at {offset} is not a whole frame"
            );
            assert!(
                *offset >= authentic_end,
                "authentic frame at {offset} out of order"
            );
            authentic_end = offset + bytes.len() as u64;
        }
    }
    if s.unscanned > 0 || s.crowded > 0 {
        return;
    }
    // Every whole frame, once, at its offset, with the reference verdict,
    // in stream order; except those too large for the policy, which the
    // reader skips from their header without buffering them (the reference
    // drops them as too-large). A candidate at a whole frame's offset is
    // that frame (its header gives the same length).
    let wanted: Vec<&(u64, Seen)> = want
        .iter()
        .filter(|(_, v)| *v != Err(DropReason::TooLarge))
        .collect();
    let handed: Vec<(u64, &Seen)> = got
        .iter()
        .filter(|(o, _, _)| whole.iter().any(|(w, _)| w == o))
        .map(|(o, v, _)| (*o, v))
        .collect();
    let wanted: Vec<(u64, &Seen)> = wanted.iter().map(|(o, v)| (*o, v)).collect();
    assert_eq!(handed, wanted, "whole frames");
    // The longest frame: the maximum payload behind a version-2 seal.
    assert_eq!(max_frame, OVERHEAD.max(SEAL_LEN) as u64 + u64::from(max));
});
