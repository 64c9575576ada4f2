//! The domain model: actors, projects, environments, the version catalog, deployments and the
//! active state. Plain data with serde; JSON field names are the ones every binding uses.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::policy::Policy;
use crate::validation::Finding;

/// Defines a `snake_case` string enum with `as_str`, `Display`, `FromStr` (unknown strings are
/// `invalid_input`) and `ALL`.
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[allow(missing_docs, reason = "variant names match their documented snake_case strings")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The `snake_case` name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
        impl std::str::FromStr for $name {
            type Err = $crate::error::Error;
            fn from_str(s: &str) -> $crate::error::Result<Self> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::error::Error::invalid_input(format!(
                        concat!("unknown ", stringify!($name), " `{}`, expected one of: {}"),
                        s, [$($text),+].join(", ")))),
                }
            }
        }
    };
}
pub(crate) use string_enum;

/// Who performs a command. The host authenticates; deploygov authorizes on `roles`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// Stable user id.
    pub id: String,
    /// Free role strings (`admin`, `tenant_admin`, `lead`, `developer`, `viewer`, ...).
    #[serde(default)]
    pub roles: Vec<String>,
}

impl Actor {
    /// An actor with the given roles.
    pub fn new(id: impl Into<String>, roles: &[&str]) -> Self {
        Self { id: id.into(), roles: roles.iter().map(|r| (*r).to_owned()).collect() }
    }

    /// Whether the actor holds any of `roles`. An empty list means "anyone".
    pub fn has_any_role(&self, roles: &[String]) -> bool {
        roles.is_empty() || self.roles.iter().any(|r| roles.contains(r))
    }

    /// Refuses ids a caller may not use: empty, overlong, control characters, any whitespace
    /// (so ` alice` or `alice\u{a0}` cannot pass for `alice`), and the engine's own reserved
    /// `deploygov:` ids (automatic approvals, the sweep, health rollbacks).
    pub(crate) fn check(&self) -> Result<()> {
        check_id("actor id", &self.id)?;
        if self.id.chars().any(char::is_whitespace) {
            return Err(Error::invalid_input(format!("actor id `{}` contains whitespace", self.id.escape_debug())));
        }
        if self.id.to_lowercase().starts_with(RESERVED_ACTOR_PREFIX) {
            return Err(Error::invalid_input(format!("actor id `{}` is reserved for the engine itself", self.id)));
        }
        Ok(())
    }

    /// Whether this actor is the person `other` names. Ids compare without regard to case, so
    /// `Alice` is `alice` for 4-eyes and for counting each person once.
    pub fn is(&self, other: &str) -> bool {
        same_person(&self.id, other)
    }
}

/// Prefix of the ids the engine acts under; callers may not use them.
pub const RESERVED_ACTOR_PREFIX: &str = "deploygov:";

/// Whether two actor ids name the same person (case-insensitive).
pub fn same_person(a: &str, b: &str) -> bool {
    a == b || a.to_lowercase() == b.to_lowercase()
}

/// Refuses empty, overlong or control-character ids.
pub(crate) fn check_id(what: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid_input(format!("{what} must not be empty")));
    }
    if value.len() > 256 {
        return Err(Error::invalid_input(format!("{what} is longer than 256 bytes")));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid_input(format!("{what} `{}` contains control characters", value.escape_debug())));
    }
    Ok(())
}

/// A project: the scope of every query. Belongs to a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    /// Host-chosen id, unique in the store.
    pub id: String,
    /// Owning tenant.
    pub tenant: String,
    /// Display name.
    pub name: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

string_enum!(
    /// Health of an environment as reported by the host.
    Health { Healthy = "healthy", Degraded = "degraded", Down = "down" }
);

/// One environment variable. Secret values never leave the store except to the executor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    /// Name.
    pub key: String,
    /// Value (`***` when read back for a secret).
    pub value: String,
    /// Whether the value is secret.
    #[serde(default)]
    pub secret: bool,
}

/// The text that replaces secret values in snapshots, reads and the audit trail.
pub const REDACTED: &str = "***";

/// Replaces secret values by [`REDACTED`].
pub fn redact(vars: &[Variable]) -> Vec<Variable> {
    vars.iter().map(|v| Variable { value: if v.secret { REDACTED.to_owned() } else { v.value.clone() }, ..v.clone() }).collect()
}

/// An environment of a project (development, staging, production, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    /// Owning project.
    pub project_id: String,
    /// Name, unique in the project; the key commands use.
    pub name: String,
    /// Position in the project's order (0 first).
    pub position: i64,
    /// Where it lives.
    pub url: Option<String>,
    /// Variables; part of every deployment's content hash.
    pub variables: Vec<Variable>,
    /// Health reported by the host.
    pub health: Health,
    /// Governance rules.
    pub policy: Policy,
    /// Bumped on every change.
    pub revision: i64,
}

/// What a host passes to create an environment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSpec {
    /// Name, unique in the project.
    pub name: String,
    /// Position in the project's order; defaults to after the last one.
    #[serde(default)]
    pub position: Option<i64>,
    /// Where it lives.
    #[serde(default)]
    pub url: Option<String>,
    /// Variables.
    #[serde(default)]
    pub variables: Vec<Variable>,
    /// Policy; defaults to [`Policy::default_for`] the name.
    #[serde(default)]
    pub policy: Option<Policy>,
}

/// A dependency of a catalog version on another entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    /// Entity type of the dependency.
    pub entity_type: String,
    /// Entity id of the dependency.
    pub entity_id: String,
    /// A semver requirement (`^1.2`, `>=2, <3`) or, for non-semver tags, the exact tag.
    pub requirement: String,
}

/// What a host passes to register a version in the catalog.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VersionSpec {
    /// Free string; `prompt_version`, `prompt_asset_version`, `ai_model`, `app_build` are well known.
    pub entity_type: String,
    /// Entity id.
    pub entity_id: String,
    /// Version tag; semver tags are compared as semver.
    pub version_tag: String,
    /// Where the artifact lives.
    #[serde(default)]
    pub uri: Option<String>,
    /// Content digest of the artifact (part of the content hash).
    #[serde(default)]
    pub digest: Option<String>,
    /// Free JSON metadata.
    #[serde(default)]
    pub metadata: serde_json::Value,
    /// Dependencies on other entities.
    #[serde(default)]
    pub dependencies: Vec<Dependency>,
}

/// A registered version (catalog entries are immutable).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Version {
    /// Project of the catalog.
    pub project_id: String,
    /// The registered data.
    #[serde(flatten)]
    pub spec: VersionSpec,
    /// Who registered it.
    pub registered_by: String,
    /// When.
    pub registered_at: DateTime<Utc>,
    /// Set while the version is quarantined: refused in new deployments and promotions.
    #[serde(default)]
    pub quarantine: Option<Decision>,
}

string_enum!(
    /// Why a deployment exists.
    DeploymentKind { Deploy = "deploy", Rollback = "rollback", Promotion = "promotion" }
);

string_enum!(
    /// Lifecycle status of a deployment. Transitions: see [`crate::state`].
    DeploymentStatus {
        /// Awaiting approval.
        Pending = "pending",
        /// Every approval rule met (or none required).
        Approved = "approved",
        /// Refused by an approver.
        Rejected = "rejected",
        /// Withdrawn before execution.
        Cancelled = "cancelled",
        /// The executor is running.
        Deploying = "deploying",
        /// An item failed under a `pause` policy: waiting for a human to retry, skip or abort.
        Paused = "paused",
        /// Live.
        Deployed = "deployed",
        /// An item failed; everything was reverted.
        Failed = "failed",
        /// A later deployment replaced all of its items.
        Superseded = "superseded",
        /// A rollback replaced it.
        RolledBack = "rolled_back",
    }
);

string_enum!(
    /// Risk of an item; a deployment's risk is its highest item risk.
    RiskLevel { Low = "low", Medium = "medium", High = "high", Critical = "critical" }
);

string_enum!(
    /// Status of one item.
    ItemStatus { Pending = "pending", Deployed = "deployed", Failed = "failed", Reverted = "reverted", Skipped = "skipped" }
);

/// What a host passes for one item of a deployment request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemSpec {
    /// Entity type.
    pub entity_type: String,
    /// Entity id.
    pub entity_id: String,
    /// Version to activate (must be in the catalog).
    pub version_tag: String,
    /// Why.
    #[serde(default)]
    pub change_message: Option<String>,
    /// Declared risk.
    #[serde(default = "default_risk")]
    pub risk: RiskLevel,
}

fn default_risk() -> RiskLevel {
    RiskLevel::Low
}

/// One item of a deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentItem {
    /// Entity type.
    pub entity_type: String,
    /// Entity id.
    pub entity_id: String,
    /// Version to activate; `None` only in rollback items, where it means "remove the entity
    /// from the active state" (the rollback target did not have it live).
    pub version_tag: Option<String>,
    /// Why.
    pub change_message: Option<String>,
    /// Declared risk.
    pub risk: RiskLevel,
    /// Item status.
    pub status: ItemStatus,
    /// Error from the executor when it failed.
    pub error_message: Option<String>,
    /// When it went live.
    pub deployed_at: Option<DateTime<Utc>>,
    /// The version live in the environment when execution started (what rollback restores).
    pub previous_version: Option<String>,
    /// The deployment that had `previous_version` live.
    pub previous_deployment_id: Option<String>,
}

/// One approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// Approver (`deploygov:auto` for automatic approvals).
    pub actor_id: String,
    /// When.
    pub at: DateTime<Utc>,
    /// The rule it counts for.
    pub rule: String,
    /// Free comment.
    pub comment: Option<String>,
    /// Content hash the approver saw; the approval counts only while it matches.
    pub content_hash: String,
}

/// Who ended a deployment and why (rejection, cancellation, rollback).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Who.
    pub actor_id: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Why.
    pub reason: Option<String>,
}

/// The actor id recorded for automatic approvals.
pub const AUTO_APPROVER: &str = "deploygov:auto";

/// A deployment: a bundle of versions going to one environment under its policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    /// Sortable id (UUIDv7).
    pub id: String,
    /// Project.
    pub project_id: String,
    /// Environment name.
    pub environment: String,
    /// Short name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Why it exists.
    pub kind: DeploymentKind,
    /// Current status.
    pub status: DeploymentStatus,
    /// Items, in request order.
    pub items: Vec<DeploymentItem>,
    /// Requester.
    pub requested_by: String,
    /// Request time.
    pub requested_at: DateTime<Utc>,
    /// Approvals, in order.
    pub approvals: Vec<Approval>,
    /// Rejection, when rejected.
    pub rejection: Option<Decision>,
    /// Cancellation, when cancelled.
    pub cancellation: Option<Decision>,
    /// Break-glass execution, when approvals were bypassed.
    pub break_glass: Option<Decision>,
    /// Execution start.
    pub started_at: Option<DateTime<Utc>>,
    /// Execution end (success or failure).
    pub finished_at: Option<DateTime<Utc>>,
    /// When it went live.
    pub deployed_at: Option<DateTime<Utc>>,
    /// Who executed it.
    pub executed_by: Option<String>,
    /// Rollback that replaced it.
    pub rolled_back: Option<Decision>,
    /// When it was rolled back.
    pub rolled_back_at: Option<DateTime<Utc>>,
    /// For kind `rollback`: the deployment being rolled back.
    pub rollback_of: Option<String>,
    /// For kind `rollback`: the deployment whose state is restored (if any).
    pub rollback_to: Option<String>,
    /// For kind `promotion`: the source deployment.
    pub promoted_from: Option<String>,
    /// Highest item risk.
    pub risk: RiskLevel,
    /// Environment variables at request (updated at execution), secrets redacted.
    pub config_snapshot: Vec<Variable>,
    /// SHA-256 of items (with catalog digests) and environment config.
    pub content_hash: String,
    /// Warnings found by validation.
    pub warnings: Vec<Finding>,
    /// Position in the activation history when it went live (what a rollback to it restores).
    pub activation_seq: Option<i64>,
    /// While `deploying`: when the execution's lease on the environment expires.
    #[serde(default)]
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// Not to be executed before this time.
    #[serde(default)]
    pub scheduled_for: Option<DateTime<Utc>>,
    /// Cancelled by the sweep when not started by this time.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// Optimistic-concurrency revision, bumped by every change.
    pub revision: i64,
    /// Idempotency key given at request.
    pub idempotency_key: Option<String>,
}

impl Deployment {
    /// A new `pending` deployment of `items` to `env`, with nothing decided yet; its risk is the
    /// highest item risk and its config snapshot the environment's variables, redacted.
    pub(crate) fn fresh(
        env: &Environment,
        kind: DeploymentKind,
        name: String,
        items: Vec<DeploymentItem>,
        requested: (&str, DateTime<Utc>),
        content_hash: String,
    ) -> Self {
        Self {
            id: uuid::Uuid::now_v7().to_string(),
            project_id: env.project_id.clone(),
            environment: env.name.clone(),
            name,
            description: None,
            kind,
            status: DeploymentStatus::Pending,
            risk: items.iter().map(|i| i.risk).max().unwrap_or(RiskLevel::Low),
            items,
            requested_by: requested.0.to_owned(),
            requested_at: requested.1,
            approvals: vec![],
            rejection: None,
            cancellation: None,
            break_glass: None,
            started_at: None,
            finished_at: None,
            deployed_at: None,
            executed_by: None,
            rolled_back: None,
            rolled_back_at: None,
            rollback_of: None,
            rollback_to: None,
            promoted_from: None,
            config_snapshot: redact(&env.variables),
            content_hash,
            warnings: vec![],
            activation_seq: None,
            lease_expires_at: None,
            scheduled_for: None,
            expires_at: None,
            revision: 1,
            idempotency_key: None,
        }
    }
}

/// What a host passes to request a deployment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploymentRequest {
    /// Target environment name.
    pub environment: String,
    /// Short name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Items.
    pub items: Vec<ItemSpec>,
    /// A repeated request with the same key returns the first deployment (same content) or a
    /// `conflict` (different content).
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// Not to be executed before this time (finding `not_yet_due`).
    #[serde(default)]
    pub scheduled_for: Option<DateTime<Utc>>,
    /// Cancelled by the sweep when not started by this time.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// What is live for one entity in one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveEntry {
    /// Environment name.
    pub environment: String,
    /// Entity type.
    pub entity_type: String,
    /// Entity id.
    pub entity_id: String,
    /// Live version.
    pub version_tag: String,
    /// Deployment that made it live.
    pub deployment_id: String,
    /// Since when.
    pub since: DateTime<Utc>,
}

/// One change of the active state, from the append-only activation history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Position in the store-wide activation history.
    pub seq: i64,
    /// Environment name.
    pub environment: String,
    /// Entity type.
    pub entity_type: String,
    /// Entity id.
    pub entity_id: String,
    /// Version made live; `None` when the entity was removed.
    pub version_tag: Option<String>,
    /// Deployment that made the change.
    pub deployment_id: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// What was live for one entity at a past instant, and who put it there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveEntry {
    /// Entity type.
    pub entity_type: String,
    /// Entity id.
    pub entity_id: String,
    /// Live version.
    pub version_tag: String,
    /// Since when.
    pub since: DateTime<Utc>,
    /// Deployment that made it live.
    pub deployment_id: String,
    /// Who requested that deployment.
    pub requested_by: String,
    /// Who approved it (empty for automatic approval).
    pub approved_by: Vec<String>,
    /// Who executed it.
    pub executed_by: Option<String>,
}

/// What one [`crate::Engine::sweep`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepReport {
    /// Deployments whose execution lease expired: now `failed`, their environment free.
    pub leases_expired: Vec<String>,
    /// Approved deployments whose approvals expired: back to `pending`.
    pub approvals_expired: Vec<String>,
    /// Deployments not started before their `expires_at`: now `cancelled`.
    pub schedules_expired: Vec<String>,
}

/// One entity whose live version differs between two environments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentDiff {
    /// Entity type.
    pub entity_type: String,
    /// Entity id.
    pub entity_id: String,
    /// Live version in the first environment.
    pub left: Option<String>,
    /// Live version in the second environment.
    pub right: Option<String>,
}

/// Filters for listing deployments; every field narrows the result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploymentFilter {
    /// Environment name.
    #[serde(default)]
    pub environment: Option<String>,
    /// Status.
    #[serde(default)]
    pub status: Option<DeploymentStatus>,
    /// Entity type (with `entity_id`: deployments that contain that entity).
    #[serde(default)]
    pub entity_type: Option<String>,
    /// Entity id.
    #[serde(default)]
    pub entity_id: Option<String>,
    /// Requester.
    #[serde(default)]
    pub requested_by: Option<String>,
    /// Requested at or after.
    #[serde(default)]
    pub requested_after: Option<DateTime<Utc>>,
    /// Requested before.
    #[serde(default)]
    pub requested_before: Option<DateTime<Utc>>,
    /// Cursor from a previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Page size (default 50, at most 500).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// One page of a list, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}
