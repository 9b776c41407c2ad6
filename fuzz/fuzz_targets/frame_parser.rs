//! The frame parser on arbitrary bytes under an arbitrary maximum payload.
//!
//! Invariants:
//! - `Frame::parse` never panics; what it accepts is written back byte for
//!   byte by the encoder, fits the maximum and has the exact length;
//! - judging a frame from its first 52 bytes (`Header::parse`, what the JS
//!   binding does for a frame too long to copy) gives the full parse's
//!   verdict, and so does `Verifier::drop_oversized`;
//! - the verifier's drop reason is the parse error's;
//! - the byte-stream reader, fed the same bytes, never panics, never
//!   buffers more than one maximum frame, and accounts for every byte.
#![no_main]

mod verifier_cache;

use std::sync::LazyLock;

use frameseal::deframer::{Boundaries, FrameReader};
use frameseal::frame::{
    self, Codec, Frame, HEADER_LEN, Header, OVERHEAD, ROTATION_PAYLOAD_LEN, SEAL_LEN, Version,
};
use frameseal::{DropReason, LinkedKey, Policy, Signer, Verifier};
use libfuzzer_sys::fuzz_target;

/// The maximum payloads tried: around the rotation length, the overhead,
/// and the extremes. The fuzzer controls the lengths in the frames.
const MAX_PAYLOADS: [u32; 12] = [0, 1, 8, 52, 95, 96, 97, 116, 200, 4096, 16 << 20, u32::MAX];

/// The camera every verifier links.
static KEY: LazyLock<LinkedKey> = LazyLock::new(|| {
    let camera = Signer::from_secret(&[1; 32], [0; 16]);
    LinkedKey::from_bytes(camera.public_key()).expect("a valid key")
});

fn verifier(max: u32) -> Verifier {
    let policy = Policy {
        max_payload_bytes: max,
        ..Policy::default()
    };
    verifier_cache::verifier(&KEY, policy)
}

fuzz_target!(|input: &[u8]| {
    let Some((choice, bytes)) = input.split_first() else {
        return;
    };
    let max = MAX_PAYLOADS[usize::from(*choice) % MAX_PAYLOADS.len()];

    let parsed = Frame::parse(bytes, max);
    let head = &bytes[..bytes.len().min(HEADER_LEN)];
    let from_head = Header::parse(head, bytes.len(), max);
    match &parsed {
        Ok(f) => {
            let h = f.header();
            assert!(h.payload_len <= max);
            assert_eq!(bytes.len() as u64, h.frame_len());
            if h.codec == Codec::KeyRotation {
                assert_eq!(h.payload_len as usize, ROTATION_PAYLOAD_LEN);
            }
            // What parsed re-encodes to the same bytes, in its version's layout.
            let again = match (h.version, f.content_hash()) {
                (Version::Sealed, Some(hash)) => {
                    let mut a = frame::encode_seal_signed_part(h, hash).to_vec();
                    a.extend_from_slice(f.signature());
                    a.extend_from_slice(f.payload());
                    a
                }
                _ => {
                    let mut a = frame::encode_signed_part(h, f.payload());
                    a.extend_from_slice(f.signature());
                    a
                }
            };
            assert_eq!(again, bytes);
            assert_eq!(from_head, Ok(*h));
        }
        Err(e) => assert_eq!(from_head, Err(*e)),
    }

    let mut v = verifier(max);
    let verdict = v.verify(bytes, 0).map(|ok| ok.header);
    if let Err(e) = parsed {
        assert_eq!(verdict, Err(DropReason::from(e)));
    }
    if bytes.len() > v.max_frame_len() {
        let mut w = verifier(max);
        assert_eq!(Err(w.drop_oversized(head, bytes.len())), verdict);
    }

    let mut reader = FrameReader::new(max);
    let mut rest = bytes;
    let mut step = 1 + usize::from(bytes.first().copied().unwrap_or(0));
    while !rest.is_empty() {
        let n = step.min(rest.len());
        reader.push(&rest[..n], |c| {
            assert!(c.bytes.len() as u64 <= reader_max(max));
            Boundaries::Unauthenticated
        });
        assert!(reader.buffer_capacity() as u64 <= reader_max(max));
        rest = &rest[n..];
        step = step * 3 % 1000 + 1;
    }
    reader.finish(|_| Boundaries::Unauthenticated);
    let s = reader.stats();
    assert_eq!(s.input_bytes, bytes.len() as u64);
    assert_eq!(s.input_bytes, s.frame_bytes + s.skipped_bytes);
    assert_eq!(reader.buffered(), 0);
});

/// The reader's longest candidate: the maximum payload behind the larger
/// overhead, a version-2 seal's.
fn reader_max(max: u32) -> u64 {
    OVERHEAD.max(SEAL_LEN) as u64 + u64::from(max)
}
