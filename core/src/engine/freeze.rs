//! Freeze windows as data: creating, removing and listing them, and the gate that refuses
//! approving or executing into a frozen environment.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::records::{self, Kind};
use super::{Engine, admin::admin_roles, need_env, need_project, record, require_role};
use crate::error::{Error, Result};
use crate::freeze::{FreezeSpec, FreezeWindow};
use crate::model::{Actor, Deployment, DeploymentKind, Environment, check_id};
use crate::store::StoreTx;
use crate::validation::{Finding, ValidationReport};

/// Scope of a project-wide window in the record store.
const PROJECT_SCOPE: &str = "*";

impl Kind for FreezeWindow {
    const KIND: &'static str = "freeze";
    fn id(&self) -> &str {
        &self.id
    }
    fn scope(&self) -> String {
        self.environment.clone().unwrap_or_else(|| PROJECT_SCOPE.to_owned())
    }
}

/// Every window that applies to `environment` (its own and the project-wide ones).
fn windows_for(tx: &dyn StoreTx, project: &str, environment: &str) -> Result<Vec<FreezeWindow>> {
    let mut out = Vec::new();
    for scope in [environment, PROJECT_SCOPE] {
        records::each::<FreezeWindow>(tx, project, Some(scope), |w| {
            out.push(w);
            Ok(true)
        })?;
    }
    Ok(out)
}

/// The windows covering `environment` at `at`, with a description of each occurrence.
pub(super) fn frozen(tx: &dyn StoreTx, project: &str, environment: &str, at: DateTime<Utc>) -> Result<Vec<(FreezeWindow, String)>> {
    Ok(windows_for(tx, project, environment)?
        .into_iter()
        .filter_map(|w| {
            let occurrence = w.schedule.covering(at)?;
            let text = w.describe(occurrence);
            Some((w, text))
        })
        .collect())
}

/// The freeze gate of approving or executing `d` into `env` at `now`: the `environment_frozen`
/// findings (into `report`; the caller refuses with `validation_failed`), `forbidden` (into
/// `out`) for an override without the role, and, when the actor may override and gives a
/// reason, the windows overridden (to audit).
/// Rollbacks are exempt: restoring a state that was live is what a freeze must still allow.
#[expect(clippy::too_many_arguments, reason = "the gate needs the subject, the actor, the override and both outputs")]
pub(super) fn freeze_gate(
    tx: &dyn StoreTx,
    env: &Environment,
    d: &Deployment,
    actor: &Actor,
    override_reason: Option<&str>,
    now: DateTime<Utc>,
    report: &mut ValidationReport,
    out: &mut Vec<Error>,
) -> Result<Vec<FreezeWindow>> {
    if d.kind == DeploymentKind::Rollback {
        return Ok(vec![]);
    }
    let windows = frozen(tx, &env.project_id, &env.name, now)?;
    if windows.is_empty() {
        return Ok(vec![]);
    }
    match override_reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(_) if !env.policy.freeze_override_roles.is_empty() && actor.has_any_role(&env.policy.freeze_override_roles) => {
            Ok(windows.into_iter().map(|(w, _)| w).collect())
        }
        Some(_) => {
            out.push(Error::Forbidden(format!(
                "actor `{}` may not override a freeze: needs one of the roles {}",
                actor.id,
                crate::policy::quoted(&env.policy.freeze_override_roles)
            )));
            Ok(vec![])
        }
        None => {
            for (_, text) in windows {
                let hint = "an actor with a freeze override role may proceed with a reason";
                report.push(Finding::error("environment_frozen", format!("environment `{}` is frozen: {text}; {hint}", env.name), None));
            }
            Ok(vec![])
        }
    }
}

/// Audits an override of `windows` by `actor` for deployment `d`.
pub(super) fn audit_override(
    tx: &dyn StoreTx,
    now: DateTime<Utc>,
    actor: &Actor,
    d: &Deployment,
    windows: &[FreezeWindow],
    action: &str,
    reason: Option<&str>,
) -> Result<()> {
    if windows.is_empty() {
        return Ok(());
    }
    let after = json!({ "action": action, "windows": windows.iter().map(|w| json!({ "id": w.id, "name": w.name })).collect::<Vec<_>>() });
    record(
        tx,
        now,
        &actor.id,
        "deployment.freeze_overridden",
        &d.project_id,
        ("deployment", &d.id),
        json!(null),
        after,
        reason.map(str::trim),
    )
}

impl Engine {
    /// Creates a freeze window for one environment or (no environment) the whole project.
    /// Requires `admin` or `tenant_admin`; audited as `environment.frozen`.
    pub fn add_freeze(&self, project: &str, spec: &FreezeSpec, actor: &Actor) -> Result<FreezeWindow> {
        actor.check()?;
        check_id("freeze window name", &spec.name)?;
        spec.schedule.check()?;
        require_role(actor, &admin_roles(), "create freeze windows")?;
        let now = self.now();
        self.write(|tx| {
            need_project(tx, project)?;
            if let Some(e) = &spec.environment {
                need_env(tx, project, e)?;
            }
            let w = FreezeWindow {
                id: uuid::Uuid::now_v7().to_string(),
                project_id: project.to_owned(),
                environment: spec.environment.clone(),
                name: spec.name.trim().to_owned(),
                schedule: spec.schedule.clone(),
                created_by: actor.id.clone(),
                created_at: now,
            };
            records::put(tx, project, &w)?;
            let object = w.environment.as_deref().map_or(("project", project), |e| ("environment", e));
            record(tx, now, &actor.id, "environment.frozen", project, object, json!(null), super::snapshot(&w), None)?;
            Ok(w)
        })
    }

    /// Removes a freeze window. Requires `admin` or `tenant_admin`; audited as
    /// `environment.unfrozen`.
    pub fn remove_freeze(&self, project: &str, freeze_id: &str, actor: &Actor, reason: &str) -> Result<FreezeWindow> {
        actor.check()?;
        require_role(actor, &admin_roles(), "remove freeze windows")?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::invalid_input("a reason is required to remove a freeze window"));
        }
        let now = self.now();
        self.write(|tx| {
            need_project(tx, project)?;
            let w = records::get::<FreezeWindow>(tx, project, freeze_id)?
                .ok_or_else(|| Error::not_found(format!("freeze window `{freeze_id}` does not exist in project `{project}`")))?;
            records::delete::<FreezeWindow>(tx, project, freeze_id)?;
            let object = w.environment.as_deref().map_or(("project", project), |e| ("environment", e));
            record(tx, now, &actor.id, "environment.unfrozen", project, object, super::snapshot(&w), json!(null), Some(reason))?;
            Ok(w)
        })
    }

    /// Freeze windows of a project: all of them, or those that apply to one environment (its own
    /// and the project-wide ones), oldest first.
    pub fn list_freezes(&self, project: &str, environment: Option<&str>) -> Result<Vec<FreezeWindow>> {
        self.read(|tx| {
            need_project(tx, project)?;
            match environment {
                Some(e) => {
                    need_env(tx, project, e)?;
                    let mut v = windows_for(tx, project, e)?;
                    v.sort_by(|a, b| a.id.cmp(&b.id));
                    Ok(v)
                }
                None => {
                    let mut v = Vec::new();
                    records::each::<FreezeWindow>(tx, project, None, |w| {
                        v.push(w);
                        Ok(true)
                    })?;
                    Ok(v)
                }
            }
        })
    }

    /// The freeze windows that cover an environment at `at` (empty: not frozen then).
    pub fn active_freezes(&self, project: &str, environment: &str, at: DateTime<Utc>) -> Result<Vec<FreezeWindow>> {
        self.read(|tx| {
            need_env(tx, project, environment)?;
            Ok(frozen(tx, project, environment, at)?.into_iter().map(|(w, _)| w).collect())
        })
    }
}
