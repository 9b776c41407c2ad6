//! Benchmark hooks for `./build.sh bench`: the raw strict signature check
//! that `Verifier.verify` runs, without parsing, policy or the JS boundary.
//!
//! Compiled only with the `bench` feature, so the shipped package (`pkg/`)
//! carries no benchmark exports and its size is not inflated by them;
//! `./build.sh bench` builds a second, hooked package for the raw rows.
#![cfg(feature = "bench")]

use alloc::vec::Vec;
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;

use crate::keys::{KeyError, LinkedKey, PreparedKey};

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
    /// Links `publicKey` and builds its tables (what `new Verifier` does).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = publicKey)] public_key: &Uint8Array,
    ) -> Result<JsBenchKey, JsError> {
        let key = LinkedKey::from_bytes(&public_key.to_vec()).map_err(key_error)?;
        Ok(JsBenchKey {
            prepared: PreparedKey::new(key),
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
