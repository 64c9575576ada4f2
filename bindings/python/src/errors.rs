//! The one place where core errors become Python exceptions: a `create_exception!` tree under
//! `DeploygovError`, one subclass per core error code, re-exported by `deploygov.exceptions`.
//!
//! Every class carries its code as class attributes (`code`, the snake_case name used by every
//! face, and `code_number`, the stable number); every raised instance also carries `message`,
//! and the kinds that have more detail carry it too (`findings`/`report`, `backend_code`, `seq`).

use deploygov::{Error, ErrorCode};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyType;
use pyo3::{PyTypeInfo, create_exception};

create_exception!(
    deploygov.exceptions,
    DeploygovError,
    PyException,
    "Base class of every error the deploygov engine reports; `code` names the kind."
);
create_exception!(deploygov.exceptions, NotFoundError, DeploygovError, "A project, environment, deployment or version does not exist.");
create_exception!(deploygov.exceptions, InvalidTransitionError, DeploygovError, "The deployment's status does not allow the command.");
create_exception!(deploygov.exceptions, ForbiddenError, DeploygovError, "The actor lacks a role the policy requires.");
create_exception!(deploygov.exceptions, SelfApprovalError, DeploygovError, "The requester tried to approve their own deployment (4-eyes).");
create_exception!(
    deploygov.exceptions,
    PolicyViolationError,
    DeploygovError,
    "The policy refuses the command (approvals missing, stale or expired)."
);
create_exception!(
    deploygov.exceptions,
    ValidationFailedError,
    DeploygovError,
    "Validation found errors; `findings` and `report` hold every finding."
);
create_exception!(
    deploygov.exceptions,
    ConflictError,
    DeploygovError,
    "Stale revision, concurrent deploy, idempotency mismatch, duplicate or busy store."
);
create_exception!(deploygov.exceptions, InvalidInputError, DeploygovError, "Malformed input: empty ids, unknown enum strings, bad data.");
create_exception!(deploygov.exceptions, StorageError, DeploygovError, "The store failed; `backend_code` keeps SQLite's extended code.");
create_exception!(
    deploygov.exceptions,
    AuditCorruptError,
    DeploygovError,
    "The audit hash chain does not verify; `seq` names the first bad entry."
);

/// The Python class of each core code.
fn class_of(py: Python<'_>, code: ErrorCode) -> Bound<'_, PyType> {
    match code {
        ErrorCode::NotFound => NotFoundError::type_object(py),
        ErrorCode::InvalidTransition => InvalidTransitionError::type_object(py),
        ErrorCode::Forbidden => ForbiddenError::type_object(py),
        ErrorCode::SelfApproval => SelfApprovalError::type_object(py),
        ErrorCode::PolicyViolation => PolicyViolationError::type_object(py),
        ErrorCode::ValidationFailed => ValidationFailedError::type_object(py),
        ErrorCode::Conflict => ConflictError::type_object(py),
        ErrorCode::InvalidInput => InvalidInputError::type_object(py),
        ErrorCode::Storage => StorageError::type_object(py),
        ErrorCode::AuditCorrupt => AuditCorruptError::type_object(py),
    }
}

/// Adds the exception classes to the module, each with its code as class attributes.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("DeploygovError", DeploygovError::type_object(py))?;
    for code in ErrorCode::ALL {
        let class = class_of(py, code);
        class.setattr("code", code.name())?;
        class.setattr("code_number", code.as_i32())?;
        m.add(class.name()?, class)?;
    }
    Ok(())
}

/// Turns a core error into the Python exception of its kind.
pub fn to_py_err(py: Python<'_>, error: Error) -> PyErr {
    match build(py, &error) {
        Ok(err) => err,
        Err(failed) => failed,
    }
}

fn build(py: Python<'_>, error: &Error) -> PyResult<PyErr> {
    let message = error.to_string();
    let class = class_of(py, error.code());
    let instance = class.call1((message.as_str(),))?;
    instance.setattr("message", message)?;
    match error {
        Error::ValidationFailed(report) => {
            let report = crate::convert::record(py, "ValidationReport", report)?;
            let errors = report.getattr("errors")?;
            let findings = errors.add(report.getattr("warnings")?)?;
            instance.setattr("report", report)?;
            instance.setattr("findings", findings)?;
        }
        Error::Storage { backend_code, .. } => instance.setattr("backend_code", *backend_code)?,
        Error::AuditCorrupt { seq, .. } => instance.setattr("seq", *seq)?,
        _ => {}
    }
    Ok(PyErr::from_value(instance))
}
