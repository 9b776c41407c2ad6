//! The cases of `frames.json`: fixed keys and inputs, the frames built
//! from them (with the core `Signer`, or hand-edited and re-signed where
//! the Signer refuses to make such a frame), and the verdict each must get,
//! written from the inputs.

use frameseal::{Codec, FrameSpec, KeyId, Signer};
use serde_json::Value;

use crate::support::ed25519::add_group_order;
use crate::support::{hex, unhex};

// ---------------------------------------------------------------------------
// Fixed inputs

/// The linked camera: secret bytes 0x01, 0x02, ..., 0x20.
pub const CAMERA_SECRET: [u8; 32] = seq_bytes(0x01);
/// Another camera, never linked: 0x21 ... 0x40.
pub const FOREIGN_SECRET: [u8; 32] = seq_bytes(0x21);
/// The key the camera rotates to: 0x41 ... 0x60.
pub const NEXT_SECRET: [u8; 32] = seq_bytes(0x41);
/// The camera's streaming session.
pub const STREAM: [u8; 16] = [
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
];
/// Another session (a restarted camera, or a stream mixed in by a relay).
pub const OTHER_STREAM: [u8; 16] = [
    0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf,
];
/// The display's clock: 2023-11-14T22:13:20Z, in microseconds.
pub const NOW: u64 = 1_700_000_000_000_000;

const fn seq_bytes(first: u8) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = first + i as u8;
        i += 1;
    }
    out
}

// ---------------------------------------------------------------------------
// Building frames

struct Keys {
    camera: Signer,
    foreign: Signer,
    next: Signer,
}

impl Keys {
    fn new() -> Keys {
        Keys {
            camera: Signer::from_secret(&CAMERA_SECRET, STREAM),
            foreign: Signer::from_secret(&FOREIGN_SECRET, STREAM),
            next: Signer::from_secret(&NEXT_SECRET, STREAM),
        }
    }
}

/// Header fields of a frame to sign (the key id comes from the signer).
#[derive(Clone, Copy)]
pub struct Fields {
    pub stream: [u8; 16],
    pub seq: u64,
    pub timestamp_us: u64,
    pub keyframe: bool,
    pub end_of_stream: bool,
    pub codec: Codec,
}

/// A delta frame of the camera's stream, number `seq`, captured `age_us` before NOW.
fn at(seq: u64, age_us: u64) -> Fields {
    Fields {
        stream: STREAM,
        seq,
        timestamp_us: NOW - age_us,
        keyframe: false,
        end_of_stream: false,
        codec: Codec::Opaque,
    }
}

impl Fields {
    fn keyframe(self) -> Fields {
        Fields {
            keyframe: true,
            ..self
        }
    }
    fn codec(self, codec: Codec) -> Fields {
        Fields { codec, ..self }
    }
    fn stream(self, stream: [u8; 16]) -> Fields {
        Fields { stream, ..self }
    }
    fn timestamp(self, timestamp_us: u64) -> Fields {
        Fields {
            timestamp_us,
            ..self
        }
    }
    fn spec(self) -> FrameSpec {
        FrameSpec {
            stream_id: Some(self.stream),
            seq: Some(self.seq),
            timestamp_us: self.timestamp_us,
            keyframe: self.keyframe,
            end_of_stream: self.end_of_stream,
            codec: self.codec,
        }
    }
}

fn sign(signer: &mut Signer, payload: &[u8], f: Fields) -> Vec<u8> {
    signer.sign_frame(payload, &f.spec()).expect("signable")
}

fn rotate(old: &mut Signer, next: &Signer, f: Fields) -> Vec<u8> {
    old.sign_rotation(next, &f.spec()).expect("rotation")
}

/// `unsigned` (header and payload, possibly hand-edited) with `signer`'s
/// signature over it appended: frames the core Signer refuses to make
/// (its `sign_message` refuses data starting `FSEAL`), signed here with
/// ed25519-dalek's RFC 8032 signer and the same secret.
fn resign(signer: &Signer, unsigned: &[u8]) -> Vec<u8> {
    use ed25519_dalek::Signer as _;
    let key = ed25519_dalek::SigningKey::from_bytes(&signer.secret_key());
    let mut out = unsigned.to_vec();
    out.extend_from_slice(&key.sign(unsigned).to_bytes());
    out
}

/// `frame` without its signature, with `edit` applied, re-signed by `signer`.
fn edit_and_resign(signer: &Signer, frame: &[u8], edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut unsigned = frame[..frame.len() - 64].to_vec();
    edit(&mut unsigned);
    resign(signer, &unsigned)
}

fn flip_bit(frame: &[u8], byte: usize) -> Vec<u8> {
    let mut out = frame.to_vec();
    out[byte] ^= 0x01;
    out
}

/// The same frame with S replaced by S + L: the same scalar mod L, but not
/// the canonical encoding strict verification requires.
fn non_canonical_s(frame: &[u8]) -> Vec<u8> {
    let mut out = frame.to_vec();
    let s_start = out.len() - 32;
    add_group_order(&mut out[s_start..]);
    out
}

/// A 96-byte key-rotation payload: `new_key` and `proof`.
fn rotation_payload(new_key: &[u8; 32], proof: &[u8; 64]) -> [u8; 96] {
    let mut out = [0u8; 96];
    out[..32].copy_from_slice(new_key);
    out[32..].copy_from_slice(proof);
    out
}

/// The proof of a rotation from `old` to `new`: `by`'s signature of
/// "frameseal-rotate" || old || new (the new key signs a genuine one).
fn rotation_proof(by: &Signer, old: &[u8; 32], new: &[u8; 32]) -> [u8; 64] {
    let message = [b"frameseal-rotate".as_slice(), old, new].concat();
    by.sign_message(&message).unwrap()
}

// ---------------------------------------------------------------------------
// Cases

pub enum Expect {
    Ok {
        f: Fields,
        payload: Vec<u8>,
        new_public_key: Option<[u8; 32]>,
    },
    Drop(&'static str),
}

pub struct Case {
    pub name: &'static str,
    pub description: &'static str,
    pub options: Vec<(&'static str, Value)>,
    pub before: Vec<Vec<u8>>,
    pub frame: Vec<u8>,
    pub expect: Expect,
}

fn case(name: &'static str, description: &'static str, frame: Vec<u8>, expect: Expect) -> Case {
    Case {
        name,
        description,
        options: Vec::new(),
        before: Vec::new(),
        frame,
        expect,
    }
}

impl Case {
    fn options(mut self, options: Vec<(&'static str, Value)>) -> Case {
        self.options = options;
        self
    }
    /// The `maxPayloadBytes` option alone.
    fn max_payload_bytes(self, bytes: u32) -> Case {
        self.options(vec![("maxPayloadBytes", Value::from(bytes))])
    }
    /// The `streamId` option alone: the stream the viewer chose.
    fn viewer_stream(self, stream: [u8; 16]) -> Case {
        self.options(vec![("streamId", hex(&stream).into())])
    }
    fn before(mut self, before: Vec<Vec<u8>>) -> Case {
        self.before = before;
        self
    }
}

fn ok(f: Fields, payload: &[u8]) -> Expect {
    Expect::Ok {
        f,
        payload: payload.to_vec(),
        new_public_key: None,
    }
}

fn drop(reason: &'static str) -> Expect {
    Expect::Drop(reason)
}

/// Placeholder payloads: a few bytes shaped like the codec's own (magic
/// numbers, NAL headers), not decodable pictures. The verifier never looks
/// inside a payload.
fn codec_cases(k: &mut Keys) -> Vec<Case> {
    let cam = &mut k.camera;
    let mut out = Vec::new();
    // One case a line: name, description, payload (hex), fields.
    #[rustfmt::skip]
    let pictures = [
        ("valid-opaque", "An opaque delta frame, 4-byte payload (the worked example in docs/FORMAT.md).", "deadbeef", at(7, 40_000)),
        ("valid-jpeg", "A JPEG keyframe, seq 0, captured now.", "ffd8ffe000104a46494600010100000100010000ffd9", at(0, 0).keyframe().codec(Codec::Jpeg)),
        ("valid-png", "A PNG keyframe.", "89504e470d0a1a0a0000000d49484452", at(1, 33_333).keyframe().codec(Codec::Png)),
        ("valid-webp", "A WebP keyframe.", "524946460c00000057454250565038200000", at(2, 66_666).keyframe().codec(Codec::Webp)),
        ("valid-h264", "An H.264 keyframe (Annex B: SPS, PPS, IDR slice start codes).", "000000016742c01e0000000168ce3c800000000165888400", at(3, 100_000).keyframe().codec(Codec::H264)),
        ("valid-h265", "An H.265 delta frame whose seq needs more than 32 bits (2^32 + 1).", "000000010201d00980", at(4_294_967_297, 133_333).codec(Codec::H265)),
        ("valid-vp8", "A VP8 keyframe.", "1000009d012a01000100", at(5, 166_666).keyframe().codec(Codec::Vp8)),
        ("valid-vp9", "A VP9 delta frame.", "86004092", at(6, 200_000).codec(Codec::Vp9)),
        ("valid-av1", "An AV1 keyframe that also ends the stream (both flags set).", "12000a0b0000002400c4ffdf0068", Fields { end_of_stream: true, ..at(8, 233_333).keyframe().codec(Codec::Av1) }),
    ];
    for (name, description, hex_payload, f) in pictures {
        let payload = unhex(hex_payload);
        let frame = sign(cam, &payload, f);
        out.push(case(name, description, frame, ok(f, &payload)));
    }
    let f = at(9, 0).codec(Codec::KeyRotation);
    let frame = rotate(&mut k.camera, &k.next, f);
    let proof = rotation_proof(&k.next, k.camera.public_key(), k.next.public_key());
    let payload = rotation_payload(k.next.public_key(), &proof);
    out.push(case(
        "valid-key-rotation",
        "The camera key hands over to the next key; the result carries newPublicKey.",
        frame,
        Expect::Ok {
            f,
            payload: payload.to_vec(),
            new_public_key: Some(*k.next.public_key()),
        },
    ));
    out
}

fn policy_cases(k: &mut Keys) -> Vec<Case> {
    let cam = &mut k.camera;
    let mut out = Vec::new();
    let p = b"picture";

    // Freshness at its edges, and switched off.
    for (name, description, f, options) in [
        (
            "accept-at-max-age",
            "Captured exactly maxAge (10 s) before now: still fresh.",
            at(10, 10_000_000),
            vec![],
        ),
        (
            "accept-at-max-future-skew",
            "Captured exactly maxFutureSkew (5 s) after now: still accepted.",
            at(10, 0).timestamp(NOW + 5_000_000),
            vec![],
        ),
        (
            "accept-max-age-off",
            "maxAgeMs null switches the age check off: a 1970 capture time passes.",
            at(10, 0).timestamp(1_000_000),
            vec![("maxAgeMs", Value::Null)],
        ),
        (
            "accept-max-future-skew-off",
            "maxFutureSkewMs null switches the future check off: a year ahead passes.",
            at(10, 0).timestamp(NOW + 31_536_000_000_000),
            vec![("maxFutureSkewMs", Value::Null)],
        ),
    ] {
        out.push(case(name, description, sign(cam, p, f), ok(f, p)).options(options));
    }
    let payload: Vec<u8> = (0..16).collect();
    let f = at(10, 0);
    out.push(
        case(
            "accept-payload-at-max",
            "A payload of exactly maxPayloadBytes.",
            sign(cam, &payload, f),
            ok(f, &payload),
        )
        .max_payload_bytes(16),
    );
    let f = at(10, 0);
    out.push(case(
        "accept-empty-payload",
        "An empty payload: a 116-byte frame, the shortest there is.",
        sign(cam, b"", f),
        ok(f, b""),
    ));
    // One genuine frame (`before`), then the frame judged (`f`).
    for (name, description, f, before, options) in [
        (
            "accept-out-of-order-in-window",
            "After seq 100, seq 37 is 63 below the highest: inside the default window of 64.",
            at(37, 50_000),
            at(100, 100_000),
            vec![],
        ),
        (
            "accept-custom-window-edge",
            "replayWindow 4: after seq 10, seq 7 is 3 below the highest, inside the window.",
            at(7, 0),
            at(10, 0),
            vec![("replayWindow", Value::from(4))],
        ),
        (
            "accept-camera-restart",
            "Pinned to one stream, a keyframe of another stream newer than every accepted frame re-pins (camera restart); its seq 0 passes the fresh window.",
            at(0, 999_999).keyframe().stream(OTHER_STREAM),
            at(50, 1_000_000).keyframe(),
            vec![],
        ),
    ] {
        let frame = sign(cam, p, f);
        let before = sign(cam, p, before);
        out.push(
            case(name, description, frame, ok(f, p))
                .options(options)
                .before(vec![before]),
        );
    }
    let f = at(3, 0).stream(OTHER_STREAM);
    out.push(
        case(
            "accept-viewer-chosen-stream",
            "With streamId given, a delta frame of that stream passes as the first frame.",
            sign(cam, p, f),
            ok(f, p),
        )
        .viewer_stream(OTHER_STREAM),
    );
    let f = at(10, 0).keyframe();
    let rotation = rotate(cam, &k.next, at(9, 0));
    out.push(
        case(
            "accept-after-rotation",
            "After an accepted rotation, the next key's frames pass on the same stream and window.",
            sign(&mut k.next, p, f),
            ok(f, p),
        )
        .before(vec![rotation]),
    );
    out
}

fn drop_cases(k: &mut Keys) -> Vec<Case> {
    let p = b"picture";
    let mut out = Vec::new();
    let genuine = sign(&mut k.camera, &[0xde, 0xad, 0xbe, 0xef], at(7, 40_000));
    let empty = sign(&mut k.camera, b"", at(10, 0));

    // ---- layout
    out.push(case(
        "malformed-empty",
        "Zero bytes.",
        Vec::new(),
        drop("malformed"),
    ));
    out.push(case(
        "malformed-magic-only",
        "Just the five magic bytes.",
        b"FSEAL".to_vec(),
        drop("malformed"),
    ));
    out.push(case(
        "malformed-too-short",
        "115 bytes: a genuine empty-payload frame without its last byte, below the 116-byte minimum.",
        empty[..115].to_vec(),
        drop("malformed"),
    ));
    out.push(case(
        "malformed-bad-magic",
        "Magic FSEAX instead of FSEAL, otherwise well formed and signed by the linked key.",
        edit_and_resign(&k.camera, &genuine, |b| b[4] = b'X'),
        drop("malformed"),
    ));
    out.push(case(
        "malformed-reserved-flag",
        "Flag bit 2 set (flags 0x04), signed by the linked key.",
        edit_and_resign(&k.camera, &genuine, |b| b[6] = 0x04),
        drop("malformed"),
    ));
    out.push(case(
        "malformed-unknown-codec",
        "Codec byte 4, which v1 does not define, signed by the linked key.",
        edit_and_resign(&k.camera, &genuine, |b| b[7] = 4),
        drop("malformed"),
    ));
    out.push(case(
        "malformed-trailing-byte",
        "A genuine frame with one extra byte after the signature: the length does not match payload_len.",
        [genuine.as_slice(), &[0]].concat(),
        drop("malformed"),
    ));
    out.push(case(
        "malformed-truncated",
        "A genuine frame without its last byte (119 bytes): the length does not match payload_len.",
        genuine[..genuine.len() - 1].to_vec(),
        drop("malformed"),
    ));
    let proof = rotation_proof(&k.next, k.camera.public_key(), k.next.public_key());
    let short_rotation = [k.next.public_key().as_slice(), &proof[..63]].concat();
    let header = frameseal::Header {
        version: frameseal::frame::Version::Envelope,
        keyframe: false,
        end_of_stream: false,
        codec: Codec::KeyRotation,
        key_id: KeyId::of(k.camera.public_key()).0,
        stream_id: STREAM,
        seq: 9,
        timestamp_us: NOW,
        payload_len: 95,
    };
    out.push(case(
        "malformed-rotation-length",
        "A key-rotation frame with a 95-byte payload (must be 96), signed by the linked key.",
        resign(
            &k.camera,
            &[header.encode().as_slice(), &short_rotation].concat(),
        ),
        drop("malformed"),
    ));
    out.push(case(
        "unsupported-version",
        "Version byte 3, otherwise a v1 frame signed by the linked key.",
        edit_and_resign(&k.camera, &genuine, |b| b[5] = 3),
        drop("unsupported-version"),
    ));
    out.push(case(
        "unsupported-version-short",
        "Magic and version 3 only (6 bytes): the version is judged before the length.",
        b"FSEAL\x03".to_vec(),
        drop("unsupported-version"),
    ));
    let big: Vec<u8> = (0..17).collect();
    out.push(
        case(
            "too-large",
            "A 17-byte payload with maxPayloadBytes 16, signed by the linked key.",
            sign(&mut k.camera, &big, at(10, 0)),
            drop("too-large"),
        )
        .max_payload_bytes(16),
    );
    out.push(case(
        "too-large-declared",
        "A 116-byte frame whose header declares payload_len 0xffffffff: too-large is decided from the header, before the length check.",
        edit_and_resign(&k.camera, &empty, |b| {
            b[48..52].copy_from_slice(&[0xff; 4]);
        }),
        drop("too-large"),
    ));
    out.push(
        case(
            "too-large-before-foreign-key",
            "A foreign camera's frame that is also too large: layout is checked before the key id.",
            sign(&mut k.foreign, &big, at(10, 0)),
            drop("too-large"),
        )
        .max_payload_bytes(16),
    );

    // ---- key and signature
    out.push(case(
        "foreign-key",
        "A well-formed frame signed by another camera's key.",
        sign(&mut k.foreign, p, at(10, 0)),
        drop("foreign-key"),
    ));
    let mut zero_sig = sign(&mut k.foreign, p, at(10, 0));
    let n = zero_sig.len();
    zero_sig[n - 64..].fill(0);
    out.push(case(
        "foreign-key-before-signature",
        "Another camera's key id with an all-zero signature: the key id is checked first.",
        zero_sig,
        drop("foreign-key"),
    ));
    out.push(
        case(
            "foreign-key-after-rotation",
            "After an accepted rotation the old key is no longer linked.",
            sign(&mut k.camera, p, at(10, 0)),
            drop("foreign-key"),
        )
        .before(vec![rotate(&mut k.camera, &k.next, at(9, 0))]),
    );
    out.push(case(
        "bad-signature",
        "A genuine frame with one payload bit flipped.",
        flip_bit(&genuine, 52),
        drop("bad-signature"),
    ));
    out.push(case(
        "bad-signature-header-bit",
        "A genuine frame with the lowest seq bit flipped (seq 7 becomes 6).",
        flip_bit(&genuine, 39),
        drop("bad-signature"),
    ));
    let spoof = sign(&mut k.foreign, p, at(10, 0));
    out.push(case(
        "bad-signature-key-id-spoof",
        "Another camera's frame claiming the linked key's id, signed with the other key: only the linked key is ever used.",
        edit_and_resign(&k.foreign, &spoof, |b| {
            b[8..16].copy_from_slice(&KeyId::of(k.camera.public_key()).0);
        }),
        drop("bad-signature"),
    ));
    out.push(case(
        "bad-signature-non-canonical-s",
        "A genuine frame with S replaced by S + L (same scalar mod L): strict verification refuses non-canonical S.",
        non_canonical_s(&genuine),
        drop("bad-signature"),
    ));
    out.push(
        case(
            "bad-signature-before-wrong-stream",
            "A tampered frame of a stream the viewer did not choose: the signature is checked first.",
            flip_bit(&genuine, 52),
            drop("bad-signature"),
        )
        .viewer_stream(OTHER_STREAM),
    );

    // ---- stream
    out.push(
        case(
            "wrong-stream-viewer-chosen",
            "With streamId given, a newer keyframe of another stream does not re-pin.",
            sign(&mut k.camera, p, at(10, 0).keyframe()),
            drop("wrong-stream"),
        )
        .viewer_stream(OTHER_STREAM),
    );
    // Pinned to STREAM by a keyframe of seq 50 (`pinned_age` old), then a
    // frame of OTHER_STREAM (`other`).
    for (name, description, other, pinned_age) in [
        (
            "wrong-stream-pinned-delta",
            "Pinned to one stream, a newer delta frame of another stream.",
            at(0, 0),
            1_000_000,
        ),
        (
            "wrong-stream-restart-not-newer",
            "Pinned to one stream, a keyframe of another stream with the same timestamp as the newest accepted frame: not newer, so no restart.",
            at(0, 0).keyframe(),
            0,
        ),
        (
            "wrong-stream-before-stale",
            "Pinned to one stream, a stale keyframe of another stream: the stream is checked before freshness.",
            at(0, 20_000_000).keyframe(),
            0,
        ),
    ] {
        let frame = sign(&mut k.camera, p, other.stream(OTHER_STREAM));
        let pinned = sign(&mut k.camera, p, at(50, pinned_age).keyframe());
        out.push(case(name, description, frame, drop("wrong-stream")).before(vec![pinned]));
    }

    // ---- freshness: at the default and at custom limits
    for (name, description, f, reason, options) in [
        (
            "stale",
            "Captured 10 s + 1 us before now (default maxAgeMs 10000).",
            at(10, 10_000_001),
            "stale",
            vec![],
        ),
        (
            "future",
            "Captured 5 s + 1 us after now (default maxFutureSkewMs 5000).",
            at(10, 0).timestamp(NOW + 5_000_001),
            "future",
            vec![],
        ),
        (
            "stale-custom-max-age",
            "maxAgeMs 1000: captured 1 s + 1 us before now.",
            at(10, 1_000_001),
            "stale",
            vec![("maxAgeMs", Value::from(1000))],
        ),
        (
            "future-custom-skew",
            "maxFutureSkewMs 1 (the smallest): captured 1 ms + 1 us after now.",
            at(10, 0).timestamp(NOW + 1_001),
            "future",
            vec![("maxFutureSkewMs", Value::from(1))],
        ),
    ] {
        let frame = sign(&mut k.camera, p, f);
        out.push(case(name, description, frame, drop(reason)).options(options));
    }

    // ---- replay
    // One genuine frame (`before`), then the frame judged (`f`); the same
    // fields sign the same bytes, so "replayed" is the frame twice.
    for (name, description, f, reason, before) in [
        (
            "stale-before-replayed",
            "A stale frame reusing an accepted seq: freshness is checked before the replay window.",
            at(5, 10_000_001),
            "stale",
            at(5, 0),
        ),
        (
            "replayed",
            "The same genuine frame a second time.",
            at(5, 0),
            "replayed",
            at(5, 0),
        ),
        (
            "replayed-outside-window",
            "After seq 100, seq 36 is 64 below the highest: outside the default window of 64.",
            at(36, 50_000),
            "replayed",
            at(100, 100_000),
        ),
    ] {
        let frame = sign(&mut k.camera, p, f);
        let before = sign(&mut k.camera, p, before);
        out.push(case(name, description, frame, drop(reason)).before(vec![before]));
    }
    // replayWindow N: after seq 10, a lower seq outside the window.
    for (name, description, window, seq) in [
        (
            "replayed-custom-window",
            "replayWindow 4: after seq 10, seq 6 is 4 below the highest, outside the window.",
            4,
            6,
        ),
        (
            "replayed-window-zero",
            "replayWindow 0 means strictly increasing: after seq 10, seq 9 is refused.",
            0,
            9,
        ),
        (
            "replayed-window-one",
            "replayWindow 1 is strictly increasing too: after seq 10, seq 9 is refused.",
            1,
            9,
        ),
    ] {
        let frame = sign(&mut k.camera, p, at(seq, 0));
        out.push(
            case(name, description, frame, drop("replayed"))
                .options(vec![("replayWindow", Value::from(window))])
                .before(vec![sign(&mut k.camera, p, at(10, 0))]),
        );
    }
    out.push(
        case(
            "replayed-before-bad-rotation",
            "With allowRotation false, a rotation frame reusing an accepted seq: the replay window is checked before the rotation.",
            rotate(&mut k.camera, &k.next, at(9, 0)),
            drop("replayed"),
        )
        .options(vec![("allowRotation", Value::Bool(false))])
        .before(vec![sign(&mut k.camera, p, at(9, 0))]),
    );

    // ---- rotation
    let rotation_spec = at(9, 0).codec(Codec::KeyRotation);
    out.push(
        case(
            "bad-rotation-disabled",
            "A genuine rotation frame with allowRotation false.",
            rotate(&mut k.camera, &k.next, at(9, 0)),
            drop("bad-rotation"),
        )
        .options(vec![("allowRotation", Value::Bool(false))]),
    );
    let mut bad_proof = rotation_payload(k.next.public_key(), &proof);
    bad_proof[40] ^= 0x01;
    out.push(case(
        "bad-rotation-bad-proof",
        "A rotation frame signed by the linked key whose proof has one bit flipped.",
        sign(&mut k.camera, &bad_proof, rotation_spec),
        drop("bad-rotation"),
    ));
    let old_key_proof = rotation_proof(&k.camera, k.camera.public_key(), k.next.public_key());
    out.push(case(
        "bad-rotation-proof-by-old-key",
        "A rotation frame whose proof is signed by the old key instead of the new one.",
        sign(
            &mut k.camera,
            &rotation_payload(k.next.public_key(), &old_key_proof),
            rotation_spec,
        ),
        drop("bad-rotation"),
    ));
    out.push(case(
        "bad-rotation-keyframe-flag",
        "A genuine rotation payload in a frame with the KEYFRAME flag: rotation frames carry no flags.",
        sign(
            &mut k.camera,
            &rotation_payload(k.next.public_key(), &proof),
            rotation_spec.keyframe(),
        ),
        drop("bad-rotation"),
    ));
    let same_proof = rotation_proof(&k.camera, k.camera.public_key(), k.camera.public_key());
    let same_payload = rotation_payload(k.camera.public_key(), &same_proof);
    out.push(case(
        "bad-rotation-same-key",
        "A rotation to the key already linked, with a valid proof by it.",
        sign(&mut k.camera, &same_payload, rotation_spec),
        drop("bad-rotation"),
    ));
    // Rotations to a key that is no usable point: y = `y`, zero proof.
    for (name, description, y) in [
        (
            "bad-rotation-small-order-key",
            "A rotation to the identity point (small order), zero proof.",
            1,
        ),
        (
            "bad-rotation-not-a-point",
            "A rotation to 32 bytes that decode to no curve point (y = 2), zero proof.",
            2,
        ),
    ] {
        let mut new_key = [0u8; 32];
        new_key[0] = y;
        let payload = rotation_payload(&new_key, &[0; 64]);
        let frame = sign(&mut k.camera, &payload, rotation_spec);
        out.push(case(name, description, frame, drop("bad-rotation")));
    }
    out
}

/// Version 2 (SPEC §6.2): a seal, then the payload.
fn sealed_cases(k: &mut Keys) -> Vec<Case> {
    let mut out = Vec::new();
    let seal = |signer: &mut Signer, payload: &[u8], f: Fields| {
        signer.seal_frame(payload, &f.spec()).expect("sealable")
    };
    let payload = unhex("ffd8ffe000104a46494600010100000100010000ffd9");
    let f = at(21, 0).keyframe().codec(Codec::Jpeg);
    let genuine = seal(&mut k.camera, &payload, f);
    out.push(case(
        "v2-valid-jpeg",
        "A version-2 frame: the 148-byte seal (content_len 22, BLAKE3 of the JPEG, signature over the seal's first 84 bytes), then the JPEG.",
        genuine.clone(),
        ok(f, &payload),
    ));
    let e = at(22, 0);
    out.push(case(
        "v2-valid-empty",
        "A version-2 frame with an empty payload (148 bytes: the seal alone).",
        seal(&mut k.camera, b"", e),
        ok(e, b""),
    ));
    let v1 = at(23, 0);
    let after = at(24, 0);
    out.push(
        case(
            "v2-after-v1",
            "Version 1 and version 2 frames of one stream share one replay window: a v1 frame with seq 23, then a v2 frame with seq 24.",
            seal(&mut k.camera, b"two", after),
            ok(after, b"two"),
        )
        .before(vec![sign(&mut k.camera, b"one", v1)]),
    );
    out.push(
        case(
            "v2-replayed-as-v1",
            "A v2 frame with seq 25, then a v1 frame with the same seq: replayed, whatever the version.",
            sign(&mut k.camera, b"one", at(25, 0)),
            drop("replayed"),
        )
        .before(vec![seal(&mut k.camera, b"two", at(25, 0))]),
    );
    out.push(case(
        "v2-tampered-payload",
        "A genuine v2 frame with one payload bit flipped: the seal verifies, the content hash does not match.",
        flip_bit(&genuine, 148 + 5),
        drop("bad-signature"),
    ));
    out.push(case(
        "v2-tampered-hash",
        "A genuine v2 frame with one bit of its content hash flipped: the seal's signature fails.",
        flip_bit(&genuine, 60),
        drop("bad-signature"),
    ));
    out.push(case(
        "v2-foreign",
        "A v2 frame sealed by another camera.",
        seal(&mut k.foreign, &payload, at(26, 0)),
        drop("foreign-key"),
    ));
    out.push(case(
        "v2-truncated",
        "A genuine v2 frame without its last byte: 148 + content_len differs from its length.",
        genuine[..genuine.len() - 1].to_vec(),
        drop("malformed"),
    ));
    out.push(case(
        "v2-seal-only-short",
        "The first 147 bytes of a v2 frame's seal: shorter than 148.",
        genuine[..147].to_vec(),
        drop("malformed"),
    ));
    out.push(
        case(
            "v2-too-large",
            "A v2 frame with a 22-byte payload under maxPayloadBytes 16: too-large, judged from the seal before anything is hashed.",
            seal(&mut k.camera, &payload, at(27, 0)),
            drop("too-large"),
        )
        .max_payload_bytes(16),
    );
    out
}

/// Every case, in the file's order.
pub fn all_cases() -> Vec<Case> {
    let mut keys = Keys::new();
    let mut cases = codec_cases(&mut keys);
    cases.extend(policy_cases(&mut keys));
    cases.extend(drop_cases(&mut keys));
    cases.extend(sealed_cases(&mut keys));
    cases
}
