//! `frames.json` as text: the cases, the keys and the schema, with keys in
//! the order a reader wants them (`name` first, `expect` last).

use frameseal::{KeyId, Signer, fingerprint};

use crate::cases::{
    CAMERA_SECRET, Case, Expect, FOREIGN_SECRET, NEXT_SECRET, NOW, OTHER_STREAM, STREAM, all_cases,
};
use crate::support::hex;
use crate::support::json::Json;

fn hex_json(bytes: &[u8]) -> Json {
    Json::leaf(hex(bytes))
}

fn key_json(secret: &[u8; 32]) -> Json {
    let public = *Signer::from_secret(secret, [0; 16]).public_key();
    Json::Object(vec![
        ("secret", hex_json(secret)),
        ("public", hex_json(&public)),
        ("key_id", hex_json(&KeyId::of(&public).0)),
        ("fingerprint", Json::leaf(fingerprint(&public))),
    ])
}

fn expect_json(expect: &Expect) -> Json {
    match expect {
        Expect::Drop(reason) => Json::Object(vec![
            ("ok", Json::leaf(false)),
            ("reason", Json::leaf(*reason)),
        ]),
        Expect::Ok {
            f,
            payload,
            new_public_key,
        } => {
            let mut fields = vec![
                ("ok", Json::leaf(true)),
                ("seq", Json::leaf(f.seq)),
                ("timestampUs", Json::leaf(f.timestamp_us)),
                ("keyframe", Json::leaf(f.keyframe)),
                ("endOfStream", Json::leaf(f.end_of_stream)),
                ("codec", Json::leaf(f.codec.name())),
                ("payload", hex_json(payload)),
                ("streamId", hex_json(&f.stream)),
            ];
            if let Some(key) = new_public_key {
                fields.push(("newPublicKey", hex_json(key)));
            }
            Json::Object(fields)
        }
    }
}

/// The text of `frames.json`.
pub fn document() -> String {
    let cases = all_cases()
        .into_iter()
        .map(|c: Case| {
            let options = c
                .options
                .into_iter()
                .map(|(k, v)| (k, Json::Leaf(v)))
                .collect();
            Json::Object(vec![
                ("name", Json::leaf(c.name)),
                ("description", Json::leaf(c.description)),
                ("options", Json::Object(options)),
                ("now_us", Json::leaf(NOW)),
                (
                    "before",
                    Json::Array(c.before.iter().map(|b| hex_json(b)).collect()),
                ),
                ("frame", hex_json(&c.frame)),
                ("expect", expect_json(&c.expect)),
            ])
        })
        .collect();
    let doc = Json::Object(vec![
        (
            "description",
            Json::leaf(
                "frameseal wire format v1 test vectors: frames signed with fixed keys, and the verdict a fresh Verifier must give each one. See docs/FORMAT.md.",
            ),
        ),
        (
            "generated_by",
            Json::leaf(
                "tests/frame_vectors.rs (FRAMESEAL_WRITE_VECTORS=1 cargo test --test frame_vectors rewrites this file; without it the test only compares)",
            ),
        ),
        (
            "schema",
            Json::Array(vec![
                Json::leaf("Byte strings are lower-case hex. Microsecond times are integers."),
                Json::leaf(
                    "keys: camera is the linked key (every Verifier is built with keys.camera.public); foreign is another camera; next is the key camera rotates to. key_id is the first 8 bytes of SHA-512(public), fingerprint as in docs/FORMAT.md.",
                ),
                Json::leaf(
                    "cases[]: { name, description, options, now_us, before, frame, expect }.",
                ),
                Json::leaf(
                    "options: JS Verifier option names; an absent option takes its default (default_options); null switches a check off; streamId is hex here, a Uint8Array(16) in JS.",
                ),
                Json::leaf(
                    "now_us: the verifier's clock in microseconds; always a whole number of milliseconds, so a JS test can pass now: () => now_us / 1000.",
                ),
                Json::leaf(
                    "before: frames to verify first with the same verifier, in order; each must be accepted.",
                ),
                Json::leaf(
                    "expect: { ok: true, seq, timestampUs, keyframe, endOfStream, codec, payload, streamId[, newPublicKey] } (the accepted result, bytes in hex; newPublicKey only on a key-rotation frame) or { ok: false, reason }.",
                ),
                Json::leaf(
                    "Payloads are short placeholders shaped like their codec (magic numbers, NAL start codes), not decodable pictures.",
                ),
            ]),
        ),
        (
            "default_options",
            Json::Object(vec![
                ("maxAgeMs", Json::leaf(10_000)),
                ("maxFutureSkewMs", Json::leaf(5_000)),
                ("replayWindow", Json::leaf(64)),
                ("maxPayloadBytes", Json::leaf(16 * 1024 * 1024)),
                ("allowRotation", Json::leaf(true)),
            ]),
        ),
        (
            "keys",
            Json::Object(vec![
                ("camera", key_json(&CAMERA_SECRET)),
                ("foreign", key_json(&FOREIGN_SECRET)),
                ("next", key_json(&NEXT_SECRET)),
            ]),
        ),
        ("stream_id", hex_json(&STREAM)),
        ("other_stream_id", hex_json(&OTHER_STREAM)),
        ("cases", Json::Array(cases)),
    ]);
    doc.to_pretty_string()
}
