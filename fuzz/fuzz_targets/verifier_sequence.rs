//! The verifier fed a random sequence of valid, foreign, forged, replayed,
//! mangled, truncated and raw frames, key rotations and clock steps, under
//! random options.
//!
//! Invariants, for every frame:
//! - an accepted frame parses, carries the linked key's id and a signature
//!   that ed25519-dalek's own `verify_strict` accepts under the key that
//!   was linked when it arrived; it is fresh and on the chosen stream (when
//!   there is one); the very same bytes were never accepted before; its
//!   payload is the frame's; only a rotation frame changes the linked key,
//!   to the key in its payload;
//! - a dropped frame changes no state (`Verifier::fuzzing_state`) and
//!   exactly one counter, its reason's;
//! - the reason follows the check order: the parse error, else
//!   `foreign-key` for another key id, else `bad-signature` exactly when
//!   the independent check refuses the signature, else a later reason.
#![no_main]

mod verifier_cache;

use std::collections::HashMap;

use arbitrary::Arbitrary;
use ed25519_dalek::{Signature, VerifyingKey};
use frameseal::frame::{Codec, Frame};
use frameseal::keys::KeyId;
use frameseal::{DropReason, FrameSpec, LinkedKey, Policy, Signer, Verifier};
use libfuzzer_sys::fuzz_target;
use verifier_cache::verifier;

const NOW_US: i64 = 1_700_000_000_000_000;
const STREAMS: [[u8; 16]; 3] = [[0xA0; 16], [0xB0; 16], [0xC0; 16]];

/// The options tried, each picked by an index from the input (a verifier
/// per policy, `verifier_cache`).
const MAX_AGES_MS: [Option<u64>; 5] = [None, Some(0), Some(1), Some(100), Some(10_000)];
const SKEWS_MS: [Option<u64>; 3] = [None, Some(0), Some(5_000)];
const WINDOWS: [u32; 8] = [0, 1, 2, 3, 63, 64, 65, 65_536];
const MAX_PAYLOADS: [u32; 5] = [0, 95, 96, 255, 16 << 20];

#[derive(Arbitrary, Debug)]
struct Input {
    max_age: u8,
    max_future_skew: u8,
    replay_window: u8,
    choose_stream: bool,
    max_payload: u8,
    allow_rotation: bool,
    ops: Vec<Op>,
}

/// Header fields of a frame to sign.
#[derive(Arbitrary, Debug, Clone, Copy)]
struct Spec {
    stream: u8,
    seq: u16,
    /// Capture time before (positive) or after the clock, in ms.
    age_ms: i16,
    keyframe: bool,
    end_of_stream: bool,
    codec: u8,
    payload_len: u8,
    fill: u8,
}

#[derive(Arbitrary, Debug)]
enum Op {
    /// Signed by the camera whose key is linked now.
    Genuine(Spec),
    /// Signed by another camera.
    Foreign(Spec),
    /// The linked key's id, another key's signature.
    Forged(Spec),
    /// The exact bytes of an earlier frame.
    Replay(u8),
    /// An earlier frame with one byte changed.
    Mangle {
        index: u8,
        at: u16,
        xor: u8,
    },
    /// An earlier frame cut short, or with bytes after it.
    Truncate {
        index: u8,
        keep: u16,
    },
    Extend {
        index: u8,
        extra: u8,
    },
    /// A key-rotation frame by the linked camera.
    Rotate {
        spec: Spec,
        target: RotationTarget,
        bad_proof: bool,
    },
    /// Bytes from the fuzzer.
    Raw(Vec<u8>),
    /// The clock moves, in ms (backwards too).
    Tick(i16),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum RotationTarget {
    /// The other camera key (A to B, B to A).
    Next,
    /// The key already linked.
    Same,
    /// The identity point (small order).
    SmallOrder,
    /// Not a curve point.
    NotAPoint,
}

struct Cameras {
    /// The two keys the display may be linked to, and a stranger.
    a: Signer,
    b: Signer,
    stranger: Signer,
}

impl Cameras {
    fn linked<'a>(&'a mut self, v: &Verifier) -> &'a mut Signer {
        if v.linked_key().as_bytes() == self.a.public_key() {
            &mut self.a
        } else {
            &mut self.b
        }
    }
}

fn spec(s: Spec, now_us: i64) -> FrameSpec {
    FrameSpec {
        stream_id: Some(STREAMS[usize::from(s.stream) % STREAMS.len()]),
        seq: Some(u64::from(s.seq)),
        timestamp_us: (now_us - i64::from(s.age_ms) * 1000).max(0) as u64,
        keyframe: s.keyframe,
        end_of_stream: s.end_of_stream,
        codec: match Codec::ALL[usize::from(s.codec) % Codec::ALL.len()] {
            // Rotation frames come from Op::Rotate.
            Codec::KeyRotation => Codec::Opaque,
            c => c,
        },
    }
}

fn payload(s: Spec) -> Vec<u8> {
    vec![s.fill; usize::from(s.payload_len)]
}

fn rotation_payload(old: &Signer, new_key: [u8; 32], proof_by: &Signer, bad: bool) -> [u8; 96] {
    let mut msg = [0u8; 80];
    msg[..16].copy_from_slice(b"frameseal-rotate");
    msg[16..48].copy_from_slice(old.public_key());
    msg[48..].copy_from_slice(&new_key);
    let mut proof = proof_by
        .sign_message(&msg)
        .expect("a rotation proof message");
    if bad {
        proof[10] ^= 1;
    }
    let mut out = [0u8; 96];
    out[..32].copy_from_slice(&new_key);
    out[32..].copy_from_slice(&proof);
    out
}

fn strictly_valid(key: &LinkedKey, frame: &Frame<'_>) -> bool {
    let Ok(vk) = VerifyingKey::from_bytes(key.as_bytes()) else {
        return false;
    };
    vk.verify_strict(
        frame.signed_bytes(),
        &Signature::from_bytes(frame.signature()),
    )
    .is_ok()
}

fuzz_target!(|input: Input| {
    let mut cams = Cameras {
        a: Signer::from_secret(&[1; 32], STREAMS[0]),
        b: Signer::from_secret(&[2; 32], STREAMS[0]),
        stranger: Signer::from_secret(&[3; 32], STREAMS[0]),
    };
    let pick = |i: u8, n: usize| usize::from(i) % n;
    let policy = Policy {
        max_age_us: MAX_AGES_MS[pick(input.max_age, 5)].map(|ms| ms * 1000),
        max_future_skew_us: SKEWS_MS[pick(input.max_future_skew, 3)].map(|ms| ms * 1000),
        replay_window: WINDOWS[pick(input.replay_window, WINDOWS.len())],
        stream_id: input.choose_stream.then_some(STREAMS[0]),
        max_payload_bytes: MAX_PAYLOADS[pick(input.max_payload, MAX_PAYLOADS.len())],
        allow_rotation: input.allow_rotation,
    };
    let linked = LinkedKey::from_bytes(cams.a.public_key()).expect("a valid key");
    let mut v = verifier(&linked, policy);
    let mut now_us = NOW_US;
    let mut sent: Vec<Vec<u8>> = Vec::new();
    let mut history = History::default();

    for op in input.ops.into_iter().take(64) {
        let earlier = |i: u8| (!sent.is_empty()).then(|| sent[usize::from(i) % sent.len()].clone());
        let bytes = match op {
            Op::Tick(ms) => {
                now_us += i64::from(ms) * 1000;
                continue;
            }
            Op::Genuine(s) => cams.linked(&v).sign_frame(&payload(s), &spec(s, now_us)),
            Op::Foreign(s) => cams.stranger.sign_frame(&payload(s), &spec(s, now_us)),
            Op::Forged(s) => {
                let mut f = cams
                    .stranger
                    .sign_frame(&payload(s), &spec(s, now_us))
                    .expect("signable");
                f[8..16].copy_from_slice(&v.linked_key().id().0);
                Ok(f)
            }
            Op::Replay(i) => match earlier(i) {
                Some(f) => Ok(f),
                None => continue,
            },
            Op::Mangle { index, at, xor } => match earlier(index) {
                Some(mut f) if !f.is_empty() => {
                    let at = usize::from(at) % f.len();
                    f[at] ^= xor.max(1);
                    Ok(f)
                }
                _ => continue,
            },
            Op::Truncate { index, keep } => match earlier(index) {
                Some(mut f) => {
                    f.truncate(usize::from(keep) % f.len().max(1));
                    Ok(f)
                }
                None => continue,
            },
            Op::Extend { index, extra } => match earlier(index) {
                Some(mut f) => {
                    f.resize(f.len() + 1 + usize::from(extra), extra);
                    Ok(f)
                }
                None => continue,
            },
            Op::Rotate {
                spec: s,
                target,
                bad_proof,
            } => {
                let (old, other) = if v.linked_key().as_bytes() == cams.a.public_key() {
                    (&mut cams.a, &cams.b)
                } else {
                    (&mut cams.b, &cams.a)
                };
                let body = match target {
                    RotationTarget::Next => {
                        rotation_payload(old, *other.public_key(), other, bad_proof)
                    }
                    RotationTarget::Same => {
                        rotation_payload(old, *old.public_key(), old, bad_proof)
                    }
                    RotationTarget::SmallOrder => {
                        let mut k = [0u8; 32];
                        k[0] = 1;
                        rotation_payload(old, k, other, bad_proof)
                    }
                    RotationTarget::NotAPoint => {
                        let mut k = [0u8; 32];
                        k[0] = 2;
                        rotation_payload(old, k, other, bad_proof)
                    }
                };
                let fs = FrameSpec {
                    codec: Codec::KeyRotation,
                    ..spec(s, now_us)
                };
                old.sign_frame(&body, &fs)
            }
            Op::Raw(b) => Ok(b),
        };
        let Ok(bytes) = bytes else { continue };
        sent.push(bytes.clone());
        check_one(&mut v, &bytes, now_us, &mut history);
    }
});

/// What was accepted, to check that no frame is accepted twice.
#[derive(Default)]
struct History {
    /// The stream of the last accepted frame.
    pinned: Option<[u8; 16]>,
    /// Counts the times the verifier moved to another stream.
    pin: u64,
    /// The bytes of every accepted frame, with the `pin` it was accepted under.
    accepted: HashMap<Vec<u8>, u64>,
}

fn check_one(v: &mut Verifier, bytes: &[u8], now_us: i64, history: &mut History) {
    let state = v.fuzzing_state();
    let stats = *v.stats();
    let key = v.linked_key().clone();
    let policy = *v.policy();
    let parsed = Frame::parse(bytes, policy.max_payload_bytes);
    let verdict = v.verify(bytes, now_us);
    match verdict {
        Ok(ok) => {
            let frame = parsed.expect("an accepted frame parses");
            let h = *frame.header();
            assert_eq!(ok.header, h);
            assert_eq!(ok.payload, frame.payload());
            assert_eq!(
                h.key_id,
                KeyId::of(key.as_bytes()).0,
                "accepted a foreign key id"
            );
            assert!(strictly_valid(&key, &frame), "accepted a bad signature");
            let ts = i128::from(h.timestamp_us);
            if let Some(age) = policy.max_age_us {
                assert!(
                    ts >= i128::from(now_us) - i128::from(age),
                    "accepted a stale frame"
                );
            }
            if let Some(skew) = policy.max_future_skew_us {
                assert!(
                    ts <= i128::from(now_us) + i128::from(skew),
                    "accepted a future frame"
                );
            }
            if let Some(chosen) = policy.stream_id {
                assert_eq!(h.stream_id, chosen, "accepted another stream");
            }
            if history.pinned != Some(h.stream_id) {
                history.pinned = Some(h.stream_id);
                history.pin += 1;
            }
            // The same bytes twice only after the verifier left their stream
            // and came back with a camera restart (a newer keyframe), which
            // resets the window (SPEC §3): a camera that reuses a stream id
            // for a new session. Within one pinning, never.
            if let Some(first) = history.accepted.insert(bytes.to_vec(), history.pin) {
                assert!(first < history.pin, "accepted the same bytes twice");
                assert!(policy.stream_id.is_none(), "a chosen stream never re-pins");
            }
            match ok.new_public_key {
                Some(new_key) => {
                    assert!(policy.allow_rotation);
                    assert_eq!(h.codec, Codec::KeyRotation);
                    assert!(!h.keyframe && !h.end_of_stream);
                    assert_eq!(&new_key[..], &frame.payload()[..32]);
                    assert_ne!(new_key, *key.as_bytes());
                    assert_eq!(v.linked_key().as_bytes(), &new_key);
                }
                None => {
                    assert_ne!(h.codec, Codec::KeyRotation);
                    assert_eq!(*v.linked_key(), key);
                }
            }
            assert_eq!(v.stats().accepted, stats.accepted + 1);
            for reason in DropReason::ALL {
                assert_eq!(v.stats().dropped(reason), stats.dropped(reason));
            }
        }
        Err(reason) => {
            assert!(v.fuzzing_state() == state, "a {reason} drop changed state");
            assert_eq!(v.stats().accepted, stats.accepted);
            for r in DropReason::ALL {
                let more = u64::from(r == reason);
                assert_eq!(v.stats().dropped(r), stats.dropped(r) + more, "{r}");
            }
            match parsed {
                Err(e) => assert_eq!(reason, DropReason::from(e)),
                Ok(frame) if frame.header().key_id != key.id().0 => {
                    assert_eq!(reason, DropReason::ForeignKey)
                }
                Ok(frame) if !strictly_valid(&key, &frame) => {
                    assert_eq!(reason, DropReason::BadSignature)
                }
                Ok(_) => assert!(
                    matches!(
                        reason,
                        DropReason::WrongStream
                            | DropReason::Stale
                            | DropReason::Future
                            | DropReason::Replayed
                            | DropReason::BadRotation
                    ),
                    "a strictly valid frame of the linked key dropped as {reason}"
                ),
            }
        }
    }
}
