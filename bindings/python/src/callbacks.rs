//! Python callables as the core's `Executor`, `Validator` and `Subscriber`. The engine calls them
//! with the GIL released; each call re-acquires it. What they receive is the core's own serde
//! JSON of `Activation`, `ValidationContext` and `Event`, as plain Python data.
//!
//! An exception raised inside an executor or a validator becomes the `Err(message)` the core
//! turns into an item failure or a `validator_failed` finding. An exception raised inside a
//! subscriber is reported to `sys.unraisablehook` and dropped: the command has already
//! committed. None of them ever crosses back as a panic.

use deploygov::{Activation, Event, Executor, Finding, Subscriber, ValidationContext, Validator};
use pyo3::prelude::*;

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
        Python::attach(|py| {
            let arg = crate::convert::to_py(py, a).map_err(|e| message_of(py, &e))?;
            self.0.call1(py, (arg,)).map(|_| ()).map_err(|e| message_of(py, &e))
        })
    }
}

/// A Python callable that takes the validation context as plain data and returns a list of
/// findings as plain data. The engine runs validators with no store lock held, so a validator
/// may call back into the engine.
pub struct PyValidator(pub Py<PyAny>);

impl Validator for PyValidator {
    fn validate(&self, ctx: &ValidationContext<'_>) -> Result<Vec<Finding>, String> {
        Python::attach(|py| {
            let arg = crate::convert::to_py(py, ctx).map_err(|e| message_of(py, &e))?;
            let out = self.0.call1(py, (arg,)).map_err(|e| message_of(py, &e))?;
            crate::convert::list_from_py(out.bind(py), "validator result", "a list of findings").map_err(|e| message_of(py, &e))
        })
    }
}

/// A Python callable that takes one event as plain data. It runs after the command's
/// transaction commits, on the command's thread.
pub struct PySubscriber(pub Py<PyAny>);

impl Subscriber for PySubscriber {
    fn on_event(&self, event: &Event) {
        // `try_attach`: during interpreter shutdown the event is dropped instead of panicking.
        let _delivered = Python::try_attach(|py| {
            let delivered = crate::convert::to_py(py, event).and_then(|arg| self.0.call1(py, (arg,)));
            if let Err(err) = delivered {
                // `sys.unraisablehook` (by default: "Exception ignored in: <subscriber>" and the
                // traceback on stderr); the command goes on.
                err.write_unraisable(py, Some(self.0.bind(py)));
            }
        });
    }
}
