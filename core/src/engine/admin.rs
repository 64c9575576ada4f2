//! Projects, environments, policies and the version catalog.

use serde_json::json;

use super::{Engine, content_hash, need_env, need_project, record, require_role, snapshot};
use crate::error::{Error, Result};
use crate::model::{
    Actor, DeploymentFilter, DeploymentStatus, Environment, EnvironmentSpec, Health, Project, Variable, Version, VersionSpec, check_id,
    redact,
};
use crate::policy::{ADMIN_ROLES, Policy, evaluate};
use crate::state;
use crate::store::StoreTx;

pub(super) fn admin_roles() -> Vec<String> {
    ADMIN_ROLES.iter().map(|r| (*r).to_owned()).collect()
}

fn check_variables(vars: &[Variable]) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for v in vars {
        check_id("variable key", &v.key)?;
        if !seen.insert(v.key.as_str()) {
            return Err(Error::invalid_input(format!("variable `{}` is given twice", v.key)));
        }
    }
    Ok(())
}

/// An environment as hosts read it: secret values redacted.
pub(super) fn public_env(mut e: Environment) -> Environment {
    e.variables = redact(&e.variables);
    e
}

fn env_audit(e: &Environment) -> serde_json::Value {
    snapshot(&public_env(e.clone()))
}

impl Engine {
    /// Creates a project. Requires `admin` or `tenant_admin`.
    pub fn create_project(&self, id: &str, tenant: &str, name: &str, actor: &Actor) -> Result<Project> {
        actor.check()?;
        check_id("project id", id)?;
        check_id("tenant", tenant)?;
        require_role(actor, &admin_roles(), "create projects")?;
        let now = self.now();
        let p = Project { id: id.to_owned(), tenant: tenant.to_owned(), name: name.to_owned(), created_at: now };
        self.write(|tx| {
            tx.insert_project(&p)?;
            record(tx, now, &actor.id, "project.created", id, ("project", id), json!(null), snapshot(&p), None)?;
            Ok(p.clone())
        })
    }

    /// Creates an environment; without a policy it gets [`Policy::default_for`] its name.
    /// Requires `admin` or `tenant_admin`.
    pub fn create_environment(&self, project: &str, spec: &EnvironmentSpec, actor: &Actor) -> Result<Environment> {
        actor.check()?;
        check_id("environment name", &spec.name)?;
        check_variables(&spec.variables)?;
        let policy = spec.policy.clone().unwrap_or_else(|| Policy::default_for(&spec.name));
        policy.check()?;
        require_role(actor, &admin_roles(), "create environments")?;
        let now = self.now();
        self.write(|tx| {
            need_project(tx, project)?;
            let existing = tx.environments(project)?;
            let position = spec.position.unwrap_or_else(|| existing.iter().map(|e| e.position + 1).max().unwrap_or(0));
            let env = Environment {
                project_id: project.to_owned(),
                name: spec.name.clone(),
                position,
                url: spec.url.clone(),
                variables: spec.variables.clone(),
                health: Health::Healthy,
                policy: policy.clone(),
                revision: 1,
            };
            tx.insert_environment(&env)?;
            record(tx, now, &actor.id, "environment.created", project, ("environment", &env.name), json!(null), env_audit(&env), None)?;
            Ok(public_env(env))
        })
    }

    /// Replaces an environment's policy; audited with before and after, and turning 4-eyes off
    /// is audited on its own. Requires `admin` or `tenant_admin`.
    pub fn set_policy(&self, project: &str, environment: &str, policy: &Policy, actor: &Actor) -> Result<Environment> {
        actor.check()?;
        policy.check()?;
        require_role(actor, &admin_roles(), "change policies")?;
        let change = |e: &mut Environment| e.policy = policy.clone();
        self.change_environment(
            project,
            environment,
            actor,
            "environment.policy_changed",
            change,
            |e| snapshot(&e.policy),
            |tx, before, env| {
                if before.policy.four_eyes && !env.policy.four_eyes {
                    let obj = ("environment", environment);
                    record(tx, self.now(), &actor.id, "environment.four_eyes_disabled", project, obj, json!(true), json!(false), None)?;
                }
                Ok(())
            },
        )
    }

    /// Loads an environment, applies `change`, stores it (compare-and-set on its revision),
    /// audits `action` with before and after as `view` shows them, then runs `then`.
    #[expect(clippy::too_many_arguments, reason = "one environment change has this many parts")]
    pub(super) fn change_environment(
        &self,
        project: &str,
        environment: &str,
        actor: &Actor,
        action: &'static str,
        change: impl Fn(&mut Environment),
        view: fn(&Environment) -> serde_json::Value,
        then: impl Fn(&dyn StoreTx, &Environment, &Environment) -> Result<()>,
    ) -> Result<Environment> {
        let now = self.now();
        self.write(|tx| {
            let before = need_env(tx, project, environment)?;
            let mut env = before.clone();
            change(&mut env);
            env.revision += 1;
            tx.update_environment(&env, before.revision)?;
            record(tx, now, &actor.id, action, project, ("environment", environment), view(&before), view(&env), None)?;
            then(tx, &before, &env)?;
            Ok(public_env(env))
        })
    }

    /// Replaces an environment's variables. The content of its pending and approved deployments
    /// changes with them: approvals given for the old content stop counting, and an approved
    /// deployment whose rules are no longer met goes back to `pending`. Requires `admin` or
    /// `tenant_admin`.
    pub fn set_variables(&self, project: &str, environment: &str, variables: &[Variable], actor: &Actor) -> Result<Environment> {
        actor.check()?;
        check_variables(variables)?;
        require_role(actor, &admin_roles(), "change environment variables")?;
        let change = |e: &mut Environment| e.variables = variables.to_vec();
        self.change_environment(project, environment, actor, "environment.variables_changed", change, env_audit, |tx, _, env| {
            self.void_changed_approvals(tx, env, actor)
        })
    }

    /// Moves approved deployments of `env` whose approvals no longer count back to `pending`.
    pub(super) fn void_changed_approvals(&self, tx: &dyn StoreTx, env: &Environment, actor: &Actor) -> Result<()> {
        let now = self.now();
        let filter =
            DeploymentFilter { environment: Some(env.name.clone()), status: Some(DeploymentStatus::Approved), ..Default::default() };
        let mut cursor = None;
        loop {
            let page = tx.list_deployments(&env.project_id, &DeploymentFilter { cursor: cursor.clone(), ..filter.clone() }, 200)?;
            let Some(last) = page.last() else { break };
            cursor = Some(last.id.clone());
            for mut d in page {
                let keys: Vec<_> = d.items.iter().map(|i| (i.entity_type.clone(), i.entity_id.clone(), i.version_tag.clone())).collect();
                let hash = content_hash(tx, env, &keys)?;
                if hash == d.content_hash {
                    continue;
                }
                let before = super::deployment_audit(&d);
                d.content_hash = hash;
                d.config_snapshot = redact(&env.variables);
                let satisfied = evaluate(&env.policy, &d, &d.content_hash, now).satisfied();
                if !satisfied {
                    state::check("void approvals of", d.status, DeploymentStatus::Pending)?;
                    d.status = DeploymentStatus::Pending;
                }
                let rev = d.revision;
                d.revision += 1;
                tx.update_deployment(&d, rev)?;
                let action = if satisfied { "deployment.content_changed" } else { "deployment.approvals_voided" };
                record(
                    tx,
                    now,
                    &actor.id,
                    action,
                    &env.project_id,
                    ("deployment", &d.id),
                    before,
                    super::deployment_audit(&d),
                    Some("environment configuration changed"),
                )?;
            }
        }
        Ok(())
    }

    /// Records an environment's health. Requires `admin` or `tenant_admin`.
    pub fn set_health(&self, project: &str, environment: &str, health: Health, actor: &Actor) -> Result<Environment> {
        actor.check()?;
        require_role(actor, &admin_roles(), "report environment health")?;
        let change = |e: &mut Environment| e.health = health;
        self.change_environment(project, environment, actor, "environment.health_changed", change, |e| json!(e.health), |_, _, _| Ok(()))
    }

    /// Registers a version in the project's catalog. Catalog entries are immutable: registering
    /// the same data again returns the existing entry, different data is a `conflict`.
    pub fn register_version(&self, project: &str, spec: &VersionSpec, actor: &Actor) -> Result<Version> {
        actor.check()?;
        check_id("entity type", &spec.entity_type)?;
        check_id("entity id", &spec.entity_id)?;
        check_id("version tag", &spec.version_tag)?;
        for d in &spec.dependencies {
            check_id("dependency entity type", &d.entity_type)?;
            check_id("dependency entity id", &d.entity_id)?;
            check_id("dependency requirement", &d.requirement)?;
        }
        check_depth("version metadata", &spec.metadata, MAX_METADATA_DEPTH)?;
        let now = self.now();
        self.write(|tx| {
            need_project(tx, project)?;
            if let Some(existing) = tx.version(project, &spec.entity_type, &spec.entity_id, &spec.version_tag)? {
                if existing.spec == *spec {
                    return Ok(existing);
                }
                return Err(Error::Conflict(format!(
                    "version `{}` of `{}` `{}` is already registered with different content",
                    spec.version_tag, spec.entity_type, spec.entity_id
                )));
            }
            let v = Version {
                project_id: project.to_owned(),
                spec: spec.clone(),
                registered_by: actor.id.clone(),
                registered_at: now,
                quarantine: None,
            };
            tx.insert_version(&v)?;
            let object = format!("{}/{}@{}", spec.entity_type, spec.entity_id, spec.version_tag);
            record(tx, now, &actor.id, "version.registered", project, ("version", &object), json!(null), snapshot(&v), None)?;
            Ok(v)
        })
    }

    /// Quarantines a catalog version with a reason: it is refused in new deployments and
    /// promotions (`version_quarantined`) until released. Requires `admin` or `tenant_admin`.
    pub fn quarantine_version(
        &self,
        project: &str,
        entity_type: &str,
        entity_id: &str,
        version_tag: &str,
        actor: &Actor,
        reason: &str,
    ) -> Result<Version> {
        self.set_quarantine(project, (entity_type, entity_id, version_tag), actor, reason, true)
    }

    /// Releases a quarantined version. Requires `admin` or `tenant_admin`.
    pub fn release_version(
        &self,
        project: &str,
        entity_type: &str,
        entity_id: &str,
        version_tag: &str,
        actor: &Actor,
        reason: &str,
    ) -> Result<Version> {
        self.set_quarantine(project, (entity_type, entity_id, version_tag), actor, reason, false)
    }

    fn set_quarantine(&self, project: &str, key: (&str, &str, &str), actor: &Actor, reason: &str, on: bool) -> Result<Version> {
        actor.check()?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::invalid_input("a reason is required"));
        }
        require_role(actor, &admin_roles(), if on { "quarantine versions" } else { "release quarantined versions" })?;
        let now = self.now();
        self.write(|tx| quarantine(tx, project, key, (&actor.id, now), reason, on))
    }
}

/// Sets or clears the quarantine of a version inside `tx`, audited as `version.quarantined` or
/// `version.released`. Refuses a version already in the requested state.
pub(super) fn quarantine(
    tx: &dyn StoreTx,
    project: &str,
    (entity_type, entity_id, tag): (&str, &str, &str),
    (actor, now): (&str, chrono::DateTime<chrono::Utc>),
    reason: &str,
    on: bool,
) -> Result<Version> {
    need_project(tx, project)?;
    let mut v = tx
        .version(project, entity_type, entity_id, tag)?
        .ok_or_else(|| Error::not_found(format!("version `{tag}` of `{entity_type}` `{entity_id}` is not in the catalog")))?;
    if v.quarantine.is_some() == on {
        let state = if on { "already quarantined" } else { "not quarantined" };
        return Err(Error::Conflict(format!("version `{tag}` of `{entity_type}` `{entity_id}` is {state}")));
    }
    let before = snapshot(&v.quarantine);
    v.quarantine = on.then(|| crate::model::Decision { actor_id: actor.to_owned(), at: now, reason: Some(reason.to_owned()) });
    tx.update_version(&v)?;
    let object = format!("{entity_type}/{entity_id}@{tag}");
    let action = if on { "version.quarantined" } else { "version.released" };
    record(tx, now, actor, action, project, ("version", &object), before, snapshot(&v.quarantine), Some(reason))?;
    Ok(v)
}

/// Deepest nesting of version metadata: well inside what the stores can read back (serde_json
/// refuses to parse past 128 levels), so nothing is stored that cannot be loaded again.
const MAX_METADATA_DEPTH: usize = 64;

/// Refuses JSON nested deeper than `max` levels, without recursion.
fn check_depth(what: &str, v: &serde_json::Value, max: usize) -> Result<()> {
    let mut stack = vec![(v, 1usize)];
    while let Some((v, depth)) = stack.pop() {
        if depth > max {
            return Err(Error::invalid_input(format!("{what} is nested deeper than {max} levels")));
        }
        match v {
            serde_json::Value::Array(items) => stack.extend(items.iter().map(|i| (i, depth + 1))),
            serde_json::Value::Object(map) => stack.extend(map.values().map(|i| (i, depth + 1))),
            _ => {}
        }
    }
    Ok(())
}
