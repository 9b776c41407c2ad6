//! A `serde::Serialize` → `JsValue` serializer for the objects the binding
//! returns off the per-frame path (stats, reports, stream info), so they
//! are `#[derive(Serialize)]` structs rather than hand-written sets.
//!
//! Why not serde-wasm-bindgen: 0.6.5 (the latest) needs `std` (no
//! `#![no_std]`, no feature to turn it off; upstream issue
//! RReverser/serde-wasm-bindgen#77), and the WebAssembly 1.0 build
//! (wasm32v1-none) has none. This is the part of it the binding needs:
//!
//! - structs and maps → plain objects (keys in declaration / iteration
//!   order; map keys must be strings; `rename_all = "camelCase"` on each
//!   struct gives the JS names);
//! - every integer → a number, exact up to 2^53 − 1 and clamped there
//!   (no count gets that far), like [`count`](super::interop::count);
//!   floats → numbers; `bool`; strings; bytes → a `Uint8Array`;
//! - `None` and `()` → `null` (a field that must be missing instead takes
//!   `skip_serializing_if = "Option::is_none"`); sequences and tuples →
//!   arrays; unit enum variants → their (renamed) name.
//!
//! Other enum variants are refused ([`Unsupported`]): nothing uses them.
//! The result objects of the per-frame path are not made here: they are
//! built in one JS call each (interop.rs, `acceptedResult`).

use core::fmt;
use js_sys::{Array, Object, Reflect, Uint8Array};
use serde::Serialize;
use serde::ser::{self, Impossible};
use wasm_bindgen::JsValue;

/// `value` as a JS value. The binding's own types serialize without error;
/// were one to fail, the result is `undefined` (never a panic into JS).
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    value.serialize(Serializer).unwrap_or(JsValue::UNDEFINED)
}

/// [`to_js`] of a struct or map: the object, for the methods typed `Object`.
pub(crate) fn to_object<T: Serialize + ?Sized>(value: &T) -> Object {
    to_js(value).into()
}

/// A value kind this serializer does not map (non-unit enum variants, a
/// map key that is not a string).
#[derive(Debug)]
pub(crate) struct Unsupported;

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not representable as a JS value")
    }
}

impl core::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Unsupported
    }
}

const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// The serializer: stateless, each value makes its own JS value.
struct Serializer;

/// A plain object being filled (structs and maps); `key` is the map key
/// waiting for its value.
struct ObjectBuilder {
    object: Object,
    key: Option<JsValue>,
}

impl ObjectBuilder {
    fn set(&self, key: &JsValue, value: JsValue) {
        // A fresh plain object: the set cannot fail. (A key `__proto__`
        // would set the prototype instead; every key here is a field or
        // reason name of the binding's own.)
        let _ = Reflect::set(&self.object, key, &value);
    }
}

/// An array being filled (sequences and tuples).
struct ArrayBuilder(Array);

impl ser::Serializer for Serializer {
    type Ok = JsValue;
    type Error = Unsupported;
    type SerializeSeq = ArrayBuilder;
    type SerializeTuple = ArrayBuilder;
    type SerializeTupleStruct = ArrayBuilder;
    type SerializeTupleVariant = Impossible<JsValue, Unsupported>;
    type SerializeMap = ObjectBuilder;
    type SerializeStruct = ObjectBuilder;
    type SerializeStructVariant = Impossible<JsValue, Unsupported>;

    fn serialize_bool(self, v: bool) -> Result<JsValue, Unsupported> {
        Ok(JsValue::from_bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<JsValue, Unsupported> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<JsValue, Unsupported> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<JsValue, Unsupported> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<JsValue, Unsupported> {
        let n = v.unsigned_abs().min(MAX_SAFE_INTEGER) as f64;
        Ok(JsValue::from_f64(if v < 0 { -n } else { n }))
    }
    fn serialize_u8(self, v: u8) -> Result<JsValue, Unsupported> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<JsValue, Unsupported> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<JsValue, Unsupported> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<JsValue, Unsupported> {
        Ok(JsValue::from_f64(v.min(MAX_SAFE_INTEGER) as f64))
    }
    fn serialize_f32(self, v: f32) -> Result<JsValue, Unsupported> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<JsValue, Unsupported> {
        Ok(JsValue::from_f64(v))
    }
    fn serialize_char(self, v: char) -> Result<JsValue, Unsupported> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<JsValue, Unsupported> {
        Ok(JsValue::from_str(v))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<JsValue, Unsupported> {
        Ok(Uint8Array::from(v).into())
    }
    fn serialize_none(self) -> Result<JsValue, Unsupported> {
        Ok(JsValue::NULL)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<JsValue, Unsupported> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<JsValue, Unsupported> {
        Ok(JsValue::NULL)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<JsValue, Unsupported> {
        Ok(JsValue::NULL)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<JsValue, Unsupported> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<JsValue, Unsupported> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<JsValue, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<ArrayBuilder, Unsupported> {
        Ok(ArrayBuilder(Array::new()))
    }
    fn serialize_tuple(self, _: usize) -> Result<ArrayBuilder, Unsupported> {
        Ok(ArrayBuilder(Array::new()))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<ArrayBuilder, Unsupported> {
        Ok(ArrayBuilder(Array::new()))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<ObjectBuilder, Unsupported> {
        Ok(ObjectBuilder {
            object: Object::new(),
            key: None,
        })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<ObjectBuilder, Unsupported> {
        self.serialize_map(None)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Err(Unsupported)
    }
}

impl ser::SerializeSeq for ArrayBuilder {
    type Ok = JsValue;
    type Error = Unsupported;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Unsupported> {
        self.0.push(&v.serialize(Serializer)?);
        Ok(())
    }
    fn end(self) -> Result<JsValue, Unsupported> {
        Ok(self.0.into())
    }
}

impl ser::SerializeTuple for ArrayBuilder {
    type Ok = JsValue;
    type Error = Unsupported;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Unsupported> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<JsValue, Unsupported> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for ArrayBuilder {
    type Ok = JsValue;
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Unsupported> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<JsValue, Unsupported> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeMap for ObjectBuilder {
    type Ok = JsValue;
    type Error = Unsupported;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Unsupported> {
        let key = key.serialize(Serializer)?;
        if key.as_string().is_none() {
            return Err(Unsupported);
        }
        self.key = Some(key);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Unsupported> {
        let key = self.key.take().ok_or(Unsupported)?;
        self.set(&key, v.serialize(Serializer)?);
        Ok(())
    }
    fn end(self) -> Result<JsValue, Unsupported> {
        Ok(self.object.into())
    }
}

impl ser::SerializeStruct for ObjectBuilder {
    type Ok = JsValue;
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Unsupported> {
        self.set(&JsValue::from_str(key), v.serialize(Serializer)?);
        Ok(())
    }
    fn end(self) -> Result<JsValue, Unsupported> {
        Ok(self.object.into())
    }
}

/// Counts by name (drop reasons, GOP verdicts), serialized as a plain
/// object `{ [name]: n }` in the given order: the `dropped` and `gops`
/// objects of stats and reports.
pub(crate) struct Counts(pub(crate) alloc::vec::Vec<(&'static str, u64)>);

impl Serialize for Counts {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl FromIterator<(&'static str, u64)> for Counts {
    fn from_iter<I: IntoIterator<Item = (&'static str, u64)>>(iter: I) -> Counts {
        Counts(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec;
    use alloc::vec::Vec;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Sample {
        big_count: u64,
        below: i64,
        ratio: f64,
        gone: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        left_out: Option<u32>,
        name: String,
        bytes: serde_bytes_like::Bytes,
        list: Vec<u8>,
        dropped: Counts,
    }

    /// `&[u8]` through `serialize_bytes` (serde's slices are sequences).
    mod serde_bytes_like {
        pub(super) struct Bytes(pub(super) &'static [u8]);
        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(self.0)
            }
        }
    }

    fn json(value: &JsValue) -> String {
        js_sys::JSON::stringify(value).unwrap().into()
    }

    #[wasm_bindgen_test]
    fn a_struct_is_a_plain_object_with_camel_case_keys_in_order() {
        let value = to_js(&Sample {
            big_count: u64::MAX,
            below: i64::MIN,
            ratio: 0.5,
            gone: None,
            left_out: None,
            name: "x".into(),
            bytes: serde_bytes_like::Bytes(&[1, 2]),
            list: vec![3, 4],
            dropped: [("foreign-key", 2), ("stale", 0)].into_iter().collect(),
        });
        let object: &Object = value.unchecked_ref();
        assert_eq!(
            Object::get_prototype_of(object),
            Object::get_prototype_of(&Object::new())
        );
        let bytes = Reflect::get(object, &"bytes".into()).unwrap();
        assert_eq!(bytes.dyn_into::<Uint8Array>().unwrap().to_vec(), [1, 2]);
        assert_eq!(
            json(&value),
            r#"{"bigCount":9007199254740991,"below":-9007199254740991,"ratio":0.5,"gone":null,"name":"x","bytes":{"0":1,"1":2},"list":[3,4],"dropped":{"foreign-key":2,"stale":0}}"#
        );
    }

    #[derive(Serialize)]
    enum Shape {
        Plain,
        Carrying(u32),
    }

    #[wasm_bindgen_test]
    fn what_has_no_js_form_is_undefined_never_a_panic() {
        assert_eq!(to_js(&Shape::Plain).as_string().as_deref(), Some("Plain"));
        assert!(to_js(&Shape::Carrying(1)).is_undefined());
        let mut numeric_keys = alloc::collections::BTreeMap::new();
        numeric_keys.insert(1u8, 2u8);
        assert!(to_js(&numeric_keys).is_undefined());
    }
}
