//! Property tests (proptest): the wire format round-trips for any header
//! and payload, the parser never accepts bytes it would not write back
//! identically, the replay window agrees with a plain set-of-seen-numbers
//! model through the public `Verifier`, and the byte-stream reader's
//! verdicts do not depend on how the stream is cut into chunks.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeSet;

use frameseal::deframer::{Boundaries, FrameReader};
use frameseal::frame::{self, Codec, Frame, FrameError, Header, OVERHEAD, ROTATION_PAYLOAD_LEN};
use frameseal::{DropReason, FrameSpec, LinkedKey, Policy, Signer, Verifier};
use proptest::prelude::*;

const NOW: i64 = 1_700_000_000_000_000;

fn codec() -> impl Strategy<Value = Codec> {
    prop::sample::select(Codec::ALL.to_vec())
}

/// A header and a payload that fits it (96 bytes for a key rotation).
fn header_and_payload() -> impl Strategy<Value = (Header, Vec<u8>)> {
    (
        any::<[bool; 2]>(),
        codec(),
        any::<([u8; 8], [u8; 16])>(),
        any::<[u64; 2]>(),
        prop::collection::vec(any::<u8>(), 0..600),
        any::<[u8; 32]>(),
    )
        .prop_map(
            |(
                [keyframe, end_of_stream],
                codec,
                (key_id, stream_id),
                [seq, timestamp_us],
                mut payload,
                fill,
            )| {
                if codec == Codec::KeyRotation {
                    payload = fill
                        .iter()
                        .chain(fill.iter())
                        .chain(fill.iter())
                        .copied()
                        .collect();
                    assert_eq!(payload.len(), ROTATION_PAYLOAD_LEN);
                }
                let header = Header {
                    version: frameseal::frame::Version::Envelope,
                    keyframe,
                    end_of_stream,
                    codec,
                    key_id,
                    stream_id,
                    seq,
                    timestamp_us,
                    payload_len: payload.len() as u32,
                };
                (header, payload)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_header_and_payload_round_trip(
        (header, payload) in header_and_payload(),
        signature in prop::collection::vec(any::<u8>(), 64),
    ) {
        let mut bytes = frame::encode_signed_part(&header, &payload);
        bytes.extend_from_slice(&signature);
        prop_assert_eq!(bytes.len(), OVERHEAD + payload.len());

        let parsed = Frame::parse(&bytes, payload.len() as u32).expect("a frame we encoded");
        prop_assert_eq!(*parsed.header(), header);
        prop_assert_eq!(parsed.payload(), &payload[..]);
        prop_assert_eq!(&parsed.signature()[..], &signature[..]);
        prop_assert_eq!(parsed.signed_bytes(), &bytes[..bytes.len() - 64]);
        prop_assert_eq!(&header.encode()[..], &bytes[..52]);

        // One byte less of allowance is too large; any other length is not this frame.
        if !payload.is_empty() {
            prop_assert!(
                matches!(
                    Frame::parse(&bytes, payload.len() as u32 - 1),
                    Err(FrameError::TooLarge { .. })
                ),
                "one byte under the maximum must be too large"
            );
        }
        prop_assert!(Frame::parse(&bytes[..bytes.len() - 1], u32::MAX).is_err());
        let mut longer = bytes.clone();
        longer.push(0);
        prop_assert!(Frame::parse(&longer, u32::MAX).is_err());
    }

    #[test]
    fn whatever_parses_is_written_back_byte_for_byte(
        bytes in prop::collection::vec(any::<u8>(), 0..400),
        prefix in any::<bool>(),
        max in any::<u32>(),
    ) {
        // Half the inputs start with a real header, so the parser gets past
        // the magic often enough to matter.
        let mut bytes = bytes;
        if prefix && bytes.len() >= OVERHEAD {
            let header = Header {
                version: frameseal::frame::Version::Envelope,
                keyframe: bytes[0] & 1 != 0,
                end_of_stream: bytes[0] & 2 != 0,
                codec: Codec::ALL[bytes[1] as usize % Codec::ALL.len()],
                key_id: [bytes[2]; 8],
                stream_id: [bytes[3]; 16],
                seq: u64::from(bytes[4]),
                timestamp_us: u64::from(bytes[5]),
                payload_len: (bytes.len() - OVERHEAD) as u32,
            };
            bytes[..52].copy_from_slice(&header.encode());
        }
        if let Ok(parsed) = Frame::parse(&bytes, max) {
            let mut again = frame::encode_signed_part(parsed.header(), parsed.payload());
            again.extend_from_slice(parsed.signature());
            prop_assert_eq!(&again, &bytes);
            prop_assert!(parsed.header().payload_len <= max);
        }
    }
}

/// One step of the replay-window property: a fresh frame with this seq, a
/// fresh frame this far below the highest accepted seq (so the window's
/// edge is hit often), or the exact bytes of the n-th frame sent before.
#[derive(Clone, Debug)]
enum Step {
    Fresh(u64),
    Back(u64),
    Resend(usize),
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        prop_oneof![
            // Mostly near 1000, some far jumps, some very low.
            3 => (900u64..1200).prop_map(Step::Fresh),
            3 => (0u64..140).prop_map(Step::Back),
            1 => (0u64..5000).prop_map(Step::Fresh),
            1 => any::<u64>().prop_map(Step::Fresh),
            2 => any::<usize>().prop_map(Step::Resend),
        ],
        1..48,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn the_replay_window_is_the_set_of_seen_numbers(
        window in prop_oneof![0u32..4, 4u32..130, Just(64u32), Just(65_536u32)],
        steps in steps(),
    ) {
        let mut camera = Signer::from_secret(&[3; 32], [0xC0; 16]);
        let key = LinkedKey::from_bytes(camera.public_key()).expect("key");
        let policy = Policy { replay_window: window, ..Policy::default() };
        let mut v = Verifier::new(key, policy).expect("policy");

        // The model: every seq accepted so far, and the highest.
        let mut seen: BTreeSet<u64> = BTreeSet::new();
        let mut sent: Vec<(u64, Vec<u8>)> = Vec::new();
        for step in steps {
            let high = seen.last().copied().unwrap_or(1000);
            let mut fresh = |seq: u64| {
                let spec = FrameSpec { seq: Some(seq), ..FrameSpec::at(NOW as u64) };
                (seq, camera.sign_frame(b"p", &spec).expect("sign"))
            };
            let (seq, bytes) = match step {
                Step::Fresh(seq) => fresh(seq),
                Step::Back(d) => fresh(high.saturating_sub(d)),
                Step::Resend(_) if sent.is_empty() => continue,
                Step::Resend(i) => sent[i % sent.len()].clone(),
            };
            let allowed = match seen.last() {
                None => true,
                Some(&high) => {
                    seq > high || (high - seq < u64::from(window) && !seen.contains(&seq))
                }
            };
            let got = v.verify(&bytes, NOW).map(|ok| ok.header.seq);
            if allowed {
                prop_assert_eq!(got, Ok(seq), "window {} seen {:?}", window, seen);
                seen.insert(seq);
            } else {
                prop_assert_eq!(got, Err(DropReason::Replayed), "window {}, seq {}", window, seq);
            }
            sent.push((seq, bytes));
        }
        prop_assert_eq!(v.stats().accepted, seen.len() as u64);
    }

    #[test]
    fn reader_verdicts_do_not_depend_on_chunking(
        items in prop::collection::vec((0u8..4, 0usize..300), 1..12),
        chunks in prop::collection::vec(1usize..400, 1..8),
    ) {
        // A stream of genuine, foreign, replayed and stale frames (no
        // corruption): cut into any chunks, the reader must hand the
        // verifier exactly the frames, and the verdicts must be those of
        // verifying each frame whole.
        let mut ours = Signer::from_secret(&[1; 32], [0xA0; 16]);
        let mut theirs = Signer::from_secret(&[2; 32], [0xB0; 16]);
        let mut frames: Vec<Vec<u8>> = Vec::new();
        for (i, (kind, len)) in items.into_iter().enumerate() {
            let payload = vec![0x46; len]; // 'F', the first magic byte
            let at = |age: i64| FrameSpec { seq: Some(i as u64), ..FrameSpec::at((NOW - age) as u64) };
            let f = match kind {
                0 => ours.sign_frame(&payload, &at(0)),
                1 => theirs.sign_frame(&payload, &at(0)),
                2 if !frames.is_empty() => Ok(frames[frames.len() - 1].clone()),
                _ => ours.sign_frame(&payload, &at(60_000_000)),
            };
            frames.push(f.expect("sign"));
        }
        let key = LinkedKey::from_bytes(ours.public_key()).expect("key");
        let mut whole = Verifier::new(key.clone(), Policy::default()).expect("policy");
        let want: Vec<Result<u64, DropReason>> = frames
            .iter()
            .map(|f| whole.verify(f, NOW).map(|ok| ok.header.seq))
            .collect();

        let mut v = Verifier::new(key, Policy::default()).expect("policy");
        let mut reader = FrameReader::for_verifier(&v);
        let mut got = Vec::new();
        let stream = frames.concat();
        let mut rest = &stream[..];
        let mut sizes = chunks.iter().cycle();
        while !rest.is_empty() {
            let n = (*sizes.next().expect("cycle")).min(rest.len());
            reader.push(&rest[..n], |c| {
                let verdict = v.verify(c.bytes, NOW);
                got.push(verdict.map(|ok| ok.header.seq));
                Boundaries::of(&verdict)
            });
            rest = &rest[n..];
        }
        reader.finish(|_| panic!("nothing is left at the end"));
        prop_assert_eq!(&got, &want);
        // Only the foreign frames' bytes were searched instead of trusted.
        let foreign: usize = frames
            .iter()
            .zip(&want)
            .filter(|(_, w)| **w == Err(DropReason::ForeignKey))
            .map(|(f, _)| f.len())
            .sum();
        prop_assert_eq!(reader.stats().skipped_bytes, foreign as u64);
        prop_assert_eq!(reader.stats().frames, frames.len() as u64);
    }
}
