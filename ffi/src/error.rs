//! Status codes and the calling thread's last error.

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char};

use deploygov::{Error, ErrorCode};

/// The status every successful call returns.
pub const DG_OK: i32 = 0;

/// Status codes returned by every fallible function (`DG_OK`, 0, is success).
///
/// 1..10 mirror the core's `ErrorCode` numbers and are never renumbered; `DG_ERROR_PANIC` is the
/// library's own. `dg_error_name()` gives each one's snake_case name (`not_found`, ...).
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DgError {
    /// A project, environment, deployment or version does not exist (in this project).
    NotFound = 1,
    /// The deployment's current status does not allow the requested transition.
    InvalidTransition = 2,
    /// The actor lacks a role the policy requires.
    Forbidden = 3,
    /// The requester tried to approve their own deployment under 4-eyes.
    SelfApproval = 4,
    /// The policy refuses the command (approvals missing or stale, reason missing, ...).
    PolicyViolation = 5,
    /// Validation found errors; `dg_last_error_findings()` gives the whole report.
    ValidationFailed = 6,
    /// Stale revision, a concurrent deploy, an idempotency-key mismatch or a duplicate.
    Conflict = 7,
    /// Malformed input: NULL pointers, invalid UTF-8, bad JSON, unknown enum strings, empty ids,
    /// a closed engine.
    InvalidInput = 8,
    /// The store failed (I/O, corruption, lock timeout).
    Storage = 9,
    /// The audit hash chain does not verify.
    AuditCorrupt = 10,
    /// The library caught an internal panic; the engine is still usable. Please report it.
    Panic = 100,
}

/// Every status but `DG_OK`, in numeric order.
const ALL_STATUSES: [DgError; 11] = [
    DgError::NotFound,
    DgError::InvalidTransition,
    DgError::Forbidden,
    DgError::SelfApproval,
    DgError::PolicyViolation,
    DgError::ValidationFailed,
    DgError::Conflict,
    DgError::InvalidInput,
    DgError::Storage,
    DgError::AuditCorrupt,
    DgError::Panic,
];

impl DgError {
    /// The status of a core error code. INVARIANT: exhaustive, so a new core code fails to
    /// compile here until the C ABI mirrors it.
    pub fn from_code(code: ErrorCode) -> Self {
        match code {
            ErrorCode::NotFound => Self::NotFound,
            ErrorCode::InvalidTransition => Self::InvalidTransition,
            ErrorCode::Forbidden => Self::Forbidden,
            ErrorCode::SelfApproval => Self::SelfApproval,
            ErrorCode::PolicyViolation => Self::PolicyViolation,
            ErrorCode::ValidationFailed => Self::ValidationFailed,
            ErrorCode::Conflict => Self::Conflict,
            ErrorCode::InvalidInput => Self::InvalidInput,
            ErrorCode::Storage => Self::Storage,
            ErrorCode::AuditCorrupt => Self::AuditCorrupt,
        }
    }

    /// The snake_case name, NUL-terminated (the core's `ErrorCode::name()`, plus `panic`).
    pub fn name(self) -> &'static CStr {
        match self {
            Self::NotFound => c"not_found",
            Self::InvalidTransition => c"invalid_transition",
            Self::Forbidden => c"forbidden",
            Self::SelfApproval => c"self_approval",
            Self::PolicyViolation => c"policy_violation",
            Self::ValidationFailed => c"validation_failed",
            Self::Conflict => c"conflict",
            Self::InvalidInput => c"invalid_input",
            Self::Storage => c"storage",
            Self::AuditCorrupt => c"audit_corrupt",
            Self::Panic => c"panic",
        }
    }
}

/// A failed call: its status, message and, for `validation_failed`, the report as JSON.
#[derive(Debug, Clone)]
pub struct Failure {
    pub(crate) status: DgError,
    pub(crate) message: String,
    pub(crate) findings: Option<String>,
    /// The storage backend's own code (SQLite's extended result code), for `storage` errors.
    pub(crate) backend_code: Option<i32>,
}

impl Failure {
    /// An `invalid_input` failure.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self { status: DgError::InvalidInput, message: message.into(), findings: None, backend_code: None }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let findings = e.report().and_then(|r| serde_json::to_string(r).ok());
        let backend_code = match &e {
            Error::Storage { backend_code, .. } => *backend_code,
            _ => None,
        };
        Self { status: DgError::from_code(e.code()), message: e.to_string(), findings, backend_code }
    }
}

thread_local! {
    /// The outcome of the calling thread's last fallible call (`None` after a success).
    static LAST: RefCell<Option<Failure>> = const { RefCell::new(None) };
}

/// Records the outcome of a call for `dg_last_error_*`. Never panics: during thread teardown
/// (thread-locals already destroyed) the outcome is dropped.
pub(crate) fn set_last(outcome: Option<Failure>) {
    let _ = LAST.try_with(|l| *l.borrow_mut() = outcome);
}

/// Reads the last outcome; `None` when there is none or during thread teardown.
fn with_last<T>(f: impl FnOnce(&Failure) -> Option<T>) -> Option<T> {
    LAST.try_with(|l| l.borrow().as_ref().and_then(f)).ok().flatten()
}

/// An owned C copy of `s` (NUL bytes shown as `\0`) for the caller to free with `dg_string_free`.
pub(crate) fn owned_c_string(s: &str) -> *mut c_char {
    let c = CString::new(s.replace('\0', "\\0")).unwrap_or_default();
    c.into_raw()
}

/// The message of the calling thread's last failed call, or NULL when that call succeeded.
///
/// Every fallible function resets this state when it returns: it holds the outcome of the
/// thread's most recent call. The returned string is owned by the caller: release it with
/// `dg_string_free()` (do not call free()).
#[unsafe(no_mangle)]
pub extern "C" fn dg_last_error_message() -> *mut c_char {
    with_last(|f| Some(owned_c_string(&f.message))).unwrap_or(std::ptr::null_mut())
}

/// The status of the calling thread's last fallible call (`DG_OK` after a success).
#[unsafe(no_mangle)]
pub extern "C" fn dg_last_error_code() -> i32 {
    with_last(|f| Some(f.status as i32)).unwrap_or(DG_OK)
}

/// After a call that returned `DG_ERROR_STORAGE`: the storage backend's own code (SQLite's
/// extended result code, e.g. 14 for `SQLITE_CANTOPEN`), or 0 when there is none.
#[unsafe(no_mangle)]
pub extern "C" fn dg_last_error_storage_code() -> i32 {
    with_last(|f| f.backend_code).unwrap_or(0)
}

/// After a call that returned `DG_ERROR_VALIDATION_FAILED`: the validation report as JSON
/// `{"errors":[Finding...],"warnings":[Finding...]}`, each finding
/// `{"code","severity","message","item"}`. NULL after any other outcome.
///
/// The returned string is owned by the caller: release it with `dg_string_free()`.
#[unsafe(no_mangle)]
pub extern "C" fn dg_last_error_findings() -> *mut c_char {
    with_last(|f| f.findings.as_deref().map(owned_c_string)).unwrap_or(std::ptr::null_mut())
}

/// The snake_case name of a status (`"ok"`, `"not_found"`, ..., `"panic"`), or NULL for a number
/// that is not a status. The string is static: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn dg_error_name(status: i32) -> *const c_char {
    if status == DG_OK {
        return c"ok".as_ptr();
    }
    ALL_STATUSES.into_iter().find(|s| *s as i32 == status).map_or(std::ptr::null(), |s| s.name().as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_mirror_core_codes() {
        for code in ErrorCode::ALL {
            let s = DgError::from_code(code);
            assert_eq!(s as i32, code.as_i32());
            assert_eq!(s.name().to_str().unwrap(), code.name());
        }
        assert!(ErrorCode::ALL.iter().all(|c| c.as_i32() != DgError::Panic as i32));
    }
}
