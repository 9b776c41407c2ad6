//! Flood benchmark: how fast hostile frames are rejected, and how much
//! memory that takes. `cargo run --release --example flood [frames]`
//! (default 100 000 per kind) prints a markdown table.
//!
//! The frames and the counting allocator are the flood test's
//! (`tests/flood/`, which asserts that no frame is accepted and that memory
//! stays flat), included from there; this program only measures. Each kind
//! goes once through `Verifier::verify` (one frame per call, like WebSocket
//! messages) and once through `FrameReader` (frames back to back, pushed in
//! 64 KiB chunks, like an HTTP body).

#[allow(dead_code)] // calls() is for the test
#[path = "../../tests/flood/counting.rs"]
mod counting;
#[path = "../../tests/flood/forge.rs"]
mod forge;

use std::time::Instant;

use counting::Counting;
use forge::{Forge, Kind, NOW_US};
use frameseal::deframer::{Boundaries, FrameReader};
use frameseal::{Policy, Verifier};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const PAYLOAD: usize = 1_000;
const CHUNK: usize = 64 * 1024;

struct Row {
    path: &'static str,
    kind: &'static str,
    frames: u64,
    accepted: u64,
    seconds: f64,
    bytes: u64,
    peak_heap: usize,
    buffer: Option<usize>,
}

fn verifier(forge: &mut Forge) -> Verifier {
    let mut v = Verifier::new(forge.linked_key(), Policy::default()).expect("policy");
    let first = forge.genuine(1);
    assert!(v.verify(&first, NOW_US).is_ok());
    v
}

/// Measures one path over `n` frames of `kinds`, against a verifier that
/// took the forge's first genuine frame: `prepare` makes the path's state
/// (allocated before the heap baseline, so not counted), `run` feeds it
/// every frame and returns the bytes it fed and, for a reader, its buffer's
/// capacity at the end.
fn measure<S>(
    path: &'static str,
    kind: &'static str,
    n: u64,
    prepare: impl FnOnce(&Verifier) -> S,
    run: impl FnOnce(&mut S, &mut Forge, &mut Verifier) -> (u64, Option<usize>),
) -> Row {
    let mut forge = Forge::new(PAYLOAD);
    let mut v = verifier(&mut forge);
    let mut state = prepare(&v);
    counting::reset_peak();
    let base = counting::live();
    let start = Instant::now();
    let (bytes, buffer) = run(&mut state, &mut forge, &mut v);
    let seconds = start.elapsed().as_secs_f64();
    Row {
        path,
        kind,
        frames: n,
        accepted: v.stats().accepted - 1,
        seconds,
        bytes,
        peak_heap: counting::peak() - base,
        buffer,
    }
}

fn through_verifier(kinds: &[Kind], name: &'static str, n: u64) -> Row {
    measure(
        "Verifier",
        name,
        n,
        |_| (),
        |(), forge, v| {
            let mut bytes = 0u64;
            for i in 0..n {
                let frame = forge.frame(kinds[i as usize % kinds.len()], i);
                bytes += frame.len() as u64;
                let _ = v.verify(frame, NOW_US);
            }
            (bytes, None)
        },
    )
}

fn through_reader(kinds: &[Kind], name: &'static str, n: u64) -> Row {
    let prepare = |v: &Verifier| {
        let chunk: Vec<u8> = Vec::with_capacity(CHUNK + 2 * PAYLOAD);
        (FrameReader::for_verifier(v), chunk)
    };
    measure(
        "FrameReader",
        name,
        n,
        prepare,
        |(reader, chunk), forge, v| {
            let mut bytes = 0u64;
            let mut judge =
                |c: frameseal::deframer::Candidate<'_>| Boundaries::of(&v.verify(c.bytes, NOW_US));
            for i in 0..n {
                chunk.extend_from_slice(forge.frame(kinds[i as usize % kinds.len()], i));
                if chunk.len() >= CHUNK || i + 1 == n {
                    bytes += chunk.len() as u64;
                    reader.push(chunk, &mut judge);
                    chunk.clear();
                }
            }
            reader.finish(&mut judge);
            (bytes, Some(reader.buffer_capacity()))
        },
    )
}

/// The process's peak resident set (Linux), in KiB.
fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("frames: a number"))
        .unwrap_or(100_000);
    let mix: Vec<Kind> = (0..20).map(Kind::of_flood).collect();
    let cases: Vec<(Vec<Kind>, &'static str)> = vec![
        (mix, "flood mix (80% foreign, 20% forged)"),
        (vec![Kind::Foreign], Kind::Foreign.name()),
        (vec![Kind::ForgedFull], Kind::ForgedFull.name()),
        (
            vec![Kind::ForgedNonCanonicalS],
            Kind::ForgedNonCanonicalS.name(),
        ),
        (vec![Kind::ForgedRNotAPoint], Kind::ForgedRNotAPoint.name()),
        (
            vec![Kind::ForgedSmallOrderR],
            Kind::ForgedSmallOrderR.name(),
        ),
        (vec![Kind::GigabyteClaim], Kind::GigabyteClaim.name()),
    ];
    println!(
        "frameseal flood: {n} frames per row, {PAYLOAD}-byte payloads (116-byte gigabyte claims), default policy, one thread"
    );
    println!();
    println!(
        "| path | frames | sent | accepted | rejected per second | MB/s | peak heap during run | reader buffer |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for (kinds, name) in &cases {
        for row in [
            through_verifier(kinds, name, n),
            through_reader(kinds, name, n),
        ] {
            println!(
                "| {} | {} | {} | {} | {:.0} | {:.1} | {} B | {} |",
                row.path,
                row.kind,
                row.frames,
                row.accepted,
                row.frames as f64 / row.seconds,
                row.bytes as f64 / row.seconds / 1e6,
                row.peak_heap,
                row.buffer.map_or("-".to_string(), |b| format!("{b} B")),
            );
        }
    }
    println!();
    if let Some(kib) = vm_hwm_kib() {
        println!("process peak resident set (VmHWM): {kib} KiB");
    }
}
