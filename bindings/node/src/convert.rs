//! Arguments in, results out. Structured values cross as the core's serde JSON shapes (plain
//! objects with snake_case fields); an argument of the wrong JavaScript type is a `TypeError`, a
//! value of the right type whose content does not fit the core's shape is the core's
//! `invalid_input`.

use chrono::{DateTime, Utc};
use napi::bindgen_prelude::{FromNapiValue, Function, Object, Uint8ArraySlice, Unknown};
use napi::{JsValue, ValueType};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::Failure;

/// The signature callbacks are called with: one JSON argument, any return value.
pub(crate) type Callback<'e> = Function<'e, Value, Unknown<'static>>;

/// How a JavaScript type is named in messages.
pub(crate) fn type_name(v: &Unknown<'_>) -> &'static str {
    match v.get_type() {
        Ok(ValueType::Undefined) => "undefined",
        Ok(ValueType::Null) => "null",
        Ok(ValueType::Boolean) => "boolean",
        Ok(ValueType::Number) => "number",
        Ok(ValueType::String) => "string",
        Ok(ValueType::Symbol) => "symbol",
        Ok(ValueType::Object) if v.is_array().unwrap_or(false) => "array",
        Ok(ValueType::Object) if v.is_date().unwrap_or(false) => "Date",
        Ok(ValueType::Object) => "object",
        Ok(ValueType::Function) => "function",
        Ok(ValueType::BigInt) => "bigint",
        _ => "an unknown type",
    }
}

fn wrong(what: &str, expected: &str, v: &Unknown<'_>) -> Failure {
    Failure::Type(format!("`{what}` must be {expected}, got {}", type_name(v)))
}

fn napi_failure(what: &str, e: &napi::Error) -> Failure {
    Failure::Type(format!("`{what}` cannot be read: {}", e.reason))
}

fn is_nullish(v: &Unknown<'_>) -> bool {
    matches!(v.get_type(), Ok(ValueType::Undefined | ValueType::Null))
}

/// A required string.
pub(crate) fn string(v: Unknown<'_>, what: &str) -> Result<String, Failure> {
    if v.get_type().ok() != Some(ValueType::String) {
        return Err(wrong(what, "a string", &v));
    }
    // SAFETY: `v` is a live value of the current call's environment (an argument of it), and
    // it is a string (checked above): exactly what `String::from_napi_value` reads. This skips
    // `coerce_to_string` (a new handle) and the copy of `into_utf8().into_owned()`: the hot read
    // takes four of these per call.
    unsafe { v.cast::<String>() }.map_err(|e| napi_failure(what, &e))
}

/// Bytes of a string argument kept on the stack by [`str_arg`].
const INLINE_ARG: usize = 128;

/// A string argument borrowed as `&str` without allocating when it is short (the hot read's
/// four keys), and owned otherwise.
pub(crate) struct StrArg {
    inline: [u8; INLINE_ARG],
    len: usize,
    owned: Option<String>,
}

impl StrArg {
    pub(crate) fn as_str(&self) -> &str {
        match &self.owned {
            Some(s) => s,
            // INVARIANT: `inline[..len]` was checked to be UTF-8 when the argument was read.
            None => self.inline.get(..self.len).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or_default(),
        }
    }
}

/// A required string, as [`StrArg`]: one `napi_get_value_string_utf8` into a stack buffer when
/// it fits, otherwise the usual owned read. Same errors as [`string`].
pub(crate) fn str_arg(v: Unknown<'_>, what: &str) -> Result<StrArg, Failure> {
    let raw = v.value();
    let mut out = StrArg { inline: [0; INLINE_ARG], len: 0, owned: None };
    let mut len = 0usize;
    // SAFETY: `raw` is a live value of the current call's environment (an argument of it); the
    // buffer pointer and its length describe `out.inline`, which napi fills with at most
    // `INLINE_ARG - 1` bytes and a NUL, writing the byte count (without the NUL) to `len`.
    let status = unsafe { napi::sys::napi_get_value_string_utf8(raw.env, raw.value, out.inline.as_mut_ptr().cast(), INLINE_ARG, &mut len) };
    if status == napi::sys::Status::napi_string_expected {
        return Err(wrong(what, "a string", &v));
    }
    // INVARIANT: napi writes whole UTF-8 characters only, so a string cut short by the buffer
    // can stop up to 3 bytes before its end (`INLINE_ARG - 1` is the most it writes): anything
    // that long or longer may be cut short and is read again in full.
    if status != napi::sys::Status::napi_ok || len + 4 >= INLINE_ARG {
        // Possibly cut short (or an unexpected status): the full read reports it properly.
        out.owned = Some(string(v, what)?);
        return Ok(out);
    }
    if out.inline.get(..len).and_then(|b| std::str::from_utf8(b).ok()).is_none() {
        return Err(Failure::Type(format!("`{what}` cannot be read as UTF-8")));
    }
    out.len = len;
    Ok(out)
}

/// An instant given as an ISO-8601 (RFC 3339) string, any offset (`2026-03-01T09:00:00Z`). A
/// `Date` is refused like any other non-string (timestamps cross as strings, both ways), with a
/// hint at `toISOString()`; a string that is not such a time is the core's `invalid_input`.
pub(crate) fn time(v: Unknown<'_>, what: &str) -> Result<DateTime<Utc>, Failure> {
    if v.get_type().ok() != Some(ValueType::String) {
        let hint = if v.is_date().unwrap_or(false) { " (for a Date, pass `date.toISOString()`)" } else { "" };
        return Err(wrong(what, &format!("an ISO-8601 string{hint}"), &v));
    }
    let s = string(v, what)?;
    DateTime::parse_from_rfc3339(&s).map(|t| t.with_timezone(&Utc)).map_err(|e| {
        Failure::Core(deploygov::Error::InvalidInput(format!(
            "`{what}` must be an ISO-8601 time like `2026-01-15T09:00:00Z`, got `{s}`: {e}"
        )))
    })
}

/// An optional string: `undefined` and `null` are absent.
pub(crate) fn opt_string(v: Option<Unknown<'_>>, what: &str) -> Result<Option<String>, Failure> {
    match v {
        Some(v) if !is_nullish(&v) => string(v, what).map(Some),
        _ => Ok(None),
    }
}

/// An optional number that must be an integer in `min..=max`; `undefined` and `null` are absent.
fn opt_integer(v: Option<Unknown<'_>>, what: &str, min: f64, max: f64) -> Result<Option<f64>, Failure> {
    let Some(v) = v.filter(|v| !is_nullish(v)) else { return Ok(None) };
    if v.get_type().ok() != Some(ValueType::Number) {
        return Err(wrong(what, "a number", &v));
    }
    let n = v.coerce_to_number().and_then(|n| n.get_double()).map_err(|e| napi_failure(what, &e))?;
    if n.fract() != 0.0 || !(min..=max).contains(&n) {
        return Err(Failure::Type(format!("`{what}` must be an integer between {min} and {max}, got {n}")));
    }
    Ok(Some(n))
}

/// An optional page size or count (`u32`).
pub(crate) fn opt_u32(v: Option<Unknown<'_>>, what: &str) -> Result<Option<u32>, Failure> {
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "checked to be an integer in range")]
    Ok(opt_integer(v, what, 0.0, f64::from(u32::MAX))?.map(|n| n as u32))
}

/// An optional 64-bit counter given as a JavaScript number (so at most 2^53 - 1).
pub(crate) fn opt_i64(v: Option<Unknown<'_>>, what: &str) -> Result<Option<i64>, Failure> {
    const SAFE: f64 = 9_007_199_254_740_991.0;
    #[expect(clippy::cast_possible_truncation, reason = "checked to be a safe integer")]
    Ok(opt_integer(v, what, -SAFE, SAFE)?.map(|n| n as i64))
}

/// A number of seconds (fractions allowed).
pub(crate) fn seconds(v: Unknown<'_>, what: &str) -> Result<f64, Failure> {
    if v.get_type().ok() != Some(ValueType::Number) {
        return Err(wrong(what, "a number", &v));
    }
    let n = v.coerce_to_number().and_then(|n| n.get_double()).map_err(|e| napi_failure(what, &e))?;
    if !n.is_finite() {
        return Err(Failure::Type(format!("`{what}` must be a finite number, got {n}")));
    }
    Ok(n)
}

/// Any JSON-representable value; properties whose value is `undefined` are left out.
pub(crate) fn json(v: &Unknown<'_>, what: &str) -> Result<Value, Failure> {
    if v.get_type().ok() == Some(ValueType::Undefined) {
        return Ok(Value::Null);
    }
    // SAFETY: `v` is a live value of the current call or callback scope, and napi's
    // `serde_json::Value` conversion accepts a value of any JavaScript type (it checks the type
    // and returns an error for what JSON cannot hold).
    let r = unsafe { Value::from_napi_value(v.value().env, v.raw()) };
    r.map_err(|e| Failure::Type(format!("`{what}` is not plain data: {}", e.reason)))
}

/// A core value given as a plain object (`what` names the argument in messages).
pub(crate) fn object<T: DeserializeOwned>(v: Unknown<'_>, what: &str) -> Result<T, Failure> {
    if v.get_type().ok() != Some(ValueType::Object) || v.is_array().unwrap_or(false) {
        return Err(wrong(what, "an object", &v));
    }
    shaped(json(&v, what)?, what)
}

/// An optional core value: `undefined` and `null` give the core's default.
pub(crate) fn opt_object<T: DeserializeOwned + Default>(v: Option<Unknown<'_>>, what: &str) -> Result<T, Failure> {
    match v {
        Some(v) if !is_nullish(&v) => object(v, what),
        _ => Ok(T::default()),
    }
}

/// A list of core values given as an array.
pub(crate) fn array<T: DeserializeOwned>(v: Unknown<'_>, what: &str) -> Result<Vec<T>, Failure> {
    if !v.is_array().unwrap_or(false) {
        return Err(wrong(what, "an array", &v));
    }
    shaped(json(&v, what)?, what)
}

/// The core's reading of a JSON value; a mismatch is the core's `invalid_input`.
pub(crate) fn shaped<T: DeserializeOwned>(v: Value, what: &str) -> Result<T, Failure> {
    serde_json::from_value(v).map_err(|e| Failure::Core(deploygov::Error::InvalidInput(format!("invalid `{what}`: {e}"))))
}

/// The actor of a command: `{ id, roles }`.
pub(crate) fn actor(v: Unknown<'_>) -> Result<deploygov::Actor, Failure> {
    object(v, "actor")
}

/// Bytes given as a `Buffer` or `Uint8Array`, or `null` for none. `undefined` is refused: a key
/// left out by mistake must not silently mean "no key".
pub(crate) fn bytes(v: Unknown<'_>, what: &str) -> Result<Option<Vec<u8>>, Failure> {
    const EXPECTED: &str = "a Buffer, a Uint8Array or null";
    match v.get_type() {
        Ok(ValueType::Null) => return Ok(None),
        Ok(ValueType::Object) if v.is_typedarray().unwrap_or(false) => {}
        _ => return Err(wrong(what, EXPECTED, &v)),
    }
    // SAFETY: `v` is a live value of the current call scope and was just checked to be a typed
    // array; `Uint8ArraySlice::from_napi_value` checks its element type and refuses any other.
    // The slice borrows the array's memory only until it is copied, within this call.
    let slice = unsafe { Uint8ArraySlice::from_napi_value(v.value().env, v.raw()) };
    let slice = slice.map_err(|_| Failure::Type(format!("`{what}` must be {EXPECTED}, got another typed array")))?;
    Ok(Some(slice.to_vec()))
}

/// A callback function.
pub(crate) fn function<'e>(v: Unknown<'e>, what: &str) -> Result<Callback<'e>, Failure> {
    if v.get_type().ok() != Some(ValueType::Function) {
        return Err(wrong(what, "a function", &v));
    }
    // SAFETY: `v` is a live value of the current call scope and was just checked to be a
    // function, which is all `Function::from_napi_value` requires.
    let r = unsafe { Callback::from_napi_value(v.value().env, v.raw()) };
    r.map_err(|e| napi_failure(what, &e))
}

/// An optional callback function: `undefined` and `null` are absent.
pub(crate) fn opt_function<'e>(v: Option<Unknown<'e>>, what: &str) -> Result<Option<Callback<'e>>, Failure> {
    match v {
        Some(v) if !is_nullish(&v) => function(v, what).map(Some),
        _ => Ok(None),
    }
}

/// An optional options object, for reading its properties one by one.
pub(crate) fn opt_options<'e>(v: Option<Unknown<'e>>, what: &str) -> Result<Option<Object<'e>>, Failure> {
    match v {
        Some(v) if !is_nullish(&v) => {
            if v.get_type().ok() != Some(ValueType::Object) || v.is_array().unwrap_or(false) {
                return Err(wrong(what, "an object", &v));
            }
            v.coerce_to_object().map(Some).map_err(|e| napi_failure(what, &e))
        }
        _ => Ok(None),
    }
}

/// A core result as its serde JSON shape.
pub(crate) fn to_json<T: Serialize>(t: &T) -> Result<Value, Failure> {
    serde_json::to_value(t).map_err(unencodable)
}

/// A core result as JSON text.
pub(crate) fn to_json_text<T: Serialize>(t: &T) -> Result<String, Failure> {
    serde_json::to_string(t).map_err(unencodable)
}

fn unencodable(e: serde_json::Error) -> Failure {
    Failure::Core(deploygov::Error::Storage { message: format!("cannot encode result: {e}"), backend_code: None })
}

/// A JSON value out of a property of an options object.
pub(crate) fn property<'e>(o: &Object<'e>, name: &str) -> Result<Option<Unknown<'e>>, Failure> {
    o.get::<Unknown<'e>>(name).map_err(|e| napi_failure(name, &e))
}
