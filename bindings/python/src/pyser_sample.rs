//! Test support for `pyser.rs` (`tests/test_codec.py`): values of every shape serde can write,
//! and ones the conversion refuses, each converted by [`crate::pyser`] next to the text of
//! serde_json's `Value` of it ([`conversion_sample`]).

use std::collections::BTreeMap;

use pyo3::prelude::*;
use serde::Serialize;

#[derive(Serialize)]
struct Unit;

#[derive(Serialize)]
struct Newtype(u8);

#[derive(Serialize)]
struct Pair(i32, &'static str);

#[derive(Serialize)]
enum Variant {
    Plain,
    Wrapped(i64),
    Tuple(u8, bool),
    Fields { a: Option<f64>, b: Vec<char> },
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Tagged {
    Weekly { day: &'static str },
}

#[derive(Serialize)]
struct Flat {
    id: &'static str,
    #[serde(flatten)]
    rest: BTreeMap<&'static str, i32>,
}

#[derive(Serialize)]
struct Shapes {
    unit: (),
    unit_struct: Unit,
    newtype: Newtype,
    pair: Pair,
    tuple: (u8, f32, &'static str),
    variants: Vec<Variant>,
    tagged: Tagged,
    flat: Flat,
    bytes: serde_bytes_like::Bytes,
    ints: (i8, i16, i32, i64, u8, u16, u32, u64, i128, u128),
    floats: Vec<f64>,
    text: String,
    int_keys: BTreeMap<i64, &'static str>,
    bool_keys: BTreeMap<bool, u8>,
    char_keys: BTreeMap<char, u8>,
    variant_keys: BTreeMap<Key, u8>,
    json: serde_json::Value,
    none: Option<u8>,
}

#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Left,
    Right,
}

mod serde_bytes_like {
    /// Serialized with `serialize_bytes` (serde's default for `&[u8]` is a sequence).
    pub(super) struct Bytes(pub(super) &'static [u8]);
    impl serde::Serialize for Bytes {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }
}

/// The value of every shape.
pub(crate) fn shapes() -> impl Serialize {
    Shapes {
        unit: (),
        unit_struct: Unit,
        newtype: Newtype(7),
        pair: Pair(-3, "x"),
        tuple: (1, 0.5, "y"),
        variants: vec![
            Variant::Plain,
            Variant::Wrapped(i64::MIN),
            Variant::Tuple(2, true),
            Variant::Fields { a: Some(f64::NAN), b: vec!['é', '🚀'] },
            Variant::Fields { a: None, b: vec![] },
        ],
        tagged: Tagged::Weekly { day: "mon" },
        flat: Flat { id: "f", rest: BTreeMap::from([("k", 1), ("j", 2)]) },
        bytes: serde_bytes_like::Bytes(&[0, 1, 255]),
        ints: (i8::MIN, i16::MIN, i32::MIN, i64::MIN, u8::MAX, u16::MAX, u32::MAX, u64::MAX, i128::from(i64::MIN), u128::from(u64::MAX)),
        floats: vec![0.1, -0.0, 1e300, 5e-324, f64::INFINITY, 2.0],
        text: "ü ✓ 日本 \u{7f} \n \" \\ 🚀".into(),
        int_keys: BTreeMap::from([(-1, "a"), (i64::MAX, "b")]),
        bool_keys: BTreeMap::from([(false, 0), (true, 1)]),
        char_keys: BTreeMap::from([('z', 26)]),
        variant_keys: BTreeMap::from([(Key::Left, 1), (Key::Right, 2)]),
        json: serde_json::json!({"z": [1, 2.5, null, {"a": true}], "a": "b"}),
        none: None,
    }
}

/// Keys of every kind serde_json's `Value` accepts, written through `collect_map`.
struct Keys;
impl Serialize for Keys {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry(&0.1f64, "f64")?;
        m.serialize_entry(&-0.0f64, "negative zero")?;
        m.serialize_entry(&1e300f64, "large")?;
        m.serialize_entry(&0.1f32, "f32")?;
        m.serialize_entry(&i128::MIN, "i128")?;
        m.serialize_entry(&u128::MAX, "u128")?;
        m.serialize_entry(&Newtype(9), "newtype")?;
        m.end()
    }
}

/// Written with `collect_str`.
struct Shown;
impl Serialize for Shown {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}-{}", 1, "two"))
    }
}

#[derive(Serialize)]
struct More {
    keys: Keys,
    shown: Shown,
    f32s: Vec<f32>,
    negative_zero: f64,
    empty_list: Vec<u8>,
    empty_map: BTreeMap<String, u8>,
    empty_struct_variant: Variant,
}

/// More shapes: float, 128-bit and newtype keys, `collect_str`, f32 values that are not exact
/// in binary, a negative zero, empty containers.
pub(crate) fn more() -> impl Serialize {
    More {
        keys: Keys,
        shown: Shown,
        f32s: vec![0.1, 16_777_216.0, f32::MAX, f32::NAN],
        negative_zero: -0.0,
        empty_list: vec![],
        empty_map: BTreeMap::new(),
        empty_struct_variant: Variant::Fields { a: Some(0.0), b: vec![] },
    }
}

/// A map whose keys are lists: refused, as serde_json's `Value` refuses it.
pub(crate) fn bad_key() -> impl Serialize {
    BTreeMap::from([(vec![1], 1)])
}

/// A number beyond 64 bits: refused, as serde_json's `Value` refuses it.
pub(crate) fn too_big() -> impl Serialize {
    vec![i128::MAX]
}

/// A non-finite float as a map key: refused, as serde_json's `Value` refuses it.
pub(crate) fn nan_key() -> impl Serialize {
    struct NanKey;
    impl Serialize for NanKey {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut m = s.serialize_map(Some(1))?;
            m.serialize_entry(&f64::NAN, &1)?;
            m.end()
        }
    }
    NanKey
}

/// A value whose `Serialize` fails: the error every result's conversion gives.
pub(crate) fn refuses() -> impl Serialize {
    struct Refuses;
    impl Serialize for Refuses {
        fn serialize<S: serde::Serializer>(&self, _s: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("this value refuses"))
        }
    }
    vec![Refuses]
}

/// Test support (`tests/test_codec.py`): `(the value converted to Python, the text of
/// serde_json's `Value` of it)` for the sample `which` (`shapes`, `more`, or one of the refused
/// ones: `bad_key`, `too_big`, `nan_key`, `refuses`, which raise the conversion's error, as
/// every result's would).
///
/// The reference is the `Value`'s text, not serde_json's text of the value itself: the two differ
/// for `f32` (the `Value` widens it to `f64`), for numbers beyond 64 bits and for `Some` keys (the
/// `Value` refuses them), and the old conversion went through the `Value`.
#[pyfunction]
pub(crate) fn conversion_sample<'py>(py: Python<'py>, which: &str) -> PyResult<(Bound<'py, PyAny>, String)> {
    fn both<'py, T: Serialize>(py: Python<'py>, v: &T) -> PyResult<(Bound<'py, PyAny>, String)> {
        let text =
            serde_json::to_value(v).and_then(|value| serde_json::to_string(&value)).unwrap_or_else(|e| format!("serde_json refused: {e}"));
        Ok((crate::convert::to_py(py, v)?, text))
    }
    match which {
        "shapes" => both(py, &shapes()),
        "more" => both(py, &more()),
        "bad_key" => both(py, &bad_key()),
        "too_big" => both(py, &too_big()),
        "nan_key" => both(py, &nan_key()),
        "refuses" => both(py, &refuses()),
        other => Err(pyo3::exceptions::PyValueError::new_err(format!("no sample `{other}`"))),
    }
}
