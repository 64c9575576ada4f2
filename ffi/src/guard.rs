//! The one guard around every exported body, and the checked conversions of C arguments.
//!
//! Every exported function reads all of its arguments through these helpers before it calls the
//! core, so a NULL pointer, invalid UTF-8 or malformed JSON is refused before anything changes,
//! and out-pointers are written only after the core call succeeded.

use std::any::Any;
use std::ffi::{CStr, c_char};
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use deploygov::Engine;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{DG_OK, DgError, Failure, owned_c_string, set_last};
use crate::handle::DgEngine;

/// Runs an exported body: a panic becomes `DG_ERROR_PANIC`, an error its status; the calling
/// thread's last error is set to the outcome either way.
pub(crate) fn guard(body: impl FnOnce() -> Result<(), Failure>) -> i32 {
    let outcome = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => None,
        Ok(Err(failure)) => Some(failure),
        Err(payload) => Some(Failure {
            status: DgError::Panic,
            message: format!("internal panic: {}", panic_message(payload.as_ref())),
            findings: None,
            backend_code: None,
        }),
    };
    let status = outcome.as_ref().map_or(DG_OK, |f| f.status as i32);
    set_last(outcome);
    status
}

/// The text of a panic payload.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

/// A borrowed, non-NULL, UTF-8 argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that stays valid and unchanged for `'a`.
pub(crate) unsafe fn text<'a>(p: *const c_char, what: &str) -> Result<&'a str, Failure> {
    if p.is_null() {
        return Err(Failure::invalid(format!("`{what}` must not be null")));
    }
    // SAFETY: `p` is not NULL, and the caller guarantees a NUL-terminated string living for `'a`.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map_err(|e| Failure::invalid(format!("`{what}` is not valid utf-8 (invalid byte at offset {})", e.valid_up_to())))
}

/// A borrowed UTF-8 argument that may be NULL.
///
/// # Safety
/// As [`text`].
pub(crate) unsafe fn opt_text<'a>(p: *const c_char, what: &str) -> Result<Option<&'a str>, Failure> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded contract of this function.
    unsafe { text(p, what) }.map(Some)
}

/// A borrowed RFC 3339 timestamp argument (`2026-03-01T09:00:00Z`; fractions and offsets allowed),
/// as UTC. Anything else is `invalid_input`, the message quoting (the start of) the text.
///
/// # Safety
/// As [`text`].
pub(crate) unsafe fn time(p: *const c_char, what: &str) -> Result<DateTime<Utc>, Failure> {
    // SAFETY: forwarded contract of this function.
    let s = unsafe { text(p, what) }?;
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).map_err(|e| {
        let shown: String = s.chars().take(64).collect();
        let more = if shown.len() < s.len() { "..." } else { "" };
        Failure::invalid(format!("`{what}` must be an RFC 3339 time like `2026-03-01T09:00:00Z`, got `{shown}{more}`: {e}"))
    })
}

/// An optional `uint32_t` argument: NULL means "not given".
///
/// # Safety
/// `p` is NULL or points to a readable `uint32_t`.
pub(crate) unsafe fn opt_u32(p: *const u32) -> Option<u32> {
    // SAFETY: the caller guarantees `p` is NULL or readable; `as_ref` maps NULL to `None`.
    unsafe { p.as_ref() }.copied()
}

/// A JSON argument decoded into a core type.
///
/// # Safety
/// As [`text`].
pub(crate) unsafe fn json<T: DeserializeOwned>(p: *const c_char, what: &str) -> Result<T, Failure> {
    // SAFETY: forwarded contract of this function.
    let s = unsafe { text(p, what) }?;
    decode(s, what)
}

/// A JSON argument that may be NULL (then the type's default).
///
/// # Safety
/// As [`text`].
pub(crate) unsafe fn opt_json<T: DeserializeOwned + Default>(p: *const c_char, what: &str) -> Result<T, Failure> {
    // SAFETY: forwarded contract of this function.
    match unsafe { opt_text(p, what) }? {
        Some(s) => decode(s, what),
        None => Ok(T::default()),
    }
}

/// Decodes JSON text, naming the argument in the error.
pub(crate) fn decode<T: DeserializeOwned>(s: &str, what: &str) -> Result<T, Failure> {
    serde_json::from_str(s).map_err(|e| Failure::invalid(format!("invalid json in `{what}`: {}", e.to_string().to_lowercase())))
}

/// The engine behind a handle.
///
/// # Safety
/// `p` is NULL or a handle from `dg_engine_open*` that has not been freed.
pub(crate) unsafe fn engine(p: *const DgEngine) -> Result<Arc<Engine>, Failure> {
    // SAFETY: the caller guarantees `p` is NULL or a live handle; `as_ref` maps NULL to `None`.
    match unsafe { p.as_ref() } {
        Some(handle) => handle.get(),
        None => Err(Failure::invalid("`engine` must not be null")),
    }
}

/// A checked, non-NULL out-pointer, written at most once, after success.
pub(crate) struct Out<'a, T> {
    ptr: *mut T,
    _borrow: PhantomData<&'a mut T>,
}

impl<'a, T> Out<'a, T> {
    /// Checks that `p` is not NULL.
    ///
    /// # Safety
    /// `p` is NULL or valid and aligned for writing one `T` during `'a`.
    pub(crate) unsafe fn new(p: *mut T, what: &str) -> Result<Self, Failure> {
        if p.is_null() {
            return Err(Failure::invalid(format!("`{what}` must not be null")));
        }
        Ok(Self { ptr: p, _borrow: PhantomData })
    }

    /// An optional out-pointer: NULL means the caller does not want that value.
    ///
    /// # Safety
    /// As [`Out::new`].
    pub(crate) unsafe fn optional(p: *mut T) -> Option<Self> {
        (!p.is_null()).then_some(Self { ptr: p, _borrow: PhantomData })
    }

    /// Writes the value.
    pub(crate) fn write(self, value: T) {
        // SAFETY: `ptr` is not NULL (checked at construction) and valid for one write during `'a`
        // by the contract of `new`/`optional`; the old value is a plain C value with no drop.
        unsafe { self.ptr.write(value) }
    }
}

impl Out<'_, *mut c_char> {
    /// Writes an owned C string (released by `dg_string_free`).
    pub(crate) fn string(self, s: &str) {
        self.write(owned_c_string(s));
    }

    /// Writes `value` as an owned JSON string.
    pub(crate) fn json<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Failure> {
        let s = serde_json::to_string(value).map_err(|e| Failure {
            status: DgError::Storage,
            message: format!("cannot encode the result as json: {e}"),
            findings: None,
            backend_code: None,
        })?;
        self.string(&s);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{dg_error_name, dg_last_error_code, dg_last_error_message};
    use crate::handle::dg_string_free;

    #[test]
    fn a_panic_becomes_its_own_status() {
        let status = guard(|| panic!("boom"));
        assert_eq!(status, DgError::Panic as i32);
        assert_eq!(dg_last_error_code(), 100);
        let msg = dg_last_error_message();
        // SAFETY: a fresh owned string from the library.
        let text = unsafe { CStr::from_ptr(msg) }.to_str().unwrap().to_owned();
        // SAFETY: `msg` came from the library and is freed once.
        unsafe { dg_string_free(msg) };
        assert_eq!(text, "internal panic: boom");
        // SAFETY: static string.
        assert_eq!(unsafe { CStr::from_ptr(dg_error_name(100)) }.to_str().unwrap(), "panic");
        assert_eq!(guard(|| Ok(())), DG_OK);
        assert!(dg_last_error_message().is_null());
    }

    #[test]
    fn timestamps_are_rfc_3339_in_utc() {
        // SAFETY: static NUL-terminated strings.
        let t = unsafe { time(c"2026-03-01T10:00:00.5+01:00".as_ptr(), "at") }.unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-01T09:00:00.500+00:00");
        for bad in [c"yesterday", c"", c"2026-03-01", c"2026-03-01T09:00:00", c"2026-13-01T09:00:00Z"] {
            // SAFETY: static NUL-terminated strings.
            let f = unsafe { time(bad.as_ptr(), "at") }.unwrap_err();
            assert_eq!(f.status, DgError::InvalidInput);
            assert!(f.message.starts_with("`at` must be an RFC 3339 time like `2026-03-01T09:00:00Z`, got `"), "{}", f.message);
        }
        let long = std::ffi::CString::new("x".repeat(10_000)).unwrap();
        // SAFETY: a live NUL-terminated string.
        let f = unsafe { time(long.as_ptr(), "at") }.unwrap_err();
        assert!(f.message.len() < 200 && f.message.contains("xxx...`"), "{}", f.message);
        // SAFETY: NULL is allowed.
        let f = unsafe { time(std::ptr::null(), "at") }.unwrap_err();
        assert_eq!(f.message, "`at` must not be null");
    }
}
