//! Arguments of `freeze ...` and `report ...`.

use clap::Subcommand;

/// `freeze ...`
#[derive(Debug, Subcommand)]
pub enum FreezeCmd {
    /// Add a window: one-off (--from/--until), weekly (--days/--at/--minutes/--tz) or --file SPEC.json (admins)
    Add {
        /// Name shown in refusals
        #[arg(long, required_unless_present = "file")]
        name: Option<String>,
        /// Environment it freezes (default: every environment of the project)
        #[arg(long = "env")]
        environment: Option<String>,
        /// One-off start (RFC 3339)
        #[arg(long, value_name = "TIME", requires = "until", conflicts_with = "days")]
        from: Option<String>,
        /// One-off end (RFC 3339, exclusive)
        #[arg(long, value_name = "TIME", requires = "from")]
        until: Option<String>,
        /// Weekly: days a window starts, comma-separated (mon,tue,...)
        #[arg(long, value_name = "DAYS", value_delimiter = ',', requires_all = ["at", "minutes", "tz"])]
        days: Vec<String>,
        /// Weekly: local start time HH:MM
        #[arg(long, value_name = "HH:MM")]
        at: Option<String>,
        /// Weekly: length in minutes
        #[arg(long)]
        minutes: Option<u32>,
        /// Weekly: IANA time zone (e.g. Europe/Berlin)
        #[arg(long)]
        tz: Option<String>,
        /// The whole spec as JSON (`-` for stdin)
        #[arg(long, value_name = "FILE", conflicts_with_all = ["name", "from", "days"])]
        file: Option<String>,
    },
    /// The windows of the project (or those applying to one environment); with --at, only those on then
    List {
        /// Environment
        #[arg(long = "env")]
        environment: Option<String>,
        /// Only windows covering this instant (RFC 3339; needs --env)
        #[arg(long, value_name = "TIME", requires = "environment")]
        at: Option<String>,
    },
    /// Remove a window (admins; a reason is required)
    Remove {
        /// Freeze window id
        id: String,
        /// Why
        #[arg(long)]
        reason: String,
    },
}

/// `report ...`
#[derive(Debug, Subcommand)]
pub enum ReportCmd {
    /// Every deployment requested in a range to the governed environments (those with approval rules)
    Compliance {
        /// Start of the range (RFC 3339, inclusive, on the request time)
        #[arg(long, value_name = "TIME")]
        since: String,
        /// End of the range (RFC 3339, exclusive; default now)
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
        /// Only this environment (governed or not)
        #[arg(long = "env")]
        environment: Option<String>,
        /// CSV instead of a table
        #[arg(long, conflicts_with = "json")]
        csv: bool,
    },
    /// Delivery figures of one environment: success rate, time to deploy, change failure rate
    Metrics {
        /// Environment name
        environment: String,
        /// Start of the range (RFC 3339, inclusive)
        #[arg(long, value_name = "TIME")]
        since: String,
        /// End of the range (RFC 3339, exclusive; default now)
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
    },
}

/// `incident ...`
#[derive(Debug, Subcommand)]
pub enum IncidentCmd {
    /// Record an error that happened in a deployment
    Record {
        /// The deployment it happened in
        #[arg(long)]
        deployment: String,
        /// configuration, dependency, resource, permission, network, validation, ...
        #[arg(long)]
        category: String,
        /// critical, high, medium or low
        #[arg(long)]
        severity: String,
        /// Standardized error code (e.g. DB_CONN_TIMEOUT)
        #[arg(long)]
        code: String,
        /// Deployment stage (build, upload, deploy, verify, ...)
        #[arg(long)]
        stage: String,
        /// What went wrong
        #[arg(long)]
        message: String,
        /// Impact on users
        #[arg(long)]
        user_impact: Option<String>,
        /// Impact on the business
        #[arg(long)]
        business_impact: Option<String>,
    },
    /// Resolve a recorded error
    Resolve {
        /// Error id
        id: String,
        /// Resolution notes
        #[arg(long)]
        notes: String,
    },
    /// Recorded errors, newest first
    List {
        /// Environment of the deployment
        #[arg(long = "env")]
        environment: Option<String>,
        /// critical, high, medium or low
        #[arg(long)]
        severity: Option<String>,
        /// Only errors not resolved yet
        #[arg(long)]
        unresolved: bool,
    },
}

/// `artifact ...`
#[derive(Debug, Subcommand)]
pub enum ArtifactCmd {
    /// Attach a build artifact to a catalog version
    Attach {
        /// `TYPE/ID@TAG`
        #[arg(value_name = "TYPE/ID@TAG")]
        spec: String,
        /// Name, unique per version
        #[arg(long)]
        name: String,
        /// Where it is stored
        #[arg(long)]
        uri: String,
        /// Content digest
        #[arg(long)]
        digest: Option<String>,
        /// Size in bytes
        #[arg(long)]
        size: Option<u64>,
    },
    /// Artifacts of an entity (`TYPE/ID`) or of one version (`TYPE/ID@TAG`)
    List {
        /// `TYPE/ID` or `TYPE/ID@TAG`
        #[arg(value_name = "TYPE/ID[@TAG]")]
        target: String,
    },
    /// Artifacts the retention policy allows to delete
    Prunable,
    /// Delete artifact records (the files are the host's to delete)
    Prune {
        /// Artifact ids
        #[arg(required = true)]
        ids: Vec<String>,
        /// Why
        #[arg(long)]
        reason: String,
    },
}
