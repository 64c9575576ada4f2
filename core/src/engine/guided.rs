//! Guided failure: under a `pause` policy an item failure leaves the deployment `paused`, holding
//! its environment, until a human decides: retry the item, skip it, or abort (revert everything
//! activated so far and fail).

use chrono::Duration;
use serde_json::json;

use super::execute::{revert_before, run_executor};
use super::gate::transition;
use super::{Engine, deployment_audit, need_deployment, need_env, record, require_role};
use crate::error::{Error, Result};
use crate::executor::Executor;
use crate::model::{Actor, Deployment, DeploymentKind, DeploymentStatus, Environment, ItemStatus};

crate::model::string_enum!(
    /// A human's decision on a paused deployment.
    ResumeDecision {
        /// Call the executor for the failed item again, then go on with the rest.
        Retry = "retry",
        /// Leave the failed item out (it does not go live) and go on with the rest.
        Skip = "skip",
        /// Revert every item activated so far and fail the deployment.
        Abort = "abort",
    }
);

impl Engine {
    /// Decides on a `paused` deployment: `retry` the failed item, `skip` it, or `abort`. A reason
    /// is required to skip or abort. Needs a role that may execute the deployment (the rollback
    /// roles for a rollback). Freeze windows are not checked again: the execution began before.
    /// Returns the deployment in its new state: `deployed`, `failed`, or `paused` again when
    /// another item fails.
    pub fn resume(
        &self,
        project: &str,
        deployment_id: &str,
        actor: &Actor,
        executor: &dyn Executor,
        decision: ResumeDecision,
        reason: Option<&str>,
    ) -> Result<Deployment> {
        actor.check()?;
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if decision != ResumeDecision::Retry && reason.is_none() {
            return Err(Error::invalid_input(format!("a reason is required to {decision} a paused deployment")));
        }
        let now = self.now();
        let (env, d, at, message): (Environment, Deployment, usize, String) = self.write(|tx| {
            let mut d = need_deployment(tx, project, deployment_id)?;
            if d.status != DeploymentStatus::Paused {
                return Err(Error::InvalidTransition { action: "resume", from: d.status, to: Some(DeploymentStatus::Deploying) });
            }
            let env = need_env(tx, project, &d.environment)?;
            let roles = if d.kind == DeploymentKind::Rollback { &env.policy.rollback.roles } else { &env.policy.execute_roles };
            require_role(actor, roles, "decide on a paused deployment")?;
            // INVARIANT: a paused deployment has exactly one `failed` item, where it stopped.
            let at = d
                .items
                .iter()
                .position(|i| i.status == ItemStatus::Failed)
                .ok_or_else(|| Error::storage(format!("paused deployment `{}` has no failed item", d.id)))?;
            let before = deployment_audit(&d);
            let mut message = String::new();
            if let Some(item) = d.items.get_mut(at) {
                message = item.error_message.clone().unwrap_or_default();
                match decision {
                    ResumeDecision::Retry => (item.status, item.error_message) = (ItemStatus::Pending, None),
                    ResumeDecision::Skip => item.status = ItemStatus::Skipped,
                    ResumeDecision::Abort => {}
                }
            }
            transition(&mut d, "resume", DeploymentStatus::Deploying)?;
            d.lease_expires_at = Some(now + Duration::seconds(env.policy.lease_ttl_seconds));
            d.executed_by = Some(actor.id.clone());
            let rev = d.revision;
            d.revision += 1;
            tx.update_deployment(&d, rev)?;
            let after = json!({ "decision": decision, "item": at, "state": deployment_audit(&d) });
            record(tx, now, &actor.id, "deployment.resumed", project, ("deployment", &d.id), before, after, reason)?;
            Ok((env, d, at, message))
        })?;
        let outcome = match decision {
            ResumeDecision::Retry => run_executor(executor, &env, &d, at),
            ResumeDecision::Skip => run_executor(executor, &env, &d, at + 1),
            ResumeDecision::Abort => revert_before(executor, &env, &d, at, message),
        };
        self.finish(d, outcome, actor)
    }
}
