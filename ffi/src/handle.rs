//! The engine handle: open, close, free; the string release function; the library version.

use std::ffi::{CString, c_char, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, PoisonError, RwLock};

use deploygov::{Clock, Engine, SystemClock};

use crate::callbacks::{CClock, DgClockFn, DgFreeFn, UserData};
use crate::error::Failure;
use crate::guard::{Out, guard, text};

/// An open deploygov engine (opaque). Create with `dg_engine_open()`, release with
/// `dg_engine_free()`. Safe to use from several threads at once.
pub struct DgEngine {
    /// `None` once closed. Calls clone the `Arc` and release the lock at once, so a close never
    /// waits for (or breaks) calls in flight: the engine is dropped when the last one returns.
    inner: RwLock<Option<Arc<Engine>>>,
}

impl DgEngine {
    /// The engine, or `invalid_input` once closed.
    pub(crate) fn get(&self) -> Result<Arc<Engine>, Failure> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        inner.clone().ok_or_else(|| Failure::invalid("the engine is closed"))
    }

    fn close(&self) {
        let taken = self.inner.write().unwrap_or_else(PoisonError::into_inner).take();
        drop(taken);
    }
}

fn open(path: &str, clock: Arc<dyn Clock>) -> Result<Box<DgEngine>, Failure> {
    let engine = Engine::with_store(deploygov::store::open(path)?, clock);
    Ok(Box::new(DgEngine { inner: RwLock::new(Some(Arc::new(engine))) }))
}

/// Opens an engine on the SQLite database at `path` (created and migrated if missing; `":memory:"`
/// for a private in-memory store), or on the PostgreSQL database at a `postgres://` or
/// `postgresql://` URL (migrated if needed), with the system clock.
///
/// On success `*out` receives a new handle owned by the caller: release it with
/// `dg_engine_free()`. On failure `*out` is not written.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_engine_open(path: *const c_char, out: *mut *mut DgEngine) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (path, out) = unsafe { (text(path, "path")?, Out::new(out, "out")?) };
        out.write(Box::into_raw(open(path, Arc::new(SystemClock))?));
        Ok(())
    })
}

/// Like `dg_engine_open()`, with a host clock: `now(user_data)` returns the current time in
/// microseconds since the Unix epoch (UTC). Tests use it to control approval expiry. A value
/// outside the representable range falls back to the system clock.
///
/// Ownership of `user_data` passes to the library in every case: `free_user_data` (may be NULL)
/// is called once when the engine is dropped, or before this function returns if it fails.
/// `now` may be called from any thread that uses the engine, so it must be thread-safe.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `out` is NULL or valid for writing one pointer;
/// `now` and `free_user_data` are NULL or valid functions for `user_data`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_engine_open_with_clock(
    path: *const c_char,
    now: DgClockFn,
    user_data: *mut c_void,
    free_user_data: DgFreeFn,
    out: *mut *mut DgEngine,
) -> i32 {
    // Created first so every failure below still releases `user_data`.
    let data = UserData::new(user_data, free_user_data);
    guard(move || {
        // SAFETY: the pointer contract above.
        let (path, out) = unsafe { (text(path, "path")?, Out::new(out, "out")?) };
        let now = now.ok_or_else(|| Failure::invalid("`now` must not be null"))?;
        out.write(Box::into_raw(open(path, Arc::new(CClock::new(now, data)))?));
        Ok(())
    })
}

/// Closes an engine: the store is released once calls in flight on other threads return, and
/// every later call on the handle fails with `DG_ERROR_INVALID_INPUT` ("the engine is closed").
/// Closing twice is not an error. The handle itself must still be released with
/// `dg_engine_free()`.
///
/// # Safety
/// `engine` is NULL or a handle from `dg_engine_open*` that has not been freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_engine_close(engine: *const DgEngine) -> i32 {
    guard(|| {
        // SAFETY: the caller guarantees `engine` is NULL or a live handle.
        match unsafe { engine.as_ref() } {
            Some(handle) => {
                handle.close();
                Ok(())
            }
            None => Err(Failure::invalid("`engine` must not be null")),
        }
    })
}

/// Releases an engine handle (closing it first). NULL is ignored.
///
/// After this call the pointer is dangling: using it again, or freeing it twice, is undefined
/// behavior. To stop other threads safely, call `dg_engine_close()` first and free the handle
/// once no thread can reach it any more.
///
/// # Safety
/// `engine` is NULL or a handle from `dg_engine_open*` that has not been freed, and no other
/// thread uses it during or after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_engine_free(engine: *mut DgEngine) {
    if engine.is_null() {
        return;
    }
    // SAFETY: a non-NULL pointer from `Box::into_raw` in `dg_engine_open*`, freed once.
    let handle = unsafe { Box::from_raw(engine) };
    // Dropping closes SQLite and runs host `free_user_data` callbacks; never unwind into C.
    let _ = catch_unwind(AssertUnwindSafe(move || drop(handle)));
}

/// Releases a string returned by this library. NULL is ignored. Do not call free() on library
/// strings, and do not pass strings from anywhere else.
///
/// # Safety
/// `s` is NULL or a string returned by this library that has not been released.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_string_free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    // SAFETY: a non-NULL string from `CString::into_raw` in this library, released once.
    drop(unsafe { CString::from_raw(s) });
}

/// The library version (`"0.1.0"`). The string is static: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn dg_library_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
