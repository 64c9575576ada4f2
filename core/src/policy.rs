//! Policies as plain data, the JAPM defaults, and their evaluation against a deployment.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{AUTO_APPROVER, Actor, Approval, Deployment, DeploymentKind, RiskLevel};

/// Default lease of an execution: one hour.
pub const DEFAULT_LEASE_TTL_SECONDS: i64 = 3600;

/// Roles that administer projects and environments (create environments, set policies).
pub const ADMIN_ROLES: [&str; 2] = ["admin", "tenant_admin"];

/// One approval rule: `required_approvals` distinct people holding one of `eligible_roles`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRule {
    /// Name, unique in the policy.
    pub name: String,
    /// How many distinct approvers.
    pub required_approvals: u32,
    /// Roles that may approve for this rule.
    pub eligible_roles: Vec<String>,
}

/// Extra approvals demanded from deployments of at least a given risk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskEscalation {
    /// Applies when the deployment's risk is at least this (cumulative across entries).
    pub min_risk: RiskLevel,
    /// Extra distinct approvers.
    pub extra_approvals: u32,
    /// Roles that may give them.
    pub eligible_roles: Vec<String>,
}

/// How rollbacks are governed in an environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollbackPolicy {
    /// When false (default), a rollback is approved automatically and executed at once.
    #[serde(default)]
    pub requires_approval: bool,
    /// Roles that may roll back.
    pub roles: Vec<String>,
}

/// Governance of one environment. Every field has a default so partial JSON is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// All rules must be met; empty = no approval (automatic).
    pub approval_rules: Vec<ApprovalRule>,
    /// The requester may never approve their own deployment. Turning it off is audited.
    pub four_eyes: bool,
    /// Extra approvals for risky deployments.
    pub risk_escalation: Vec<RiskEscalation>,
    /// Roles that may request (empty = anyone).
    pub request_roles: Vec<String>,
    /// Roles that may execute (empty = anyone).
    pub execute_roles: Vec<String>,
    /// Roles that may cancel someone else's deployment (the requester may always cancel).
    pub cancel_roles: Vec<String>,
    /// Roles that may reject (empty = anyone eligible for some approval rule; admins when no rule applies).
    pub reject_roles: Vec<String>,
    /// Approvals older than this many seconds stop counting.
    pub approval_ttl_seconds: Option<i64>,
    /// Roles that may execute without approvals, with a written reason.
    pub break_glass_roles: Vec<String>,
    /// Rollback governance.
    pub rollback: RollbackPolicy,
    /// How long an execution may hold the environment before [`crate::Engine::sweep`] fails it.
    pub lease_ttl_seconds: i64,
    /// Environments where the same versions must have gone live (and not been rolled back)
    /// before they may be deployed here (finding `promotion_required`).
    pub requires_success_in: Vec<String>,
    /// Quarantine the versions a successful rollback takes out of this environment.
    pub quarantine_on_rollback: bool,
    /// Roles that may approve or execute while a freeze window is open, with a written reason.
    pub freeze_override_roles: Vec<String>,
    /// What an item failure does during execution: `revert` everything, or `pause` for a human.
    pub on_failure: FailureMode,
    /// Post-deployment verification thresholds and automatic rollback.
    pub health: HealthPolicy,
    /// Keep the artifacts of the last N deployments of this environment (`None`: keep all).
    pub artifact_retention: Option<u32>,
}

crate::model::string_enum!(
    /// What an item failure does during execution.
    FailureMode {
        /// Revert the items already activated and fail the deployment (the default).
        Revert = "revert",
        /// Leave the deployment `paused` until a human retries the item, skips it or aborts.
        Pause = "pause",
    }
);

/// Thresholds of post-deployment verification (the Open Policy Platform defaults): crossing one
/// rolls the deployment back automatically when `auto_rollback` is on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HealthPolicy {
    /// More than this many consecutive failed checks trigger (default 3).
    pub max_consecutive_failures: u32,
    /// An error rate above this fraction triggers (default 0.05).
    pub max_error_rate: f64,
    /// A p95 latency above this multiple of the previous deployment's baseline triggers (default 1.5).
    pub max_latency_ratio: f64,
    /// Roll back automatically when a threshold is crossed (default true).
    pub auto_rollback: bool,
}

// INVARIANT: `Policy::check` refuses NaN thresholds, so equality is total on stored policies.
impl Eq for HealthPolicy {}

impl Default for HealthPolicy {
    fn default() -> Self {
        Self { max_consecutive_failures: 3, max_error_rate: 0.05, max_latency_ratio: 1.5, auto_rollback: true }
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

impl Default for Policy {
    fn default() -> Self {
        Self::development()
    }
}

impl Policy {
    /// `development`: no approval; anyone may request and execute.
    pub fn development() -> Self {
        Self {
            approval_rules: vec![],
            four_eyes: true,
            risk_escalation: vec![],
            request_roles: vec![],
            execute_roles: vec![],
            cancel_roles: strings(&ADMIN_ROLES),
            reject_roles: vec![],
            approval_ttl_seconds: None,
            break_glass_roles: strings(&ADMIN_ROLES),
            rollback: RollbackPolicy { requires_approval: false, roles: vec![] },
            lease_ttl_seconds: DEFAULT_LEASE_TTL_SECONDS,
            requires_success_in: vec![],
            quarantine_on_rollback: false,
            freeze_override_roles: strings(&ADMIN_ROLES),
            on_failure: FailureMode::Revert,
            health: HealthPolicy::default(),
            artifact_retention: None,
        }
    }

    /// `staging`: one approval from `lead` or `admin`.
    pub fn staging() -> Self {
        Self {
            approval_rules: vec![ApprovalRule { name: "lead".into(), required_approvals: 1, eligible_roles: strings(&["lead", "admin"]) }],
            execute_roles: strings(&["lead", "admin", "tenant_admin", "developer"]),
            rollback: RollbackPolicy { requires_approval: false, roles: strings(&["lead", "admin", "tenant_admin"]) },
            ..Self::development()
        }
    }

    /// `production`: two approvals from `admin`/`tenant_admin`, only they may request, 4-eyes on,
    /// one more approval for `critical` risk.
    pub fn production() -> Self {
        let admins = strings(&ADMIN_ROLES);
        Self {
            approval_rules: vec![ApprovalRule { name: "admins".into(), required_approvals: 2, eligible_roles: admins.clone() }],
            risk_escalation: vec![RiskEscalation { min_risk: RiskLevel::Critical, extra_approvals: 1, eligible_roles: admins.clone() }],
            request_roles: admins.clone(),
            execute_roles: admins.clone(),
            reject_roles: admins.clone(),
            rollback: RollbackPolicy { requires_approval: false, roles: admins },
            ..Self::development()
        }
    }

    /// The default for an environment name: `development`/`dev`, `staging`, `production`/`prod`;
    /// any other name gets the staging policy (one approval), the cautious middle.
    pub fn default_for(name: &str) -> Self {
        match name {
            "development" | "dev" => Self::development(),
            "production" | "prod" => Self::production(),
            _ => Self::staging(),
        }
    }

    /// Refuses policies that cannot work (unnamed or duplicate rules, rules nobody can meet).
    pub fn check(&self) -> Result<()> {
        let mut seen = std::collections::HashSet::new();
        for rule in &self.approval_rules {
            crate::model::check_id("approval rule name", &rule.name)?;
            if !seen.insert(rule.name.as_str()) {
                return Err(Error::invalid_input(format!("duplicate approval rule `{}`", rule.name)));
            }
            if rule.required_approvals > 0 && rule.eligible_roles.is_empty() {
                return Err(Error::invalid_input(format!("approval rule `{}` has no eligible roles", rule.name)));
            }
            if rule.required_approvals > 100 {
                return Err(Error::invalid_input(format!("approval rule `{}` requires more than 100 approvals", rule.name)));
            }
        }
        if self.lease_ttl_seconds <= 0 {
            return Err(Error::invalid_input(format!("lease_ttl_seconds must be positive, got `{}`", self.lease_ttl_seconds)));
        }
        for env in &self.requires_success_in {
            crate::model::check_id("required environment", env)?;
        }
        if let Some(ttl) = self.approval_ttl_seconds
            && ttl <= 0
        {
            return Err(Error::invalid_input(format!("approval_ttl_seconds must be positive, got `{ttl}`")));
        }
        let h = &self.health;
        if !(h.max_error_rate.is_finite() && (0.0..=1.0).contains(&h.max_error_rate)) {
            return Err(Error::invalid_input(format!("health.max_error_rate must be between 0 and 1, got `{}`", h.max_error_rate)));
        }
        if !(h.max_latency_ratio.is_finite() && h.max_latency_ratio >= 1.0) {
            return Err(Error::invalid_input(format!("health.max_latency_ratio must be at least 1, got `{}`", h.max_latency_ratio)));
        }
        if self.artifact_retention == Some(0) {
            return Err(Error::invalid_input("artifact_retention must be at least 1 (or absent to keep everything)"));
        }
        Ok(())
    }

    /// The rules that apply to a deployment of `risk`: the approval rules plus the escalations.
    pub fn effective_rules(&self, risk: RiskLevel) -> Vec<ApprovalRule> {
        let mut rules: Vec<ApprovalRule> = self.approval_rules.iter().filter(|r| r.required_approvals > 0).cloned().collect();
        for esc in &self.risk_escalation {
            if risk >= esc.min_risk && esc.extra_approvals > 0 {
                rules.push(ApprovalRule {
                    name: format!("risk:{}", esc.min_risk),
                    required_approvals: esc.extra_approvals,
                    eligible_roles: esc.eligible_roles.clone(),
                });
            }
        }
        rules
    }

    /// The rules a deployment must meet: none for a rollback unless `rollback.requires_approval`.
    pub fn rules_for(&self, kind: DeploymentKind, risk: RiskLevel) -> Vec<ApprovalRule> {
        if kind == DeploymentKind::Rollback && !self.rollback.requires_approval {
            return vec![];
        }
        self.effective_rules(risk)
    }

    /// Roles allowed to reject: `reject_roles`, else every role eligible for some rule, else (no
    /// rule applies) the admin roles. Never "anyone".
    pub fn rejecters(&self, risk: RiskLevel) -> Vec<String> {
        if !self.reject_roles.is_empty() {
            return self.reject_roles.clone();
        }
        let eligible: Vec<String> = self.effective_rules(risk).into_iter().flat_map(|r| r.eligible_roles).collect();
        if eligible.is_empty() { ADMIN_ROLES.iter().map(|r| (*r).to_owned()).collect() } else { eligible }
    }
}

/// Granted versus required approvals for one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleStatus {
    /// Rule name.
    pub rule: String,
    /// Distinct approvers required.
    pub required: u32,
    /// Valid approvals counted (current content, not expired).
    pub granted: u32,
    /// Approvers counted.
    pub approvers: Vec<String>,
    /// Roles that may approve for it.
    pub eligible_roles: Vec<String>,
}

impl RuleStatus {
    /// Whether the rule is met.
    pub fn met(&self) -> bool {
        self.granted >= self.required
    }
}

/// Why one approval does not count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoidApproval {
    /// Approver.
    pub actor_id: String,
    /// `stale_content` or `expired`.
    pub reason: String,
}

/// The approval state of a deployment under a policy at an instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalState {
    /// One entry per effective rule.
    pub rules: Vec<RuleStatus>,
    /// Approvals that do not count, and why.
    pub void: Vec<VoidApproval>,
    /// Whether approval is automatic (no rules apply).
    pub automatic: bool,
}

impl ApprovalState {
    /// Whether every rule is met.
    pub fn satisfied(&self) -> bool {
        self.rules.iter().all(RuleStatus::met)
    }

    /// The unmet rules, as one lowercase sentence.
    pub fn describe_missing(&self) -> String {
        self.rules
            .iter()
            .filter(|r| !r.met())
            .map(|r| format!("rule `{}` has {} of {} approvals", r.rule, r.granted, r.required))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Whether `approval` still counts: same content and not older than the TTL.
fn void_reason(policy: &Policy, approval: &Approval, content_hash: &str, now: DateTime<Utc>) -> Option<&'static str> {
    if approval.content_hash != content_hash {
        return Some("stale_content");
    }
    if let Some(ttl) = policy.approval_ttl_seconds
        && now - approval.at >= Duration::seconds(ttl)
    {
        return Some("expired");
    }
    None
}

/// Counts the approvals of `d` against `policy` at `now`, given the current `content_hash`.
///
/// INVARIANT: each approval was attributed to exactly one rule when it was given, and one actor
/// has at most one approval per deployment, so a person counts once whatever roles they hold.
pub fn evaluate(policy: &Policy, d: &Deployment, content_hash: &str, now: DateTime<Utc>) -> ApprovalState {
    let rules = policy.rules_for(d.kind, d.risk);
    let automatic = rules.is_empty();
    let mut void = Vec::new();
    let mut statuses: Vec<RuleStatus> = rules
        .into_iter()
        .map(|r| RuleStatus {
            rule: r.name,
            required: r.required_approvals,
            granted: 0,
            approvers: vec![],
            eligible_roles: r.eligible_roles,
        })
        .collect();
    for a in d.approvals.iter().filter(|a| a.actor_id != AUTO_APPROVER) {
        if let Some(reason) = void_reason(policy, a, content_hash, now) {
            void.push(VoidApproval { actor_id: a.actor_id.clone(), reason: reason.to_owned() });
            continue;
        }
        if let Some(s) = statuses.iter_mut().find(|s| s.rule == a.rule) {
            s.granted += 1;
            s.approvers.push(a.actor_id.clone());
        }
    }
    ApprovalState { rules: statuses, void, automatic }
}

/// Picks the rule an approval by `actor` counts for: the named one, or the first unmet rule the
/// actor is eligible for. Errors say why the actor cannot approve.
pub fn pick_rule(state: &ApprovalState, actor: &Actor, requested: Option<&str>) -> Result<String> {
    if let Some(name) = requested {
        let rule = state
            .rules
            .iter()
            .find(|r| r.rule == name)
            .ok_or_else(|| Error::not_found(format!("approval rule `{name}` does not apply to this deployment")))?;
        if !actor.has_any_role(&rule.eligible_roles) {
            return Err(Error::Forbidden(format!(
                "actor `{}` may not approve for rule `{name}`: needs one of the roles {}",
                actor.id,
                quoted(&rule.eligible_roles)
            )));
        }
        return Ok(rule.rule.clone());
    }
    let eligible: Vec<&RuleStatus> = state.rules.iter().filter(|r| actor.has_any_role(&r.eligible_roles)).collect();
    if eligible.is_empty() {
        let roles: Vec<String> = state.rules.iter().flat_map(|r| r.eligible_roles.clone()).collect();
        return Err(Error::Forbidden(format!("actor `{}` may not approve: needs one of the roles {}", actor.id, quoted(&roles))));
    }
    let chosen = eligible.iter().find(|r| !r.met()).or(eligible.first()).map(|r| r.rule.clone());
    chosen.ok_or_else(|| Error::Forbidden(format!("actor `{}` may not approve", actor.id)))
}

/// Formats role names as `` `a`, `b` ``.
pub(crate) fn quoted(roles: &[String]) -> String {
    let mut v: Vec<&String> = roles.iter().collect();
    v.sort();
    v.dedup();
    v.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_refuse_unknown_fields() {
        let ok: Policy = serde_json::from_str(r#"{"four_eyes": false}"#).unwrap();
        assert!(!ok.four_eyes);
        assert!(ok.approval_rules.is_empty(), "missing fields take the defaults");
        let typo = serde_json::from_str::<Policy>(r#"{"four_eye": false}"#).unwrap_err();
        assert!(typo.to_string().contains("unknown field `four_eye`"), "{typo}");
        let req =
            serde_json::from_str::<crate::model::DeploymentRequest>(r#"{"environment":"dev","name":"n","items":[],"enviroment":"x"}"#);
        assert!(req.is_err());
        let item =
            serde_json::from_str::<crate::model::ItemSpec>(r#"{"entity_type":"a","entity_id":"b","version_tag":"1","risk_level":"low"}"#);
        assert!(item.is_err());
    }

    #[test]
    fn rejecters_are_never_anyone() {
        assert_eq!(Policy::development().rejecters(RiskLevel::Low), ["admin", "tenant_admin"]);
        assert_eq!(Policy::staging().rejecters(RiskLevel::Low), ["lead", "admin"]);
    }
}
