//! Every error the Node face throws or rejects with is built here, and only here.
//!
//! - A core error becomes an `Error` whose `code` is the core error kind in UPPER_SNAKE
//!   (`SELF_APPROVAL`), whose message is the core's message, and which carries `findings` (the
//!   whole validation report, `{ errors, warnings }`) for `VALIDATION_FAILED`, `backend_code` for
//!   `STORAGE` when the store gave one, and `seq` for `AUDIT_CORRUPT`.
//! - An argument of the wrong JavaScript type becomes a `TypeError` with code `INVALID_INPUT`.
//! - A panic inside deploygov (a bug, never expected) becomes an `Error` with code `INTERNAL`.

use napi::bindgen_prelude::{JsObjectValue, Object};
use napi::{Env, JsError, JsTypeError, JsValue};

/// Why a call failed, before it is turned into a JavaScript error on the JavaScript thread.
#[derive(Debug)]
pub(crate) enum Failure {
    /// An argument of the wrong JavaScript type.
    Type(String),
    /// An error of the core.
    Core(deploygov::Error),
    /// A panic inside deploygov.
    Panic(String),
}

impl From<deploygov::Error> for Failure {
    fn from(e: deploygov::Error) -> Self {
        Self::Core(e)
    }
}

/// The `code` of a core error: its kind in UPPER_SNAKE.
pub(crate) fn code(e: &deploygov::Error) -> String {
    e.code().name().to_ascii_uppercase()
}

/// The message of a panic payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

/// The JavaScript error for `f`, as a `napi::Error` that throws or rejects with exactly that
/// object.
pub(crate) fn to_js(env: &Env, f: Failure) -> napi::Error {
    build(env, f).unwrap_or_else(|e| e)
}

fn build(env: &Env, f: Failure) -> napi::Result<napi::Error> {
    let value = match f {
        Failure::Type(message) => JsTypeError::from(napi::Error::new("INVALID_INPUT", message)).into_unknown(*env),
        Failure::Panic(message) => JsError::from(napi::Error::new("INTERNAL", format!("deploygov panicked: {message}"))).into_unknown(*env),
        Failure::Core(e) => {
            let value = JsError::from(napi::Error::new(code(&e), e.to_string())).into_unknown(*env);
            let mut object = value.coerce_to_object()?;
            details(&mut object, &e)?;
            value
        }
    };
    Ok(napi::Error::from(value))
}

/// The extra properties of a core error.
fn details(object: &mut Object<'_>, e: &deploygov::Error) -> napi::Result<()> {
    match e {
        deploygov::Error::ValidationFailed(report) => {
            let report = serde_json::to_value(report).map_err(|e| napi::Error::from_reason(e.to_string()))?;
            object.set_named_property("findings", report)
        }
        deploygov::Error::Storage { backend_code: Some(c), .. } => object.set_named_property("backend_code", *c),
        deploygov::Error::AuditCorrupt { seq, .. } => object.set_named_property("seq", *seq),
        _ => Ok(()),
    }
}
