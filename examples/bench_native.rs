//! Native rows of `./build.sh bench`: strict Ed25519 verifications per
//! second on one core, three ways, at the benchmark's payload sizes.
//!
//! ```sh
//! cargo run --release --example bench_native           # markdown table
//! cargo run --release --example bench_native -- --json # for bench/run.mjs
//! ```
//!
//! Rows: plain ed25519-dalek `verify_strict` (what `LinkedKey::verify_strict`
//! calls), `PreparedKey::verify_strict` (per-key tables, what `Verifier`
//! uses), and `Verifier::verify` on whole signed frames (parse + policy +
//! signature). Each figure is the median of 3 timed rounds after a warm-up
//! round; a round runs the three rows once each, in a rotating order, so
//! load from elsewhere on the machine hits all three alike. This is a
//! benchmark, not a test: nothing here asserts a speed.

use std::hint::black_box;
use std::time::{Duration, Instant};

use frameseal::keys::PreparedKey;
use frameseal::{Codec, FrameSpec, LinkedKey, Policy, Signer, Verifier};

/// Payload sizes, as in the browser benchmark.
const SIZES: [(usize, &str); 4] = [
    (64, "64 B"),
    (1024, "1 KiB"),
    (64 * 1024, "64 KiB"),
    (512 * 1024, "512 KiB"),
];
/// Shortest timed run.
const MIN_RUN: Duration = Duration::from_millis(300);
/// A fixed "now" for the policy's freshness check.
const NOW_US: u64 = 1_700_000_000_000_000;

/// Runs `f(n)` (which does `n` verifications) until `MIN_RUN` has passed;
/// returns verifications per second.
fn rate(mut f: impl FnMut(u32)) -> f64 {
    let start = Instant::now();
    let mut done = 0u64;
    let mut chunk = 1u32;
    while start.elapsed() < MIN_RUN {
        f(chunk);
        done += u64::from(chunk);
        chunk = (chunk * 2).min(256);
    }
    done as f64 / start.elapsed().as_secs_f64()
}

/// Deterministic filler, so every run verifies the same bytes.
fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 131 + 7) as u8).collect()
}

struct Row {
    name: &'static str,
    rates: Vec<f64>,
}

fn measure() -> Vec<Row> {
    let mut camera = Signer::from_secret(&[42; 32], [7; 16]);
    let key = LinkedKey::from_bytes(camera.public_key()).expect("the camera's key links");
    let prepared = PreparedKey::new(key.clone());
    let names = [
        "native ed25519-dalek verify_strict",
        "native PreparedKey::verify_strict (per-key tables)",
        "native Verifier::verify (whole frame)",
    ];
    let mut rows: Vec<Row> = names
        .iter()
        .map(|&name| Row {
            name,
            rates: vec![],
        })
        .collect();
    for (len, _) in SIZES {
        let message = payload(len);
        let signature = camera
            .sign_message(&message)
            .expect("a benchmark payload, not a frame");
        let frames = sign_frames(&mut camera, &message);
        let mut rates: [Vec<f64>; 3] = Default::default();
        for round in 0..4 {
            for j in 0..3 {
                let row = (j + round) % 3;
                let rate = match row {
                    0 => rate(|n| {
                        for _ in 0..n {
                            let ok = key.verify_strict(black_box(&message), black_box(&signature));
                            assert!(ok.is_ok());
                        }
                    }),
                    1 => rate(|n| {
                        for _ in 0..n {
                            let ok =
                                prepared.verify_strict(black_box(&message), black_box(&signature));
                            assert!(ok.is_ok());
                        }
                    }),
                    _ => verifier_rate(&key, &frames),
                };
                if round > 0 {
                    rates[row].push(rate); // round 0 warms up
                }
            }
        }
        for (row, mut r) in rows.iter_mut().zip(rates) {
            r.sort_by(f64::total_cmp);
            row.rates.push(r[1]);
        }
    }
    rows
}

/// Distinct, genuine frames of one stream (a repeated frame would be
/// dropped as a replay): enough for about MIN_RUN at the expected rates,
/// within ~128 MiB.
fn sign_frames(camera: &mut Signer, payload: &[u8]) -> Vec<Vec<u8>> {
    let count = (128 * 1024 * 1024 / (payload.len() + 116)).clamp(64, 8192);
    (0..count as u64)
        .map(|seq| {
            let spec = FrameSpec {
                stream_id: Some([9; 16]),
                seq: Some(seq),
                keyframe: seq == 0,
                codec: Codec::Jpeg,
                ..FrameSpec::at(NOW_US + seq)
            };
            camera.sign_frame(payload, &spec).expect("signable")
        })
        .collect()
}

/// `Verifier::verify` on `frames` with a fresh verifier; only the verify
/// calls are timed.
fn verifier_rate(key: &LinkedKey, frames: &[Vec<u8>]) -> f64 {
    let mut verifier = Verifier::new(key.clone(), Policy::default()).expect("default policy");
    let start = Instant::now();
    for frame in frames {
        let accepted = verifier.verify(black_box(frame), NOW_US as i64 + 1_000_000);
        assert!(accepted.is_ok());
        if start.elapsed() > MIN_RUN * 2 {
            break;
        }
    }
    verifier.stats().accepted as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    let rows = measure();
    if json {
        let rows: Vec<String> = rows
            .iter()
            .map(|r| {
                let rates: Vec<String> = r.rates.iter().map(|v| format!("{v:.1}")).collect();
                format!(r#"{{"name":"{}","rates":[{}]}}"#, r.name, rates.join(","))
            })
            .collect();
        println!("[{}]", rows.join(","));
        return;
    }
    let sizes: Vec<&str> = SIZES.iter().map(|(_, s)| *s).collect();
    println!("| verifications/s, 1 core | {} |", sizes.join(" | "));
    println!("|---|{}", "---:|".repeat(SIZES.len()));
    for r in rows {
        let rates: Vec<String> = r.rates.iter().map(|v| format!("{v:.0}")).collect();
        println!("| {} | {} |", r.name, rates.join(" | "));
    }
}
