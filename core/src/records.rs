//! Governed records beside deployments: environment variable comparisons, build artifacts,
//! deployment errors (the Open Policy Platform `deployment_errors` table) and reports.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{Decision, DeploymentKind, DeploymentStatus, string_enum};

/// One variable key compared between two environments ([`crate::Engine::compare_variables`]).
/// Secret values are never shown: a secret side reads [`crate::model::REDACTED`] and carries the
/// SHA-256 of its value instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariableDiff {
    /// Variable key.
    pub key: String,
    /// Value in the left environment: `None` when the key is absent there, `***` when secret.
    pub left: Option<String>,
    /// Value in the right environment: `None` when the key is absent there, `***` when secret.
    pub right: Option<String>,
    /// Whether the variable is secret on either side.
    pub secret: bool,
    /// Present on both sides with the same secret flag and the same value (secret values
    /// compared by their SHA-256 only).
    pub equal: bool,
}

/// What a host passes to attach a build artifact to a catalog version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtifactSpec {
    /// Entity type of the version.
    pub entity_type: String,
    /// Entity id of the version.
    pub entity_id: String,
    /// Version tag (must be in the catalog).
    pub version_tag: String,
    /// Name, unique per version (`image`, `bundle.tar.gz`, ...).
    pub name: String,
    /// Where the artifact is stored.
    pub uri: String,
    /// Content digest (`sha256:...`).
    #[serde(default)]
    pub digest: Option<String>,
    /// Size in bytes.
    #[serde(default)]
    pub size_bytes: Option<u64>,
}

/// A build artifact attached to a catalog version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// Sortable id (UUIDv7).
    pub id: String,
    /// Project.
    pub project_id: String,
    /// Entity type of the version.
    pub entity_type: String,
    /// Entity id of the version.
    pub entity_id: String,
    /// Version tag.
    pub version_tag: String,
    /// Name, unique per version.
    pub name: String,
    /// Where the artifact is stored.
    pub uri: String,
    /// Content digest.
    pub digest: Option<String>,
    /// Size in bytes.
    pub size_bytes: Option<u64>,
    /// When it was attached.
    pub created_at: DateTime<Utc>,
    /// Who attached it.
    pub created_by: String,
}

string_enum!(
    /// What kind of deployment error (the Open Policy Platform categories).
    ErrorCategory {
        /// Environment variables, config files.
        Configuration = "configuration",
        /// Service dependencies, external services.
        Dependency = "dependency",
        /// Memory, CPU, disk space.
        Resource = "resource",
        /// Connectivity, timeouts, DNS.
        Network = "network",
        /// Authentication, authorization, certificates.
        Security = "security",
        /// Slow responses, bottlenecks.
        Performance = "performance",
    }
);

string_enum!(
    /// How bad a deployment error is.
    ErrorSeverity { Critical = "critical", High = "high", Medium = "medium", Low = "low" }
);

/// What a host passes to record a deployment error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorSpec {
    /// The deployment it happened in (its environment is the error's environment).
    pub deployment_id: String,
    /// Category.
    pub category: ErrorCategory,
    /// Severity.
    pub severity: ErrorSeverity,
    /// Standardized error code (`DB_CONN_TIMEOUT`, ...).
    pub code: String,
    /// Deployment stage (`build`, `upload`, `deploy`, `verify`, ...).
    pub stage: String,
    /// What went wrong (may hold a stack trace).
    pub message: String,
    /// Impact on users.
    #[serde(default)]
    pub user_impact: Option<String>,
    /// Impact on the business.
    #[serde(default)]
    pub business_impact: Option<String>,
}

/// How a deployment error was resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResolution {
    /// When.
    pub resolved_at: DateTime<Utc>,
    /// Who.
    pub resolved_by: String,
    /// Resolution notes.
    pub notes: String,
}

/// A recorded deployment error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentErrorRecord {
    /// Sortable id (UUIDv7).
    pub id: String,
    /// Project.
    pub project_id: String,
    /// The deployment it happened in.
    pub deployment_id: String,
    /// The deployment's environment.
    pub environment: String,
    /// Category.
    pub category: ErrorCategory,
    /// Severity.
    pub severity: ErrorSeverity,
    /// Error code.
    pub code: String,
    /// Deployment stage.
    pub stage: String,
    /// What went wrong.
    pub message: String,
    /// Impact on users.
    pub user_impact: Option<String>,
    /// Impact on the business.
    pub business_impact: Option<String>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it.
    pub recorded_by: String,
    /// Set once resolved.
    pub resolution: Option<ErrorResolution>,
}

/// Filters for [`crate::Engine::list_deployment_errors`]; every field narrows the result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ErrorFilter {
    /// Environment of the deployment.
    pub environment: Option<String>,
    /// Severity.
    pub severity: Option<ErrorSeverity>,
    /// Only errors not resolved yet.
    pub unresolved_only: bool,
}

/// One item of a deployment in a compliance report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportItem {
    /// Entity type.
    pub entity_type: String,
    /// Entity id.
    pub entity_id: String,
    /// Version made live (`None`: a rollback removed the entity).
    pub version_tag: Option<String>,
    /// The version it replaced, once executed.
    pub previous_version: Option<String>,
}

/// One deployment in a compliance report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplianceEntry {
    /// Deployment id.
    pub deployment_id: String,
    /// Environment.
    pub environment: String,
    /// Deployment name.
    pub name: String,
    /// Kind.
    pub kind: DeploymentKind,
    /// Status when the report was made.
    pub status: DeploymentStatus,
    /// Items.
    pub items: Vec<ReportItem>,
    /// Requester.
    pub requested_by: String,
    /// Request time.
    pub requested_at: DateTime<Utc>,
    /// People whose approvals are bound to the content as it stands (automatic approvals and
    /// approvals voided by a content change are left out), in approval order.
    pub approvers: Vec<String>,
    /// Approved automatically (no rule applied).
    pub auto_approved: bool,
    /// Who executed it.
    pub executed_by: Option<String>,
    /// Execution end.
    pub finished_at: Option<DateTime<Utc>>,
    /// When it went live.
    pub deployed_at: Option<DateTime<Utc>>,
    /// Break-glass use: who, when, why.
    pub break_glass: Option<Decision>,
    /// For a rollback: the deployment rolled back.
    pub rollback_of: Option<String>,
    /// For a rollback: the deployment whose state it restored.
    pub rollback_to: Option<String>,
    /// When this deployment was itself rolled back: who, when, why.
    pub rolled_back: Option<Decision>,
    /// Rejection or cancellation: who, when, why.
    pub refused: Option<Decision>,
    /// Error messages of failed items (`entity_type/entity_id: message`).
    pub failures: Vec<String>,
}

/// Every change to the governed environments in a time range
/// ([`crate::Engine::compliance_report`]). Serde gives the JSON form; [`Self::to_csv`] the CSV.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplianceReport {
    /// Project.
    pub project_id: String,
    /// The environments covered, in the project's order.
    pub environments: Vec<String>,
    /// Start of the range (inclusive), on `requested_at`.
    pub from: DateTime<Utc>,
    /// End of the range (exclusive).
    pub to: DateTime<Utc>,
    /// When the report was made.
    pub generated_at: DateTime<Utc>,
    /// The deployments, oldest request first.
    pub entries: Vec<ComplianceEntry>,
}

/// The CSV columns of [`ComplianceReport::to_csv`], in order.
pub const COMPLIANCE_CSV_COLUMNS: [&str; 21] = [
    "deployment_id",
    "environment",
    "name",
    "kind",
    "status",
    "items",
    "requested_by",
    "requested_at",
    "approvers",
    "auto_approved",
    "executed_by",
    "finished_at",
    "deployed_at",
    "break_glass_by",
    "break_glass_reason",
    "rollback_of",
    "rollback_to",
    "rolled_back_by",
    "rolled_back_at",
    "refused_by",
    "failures",
];

fn ts(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)).unwrap_or_default()
}

/// One RFC 4180 field: quoted (with quotes doubled) when it holds a comma, a quote, CR or LF.
fn csv_field(out: &mut String, value: &str) {
    if value.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

fn csv_row<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_field(out, f.as_ref());
    }
    out.push_str("\r\n");
}

impl ComplianceReport {
    /// The report as RFC 4180 CSV: a header row ([`COMPLIANCE_CSV_COLUMNS`]), then one row per
    /// deployment, CRLF line ends. Lists inside a field are joined with `; ` (items as
    /// `entity_type/entity_id@version`, `-` for a removal); timestamps are RFC 3339; absent
    /// values are empty.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        csv_row(&mut out, &COMPLIANCE_CSV_COLUMNS);
        for e in &self.entries {
            let items: Vec<String> = e
                .items
                .iter()
                .map(|i| {
                    let mut s = String::new();
                    let _infallible = write!(s, "{}/{}@{}", i.entity_type, i.entity_id, i.version_tag.as_deref().unwrap_or("-"));
                    s
                })
                .collect();
            let who = |d: &Option<Decision>| d.as_ref().map(|d| d.actor_id.clone()).unwrap_or_default();
            let row = [
                e.deployment_id.clone(),
                e.environment.clone(),
                e.name.clone(),
                e.kind.to_string(),
                e.status.to_string(),
                items.join("; "),
                e.requested_by.clone(),
                ts(Some(e.requested_at)),
                e.approvers.join("; "),
                e.auto_approved.to_string(),
                e.executed_by.clone().unwrap_or_default(),
                ts(e.finished_at),
                ts(e.deployed_at),
                who(&e.break_glass),
                e.break_glass.as_ref().and_then(|d| d.reason.clone()).unwrap_or_default(),
                e.rollback_of.clone().unwrap_or_default(),
                e.rollback_to.clone().unwrap_or_default(),
                who(&e.rolled_back),
                ts(e.rolled_back.as_ref().map(|d| d.at)),
                who(&e.refused),
                e.failures.join("; "),
            ];
            csv_row(&mut out, &row);
        }
        out
    }
}

/// Delivery figures of one environment over a time range ([`crate::Engine::environment_metrics`]).
///
/// The population is the deployments of kind `deploy` or `promotion` requested in `[from, to)`;
/// rollback deployments are the remedy, not changes, and only enter the time to roll back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvironmentMetrics {
    /// Environment.
    pub environment: String,
    /// Start of the range (inclusive), on `requested_at`.
    pub from: DateTime<Utc>,
    /// End of the range (exclusive).
    pub to: DateTime<Utc>,
    /// Executions that ended: went live or failed.
    pub deployments_finished: u64,
    /// Went live (`deployed`, `superseded` or `rolled_back` now).
    pub succeeded: u64,
    /// Failed (an item failed and was reverted, or the lease expired).
    pub failed: u64,
    /// Went live and were rolled back later.
    pub rolled_back: u64,
    /// `succeeded / deployments_finished`; `None` when nothing finished.
    pub success_rate: Option<f64>,
    /// Mean seconds from request to going live, over the deployments that went live.
    pub mean_time_to_deploy_seconds: Option<f64>,
    /// Mean seconds from going live to the rollback going live, over the rolled-back ones.
    pub mean_time_to_roll_back_seconds: Option<f64>,
    /// `(failed + rolled_back) / deployments_finished`; `None` when nothing finished.
    pub change_failure_rate: Option<f64>,
}
