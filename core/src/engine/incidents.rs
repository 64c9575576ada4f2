//! Deployment error tracking (the Open Policy Platform `deployment_errors` table).

use serde_json::json;

use super::records::{self, Kind};
use super::{Engine, need_deployment, need_env, need_project, record, snapshot};
use crate::error::{Error, Result};
use crate::model::{Actor, check_id};
use crate::records::{DeploymentErrorRecord, ErrorFilter, ErrorResolution, ErrorSpec};

/// Largest error message, impact or resolution note, in bytes.
const MAX_TEXT: usize = 64 * 1024;

impl Kind for DeploymentErrorRecord {
    const KIND: &'static str = "deployment_error";
    fn id(&self) -> &str {
        &self.id
    }
    fn scope(&self) -> String {
        self.environment.clone()
    }
}

/// Refuses empty or overlong free text (newlines are allowed: stack traces).
fn check_text(what: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid_input(format!("{what} must not be empty")));
    }
    if value.len() > MAX_TEXT {
        return Err(Error::invalid_input(format!("{what} is longer than {MAX_TEXT} bytes")));
    }
    Ok(())
}

impl Engine {
    /// Records an error that happened in a deployment (any status; `not_found` when it does not
    /// exist), under the deployment's environment, audited as `deployment_error.recorded`. Any
    /// actor may record errors (pipelines do). Unknown category or severity strings are
    /// `invalid_input` when parsed.
    pub fn record_deployment_error(&self, project: &str, spec: &ErrorSpec, actor: &Actor) -> Result<DeploymentErrorRecord> {
        actor.check()?;
        check_id("deployment id", &spec.deployment_id)?;
        check_id("error code", &spec.code)?;
        check_id("deployment stage", &spec.stage)?;
        check_text("error message", &spec.message)?;
        for (what, v) in [("user impact", &spec.user_impact), ("business impact", &spec.business_impact)] {
            if let Some(v) = v {
                check_text(what, v)?;
            }
        }
        let now = self.now();
        self.write(|tx| {
            need_project(tx, project)?;
            let d = need_deployment(tx, project, &spec.deployment_id)?;
            let e = DeploymentErrorRecord {
                id: uuid::Uuid::now_v7().to_string(),
                project_id: project.to_owned(),
                deployment_id: d.id.clone(),
                environment: d.environment.clone(),
                category: spec.category,
                severity: spec.severity,
                code: spec.code.clone(),
                stage: spec.stage.clone(),
                message: spec.message.clone(),
                user_impact: spec.user_impact.clone(),
                business_impact: spec.business_impact.clone(),
                recorded_at: now,
                recorded_by: actor.id.clone(),
                resolution: None,
            };
            records::put(tx, project, &e)?;
            record(tx, now, &actor.id, "deployment_error.recorded", project, ("deployment_error", &e.id), json!(null), snapshot(&e), None)?;
            Ok(e)
        })
    }

    /// Resolves a recorded error with notes (required), audited as `deployment_error.resolved`.
    /// An unknown id is `not_found`; resolving an error that is already resolved is a
    /// `conflict` naming who resolved it (a resolution is never overwritten). Any actor may
    /// resolve.
    pub fn resolve_deployment_error(&self, project: &str, error_id: &str, actor: &Actor, notes: &str) -> Result<DeploymentErrorRecord> {
        actor.check()?;
        check_id("deployment error id", error_id)?;
        let notes = notes.trim();
        check_text("resolution notes", notes)?;
        let now = self.now();
        self.write(|tx| {
            need_project(tx, project)?;
            let mut e = records::get::<DeploymentErrorRecord>(tx, project, error_id)?
                .ok_or_else(|| Error::not_found(format!("deployment error `{error_id}` does not exist in project `{project}`")))?;
            if let Some(r) = &e.resolution {
                return Err(Error::Conflict(format!(
                    "deployment error `{error_id}` was already resolved by `{}` at `{}`",
                    r.resolved_by,
                    r.resolved_at.to_rfc3339()
                )));
            }
            let before = snapshot(&e);
            e.resolution = Some(ErrorResolution { resolved_at: now, resolved_by: actor.id.clone(), notes: notes.to_owned() });
            records::put(tx, project, &e)?;
            let obj = ("deployment_error", error_id);
            record(tx, now, &actor.id, "deployment_error.resolved", project, obj, before, snapshot(&e), Some(notes))?;
            Ok(e)
        })
    }

    /// Recorded errors matching `filter`, oldest first. With an environment (`not_found` when
    /// it does not exist) only that environment's records are read.
    pub fn list_deployment_errors(&self, project: &str, filter: &ErrorFilter) -> Result<Vec<DeploymentErrorRecord>> {
        self.read(|tx| {
            need_project(tx, project)?;
            if let Some(env) = &filter.environment {
                need_env(tx, project, env)?;
            }
            let mut out = Vec::new();
            records::each::<DeploymentErrorRecord>(tx, project, filter.environment.as_deref(), |e| {
                if filter.severity.is_none_or(|s| s == e.severity) && !(filter.unresolved_only && e.resolution.is_some()) {
                    out.push(e);
                }
                Ok(true)
            })?;
            Ok(out)
        })
    }
}
