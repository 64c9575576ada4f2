//! Two-phase execution for pipelines that run outside the host process (build → upload → deploy
//! → verify): `begin` takes the environment with a lease, the pipeline appends stage logs and
//! heartbeats, and `complete` records the outcome with the same semantics as in-process
//! execution (on failure the active state is left exactly as it was).

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::execute::Outcome;
use super::records::{self, Kind};
use super::{Engine, admin::admin_roles, need_deployment, need_env, require_role};
use crate::error::{Error, Result};
use crate::model::{Actor, Deployment, DeploymentStatus, check_id};
use crate::store::LogLine;

use super::lifecycle::ExecuteOptions;

/// Stage log lines kept per deployment; older lines are dropped (and counted).
pub const MAX_LOG_LINES: u32 = 10_000;
/// Longest log line, in bytes.
pub const MAX_LOG_LINE_BYTES: usize = 64 * 1024;
/// Longest stage name, in bytes.
pub const MAX_STAGE_BYTES: usize = 64;

/// How an out-of-process execution ended. JSON: `{"outcome": "success"}` or `{"outcome":
/// "failure", "error": "...", "failed_item": 1}`; any other member is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case", try_from = "CompletionDoc")]
pub enum Completion {
    /// Every item went live.
    Success,
    /// The pipeline failed (and restored what it had changed): nothing goes live.
    Failure {
        /// What went wrong.
        error: String,
        /// Index of the item that failed (default: the first); items before it are recorded as
        /// reverted, items after it as skipped.
        #[serde(default)]
        failed_item: Option<usize>,
    },
}

/// The JSON form of [`Completion`], checked strictly (serde's internally tagged unit variants
/// would accept stray members such as an `error` on a success).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompletionDoc {
    outcome: String,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    failed_item: Option<usize>,
}

impl TryFrom<CompletionDoc> for Completion {
    type Error = String;
    fn try_from(doc: CompletionDoc) -> std::result::Result<Self, String> {
        match (doc.outcome.as_str(), doc.error) {
            ("success", None) if doc.failed_item.is_none() => Ok(Self::Success),
            ("success", _) => Err("a `success` completion carries no `error` or `failed_item`".to_owned()),
            ("failure", Some(error)) => Ok(Self::Failure { error, failed_item: doc.failed_item }),
            ("failure", None) => Err("a `failure` completion needs an `error`".to_owned()),
            (other, _) => Err(format!("unknown outcome `{other}`, expected `success` or `failure`")),
        }
    }
}

/// A page of a deployment's stage log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPage {
    /// Lines after the cursor, oldest first.
    pub lines: Vec<LogLine>,
    /// Pass as `after_seq` to read on (follow mode): the last line's `seq`, or the cursor given.
    pub next_cursor: i64,
    /// How many of this deployment's oldest lines were dropped to stay within [`MAX_LOG_LINES`].
    pub dropped: u64,
    /// Whether the deployment is still running (`deploying` or `paused`): more lines may come.
    pub open: bool,
}

/// Line counts of one deployment's log.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LogTrim {
    id: String,
    /// Lines stored.
    lines: u64,
    /// Oldest lines dropped.
    dropped: u64,
}

impl Kind for LogTrim {
    const KIND: &'static str = "log_trim";
    fn id(&self) -> &str {
        &self.id
    }
    fn scope(&self) -> String {
        self.id.clone()
    }
}

fn running(d: &Deployment) -> bool {
    matches!(d.status, DeploymentStatus::Deploying | DeploymentStatus::Paused)
}

/// The actor driving an execution (its executor) or an admin.
fn require_driver(actor: &Actor, d: &Deployment, what: &str) -> Result<()> {
    if d.executed_by.as_deref() == Some(actor.id.as_str()) {
        return Ok(());
    }
    require_role(actor, &admin_roles(), &format!("{what} a deployment started by `{}`", d.executed_by.as_deref().unwrap_or("nobody")))
}

impl Engine {
    /// Starts an out-of-process execution: the same gates and transaction as [`Engine::execute`]
    /// (`approved → deploying`, the environment taken with a lease of the policy's
    /// `lease_ttl_seconds`), without calling an executor. Finish with [`Engine::complete`];
    /// extend the lease with [`Engine::heartbeat`].
    pub fn begin(&self, project: &str, deployment_id: &str, actor: &Actor, opts: &ExecuteOptions) -> Result<Deployment> {
        actor.check()?;
        self.start(project, deployment_id, actor, opts).map(|(_, d)| d)
    }

    /// Appends a line to a running deployment's stage log; returns its cursor position. Logs are
    /// operational output, not governance decisions: they are not in the audit chain. Only the
    /// newest [`MAX_LOG_LINES`] lines of a deployment are kept.
    pub fn log(&self, project: &str, deployment_id: &str, stage: &str, line: &str) -> Result<i64> {
        check_id("stage", stage)?;
        if stage.len() > MAX_STAGE_BYTES {
            return Err(Error::invalid_input(format!("stage names are at most {MAX_STAGE_BYTES} bytes")));
        }
        crate::store::check_stored_text("a log line", line)?;
        crate::store::check_stored_text("a stage", stage)?;
        if line.len() > MAX_LOG_LINE_BYTES {
            return Err(Error::invalid_input(format!("log lines are at most {MAX_LOG_LINE_BYTES} bytes, got {}", line.len())));
        }
        let now = self.now();
        self.write(|tx| {
            let d = need_deployment(tx, project, deployment_id)?;
            if !running(&d) {
                return Err(Error::InvalidTransition { action: "log to", from: d.status, to: None });
            }
            let seq = tx.append_log(project, deployment_id, now, stage.trim(), line)?;
            let mut meta = records::get::<LogTrim>(tx, project, deployment_id)?.unwrap_or(LogTrim {
                id: deployment_id.to_owned(),
                lines: 0,
                dropped: 0,
            });
            meta.lines += 1;
            // INVARIANT: `lines` counts the stored lines, so the log never holds more than the cap.
            if meta.lines > u64::from(MAX_LOG_LINES) {
                let over = u32::try_from(meta.lines - u64::from(MAX_LOG_LINES)).unwrap_or(u32::MAX);
                let gone = tx.trim_logs(project, deployment_id, over)?;
                meta.lines -= gone;
                meta.dropped += gone;
            }
            records::put(tx, project, &meta)?;
            Ok(seq)
        })
    }

    /// Reads a deployment's stage log after the cursor `after_seq` (0: from the start), at most
    /// `limit` lines (default 500, at most 5,000). Poll with `next_cursor` while `open` to follow.
    pub fn deployment_logs(&self, project: &str, deployment_id: &str, after_seq: i64, limit: Option<u32>) -> Result<LogPage> {
        if after_seq < 0 {
            return Err(Error::invalid_input(format!("after_seq must not be negative, got `{after_seq}`")));
        }
        let limit = limit.unwrap_or(500).clamp(1, 5_000);
        self.read(|tx| {
            let d = need_deployment(tx, project, deployment_id)?;
            let lines = tx.logs(project, deployment_id, after_seq, limit)?;
            let dropped = records::get::<LogTrim>(tx, project, deployment_id)?.map_or(0, |t| t.dropped);
            let next_cursor = lines.last().map_or(after_seq, |l| l.seq);
            Ok(LogPage { lines, next_cursor, dropped, open: running(&d) })
        })
    }

    /// Extends the lease of a `deploying` deployment by the policy's `lease_ttl_seconds` from now.
    /// Only its executor or an admin may. Not audited (the lease's expiry is, when it happens).
    pub fn heartbeat(&self, project: &str, deployment_id: &str, actor: &Actor) -> Result<Deployment> {
        actor.check()?;
        let now = self.now();
        self.write(|tx| {
            let mut d = need_deployment(tx, project, deployment_id)?;
            if d.status != DeploymentStatus::Deploying {
                return Err(Error::InvalidTransition { action: "heartbeat", from: d.status, to: None });
            }
            require_driver(actor, &d, "extend the lease of")?;
            let env = need_env(tx, project, &d.environment)?;
            d.lease_expires_at = Some(now + Duration::seconds(env.policy.lease_ttl_seconds));
            let rev = d.revision;
            d.revision += 1;
            tx.update_deployment(&d, rev)?;
            Ok(d)
        })
    }

    /// Finishes an out-of-process execution: `success` makes every item live (as
    /// [`Engine::execute`] does, superseding and rollback bookkeeping included); `failure` fails
    /// the deployment and leaves the active state as it was. Only its executor or an admin may.
    /// A deployment whose lease was swept is `failed` already: `invalid_transition`.
    pub fn complete(&self, project: &str, deployment_id: &str, actor: &Actor, completion: &Completion) -> Result<Deployment> {
        actor.check()?;
        let d = self.read(|tx| need_deployment(tx, project, deployment_id))?;
        if d.status != DeploymentStatus::Deploying {
            return Err(Error::InvalidTransition { action: "complete", from: d.status, to: None });
        }
        require_driver(actor, &d, "complete")?;
        let outcome = match completion {
            Completion::Success => Outcome::Success,
            Completion::Failure { error, failed_item } => {
                let error = error.trim();
                if error.is_empty() {
                    return Err(Error::invalid_input("a failure needs an error message"));
                }
                let at = failed_item.unwrap_or(0);
                if at >= d.items.len() {
                    return Err(Error::invalid_input(format!(
                        "failed_item `{at}` is out of range: the deployment has {} items",
                        d.items.len()
                    )));
                }
                Outcome::Failed { at, message: error.to_owned(), revert_errors: vec![] }
            }
        };
        self.finish(d, outcome, actor)
    }
}
