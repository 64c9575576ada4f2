//! The one public error type of deploygov, with a stable numeric code per kind.

use crate::validation::ValidationReport;

/// Stable numeric code of an error kind. `0` is reserved for success in the C ABI.
///
/// INVARIANT: discriminants are never reused or renumbered; new kinds get new numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(i32)]
pub enum ErrorCode {
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
    /// Validation found errors; the error carries the whole report.
    ValidationFailed = 6,
    /// Stale revision, a concurrent deploy, an idempotency-key mismatch or a duplicate.
    Conflict = 7,
    /// The input is malformed: empty ids, bad JSON, unknown enum strings, ...
    InvalidInput = 8,
    /// The store failed (I/O, corruption, lock timeout).
    Storage = 9,
    /// The audit hash chain does not verify.
    AuditCorrupt = 10,
}

impl ErrorCode {
    /// Every code, in numeric order.
    pub const ALL: [ErrorCode; 10] = [
        Self::NotFound,
        Self::InvalidTransition,
        Self::Forbidden,
        Self::SelfApproval,
        Self::PolicyViolation,
        Self::ValidationFailed,
        Self::Conflict,
        Self::InvalidInput,
        Self::Storage,
        Self::AuditCorrupt,
    ];

    /// The stable number of this code.
    pub fn as_i32(self) -> i32 {
        self as i32
    }

    /// The snake_case name used in JSON, the scenario corpus and every binding.
    pub fn name(self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::InvalidTransition => "invalid_transition",
            Self::Forbidden => "forbidden",
            Self::SelfApproval => "self_approval",
            Self::PolicyViolation => "policy_violation",
            Self::ValidationFailed => "validation_failed",
            Self::Conflict => "conflict",
            Self::InvalidInput => "invalid_input",
            Self::Storage => "storage",
            Self::AuditCorrupt => "audit_corrupt",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for ErrorCode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|c| c.name() == s).ok_or_else(|| Error::invalid_input(format!("unknown error code `{s}`")))
    }
}

/// Every failure deploygov reports. Messages are lowercase, without a trailing period, with user
/// values in backticks.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// See [`ErrorCode::NotFound`].
    #[error("{0}")]
    NotFound(String),
    /// See [`ErrorCode::InvalidTransition`].
    #[error("cannot {action} a deployment that is `{from}`{}", to.map(|t| format!(" (to `{t}`)")).unwrap_or_default())]
    InvalidTransition {
        /// The command that was refused (`approve`, `execute`, ...).
        action: &'static str,
        /// The current status.
        from: crate::model::DeploymentStatus,
        /// The status the command would have moved to, when there is one.
        to: Option<crate::model::DeploymentStatus>,
    },
    /// See [`ErrorCode::Forbidden`].
    #[error("{0}")]
    Forbidden(String),
    /// See [`ErrorCode::SelfApproval`].
    #[error("actor `{0}` requested this deployment and cannot approve it (4-eyes)")]
    SelfApproval(String),
    /// See [`ErrorCode::PolicyViolation`].
    #[error("{0}")]
    PolicyViolation(String),
    /// See [`ErrorCode::ValidationFailed`]; carries every finding.
    #[error("validation failed: {}", .0.summary())]
    ValidationFailed(ValidationReport),
    /// See [`ErrorCode::Conflict`].
    #[error("{0}")]
    Conflict(String),
    /// See [`ErrorCode::InvalidInput`].
    #[error("{0}")]
    InvalidInput(String),
    /// See [`ErrorCode::Storage`]. `detail` keeps the backend's own code, as rusqlite keeps
    /// SQLite's extended code.
    #[error("storage error: {message}")]
    Storage {
        /// What failed, lowercase.
        message: String,
        /// The backend's numeric code, when it has one.
        backend_code: Option<i32>,
    },
    /// See [`ErrorCode::AuditCorrupt`].
    #[error("audit chain broken at entry {seq}: {problem}")]
    AuditCorrupt {
        /// Sequence number of the first entry that does not verify.
        seq: i64,
        /// What is wrong with it.
        problem: String,
    },
}

/// Result alias used across deploygov.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::InvalidTransition { .. } => ErrorCode::InvalidTransition,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::SelfApproval(_) => ErrorCode::SelfApproval,
            Self::PolicyViolation(_) => ErrorCode::PolicyViolation,
            Self::ValidationFailed(_) => ErrorCode::ValidationFailed,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::InvalidInput(_) => ErrorCode::InvalidInput,
            Self::Storage { .. } => ErrorCode::Storage,
            Self::AuditCorrupt { .. } => ErrorCode::AuditCorrupt,
        }
    }

    /// The validation report, for [`Error::ValidationFailed`].
    pub fn report(&self) -> Option<&ValidationReport> {
        match self {
            Self::ValidationFailed(r) => Some(r),
            _ => None,
        }
    }

    pub(crate) fn invalid_input(msg: impl Into<String>) -> Self {
        Self::InvalidInput(msg.into())
    }

    pub(crate) fn not_found(msg: impl Into<String>) -> Self {
        Self::NotFound(msg.into())
    }

    pub(crate) fn storage(msg: impl Into<String>) -> Self {
        Self::Storage { message: msg.into(), backend_code: None }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        let backend_code = match &e {
            rusqlite::Error::SqliteFailure(f, _) => Some(f.extended_code),
            _ => None,
        };
        let message = e.to_string().to_lowercase();
        let message = message.trim_end_matches('.').to_owned();
        if let rusqlite::Error::SqliteFailure(f, _) = &e
            && matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        {
            return Self::Conflict(format!("the store is busy with another writer: {message}"));
        }
        Self::Storage { message, backend_code }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Self::InvalidInput(format!("invalid json: {}", e.to_string().to_lowercase()))
    }
}
