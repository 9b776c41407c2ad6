//! Pairing helpers (SPEC §5.1): the fingerprint a person compares, and the
//! copyable pairing code.

use alloc::format;
use alloc::string::{String, ToString};
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;

use super::interop::{error, fixed_bytes, type_name};
use crate::keys::PUBLIC_KEY_LEN;

/// The pairing fingerprint of a 32-byte public key (SPEC §5.1), e.g.
/// `mzxw-6ytb-oi2d-qnbv`: what a person compares on camera and display.
#[wasm_bindgen]
pub fn fingerprint(
    #[wasm_bindgen(js_name = publicKey, unchecked_param_type = "Uint8Array")] public_key: JsValue,
) -> Result<String, JsError> {
    Ok(crate::pairing::fingerprint(&key_bytes(&public_key)?))
}

/// The pairing code of a 32-byte public key: a copyable text form
/// (`fs1-...`) in which a typo is caught and located (docs/PAIRING.md).
#[wasm_bindgen(js_name = pairingCode)]
pub fn pairing_code(
    #[wasm_bindgen(js_name = publicKey, unchecked_param_type = "Uint8Array")] public_key: JsValue,
) -> Result<String, JsError> {
    Ok(crate::pairing::encode(&key_bytes(&public_key)?))
}

/// The 32 bytes of a `publicKey` argument: what both text forms encode.
fn key_bytes(public_key: &JsValue) -> Result<[u8; PUBLIC_KEY_LEN], JsError> {
    fixed_bytes(public_key, "publicKey")
}

/// The public key in a pairing code; throws an Error that says where a
/// typo is, or why the key cannot be linked.
#[wasm_bindgen(js_name = parsePairingCode)]
pub fn parse_pairing_code(
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
) -> Result<Uint8Array, JsError> {
    let text = text
        .as_string()
        .ok_or_else(|| error(format!("text must be a string, got {}", type_name(&text))))?;
    crate::pairing::decode(&text)
        .map(|key| Uint8Array::from(&key.as_bytes()[..]))
        .map_err(|e| error(e.to_string()))
}
