//! Running core calls off the event loop.
//!
//! Each store-touching method returns a promise; its core call runs on a thread of the blocking
//! pool of napi's tokio runtime (not libuv's four-thread pool, which JavaScript callbacks may
//! need while the core waits for them). Panics are caught there; the result is converted to
//! JavaScript, or the error built, back on the JavaScript thread.

use std::panic::{AssertUnwindSafe, catch_unwind};

use napi::bindgen_prelude::{Function, JsObjectValue, Object, PromiseRaw, ToNapiValue, Unknown, spawn_blocking};
use napi::{Env, JsString, JsValue, sys};
use serde::Serialize;
use serde_json::Value;

use crate::convert::to_json_text;
use crate::error::{self, Failure};

/// Runs `work` (the arguments already converted, or the failure converting them) on a worker
/// thread and settles the returned promise with `finish(result)` on the JavaScript thread.
///
/// INVARIANT: two thread hand-overs per call, the least a promise can take: the JavaScript
/// thread hands `work` to a blocking-pool thread, which settles the deferred promise through
/// its threadsafe function. Awaiting the blocking task from a future on napi's runtime instead
/// (`Env::spawn_future_with_callback`) takes four (the runtime's worker, the blocking thread,
/// the worker again, the JavaScript thread), and a thread wakeup costs 20-25 µs on the 2-vCPU
/// VM of docs/performance.md.
pub(crate) fn promise<'e, T, V>(
    env: &'e Env,
    work: impl FnOnce() -> Result<T, Failure> + Send + 'static,
    finish: impl FnOnce(&Env, T) -> napi::Result<V> + Send + 'static,
) -> napi::Result<PromiseRaw<'e, V>>
where
    T: Send + 'static,
    V: ToNapiValue + 'static,
{
    let (deferred, promise) = env.create_deferred()?;
    drop(spawn_blocking(move || {
        let out = guarded(work);
        deferred.resolve(move |env| match out {
            Ok(t) => finish(&env, t),
            Err(f) => Err(error::to_js(&env, f)),
        });
    }));
    Ok(PromiseRaw::new(env.raw(), promise.raw()))
}

/// A promise of the core result's JSON shape: the common case.
///
/// The result is encoded as JSON text on the worker thread and decoded by `JSON.parse` on the
/// JavaScript thread: one call into V8, where building the object property by property through
/// N-API takes one call per key and value (a deployment has dozens).
pub(crate) fn json<'e, A, T>(
    env: &'e Env,
    args: Result<A, Failure>,
    work: impl FnOnce(A) -> deploygov::Result<T> + Send + 'static,
) -> napi::Result<PromiseRaw<'e, Value>>
where
    A: Send + 'static,
    T: Serialize,
{
    let promise = promise(env, move || to_json_text(&work(args?)?), |env, text| parse(env, &text))?;
    Ok(PromiseRaw::new(env.raw(), promise.raw()))
}

/// A value made on the JavaScript thread, in the scope of the promise it settles.
///
/// INVARIANT: only built by [`parse`] inside a promise's resolver; napi-rs converts the
/// resolver's result in the same handle scope right after it returns, so the handle is live.
pub(crate) struct Made(sys::napi_value);

impl ToNapiValue for Made {
    unsafe fn to_napi_value(_env: sys::napi_env, made: Self) -> napi::Result<sys::napi_value> {
        Ok(made.0)
    }
}

/// `JSON.parse(text)`, on the JavaScript thread.
pub(crate) fn parse(env: &Env, text: &str) -> napi::Result<Made> {
    let json: Object<'_> = env.get_global()?.get_named_property("JSON")?;
    let parse: Function<'_, JsString<'_>, Unknown<'_>> = json.get_named_property("parse")?;
    Ok(Made(parse.call(env.create_string(text)?)?.raw()))
}

/// Runs `work` on the current thread, catching a panic.
pub(crate) fn guarded<T>(work: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|p| Err(Failure::Panic(error::panic_message(p.as_ref()))))
}
