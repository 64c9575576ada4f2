//! Runs the built `deploygov` binary in a temporary directory with a private database.

#![allow(dead_code, reason = "each test file uses a different part of the helpers")]

use std::path::PathBuf;
use std::process::{Command, Output};

/// One run's result.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// The stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }

    /// Asserts success and returns self.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(self.code, 0, "expected success\nstdout: {}\nstderr: {}", self.stdout, self.stderr);
        self
    }

    /// Asserts the exit code and a one-line `error: ... (hint: ...)` on stderr.
    #[track_caller]
    pub fn fails(self, code: i32) -> Self {
        assert_eq!(self.code, code, "stdout: {}\nstderr: {}", self.stdout, self.stderr);
        if code != 2 {
            assert_eq!(self.stderr.lines().count(), 1, "one line: {}", self.stderr);
            assert!(self.stderr.starts_with("error: ") && self.stderr.contains("(hint: "), "{}", self.stderr);
        }
        self
    }
}

pub fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_deploygov")
}

/// A temporary directory with a database path and a project, passed through the environment.
pub struct Dg {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
}

impl Dg {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("gov.db");
        Self { dir, db }
    }

    /// A database seeded by `deploygov demo`.
    pub fn demo() -> Self {
        let dg = Self::new();
        dg.run(&["demo"]).ok();
        dg
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(exe());
        c.args(args)
            .current_dir(self.dir.path())
            .env_remove("DEPLOYGOV_ACTOR")
            .env("DEPLOYGOV_DB", &self.db)
            .env("DEPLOYGOV_PROJECT", "japm");
        c
    }

    pub fn run(&self, args: &[&str]) -> Out {
        out(self.command(args).output().unwrap())
    }

    /// Runs as an actor given through `DEPLOYGOV_ACTOR`.
    pub fn run_as(&self, actor: &str, args: &[&str]) -> Out {
        out(self.command(args).env("DEPLOYGOV_ACTOR", actor).output().unwrap())
    }
}

pub fn out(o: Output) -> Out {
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}
