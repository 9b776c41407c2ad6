//! The JS surface (SPEC §4): converts JS values to core types and core
//! results to plain JS objects. No policy lives here.
//!
//! Rules at this boundary:
//! - every argument is type-checked here (a `&[u8]` parameter would quietly
//!   accept a string or `null`), and bad input becomes a thrown JS `Error`
//!   whose message names the argument; nothing here can panic;
//! - option objects are read key by key, own properties only (a value
//!   inherited from `Object.prototype`, put there by any script on the
//!   page, is never read), and an unknown key is an error, so a typo
//!   (`maxAge` for `maxAgeMs`) never silently leaves a check at its
//!   default; `undefined` means "default", `null` means "off" where allowed;
//! - durations are whole milliseconds from 1 to 2^31 − 1 (what `setTimeout`
//!   takes without wrapping to 0), or `null` where a check can be off;
//! - the clock (`now`, user code) is read before the frame's bytes are
//!   looked at, and no user code runs from then until the verdict and the
//!   bytes it was given on are handed on;
//! - a frame is judged from its first 52 bytes before it is copied: a
//!   malformed, oversized or foreign frame is never copied into
//!   WebAssembly memory. Otherwise it is copied once, into a buffer reused
//!   across calls; a dropped frame that made that buffer grow gives the
//!   growth back, so dropped input leaves no memory behind;
//! - every copy out of a caller's buffer goes through a JS function whose
//!   exceptions are caught (a detached or shrunk buffer is an `Error`,
//!   never an exception unwinding through Rust with a borrow held);
//! - an accepted payload is a view of the caller's own frame bytes, or a
//!   copy of the verified bytes when the caller's buffer is shared memory
//!   (a `SharedArrayBuffer` of any realm, which another thread could change
//!   after the check);
//! - running out of memory is a thrown `Error`, with nothing changed.

#[cfg(all(target_arch = "wasm32", target_os = "none"))]
mod bare;
// The package's Signed Video part (pkg/signed-video/, `frameseal/signed-video`)
// is this crate built with the `signed-video` feature: SignedVideoGate,
// SignedVideoFragmentFilter and SignedVideoMseGate alone,
// so that the main module carries no P-256 / RSA / X.509 code and the part
// carries none of the main binding.
#[cfg_attr(feature = "signed-video", allow(dead_code))]
mod float;
#[cfg_attr(feature = "signed-video", allow(dead_code))]
mod interop;
#[cfg(feature = "signed-video")]
mod signed_video;
#[cfg_attr(feature = "signed-video", allow(dead_code))]
mod to_js;
#[cfg(feature = "signed-video")]
pub use signed_video::JsSignedVideoGate;
#[cfg(feature = "signed-video")]
mod signed_video_mse;
#[cfg(feature = "signed-video")]
pub use signed_video_mse::{JsSignedVideoFragmentFilter, JsSignedVideoMseGate};

#[cfg(not(feature = "signed-video"))]
mod bench;
#[cfg(not(feature = "signed-video"))]
mod frame_gate;
#[cfg(not(feature = "signed-video"))]
mod frame_reader;
#[cfg(not(feature = "signed-video"))]
mod mse;
// js/mse.js's player, for MseGate and (in the Signed Video part)
// SignedVideoMseGate.
mod mse_player;
#[cfg(not(feature = "signed-video"))]
mod pairing;
// Also in the Signed Video part, for `Screen::on_element`:
// SignedVideoMseGate's liveness is MseGate's. What needs the Verifier
// binding (the canvas gates' constructor, push and stats) is left out
// there. (Lines in screen.rs are not added above `Screen`'s code: its
// panic locations are in the main .wasm, which stays byte-identical.)
#[cfg_attr(feature = "signed-video", allow(dead_code, unused_imports))]
mod screen;
#[cfg(not(feature = "signed-video"))]
mod signer;
#[cfg(not(feature = "signed-video"))]
mod verifier;
#[cfg(not(feature = "signed-video"))]
mod video_gate;

#[cfg(not(feature = "signed-video"))]
pub use frame_gate::JsFrameGate;
#[cfg(not(feature = "signed-video"))]
pub use frame_reader::{JsFrameReader, frame_reader_stream};
#[cfg(not(feature = "signed-video"))]
pub use mse::{JsFragmentFilter, JsMseGate};
#[cfg(not(feature = "signed-video"))]
pub use pairing::{fingerprint, pairing_code, parse_pairing_code};
#[cfg(not(feature = "signed-video"))]
pub use signer::JsSigner;
#[cfg(not(feature = "signed-video"))]
pub use verifier::{JsVerifier, drop_reasons, frame_layout};
#[cfg(not(feature = "signed-video"))]
pub use video_gate::JsVideoGate;
