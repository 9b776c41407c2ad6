//! `frameseal::fmp4` parsing on any bytes (layout: `fmp4_common.rs`).
//!
//! Invariants: neither parser panics; an init segment that parses has a
//! timescale, its video track's defaults and a valid layout; a media
//! segment that parses has every sample non-empty, inside the input and
//! apart from every other, its fragments covering the sample lists in
//! order, and the video samples on the video track.
#![no_main]

mod fmp4_common;

use frameseal::fmp4::MediaSegment;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((_, init, media)) = fmp4_common::split(input) else {
        return;
    };
    match MediaSegment::parse(&init, media) {
        Ok(seg) => fmp4_common::check_segment(&init, &seg, media.len()),
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
