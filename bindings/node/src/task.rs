//! Running core calls off the event loop.
//!
//! Each store-touching method returns a promise; its core call runs on a thread of the blocking
//! pool of napi's tokio runtime (not libuv's four-thread pool, which JavaScript callbacks may
//! need while the core waits for them). Panics are caught there; the result is converted to
//! JavaScript, or the error built, back on the JavaScript thread.

use std::panic::{AssertUnwindSafe, catch_unwind};

use napi::Env;
use napi::bindgen_prelude::{PromiseRaw, ToNapiValue, spawn_blocking};
use serde::Serialize;
use serde_json::Value;

use crate::convert::to_json;
use crate::error::{self, Failure};

/// Runs `work` (the arguments already converted, or the failure converting them) on a worker
/// thread and settles the returned promise with `finish(result)` on the JavaScript thread.
pub(crate) fn promise<'e, T, V>(
    env: &'e Env,
    work: impl FnOnce() -> Result<T, Failure> + Send + 'static,
    finish: impl FnOnce(T) -> V + 'static,
) -> napi::Result<PromiseRaw<'e, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
{
    let fut = async move {
        let out = spawn_blocking(move || guarded(work)).await;
        Ok(out.unwrap_or_else(|e| Err(Failure::Panic(e.to_string()))))
    };
    env.spawn_future_with_callback(fut, move |env, out| match out {
        Ok(t) => Ok(finish(t)),
        Err(f) => Err(error::to_js(env, f)),
    })
}

/// A promise of the core result's JSON shape: the common case.
pub(crate) fn json<'e, A, T>(
    env: &'e Env,
    args: Result<A, Failure>,
    work: impl FnOnce(A) -> deploygov::Result<T> + Send + 'static,
) -> napi::Result<PromiseRaw<'e, Value>>
where
    A: Send + 'static,
    T: Serialize,
{
    promise(env, move || to_json(&work(args?)?), |v| v)
}

/// Runs `work` on the current thread, catching a panic.
pub(crate) fn guarded<T>(work: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|p| Err(Failure::Panic(error::panic_message(p.as_ref()))))
}
