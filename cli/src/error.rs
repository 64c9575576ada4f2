//! The CLI's error: a core error kind (or none), a one-line message and a hint, and the exit
//! code derived from the kind.

use deploygov::{Error, ErrorCode};

/// Exit code of a usage error (clap's own).
pub const EXIT_USAGE: i32 = 2;
/// Exit code of a failure that has no core kind (writing output, binding a port, ...).
pub const EXIT_OTHER: i32 = 1;
/// Core error code `n` exits with `EXIT_BASE + n`.
pub const EXIT_BASE: i32 = 10;

/// What went wrong, in one line, with what to do about it.
#[derive(Debug)]
pub struct CliError {
    /// The core kind, when there is one (decides the exit code).
    pub code: Option<ErrorCode>,
    /// One line, lowercase.
    pub message: String,
    /// What to do.
    pub hint: String,
    /// The validation report, for `validation_failed`.
    pub findings: Option<deploygov::ValidationReport>,
    /// The standard output was closed (`| head`): stop quietly.
    pub broken_pipe: bool,
}

impl CliError {
    /// An error of a core kind raised by the CLI itself (bad flag values, missing actor, ...).
    pub fn kind(code: ErrorCode, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self { code: Some(code), message: message.into(), hint: hint.into(), findings: None, broken_pipe: false }
    }

    /// `invalid_input` with a hint.
    pub fn input(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::kind(ErrorCode::InvalidInput, message, hint)
    }

    /// A failure outside the core (I/O, network).
    pub fn other(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self { code: None, message: message.into(), hint: hint.into(), findings: None, broken_pipe: false }
    }

    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        match self.code {
            Some(c) => EXIT_BASE + c.as_i32(),
            None => EXIT_OTHER,
        }
    }

    /// Replaces the hint.
    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }

    /// The one line written to stderr.
    pub fn line(&self) -> String {
        let mut msg = self.message.replace('\n', " ");
        if let Some(r) = &self.findings {
            let found: Vec<String> = r.errors.iter().map(|f| format!("[{}] {}", f.code, f.message)).collect();
            if !found.is_empty() {
                msg = format!("{msg}: {}", found.join("; "));
            }
        }
        match self.code {
            Some(c) => format!("error: {msg} [{c}] (hint: {})", self.hint),
            None => format!("error: {msg} (hint: {})", self.hint),
        }
    }

    /// The JSON written to stderr with `--json`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({ "error": {
            "code": self.code.map(ErrorCode::name),
            "numeric_code": self.code.map(ErrorCode::as_i32),
            "exit_code": self.exit_code(),
            "message": self.message,
            "hint": self.hint,
            "findings": self.findings,
        }})
    }
}

/// The default hint for a core error kind.
pub fn hint_for(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::NotFound => "check the id and --project/--db; `deploygov deploy list` and `deploygov env list` show what exists",
        ErrorCode::InvalidTransition => "`deploygov deploy show ID` shows the status; the table of allowed transitions is in the README",
        ErrorCode::Forbidden => "run as an actor holding one of the roles named: --as ID --role ROLE",
        ErrorCode::SelfApproval => "4-eyes: someone other than the requester must approve",
        ErrorCode::PolicyViolation => "`deploygov why ID` lists what is missing and who may give it",
        ErrorCode::ValidationFailed => "fix the findings listed, or request a new deployment; `deploygov why ID` explains",
        ErrorCode::Conflict => "retry; if an execution is stuck, `deploygov lease release ID --reason ...` frees the environment",
        ErrorCode::InvalidInput => "see `deploygov help` for the command's arguments",
        ErrorCode::Storage => "check that --db points at a readable deploygov SQLite file and the disk is not full",
        ErrorCode::AuditCorrupt => "the audit trail was edited or damaged: keep the file for investigation and restore from a backup",
    }
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        let code = e.code();
        Self {
            code: Some(code),
            message: e.to_string(),
            hint: hint_for(code).to_owned(),
            findings: e.report().cloned(),
            broken_pipe: false,
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        let broken_pipe = e.kind() == std::io::ErrorKind::BrokenPipe;
        Self { broken_pipe, ..Self::other(format!("cannot write output: {e}"), "check the terminal or the file the output goes to") }
    }
}

/// Result alias of the CLI.
pub type CliResult<T> = Result<T, CliError>;
