//! JavaScript functions as the core's `Executor`, `Validator` and `Subscriber`.
//!
//! Executors and validators: the core calls them on a worker thread (an executor between store
//! transactions, a validator before the write transaction, with no store lock held). Each call is
//! queued to the JavaScript thread through a threadsafe function; the worker then waits for the
//! outcome: the return value, or, when the function returns a promise, what the promise settles
//! to. A throw or a rejection is an `Err` with its message (the core turns it into a failed item
//! or an error finding). The JavaScript thread never waits for the worker, so the event loop
//! stays free while the core works, and a callback may itself await calls on the same engine;
//! the worker never waits forever: after `timeout` the call counts as failed.
//!
//! Subscribers: the core hands each event to them after the command's transaction commits, on the
//! command's worker thread. The call is queued to the JavaScript thread and the worker does not
//! wait for it; whatever the subscriber returns, throws or rejects with is dropped there.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::Duration;

use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, JsValue, Status, ValueType};
use serde::Serialize;
use serde_json::Value;

use crate::convert::{self, Callback};

/// A threadsafe function taking one JSON argument; weak, so a registered validator or subscriber
/// does not keep the process alive.
type Tsfn = ThreadsafeFunction<Value, Unknown<'static>, Value, Status, false, true>;

/// What the worker receives: the callback's value (as JSON, when asked for) or its failure.
type Outcome = Result<Value, String>;

/// A JavaScript function the core may call from any thread.
pub(crate) struct JsCallback {
    tsfn: Tsfn,
    timeout: Duration,
    /// `executor` or `validator`, for messages.
    role: &'static str,
}

impl JsCallback {
    /// Wraps `f`; must run on the JavaScript thread.
    pub(crate) fn new(f: &Callback<'_>, timeout: Duration, role: &'static str) -> napi::Result<Self> {
        let tsfn = f.build_threadsafe_function::<Value>().weak::<true>().build()?;
        Ok(Self { tsfn, timeout, role })
    }

    /// Calls the function with `arg` from a worker thread and waits for the outcome. With
    /// `want_value`, the (awaited) return value comes back as JSON; otherwise it is ignored.
    fn call(&self, arg: Value, want_value: bool) -> Outcome {
        let (tx, rx) = mpsc::channel::<Outcome>();
        let status = self.tsfn.call_with_return_value(arg, ThreadsafeFunctionCallMode::NonBlocking, move |ret, env| {
            settle(ret, &env, want_value, tx);
            Ok(())
        });
        if status != Status::Ok {
            return Err(format!("cannot call the {} ({status})", self.role));
        }
        match rx.recv_timeout(self.timeout) {
            Ok(outcome) => outcome,
            Err(RecvTimeoutError::Timeout) => Err(format!("the {} did not settle within {} ms", self.role, self.timeout.as_millis())),
            Err(RecvTimeoutError::Disconnected) => Err(format!("the {} was dropped before it settled", self.role)),
        }
    }
}

/// Runs on the JavaScript thread with what the function returned (or threw), and sends the
/// outcome once it is known: now, or when the returned promise settles.
fn settle(ret: napi::Result<Unknown<'static>>, env: &Env, want_value: bool, tx: Sender<Outcome>) {
    let outcome = match ret {
        Err(e) if e.reason.is_empty() => Err("the callback threw a value that is not an Error".to_owned()),
        Err(e) => Err(e.reason),
        Ok(v) => match v.is_promise() {
            Ok(true) => match await_promise(env, &v, want_value, tx.clone()) {
                Ok(()) => return,
                Err(e) => Err(format!("cannot await the returned promise: {}", e.reason)),
            },
            Ok(false) => value(&v, want_value),
            Err(e) => Err(e.reason),
        },
    };
    // The worker may have given up (timeout); nobody to tell then.
    let _ = tx.send(outcome);
}

/// Sends the outcome of a promise when it settles. Both handlers always return normally, so the
/// promises they create never reject unhandled.
fn await_promise(env: &Env, v: &Unknown<'_>, want_value: bool, tx: Sender<Outcome>) -> napi::Result<()> {
    let promise: PromiseRaw<'_, Unknown<'_>> = PromiseRaw::new(env.raw(), v.raw());
    let ok_tx = tx.clone();
    let then = promise.then(move |ctx| {
        let _ = ok_tx.send(value(&ctx.value, want_value));
        Ok(())
    })?;
    then.catch(move |ctx: napi::bindgen_prelude::CallbackContext<Unknown<'_>>| {
        let _ = tx.send(Err(describe(&ctx.value)));
        Ok(())
    })?;
    Ok(())
}

fn value(v: &Unknown<'_>, want_value: bool) -> Outcome {
    if !want_value {
        return Ok(Value::Null);
    }
    convert::json(v, "returned value").map_err(|e| match e {
        crate::error::Failure::Type(m) => m,
        other => format!("{other:?}"),
    })
}

/// The message of a rejection reason.
fn describe(v: &Unknown<'_>) -> String {
    let text = |u: &Unknown<'_>| u.coerce_to_string().and_then(|s| s.into_utf8()).and_then(|s| s.into_owned()).ok();
    let found = match v.get_type() {
        Ok(ValueType::String | ValueType::Number | ValueType::Boolean | ValueType::BigInt) => text(v),
        Ok(ValueType::Object) => v
            .coerce_to_object()
            .and_then(|o| o.get::<Unknown<'_>>("message"))
            .ok()
            .flatten()
            .filter(|m| m.get_type().ok() == Some(ValueType::String))
            .and_then(|m| text(&m)),
        _ => None,
    };
    found.unwrap_or_else(|| format!("the promise was rejected with {}", convert::type_name(v)))
}

/// A JavaScript executor: `(activation) => void | Promise<void>`.
pub(crate) struct JsExecutor(pub(crate) JsCallback);

impl deploygov::Executor for JsExecutor {
    fn activate(&self, a: &deploygov::Activation<'_>) -> Result<(), String> {
        self.0.call(argument(a, "activation")?, false).map(|_| ())
    }
}

/// A JavaScript validator: `(context) => Finding[] | null | undefined`, or a promise of one.
pub(crate) struct JsValidator(pub(crate) JsCallback);

impl deploygov::Validator for JsValidator {
    fn validate(&self, ctx: &deploygov::ValidationContext<'_>) -> Result<Vec<deploygov::Finding>, String> {
        match self.0.call(argument(ctx, "validation context")?, true)? {
            Value::Null => Ok(vec![]),
            v => serde_json::from_value(v).map_err(|e| format!("it returned something that is not a list of findings: {e}")),
        }
    }
}

/// The argument of a callback: the core value's serde JSON shape.
fn argument<T: Serialize>(t: &T, what: &str) -> Result<Value, String> {
    serde_json::to_value(t).map_err(|e| format!("cannot encode the {what}: {e}"))
}

/// A JavaScript subscriber: `(event) => unknown`, called on the JavaScript thread once per event
/// after the command that wrote it commits. Fire and forget: the command's thread only queues the
/// call (never blocking, the queue is unbounded); a throw, a rejected promise or any return value
/// is dropped, so a subscriber can neither break nor delay a command. Weak: it does not keep the
/// process alive, and events still queued when the process exits are not delivered (the outbox,
/// `eventsAfter`, has them all).
pub(crate) struct JsSubscriber(Tsfn);

impl JsSubscriber {
    /// Wraps `f`; must run on the JavaScript thread.
    pub(crate) fn new(f: &Callback<'_>) -> napi::Result<Self> {
        Ok(Self(f.build_threadsafe_function::<Value>().weak::<true>().build()?))
    }
}

impl deploygov::Subscriber for JsSubscriber {
    fn on_event(&self, event: &deploygov::Event) {
        let Ok(arg) = serde_json::to_value(event) else { return };
        // `call_with_return_value` rather than `call`: with a result callback, napi-rs takes a
        // thrown exception off the environment and hands it here instead of raising it as an
        // uncaught exception. The status is `Closing` when the environment is shutting down;
        // the event is dropped then.
        let _status = self.0.call_with_return_value(arg, ThreadsafeFunctionCallMode::NonBlocking, |ret, env| {
            if let Ok(v) = ret
                && v.is_promise().unwrap_or(false)
            {
                // A rejection nobody handles would end the process (Node's default); handle it.
                let _ignored = ignore_rejection(&env, &v);
            }
            Ok(())
        });
    }
}

/// Marks a promise's rejection as handled, dropping it.
fn ignore_rejection(env: &Env, v: &Unknown<'_>) -> napi::Result<()> {
    let promise: PromiseRaw<'_, Unknown<'_>> = PromiseRaw::new(env.raw(), v.raw());
    promise.catch(|_ctx: napi::bindgen_prelude::CallbackContext<Unknown<'_>>| Ok(()))?;
    Ok(())
}
