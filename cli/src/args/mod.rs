//! The command surface, as clap derive types. Parsing only: no defaults that decide policy.

mod deploy;
mod ops;

use clap::{Args, Parser, Subcommand};

pub use deploy::{DeployCmd, ListArgs, RequestArgs};
pub use ops::{ArtifactCmd, FreezeCmd, IncidentCmd, ReportCmd};

/// Deployment governance from the terminal: approvals, execution, rollback and the audit trail
/// over the same SQLite database the applications embed.
#[derive(Debug, Parser)]
#[command(name = "deploygov", version, about, long_about = None, propagate_version = true)]
#[command(after_help = "Actor format for DEPLOYGOV_ACTOR: `ID:ROLE1,ROLE2` (e.g. `alice:admin,lead`; `ID` alone has no roles).\n\
Exit codes: 0 ok, 1 unexpected failure, 2 usage error, 10 + the core error code (11 not_found ... 20 audit_corrupt).\n\
See docs/cli.md.")]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts.
#[derive(Debug, Args)]
pub struct Global {
    /// SQLite database file, or a `postgres://` URL of the PostgreSQL store
    #[arg(long, env = "DEPLOYGOV_DB", global = true, value_name = "PATH|URL")]
    pub db: Option<String>,
    /// Project id (scopes every query)
    #[arg(long, short = 'p', env = "DEPLOYGOV_PROJECT", global = true, value_name = "ID")]
    pub project: Option<String>,
    /// Actor id performing the command (overrides DEPLOYGOV_ACTOR)
    #[arg(long = "as", global = true, value_name = "ID")]
    pub as_actor: Option<String>,
    /// A role of the actor given with --as (repeatable)
    #[arg(long = "role", global = true, value_name = "ROLE", requires = "as_actor")]
    pub roles: Vec<String>,
    /// Machine-readable output: the core's serde JSON (errors as JSON on stderr)
    #[arg(long, global = true)]
    pub json: bool,
}

/// Every command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Projects
    #[command(subcommand)]
    Project(ProjectCmd),
    /// Environments: list, show, create, policy, variables, health, compare
    #[command(subcommand)]
    Env(EnvCmd),
    /// The version catalog: register, list, quarantine, release
    #[command(subcommand)]
    Version(VersionCmd),
    /// Deployments: request, approve, reject, cancel, execute (or begin/log/complete), promote, rollback, show, list, logs, check, health
    #[command(subcommand)]
    Deploy(DeployCmd),
    /// What is live in every environment of the project, one table
    Status,
    /// The live version of one entity in an environment (the hot-path read; exit 11 when nothing is live)
    Live {
        /// Environment name
        environment: String,
        /// Entity as `TYPE/ID`
        entity: String,
    },
    /// Changes of the live version of one entity across environments, newest first
    History {
        /// Entity as `TYPE/ID` (e.g. `prompt_version/chatbot`)
        entity: String,
        /// At most this many changes
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Pending deployments an actor may approve now
    Pending {
        /// The approver as `ID:ROLE1,ROLE2` (default: the acting actor)
        #[arg(long = "for", value_name = "ACTOR")]
        for_actor: Option<String>,
    },
    /// Why a deployment cannot proceed: every blocker and what would unblock it (a dry run)
    Why {
        /// Deployment id
        deployment: String,
        /// The command asked about
        #[arg(long, default_value = "execute", value_name = "approve|reject|execute|cancel|rollback")]
        action: String,
    },
    /// The hash-chained audit trail
    #[command(subcommand)]
    Audit(AuditCmd),
    /// The event outbox
    #[command(subcommand)]
    Events(EventsCmd),
    /// Reports over a time range
    #[command(subcommand)]
    Report(ReportCmd),
    /// Freeze windows: no approvals or executions while one is on (unless overridden)
    #[command(subcommand)]
    Freeze(FreezeCmd),
    /// Deployment errors (incidents): record, resolve, list
    #[command(subcommand)]
    Incident(IncidentCmd),
    /// Build artifacts of catalog versions: attach, list, prunable, prune
    #[command(subcommand)]
    Artifact(ArtifactCmd),
    /// Expire leases, approvals and schedules (the periodic housekeeping call; store-wide)
    Sweep,
    /// Approved deployments that may run now, oldest first
    Due,
    /// Execution leases
    #[command(subcommand)]
    Lease(LeaseCmd),
    /// What was live in an environment at a past instant, and who put it there
    LiveAt {
        /// Environment name
        environment: String,
        /// The instant, RFC 3339 (e.g. `2026-03-01T00:00:00Z`)
        at: String,
        /// List the deployments that were live instead of the entities
        #[arg(long)]
        deployments: bool,
    },
    /// Run the governed JAPM workflow end to end on a fresh SQLite file, printing each step
    Demo {
        /// Delete the database file first if it exists (the default `deploygov-demo.db` is always recreated)
        #[arg(long)]
        force: bool,
        /// Which item of release-3 the demo's failing executor fails (0: the prompt, 1: the model)
        #[arg(long, default_value_t = 1, value_name = "N")]
        fail_item: usize,
    },
    /// Serve the read-only dashboard (no login; bound to 127.0.0.1 unless --bind says otherwise)
    Serve {
        /// TCP port (0 picks a free one; the URL is printed)
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Address to bind; anything but a loopback address exposes the dashboard without login
        #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
        bind: String,
    },
}

/// `project ...`
#[derive(Debug, Subcommand)]
pub enum ProjectCmd {
    /// Create a project (admin or tenant_admin)
    Create {
        /// Project id
        id: String,
        /// Owning tenant
        #[arg(long)]
        tenant: String,
        /// Display name (default: the id)
        #[arg(long)]
        name: Option<String>,
    },
    /// Show a project (default: --project)
    Show {
        /// Project id
        id: Option<String>,
    },
}

/// `env ...`
#[derive(Debug, Subcommand)]
pub enum EnvCmd {
    /// The environments of the project, in order
    List,
    /// One environment with its policy and variables (secrets masked)
    Show {
        /// Environment name
        name: String,
    },
    /// Create an environment (without --policy-file it gets the default policy for its name)
    Create {
        /// Environment name
        name: String,
        /// Position in the project's order
        #[arg(long)]
        position: Option<i64>,
        /// Where it lives
        #[arg(long)]
        url: Option<String>,
        /// Policy as a JSON file (`-` for stdin)
        #[arg(long, value_name = "FILE")]
        policy_file: Option<String>,
        /// A variable `KEY=VALUE` (repeatable)
        #[arg(long = "var", value_name = "KEY=VALUE")]
        vars: Vec<String>,
        /// A secret variable `KEY=VALUE` (repeatable)
        #[arg(long = "secret", value_name = "KEY=VALUE")]
        secrets: Vec<String>,
    },
    /// An environment's policy
    #[command(subcommand)]
    Policy(PolicyCmd),
    /// An environment's variables
    #[command(subcommand)]
    Vars(VarsCmd),
    /// Record an environment's health (healthy, degraded, down)
    Health {
        /// Environment name
        name: String,
        /// healthy, degraded or down
        health: String,
    },
    /// Entities whose live versions differ between two environments
    Compare {
        /// First environment
        left: String,
        /// Second environment
        right: String,
    },
}

/// `env policy ...`
#[derive(Debug, Subcommand)]
pub enum PolicyCmd {
    /// Print the policy as JSON
    Get {
        /// Environment name
        name: String,
    },
    /// Replace the policy from a JSON file (`-` for stdin; missing fields take defaults)
    Set {
        /// Environment name
        name: String,
        /// Policy JSON file
        file: String,
    },
}

/// `env vars ...`
#[derive(Debug, Subcommand)]
pub enum VarsCmd {
    /// Show the variables (secret values masked)
    Show {
        /// Environment name
        name: String,
    },
    /// Remove variables from the environment
    Unset {
        /// Environment name
        name: String,
        /// Keys to remove
        #[arg(required = true)]
        keys: Vec<String>,
    },
    /// Compare the variables of two environments (secrets by hash only)
    Compare {
        /// First environment
        left: String,
        /// Second environment
        right: String,
    },
    /// Replace all variables of the environment with the ones given
    Set {
        /// Environment name
        name: String,
        /// A variable `KEY=VALUE` (repeatable)
        #[arg(long = "var", value_name = "KEY=VALUE")]
        vars: Vec<String>,
        /// A secret variable `KEY=VALUE` (repeatable)
        #[arg(long = "secret", value_name = "KEY=VALUE")]
        secrets: Vec<String>,
    },
}

/// `version ...`
#[derive(Debug, Subcommand)]
pub enum VersionCmd {
    /// Register a version in the catalog (`TYPE/ID@TAG`, or --file with a JSON version spec)
    Register {
        /// `TYPE/ID@TAG` (e.g. `prompt_version/chatbot@1.2.0`)
        #[arg(value_name = "TYPE/ID@TAG")]
        spec: Option<String>,
        /// The full spec as JSON (`-` for stdin) instead of the flags
        #[arg(long, value_name = "FILE", conflicts_with = "spec")]
        file: Option<String>,
        /// Where the artifact lives
        #[arg(long)]
        uri: Option<String>,
        /// Content digest of the artifact
        #[arg(long)]
        digest: Option<String>,
        /// Free JSON metadata
        #[arg(long, value_name = "JSON")]
        metadata: Option<String>,
        /// A dependency `TYPE/ID=REQUIREMENT` (e.g. `prompt_asset_version/templates=^2.0`; repeatable)
        #[arg(long = "dep", value_name = "TYPE/ID=REQ")]
        deps: Vec<String>,
    },
    /// Every registered version of one entity, newest first
    List {
        /// `TYPE/ID`
        entity: String,
    },
    /// Refuse a version in new deployments until released (admins)
    Quarantine {
        /// `TYPE/ID@TAG`
        #[arg(value_name = "TYPE/ID@TAG")]
        spec: String,
        /// Why (required)
        #[arg(long)]
        reason: String,
    },
    /// Release a quarantined version (admins)
    Release {
        /// `TYPE/ID@TAG`
        #[arg(value_name = "TYPE/ID@TAG")]
        spec: String,
        /// Why (required)
        #[arg(long)]
        reason: String,
    },
}

/// `audit ...`
#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Walk the whole hash chain (exit 20 when it does not verify)
    Verify,
    /// Every audit entry of the project as JSON lines, oldest first
    Export {
        /// Only entries of this object (a deployment id, an environment name, ...)
        #[arg(long)]
        object: Option<String>,
        /// Only entries after this sequence number
        #[arg(long, default_value_t = 0)]
        after: i64,
    },
    /// Audit entries as a table, oldest first
    Log {
        /// Only entries of this object
        #[arg(long)]
        object: Option<String>,
        /// Only entries after this sequence number
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// At most this many entries
        #[arg(long)]
        limit: Option<u32>,
    },
}

/// `events ...`
#[derive(Debug, Subcommand)]
pub enum EventsCmd {
    /// Events after a position (of --project, or of every project without it)
    Tail {
        /// Start after this event sequence number
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// At most this many per poll (1..1000)
        #[arg(long)]
        limit: Option<u32>,
        /// Keep polling for new events
        #[arg(long, short = 'f')]
        follow: bool,
        /// Poll interval with --follow, milliseconds
        #[arg(long, default_value_t = 1000)]
        interval_ms: u64,
        /// Sign events with HMAC-SHA256 under the key in this environment variable
        #[arg(long, value_name = "VAR")]
        signing_key_env: Option<String>,
    },
}

/// `lease ...`
#[derive(Debug, Subcommand)]
pub enum LeaseCmd {
    /// End a stuck execution now: the deployment fails, the environment is free (admins)
    Release {
        /// Deployment id
        id: String,
        /// Why (required)
        #[arg(long)]
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_consistent() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}
