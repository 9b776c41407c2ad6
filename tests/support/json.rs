//! JSON in the vector suites: reading fields of the published files and
//! of `tests/vectors/frames.json`, and writing that file.

use std::io;

use serde_json::Value;
use serde_json::ser::{Formatter, PrettyFormatter};

/// `v[key]` as a string; panics naming the field if it is not one.
pub fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key:?} is not a string in {v}"))
}

/// `v[key]` as an unsigned integer; panics naming the field if it is not one.
pub fn u64_of(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key:?} is not an integer in {v}"))
}

/// `v[key]` as a boolean; panics naming the field if it is not one.
pub fn bool_of(v: &Value, key: &str) -> bool {
    v[key]
        .as_bool()
        .unwrap_or_else(|| panic!("{key:?} is not a boolean in {v}"))
}

/// The element of the array `v[list]` whose `name` is `name`; panics if
/// there is none.
pub fn named<'a>(v: &'a Value, list: &str, name: &str) -> &'a Value {
    v[list]
        .as_array()
        .unwrap_or_else(|| panic!("{list:?} is not an array"))
        .iter()
        .find(|item| item["name"] == name)
        .unwrap_or_else(|| panic!("no {name:?} in {list:?}"))
}

/// A JSON document whose objects keep their keys in the order written
/// (`name` first, `expect` last reads better than sorted), printed by
/// serde_json's pretty printer. serde_json's own `Value` sorts keys unless
/// its `preserve_order` feature is on, and that feature would change the
/// key order of every serde_json user built with the tests (the CLI's and
/// the demo's JSON too), so the order is kept here instead.
pub enum Json {
    /// A string, number, boolean or null.
    Leaf(Value),
    Array(Vec<Json>),
    Object(Vec<(&'static str, Json)>),
}

impl Json {
    /// A leaf from anything serde_json makes a `Value` of.
    pub fn leaf(value: impl Into<Value>) -> Json {
        Json::Leaf(value.into())
    }

    /// The document as serde_json's `to_string_pretty` prints a value
    /// (two-space indent), with a final newline.
    pub fn to_pretty_string(&self) -> String {
        let mut out = Vec::new();
        self.write(&mut out, &mut PrettyFormatter::new())
            .expect("writing to memory");
        out.push(b'\n');
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }

    fn write(&self, w: &mut Vec<u8>, f: &mut PrettyFormatter) -> io::Result<()> {
        match self {
            Json::Leaf(value) => serde_json::to_writer(&mut *w, value)?,
            Json::Array(items) => {
                f.begin_array(w)?;
                for (i, item) in items.iter().enumerate() {
                    f.begin_array_value(w, i == 0)?;
                    item.write(w, f)?;
                    f.end_array_value(w)?;
                }
                f.end_array(w)?;
            }
            Json::Object(fields) => {
                f.begin_object(w)?;
                for (i, (key, value)) in fields.iter().enumerate() {
                    f.begin_object_key(w, i == 0)?;
                    serde_json::to_writer(&mut *w, key)?;
                    f.end_object_key(w)?;
                    f.begin_object_value(w)?;
                    value.write(w, f)?;
                    f.end_object_value(w)?;
                }
                f.end_object(w)?;
            }
        }
        Ok(())
    }
}
