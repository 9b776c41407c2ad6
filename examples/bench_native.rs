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
//! signature). Each figure is the median of 3 timed runs after one warm-up.
//! This is a benchmark, not a test: nothing here asserts a speed.

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

/// One warm-up, then the median of three runs.
fn median_of_3(mut run: impl FnMut() -> f64) -> f64 {
    run();
    let mut r = [run(), run(), run()];
    r.sort_by(f64::total_cmp);
    r[1]
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
    let mut dalek = Row {
        name: "native ed25519-dalek verify_strict",
        rates: vec![],
    };
    let mut tables = Row {
        name: "native PreparedKey::verify_strict (per-key tables)",
        rates: vec![],
    };
    let mut whole = Row {
        name: "native Verifier::verify (whole frame)",
        rates: vec![],
    };
    for (len, _) in SIZES {
        let message = payload(len);
        let signature = camera.sign_message(&message);
        dalek.rates.push(median_of_3(|| {
            rate(|n| {
                for _ in 0..n {
                    let ok = key.verify_strict(black_box(&message), black_box(&signature));
                    assert!(ok.is_ok());
                }
            })
        }));
        tables.rates.push(median_of_3(|| {
            rate(|n| {
                for _ in 0..n {
                    let ok = prepared.verify_strict(black_box(&message), black_box(&signature));
                    assert!(ok.is_ok());
                }
            })
        }));
        whole
            .rates
            .push(median_of_3(|| verifier_rate(&mut camera, &key, &message)));
    }
    vec![dalek, tables, whole]
}

/// `Verifier::verify` on distinct, genuine frames of one stream (a replayed
/// frame would be dropped, so each run signs its own), with a fresh
/// verifier per run; only the verify calls are timed.
fn verifier_rate(camera: &mut Signer, key: &LinkedKey, payload: &[u8]) -> f64 {
    // Enough frames for about MIN_RUN at the expected rates, within ~128 MiB.
    let count = (128 * 1024 * 1024 / (payload.len() + 116)).clamp(64, 8192);
    let stream = [9; 16];
    let frames: Vec<Vec<u8>> = (0..count as u64)
        .map(|seq| {
            let spec = FrameSpec {
                stream_id: Some(stream),
                seq: Some(seq),
                keyframe: seq == 0,
                codec: Codec::Jpeg,
                ..FrameSpec::at(NOW_US + seq)
            };
            camera.sign_frame(payload, &spec).expect("signable")
        })
        .collect();
    let mut verifier = Verifier::new(key.clone(), Policy::default()).expect("default policy");
    let start = Instant::now();
    for frame in &frames {
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
