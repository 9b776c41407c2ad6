//! `MediaSegment::rewrite` with a fuzzer-chosen keep mask (layout:
//! `fmp4_common.rs`; the expected samples: `fmp4_oracle.rs`).
//!
//! Invariants: a segment that parses is rewritten without panicking, and
//! the rewrite (when it succeeds; it may refuse only times or sizes one
//! `trun` cannot describe) reparses to exactly the kept video samples, in
//! order, with their bytes, decode times, flags and composition offsets,
//! each lasting until the next kept one of its fragment, and no other
//! track; keeping nothing gives nothing; a rewrite of the rewrite keeping
//! everything is the same bytes.
#![no_main]

mod fmp4_common;
mod fmp4_oracle;

use frameseal::fmp4::{MediaSegment, RewriteError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((seed, init, media)) = fmp4_common::split(input) else {
        return;
    };
    let Ok(seg) = MediaSegment::parse(&init, media) else {
        return;
    };
    let keep = fmp4_common::keep_mask(seed, seg.video().len());
    let out = match seg.rewrite(&keep) {
        Ok(out) => out,
        Err(e) => {
            assert!(
                !matches!(
                    e,
                    RewriteError::KeepMaskLength { .. } | RewriteError::OutOfMemory(_)
                ),
                "{e}"
            );
            return;
        }
    };
    if !keep.contains(&true) {
        assert!(out.is_empty());
        return;
    }
    let again = MediaSegment::parse(&init, &out).expect("a rewrite reparses");
    fmp4_common::check_segment(&init, &again, out.len());
    assert!(again.other().is_empty());
    assert_eq!(
        fmp4_oracle::actual(&again),
        fmp4_oracle::expected(&seg, &keep)
    );
    let all = vec![true; again.video().len()];
    assert_eq!(again.rewrite(&all).expect("a rewrite rewrites"), out);
});
