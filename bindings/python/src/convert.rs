//! Structured values cross the boundary as the core's serde JSON, held as plain Python data
//! (`dict`, `list`, `str`, `int`, `float`, `bool`, `None`). Python types that are not JSON data
//! are a `TypeError`; data the core cannot read (missing fields, unknown enum strings, wrong
//! nested types) is the core's `invalid_input`.

use deploygov::Error;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

/// Nesting deeper than this is refused (it also bounds the recursion).
const MAX_DEPTH: usize = 64;

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".to_owned())
}

/// Converts plain Python data to JSON.
fn to_value(obj: &Bound<'_, PyAny>, what: &str, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(format!("{what} is nested more than {MAX_DEPTH} levels deep")));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_cow()?.into_owned()));
    }
    if let Ok(i) = obj.cast::<PyInt>() {
        if let Ok(v) = i.extract::<i64>() {
            return Ok(Value::Number(v.into()));
        }
        if let Ok(v) = i.extract::<u64>() {
            return Ok(Value::Number(v.into()));
        }
        return Err(PyValueError::new_err(format!("{what} contains an integer outside the 64-bit range")));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let v = f.value();
        return Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| PyValueError::new_err(format!("{what} contains the float `{v}`, which is not JSON data")));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = Map::new();
        for (k, v) in d.iter() {
            let key = k
                .cast::<PyString>()
                .map_err(|_| PyTypeError::new_err(format!("{what} has a key of type {}; keys must be str", type_name(&k))))?;
            map.insert(key.to_cow()?.into_owned(), to_value(&v, what, depth + 1)?);
        }
        return Ok(Value::Object(map));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for item in obj.try_iter()? {
            items.push(to_value(&item?, what, depth + 1)?);
        }
        return Ok(Value::Array(items));
    }
    Err(PyTypeError::new_err(format!("{what} contains a value of type {}, which is not JSON data", type_name(obj))))
}

/// Reads a core value from plain Python data. The top level must be a `dict` (`expected` names
/// what the caller may pass, for the `TypeError`).
pub fn from_py<T: DeserializeOwned>(obj: &Bound<'_, PyAny>, what: &str, expected: &str) -> PyResult<T> {
    if !obj.is_instance_of::<PyDict>() {
        return Err(PyTypeError::new_err(format!("{what} must be {expected}, got {}", type_name(obj))));
    }
    let value = to_value(obj, what, 0)?;
    let py = obj.py();
    serde_json::from_value(value).map_err(|e| crate::errors::to_py_err(py, Error::InvalidInput(format!("invalid {what}: {e}"))))
}

/// Reads a list of core values from a list or tuple of plain Python data.
pub fn list_from_py<T: DeserializeOwned>(obj: &Bound<'_, PyAny>, what: &str, expected: &str) -> PyResult<Vec<T>> {
    if !(obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>()) {
        return Err(PyTypeError::new_err(format!("{what} must be {expected}, got {}", type_name(obj))));
    }
    let value = to_value(obj, what, 0)?;
    let py = obj.py();
    serde_json::from_value(value).map_err(|e| crate::errors::to_py_err(py, Error::InvalidInput(format!("invalid {what}: {e}"))))
}

/// Serializes a core value to plain Python data (written straight into Python objects: see
/// [`crate::pyser`]).
pub fn to_py<'py, T: Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    crate::pyser::to_python(py, value).map_err(|e| match e {
        crate::pyser::ConvertError::Python(e) => e,
        crate::pyser::ConvertError::Refused(m) => {
            crate::errors::to_py_err(py, Error::Storage { message: format!("cannot serialize a result: {m}"), backend_code: None })
        }
    })
}

/// Builds the typed record `deploygov.model.<class>` from a core value.
pub fn record<'py, T: Serialize>(py: Python<'py>, class: &str, value: &T) -> PyResult<Bound<'py, PyAny>> {
    let data = to_py(py, value)?;
    py.import("deploygov.model")?.getattr(class)?.call_method1("from_dict", (data,))
}
