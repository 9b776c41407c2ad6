//! frameseal: a display shows only the frames its linked camera signed.
//!
//! A camera signs every frame with its Ed25519 device key ([`sign`]); the
//! display links the camera's public key once, at pairing ([`keys`]), and a
//! [`Verifier`] drops every foreign, tampered, replayed, stale or malformed
//! frame before it is decoded, counting each drop by reason ([`verify`]).
//! The wire format is in [`frame`] and `docs/FORMAT.md`.
//!
//! ```
//! use frameseal::{Codec, FrameSpec, LinkedKey, Policy, Signer, Verifier};
//!
//! let mut camera = Signer::from_secret(&[7; 32], [1; 16]);
//! let key = LinkedKey::from_bytes(camera.public_key()).expect("a valid key");
//! let mut display = Verifier::new(key, Policy::default()).expect("a valid policy");
//!
//! let now_us = 1_700_000_000_000_000;
//! let spec = FrameSpec { keyframe: true, codec: Codec::Jpeg, ..FrameSpec::at(now_us) };
//! let frame = camera.sign_frame(b"jpeg bytes", &spec).expect("signable");
//! let accepted = display.verify(&frame, now_us as i64).expect("genuine");
//! assert_eq!(accepted.payload, b"jpeg bytes");
//! assert!(display.verify(&frame, now_us as i64).is_err()); // a replay
//! ```
//!
//! The core is `no_std` + `alloc` and has no JS types; the JS binding
//! (`wasm/`, only on wasm32) converts between JS values and this API. The
//! binding builds for two targets with the same JS API: wasm32-unknown-unknown
//! (the modern build, with `std`) and wasm32v1-none (WebAssembly 1.0 for old
//! web views, built with `--no-default-features`; `bare.rs` gives it an
//! allocator and a panic handler).

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod calendar;
pub mod deframer;
pub mod fmp4;
pub mod fragment_filter;
pub mod frame;
pub mod gate;
pub mod inband;
pub mod keys;
pub mod memory;
pub mod pairing;
pub mod sign;
pub mod signed_video;
mod vartime;
pub mod verify;
pub mod video;

#[cfg(target_arch = "wasm32")]
pub mod wasm;
// The binding's float helpers are plain `core` code: tested natively too.
#[cfg(all(test, not(target_arch = "wasm32")))]
#[path = "wasm/float.rs"]
mod float;

pub use frame::{Codec, Frame, FrameError, Header};
pub use keys::{KeyError, KeyId, LinkedKey};
pub use memory::OutOfMemory;
pub use pairing::fingerprint;
pub use sign::{FrameSpec, SignError, Signer};
pub use verify::{Accepted, AuthenticSeal, DropReason, Head, Policy, PolicyError, Stats, Verifier};
