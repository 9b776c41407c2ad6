//! Benchmark hooks for `./build.sh bench`: the raw strict signature check
//! that `Verifier.verify` runs, without parsing, policy or the JS boundary,
//! and the stages of `Verifier.verifyUnit` one by one.
//!
//! Compiled only with the `bench` feature, so the shipped package (`pkg/`)
//! carries no benchmark exports and its size is not inflated by them;
//! `./build.sh bench` builds a second, hooked package for the raw rows.
#![cfg(feature = "bench")]

use alloc::string::String;
use alloc::vec::Vec;
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;

use crate::inband::{self, Layout, UnitCodec, UnitFormat};
use crate::keys::{KeyError, LinkedKey, PreparedKey, Tables};

/// One linked key, a loaded message and signature, and two ways to check
/// them: the per-key tables `Verifier` uses, and plain ed25519-dalek.
#[wasm_bindgen(js_name = BenchKey)]
pub struct JsBenchKey {
    prepared: PreparedKey,
    message: Vec<u8>,
    signature: [u8; 64],
}

#[wasm_bindgen(js_class = BenchKey)]
impl JsBenchKey {
    /// Links `publicKey` and builds its tables (what `new Verifier` does),
    /// of the kind `tables` names (`'fast'` when absent, or `'compact'`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = publicKey)] public_key: &Uint8Array,
        tables: Option<String>,
    ) -> Result<JsBenchKey, JsError> {
        let key = LinkedKey::from_bytes(&public_key.to_vec()).map_err(key_error)?;
        let tables = match tables.as_deref() {
            None => Tables::Fast,
            Some(name) => Tables::from_name(name)
                .ok_or_else(|| JsError::new("tables must be 'fast' or 'compact'"))?,
        };
        let prepared =
            PreparedKey::try_with_tables(key, tables).map_err(|_| JsError::new("out of memory"))?;
        Ok(JsBenchKey {
            prepared,
            message: Vec::new(),
            signature: [0; 64],
        })
    }

    /// Copies `message` and `signature` into WebAssembly memory once, so
    /// the loops below time the check alone.
    pub fn load(&mut self, message: &Uint8Array, signature: &Uint8Array) -> Result<(), JsError> {
        if signature.length() != 64 {
            return Err(JsError::new("signature must be 64 bytes"));
        }
        self.message = message.to_vec();
        signature.copy_to(&mut self.signature);
        Ok(())
    }

    /// Runs `PreparedKey::verify_strict` on the loaded message `times`
    /// times; returns how many passed.
    #[wasm_bindgen(js_name = verifyPrepared)]
    pub fn verify_prepared(&self, times: u32) -> u32 {
        (0..times)
            .filter(|_| {
                self.prepared
                    .verify_strict(&self.message, &self.signature)
                    .is_ok()
            })
            .count() as u32
    }

    /// Runs plain ed25519-dalek `verify_strict` (no per-key tables) `times`
    /// times; returns how many passed.
    #[wasm_bindgen(js_name = verifyDalek)]
    pub fn verify_dalek(&self, times: u32) -> u32 {
        let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(self.prepared.key().as_bytes())
        else {
            return 0;
        };
        let signature = ed25519_dalek::Signature::from_bytes(&self.signature);
        (0..times)
            .filter(|_| key.verify_strict(&self.message, &signature).is_ok())
            .count() as u32
    }
}

/// Short error text, without the formatting machinery.
fn key_error(e: KeyError) -> JsError {
    JsError::new(match e {
        KeyError::WrongLength(_) => "publicKey must be 32 bytes",
        KeyError::NotAPoint | KeyError::NonCanonical => "publicKey is not a curve point",
        _ => "publicKey is of small order",
    })
}

/// The stages of `Verifier.verifyUnit` on one loaded H.264 (Annex B)
/// access unit, each alone, to see where a unit's time goes.
#[wasm_bindgen(js_name = BenchUnit)]
pub struct JsBenchUnit {
    unit: Vec<u8>,
    keyframe: bool,
}

#[wasm_bindgen(js_class = BenchUnit)]
impl JsBenchUnit {
    /// Copies `unit` (a sealed H.264 access unit) into WebAssembly memory.
    #[wasm_bindgen(constructor)]
    pub fn new(unit: &Uint8Array, keyframe: bool) -> JsBenchUnit {
        JsBenchUnit {
            unit: unit.to_vec(),
            keyframe,
        }
    }

    /// `stage` `times` times: 0 finds the seal, 1 measures the content
    /// (no hash), 2 hashes the content (the pass that feeds BLAKE3), 3
    /// hashes the whole unit with BLAKE3 in one piece. Returns a checksum
    /// of the results, so that nothing is optimised away.
    pub fn run(&self, stage: u32, times: u32) -> u32 {
        let format = UnitFormat::new(UnitCodec::H264, Layout::AnnexB).ok();
        let Some(format) = format else { return 0 };
        let mut sum = 0u32;
        for _ in 0..times {
            sum = sum.wrapping_add(match stage {
                0 => inband::find_seal(&self.unit, format)
                    .ok()
                    .flatten()
                    .map_or(0, |b| b.head().len() as u32),
                1 => inband::content(&self.unit, format, self.keyframe, None, &mut |_| {})
                    .map_or(0, |n| n as u32),
                2 => {
                    let mut hasher = blake3::Hasher::new();
                    let _ = inband::content(&self.unit, format, self.keyframe, None, &mut |p| {
                        hasher.update(p);
                    });
                    u32::from(hasher.finalize().as_bytes()[0])
                }
                _ => u32::from(blake3::hash(&self.unit).as_bytes()[0]),
            });
        }
        sum
    }
}
