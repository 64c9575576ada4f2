//! Requesting, approving, rejecting and cancelling deployments.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::gate::{Action, GateOptions, first, item_keys, transition};
use super::{Engine, content_hash, deployment_audit, need_env, need_project, record, require_role};
use crate::error::{Error, Result};
use crate::model::{
    AUTO_APPROVER, Actor, Approval, Decision, Deployment, DeploymentItem, DeploymentKind, DeploymentRequest, DeploymentStatus, Environment,
    ItemStatus, check_id,
};
use crate::policy::pick_rule;
use crate::store::StoreTx;
use crate::validation::{Phase, ValidationReport};

/// Options of [`Engine::approve`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApproveOptions {
    /// Free comment.
    pub comment: Option<String>,
    /// The rule this approval counts for; default: the first unmet rule the actor is eligible for.
    pub rule: Option<String>,
    /// Approve although a freeze window is open. Needs a freeze override role; audited.
    pub freeze_override_reason: Option<String>,
}

/// Options of [`Engine::execute`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExecuteOptions {
    /// Break-glass: execute without the approvals. Needs a break-glass role; audited.
    pub break_glass_reason: Option<String>,
    /// Execute although a freeze window is open. Needs a freeze override role; audited.
    pub freeze_override_reason: Option<String>,
}

/// Options of [`Engine::rollback`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RollbackOptions {
    /// An earlier successful deployment of the same environment whose state to restore; default:
    /// the versions the rolled-back deployment replaced.
    pub target: Option<String>,
    /// Why (required).
    pub reason: String,
}

/// A repeated request with an idempotency key: the first deployment when the content is the
/// same, `conflict` otherwise.
fn idempotent(existing: Deployment, new: &Deployment, key: &str) -> Result<Deployment> {
    let same = existing.environment == new.environment
        && existing.name == new.name
        && existing.description == new.description
        && (existing.scheduled_for, existing.expires_at) == (new.scheduled_for, new.expires_at)
        && existing.kind == DeploymentKind::Deploy
        && existing.items.len() == new.items.len()
        && existing.items.iter().zip(&new.items).all(|(a, b)| {
            (&a.entity_type, &a.entity_id, &a.version_tag, &a.change_message, a.risk)
                == (&b.entity_type, &b.entity_id, &b.version_tag, &b.change_message, b.risk)
        });
    if same {
        return Ok(existing);
    }
    Err(Error::Conflict(format!("idempotency key `{key}` was used for a different deployment `{}`", existing.id)))
}

fn required_text<'a>(what: &str, v: Option<&'a str>) -> Result<&'a str> {
    match v.map(str::trim) {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(Error::invalid_input(format!("a {what} is required"))),
    }
}

impl Engine {
    /// Requests a deployment. Validation runs first (errors refuse it with the whole report;
    /// warnings are stored). An environment whose policy needs no approval approves it at once,
    /// recorded as an automatic approval.
    pub fn request_deployment(&self, project: &str, req: &DeploymentRequest, actor: &Actor) -> Result<Deployment> {
        actor.check()?;
        check_id("environment name", &req.environment)?;
        check_id("deployment name", &req.name)?;
        if let Some(k) = &req.idempotency_key {
            check_id("idempotency key", k)?;
        }
        if let (Some(start), Some(end)) = (req.scheduled_for, req.expires_at)
            && end <= start
        {
            return Err(Error::invalid_input(format!("expires_at `{end}` is not after scheduled_for `{start}`")));
        }
        for i in &req.items {
            check_id("entity type", &i.entity_type)?;
            check_id("entity id", &i.entity_id)?;
            check_id("version tag", &i.version_tag)?;
        }
        let now = self.now();
        self.validated_write(
            Phase::Request,
            |tx| self.build_request(tx, project, req, actor, now),
            |tx, custom, expected| {
                let (env, d) = self.build_request(tx, project, req, actor, now)?;
                require_role(actor, &env.policy.request_roles, &format!("request deployments to `{}`", env.name))?;
                if let Some(key) = &req.idempotency_key
                    && let Some(existing) = tx.deployment_by_key(project, key)?
                {
                    return idempotent(existing, &d, key).map(Some);
                }
                if expected.is_some_and(|f| f != super::gate::fingerprint(&env, &d)) {
                    return Ok(None);
                }
                self.insert_new(tx, &env.policy, d, actor, None, custom).map(Some)
            },
        )
    }

    /// The deployment a request would create (not stored).
    fn build_request(
        &self,
        tx: &dyn StoreTx,
        project: &str,
        req: &DeploymentRequest,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(Environment, Deployment)> {
        need_project(tx, project)?;
        let env = need_env(tx, project, &req.environment)?;
        let items: Vec<DeploymentItem> = req
            .items
            .iter()
            .map(|i| DeploymentItem {
                entity_type: i.entity_type.clone(),
                entity_id: i.entity_id.clone(),
                version_tag: Some(i.version_tag.clone()),
                change_message: i.change_message.clone(),
                risk: i.risk,
                status: ItemStatus::Pending,
                error_message: None,
                deployed_at: None,
                previous_version: None,
                previous_deployment_id: None,
            })
            .collect();
        let hash = content_hash(tx, &env, &item_keys(&items))?;
        let d = Deployment {
            description: req.description.clone(),
            idempotency_key: req.idempotency_key.clone(),
            scheduled_for: req.scheduled_for,
            expires_at: req.expires_at,
            ..Deployment::fresh(&env, DeploymentKind::Deploy, req.name.clone(), items, (&actor.id, now), hash)
        };
        Ok((env, d))
    }

    /// Validates, auto-approves when the policy needs no approval, stores and audits a new
    /// deployment.
    pub(super) fn insert_new(
        &self,
        tx: &dyn StoreTx,
        policy: &crate::policy::Policy,
        mut d: Deployment,
        actor: &Actor,
        reason: Option<&str>,
        custom: &ValidationReport,
    ) -> Result<Deployment> {
        let env = need_env(tx, &d.project_id, &d.environment)?;
        let report: ValidationReport = self.validate(tx, &env, &d, custom)?;
        if !report.is_ok() {
            return Err(Error::ValidationFailed(report));
        }
        d.warnings = report.warnings;
        let automatic = policy.rules_for(d.kind, d.risk).is_empty();
        if automatic {
            d.approvals.push(Approval {
                actor_id: AUTO_APPROVER.to_owned(),
                at: d.requested_at,
                rule: "automatic".to_owned(),
                comment: Some("the environment's policy needs no approval".to_owned()),
                content_hash: d.content_hash.clone(),
            });
            d.status = DeploymentStatus::Approved;
        }
        tx.insert_deployment(&d)?;
        let obj = ("deployment", d.id.as_str());
        record(tx, d.requested_at, &actor.id, "deployment.requested", &d.project_id, obj, json!(null), deployment_audit(&d), reason)?;
        if automatic {
            record(
                tx,
                d.requested_at,
                AUTO_APPROVER,
                "deployment.approved",
                &d.project_id,
                obj,
                json!("pending"),
                json!("approved"),
                None,
            )?;
        }
        Ok(d)
    }

    /// Approves a deployment. 4-eyes: the requester cannot approve (`self_approval`); the actor
    /// needs a role eligible for a rule (`forbidden`); one person counts once. When every rule
    /// is met the deployment becomes `approved`.
    pub fn approve(&self, project: &str, deployment_id: &str, actor: &Actor, opts: &ApproveOptions) -> Result<Deployment> {
        actor.check()?;
        let now = self.now();
        self.write(|tx| {
            let mut s = self.subject(tx, project, deployment_id)?;
            let reason = opts.freeze_override_reason.as_deref();
            let gate = GateOptions { rule: opts.rule.as_deref(), freeze_override_reason: reason, ..Default::default() };
            first(self.blockers(tx, &s, actor, Action::Approve, gate, &mut ValidationReport::default())?)?;
            let overridden =
                super::freeze::freeze_gate(tx, &s.env, &s.d, actor, reason, now, &mut ValidationReport::default(), &mut vec![])?;
            super::freeze::audit_override(tx, now, actor, &s.d, &overridden, "approve", reason)?;
            let rule = pick_rule(&s.approvals, actor, opts.rule.as_deref())?;
            let before = deployment_audit(&s.d);
            let status_before = s.d.status;
            let d = &mut s.d;
            // A void (stale or expired) earlier approval by the same person is replaced.
            d.approvals.retain(|a| !actor.is(&a.actor_id));
            d.approvals.push(Approval {
                actor_id: actor.id.clone(),
                at: now,
                rule: rule.clone(),
                comment: opts.comment.clone(),
                content_hash: s.hash.clone(),
            });
            d.content_hash = s.hash.clone();
            let satisfied = crate::policy::evaluate(&s.env.policy, d, &s.hash, now).satisfied();
            if satisfied && d.status == DeploymentStatus::Pending {
                transition(d, "approve", DeploymentStatus::Approved)?;
            }
            let rev = d.revision;
            d.revision += 1;
            tx.update_deployment(d, rev)?;
            let obj = ("deployment", d.id.as_str());
            let after = json!({ "rule": rule, "comment": opts.comment, "content_hash": s.hash });
            record(tx, now, &actor.id, "deployment.approval_granted", project, obj, json!(null), after, opts.comment.as_deref())?;
            if status_before != d.status {
                record(tx, now, &actor.id, "deployment.approved", project, obj, before, deployment_audit(d), None)?;
            }
            Ok(s.d)
        })
    }

    /// Rejects a deployment with a reason; one rejection ends it.
    pub fn reject(&self, project: &str, deployment_id: &str, actor: &Actor, reason: &str) -> Result<Deployment> {
        actor.check()?;
        let reason = required_text("rejection reason", Some(reason))?;
        self.decide(project, deployment_id, actor, Action::Reject, reason, DeploymentStatus::Rejected)
    }

    /// Cancels a pending or approved deployment. The requester may always; others need a cancel
    /// role.
    pub fn cancel(&self, project: &str, deployment_id: &str, actor: &Actor, reason: Option<&str>) -> Result<Deployment> {
        actor.check()?;
        let reason = reason.map(str::trim).filter(|r| !r.is_empty()).unwrap_or("");
        self.decide(project, deployment_id, actor, Action::Cancel, reason, DeploymentStatus::Cancelled)
    }

    /// [`Engine::cancel`] for an actor already checked, or the engine's own.
    pub(super) fn cancel_as(&self, project: &str, deployment_id: &str, actor: &Actor, reason: &str) -> Result<Deployment> {
        self.decide(project, deployment_id, actor, Action::Cancel, reason, DeploymentStatus::Cancelled)
    }

    fn decide(&self, project: &str, id: &str, actor: &Actor, action: Action, reason: &str, to: DeploymentStatus) -> Result<Deployment> {
        let now = self.now();
        self.write(|tx| {
            let mut s = self.subject(tx, project, id)?;
            first(self.blockers(tx, &s, actor, action, GateOptions::default(), &mut ValidationReport::default())?)?;
            let before = deployment_audit(&s.d);
            let d = &mut s.d;
            transition(d, action.as_str(), to)?;
            let decision = Some(Decision { actor_id: actor.id.clone(), at: now, reason: (!reason.is_empty()).then(|| reason.to_owned()) });
            let audit_action = if action == Action::Reject {
                d.rejection = decision;
                "deployment.rejected"
            } else {
                d.cancellation = decision;
                "deployment.cancelled"
            };
            let rev = d.revision;
            d.revision += 1;
            tx.update_deployment(d, rev)?;
            let why = (!reason.is_empty()).then_some(reason);
            record(tx, now, &actor.id, audit_action, project, ("deployment", &d.id), before, deployment_audit(d), why)?;
            Ok(s.d)
        })
    }
}
