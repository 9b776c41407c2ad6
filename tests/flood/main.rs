//! Floods: 100 000 foreign and forged frames, and 1 000 frames claiming a
//! gigabyte of payload, through the `Verifier` and through the byte-stream
//! `FrameReader`. Nothing is accepted, every drop is counted under its
//! reason, and memory stays flat — asserted on allocator counts (a counting
//! global allocator in this test binary) and buffer capacities, never on
//! time. The frames come from `forge.rs`; `cargo run --release --example
//! flood` measures the rates on the same frames.
#![cfg(not(target_arch = "wasm32"))]

mod counting;
#[allow(dead_code)] // Kind::name is for the benchmark's table
mod forge;

use counting::Counting;
use forge::{Forge, GIGABYTE, Kind, NOW_US};
use frameseal::deframer::{Boundaries, FrameReader};
use frameseal::frame::{HEADER_LEN, OVERHEAD};
use frameseal::{DropReason, Policy, Verifier};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const FLOOD: u64 = 100_000;
const CLAIMS: u64 = 1_000;
const PAYLOAD: usize = 1_000;

fn expected_reason(kind: Kind) -> DropReason {
    match kind {
        Kind::Foreign => DropReason::ForeignKey,
        Kind::GigabyteClaim => DropReason::TooLarge,
        _ => DropReason::BadSignature,
    }
}

/// A verifier linked to the forge's camera that has already accepted one
/// genuine frame (seq 1), so the flood meets a pinned stream and a window.
fn pinned_verifier(forge: &mut Forge, policy: Policy) -> Verifier {
    let mut v = Verifier::new(forge.linked_key(), policy).expect("policy");
    let first = forge.genuine(1);
    assert!(v.verify(&first, NOW_US).is_ok());
    v
}

#[test]
fn a_flood_of_foreign_and_forged_frames_is_dropped_without_allocating() {
    let mut forge = Forge::new(PAYLOAD);
    let mut v = pinned_verifier(&mut forge, Policy::default());
    let after = forge.genuine(2);

    counting::reset_peak();
    let (live, calls) = (counting::live(), counting::calls());
    let mut wrong = Vec::new();
    for i in 0..FLOOD {
        let kind = Kind::of_flood(i);
        let got = v.verify(forge.frame(kind, i), NOW_US).map(|_| ());
        if got != Err(expected_reason(kind)) {
            wrong.push((i, kind, got));
        }
    }
    assert_eq!(counting::calls(), calls, "verify allocated");
    assert_eq!(counting::peak(), live);
    assert!(wrong.is_empty(), "{:?}", &wrong[..wrong.len().min(5)]);

    let stats = v.stats();
    assert_eq!(stats.accepted, 1);
    assert_eq!(stats.dropped(DropReason::ForeignKey), 80_000);
    assert_eq!(stats.dropped(DropReason::BadSignature), 20_000);
    assert_eq!(stats.dropped_total(), FLOOD);
    // The flood moved nothing: the next genuine frame is accepted.
    assert_eq!(v.verify(&after, NOW_US).map(|ok| ok.header.seq), Ok(2));
}

#[test]
fn frames_claiming_a_gigabyte_are_judged_by_their_header() {
    let mut forge = Forge::new(PAYLOAD);
    // Under the default 16 MiB maximum: too large, from the header alone.
    let mut v = pinned_verifier(&mut forge, Policy::default());
    // With the largest maximum there is: the claim is allowed, the 116
    // bytes present do not match it.
    let mut open = pinned_verifier(
        &mut forge,
        Policy {
            max_payload_bytes: u32::MAX,
            ..Policy::default()
        },
    );
    counting::reset_peak();
    let (live, calls) = (counting::live(), counting::calls());
    for i in 0..CLAIMS {
        let claim = forge.frame(Kind::GigabyteClaim, i);
        assert_eq!(claim.len(), OVERHEAD);
        assert_eq!(
            v.verify(claim, NOW_US).map(|_| ()),
            Err(DropReason::TooLarge)
        );
        assert_eq!(
            open.verify(claim, NOW_US).map(|_| ()),
            Err(DropReason::Malformed)
        );
    }
    assert_eq!(counting::calls(), calls, "verify allocated");
    assert_eq!(counting::peak(), live);
    assert_eq!(v.stats().dropped(DropReason::TooLarge), CLAIMS);
    assert_eq!(open.stats().dropped(DropReason::Malformed), CLAIMS);
    assert_eq!((v.stats().accepted, open.stats().accepted), (1, 1));
}

#[test]
fn gigabyte_claims_in_a_byte_stream_cost_the_reader_one_header() {
    // Default maximum: each claim is an implausible header, skipped after
    // its first 52 bytes; the buffer never holds more than a header.
    let mut forge = Forge::new(PAYLOAD);
    let mut v = pinned_verifier(&mut forge, Policy::default());
    let mut reader = FrameReader::for_verifier(&v);
    counting::reset_peak();
    let live = counting::live();
    for i in 0..CLAIMS {
        reader.push(forge.frame(Kind::GigabyteClaim, i), |c| {
            Boundaries::of(&v.verify(c.bytes, NOW_US))
        });
    }
    reader.finish(|c| Boundaries::of(&v.verify(c.bytes, NOW_US)));
    assert_eq!(reader.buffer_capacity(), HEADER_LEN);
    assert!(counting::peak() <= live + HEADER_LEN);
    let stats = reader.stats();
    assert_eq!(stats.frames, 0, "no claim became a candidate");
    assert_eq!(stats.skipped_bytes, CLAIMS * OVERHEAD as u64);
    assert_eq!(v.stats().dropped_total(), 0);
}

#[test]
fn gigabyte_claims_under_a_4_gib_maximum_buffer_only_what_arrived() {
    // A maximum of 4 GiB makes each claim plausible: the reader waits for
    // the gigabyte, holding only the bytes that really came (every later
    // claim lands inside the first one's candidate), and at the end gives
    // every claim up and searches the bytes again.
    let mut forge = Forge::new(PAYLOAD);
    let policy = Policy {
        max_payload_bytes: u32::MAX,
        ..Policy::default()
    };
    let mut v = pinned_verifier(&mut forge, policy);
    let mut reader = FrameReader::for_verifier(&v);
    counting::reset_peak();
    let live = counting::live();
    for i in 0..CLAIMS {
        reader.push(forge.frame(Kind::GigabyteClaim, i), |_| {
            unreachable!("no claim is ever complete")
        });
    }
    let arrived = (CLAIMS as usize) * OVERHEAD;
    assert_eq!(reader.buffered(), arrived);
    assert!(reader.buffer_capacity() <= 2 * arrived);
    // A growing buffer briefly holds its old and new blocks.
    assert!(counting::peak() - live <= 3 * arrived);
    reader.finish(|c| Boundaries::of(&v.verify(c.bytes, NOW_US)));
    let stats = reader.stats();
    assert_eq!(stats.abandoned, CLAIMS);
    assert_eq!(stats.frames, 0);
    assert_eq!(stats.skipped_bytes, arrived as u64);
    assert_eq!(v.stats().accepted, 1);
    assert_eq!(v.stats().dropped_total(), 0);
    assert!(GIGABYTE as usize > 1000 * arrived);
}

#[test]
fn a_flood_through_the_reader_keeps_one_frame_of_buffer() {
    // The same 100 000 frames back to back, each cut into two pushes at a
    // varying point: every frame reaches the verifier whole, is dropped,
    // and its bytes are searched (nothing vouches for its length); after
    // the first frames the reader allocates nothing more.
    let mut forge = Forge::new(PAYLOAD);
    let mut v = pinned_verifier(&mut forge, Policy::default());
    let mut reader = FrameReader::for_verifier(&v);
    let frame_len = OVERHEAD + PAYLOAD;
    let mut wrong = 0u64;
    let mut push = |reader: &mut FrameReader, v: &mut Verifier, forge: &mut Forge, i: u64| {
        let kind = Kind::of_flood(i);
        let frame = forge.frame(kind, i);
        let cut = (i as usize * 7919) % frame.len();
        for part in [&frame[..cut], &frame[cut..]] {
            reader.push(part, |c| {
                let verdict = v.verify(c.bytes, NOW_US).map(|_| ());
                if verdict != Err(expected_reason(kind)) {
                    wrong += 1;
                }
                Boundaries::of(&verdict)
            });
        }
    };
    for i in 0..100 {
        push(&mut reader, &mut v, &mut forge, i);
    }
    counting::reset_peak();
    let (live, calls) = (counting::live(), counting::calls());
    for i in 100..FLOOD {
        push(&mut reader, &mut v, &mut forge, i);
    }
    assert_eq!(
        counting::calls(),
        calls,
        "the reader allocated after warming up"
    );
    assert_eq!(counting::peak(), live);
    assert!(reader.buffer_capacity() <= frame_len);
    reader.finish(|_| unreachable!("every frame was complete"));

    assert_eq!(wrong, 0);
    let stats = reader.stats();
    assert_eq!(stats.frames, FLOOD);
    assert_eq!(stats.skipped_bytes, FLOOD * frame_len as u64);
    assert_eq!(stats.unscanned, 0);
    assert_eq!(v.stats().accepted, 1);
    assert_eq!(v.stats().dropped(DropReason::ForeignKey), 80_000);
    assert_eq!(v.stats().dropped(DropReason::BadSignature), 20_000);
}
