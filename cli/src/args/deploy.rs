//! Arguments of `deploy ...`.

use clap::{Args, Subcommand};

/// `deploy ...`
#[derive(Debug, Subcommand)]
pub enum DeployCmd {
    /// Request a deployment (--item flags, or --file with a JSON request)
    Request(RequestArgs),
    /// Approve a deployment
    Approve {
        /// Deployment id
        id: String,
        /// Free comment
        #[arg(long)]
        comment: Option<String>,
        /// The rule this approval counts for
        #[arg(long)]
        rule: Option<String>,
        /// Approve although a freeze window is open, with this reason (needs a freeze override role; audited)
        #[arg(long, value_name = "REASON")]
        freeze_override: Option<String>,
    },
    /// Reject a deployment (a reason is required)
    Reject {
        /// Deployment id
        id: String,
        /// Why
        #[arg(long)]
        reason: String,
    },
    /// Cancel a pending or approved deployment
    Cancel {
        /// Deployment id
        id: String,
        /// Why
        #[arg(long)]
        reason: Option<String>,
    },
    /// Execute an approved deployment (records the decision; the host app activates for real)
    Execute {
        /// Deployment id
        id: String,
        /// Break glass: execute without approvals, with this written reason (audited)
        #[arg(long, value_name = "REASON")]
        break_glass: Option<String>,
        /// Execute although a freeze window is open, with this reason (needs a freeze override role; audited)
        #[arg(long, value_name = "REASON")]
        freeze_override: Option<String>,
    },
    /// Start an out-of-process execution (a CI pipeline): same gates as execute, then `deploying` under a lease
    Begin {
        /// Deployment id
        id: String,
        /// Break glass: begin without approvals, with this written reason (audited)
        #[arg(long, value_name = "REASON")]
        break_glass: Option<String>,
        /// Begin although a freeze window is open, with this reason (audited)
        #[arg(long, value_name = "REASON")]
        freeze_override: Option<String>,
    },
    /// Append a line to a running deployment's stage log (not audited; bounded)
    Log {
        /// Deployment id
        id: String,
        /// Pipeline stage (build, upload, deploy, verify, ...)
        #[arg(long)]
        stage: String,
        /// The text
        line: String,
    },
    /// Extend the lease of a running out-of-process execution
    Heartbeat {
        /// Deployment id
        id: String,
    },
    /// Finish an out-of-process execution: --success makes every item live, --failure fails it
    Complete {
        /// Deployment id
        id: String,
        /// Every item went live
        #[arg(long, conflicts_with = "failure", required_unless_present = "failure")]
        success: bool,
        /// The pipeline failed (and restored what it changed), with this error
        #[arg(long, value_name = "ERROR")]
        failure: Option<String>,
        /// Index of the failed item (default 0)
        #[arg(long, requires = "failure", value_name = "N")]
        failed_item: Option<usize>,
    },
    /// Decide on a paused deployment (failure mode `pause`): retry, skip or abort
    Resume {
        /// Deployment id
        id: String,
        /// retry, skip or abort
        #[arg(long)]
        decision: String,
        /// Why (required to skip or abort)
        #[arg(long)]
        reason: Option<String>,
    },
    /// Report a health check of a live deployment (a breach may roll it back automatically)
    Health {
        /// Deployment id
        id: String,
        /// The check passed
        #[arg(long, conflicts_with = "failing", required_unless_present = "failing")]
        ok: bool,
        /// The check failed
        #[arg(long)]
        failing: bool,
        /// Fraction of failed requests, 0 to 1
        #[arg(long)]
        error_rate: Option<f64>,
        /// 95th percentile latency, milliseconds
        #[arg(long)]
        p95_ms: Option<f64>,
    },
    /// The health checks reported for a deployment
    HealthChecks {
        /// Deployment id
        id: String,
    },
    /// Promote a live deployment to another environment (a new request governed by its policy)
    Promote {
        /// Deployment id
        id: String,
        /// Target environment
        #[arg(long)]
        to: String,
    },
    /// Roll back a live deployment
    Rollback {
        /// Deployment id
        id: String,
        /// Why (required)
        #[arg(long)]
        reason: String,
        /// An earlier deployment of the same environment whose state to restore
        #[arg(long, value_name = "DEPLOYMENT")]
        target: Option<String>,
    },
    /// One deployment with items, approvals and warnings
    Show {
        /// Deployment id
        id: String,
    },
    /// Deployments, newest first
    List(ListArgs),
    /// A deployment's stage log (written by the host's pipeline), oldest first
    Logs {
        /// Deployment id
        id: String,
        /// Only lines after this log position
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// Keep polling while the deployment is running
        #[arg(long, short = 'f')]
        follow: bool,
        /// Poll interval with --follow, milliseconds
        #[arg(long, default_value_t = 1000)]
        interval_ms: u64,
    },
    /// Dry run: would ACTION succeed now? (exit 0 if yes, else the first blocker's exit code)
    Check {
        /// Deployment id
        id: String,
        /// approve, reject, execute, cancel or rollback
        #[arg(long, default_value = "execute")]
        action: String,
    },
}

/// `deploy request`
#[derive(Debug, Args)]
pub struct RequestArgs {
    /// Target environment
    #[arg(long = "env", required_unless_present = "file")]
    pub environment: Option<String>,
    /// Short name
    #[arg(long, required_unless_present = "file")]
    pub name: Option<String>,
    /// An item `TYPE/ID@TAG` or `TYPE/ID@TAG:RISK` (repeatable)
    #[arg(long = "item", value_name = "TYPE/ID@TAG[:RISK]")]
    pub items: Vec<String>,
    /// Risk of items that do not name one
    #[arg(long, default_value = "low")]
    pub risk: String,
    /// Change message of every item
    #[arg(long)]
    pub message: Option<String>,
    /// Description
    #[arg(long)]
    pub description: Option<String>,
    /// Idempotency key
    #[arg(long)]
    pub idempotency_key: Option<String>,
    /// Not to be executed before (RFC 3339)
    #[arg(long, value_name = "TIME")]
    pub scheduled_for: Option<String>,
    /// Cancelled by the sweep when not started by (RFC 3339)
    #[arg(long, value_name = "TIME")]
    pub expires_at: Option<String>,
    /// The whole request as JSON (`-` for stdin) instead of the flags
    #[arg(long, value_name = "FILE", conflicts_with_all = ["environment", "name", "items"])]
    pub file: Option<String>,
}

/// `deploy list`
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Environment name
    #[arg(long = "env")]
    pub environment: Option<String>,
    /// Status (pending, approved, deployed, ...)
    #[arg(long)]
    pub status: Option<String>,
    /// Deployments containing this entity, `TYPE/ID`
    #[arg(long)]
    pub entity: Option<String>,
    /// Requester
    #[arg(long)]
    pub requested_by: Option<String>,
    /// Requested at or after (RFC 3339)
    #[arg(long, value_name = "TIME")]
    pub after: Option<String>,
    /// Requested before (RFC 3339)
    #[arg(long, value_name = "TIME")]
    pub before: Option<String>,
    /// Page size (default 50, at most 500)
    #[arg(long)]
    pub limit: Option<u32>,
    /// Cursor from a previous page
    #[arg(long)]
    pub cursor: Option<String>,
}
