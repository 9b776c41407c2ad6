//! The wire layout's unit tests: offsets, every layout rule, both versions.
use super::*;
use alloc::string::ToString;
use alloc::vec;

fn header(codec: Codec, payload_len: u32) -> Header {
    Header {
        version: Version::Envelope,
        keyframe: true,
        end_of_stream: false,
        codec,
        key_id: [7; 8],
        stream_id: [9; 16],
        seq: 0x0102_0304_0506_0708,
        timestamp_us: 1_700_000_000_000_000,
        payload_len,
    }
}

fn frame(codec: Codec, payload: &[u8]) -> Vec<u8> {
    let mut bytes = encode_signed_part(&header(codec, payload.len() as u32), payload);
    bytes.extend_from_slice(&[0xAB; SIGNATURE_LEN]);
    bytes
}

/// [`header`] as a version-2 (sealed) header.
fn sealed_header(codec: Codec, payload_len: u32) -> Header {
    Header {
        version: Version::Sealed,
        ..header(codec, payload_len)
    }
}

/// A version-2 frame: the seal of `h` over `hash`, a dummy signature, then
/// `content`.
fn sealed_frame(h: &Header, hash: &[u8; 32], content: &[u8]) -> Vec<u8> {
    let mut bytes = encode_seal_signed_part(h, hash).to_vec();
    bytes.extend_from_slice(&[0xAB; SIGNATURE_LEN]);
    bytes.extend_from_slice(content);
    bytes
}

/// Asserts that `bytes` parse whole and that every prefix of them from
/// `shortest` bytes up is refused as too short (with its length).
#[track_caller]
fn assert_shorter_prefixes_refused(bytes: &[u8], shortest: usize) {
    for n in shortest..bytes.len() {
        let err = Frame::parse(&bytes[..n], DEFAULT_MAX_PAYLOAD).unwrap_err();
        assert_eq!(err, FrameError::TooShort { len: n }, "prefix {n}");
    }
    assert!(Frame::parse(bytes, DEFAULT_MAX_PAYLOAD).is_ok());
}

#[test]
fn header_layout_is_big_endian_at_the_spec_offsets() {
    let h = header(Codec::Vp9, 0x0A0B_0C0D).encode();
    assert_eq!(&h[0..5], b"FSEAL");
    assert_eq!(h[5], 1);
    assert_eq!(h[6], 0b01);
    assert_eq!(h[7], 19);
    assert_eq!(&h[8..16], &[7; 8]);
    assert_eq!(&h[16..32], &[9; 16]);
    assert_eq!(&h[32..40], &[1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(&h[40..48], &1_700_000_000_000_000u64.to_be_bytes());
    assert_eq!(&h[48..52], &[0x0A, 0x0B, 0x0C, 0x0D]);
}

#[test]
fn parse_round_trips_and_borrows_the_payload() {
    let bytes = frame(Codec::Jpeg, b"hello");
    let f = Frame::parse(&bytes, DEFAULT_MAX_PAYLOAD).unwrap();
    assert_eq!(*f.header(), header(Codec::Jpeg, 5));
    assert_eq!(f.payload(), b"hello");
    assert_eq!(f.payload().as_ptr(), bytes[52..].as_ptr());
    assert_eq!(f.signed_bytes().len(), 57);
    assert_eq!(f.signature(), &[0xAB; 64]);
}

#[test]
fn codec_bytes_and_names_round_trip() {
    for c in Codec::ALL {
        assert_eq!(Codec::from_byte(c.to_byte()), Some(c));
        assert_eq!(Codec::from_name(c.name()), Some(c));
    }
    let defined: Vec<u8> = Codec::ALL.iter().map(|c| c.to_byte()).collect();
    for b in 0..=255u8 {
        assert_eq!(
            Codec::from_byte(b).is_some(),
            defined.contains(&b),
            "byte {b}"
        );
    }
    assert_eq!(Codec::from_name("JPEG"), None);
}

#[test]
fn every_prefix_shorter_than_the_overhead_is_too_short() {
    let bytes = frame(Codec::Opaque, b"");
    assert_eq!(bytes.len(), OVERHEAD);
    assert_shorter_prefixes_refused(&bytes, 0);
}

#[test]
fn wrong_magic_is_refused_whatever_the_length() {
    for i in 0..5 {
        let mut bytes = frame(Codec::Opaque, b"x");
        bytes[i] ^= 0x20;
        assert_eq!(Frame::parse(&bytes, 100).unwrap_err(), FrameError::BadMagic);
    }
    assert_eq!(
        Frame::parse(b"FSEAX", 100).unwrap_err(),
        FrameError::BadMagic
    );
}

#[test]
fn other_versions_are_unsupported_even_when_short() {
    let mut bytes = frame(Codec::Opaque, b"x");
    for v in [0u8, 3, 0xFF] {
        bytes[5] = v;
        assert_eq!(
            Frame::parse(&bytes, 100).unwrap_err(),
            FrameError::UnsupportedVersion(v)
        );
        assert_eq!(
            Frame::parse(&bytes[..6], 100).unwrap_err(),
            FrameError::UnsupportedVersion(v)
        );
    }
}

#[test]
fn each_reserved_flag_bit_is_refused() {
    for bit in 2..8 {
        let mut bytes = frame(Codec::Opaque, b"x");
        bytes[6] |= 1 << bit;
        assert!(matches!(
            Frame::parse(&bytes, 100).unwrap_err(),
            FrameError::ReservedFlags(_)
        ));
    }
}

#[test]
fn unknown_codec_is_refused() {
    let mut bytes = frame(Codec::Opaque, b"x");
    for b in [4u8, 15, 21, 31, 33, 255] {
        bytes[7] = b;
        assert_eq!(
            Frame::parse(&bytes, 100).unwrap_err(),
            FrameError::UnknownCodec(b)
        );
    }
}

#[test]
fn payload_len_above_the_maximum_is_too_large_before_the_length_check() {
    let bytes = frame(Codec::Opaque, &[0; 10]);
    assert!(Frame::parse(&bytes, 10).is_ok());
    assert_eq!(
        Frame::parse(&bytes, 9).unwrap_err(),
        FrameError::TooLarge {
            payload_len: 10,
            max: 9
        }
    );
    // A lying header claiming 4 GiB in a tiny frame: judged by the field.
    let mut lying = frame(Codec::Opaque, b"");
    lying[48..52].copy_from_slice(&u32::MAX.to_be_bytes());
    assert_eq!(
        Frame::parse(&lying, DEFAULT_MAX_PAYLOAD).unwrap_err(),
        FrameError::TooLarge {
            payload_len: u32::MAX,
            max: DEFAULT_MAX_PAYLOAD
        }
    );
}

#[test]
fn oversized_frames_are_judged_from_the_header_alone() {
    let bytes = frame(Codec::Opaque, &[0; 64]);
    assert_eq!(
        Header::parse(&bytes[..HEADER_LEN], bytes.len(), 63).unwrap_err(),
        FrameError::TooLarge {
            payload_len: 64,
            max: 63
        }
    );
    assert_eq!(
        Header::parse(&bytes[..HEADER_LEN], 1 << 30, 64).unwrap_err(),
        FrameError::LengthMismatch {
            declared: 180,
            actual: 1 << 30
        }
    );
}

#[test]
fn length_must_match_exactly() {
    let bytes = frame(Codec::Opaque, b"abc");
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(
        Frame::parse(&longer, 100).unwrap_err(),
        FrameError::LengthMismatch {
            declared: 119,
            actual: 120
        }
    );
    assert_eq!(
        Frame::parse(&bytes[..bytes.len() - 1], 100).unwrap_err(),
        FrameError::LengthMismatch {
            declared: 119,
            actual: 118
        }
    );
}

#[test]
fn rotation_frames_carry_exactly_96_bytes() {
    assert!(Frame::parse(&frame(Codec::KeyRotation, &[1; 96]), 1000).is_ok());
    for n in [0usize, 95, 97] {
        assert_eq!(
            Frame::parse(&frame(Codec::KeyRotation, &vec![1; n]), 1000).unwrap_err(),
            FrameError::BadRotationLength(n as u32)
        );
    }
}

#[test]
fn errors_read_as_lower_case_sentences() {
    let e = FrameError::TooLarge {
        payload_len: 5,
        max: 4,
    };
    assert_eq!(
        e.to_string(),
        "payload of 5 bytes is above the maximum of 4"
    );
    assert_eq!(
        FrameError::BadMagic.to_string(),
        "frame does not start with FSEAL"
    );
}

#[test]
fn a_seal_is_148_bytes_at_the_spec_offsets() {
    let h = sealed_header(Codec::H264, 1000);
    let signed = encode_seal_signed_part(&h, &[0xCC; 32]);
    assert_eq!(&signed[0..5], b"FSEAL");
    assert_eq!(signed[5], 2);
    assert_eq!(signed[7], 16);
    assert_eq!(&signed[48..52], &1000u32.to_be_bytes());
    assert_eq!(&signed[52..84], &[0xCC; 32]);
    let bytes = sealed_frame(&h, &[0xCC; 32], &[5; 1000]);
    let f = Frame::parse(&bytes, DEFAULT_MAX_PAYLOAD).unwrap();
    assert_eq!(*f.header(), h);
    assert_eq!(f.signed_bytes(), &signed[..]);
    assert_eq!(f.signature(), &[0xAB; 64]);
    assert_eq!(f.content_hash(), Some(&[0xCC; 32]));
    assert_eq!(f.payload(), &[5; 1000]);
    assert_eq!(f.payload_offset(), SEAL_LEN);
    assert_eq!(h.frame_len(), 1148);
}

#[test]
fn every_prefix_shorter_than_a_seal_is_too_short() {
    let bytes = sealed_frame(&sealed_header(Codec::Opaque, 0), &[0; 32], b"");
    assert_eq!(bytes.len(), SEAL_LEN);
    assert_shorter_prefixes_refused(&bytes, 6);
}

#[test]
fn the_content_hash_is_blake3_256() {
    // BLAKE3's published test vector for the empty input.
    assert_eq!(
        content_hash(b""),
        [
            0xaf, 0x13, 0x49, 0xb9, 0xf5, 0xf9, 0xa1, 0xa6, 0xa0, 0x40, 0x4d, 0xea, 0x36, 0xdc,
            0xc9, 0x49, 0x9b, 0xcb, 0x25, 0xc9, 0xad, 0xc1, 0x12, 0xb7, 0xcc, 0x9a, 0x93, 0xca,
            0xe4, 0x1f, 0x32, 0x62
        ]
    );
}

#[test]
fn the_layout_table_tiles_the_header_and_the_seal_without_gaps() {
    use super::layout::*;
    let fields = [
        MAGIC,
        VERSION,
        FLAGS,
        CODEC,
        KEY_ID,
        STREAM_ID,
        SEQ,
        TIMESTAMP_US,
        LENGTH,
        CONTENT_HASH,
        SEAL_SIGNATURE,
    ];
    for pair in fields.windows(2) {
        assert_eq!(pair[0].end, pair[1].start, "{pair:?}");
    }
    assert_eq!(LENGTH.end, HEADER_LEN);
    assert_eq!(CONTENT_HASH.end, SEAL_SIGNED_LEN);
    assert_eq!(SEAL_SIGNATURE.end, SEAL_LEN);
}
