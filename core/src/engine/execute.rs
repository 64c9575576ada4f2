//! Execution (with automatic revert on failure) and rollback.
//!
//! Execution with an executor that acts outside the store is two transactions around the
//! executor calls: the first moves the deployment to `deploying` (taking the environment: at most
//! one `deploying` per environment, enforced by the store), the second records the outcome and
//! moves the active state. A crash between them leaves the deployment `deploying` and the active
//! state untouched. With an executor that acts only on the store ([`Executor::store_only`], the
//! default `NoopExecutor`), both steps run in one transaction: there is nothing outside the store
//! to leave half-done, so `deploying` is never committed on its own and a crash leaves the
//! deployment `approved`.

use serde_json::json;

use super::gate::{Action, GateOptions, fingerprint, first, transition};
use super::{Engine, deployment_audit, need_deployment, need_env, people_of, record};
use crate::error::{Error, Result};
use crate::executor::{self, Activation, Executor};
use crate::model::{Actor, Decision, Deployment, DeploymentKind, DeploymentStatus, Environment, HistoryEntry, ItemStatus, redact};
use crate::policy::FailureMode;
use crate::store::StoreTx;
use crate::validation::{Phase, ValidationReport};

use super::lifecycle::{ExecuteOptions, RollbackOptions};

/// Outcome of calling the executor for every item.
pub(super) enum Outcome {
    Success,
    /// An item failed under a `pause` policy: nothing reverted, waiting for a human decision.
    Paused {
        at: usize,
        message: String,
    },
    /// Index of the failed item and its message; the errors of failed reverts by item index.
    Failed {
        at: usize,
        message: String,
        revert_errors: Vec<(usize, String)>,
    },
}

fn activation<'a>(env: &'a Environment, d: &'a Deployment, i: usize, revert: bool) -> Option<Activation<'a>> {
    let item = d.items.get(i)?;
    let (version_tag, previous_version) = if revert {
        (item.previous_version.as_deref(), item.version_tag.as_deref())
    } else {
        (item.version_tag.as_deref(), item.previous_version.as_deref())
    };
    Some(Activation {
        environment: env,
        deployment_id: &d.id,
        entity_type: &item.entity_type,
        entity_id: &item.entity_id,
        version_tag,
        previous_version,
        revert,
    })
}

fn skipped(d: &Deployment, i: usize) -> bool {
    d.items.get(i).is_some_and(|item| item.status == ItemStatus::Skipped)
}

/// Calls the executor item by item from item `from` on (items a human skipped are left out). On
/// the first failure: under a `pause` policy, stops there; otherwise reverts what was activated.
pub(super) fn run_executor(executor: &dyn Executor, env: &Environment, d: &Deployment, from: usize) -> Outcome {
    for i in from..d.items.len() {
        if skipped(d, i) {
            continue;
        }
        let Some(a) = activation(env, d, i, false) else { break };
        if let Err(message) = executor::call(executor, &a) {
            if env.policy.on_failure == FailureMode::Pause {
                return Outcome::Paused { at: i, message };
            }
            return revert_before(executor, env, d, i, message);
        }
    }
    Outcome::Success
}

/// Re-activates, newest first, the previous versions of the items before `at` that were
/// activated (not skipped), and fails the deployment at item `at` with `message`.
pub(super) fn revert_before(executor: &dyn Executor, env: &Environment, d: &Deployment, at: usize, message: String) -> Outcome {
    let mut revert_errors = Vec::new();
    for j in (0..at).rev() {
        if skipped(d, j) {
            continue;
        }
        if let Some(r) = activation(env, d, j, true)
            && let Err(e) = executor::call(executor, &r)
        {
            revert_errors.push((j, e));
        }
    }
    Outcome::Failed { at, message, revert_errors }
}

impl Engine {
    /// Executes an approved deployment: `approved → deploying`, the executor for each item,
    /// then `deployed` (earlier deployments whose items are all replaced become `superseded`).
    /// When an item fails, the items already activated are reverted through the executor, the
    /// deployment ends `failed` with per-item statuses and messages, and the active state is left
    /// exactly as it was. Returns the deployment in its final status (`deployed` or `failed`).
    pub fn execute(
        &self,
        project: &str,
        deployment_id: &str,
        actor: &Actor,
        executor: &dyn Executor,
        opts: &ExecuteOptions,
    ) -> Result<Deployment> {
        actor.check()?;
        self.execute_as(project, deployment_id, actor, executor, opts)
    }

    /// [`Engine::execute`] for an actor already checked (or the engine's own, `deploygov:`).
    fn execute_as(
        &self,
        project: &str,
        deployment_id: &str,
        actor: &Actor,
        executor: &dyn Executor,
        opts: &ExecuteOptions,
    ) -> Result<Deployment> {
        if executor.store_only() {
            // INVARIANT: the executor acts on nothing outside the store, so the start, its calls
            // and the outcome commit together (one commit instead of two); the gates, the
            // one-running index and the audit entries are the same as in two transactions.
            return self.start_then(project, deployment_id, actor, opts, &|tx, env, started| {
                let outcome = run_executor(executor, env, &started, 0);
                self.finish_in(tx, started, &outcome, actor)
            });
        }
        let (env, started) = self.start(project, deployment_id, actor, opts)?;
        let outcome = run_executor(executor, &env, &started, 0);
        self.finish(started, outcome, actor)
    }

    /// First transaction: gates, `deploying`, previous versions recorded.
    pub(super) fn start(&self, project: &str, id: &str, actor: &Actor, opts: &ExecuteOptions) -> Result<(Environment, Deployment)> {
        self.start_then(project, id, actor, opts, &|_, env, started| Ok((env.clone(), started)))
    }

    /// The start's gates and writes, then `then` in the same transaction with the environment
    /// and the started deployment.
    fn start_then<T>(
        &self,
        project: &str,
        id: &str,
        actor: &Actor,
        opts: &ExecuteOptions,
        then: &dyn Fn(&dyn StoreTx, &Environment, Deployment) -> Result<T>,
    ) -> Result<T> {
        let now = self.now();
        let prepare = |tx: &dyn StoreTx| self.subject(tx, project, id).map(|s| (s.env, s.d));
        self.validated_write(Phase::Execute, prepare, |tx, custom, expected| {
            let mut s = self.subject(tx, project, id)?;
            if expected.is_some_and(|f| f != fingerprint(&s.env, &s.d)) {
                return Ok(None);
            }
            let freeze_reason = opts.freeze_override_reason.as_deref();
            let gate = GateOptions {
                break_glass_reason: opts.break_glass_reason.as_deref(),
                freeze_override_reason: freeze_reason,
                custom: Some(custom),
                ..Default::default()
            };
            let mut report = ValidationReport::default();
            first(self.blockers(tx, &s, actor, Action::Execute, gate, &mut report)?)?;
            let overridden =
                super::freeze::freeze_gate(tx, &s.env, &s.d, actor, freeze_reason, now, &mut ValidationReport::default(), &mut vec![])?;
            super::freeze::audit_override(tx, now, actor, &s.d, &overridden, "execute", freeze_reason)?;
            let before = deployment_audit(&s.d);
            let broke_glass = !s.approvals.satisfied();
            let d = &mut s.d;
            if d.status == DeploymentStatus::Pending && !broke_glass {
                // The policy was loosened after the request: the approvals it has are now enough.
                transition(d, "execute", DeploymentStatus::Approved)?;
                record(
                    tx,
                    now,
                    &actor.id,
                    "deployment.approved",
                    project,
                    ("deployment", id),
                    before.clone(),
                    deployment_audit(d),
                    Some("approval rules met at execution"),
                )?;
            }
            transition(d, "execute", DeploymentStatus::Deploying)?;
            for item in &mut d.items {
                let live = tx.active(project, &d.environment, &item.entity_type, &item.entity_id)?;
                item.previous_version = live.as_ref().map(|a| a.version_tag.clone());
                item.previous_deployment_id = live.map(|a| a.deployment_id);
            }
            d.warnings = report.warnings;
            d.started_at = Some(now);
            d.lease_expires_at = Some(now + chrono::Duration::seconds(s.env.policy.lease_ttl_seconds));
            d.executed_by = Some(actor.id.clone());
            d.config_snapshot = redact(&s.env.variables);
            d.content_hash = s.hash.clone();
            let reason = opts.break_glass_reason.as_deref().map(str::trim);
            if broke_glass {
                d.break_glass = Some(Decision { actor_id: actor.id.clone(), at: now, reason: reason.map(str::to_owned) });
            }
            let rev = d.revision;
            d.revision += 1;
            tx.update_deployment(d, rev)?;
            let obj = ("deployment", d.id.as_str());
            if broke_glass {
                let after = json!({ "approvals": s.approvals.rules });
                record(tx, now, &actor.id, "deployment.break_glass", project, obj, json!(null), after, reason)?;
            }
            record(tx, now, &actor.id, "deployment.started", project, obj, before, deployment_audit(d), None)?;
            then(tx, &s.env, s.d).map(Some)
        })
    }

    /// Second transaction: the outcome, the active state, superseding and rollback bookkeeping.
    pub(super) fn finish(&self, started: Deployment, outcome: Outcome, actor: &Actor) -> Result<Deployment> {
        self.write(|tx| {
            let mut d = need_deployment(tx, &started.project_id, &started.id)?;
            if d.revision != started.revision || d.status != DeploymentStatus::Deploying {
                return Err(Error::Conflict(format!("deployment `{}` changed while it was executing", d.id)));
            }
            d.items = started.items.clone();
            self.finish_in(tx, d, &outcome, actor)
        })
    }

    /// The outcome's writes, in the caller's transaction; `d` is the deployment as stored
    /// (`deploying`), with the items' statuses of the execution.
    fn finish_in(&self, tx: &dyn StoreTx, mut d: Deployment, outcome: &Outcome, actor: &Actor) -> Result<Deployment> {
        let now = self.now();
        let before = deployment_audit(&d);
        if !matches!(outcome, Outcome::Paused { .. }) {
            d.finished_at = Some(now);
        }
        d.lease_expires_at = None;
        let project = d.project_id.clone();
        match outcome {
            Outcome::Success => {
                let mut seq = None;
                let people = people_of(&d);
                for item in d.items.iter_mut().filter(|i| i.status != ItemStatus::Skipped) {
                    // INVARIANT: an entity's changes in an environment are stamped in `seq`
                    // order (never before its previous change), so "its last change at or
                    // before an instant" (`active_at`, by time) is also its last change by
                    // `seq`, and `active_state_at(now)` equals `active_state`, even when the
                    // engines sharing a store have skewed clocks (or an injected clock steps
                    // back): such a change is stamped at its predecessor's instant.
                    let previous = tx.history_at(&project, &d.environment, &item.entity_type, &item.entity_id, i64::MAX)?.map(|h| h.at);
                    let change = HistoryEntry {
                        seq: 0,
                        environment: d.environment.clone(),
                        entity_type: item.entity_type.clone(),
                        entity_id: item.entity_id.clone(),
                        version_tag: item.version_tag.clone(),
                        deployment_id: d.id.clone(),
                        at: previous.map_or(now, |p| p.max(now)),
                    };
                    seq = Some(tx.apply_activation(&project, &change, &people)?);
                    item.status = ItemStatus::Deployed;
                    item.deployed_at = Some(now);
                }
                d.activation_seq = seq;
                if seq.is_some() {
                    d.deployed_at = Some(now);
                    transition(&mut d, "finish", DeploymentStatus::Deployed)?;
                } else {
                    // A human skipped every item: nothing went live.
                    transition(&mut d, "finish", DeploymentStatus::Failed)?;
                }
            }
            Outcome::Paused { at, message } => {
                for (i, item) in d.items.iter_mut().enumerate() {
                    match i.cmp(at) {
                        std::cmp::Ordering::Less if item.status != ItemStatus::Skipped => item.status = ItemStatus::Deployed,
                        std::cmp::Ordering::Equal => (item.status, item.error_message) = (ItemStatus::Failed, Some(message.clone())),
                        _ => {}
                    }
                }
                transition(&mut d, "pause", DeploymentStatus::Paused)?;
            }
            Outcome::Failed { at, message, revert_errors } => {
                for (i, item) in d.items.iter_mut().enumerate() {
                    (item.status, item.error_message) = match i.cmp(at) {
                        std::cmp::Ordering::Less if item.status == ItemStatus::Skipped => (ItemStatus::Skipped, None),
                        std::cmp::Ordering::Less => {
                            let err = revert_errors.iter().find(|(j, _)| *j == i).map(|(_, e)| format!("revert failed: {e}"));
                            (ItemStatus::Reverted, err)
                        }
                        std::cmp::Ordering::Equal => (ItemStatus::Failed, Some(message.clone())),
                        std::cmp::Ordering::Greater => (ItemStatus::Skipped, None),
                    };
                }
                transition(&mut d, "finish", DeploymentStatus::Failed)?;
            }
        }
        let rev = d.revision;
        d.revision += 1;
        tx.update_deployment(&d, rev)?;
        let obj = ("deployment", d.id.as_str());
        match outcome {
            Outcome::Success if d.status == DeploymentStatus::Deployed => {
                record(tx, now, &actor.id, "deployment.deployed", &project, obj, before, deployment_audit(&d), None)?;
                self.after_success(tx, &d, now)?;
            }
            Outcome::Success => {
                let why = Some("every item was skipped: nothing went live");
                record(tx, now, &actor.id, "deployment.failed", &project, obj, before, deployment_audit(&d), why)?;
            }
            Outcome::Paused { message, .. } => {
                record(tx, now, &actor.id, "deployment.paused", &project, obj, before, deployment_audit(&d), Some(message))?;
            }
            Outcome::Failed { at, message, .. } => {
                record(tx, now, &actor.id, "deployment.failed", &project, obj, before.clone(), deployment_audit(&d), Some(message))?;
                if *at > 0 {
                    let reverted: Vec<_> =
                        d.items.iter().take(*at).map(|i| json!([i.entity_type, i.entity_id, i.previous_version])).collect();
                    record(
                        tx,
                        now,
                        &actor.id,
                        "deployment.reverted",
                        &project,
                        obj,
                        json!(null),
                        json!({ "restored": reverted }),
                        Some(message),
                    )?;
                }
            }
        }
        Ok(d)
    }

    /// After a success: the rolled-back deployment becomes `rolled_back`, and every deployment
    /// that no longer has anything live becomes `superseded`.
    fn after_success(&self, tx: &dyn StoreTx, d: &Deployment, now: chrono::DateTime<chrono::Utc>) -> Result<()> {
        let project = &d.project_id;
        if let Some(of) = &d.rollback_of {
            let mut old = need_deployment(tx, project, of)?;
            let before = deployment_audit(&old);
            transition(&mut old, "roll back", DeploymentStatus::RolledBack)?;
            old.rolled_back = Some(Decision { actor_id: d.requested_by.clone(), at: now, reason: d.description.clone() });
            old.rolled_back_at = Some(now);
            let rev = old.revision;
            old.revision += 1;
            tx.update_deployment(&old, rev)?;
            record(
                tx,
                now,
                &d.requested_by,
                "deployment.rolled_back",
                project,
                ("deployment", &old.id),
                before,
                deployment_audit(&old),
                d.description.as_deref(),
            )?;
            if need_env(tx, project, &d.environment)?.policy.quarantine_on_rollback {
                let why = format!("rolled back in `{}` by `{}`", d.environment, d.id);
                for item in
                    old.items.iter().filter(|i| d.items.iter().any(|r| (&r.entity_type, &r.entity_id) == (&i.entity_type, &i.entity_id)))
                {
                    let Some(tag) = &item.version_tag else { continue };
                    let quarantined = tx.version(project, &item.entity_type, &item.entity_id, tag)?.is_some_and(|v| v.quarantine.is_some());
                    if !quarantined {
                        super::admin::quarantine(
                            tx,
                            project,
                            (&item.entity_type, &item.entity_id, tag),
                            (crate::model::AUTO_APPROVER, now),
                            &why,
                            true,
                        )?;
                    }
                }
            }
        }
        let mut candidates: Vec<&String> = d.items.iter().filter_map(|i| i.previous_deployment_id.as_ref()).collect();
        candidates.sort();
        candidates.dedup();
        for id in candidates {
            let mut old = need_deployment(tx, project, id)?;
            if old.status != DeploymentStatus::Deployed || tx.live_count(project, id)? > 0 {
                continue;
            }
            let before = deployment_audit(&old);
            transition(&mut old, "supersede", DeploymentStatus::Superseded)?;
            let rev = old.revision;
            old.revision += 1;
            tx.update_deployment(&old, rev)?;
            let why = format!("replaced by `{}`", d.id);
            record(
                tx,
                now,
                &d.requested_by,
                "deployment.superseded",
                project,
                ("deployment", id),
                before,
                deployment_audit(&old),
                Some(&why),
            )?;
        }
        Ok(())
    }

    /// Rolls back a live deployment: creates a new deployment of kind `rollback` that restores
    /// the previous versions (or, with `opts.target`, the state right after that earlier
    /// deployment went live) of the entities the deployment still has live; entities it made
    /// live for the first time are removed. Unless the policy requires approval for rollbacks,
    /// the rollback is approved automatically and executed at once. Returns the rollback
    /// deployment; on success the rolled-back deployment is `rolled_back`.
    pub fn rollback(
        &self,
        project: &str,
        deployment_id: &str,
        actor: &Actor,
        executor: &dyn Executor,
        opts: &RollbackOptions,
    ) -> Result<Deployment> {
        actor.check()?;
        self.rollback_as(project, deployment_id, actor, executor, opts)
    }

    /// [`Engine::rollback`] for an actor already checked, or the engine's own (`deploygov:health`
    /// for an automatic rollback, whose authority is the policy).
    pub(super) fn rollback_as(
        &self,
        project: &str,
        deployment_id: &str,
        actor: &Actor,
        executor: &dyn Executor,
        opts: &RollbackOptions,
    ) -> Result<Deployment> {
        let reason = opts.reason.trim();
        if reason.is_empty() {
            return Err(Error::invalid_input("a rollback reason is required"));
        }
        let now = self.now();
        let build = |tx: &dyn StoreTx| -> Result<(Environment, Deployment)> {
            let s = self.subject(tx, project, deployment_id)?;
            let gate = GateOptions { rollback_target: opts.target.as_deref(), ..Default::default() };
            first(self.blockers(tx, &s, actor, Action::Rollback, gate, &mut ValidationReport::default())?)?;
            let plan = self.plan_rollback(tx, &s.d, opts.target.as_deref())?;
            let env = need_env(tx, project, &s.d.environment)?;
            let keys = super::gate::item_keys(&plan.items);
            let hash = super::content_hash(tx, &env, &keys)?;
            let name = format!("rollback of {}", s.d.name);
            let r = Deployment {
                description: Some(reason.to_owned()),
                rollback_of: Some(s.d.id.clone()),
                rollback_to: plan.to,
                ..Deployment::fresh(&env, DeploymentKind::Rollback, name, plan.items, (&actor.id, now), hash)
            };
            Ok((env, r))
        };
        let r = self.validated_write(Phase::Request, build, |tx, custom, expected| {
            let (env, r) = build(tx)?;
            if expected.is_some_and(|f| f != fingerprint(&env, &r)) {
                return Ok(None);
            }
            self.insert_new(tx, &env.policy, r, actor, Some(reason), custom).map(Some)
        })?;
        if r.status == DeploymentStatus::Approved {
            return match self.execute_as(project, &r.id, actor, executor, &ExecuteOptions::default()) {
                Ok(done) => Ok(done),
                Err(e) => {
                    // INVARIANT: an automatic rollback that cannot start (another deployment holds
                    // the environment, the target changed) leaves no approved rollback behind that
                    // could run later by surprise: it is cancelled, audited, and the error returned.
                    let why = format!("the rollback could not start: {e}");
                    // If someone else started it meanwhile, it is theirs now: leave it.
                    let _started_elsewhere = self.cancel_as(project, &r.id, actor, &why);
                    Err(e)
                }
            };
        }
        Ok(r)
    }
}
