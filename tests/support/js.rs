//! The wasm-bindgen suites' view of JS: values, plain objects, thrown
//! errors, the fixed clock, and calls made from JS (re-entrancy). No std:
//! `tests/mvp/` compiles these suites for wasm32v1-none.

extern crate alloc;

use alloc::string::String;

use frameseal::wasm::JsSigner;
use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsError, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The fixed clock of the suites' verifiers, in ms since the epoch.
pub const NOW_MS: f64 = 1_700_000_000_000.0;
/// The same instant in µs, the capture time of a fresh test frame.
pub const NOW_US: f64 = NOW_MS * 1000.0;
/// The stream the suites' cameras sign for.
pub const STREAM: [u8; 16] = [0x5A; 16];

pub fn s(text: &str) -> JsValue {
    JsValue::from_str(text)
}

pub fn num(n: f64) -> JsValue {
    JsValue::from_f64(n)
}

/// `bytes` copied into a new Uint8Array.
pub fn u8a(bytes: &[u8]) -> Uint8Array {
    Uint8Array::from(bytes)
}

/// `bytes` copied into a new Uint8Array, as a plain JS value.
pub fn jv(bytes: &[u8]) -> JsValue {
    u8a(bytes).into()
}

/// `target[key]`.
pub fn get<T: AsRef<JsValue>>(target: &T, key: &str) -> JsValue {
    Reflect::get(target.as_ref(), &s(key)).unwrap_or_else(|_| panic!("get {key}"))
}

/// A plain object with the given properties, set in order (a later key
/// overrides an earlier one).
pub fn obj(props: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (key, value) in props {
        Reflect::set(&o, &s(key), value).expect("set");
    }
    o.into()
}

/// Evaluates a JS function body and returns its result.
pub fn js(body: &str) -> JsValue {
    Function::new_no_args(body)
        .call0(&JsValue::UNDEFINED)
        .unwrap_or_else(|e| panic!("JS `{body}` threw {e:?}"))
}

/// A `now` option that always answers [`NOW_MS`].
pub fn clock() -> JsValue {
    Function::new_no_args("return 1700000000000").into()
}

/// Unwraps a call that must not throw; on a throw, fails with its message.
pub trait OrFail<T> {
    fn or_fail(self, what: &str) -> T;
}

impl<T> OrFail<T> for Result<T, JsError> {
    #[track_caller]
    fn or_fail(self, what: &str) -> T {
        match self {
            Ok(value) => value,
            Err(e) => {
                let e: JsValue = e.into();
                panic!("{what} threw: {:?}", get(&e, "message"))
            }
        }
    }
}

/// The message of the `Error` a call threw. Fails (naming `what`) if the
/// call succeeded, threw something that is not an `Error`, or trapped.
#[track_caller]
pub fn thrown<T>(result: Result<T, JsError>, what: &str) -> String {
    let error: JsValue = match result {
        Ok(_) => panic!("{what}: expected a thrown Error, the call succeeded"),
        Err(e) => e.into(),
    };
    assert!(
        error.is_instance_of::<js_sys::Error>(),
        "{what}: thrown value is not an Error: {error:?}"
    );
    assert!(
        !error.is_instance_of::<js_sys::WebAssembly::RuntimeError>(),
        "{what}: a trap reached JS: {error:?}"
    );
    get(&error, "message").as_string().expect("message")
}

/// Asserts the call threw an `Error` whose message names every needle.
#[track_caller]
pub fn assert_throws<T>(result: Result<T, JsError>, needles: &[&str]) {
    assert_names(&thrown(result, "the call"), needles, "the call");
}

/// Asserts an error message names every needle.
#[track_caller]
pub fn assert_names(message: &str, needles: &[&str], what: &str) {
    for needle in needles {
        assert!(
            message.contains(needle),
            "{what}: message {message:?} does not name {needle:?}"
        );
    }
}

/// A camera whose secret key is 32 bytes of `seed`.
pub fn camera(seed: u8) -> JsSigner {
    JsSigner::new(jv(&[seed; 32])).or_fail("a 32-byte secret")
}

/// Whether a pixel read back from a canvas is `rgb`, within `tolerance`
/// per channel (encoders and scaling move colours a little).
pub fn close_to(pixel: &[u8], rgb: [u8; 3], tolerance: u8) -> bool {
    pixel
        .iter()
        .zip(rgb)
        .all(|(&a, b)| a.abs_diff(b) <= tolerance)
}

/// Calls `target[method](arg)` from JS, as a page would: the exported
/// class's own JS glue runs (borrow checks, `free`).
pub fn call_method(target: &JsValue, method: &str, arg: &JsValue) -> Result<JsValue, JsValue> {
    Function::new_with_args("t, m, a", "return t[m](a);").call3(
        &JsValue::UNDEFINED,
        target,
        &s(method),
        arg,
    )
}

/// What a promise settles to.
pub async fn settled(promise: JsValue) -> Result<JsValue, JsValue> {
    JsFuture::from(Promise::from(promise)).await
}

/// A `now` option that, the first time it is called once `holder.gate`
/// is set, pushes `holder.frame` into `holder.gate` from inside the clock
/// and keeps the promise in `holder.inner`; it answers `Date.now()`.
pub fn clock_that_pushes(holder: &Object) -> JsValue {
    Function::new_with_args(
        "h",
        "return () => { if (h.gate && !h.started) { h.started = true; h.inner = h.gate.push(h.frame); } return Date.now(); };",
    )
    .call1(&JsValue::UNDEFINED, holder)
    .expect("clock")
}
