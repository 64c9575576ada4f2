//! Preconditions of every command, collected rule by rule. Commands refuse with the first
//! blocker; the dry run ([`Engine::check`]) reports all of them. One place, so the two can never
//! disagree.

use serde::{Deserialize, Serialize};

use super::{Engine, content_hash, need_deployment, need_env, require_role};
use crate::error::{Error, ErrorCode, Result};
use crate::model::{Actor, Deployment, DeploymentItem, DeploymentKind, DeploymentStatus, Environment, ItemSpec, ItemStatus};
use crate::policy::{ApprovalState, evaluate, pick_rule};
use crate::state;
use crate::store::StoreTx;
use crate::validation::{self, Finding, Phase, ValidationContext, ValidationReport};

crate::model::string_enum!(
    /// A command the dry run can ask about.
    Action { Approve = "approve", Reject = "reject", Execute = "execute", Cancel = "cancel", Rollback = "rollback" }
);

/// One reason a command would be refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocker {
    /// The error code the command would fail with.
    pub code: ErrorCode,
    /// The message it would carry.
    pub message: String,
}

/// The answer to "may actor A do X to deployment D now, and if not, why".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DryRun {
    /// The command asked about.
    pub action: Action,
    /// Whether it would succeed now.
    pub allowed: bool,
    /// Every reason it would not, in the order the command checks them.
    pub blockers: Vec<Blocker>,
    /// Granted versus required approvals, per rule.
    pub approvals: ApprovalState,
    /// Validation findings (for `execute`).
    pub findings: ValidationReport,
}

/// A deployment with its environment and approval state, as of now.
pub(super) struct Subject {
    pub d: Deployment,
    pub env: Environment,
    pub hash: String,
    pub approvals: ApprovalState,
}

/// Options that change what a command allows.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct GateOptions<'a> {
    pub rule: Option<&'a str>,
    pub break_glass_reason: Option<&'a str>,
    pub rollback_target: Option<&'a str>,
    /// Override of open freeze windows (approve, execute), with this reason.
    pub freeze_override_reason: Option<&'a str>,
    /// Findings of the custom validators, run before the transaction (execute only).
    pub custom: Option<&'a ValidationReport>,
}

/// What a rollback would do.
pub(super) struct RollbackPlan {
    pub items: Vec<DeploymentItem>,
    pub to: Option<String>,
}

pub(super) fn item_keys(items: &[DeploymentItem]) -> Vec<(String, String, Option<String>)> {
    items.iter().map(|i| (i.entity_type.clone(), i.entity_id.clone(), i.version_tag.clone())).collect()
}

/// The items of a deployment as specs, for the built-in validation (rollback removals skipped).
fn specs(d: &Deployment) -> Vec<ItemSpec> {
    d.items
        .iter()
        .filter_map(|i| {
            Some(ItemSpec {
                entity_type: i.entity_type.clone(),
                entity_id: i.entity_id.clone(),
                version_tag: i.version_tag.clone()?,
                change_message: i.change_message.clone(),
                risk: i.risk,
            })
        })
        .collect()
}

impl Engine {
    pub(super) fn subject(&self, tx: &dyn StoreTx, project: &str, id: &str) -> Result<Subject> {
        let d = need_deployment(tx, project, id)?;
        let env = need_env(tx, project, &d.environment)?;
        let hash = content_hash(tx, &env, &item_keys(&d.items))?;
        let approvals = evaluate(&env.policy, &d, &hash, self.now());
        Ok(Subject { d, env, hash, approvals })
    }

    /// Validation: the built-in rules (not for rollbacks, which restore a state that was live)
    /// inside the transaction, plus the findings of the custom validators, which ran before it.
    pub(super) fn validate(
        &self,
        tx: &dyn StoreTx,
        env: &Environment,
        d: &Deployment,
        custom: &ValidationReport,
    ) -> Result<ValidationReport> {
        let mut report = ValidationReport::default();
        if d.kind != DeploymentKind::Rollback {
            validation::builtin(tx, env, &specs(d), &mut report)?;
            promotion_findings(tx, env, d, &mut report)?;
            outdated_findings(tx, d, &mut report)?;
        }
        report.errors.extend(custom.errors.iter().cloned());
        report.warnings.extend(custom.warnings.iter().cloned());
        Ok(report)
    }

    /// Runs every registered validator, with no store lock held (a validator may be slow, or call
    /// back into the engine).
    pub(super) fn custom_report(&self, env: &Environment, d: &Deployment, phase: Phase) -> ValidationReport {
        let mut report = ValidationReport::default();
        let public = super::admin::public_env(env.clone());
        let ctx = ValidationContext { phase, environment: &public, deployment: d };
        for (name, v) in self.validators() {
            validation::run_custom(&name, v.as_ref(), &ctx, &mut report);
        }
        report
    }

    /// A write that needs the custom validators' findings. `prepare` builds the subject in a
    /// read transaction; the validators run with no lock held; `commit` runs in a write
    /// transaction with their report and the subject's fingerprint, and returns `None` when the
    /// subject changed in between, which retries. Without validators it is one write.
    pub(super) fn validated_write<T>(
        &self,
        phase: Phase,
        mut prepare: impl FnMut(&dyn StoreTx) -> Result<(Environment, Deployment)>,
        mut commit: impl FnMut(&dyn StoreTx, &ValidationReport, Option<&str>) -> Result<Option<T>>,
    ) -> Result<T> {
        if self.validators().is_empty() {
            let none = ValidationReport::default();
            return self.write(|tx| commit(tx, &none, None))?.ok_or_else(|| Error::storage("write without validators was retried"));
        }
        for _ in 0..5 {
            let (env, d) = self.read(&mut prepare)?;
            let custom = self.custom_report(&env, &d, phase);
            let print = fingerprint(&env, &d);
            if let Some(out) = self.write(|tx| commit(tx, &custom, Some(&print)))? {
                return Ok(out);
            }
        }
        Err(Error::Conflict("the deployment or its environment kept changing while validators ran".into()))
    }

    /// Every reason `actor` may not perform `action` on the subject now. Validation findings of
    /// an execution go to `report`.
    pub(super) fn blockers(
        &self,
        tx: &dyn StoreTx,
        s: &Subject,
        actor: &Actor,
        action: Action,
        opts: GateOptions<'_>,
        report: &mut ValidationReport,
    ) -> Result<Vec<Error>> {
        let (d, policy) = (&s.d, &s.env.policy);
        let mut out = Vec::new();
        let open = matches!(d.status, DeploymentStatus::Pending | DeploymentStatus::Approved);
        match action {
            Action::Approve => {
                if !open {
                    out.push(Error::InvalidTransition { action: "approve", from: d.status, to: Some(DeploymentStatus::Approved) });
                }
                if s.approvals.automatic {
                    out.push(Error::PolicyViolation(format!("environment `{}` needs no approval for this deployment", d.environment)));
                } else {
                    if policy.four_eyes && actor.is(&d.requested_by) {
                        out.push(Error::SelfApproval(actor.id.clone()));
                    }
                    if s.approvals.rules.iter().any(|r| r.approvers.iter().any(|a| actor.is(a))) {
                        out.push(Error::Conflict(format!("actor `{}` has already approved this deployment", actor.id)));
                    }
                    if let Err(e) = pick_rule(&s.approvals, actor, opts.rule) {
                        out.push(e);
                    }
                }
                if open {
                    let mut frozen = ValidationReport::default();
                    super::freeze::freeze_gate(tx, &s.env, d, actor, opts.freeze_override_reason, self.now(), &mut frozen, &mut out)?;
                    if !frozen.errors.is_empty() {
                        report.errors.extend(frozen.errors.iter().cloned());
                        out.push(Error::ValidationFailed(frozen));
                    }
                }
            }
            Action::Reject => {
                if !open {
                    out.push(Error::InvalidTransition { action: "reject", from: d.status, to: Some(DeploymentStatus::Rejected) });
                }
                if let Err(e) = require_role(actor, &policy.rejecters(d.risk), "reject this deployment") {
                    out.push(e);
                }
            }
            Action::Cancel => {
                if !open {
                    out.push(Error::InvalidTransition { action: "cancel", from: d.status, to: Some(DeploymentStatus::Cancelled) });
                }
                let may = actor.is(&d.requested_by) || (!policy.cancel_roles.is_empty() && actor.has_any_role(&policy.cancel_roles));
                if !may {
                    out.push(Error::Forbidden(format!(
                        "actor `{}` may not cancel a deployment requested by `{}`: needs one of the roles {}",
                        actor.id,
                        d.requested_by,
                        crate::policy::quoted(&policy.cancel_roles)
                    )));
                }
            }
            Action::Execute => self.execute_blockers(tx, s, actor, opts, report, &mut out)?,
            Action::Rollback => {
                // Authorization first: someone who may not roll back learns nothing about the plan.
                if let Err(e) = require_role(actor, &policy.rollback.roles, "roll back deployments") {
                    out.push(e);
                }
                if d.status != DeploymentStatus::Deployed {
                    out.push(Error::InvalidTransition { action: "roll back", from: d.status, to: Some(DeploymentStatus::RolledBack) });
                } else if let Err(e) = self.plan_rollback(tx, d, opts.rollback_target) {
                    out.push(e);
                }
            }
        }
        Ok(out)
    }

    fn execute_blockers(
        &self,
        tx: &dyn StoreTx,
        s: &Subject,
        actor: &Actor,
        opts: GateOptions<'_>,
        report: &mut ValidationReport,
        out: &mut Vec<Error>,
    ) -> Result<()> {
        let (d, policy) = (&s.d, &s.env.policy);
        if !matches!(d.status, DeploymentStatus::Pending | DeploymentStatus::Approved) {
            out.push(Error::InvalidTransition { action: "execute", from: d.status, to: Some(DeploymentStatus::Deploying) });
        }
        let roles = if d.kind == DeploymentKind::Rollback { &policy.rollback.roles } else { &policy.execute_roles };
        if let Err(e) = require_role(actor, roles, "execute deployments here") {
            out.push(e);
        }
        if !s.approvals.satisfied() {
            match opts.break_glass_reason.map(str::trim).filter(|r| !r.is_empty()) {
                Some(_) if actor.has_any_role(&policy.break_glass_roles) && !policy.break_glass_roles.is_empty() => {}
                Some(_) => out.push(Error::Forbidden(format!(
                    "actor `{}` may not break glass: needs one of the roles {}",
                    actor.id,
                    crate::policy::quoted(&policy.break_glass_roles)
                ))),
                None => {
                    let mut why = s.approvals.describe_missing();
                    for v in &s.approvals.void {
                        why.push_str(&format!("; approval by `{}` no longer counts ({})", v.actor_id, v.reason.replace('_', " ")));
                    }
                    out.push(Error::PolicyViolation(format!("deployment `{}` is not approved: {}", d.id, why.trim_start_matches("; "))));
                }
            }
        }
        let now = self.now();
        if let Some(t) = d.scheduled_for.filter(|t| *t > now) {
            report.push(Finding::error("not_yet_due", format!("deployment `{}` is scheduled for `{t}`", d.id), None));
        }
        if let Some(t) = d.expires_at.filter(|t| *t <= now) {
            report.push(Finding::error("schedule_expired", format!("deployment `{}` expired at `{t}` before it started", d.id), None));
        }
        if let Some(other) = tx.deploying_in(&d.project_id, &d.environment)? {
            let msg = format!("deployment `{other}` is already deploying in `{}`", d.environment);
            report.push(Finding::error("environment_busy", msg.clone(), None));
            out.push(Error::Conflict(msg));
        }
        if let Some(of) = &d.rollback_of {
            let target = need_deployment(tx, &d.project_id, of)?;
            if target.status != DeploymentStatus::Deployed {
                out.push(Error::InvalidTransition { action: "roll back", from: target.status, to: Some(DeploymentStatus::RolledBack) });
            }
        }
        super::freeze::freeze_gate(tx, &s.env, d, actor, opts.freeze_override_reason, now, report, out)?;
        let found = self.validate(tx, &s.env, d, opts.custom.unwrap_or(&ValidationReport::default()))?;
        report.errors.extend(found.errors);
        report.warnings.extend(found.warnings);
        if report.errors.iter().any(|f| f.code != "environment_busy") {
            out.push(Error::ValidationFailed(report.clone()));
        }
        Ok(())
    }

    /// What rolling back `d` would restore. Only entities whose last change was made by `d` are
    /// affected (later deployments' changes are left alone).
    /// Without a target each returns to the version it replaced; with a target, to what was live
    /// right after the target went live, or is removed if nothing was.
    pub(super) fn plan_rollback(&self, tx: &dyn StoreTx, d: &Deployment, target: Option<&str>) -> Result<RollbackPlan> {
        let target_seq = match target {
            None => None,
            Some(t) => {
                let t = need_deployment(tx, &d.project_id, t)?;
                if t.environment != d.environment {
                    return Err(Error::invalid_input(format!(
                        "rollback target `{}` is in `{}`, not `{}`",
                        t.id, t.environment, d.environment
                    )));
                }
                let Some(seq) = t.activation_seq else {
                    return Err(Error::invalid_input(format!("rollback target `{}` never went live (it is `{}`)", t.id, t.status)));
                };
                // Earlier means it went live before `d` did, whatever the request order.
                if d.activation_seq.is_none_or(|own| seq >= own) {
                    return Err(Error::invalid_input(format!("rollback target `{}` did not go live before `{}`", t.id, d.id)));
                }
                Some((t.id, seq))
            }
        };
        let mut items = Vec::new();
        let mut to: Option<String> = None;
        for item in &d.items {
            // Affected: entities whose last change in the environment was made by `d`, whether it
            // set a version or (a rollback) removed one.
            let last = tx.history_at(&d.project_id, &d.environment, &item.entity_type, &item.entity_id, i64::MAX)?;
            if last.is_none_or(|h| h.deployment_id != d.id) {
                continue;
            }
            let version_tag = match &target_seq {
                None => {
                    if let Some(p) = &item.previous_deployment_id
                        && to.as_ref().is_none_or(|t| p > t)
                    {
                        to = Some(p.clone());
                    }
                    item.previous_version.clone()
                }
                Some((_, seq)) => {
                    tx.history_at(&d.project_id, &d.environment, &item.entity_type, &item.entity_id, *seq)?.and_then(|h| h.version_tag)
                }
            };
            items.push(DeploymentItem {
                entity_type: item.entity_type.clone(),
                entity_id: item.entity_id.clone(),
                version_tag,
                change_message: Some(format!("rollback of `{}`", d.id)),
                risk: item.risk,
                status: ItemStatus::Pending,
                error_message: None,
                deployed_at: None,
                previous_version: None,
                previous_deployment_id: None,
            });
        }
        if items.is_empty() {
            return Err(Error::not_found(format!(
                "nothing to roll back: later deployments changed every entity of `{}` in `{}`",
                d.id, d.environment
            )));
        }
        if let Some((id, _)) = target_seq {
            to = Some(id);
        } else if items.iter().all(|i| i.version_tag.is_none()) {
            return Err(Error::not_found(format!(
                "no earlier deployment to roll back to: `{}` made the first versions of its items live in `{}`",
                d.id, d.environment
            )));
        }
        Ok(RollbackPlan { items, to })
    }

    /// Answers whether `actor` may perform `action` on a deployment now, and if not, why, rule by
    /// rule, without changing anything.
    pub fn check(&self, project: &str, deployment_id: &str, actor: &Actor, action: Action) -> Result<DryRun> {
        actor.check()?;
        let custom = if action == Action::Execute && !self.validators().is_empty() {
            let s = self.read(|tx| self.subject(tx, project, deployment_id))?;
            Some(self.custom_report(&s.env, &s.d, Phase::Execute))
        } else {
            None
        };
        self.read(|tx| {
            let s = self.subject(tx, project, deployment_id)?;
            let mut findings = ValidationReport::default();
            let gate = GateOptions { custom: custom.as_ref(), ..Default::default() };
            let blockers = self.blockers(tx, &s, actor, action, gate, &mut findings)?;
            Ok(DryRun {
                action,
                allowed: blockers.is_empty(),
                blockers: blockers.iter().map(|e| Blocker { code: e.code(), message: e.to_string() }).collect(),
                approvals: s.approvals.clone(),
                findings,
            })
        })
    }
}

/// `promotion_required`: each version must have gone live, and not been rolled back since, in
/// every environment the policy's `requires_success_in` names.
fn promotion_findings(tx: &dyn StoreTx, env: &Environment, d: &Deployment, report: &mut ValidationReport) -> Result<()> {
    for required in &env.policy.requires_success_in {
        for (i, item) in d.items.iter().enumerate() {
            let Some(tag) = &item.version_tag else { continue };
            if !went_live_in(tx, d, required, &item.entity_type, &item.entity_id, tag)? {
                report.push(Finding::error(
                    "promotion_required",
                    format!(
                        "version `{tag}` of `{}` `{}` has not gone live in `{required}` (or was rolled back there), which `{}` requires",
                        item.entity_type, item.entity_id, env.name
                    ),
                    Some(i),
                ));
            }
        }
    }
    Ok(())
}

/// Whether a deployment in `environment` made `tag` live and is not failed or rolled back.
fn went_live_in(tx: &dyn StoreTx, d: &Deployment, environment: &str, entity_type: &str, entity_id: &str, tag: &str) -> Result<bool> {
    for status in [DeploymentStatus::Deployed, DeploymentStatus::Superseded] {
        let mut filter = crate::model::DeploymentFilter {
            environment: Some(environment.to_owned()),
            status: Some(status),
            entity_type: Some(entity_type.to_owned()),
            entity_id: Some(entity_id.to_owned()),
            ..Default::default()
        };
        loop {
            let page = tx.list_deployments(&d.project_id, &filter, 200)?;
            let Some(last) = page.last() else { break };
            filter.cursor = Some(last.id.clone());
            let hit = page.iter().any(|o| {
                o.items.iter().any(|i| {
                    i.entity_type == entity_type
                        && i.entity_id == entity_id
                        && i.version_tag.as_deref() == Some(tag)
                        && i.status == ItemStatus::Deployed
                })
            });
            if hit {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// `outdated`: a deployment may not overwrite an entity that a deployment requested after it
/// made live (ids are time-ordered); only an explicit rollback may go back.
fn outdated_findings(tx: &dyn StoreTx, d: &Deployment, report: &mut ValidationReport) -> Result<()> {
    for (i, item) in d.items.iter().enumerate() {
        if let Some(live) = tx.active(&d.project_id, &d.environment, &item.entity_type, &item.entity_id)?
            && live.deployment_id > d.id
        {
            report.push(Finding::error(
                "outdated",
                format!(
                    "`{}` `{}` is live at `{}` from `{}`, which was requested after this deployment; roll back instead",
                    item.entity_type, item.entity_id, live.version_tag, live.deployment_id
                ),
                Some(i),
            ));
        }
    }
    Ok(())
}

/// What custom validators saw: the environment's revision and the deployment's content and
/// revision. A change of any of them means their findings may be stale.
pub(super) fn fingerprint(env: &Environment, d: &Deployment) -> String {
    format!("{}:{}:{}", env.revision, d.revision, d.content_hash)
}

/// The first blocker as the command's error.
pub(super) fn first(blockers: Vec<Error>) -> Result<()> {
    match blockers.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Checks a transition against the table (defense in depth behind the gates).
pub(super) fn transition(d: &mut Deployment, action: &'static str, to: DeploymentStatus) -> Result<()> {
    state::check(action, d.status, to)?;
    d.status = to;
    Ok(())
}
