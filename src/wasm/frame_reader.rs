//! `FrameReader` and `frameReaderStream`: frames back to back on a
//! byte stream (an HTTP body, a file), fed in chunks of any size and
//! verified as each one completes. Where frames start, resync, the search
//! inside a long frame nothing vouches for yet (a forged header holds no
//! frame back) and the memory and work bounds are the core's
//! (`crate::deframer`); this file converts JS values, and `js/reader.js` wraps
//! a reader in a WHATWG `TransformStream`.
//!
//! Rules at this boundary (as in `mod.rs`):
//! - arguments are type-checked here and bad input throws an `Error` whose
//!   message names it; nothing here panics;
//! - a chunk is copied into WebAssembly memory [`WINDOW`] bytes at a time,
//!   so a chunk of any size costs that much memory on top of the reader's
//!   buffer (at most one frame of `maxPayloadBytes`), never its own size;
//! - the clock is read once per `push` (all frames completed by one chunk
//!   are judged at the same instant), before anything is consumed, so a
//!   throwing `now()` leaves the reader as it was;
//! - the only JS calls that could throw while the reader is mid-chunk (a
//!   copy of a frame out of WebAssembly memory) are caught, so no exception
//!   unwinds through Rust.

use alloc::vec::Vec;
use js_sys::{Array, Object, Uint8Array};
use wasm_bindgen::prelude::*;

use serde::Serialize;

use super::interop::{VerifierStats, bytes_arg, copy_from, dropped_result, error};
use super::to_js::to_object;
use super::verifier::JsVerifier;
use crate::deframer::{Boundaries, Candidate, FrameReader, Judge, SealCandidate};

/// Bytes of a pushed chunk copied into WebAssembly memory at a time.
const WINDOW: usize = 64 * 1024;

#[wasm_bindgen(typescript_custom_section)]
const TS_READER_TYPES: &str = r#"
/** FrameReader counts: the Verifier's, plus how the byte stream was cut. */
export interface FrameReaderStats extends VerifierStats {
  /** Bytes pushed so far. */
  inputBytes: number;
  /** Candidate frames handed to the verifier (each also counted in accepted or dropped). */
  frames: number;
  /** Bytes given up while searching for a frame start: garbage, the bytes of frames whose length nothing vouched for, truncated frames. */
  skippedBytes: number;
  /** How often the reader lost the frame boundaries and searched again. */
  resyncs: number;
  /** Bytes held, waiting for the rest of a frame. */
  bufferedBytes: number;
}
"#;

#[wasm_bindgen(module = "/js/reader.js")]
extern "C" {
    #[wasm_bindgen(js_name = copyBytes, catch)]
    fn copy_bytes(view: &[u8]) -> Result<Uint8Array, JsValue>;
    #[wasm_bindgen(js_name = transformStream, catch)]
    fn transform_stream(reader: JsFrameReader) -> Result<JsValue, JsValue>;
}

/// Verifies frames that arrive back to back on a byte stream, in chunks of
/// any size: an HTTP body, a file. After garbage or a corrupted frame it
/// finds the next frame again, and counts the bytes it skipped; a header
/// claiming a long payload (forged, or hit by a bit flip) does not hold
/// back the frames behind it.
#[wasm_bindgen(js_name = FrameReader)]
pub struct JsFrameReader {
    verifier: JsVerifier,
    reader: FrameReader,
    /// Reused copy of the part of a chunk being read; at most [`WINDOW`].
    window: Vec<u8>,
}

#[wasm_bindgen(js_class = FrameReader)]
impl JsFrameReader {
    /// A reader whose frames are checked against `linkedPublicKey` with the
    /// Verifier `options`. Throws on a bad key or option.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = linkedPublicKey, unchecked_param_type = "Uint8Array")]
        linked_public_key: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "VerifierOptions")] options: JsValue,
    ) -> Result<JsFrameReader, JsError> {
        let verifier = JsVerifier::new(linked_public_key, options)?;
        let reader = FrameReader::for_verifier(verifier.core());
        Ok(JsFrameReader {
            verifier,
            reader,
            window: Vec::new(),
        })
    }

    /// Feeds the next bytes of the stream; returns the verify results of the
    /// frames they completed (often none, or several), in the order they
    /// completed: accepted frames in stream order, and a dropped frame found
    /// inside a longer one before it.
    #[wasm_bindgen(unchecked_return_type = "VerifyResult[]")]
    pub fn push(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] chunk: JsValue,
    ) -> Result<Array, JsError> {
        // The clock first: `now()` is user code and may touch the chunk.
        let now_us = self.verifier.clock().now_us()?;
        let chunk = bytes_arg(&chunk, "chunk")?;
        let results = Array::new();
        let mut failed = false;
        let len = chunk.length();
        let mut at = 0u32;
        while at < len {
            let end = at.saturating_add(WINDOW as u32).min(len);
            let n = (end - at) as usize;
            self.window.resize(n, 0);
            copy_from(&chunk, at, &mut self.window)?;
            let mut judge = JsJudge {
                verifier: &mut self.verifier,
                results: &results,
                failed: &mut failed,
                now_us,
            };
            self.reader.push_to(&self.window, &mut judge);
            at = end;
        }
        match failed {
            false => Ok(results),
            true => Err(error(
                "push: out of memory copying a frame out of WebAssembly memory",
            )),
        }
    }

    /// Ends the stream: an incomplete frame (whose length may have been
    /// garbage) is given up and its bytes skipped; the frames inside it were
    /// verified as they arrived. Returns the verify results of frames it
    /// completes (none: every frame is verified as soon as its last byte
    /// arrives). The reader can then read a new stream.
    #[wasm_bindgen(unchecked_return_type = "VerifyResult[]")]
    pub fn finish(&mut self) -> Result<Array, JsError> {
        let now_us = self.verifier.clock().now_us()?;
        let results = Array::new();
        let mut failed = false;
        let mut judge = JsJudge {
            verifier: &mut self.verifier,
            results: &results,
            failed: &mut failed,
            now_us,
        };
        self.reader.finish_to(&mut judge);
        match failed {
            false => Ok(results),
            true => Err(error(
                "finish: out of memory copying a frame out of WebAssembly memory",
            )),
        }
    }

    /// The Verifier's counts plus the reader's: `{ accepted, dropped,
    /// inputBytes, frames, skippedBytes, resyncs, bufferedBytes }`.
    #[wasm_bindgen(unchecked_return_type = "FrameReaderStats")]
    pub fn stats(&self) -> Object {
        let s = self.reader.stats();
        to_object(&Stats {
            verifier: VerifierStats::of(self.verifier.core().stats()),
            input_bytes: s.input_bytes,
            frames: s.frames,
            skipped_bytes: s.skipped_bytes,
            resyncs: s.resyncs,
            buffered_bytes: self.reader.buffered() as u64,
        })
    }

    /// The key frames are checked against now (changes only with an
    /// accepted key-rotation frame).
    #[wasm_bindgen(getter, js_name = linkedPublicKey)]
    pub fn linked_public_key(&self) -> Uint8Array {
        Uint8Array::from(&self.verifier.core().linked_key().as_bytes()[..])
    }
}

/// The reader's judge: whole candidates through [`judge`], and a
/// version-2 seal alone as soon as it is in (a forged or foreign one is
/// dropped then, with its result, instead of holding the stream back).
struct JsJudge<'a> {
    verifier: &'a mut JsVerifier,
    results: &'a Array,
    failed: &'a mut bool,
    now_us: i64,
}

impl Judge for JsJudge<'_> {
    fn frame(&mut self, candidate: Candidate<'_>) -> Boundaries {
        judge(
            self.verifier,
            self.results,
            self.failed,
            candidate,
            self.now_us,
        )
    }

    fn seal(&mut self, seal: SealCandidate<'_>) -> Option<Boundaries> {
        match self
            .verifier
            .core_mut()
            .authenticate_seal(seal.seal, seal.frame_len)
        {
            Ok(_) => Some(Boundaries::Authenticated),
            Err(reason) => {
                self.results.push(&dropped_result(reason.name()));
                Some(Boundaries::Unauthenticated)
            }
        }
    }
}

/// Verifies one candidate and appends its JS result.
fn judge(
    verifier: &mut JsVerifier,
    results: &Array,
    failed: &mut bool,
    candidate: Candidate<'_>,
    now_us: i64,
) -> Boundaries {
    // The payload of an accepted frame is a view of this copy, which the
    // caller owns: the reader's buffer is reused for the next frame.
    let Ok(frame) = copy_bytes(candidate.bytes) else {
        *failed = true;
        return Boundaries::Unauthenticated;
    };
    let Ok((result, verdict)) = verifier.check(&frame, now_us) else {
        *failed = true;
        return Boundaries::Unauthenticated;
    };
    results.push(&result);
    Boundaries::of(&verdict)
}

/// A WHATWG `TransformStream` that takes the bytes of a stream of frames
/// and yields one verify result per frame, so
/// `response.body.pipeThrough(frameReaderStream(key, options))` works.
/// Throws on a bad key or option, like `new FrameReader`.
#[wasm_bindgen(
    js_name = frameReaderStream,
    unchecked_return_type = "TransformStream<Uint8Array, VerifyResult>"
)]
pub fn frame_reader_stream(
    #[wasm_bindgen(js_name = linkedPublicKey, unchecked_param_type = "Uint8Array")]
    linked_public_key: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "VerifierOptions")] options: JsValue,
) -> Result<JsValue, JsError> {
    let reader = JsFrameReader::new(linked_public_key, options)?;
    transform_stream(reader)
        .map_err(|_| error("frameReaderStream: this environment has no TransformStream"))
}

/// `FrameReader.stats()` (`FrameReaderStats`): the Verifier's counts, then
/// the reader's.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Stats {
    #[serde(flatten)]
    verifier: VerifierStats,
    input_bytes: u64,
    frames: u64,
    skipped_bytes: u64,
    resyncs: u64,
    buffered_bytes: u64,
}
