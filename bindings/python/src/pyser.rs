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

/// Serializer methods that convert a scalar itself into its Python object.
macro_rules! to_obj {
    ($($method:ident($t:ty)),+) => {
        $(fn $method(self, v: $t) -> Out<'py> {
            self.obj(v)
        })+
    };
}

/// Key serializer methods that write a number as its decimal text, as serde_json does.
macro_rules! to_text {
    ($($method:ident($t:ty)),+) => {
        $(fn $method(self, v: $t) -> Out<'py> {
            self.text(&v.to_string())
        })+
    };
}

/// serde's compound serializers (`SerializeSeq`, ...) over a container that pushes each element
/// (or named field) and finishes: they differ only in their trait and method names.
macro_rules! compound {
    ($ty:ident: $($tr:ident::$method:ident),+; named) => {
        $(impl<'py> ser::$tr for $ty<'py> {
            type Ok = Bound<'py, PyAny>;
            type Error = ConvertError;
            fn $method<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), ConvertError> {
                self.push(key, value)
            }
            fn end(self) -> Out<'py> {
                self.finish()
            }
        })+
    };
    ($ty:ident: $($tr:ident::$method:ident),+) => {
        $(impl<'py> ser::$tr for $ty<'py> {
            type Ok = Bound<'py, PyAny>;
            type Error = ConvertError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ConvertError> {
                self.push(value)
            }
            fn end(self) -> Out<'py> {
                self.finish()
            }
        })+
    };
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

    to_obj!(serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32), serialize_i64(i64));
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
    to_obj!(serialize_u8(u8), serialize_u16(u16), serialize_u32(u32), serialize_u64(u64));
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
        finish(self.variant, self.list.into_any())
    }
}

compound!(Seq: SerializeSeq::serialize_element, SerializeTuple::serialize_element);
compound!(Seq: SerializeTupleStruct::serialize_field, SerializeTupleVariant::serialize_field);

impl<'py> Map<'py> {
    fn push<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), ConvertError> {
        let py = self.dict.py();
        self.dict.set_item(PyString::intern(py, key), value.serialize(PySer { py })?)?;
        Ok(())
    }

    fn finish(self) -> Out<'py> {
        finish(self.variant, self.dict.into_any())
    }
}

/// A container as serde_json's `Value` has it: as it is, or `{variant: it}` for a variant's content.
fn finish<'py>(variant: Option<&'static str>, content: Bound<'py, PyAny>) -> Out<'py> {
    match variant {
        Some(v) => PySer { py: content.py() }.tagged(v, content),
        None => Ok(content),
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

compound!(Map: SerializeStruct::serialize_field, SerializeStructVariant::serialize_field; named);

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
    to_text!(serialize_i8(i8), serialize_i16(i16), serialize_i32(i32), serialize_i64(i64), serialize_i128(i128));
    to_text!(serialize_u8(u8), serialize_u16(u16), serialize_u32(u32), serialize_u64(u64), serialize_u128(u128));
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
