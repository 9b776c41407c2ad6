//! The verifier's unit tests: each check, the stream policy, the replay
//! window, rotation and version-2 seals, by the scenario they replay.
//!
//! Most scenarios are a list of [`Step`]s played by [`play`]: a frame of the
//! test camera (stream, number, age, keyframe flag) and the verdict the
//! verifier must give it, so a test reads as the stream it describes.
use super::*;
use crate::sign::{FrameSpec, Signer};
use alloc::format;
use alloc::vec::Vec;

const NOW: i64 = 1_700_000_000_000_000;
const A: [u8; 16] = [0xA; 16];
const B: [u8; 16] = [0xB; 16];

fn camera(seed: u8) -> Signer {
    Signer::from_secret(&[seed; 32], A)
}

fn verifier_for(cam: &Signer, policy: Policy) -> Verifier {
    Verifier::new(LinkedKey::from_bytes(cam.public_key()).unwrap(), policy).unwrap()
}

/// Camera 1 and a verifier linked to it: the stage a scenario plays on.
/// Frames are captured relative to NOW and verified at `now`.
struct Scene {
    cam: Signer,
    v: Verifier,
    now: i64,
}

impl Scene {
    /// The scene under the default policy.
    fn new() -> Scene {
        Scene::with_policy(|_| {})
    }

    /// The scene under the default policy as changed by `edit`.
    fn with_policy(edit: impl FnOnce(&mut Policy)) -> Scene {
        let cam = camera(1);
        let mut policy = Policy::default();
        edit(&mut policy);
        let v = verifier_for(&cam, policy);
        Scene { cam, v, now: NOW }
    }

    /// [`play`]s `steps` with frames of the scene's camera.
    #[track_caller]
    fn play(&mut self, steps: &[Step]) {
        play(&mut self.v, &mut self.cam, self.now, steps);
    }

    /// [`play`]s `steps` with frames of another camera `cam`.
    #[track_caller]
    fn play_as(&mut self, cam: &mut Signer, steps: &[Step]) {
        play(&mut self.v, cam, self.now, steps);
    }

    /// Asserts that a rotation frame of the scene's camera carrying each of
    /// `payloads` is dropped as bad-rotation, and that the linked key stays
    /// the camera's.
    #[track_caller]
    fn assert_rotations_refused(&mut self, payloads: &[[u8; 96]]) {
        for (i, payload) in payloads.iter().enumerate() {
            let bytes = rotation_with_payload(&mut self.cam, payload, 1);
            let at = format!("payload {i}");
            assert_dropped_when(&mut self.v, &bytes, self.now, DropReason::BadRotation, &at);
        }
        assert_eq!(self.v.linked_key().as_bytes(), self.cam.public_key());
    }
}

/// A frame header on stream A, number `seq`, captured at NOW.
fn spec_now(seq: u64) -> FrameSpec {
    FrameSpec {
        stream_id: Some(A),
        seq: Some(seq),
        ..FrameSpec::at(NOW as u64)
    }
}

/// One frame of stream `stream`, number `seq`, captured `age_us` before NOW.
fn frame(cam: &mut Signer, stream: [u8; 16], seq: u64, age_us: i64, keyframe: bool) -> Vec<u8> {
    let spec = FrameSpec {
        stream_id: Some(stream),
        keyframe,
        codec: Codec::Jpeg,
        timestamp_us: (NOW - age_us) as u64,
        ..spec_now(seq)
    };
    cam.sign_frame(b"picture", &spec).unwrap()
}

/// Asserts that `bytes` verified at `now_us` are dropped as `reason` and
/// that the drop changed nothing but its own counter; `at` names the frame
/// in a failure.
#[track_caller]
fn assert_dropped_when(v: &mut Verifier, bytes: &[u8], now_us: i64, reason: DropReason, at: &str) {
    let before = v.state.clone();
    let count = v.stats.dropped(reason);
    assert_eq!(v.verify(bytes, now_us).map(|_| ()), Err(reason), "{at}");
    assert_eq!(v.state, before, "{at}: a {reason} drop changed state");
    assert_eq!(v.stats.dropped(reason), count + 1, "{at}");
}

/// Asserts the drop at NOW and that it changed nothing but the drop counter.
#[track_caller]
fn assert_dropped(v: &mut Verifier, bytes: &[u8], reason: DropReason) {
    assert_dropped_when(v, bytes, NOW, reason, "frame");
}

#[track_caller]
fn accept<'a>(v: &mut Verifier, bytes: &'a [u8]) -> Accepted<'a> {
    match v.verify(bytes, NOW) {
        Ok(ok) => ok,
        Err(r) => panic!("dropped as {r}"),
    }
}

/// The verdict a scenario expects for one frame: accepted, or dropped and why.
type Verdict = Result<(), DropReason>;

/// The [`Verdict`] of an accepted frame.
const ACCEPTED: Verdict = Ok(());

/// One frame of a scenario and its verdict: `(stream, seq, age_us,
/// keyframe, verdict)`, the frame as [`frame`] signs it.
type Step = ([u8; 16], u64, i64, bool, Verdict);

/// Plays `steps` in order against `v` at `now_us`, each frame signed by
/// `cam`. An accepted frame must come back with its own stream, number and
/// keyframe flag, count once as accepted and leave its stream pinned; a
/// dropped one must change nothing but its drop counter
/// ([`assert_dropped_when`]).
#[track_caller]
fn play(v: &mut Verifier, cam: &mut Signer, now_us: i64, steps: &[Step]) {
    for (i, &(stream, seq, age_us, keyframe, verdict)) in steps.iter().enumerate() {
        let bytes = frame(cam, stream, seq, age_us, keyframe);
        let at = format!("step {i} (seq {seq})");
        match verdict {
            Ok(()) => {
                let accepted = v.stats().accepted;
                let h = match v.verify(&bytes, now_us) {
                    Ok(ok) => ok.header,
                    Err(r) => panic!("{at}: dropped as {r}"),
                };
                assert_eq!(
                    (h.stream_id, h.seq, h.keyframe),
                    (stream, seq, keyframe),
                    "{at}"
                );
                assert_eq!(v.stats().accepted, accepted + 1, "{at}");
                assert_eq!(v.state.pinned, Some(stream), "{at}");
            }
            Err(reason) => assert_dropped_when(v, &bytes, now_us, reason, &at),
        }
    }
}

/// Asserts that every copy of `genuine` with one byte XORed with `mask` is
/// refused, and that none of them was accepted or pinned a stream.
#[track_caller]
fn assert_every_flip_refused(v: &mut Verifier, genuine: &[u8], mask: u8) {
    for i in 0..genuine.len() {
        let mut bad = genuine.to_vec();
        bad[i] ^= mask;
        assert!(v.verify(&bad, NOW).is_err(), "flip at byte {i} accepted");
    }
    assert_eq!(v.stats().accepted, 0);
    assert_eq!(v.state.pinned, None);
}

#[test]
fn accepts_a_genuine_frame_and_reports_its_header() {
    let Scene { mut cam, mut v, .. } = Scene::new();
    let bytes = frame(&mut cam, A, 5, 0, true);
    let ok = accept(&mut v, &bytes);
    assert_eq!(ok.payload, b"picture");
    assert_eq!(
        (ok.header.seq, ok.header.keyframe, ok.header.codec),
        (5, true, Codec::Jpeg)
    );
    assert_eq!(ok.new_public_key, None);
    assert_eq!(v.stats().accepted, 1);
    assert_eq!(v.stats().dropped_total(), 0);
}

#[test]
fn layout_failures_map_to_their_reasons() {
    let Scene { mut cam, mut v, .. } = Scene::with_policy(|p| p.max_payload_bytes = 7);
    let good = frame(&mut cam, A, 1, 0, false);
    assert_dropped(&mut v, &good[..100], DropReason::Malformed);
    let mut version = good.clone();
    version[5] = 3;
    assert_dropped(&mut v, &version, DropReason::UnsupportedVersion);
    let big = cam.sign_frame(&[0; 8], &FrameSpec::at(NOW as u64)).unwrap();
    assert_dropped(&mut v, &big, DropReason::TooLarge);
    accept(&mut v, &good);
}

#[test]
fn a_foreign_camera_is_dropped_before_any_signature_check() {
    let mut s = Scene::new();
    let mut stranger = camera(2);
    s.play_as(
        &mut stranger,
        &[(A, 1, 0, true, Err(DropReason::ForeignKey))],
    );
    s.play(&[(A, 1, 0, true, ACCEPTED)]);
}

#[test]
fn a_stranger_forging_the_linked_key_id_fails_the_signature() {
    let Scene { mut v, .. } = Scene::new();
    let mut forged = frame(&mut camera(2), A, 1, 0, true);
    forged[8..16].copy_from_slice(&v.linked_key().id().0);
    assert_dropped(&mut v, &forged, DropReason::BadSignature);
}

#[test]
fn any_flipped_bit_in_a_genuine_frame_is_refused() {
    let Scene { mut cam, mut v, .. } = Scene::new();
    let good = frame(&mut cam, A, 1, 0, true);
    assert_every_flip_refused(&mut v, &good, 0x01);
    accept(&mut v, &good);
}

#[test]
fn non_canonical_s_is_refused() {
    // S + L verifies under the lenient equation; strict rules refuse it.
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let Scene { mut cam, mut v, .. } = Scene::new();
    let mut bytes = frame(&mut cam, A, 1, 0, true);
    let s_at = bytes.len() - 32;
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(bytes[s_at + i]) + u16::from(L[i]) + carry;
        bytes[s_at + i] = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0, "S + L fits 256 bits for S < 2^253");
    assert_dropped(&mut v, &bytes, DropReason::BadSignature);
}

#[test]
fn first_frame_pins_its_stream() {
    let mut s = Scene::new();
    s.play(&[
        (A, 1, 0, false, ACCEPTED),
        // Another stream's delta, or a keyframe that is not newer.
        (B, 2, -1, false, Err(DropReason::WrongStream)),
        (B, 2, 0, true, Err(DropReason::WrongStream)),
        (B, 2, 5, true, Err(DropReason::WrongStream)),
        (A, 2, 0, false, ACCEPTED),
    ]);
}

#[test]
fn a_newer_keyframe_of_another_stream_is_a_camera_restart() {
    let mut s = Scene::new();
    s.play(&[(A, 100, 10, true, ACCEPTED), (B, 0, 5, true, ACCEPTED)]);
    assert_eq!(s.v.state.pinned, Some(B));
    s.play(&[
        // The window was reset: low seqs of the new stream pass ...
        (B, 1, 4, false, ACCEPTED),
        // ... and the old stream is now the wrong one, even newer deltas.
        (A, 101, 3, false, Err(DropReason::WrongStream)),
        // A restart back must again be a keyframe newer than everything.
        (A, 101, 6, true, Err(DropReason::WrongStream)),
        (A, 101, 3, true, ACCEPTED),
    ]);
    assert_eq!(s.v.state.pinned, Some(A));
}

#[test]
fn a_viewer_chosen_stream_accepts_nothing_else() {
    let mut s = Scene::with_policy(|p| p.stream_id = Some(B));
    s.play(&[
        // Fresh, genuine, keyframe: still not the stream asked for.
        (A, 1, -1, true, Err(DropReason::WrongStream)),
        (B, 1, 0, false, ACCEPTED),
        (A, 9, -2, true, Err(DropReason::WrongStream)),
    ]);
}

#[test]
fn freshness_bounds_are_inclusive_and_switchable() {
    let mut s = Scene::new();
    s.play(&[
        (A, 1, 10_000_001, true, Err(DropReason::Stale)),
        (A, 1, -5_000_001, true, Err(DropReason::Future)),
        (A, 1, 10_000_000, true, ACCEPTED),
        (A, 2, -5_000_000, false, ACCEPTED),
    ]);

    let mut s = Scene::with_policy(|p| {
        p.max_age_us = None;
        p.max_future_skew_us = None;
    });
    // Captured NOW before NOW: timestamp 0.
    s.play(&[(A, 1, NOW, true, ACCEPTED)]);
    let far = FrameSpec {
        seq: Some(2),
        ..FrameSpec::at(u64::MAX)
    };
    accept(&mut s.v, &s.cam.sign_frame(b"", &far).unwrap());
}

#[test]
fn a_restart_keyframe_must_still_be_fresh() {
    let mut s = Scene::new();
    s.play(&[(A, 1, 0, true, ACCEPTED)]);
    // 20 s later a keyframe of another stream, newer than everything
    // accepted but captured 20 s - 1 µs ago: a restart, but stale.
    s.now = NOW + 20_000_000;
    s.play(&[(B, 0, -1, true, Err(DropReason::Stale))]);
}

#[test]
fn a_clock_before_the_epoch_does_not_overflow() {
    let Scene { mut cam, mut v, .. } = Scene::new();
    for (timestamp_us, now_us, reason) in [
        (0, i64::MIN, DropReason::Future),
        (u64::MAX, i64::MAX, DropReason::Future),
        (0, i64::MAX, DropReason::Stale),
    ] {
        let bytes = cam.sign_frame(b"", &FrameSpec::at(timestamp_us)).unwrap();
        let at = format!("timestamp {timestamp_us} at {now_us}");
        assert_dropped_when(&mut v, &bytes, now_us, reason, &at);
    }
}

#[test]
fn duplicates_and_frames_below_the_window_are_replays() {
    let mut s = Scene::new();
    s.play(&[
        (A, 100, 0, true, ACCEPTED),
        (A, 100, 0, true, Err(DropReason::Replayed)),
        // 64 values kept: 37..=100. 36 is outside.
        (A, 37, 0, false, ACCEPTED),
        (A, 37, 0, false, Err(DropReason::Replayed)),
        (A, 36, 0, false, Err(DropReason::Replayed)),
        (A, 0, 0, false, Err(DropReason::Replayed)),
        // Reordering inside the window costs nothing.
        (A, 99, 0, false, ACCEPTED),
        (A, 98, 0, false, ACCEPTED),
        (A, 50, 0, false, ACCEPTED),
        (A, 97, 0, false, ACCEPTED),
        (A, 101, 0, false, ACCEPTED),
    ]);
}

#[test]
fn a_big_jump_forgets_everything_below_the_new_window() {
    let mut s = Scene::new();
    s.play(&[
        (A, 10, 0, true, ACCEPTED),
        (A, 10 + 64 + 64 + 5, 0, false, ACCEPTED),
        (A, 10, 0, false, Err(DropReason::Replayed)),
        // Slots reused after the jump are clean: seq 139 was never accepted.
        (A, 139 - 63 + 60, 0, false, ACCEPTED),
        (A, 90, 0, false, ACCEPTED),
    ]);
}

#[test]
fn window_zero_means_strictly_increasing() {
    for size in [0, 1] {
        let mut s = Scene::with_policy(|p| p.replay_window = size);
        s.play(&[
            (A, 5, 0, true, ACCEPTED),
            (A, 5, 0, false, Err(DropReason::Replayed)),
            (A, 4, 0, false, Err(DropReason::Replayed)),
            (A, 7, 0, false, ACCEPTED),
            (A, 6, 0, false, Err(DropReason::Replayed)),
        ]);
    }
}

#[test]
fn window_sizes_that_are_not_multiples_of_64_are_exact() {
    let mut s = Scene::with_policy(|p| p.replay_window = 3);
    s.play(&[
        (A, 10, 0, true, ACCEPTED),
        (A, 8, 0, false, ACCEPTED),
        (A, 7, 0, false, Err(DropReason::Replayed)),
    ]);
}

#[test]
fn replay_window_model_check() {
    // Against a model: the set of accepted seqs and the highest one.
    let mut window = ReplayWindow::try_new(100).unwrap();
    let mut seen = alloc::collections::BTreeSet::new();
    let mut high: Option<u64> = None;
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let base = high.unwrap_or(1000);
        let seq = (base + (x % 260)).saturating_sub(200);
        let model = match high {
            None => true,
            Some(h) => seq > h || (h - seq < 100 && !seen.contains(&seq)),
        };
        assert_eq!(window.allows(seq), model, "seq {seq} high {high:?}");
        if model {
            window.accept(seq);
            seen.insert(seq);
            high = Some(high.map_or(seq, |h| h.max(seq)));
        }
    }
}

#[test]
fn oversized_replay_windows_are_refused() {
    let key = LinkedKey::from_bytes(camera(1).public_key()).unwrap();
    for (replay_window, verdict) in [
        (
            MAX_REPLAY_WINDOW + 1,
            Err(PolicyError::ReplayWindowTooLarge(MAX_REPLAY_WINDOW + 1)),
        ),
        (MAX_REPLAY_WINDOW, Ok(())),
    ] {
        let policy = Policy {
            replay_window,
            ..Policy::default()
        };
        let made = Verifier::new(key.clone(), policy).map(|_| ());
        assert_eq!(made, verdict, "window {replay_window}");
    }
}

#[test]
fn oversized_frames_are_judged_by_their_head() {
    let Scene { mut cam, mut v, .. } = Scene::with_policy(|p| p.max_payload_bytes = 10);
    assert_eq!(v.max_frame_len(), 158);
    let big = cam
        .sign_frame(&[0; 11], &FrameSpec::at(NOW as u64))
        .unwrap();
    assert_eq!(
        v.drop_oversized(&big[..52], big.len()),
        DropReason::TooLarge
    );
    let lying = frame(&mut cam, A, 1, 0, true);
    assert_eq!(
        v.drop_oversized(&lying[..52], 1 << 20),
        DropReason::Malformed
    );
    assert_eq!(v.drop_oversized(b"JUNK", 1 << 20), DropReason::Malformed);
    assert_eq!(v.stats().dropped(DropReason::TooLarge), 1);
    assert_eq!(v.stats().dropped(DropReason::Malformed), 2);
}

#[test]
fn the_head_alone_refuses_layout_and_foreign_frames_before_any_copy() {
    let Scene { mut cam, mut v, .. } = Scene::new();
    let genuine = frame(&mut cam, A, 1, 0, true);
    let foreign = frame(&mut camera(2), A, 1, 0, true);
    let before = v.state.clone();
    assert_eq!(v.check_head(&genuine[..HEADER_LEN], genuine.len()), Ok(()));
    assert_eq!(
        v.check_head(&foreign[..HEADER_LEN], foreign.len()),
        Err(DropReason::ForeignKey)
    );
    // A 16 MiB message whose header says 7 bytes: refused from its head.
    assert_eq!(
        v.check_head(&genuine[..HEADER_LEN], 16 << 20),
        Err(DropReason::Malformed)
    );
    assert_eq!(v.check_head(b"FSEAL", 5), Err(DropReason::Malformed));
    assert_eq!(v.state, before);
    assert_eq!(v.stats().accepted, 0);
    assert_eq!(v.stats().dropped_total(), 3);
    accept(&mut v, &genuine);
}

#[test]
fn restart_ping_pong_between_two_live_sessions_never_replays_an_accepted_frame() {
    // The relay holds two genuine live sessions of the camera, A and B,
    // and switches the display between them with fresh keyframes.
    let mut s = Scene::new();
    let a11 = frame(&mut s.cam, A, 11, 90, false);
    let a12 = frame(&mut s.cam, A, 12, 80, false);
    s.play(&[(A, 10, 100, true, ACCEPTED)]);
    accept(&mut s.v, &a11);
    accept(&mut s.v, &a12);
    s.play(&[
        (B, 50, 70, true, ACCEPTED), // re-pin to B
        (A, 13, 60, true, ACCEPTED), // and back to A
    ]);
    // A's accepted frames stay accepted once: no fresh window for them.
    assert_dropped(&mut s.v, &a11, DropReason::Replayed);
    assert_dropped(&mut s.v, &a12, DropReason::Replayed);
    s.play(&[(A, 14, 50, false, ACCEPTED)]);
}

#[test]
fn after_a_restart_nothing_at_or_below_the_restart_keyframe_is_usable() {
    let mut s = Scene::new();
    s.play(&[
        (A, 1, 100, true, ACCEPTED),
        (B, 40, 50, true, ACCEPTED),
        (B, 0, 40, false, Err(DropReason::Replayed)),
        (B, 1, 40, false, Err(DropReason::Replayed)),
        (B, 39, 40, false, Err(DropReason::Replayed)),
        (B, 40, 40, false, Err(DropReason::Replayed)),
        (B, 42, 40, false, ACCEPTED),
        // Reordering above the keyframe still works inside the window.
        (B, 41, 39, false, ACCEPTED),
    ]);
}

#[test]
fn stats_count_every_verdict() {
    let Scene { mut cam, mut v, .. } = Scene::new();
    let good = frame(&mut cam, A, 1, 0, true);
    accept(&mut v, &good);
    for _ in 0..3 {
        assert!(v.verify(&good, NOW).is_err());
    }
    assert!(v.verify(b"", NOW).is_err());
    assert_eq!(v.stats().accepted, 1);
    assert_eq!(v.stats().dropped(DropReason::Replayed), 3);
    assert_eq!(v.stats().dropped(DropReason::Malformed), 1);
    assert_eq!(v.stats().dropped_total(), 4);
    let names: Vec<&str> = v.stats().by_reason().map(|(r, _)| r.name()).collect();
    assert_eq!(
        names,
        [
            "malformed",
            "unsupported-version",
            "unsigned",
            "too-large",
            "foreign-key",
            "bad-signature",
            "wrong-stream",
            "stale",
            "future",
            "replayed",
            "bad-rotation"
        ]
    );
}

// ---- key rotation (SPEC §5.2): the scene's camera holds the old key ----

/// A rotation frame on stream A, number `seq`: `old` hands over to `next`.
fn rotation(old: &mut Signer, next: &Signer, seq: u64) -> Vec<u8> {
    old.sign_rotation(next, &spec_now(seq)).unwrap()
}

/// The 96-byte payload of a version-1 rotation frame: new key and proof.
fn rotation_payload_of(rotation: &[u8]) -> [u8; 96] {
    rotation[52..148].try_into().unwrap()
}

/// A rotation payload announcing `new_key`, with a proof signed by `prover`
/// over the hand-over from `old_key` to `new_key`.
fn rotation_payload(new_key: &[u8; 32], prover: &Signer, old_key: &[u8; 32]) -> [u8; 96] {
    let proof = prover
        .sign_message(&frame::rotation_proof_message(old_key, new_key))
        .unwrap();
    let mut payload = [0u8; 96];
    payload[..32].copy_from_slice(new_key);
    payload[32..].copy_from_slice(&proof);
    payload
}

/// A rotation frame signed by `old` whose payload is `payload`.
fn rotation_with_payload(old: &mut Signer, payload: &[u8; 96], seq: u64) -> Vec<u8> {
    let spec = FrameSpec {
        codec: Codec::KeyRotation,
        ..spec_now(seq)
    };
    old.sign_frame(payload, &spec).unwrap()
}

#[test]
fn an_accepted_rotation_switches_the_key_and_keeps_the_stream() {
    let mut s = Scene::new();
    let mut next = camera(2);
    s.play(&[(A, 1, 0, true, ACCEPTED)]);
    let rotate = rotation(&mut s.cam, &next, 2);
    let ok = accept(&mut s.v, &rotate);
    assert_eq!(ok.new_public_key, Some(*next.public_key()));
    assert_eq!(ok.header.codec, Codec::KeyRotation);
    assert_eq!(s.v.linked_key().as_bytes(), next.public_key());
    // The old key is now foreign; the new key's frames pass on the same
    // stream and window (seq 2 is taken by the rotation frame).
    s.play(&[(A, 3, 0, false, Err(DropReason::ForeignKey))]);
    s.play_as(
        &mut next,
        &[
            (A, 2, 0, false, Err(DropReason::Replayed)),
            (B, 3, 0, false, Err(DropReason::WrongStream)),
            (A, 3, 0, false, ACCEPTED),
        ],
    );
}

#[test]
fn rotation_can_be_switched_off() {
    let mut s = Scene::with_policy(|p| p.allow_rotation = false);
    let off = rotation(&mut s.cam, &camera(2), 1);
    assert_dropped(&mut s.v, &off, DropReason::BadRotation);
    assert_eq!(s.v.linked_key().as_bytes(), s.cam.public_key());
}

#[test]
fn a_rotation_with_a_bad_proof_is_refused() {
    let mut s = Scene::new();
    let old = *s.cam.public_key();
    let next = camera(2);
    let good = rotation(&mut s.cam, &next, 1);
    let mut flipped = rotation_payload_of(&good);
    flipped[40] ^= 1;
    s.assert_rotations_refused(&[
        // A flipped bit in the proof.
        flipped,
        // A proof by the old key instead of the new one.
        rotation_payload(next.public_key(), &s.cam, &old),
        // A proof over another old key (replayed from another camera's rotation).
        rotation_payload(next.public_key(), &next, &[9; 32]),
    ]);
    accept(&mut s.v, &good);
}

#[test]
fn a_rotation_to_an_unlinkable_or_same_key_is_refused() {
    let mut s = Scene::new();
    let old = *s.cam.public_key();
    let same = rotation_payload(&old, &s.cam, &old);
    let mut identity = [0u8; 96];
    identity[0] = 1; // the identity point: small order
    let mut not_point = [0u8; 96];
    not_point[0] = 2;
    // p + 3: a point (y = 3), but not its canonical encoding.
    let mut non_canonical = [0xffu8; 96];
    non_canonical[0] = 0xf0;
    non_canonical[31] = 0x7f;
    s.assert_rotations_refused(&[same, identity, not_point, non_canonical]);
}

#[test]
fn a_rotation_frame_with_flags_is_refused() {
    let mut s = Scene::new();
    let payload = rotation_payload_of(&rotation(&mut s.cam, &camera(2), 1));
    let spec = FrameSpec {
        keyframe: true,
        codec: Codec::KeyRotation,
        ..spec_now(1)
    };
    let flagged = s.cam.sign_frame(&payload, &spec).unwrap();
    assert_dropped(&mut s.v, &flagged, DropReason::BadRotation);
}

#[test]
fn rotation_is_checked_after_the_replay_window() {
    let mut s = Scene::with_policy(|p| p.allow_rotation = false);
    s.play(&[(A, 5, 0, true, ACCEPTED)]);
    let replayed = rotation(&mut s.cam, &camera(2), 5);
    assert_dropped(&mut s.v, &replayed, DropReason::Replayed);
}

// ---- version-2 seals (SPEC §4) ----

/// A version-2 frame on stream A, number `seq`, sealing `payload`.
fn sealed(cam: &mut Signer, payload: &[u8], seq: u64) -> Vec<u8> {
    cam.seal_frame(payload, &spec_now(seq)).unwrap()
}

#[test]
fn version_1_and_version_2_frames_share_one_stream_and_window() {
    let mut s = Scene::new();
    s.play(&[(A, 1, 0, true, ACCEPTED)]);
    let two = sealed(&mut s.cam, b"sealed picture", 2);
    assert_eq!(accept(&mut s.v, &two).payload, b"sealed picture");
    s.play(&[(A, 3, 0, false, ACCEPTED)]);
    assert_dropped(&mut s.v, &two, DropReason::Replayed);
    s.play(&[(A, 2, 0, false, Err(DropReason::Replayed))]);
}

#[test]
fn a_sealed_frame_with_any_bit_flipped_is_refused() {
    let Scene { mut cam, mut v, .. } = Scene::new();
    let genuine = sealed(&mut cam, b"0123456789", 1);
    assert_every_flip_refused(&mut v, &genuine, 0x40);
    // The content hash (52..84) and the payload fail as bad-signature.
    let mut payload_bit = genuine.clone();
    payload_bit[150] ^= 1;
    assert_dropped(&mut v, &payload_bit, DropReason::BadSignature);
    accept(&mut v, &genuine);
}

#[test]
fn a_forged_seal_is_refused_before_any_content_is_read() {
    let Scene { mut cam, mut v, .. } = Scene::new();
    let genuine = sealed(&mut cam, &[7; 4096], 1);
    let mut forged = genuine.clone();
    forged[84] ^= 1; // the signature
    // Only the seal is handed over: the content is not even present.
    assert_eq!(
        v.authenticate_seal(&forged[..148], forged.len()),
        Err(DropReason::BadSignature)
    );
    let stranger = camera(2);
    let mut foreign = genuine.clone();
    foreign[8..16].copy_from_slice(&crate::keys::KeyId::of(stranger.public_key()).0);
    assert_eq!(
        v.authenticate_seal(&foreign[..148], foreign.len()),
        Err(DropReason::ForeignKey)
    );
    // A version-1 frame has no seal to authenticate.
    let v1 = frame(&mut cam, A, 2, 0, false);
    assert_eq!(
        v.authenticate_seal(&v1, v1.len()),
        Err(DropReason::Malformed)
    );
    assert_eq!(v.stats().dropped_total(), 3);
    // The genuine seal passes, and only then is the content held to it.
    let seal = v.authenticate_seal(&genuine[..148], genuine.len()).unwrap();
    let wrong = crate::frame::content_hash(&[8; 4096]);
    assert_eq!(
        v.try_accept_sealed(&seal, &wrong, &genuine[148..], NOW),
        Ok(Err(DropReason::BadSignature))
    );
    assert_eq!(v.state.pinned, None);
    let right = crate::frame::content_hash(&genuine[148..]);
    let ok = v.try_accept_sealed(&seal, &right, &genuine[148..], NOW);
    assert!(matches!(ok, Ok(Ok(_))));
    assert_eq!(v.stats().accepted, 1);
}

#[test]
fn a_sealed_rotation_switches_the_key() {
    let mut s = Scene::new();
    let next = camera(2);
    s.play(&[(A, 1, 0, true, ACCEPTED)]);
    let payload = rotation_payload_of(&rotation(&mut s.cam, &next, 2));
    let spec = FrameSpec {
        codec: Codec::KeyRotation,
        ..spec_now(3)
    };
    let sealed_rotation = s.cam.seal_frame(&payload, &spec).unwrap();
    let ok = accept(&mut s.v, &sealed_rotation);
    assert_eq!(ok.new_public_key.as_ref(), Some(next.public_key()));
    assert_eq!(s.v.linked_key().as_bytes(), next.public_key());
}
