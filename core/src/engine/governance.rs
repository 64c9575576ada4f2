//! Promotion between environments, the periodic sweep (expired leases and approvals), forced
//! lease release, and point-in-time queries.

use chrono::{DateTime, Utc};

use super::gate::{fingerprint, item_keys, transition};
use super::{Engine, content_hash, deployment_audit, need_deployment, need_env, need_project, people_of, record, require_role};
use crate::error::{Error, Result};
use crate::model::{Actor, Deployment, DeploymentItem, DeploymentKind, DeploymentStatus, ItemStatus, LiveEntry, SweepReport};
use crate::policy::ADMIN_ROLES;
use crate::store::{ChangePeople, StoreTx};
use crate::validation::Phase;

/// The actor recorded for what the sweep does.
pub const SWEEPER: &str = "deploygov:sweep";

/// Page size of the sweep's scans.
const SWEEP_PAGE: u32 = 200;

impl Engine {
    /// Promotes a deployment that went live (`deployed` or `superseded`) to another environment:
    /// a new deployment of kind `promotion` with the same versions and `promoted_from`, governed by
    /// the target's policy like any other request.
    pub fn promote(&self, project: &str, deployment_id: &str, to_environment: &str, actor: &Actor) -> Result<Deployment> {
        actor.check()?;
        crate::model::check_id("environment name", to_environment)?;
        let now = self.now();
        let build = |tx: &dyn StoreTx| -> Result<(crate::model::Environment, Deployment)> {
            need_project(tx, project)?;
            let source = need_deployment(tx, project, deployment_id)?;
            if !matches!(source.status, DeploymentStatus::Deployed | DeploymentStatus::Superseded) {
                return Err(Error::InvalidTransition { action: "promote", from: source.status, to: None });
            }
            if source.environment == to_environment {
                return Err(Error::invalid_input(format!("deployment `{}` is already in `{to_environment}`", source.id)));
            }
            let env = need_env(tx, project, to_environment)?;
            require_role(actor, &env.policy.request_roles, &format!("request deployments to `{}`", env.name))?;
            let items: Vec<DeploymentItem> = source
                .items
                .iter()
                .filter(|i| i.version_tag.is_some())
                .map(|i| DeploymentItem {
                    status: ItemStatus::Pending,
                    error_message: None,
                    deployed_at: None,
                    previous_version: None,
                    previous_deployment_id: None,
                    ..i.clone()
                })
                .collect();
            let hash = content_hash(tx, &env, &item_keys(&items))?;
            let name = format!("promotion of {} to {}", source.name, env.name);
            let d = Deployment {
                description: source.description.clone(),
                promoted_from: Some(source.id.clone()),
                ..Deployment::fresh(&env, DeploymentKind::Promotion, name, items, (&actor.id, now), hash)
            };
            Ok((env, d))
        };
        self.validated_write(Phase::Request, build, |tx, custom, expected| {
            let (env, d) = build(tx)?;
            if expected.is_some_and(|f| f != fingerprint(&env, &d)) {
                return Ok(None);
            }
            let d = self.insert_new(tx, &env.policy, d, actor, None, custom)?;
            // The source's history says where it went (event `deployment.promoted`).
            let after = serde_json::json!({ "to_environment": d.environment, "promotion": d.id });
            super::record(
                tx,
                now,
                &actor.id,
                "deployment.promoted",
                project,
                ("deployment", deployment_id),
                serde_json::json!(null),
                after,
                None,
            )?;
            Ok(Some(d))
        })
    }

    /// The one call a host runs periodically (idempotent): executions whose lease expired become
    /// `failed` (the executor never reported; the active state is left as it was) and free their
    /// environment; pending or approved deployments past their `expires_at` are cancelled;
    /// approved deployments whose approvals expired go back to `pending`.
    pub fn sweep(&self) -> Result<SweepReport> {
        let now = self.now();
        let mut report = SweepReport::default();
        let mut after = String::new();
        loop {
            let page = self.read(|tx| tx.deployments_with_status(DeploymentStatus::Deploying, &after, SWEEP_PAGE))?;
            let Some(last) = page.last() else { break };
            after = last.id.clone();
            for d in page.iter().filter(|d| d.lease_expires_at.is_some_and(|t| t <= now)) {
                let done = self.write(|tx| {
                    let mut d = need_deployment(tx, &d.project_id, &d.id)?;
                    if d.status != DeploymentStatus::Deploying || d.lease_expires_at.is_none_or(|t| t > now) {
                        return Ok(false);
                    }
                    end_execution(
                        tx,
                        &mut d,
                        now,
                        SWEEPER,
                        "deployment.lease_expired",
                        "the execution lease expired before its outcome was recorded",
                    )?;
                    Ok(true)
                })?;
                if done {
                    report.leases_expired.push(d.id.clone());
                }
            }
        }
        for status in [DeploymentStatus::Pending, DeploymentStatus::Approved] {
            let mut after = String::new();
            loop {
                let page = self.read(|tx| tx.deployments_with_status(status, &after, SWEEP_PAGE))?;
                let Some(last) = page.last() else { break };
                after = last.id.clone();
                for d in page.iter().filter(|d| d.expires_at.is_some_and(|t| t <= now)) {
                    if self.write(|tx| expire_schedule(tx, &d.project_id, &d.id, now))? {
                        report.schedules_expired.push(d.id.clone());
                    }
                }
            }
        }
        let mut after = String::new();
        loop {
            let page = self.read(|tx| tx.deployments_with_status(DeploymentStatus::Approved, &after, SWEEP_PAGE))?;
            let Some(last) = page.last() else { break };
            after = last.id.clone();
            for d in &page {
                let done = self.write(|tx| {
                    let s = self.subject(tx, &d.project_id, &d.id)?;
                    let expired = s.approvals.void.iter().any(|v| v.reason == "expired");
                    if s.d.status != DeploymentStatus::Approved || s.approvals.satisfied() || !expired {
                        return Ok(false);
                    }
                    let mut d = s.d;
                    let before = deployment_audit(&d);
                    transition(&mut d, "expire approvals of", DeploymentStatus::Pending)?;
                    let rev = d.revision;
                    d.revision += 1;
                    tx.update_deployment(&d, rev)?;
                    let why = Some("approvals expired");
                    record(
                        tx,
                        now,
                        SWEEPER,
                        "deployment.approvals_expired",
                        &d.project_id,
                        ("deployment", &d.id),
                        before,
                        deployment_audit(&d),
                        why,
                    )?;
                    Ok(true)
                })?;
                if done {
                    report.approvals_expired.push(d.id.clone());
                }
            }
        }
        Ok(report)
    }

    /// Ends an execution before its lease expires (a host crashed mid-deploy): the deployment
    /// becomes `failed`, the environment is free, the active state is left as it was. Requires
    /// `admin` or `tenant_admin` and a reason; audited.
    pub fn release_lease(&self, project: &str, deployment_id: &str, actor: &Actor, reason: &str) -> Result<Deployment> {
        actor.check()?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::invalid_input("a reason is required to release a lease"));
        }
        let admins: Vec<String> = ADMIN_ROLES.iter().map(|r| (*r).to_owned()).collect();
        require_role(actor, &admins, "release execution leases")?;
        let now = self.now();
        self.write(|tx| {
            let mut d = need_deployment(tx, project, deployment_id)?;
            if d.status != DeploymentStatus::Deploying {
                return Err(Error::InvalidTransition {
                    action: "release the lease of",
                    from: d.status,
                    to: Some(DeploymentStatus::Failed),
                });
            }
            end_execution(tx, &mut d, now, &actor.id, "deployment.lease_released", reason)?;
            Ok(d)
        })
    }

    /// Approved deployments of a project that may run now (their `scheduled_for` has come, or
    /// they have none, they have not expired, and no freeze window covers their environment),
    /// oldest first.
    pub fn due(&self, project: &str) -> Result<Vec<Deployment>> {
        let now = self.now();
        self.read(|tx| {
            need_project(tx, project)?;
            let mut out = Vec::new();
            let mut filter = crate::model::DeploymentFilter { status: Some(DeploymentStatus::Approved), ..Default::default() };
            loop {
                let page = tx.list_deployments(project, &filter, SWEEP_PAGE)?;
                let Some(last) = page.last() else { break };
                filter.cursor = Some(last.id.clone());
                for d in page {
                    let ready = d.scheduled_for.is_none_or(|t| t <= now) && d.expires_at.is_none_or(|t| t > now);
                    // A frozen environment's deployments wait (rollbacks are never frozen).
                    if ready
                        && (d.kind == crate::model::DeploymentKind::Rollback
                            || super::freeze::frozen(tx, project, &d.environment, now)?.is_empty())
                    {
                        out.push(d);
                    }
                }
            }
            out.reverse();
            Ok(out)
        })
    }

    /// What was live in an environment at `at`, and for each entity which deployment put it
    /// there and who requested, approved and executed it; answered from the full history.
    pub fn active_state_at(&self, project: &str, environment: &str, at: DateTime<Utc>) -> Result<Vec<LiveEntry>> {
        self.read(|tx| {
            need_env(tx, project, environment)?;
            let mut out = Vec::new();
            let mut cache: Option<(String, ChangePeople)> = None;
            for (h, stored) in tx.active_at(project, environment, at)? {
                let Some(version_tag) = h.version_tag else { continue };
                // A change stored before the history kept its people (SQLite migration 7,
                // PostgreSQL 3) names them from its deployment.
                let people = match stored {
                    Some(p) => p,
                    None => {
                        let p = match cache.take() {
                            Some((id, p)) if id == h.deployment_id => p,
                            _ => people_of(&need_deployment(tx, project, &h.deployment_id)?),
                        };
                        cache = Some((h.deployment_id.clone(), p.clone()));
                        p
                    }
                };
                out.push(LiveEntry {
                    entity_type: h.entity_type,
                    entity_id: h.entity_id,
                    version_tag,
                    since: h.at,
                    deployment_id: h.deployment_id,
                    requested_by: people.requested_by,
                    approved_by: people.approved_by,
                    executed_by: people.executed_by,
                });
            }
            Ok(out)
        })
    }

    /// The deployments that had something live in an environment at `at` ("what was in
    /// production on 1 March"), newest first.
    pub fn deployments_live_at(&self, project: &str, environment: &str, at: DateTime<Utc>) -> Result<Vec<Deployment>> {
        self.read(|tx| {
            need_env(tx, project, environment)?;
            let mut ids: Vec<String> = tx.active_at(project, environment, at)?.into_iter().map(|(h, _)| h.deployment_id).collect();
            ids.sort_unstable_by(|a, b| b.cmp(a));
            ids.dedup();
            ids.iter().map(|id| need_deployment(tx, project, id)).collect()
        })
    }
}

/// Cancels a pending or approved deployment whose schedule expired; false when it no longer is.
fn expire_schedule(tx: &dyn StoreTx, project: &str, id: &str, now: DateTime<Utc>) -> Result<bool> {
    let mut d = need_deployment(tx, project, id)?;
    if !matches!(d.status, DeploymentStatus::Pending | DeploymentStatus::Approved) || d.expires_at.is_none_or(|t| t > now) {
        return Ok(false);
    }
    let before = deployment_audit(&d);
    transition(&mut d, "cancel", DeploymentStatus::Cancelled)?;
    let why = "the schedule expired before the deployment started";
    d.cancellation = Some(crate::model::Decision { actor_id: SWEEPER.to_owned(), at: now, reason: Some(why.to_owned()) });
    let rev = d.revision;
    d.revision += 1;
    tx.update_deployment(&d, rev)?;
    record(tx, now, SWEEPER, "deployment.cancelled", project, ("deployment", id), before, deployment_audit(&d), Some(why))?;
    Ok(true)
}

/// Fails a `deploying` deployment whose executor never reported: items `failed` with `why`,
/// the active state untouched.
fn end_execution(tx: &dyn StoreTx, d: &mut Deployment, now: DateTime<Utc>, actor: &str, action: &'static str, why: &str) -> Result<()> {
    let before = deployment_audit(d);
    transition(d, "end", DeploymentStatus::Failed)?;
    for item in &mut d.items {
        item.status = ItemStatus::Failed;
        item.error_message = Some(why.to_owned());
    }
    d.finished_at = Some(now);
    d.lease_expires_at = None;
    let rev = d.revision;
    d.revision += 1;
    tx.update_deployment(d, rev)?;
    let after = deployment_audit(d);
    record(tx, now, actor, action, &d.project_id, ("deployment", &d.id), before, after, Some(why))?;
    Ok(())
}
