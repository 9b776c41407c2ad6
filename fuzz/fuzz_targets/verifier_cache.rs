//! Verifiers for the targets `frame_parser`, `stream_reader` and
//! `verifier_sequence`. Building one builds its key's tables
//! (milliseconds), so each key and policy gets one per process, cloned for
//! each input.

use std::cell::RefCell;
use std::collections::HashMap;

use frameseal::{LinkedKey, Policy, Verifier};

thread_local! {
    static VERIFIERS: RefCell<HashMap<String, Verifier>> = RefCell::new(HashMap::new());
}

/// A verifier linked to `key` under `policy`, as new.
pub fn verifier(key: &LinkedKey, policy: Policy) -> Verifier {
    VERIFIERS.with(|cache| {
        cache
            .borrow_mut()
            .entry(format!("{:?} {policy:?}", key.id()))
            .or_insert_with(|| Verifier::new(key.clone(), policy).expect("a valid policy"))
            .clone()
    })
}
