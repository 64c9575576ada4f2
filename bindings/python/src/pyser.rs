//! A serde `Serializer` that writes a core value straight into Python objects.
//!
//! It gives the objects `serde_json::to_value` followed by a conversion of each JSON value would
//! give (the shapes of serde_json's own `Value` serializer: `None` for unit, for `None` and for a
//! non-finite float, a variant's name as a string, `{variant: value}` for other variants, lists for
//! sequences and tuples, map keys as serde_json writes them), without the intermediate tree: no
//! allocation and no copy of each key and string on the Rust side (docs/performance.md, round 11).
//! Dictionaries keep the fields in declaration order where the JSON tree had them sorted; Python's
//! `dict` equality does not depend on order, and every record is read by its keys.

use std::fmt::Display;

use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use serde::Serialize;
use serde::ser::{self, Impossible};

/// Why a value could not be converted.
#[derive(Debug)]
pub enum ConvertError {
    /// A `Serialize` implementation (or the key rules) refused, with serde's message.
    Refused(String),
    /// A Python call failed (out of memory, say).
    Python(PyErr),
}

impl Display for ConvertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Refused(m) => f.write_str(m),
            Self::Python(e) => Display::fmt(e, f),
        }
    }
}

impl std::error::Error for ConvertError {}

impl ser::Error for ConvertError {
    fn custom<T: Display>(msg: T) -> Self {
        Self::Refused(msg.to_string())
    }
}

impl From<PyErr> for ConvertError {
    fn from(e: PyErr) -> Self {
        Self::Python(e)
    }
}

type Out<'py> = Result<Bound<'py, PyAny>, ConvertError>;

/// Converts `value` to Python objects.
pub fn to_python<'py, T: Serialize + ?Sized>(py: Python<'py>, value: &T) -> Out<'py> {
    value.serialize(PySer { py })
}

#[derive(Clone, Copy)]
struct PySer<'py> {
    py: Python<'py>,
}

impl<'py> PySer<'py> {
    fn obj<T: IntoPyObject<'py>>(self, v: T) -> Out<'py> {
        v.into_bound_py_any(self.py).map_err(ConvertError::Python)
    }

    /// `{variant: value}`, serde_json's form of a variant with content.
    fn tagged(self, variant: &'static str, value: Bound<'py, PyAny>) -> Out<'py> {
        let dict = PyDict::new(self.py);
        dict.set_item(variant, value)?;
        Ok(dict.into_any())
    }
}

/// A list being filled (sequence, tuple, tuple struct, or a tuple variant's content).
struct Seq<'py> {
    list: Bound<'py, PyList>,
    variant: Option<&'static str>,
}

/// A dict being filled (map, struct, or a struct variant's content).
struct Map<'py> {
    dict: Bound<'py, PyDict>,
    key: Option<Bound<'py, PyAny>>,
    variant: Option<&'static str>,
}

impl<'py> ser::Serializer for PySer<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ConvertError;
    type SerializeSeq = Seq<'py>;
    type SerializeTuple = Seq<'py>;
    type SerializeTupleStruct = Seq<'py>;
    type SerializeTupleVariant = Seq<'py>;
    type SerializeMap = Map<'py>;
    type SerializeStruct = Map<'py>;
    type SerializeStructVariant = Map<'py>;

    fn serialize_bool(self, v: bool) -> Out<'py> {
        self.obj(v)
    }
    fn serialize_i8(self, v: i8) -> Out<'py> {
        self.obj(v)
    }
    fn serialize_i16(self, v: i16) -> Out<'py> {
        self.obj(v)
    }
    fn serialize_i32(self, v: i32) -> Out<'py> {
        self.obj(v)
    }
    fn serialize_i64(self, v: i64) -> Out<'py> {
        self.obj(v)
    }
    fn serialize_i128(self, v: i128) -> Out<'py> {
        // As serde_json's `Value`: a number only within the 64-bit ranges.
        if let Ok(i) = i64::try_from(v) {
            self.obj(i)
        } else if let Ok(u) = u64::try_from(v) {
            self.obj(u)
        } else {
            Err(ConvertError::Refused("number out of range".into()))
        }
    }
    fn serialize_u8(self, v: u8) -> Out<'py> {
        self.obj(v)
    }
    fn serialize_u16(self, v: u16) -> Out<'py> {
        self.obj(v)
    }
    fn serialize_u32(self, v: u32) -> Out<'py> {
        self.obj(v)
    }
    fn serialize_u64(self, v: u64) -> Out<'py> {
        self.obj(v)
    }
    fn serialize_u128(self, v: u128) -> Out<'py> {
        match u64::try_from(v) {
            Ok(u) => self.obj(u),
            Err(_) => Err(ConvertError::Refused("number out of range".into())),
        }
    }
    fn serialize_f32(self, v: f32) -> Out<'py> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Out<'py> {
        // A non-finite float is `null` in JSON.
        if v.is_finite() { self.obj(v) } else { Ok(self.py.None().into_bound(self.py)) }
    }
    fn serialize_char(self, v: char) -> Out<'py> {
        self.obj(v.to_string())
    }
    fn serialize_str(self, v: &str) -> Out<'py> {
        Ok(PyString::new(self.py, v).into_any())
    }
    fn serialize_bytes(self, v: &[u8]) -> Out<'py> {
        // serde_json writes bytes as a list of numbers.
        Ok(PyList::new(self.py, v.iter().copied())?.into_any())
    }
    fn serialize_none(self) -> Out<'py> {
        Ok(self.py.None().into_bound(self.py))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Out<'py> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Out<'py> {
        Ok(self.py.None().into_bound(self.py))
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Out<'py> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Out<'py> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> Out<'py> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Out<'py> {
        let inner = value.serialize(self)?;
        self.tagged(variant, inner)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Seq<'py>, ConvertError> {
        Ok(Seq { list: PyList::empty(self.py), variant: None })
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq<'py>, ConvertError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Seq<'py>, ConvertError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Seq<'py>, ConvertError> {
        Ok(Seq { list: PyList::empty(self.py), variant: Some(variant) })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Map<'py>, ConvertError> {
        Ok(Map { dict: PyDict::new(self.py), key: None, variant: None })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Map<'py>, ConvertError> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Map<'py>, ConvertError> {
        Ok(Map { dict: PyDict::new(self.py), key: None, variant: Some(variant) })
    }
    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Out<'py> {
        self.obj(value.to_string())
    }
}

impl<'py> Seq<'py> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ConvertError> {
        self.list.append(value.serialize(PySer { py: self.list.py() })?)?;
        Ok(())
    }

    fn finish(self) -> Out<'py> {
        let py = self.list.py();
        match self.variant {
            Some(v) => PySer { py }.tagged(v, self.list.into_any()),
            None => Ok(self.list.into_any()),
        }
    }
}

impl<'py> ser::SerializeSeq for Seq<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ConvertError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ConvertError> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeTuple for Seq<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ConvertError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ConvertError> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeTupleStruct for Seq<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ConvertError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ConvertError> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeTupleVariant for Seq<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ConvertError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ConvertError> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> Map<'py> {
    fn finish(self) -> Out<'py> {
        let py = self.dict.py();
        match self.variant {
            Some(v) => PySer { py }.tagged(v, self.dict.into_any()),
            None => Ok(self.dict.into_any()),
        }
    }
}

impl<'py> ser::SerializeMap for Map<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ConvertError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ConvertError> {
        self.key = Some(key.serialize(KeySer { py: self.dict.py() })?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ConvertError> {
        let key = self.key.take().ok_or_else(|| ConvertError::Refused("a map value came without its key".into()))?;
        self.dict.set_item(key, value.serialize(PySer { py: self.dict.py() })?)?;
        Ok(())
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeStruct for Map<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ConvertError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), ConvertError> {
        self.dict.set_item(PyString::intern(self.dict.py(), key), value.serialize(PySer { py: self.dict.py() })?)?;
        Ok(())
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeStructVariant for Map<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ConvertError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), ConvertError> {
        self.dict.set_item(PyString::intern(self.dict.py(), key), value.serialize(PySer { py: self.dict.py() })?)?;
        Ok(())
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

/// A map key, as serde_json writes one: a string as it is; a bool, an integer or a finite float
/// as its text; a unit variant as its name; anything else refused.
struct KeySer<'py> {
    py: Python<'py>,
}

fn key_must_be_a_string() -> ConvertError {
    ConvertError::Refused("key must be a string".into())
}

impl<'py> KeySer<'py> {
    fn text(self, s: &str) -> Out<'py> {
        Ok(PyString::new(self.py, s).into_any())
    }

    /// A float key: serde_json's shortest round-trip text of a finite one, else refused.
    fn float(self, finite: bool, text: impl FnOnce() -> serde_json::Result<String>) -> Out<'py> {
        if !finite {
            return Err(ConvertError::Refused("float key must be finite (got NaN or +/-inf)".into()));
        }
        self.text(&text().map_err(|e| ConvertError::Refused(e.to_string()))?)
    }
}

impl<'py> ser::Serializer for KeySer<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ConvertError;
    type SerializeSeq = Impossible<Bound<'py, PyAny>, ConvertError>;
    type SerializeTuple = Impossible<Bound<'py, PyAny>, ConvertError>;
    type SerializeTupleStruct = Impossible<Bound<'py, PyAny>, ConvertError>;
    type SerializeTupleVariant = Impossible<Bound<'py, PyAny>, ConvertError>;
    type SerializeMap = Impossible<Bound<'py, PyAny>, ConvertError>;
    type SerializeStruct = Impossible<Bound<'py, PyAny>, ConvertError>;
    type SerializeStructVariant = Impossible<Bound<'py, PyAny>, ConvertError>;

    fn serialize_bool(self, v: bool) -> Out<'py> {
        self.text(if v { "true" } else { "false" })
    }
    fn serialize_i8(self, v: i8) -> Out<'py> {
        self.text(&v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Out<'py> {
        self.text(&v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Out<'py> {
        self.text(&v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Out<'py> {
        self.text(&v.to_string())
    }
    fn serialize_i128(self, v: i128) -> Out<'py> {
        self.text(&v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Out<'py> {
        self.text(&v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Out<'py> {
        self.text(&v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Out<'py> {
        self.text(&v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Out<'py> {
        self.text(&v.to_string())
    }
    fn serialize_u128(self, v: u128) -> Out<'py> {
        self.text(&v.to_string())
    }
    fn serialize_f32(self, v: f32) -> Out<'py> {
        self.float(v.is_finite(), || serde_json::to_string(&v))
    }
    fn serialize_f64(self, v: f64) -> Out<'py> {
        self.float(v.is_finite(), || serde_json::to_string(&v))
    }
    fn serialize_char(self, v: char) -> Out<'py> {
        self.text(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Out<'py> {
        self.text(v)
    }
    fn serialize_bytes(self, _v: &[u8]) -> Out<'py> {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> Out<'py> {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Out<'py> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit(self) -> Out<'py> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Out<'py> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Out<'py> {
        self.text(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> Out<'py> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(self, _: &'static str, _: u32, _: &'static str, _: &T) -> Out<'py> {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, ConvertError> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, ConvertError> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, ConvertError> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, ConvertError> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, ConvertError> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, ConvertError> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, ConvertError> {
        Err(key_must_be_a_string())
    }
    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Out<'py> {
        self.text(&value.to_string())
    }
}

/// Test support: a value of every shape serde can write, or one the key rules refuse, converted
/// by [`to_python`] next to serde_json's text of it (`tests/test_codec.py` compares the two).
pub(crate) mod sample {
    use std::collections::BTreeMap;

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
            ints: (
                i8::MIN,
                i16::MIN,
                i32::MIN,
                i64::MIN,
                u8::MAX,
                u16::MAX,
                u32::MAX,
                u64::MAX,
                i128::from(i64::MIN),
                u128::from(u64::MAX),
            ),
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
        "shapes" => both(py, &sample::shapes()),
        "more" => both(py, &sample::more()),
        "bad_key" => both(py, &sample::bad_key()),
        "too_big" => both(py, &sample::too_big()),
        "nan_key" => both(py, &sample::nan_key()),
        "refuses" => both(py, &sample::refuses()),
        other => Err(pyo3::exceptions::PyValueError::new_err(format!("no sample `{other}`"))),
    }
}
