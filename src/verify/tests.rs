//! The verifier's unit tests: each check, the stream policy, the replay
//! window, rotation and version-2 seals, by the scenario they replay.
use super::*;
use crate::sign::{FrameSpec, Signer};
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

/// One frame of stream `stream`, number `seq`, captured `age_us` before NOW.
fn frame(cam: &mut Signer, stream: [u8; 16], seq: u64, age_us: i64, keyframe: bool) -> Vec<u8> {
    let spec = FrameSpec {
        stream_id: Some(stream),
        seq: Some(seq),
        keyframe,
        codec: Codec::Jpeg,
        ..FrameSpec::at((NOW - age_us) as u64)
    };
    cam.sign_frame(b"picture", &spec).unwrap()
}

/// Asserts the drop and that it changed nothing but the drop counter.
fn assert_dropped(v: &mut Verifier, bytes: &[u8], reason: DropReason) {
    let before = v.state.clone();
    let count = v.stats.dropped(reason);
    assert_eq!(v.verify(bytes, NOW).map(|_| ()), Err(reason));
    assert_eq!(v.state, before, "a {reason} drop changed state");
    assert_eq!(v.stats.dropped(reason), count + 1);
}

/// [`assert_dropped`] for the frame `(stream, seq, age_us, keyframe)` of `cam`.
fn drops(
    v: &mut Verifier,
    cam: &mut Signer,
    (stream, seq, age_us, keyframe): ([u8; 16], u64, i64, bool),
    reason: DropReason,
) {
    let bytes = frame(cam, stream, seq, age_us, keyframe);
    assert_dropped(v, &bytes, reason);
}

fn accept<'a>(v: &mut Verifier, bytes: &'a [u8]) -> Accepted<'a> {
    v.verify(bytes, NOW)
        .unwrap_or_else(|r| panic!("dropped as {r}"))
}

#[test]
fn accepts_a_genuine_frame_and_reports_its_header() {
    let mut cam = camera(1);
    let mut v = verifier_for(&cam, Policy::default());
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
    let mut cam = camera(1);
    let policy = Policy {
        max_payload_bytes: 7,
        ..Policy::default()
    };
    let mut v = verifier_for(&cam, policy);
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
    let mut mine = camera(1);
    let mut stranger = camera(2);
    let mut v = verifier_for(&mine, Policy::default());
    drops(
        &mut v,
        &mut stranger,
        (A, 1, 0, true),
        DropReason::ForeignKey,
    );
    accept(&mut v, &frame(&mut mine, A, 1, 0, true));
}

#[test]
fn a_stranger_forging_the_linked_key_id_fails_the_signature() {
    let mine = camera(1);
    let mut stranger = camera(2);
    let mut v = verifier_for(&mine, Policy::default());
    let mut forged = frame(&mut stranger, A, 1, 0, true);
    forged[8..16].copy_from_slice(&v.linked_key().id().0);
    assert_dropped(&mut v, &forged, DropReason::BadSignature);
}

#[test]
fn any_flipped_bit_in_a_genuine_frame_is_refused() {
    let mut cam = camera(1);
    let mut v = verifier_for(&cam, Policy::default());
    let good = frame(&mut cam, A, 1, 0, true);
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x01;
        assert!(v.verify(&bad, NOW).is_err(), "flip at byte {i} accepted");
    }
    assert_eq!(v.stats().accepted, 0);
    assert_eq!(v.state.pinned, None);
    accept(&mut v, &good);
}

#[test]
fn non_canonical_s_is_refused() {
    // S + L verifies under the lenient equation; strict rules refuse it.
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut cam = camera(1);
    let mut v = verifier_for(&cam, Policy::default());
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
    let mut cam = camera(1);
    let mut v = verifier_for(&cam, Policy::default());
    accept(&mut v, &frame(&mut cam, A, 1, 0, false));
    // Another stream's delta, or a keyframe that is not newer: wrong-stream.
    drops(&mut v, &mut cam, (B, 2, -1, false), DropReason::WrongStream);
    drops(&mut v, &mut cam, (B, 2, 0, true), DropReason::WrongStream);
    drops(&mut v, &mut cam, (B, 2, 5, true), DropReason::WrongStream);
    accept(&mut v, &frame(&mut cam, A, 2, 0, false));
}

#[test]
fn a_newer_keyframe_of_another_stream_is_a_camera_restart() {
    let mut cam = camera(1);
    let mut v = verifier_for(&cam, Policy::default());
    accept(&mut v, &frame(&mut cam, A, 100, 10, true));
    accept(&mut v, &frame(&mut cam, B, 0, 5, true));
    assert_eq!(v.state.pinned, Some(B));
    // The window was reset: low seqs of the new stream pass ...
    accept(&mut v, &frame(&mut cam, B, 1, 4, false));
    // ... and the old stream is now the wrong one, even newer deltas.
    drops(
        &mut v,
        &mut cam,
        (A, 101, 3, false),
        DropReason::WrongStream,
    );
    // A restart back must again be a keyframe newer than everything.
    drops(&mut v, &mut cam, (A, 101, 6, true), DropReason::WrongStream);
    accept(&mut v, &frame(&mut cam, A, 101, 3, true));
    assert_eq!(v.state.pinned, Some(A));
}

#[test]
fn a_restart_keyframe_must_still_be_fresh() {
    let mut cam = camera(1);
    let mut v = verifier_for(&cam, Policy::default());
    accept(&mut v, &frame(&mut cam, A, 1, 0, true));
    // 20 s later a keyframe of another stream, newer than everything
    // accepted but captured 20 s - 1 µs ago: a restart, but stale.
    let restart = frame(&mut cam, B, 0, -1, true);
    let before = v.state.clone();
    assert_eq!(
        v.verify(&restart, NOW + 20_000_000).map(|_| ()),
        Err(DropReason::Stale)
    );
    assert_eq!(v.state, before);
}

#[test]
fn a_viewer_chosen_stream_accepts_nothing_else() {
    let mut cam = camera(1);
    let policy = Policy {
        stream_id: Some(B),
        ..Policy::default()
    };
    let mut v = verifier_for(&cam, policy);
    // Fresh, genuine, keyframe: still not the stream this viewer asked for.
    drops(&mut v, &mut cam, (A, 1, -1, true), DropReason::WrongStream);
    accept(&mut v, &frame(&mut cam, B, 1, 0, false));
    drops(&mut v, &mut cam, (A, 9, -2, true), DropReason::WrongStream);
}

#[test]
fn freshness_bounds_are_inclusive_and_switchable() {
    let mut cam = camera(1);
    let mut v = verifier_for(&cam, Policy::default());
    drops(
        &mut v,
        &mut cam,
        (A, 1, 10_000_001, true),
        DropReason::Stale,
    );
    drops(
        &mut v,
        &mut cam,
        (A, 1, -5_000_001, true),
        DropReason::Future,
    );
    accept(&mut v, &frame(&mut cam, A, 1, 10_000_000, true));
    accept(&mut v, &frame(&mut cam, A, 2, -5_000_000, false));

    let off = Policy {
        max_age_us: None,
        max_future_skew_us: None,
        ..Policy::default()
    };
    let mut v = verifier_for(&cam, off);
    accept(&mut v, &frame(&mut cam, A, 1, NOW, true)); // timestamp 0
    let far = cam
        .sign_frame(
            b"",
            &FrameSpec {
                seq: Some(2),
                ..FrameSpec::at(u64::MAX)
            },
        )
        .unwrap();
    accept(&mut v, &far);
}

#[test]
fn a_clock_before_the_epoch_does_not_overflow() {
    let mut cam = camera(1);
    let mut v = verifier_for(&cam, Policy::default());
    let bytes = cam.sign_frame(b"", &FrameSpec::at(0)).unwrap();
    assert_eq!(
        v.verify(&bytes, i64::MIN).map(|_| ()),
        Err(DropReason::Future)
    );
    let bytes = cam.sign_frame(b"", &FrameSpec::at(u64::MAX)).unwrap();
    assert_eq!(
        v.verify(&bytes, i64::MAX).map(|_| ()),
        Err(DropReason::Future)
    );
    let bytes = cam.sign_frame(b"", &FrameSpec::at(0)).unwrap();
    assert_eq!(
        v.verify(&bytes, i64::MAX).map(|_| ()),
        Err(DropReason::Stale)
    );
}

#[test]
fn duplicates_and_frames_below_the_window_are_replays() {
    let mut cam = camera(1);
    let mut v = verifier_for(&cam, Policy::default());
    accept(&mut v, &frame(&mut cam, A, 100, 0, true));
    drops(&mut v, &mut cam, (A, 100, 0, true), DropReason::Replayed);
    // 64 values kept: 37..=100. 36 is outside.
    accept(&mut v, &frame(&mut cam, A, 37, 0, false));
    drops(&mut v, &mut cam, (A, 37, 0, false), DropReason::Replayed);
    drops(&mut v, &mut cam, (A, 36, 0, false), DropReason::Replayed);
    drops(&mut v, &mut cam, (A, 0, 0, false), DropReason::Replayed);
    // Reordering inside the window costs nothing.
    for seq in [99, 98, 50, 97] {
        accept(&mut v, &frame(&mut cam, A, seq, 0, false));
    }
    accept(&mut v, &frame(&mut cam, A, 101, 0, false));
}

#[test]
fn a_big_jump_forgets_everything_below_the_new_window() {
    let mut cam = camera(1);
    let mut v = verifier_for(&cam, Policy::default());
    accept(&mut v, &frame(&mut cam, A, 10, 0, true));
    accept(&mut v, &frame(&mut cam, A, 10 + 64 + 64 + 5, 0, false));
    drops(&mut v, &mut cam, (A, 10, 0, false), DropReason::Replayed);
    // Slots reused after the jump are clean: seq 139 was never accepted.
    accept(&mut v, &frame(&mut cam, A, 139 - 63 + 60, 0, false));
    accept(&mut v, &frame(&mut cam, A, 90, 0, false));
}

#[test]
fn window_zero_means_strictly_increasing() {
    for size in [0, 1] {
        let mut cam = camera(1);
        let mut v = verifier_for(
            &cam,
            Policy {
                replay_window: size,
                ..Policy::default()
            },
        );
        accept(&mut v, &frame(&mut cam, A, 5, 0, true));
        drops(&mut v, &mut cam, (A, 5, 0, false), DropReason::Replayed);
        drops(&mut v, &mut cam, (A, 4, 0, false), DropReason::Replayed);
        accept(&mut v, &frame(&mut cam, A, 7, 0, false));
        drops(&mut v, &mut cam, (A, 6, 0, false), DropReason::Replayed);
    }
}

#[test]
fn window_sizes_that_are_not_multiples_of_64_are_exact() {
    let mut cam = camera(1);
    let mut v = verifier_for(
        &cam,
        Policy {
            replay_window: 3,
            ..Policy::default()
        },
    );
    accept(&mut v, &frame(&mut cam, A, 10, 0, true));
    accept(&mut v, &frame(&mut cam, A, 8, 0, false));
    drops(&mut v, &mut cam, (A, 7, 0, false), DropReason::Replayed);
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
    let cam = camera(1);
    let key = LinkedKey::from_bytes(cam.public_key()).unwrap();
    let policy = Policy {
        replay_window: MAX_REPLAY_WINDOW + 1,
        ..Policy::default()
    };
    assert_eq!(
        Verifier::new(key.clone(), policy).unwrap_err(),
        PolicyError::ReplayWindowTooLarge(MAX_REPLAY_WINDOW + 1)
    );
    let policy = Policy {
        replay_window: MAX_REPLAY_WINDOW,
        ..Policy::default()
    };
    assert!(Verifier::new(key, policy).is_ok());
}

#[test]
fn oversized_frames_are_judged_by_their_head() {
    let mut cam = camera(1);
    let mut v = verifier_for(
        &cam,
        Policy {
            max_payload_bytes: 10,
            ..Policy::default()
        },
    );
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
    let mut cam = camera(1);
    let mut stranger = camera(2);
    let mut v = verifier_for(&cam, Policy::default());
    let genuine = frame(&mut cam, A, 1, 0, true);
    let foreign = frame(&mut stranger, A, 1, 0, true);
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
    let mut cam = camera(1);
    let mut v = verifier_for(&cam, Policy::default());
    accept(&mut v, &frame(&mut cam, A, 10, 100, true));
    let a11 = frame(&mut cam, A, 11, 90, false);
    let a12 = frame(&mut cam, A, 12, 80, false);
    accept(&mut v, &a11);
    accept(&mut v, &a12);
    accept(&mut v, &frame(&mut cam, B, 50, 70, true)); // re-pin to B
    accept(&mut v, &frame(&mut cam, A, 13, 60, true)); // and back to A
    // A's accepted frames stay accepted once: no fresh window for them.
    assert_dropped(&mut v, &a11, DropReason::Replayed);
    assert_dropped(&mut v, &a12, DropReason::Replayed);
    accept(&mut v, &frame(&mut cam, A, 14, 50, false));
}

#[test]
fn after_a_restart_nothing_at_or_below_the_restart_keyframe_is_usable() {
    let mut cam = camera(1);
    let mut v = verifier_for(&cam, Policy::default());
    accept(&mut v, &frame(&mut cam, A, 1, 100, true));
    accept(&mut v, &frame(&mut cam, B, 40, 50, true));
    for seq in [0, 1, 39, 40] {
        drops(&mut v, &mut cam, (B, seq, 40, false), DropReason::Replayed);
    }
    accept(&mut v, &frame(&mut cam, B, 42, 40, false));
    // Reordering above the keyframe still works inside the window.
    accept(&mut v, &frame(&mut cam, B, 41, 39, false));
}

#[test]
fn stats_count_every_verdict() {
    let mut cam = camera(1);
    let mut v = verifier_for(&cam, Policy::default());
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

// ---- key rotation (SPEC §5.2) ----

fn rotation(old: &mut Signer, next: &Signer, seq: u64) -> Vec<u8> {
    let spec = FrameSpec {
        stream_id: Some(A),
        seq: Some(seq),
        ..FrameSpec::at(NOW as u64)
    };
    old.sign_rotation(next, &spec).unwrap()
}

/// A rotation frame signed by `old` whose payload is `payload`.
fn rotation_with_payload(old: &mut Signer, payload: &[u8; 96], seq: u64) -> Vec<u8> {
    let spec = FrameSpec {
        stream_id: Some(A),
        seq: Some(seq),
        codec: Codec::KeyRotation,
        ..FrameSpec::at(NOW as u64)
    };
    old.sign_frame(payload, &spec).unwrap()
}

#[test]
fn an_accepted_rotation_switches_the_key_and_keeps_the_stream() {
    let mut old = camera(1);
    let mut next = camera(2);
    let mut v = verifier_for(&old, Policy::default());
    accept(&mut v, &frame(&mut old, A, 1, 0, true));
    let rotate = rotation(&mut old, &next, 2);
    let ok = accept(&mut v, &rotate);
    assert_eq!(ok.new_public_key, Some(*next.public_key()));
    assert_eq!(ok.header.codec, Codec::KeyRotation);
    assert_eq!(v.linked_key().as_bytes(), next.public_key());
    // The old key is now foreign; the new key's frames pass on the same
    // stream and window (seq 2 is taken by the rotation frame).
    drops(&mut v, &mut old, (A, 3, 0, false), DropReason::ForeignKey);
    drops(&mut v, &mut next, (A, 2, 0, false), DropReason::Replayed);
    drops(&mut v, &mut next, (B, 3, 0, false), DropReason::WrongStream);
    accept(&mut v, &frame(&mut next, A, 3, 0, false));
}

#[test]
fn rotation_can_be_switched_off() {
    let mut old = camera(1);
    let next = camera(2);
    let mut v = verifier_for(
        &old,
        Policy {
            allow_rotation: false,
            ..Policy::default()
        },
    );
    assert_dropped(
        &mut v,
        &rotation(&mut old, &next, 1),
        DropReason::BadRotation,
    );
    assert_eq!(v.linked_key().as_bytes(), old.public_key());
}

#[test]
fn a_rotation_with_a_bad_proof_is_refused() {
    let mut old = camera(1);
    let next = camera(2);
    let mut v = verifier_for(&old, Policy::default());
    let good = rotation(&mut old, &next, 1);
    let mut payload: [u8; 96] = good[52..148].try_into().unwrap();
    payload[40] ^= 1;
    assert_dropped(
        &mut v,
        &rotation_with_payload(&mut old, &payload, 1),
        DropReason::BadRotation,
    );
    // A proof by the old key instead of the new one.
    let mut payload = [0u8; 96];
    payload[..32].copy_from_slice(next.public_key());
    let wrong_signer = old
        .sign_message(&frame::rotation_proof_message(
            old.public_key(),
            next.public_key(),
        ))
        .unwrap();
    payload[32..].copy_from_slice(&wrong_signer);
    assert_dropped(
        &mut v,
        &rotation_with_payload(&mut old, &payload, 1),
        DropReason::BadRotation,
    );
    // A proof over another old key (replayed from another camera's rotation).
    let mut payload = [0u8; 96];
    payload[..32].copy_from_slice(next.public_key());
    payload[32..].copy_from_slice(
        &next
            .sign_message(&frame::rotation_proof_message(&[9; 32], next.public_key()))
            .unwrap(),
    );
    assert_dropped(
        &mut v,
        &rotation_with_payload(&mut old, &payload, 1),
        DropReason::BadRotation,
    );
    accept(&mut v, &good);
}

#[test]
fn a_rotation_to_an_unlinkable_or_same_key_is_refused() {
    let mut old = camera(1);
    let mut v = verifier_for(&old, Policy::default());
    let mut same = [0u8; 96];
    same[..32].copy_from_slice(old.public_key());
    same[32..].copy_from_slice(
        &old.sign_message(&frame::rotation_proof_message(
            old.public_key(),
            old.public_key(),
        ))
        .unwrap(),
    );
    assert_dropped(
        &mut v,
        &rotation_with_payload(&mut old, &same, 1),
        DropReason::BadRotation,
    );
    let mut identity = [0u8; 96];
    identity[0] = 1; // the identity point: small order
    assert_dropped(
        &mut v,
        &rotation_with_payload(&mut old, &identity, 1),
        DropReason::BadRotation,
    );
    let mut not_point = [0u8; 96];
    not_point[0] = 2;
    assert_dropped(
        &mut v,
        &rotation_with_payload(&mut old, &not_point, 1),
        DropReason::BadRotation,
    );
    // p + 3: a point (y = 3), but not its canonical encoding.
    let mut non_canonical = [0xffu8; 96];
    non_canonical[0] = 0xf0;
    non_canonical[31] = 0x7f;
    assert_dropped(
        &mut v,
        &rotation_with_payload(&mut old, &non_canonical, 1),
        DropReason::BadRotation,
    );
}

#[test]
fn a_rotation_frame_with_flags_is_refused() {
    let mut old = camera(1);
    let next = camera(2);
    let mut v = verifier_for(&old, Policy::default());
    let good = rotation(&mut old, &next, 1);
    let payload: [u8; 96] = good[52..148].try_into().unwrap();
    let spec = FrameSpec {
        stream_id: Some(A),
        seq: Some(1),
        keyframe: true,
        codec: Codec::KeyRotation,
        ..FrameSpec::at(NOW as u64)
    };
    let flagged = old.sign_frame(&payload, &spec).unwrap();
    assert_dropped(&mut v, &flagged, DropReason::BadRotation);
}

#[test]
fn rotation_is_checked_after_the_replay_window() {
    let mut old = camera(1);
    let next = camera(2);
    let mut v = verifier_for(
        &old,
        Policy {
            allow_rotation: false,
            ..Policy::default()
        },
    );
    accept(&mut v, &frame(&mut old, A, 5, 0, true));
    assert_dropped(&mut v, &rotation(&mut old, &next, 5), DropReason::Replayed);
}

fn sealed(cam: &mut Signer, payload: &[u8], seq: u64) -> Vec<u8> {
    let spec = FrameSpec {
        stream_id: Some(A),
        seq: Some(seq),
        ..FrameSpec::at(NOW as u64)
    };
    cam.seal_frame(payload, &spec).unwrap()
}

#[test]
fn version_1_and_version_2_frames_share_one_stream_and_window() {
    let mut cam = camera(1);
    let mut v = verifier_for(&cam, Policy::default());
    accept(&mut v, &frame(&mut cam, A, 1, 0, true));
    let two = sealed(&mut cam, b"sealed picture", 2);
    assert_eq!(accept(&mut v, &two).payload, b"sealed picture");
    accept(&mut v, &frame(&mut cam, A, 3, 0, false));
    assert_dropped(&mut v, &two, DropReason::Replayed);
    drops(&mut v, &mut cam, (A, 2, 0, false), DropReason::Replayed);
}

#[test]
fn a_sealed_frame_with_any_bit_flipped_is_refused() {
    let mut cam = camera(1);
    let mut v = verifier_for(&cam, Policy::default());
    let genuine = sealed(&mut cam, b"0123456789", 1);
    for byte in 0..genuine.len() {
        let mut bad = genuine.clone();
        bad[byte] ^= 0x40;
        assert!(v.verify(&bad, NOW).is_err(), "byte {byte}");
    }
    assert_eq!(v.state.pinned, None);
    // The content hash (52..84) and the payload fail as bad-signature.
    let mut payload_bit = genuine.clone();
    payload_bit[150] ^= 1;
    assert_dropped(&mut v, &payload_bit, DropReason::BadSignature);
    accept(&mut v, &genuine);
}

#[test]
fn a_forged_seal_is_refused_before_any_content_is_read() {
    let mut cam = camera(1);
    let mut v = verifier_for(&cam, Policy::default());
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
    let mut cam = camera(1);
    let next = camera(2);
    let mut v = verifier_for(&cam, Policy::default());
    accept(&mut v, &frame(&mut cam, A, 1, 0, true));
    let plain = rotation(&mut cam, &next, 2);
    let payload = &plain[52..52 + 96];
    let spec = FrameSpec {
        stream_id: Some(A),
        seq: Some(3),
        codec: Codec::KeyRotation,
        ..FrameSpec::at(NOW as u64)
    };
    let sealed_rotation = cam.seal_frame(payload, &spec).unwrap();
    let ok = accept(&mut v, &sealed_rotation);
    assert_eq!(ok.new_public_key.as_ref(), Some(next.public_key()));
    assert_eq!(v.linked_key().as_bytes(), next.public_key());
}
