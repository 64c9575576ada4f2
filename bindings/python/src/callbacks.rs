//! Python callables as the core's `Executor` and `Validator`. The engine calls them with the GIL
//! released; each call re-acquires it. An exception raised inside becomes the `Err(message)` the
//! core turns into an item failure or a `validator_failed` finding: it never crosses back.

use std::cell::Cell;

use deploygov::{Activation, Executor, Finding, ValidationContext, Validator};
use pyo3::prelude::*;
use serde_json::json;

thread_local! {
    /// Set while a validator runs on this thread. Validators run inside the engine's write
    /// transaction, so calling back into the engine from one would wait on itself.
    static IN_VALIDATOR: Cell<bool> = const { Cell::new(false) };
}

/// Whether the current thread is running a validator.
pub fn in_validator() -> bool {
    IN_VALIDATOR.with(Cell::get)
}

/// The message of a Python exception (its type name when the message is empty).
fn message_of(py: Python<'_>, err: &PyErr) -> String {
    let value = err.value(py);
    let text = value.str().map(|s| s.to_string()).unwrap_or_default();
    if text.is_empty() { value.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "exception".to_owned()) } else { text }
}

/// A Python callable that takes one activation as plain data (`deploygov` adapts the user's
/// executor to this shape).
pub struct PyExecutor(pub Py<PyAny>);

impl Executor for PyExecutor {
    fn activate(&self, a: &Activation<'_>) -> Result<(), String> {
        let data = json!({
            "environment": a.environment,
            "deployment_id": a.deployment_id,
            "entity_type": a.entity_type,
            "entity_id": a.entity_id,
            "version_tag": a.version_tag,
            "previous_version": a.previous_version,
            "revert": a.revert,
        });
        Python::attach(|py| {
            let arg = crate::convert::value_to_py(py, &data).map_err(|e| message_of(py, &e))?;
            self.0.call1(py, (arg,)).map(|_| ()).map_err(|e| message_of(py, &e))
        })
    }
}

/// A Python callable that takes the validation context as plain data and returns a list of
/// findings as plain data.
pub struct PyValidator(pub Py<PyAny>);

/// Clears [`IN_VALIDATOR`] even when the call unwinds.
struct ValidatorScope;

impl ValidatorScope {
    fn enter() -> Self {
        IN_VALIDATOR.with(|f| f.set(true));
        Self
    }
}

impl Drop for ValidatorScope {
    fn drop(&mut self) {
        IN_VALIDATOR.with(|f| f.set(false));
    }
}

impl Validator for PyValidator {
    fn validate(&self, ctx: &ValidationContext<'_>) -> Result<Vec<Finding>, String> {
        let data = json!({ "phase": ctx.phase, "environment": ctx.environment, "deployment": ctx.deployment });
        let _scope = ValidatorScope::enter();
        Python::attach(|py| {
            let arg = crate::convert::value_to_py(py, &data).map_err(|e| message_of(py, &e))?;
            let out = self.0.call1(py, (arg,)).map_err(|e| message_of(py, &e))?;
            crate::convert::list_from_py(out.bind(py), "validator result", "a list of findings").map_err(|e| message_of(py, &e))
        })
    }
}
