//! `Engine` methods for the governed records beside deployments: environment variables,
//! build artifacts, deployment errors and reports. Each converts its arguments, calls one core
//! function on a worker thread and maps the error.

use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi::{Env, Result};
use napi_derive::napi;
use serde_json::Value;

use crate::convert::{actor, array, object, opt_object, opt_string, string, time};
use crate::engine::{Engine, args};

#[napi]
impl Engine {
    /// Removes variables from an environment (audited like `setVariables`; approvals of its
    /// open deployments stop counting). A key the environment does not have is `NOT_FOUND` and
    /// nothing changes. Requires `admin` or `tenant_admin`.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, environment: string, keys: string[], actor: Actor",
        ts_return_type = "Promise<Environment>"
    )]
    pub fn unset_variables<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        environment: Unknown<'e>,
        keys: Unknown<'e>,
        actor_: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a =
            args(|| Ok((string(project, "project")?, string(environment, "environment")?, array::<String>(keys, "keys")?, actor(actor_)?)));
        self.run(env, a, |e, (project, environment, keys, actor)| e.unset_variables(&project, &environment, &keys, &actor))
    }

    /// Compares the variables of two environments, one entry per key in either, in key order.
    /// Secret values are never returned (a secret side reads `***`).
    #[napi(catch_unwind, ts_args_type = "project: string, left: string, right: string", ts_return_type = "Promise<VariableDiff[]>")]
    pub fn compare_variables<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        left: Unknown<'e>,
        right: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| Ok((string(project, "project")?, string(left, "left")?, string(right, "right")?)));
        self.run(env, a, |e, (project, left, right)| e.compare_variables(&project, &left, &right))
    }

    /// Attaches a build artifact to a catalog version; the same artifact again resolves with the
    /// existing one, a different one under the same name is a `CONFLICT`. Audited as
    /// `artifact.attached`.
    #[napi(catch_unwind, ts_args_type = "project: string, spec: ArtifactSpec, actor: Actor", ts_return_type = "Promise<Artifact>")]
    pub fn attach_artifact<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        spec: Unknown<'e>,
        actor_: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| Ok((string(project, "project")?, object::<deploygov::ArtifactSpec>(spec, "spec")?, actor(actor_)?)));
        self.run(env, a, |e, (project, spec, actor)| e.attach_artifact(&project, &spec, &actor))
    }

    /// The artifacts of one version, or (no `versionTag`) of every catalog version of the
    /// entity; oldest first.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, entityType: string, entityId: string, versionTag?: string | null",
        ts_return_type = "Promise<Artifact[]>"
    )]
    pub fn list_artifacts<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        entity_type: Unknown<'e>,
        entity_id: Unknown<'e>,
        version_tag: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| {
            let tag = opt_string(version_tag, "versionTag")?;
            Ok((string(project, "project")?, string(entity_type, "entityType")?, string(entity_id, "entityId")?, tag))
        });
        self.run(env, a, |e, (project, et, eid, tag)| e.list_artifacts(&project, &et, &eid, tag.as_deref()))
    }

    /// The artifacts that may be pruned now under the environments' `artifact_retention`,
    /// oldest first.
    #[napi(catch_unwind, ts_args_type = "project: string", ts_return_type = "Promise<Artifact[]>")]
    pub fn prunable_artifacts<'e>(&self, env: &'e Env, project: Unknown<'e>) -> Result<PromiseRaw<'e, Value>> {
        self.run(env, string(project, "project"), |e, project| e.prunable_artifacts(&project))
    }

    /// Deletes artifact records (the host deletes the files), all or nothing: an id that is not
    /// prunable now is a `POLICY_VIOLATION`. Requires `admin` or `tenant_admin` and a reason;
    /// each is audited as `artifact.pruned`. Resolves with the pruned artifacts.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, ids: string[], actor: Actor, reason: string",
        ts_return_type = "Promise<Artifact[]>"
    )]
    pub fn prune_artifacts<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        ids: Unknown<'e>,
        actor_: Unknown<'e>,
        reason: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| Ok((string(project, "project")?, array::<String>(ids, "ids")?, actor(actor_)?, string(reason, "reason")?)));
        self.run(env, a, |e, (project, ids, actor, reason)| e.prune_artifacts(&project, &ids, &actor, &reason))
    }

    /// Records an error that happened in a deployment, under its environment; audited as
    /// `deployment_error.recorded`.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, spec: ErrorSpec, actor: Actor",
        ts_return_type = "Promise<DeploymentErrorRecord>"
    )]
    pub fn record_deployment_error<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        spec: Unknown<'e>,
        actor_: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| Ok((string(project, "project")?, object::<deploygov::ErrorSpec>(spec, "spec")?, actor(actor_)?)));
        self.run(env, a, |e, (project, spec, actor)| e.record_deployment_error(&project, &spec, &actor))
    }

    /// Resolves a recorded error with notes (required); an error already resolved is a
    /// `CONFLICT`. Audited as `deployment_error.resolved`.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, errorId: string, actor: Actor, notes: string",
        ts_return_type = "Promise<DeploymentErrorRecord>"
    )]
    pub fn resolve_deployment_error<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        error_id: Unknown<'e>,
        actor_: Unknown<'e>,
        notes: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| Ok((string(project, "project")?, string(error_id, "errorId")?, actor(actor_)?, string(notes, "notes")?)));
        self.run(env, a, |e, (project, id, actor, notes)| e.resolve_deployment_error(&project, &id, &actor, &notes))
    }

    /// Recorded deployment errors matching `filter`, oldest first.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, filter?: ErrorFilter | null",
        ts_return_type = "Promise<DeploymentErrorRecord[]>"
    )]
    pub fn list_deployment_errors<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        filter: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| Ok((string(project, "project")?, opt_object::<deploygov::ErrorFilter>(filter, "filter")?)));
        self.run(env, a, |e, (project, filter)| e.list_deployment_errors(&project, &filter))
    }

    /// Every deployment requested in `[from, to)` (ISO-8601 strings) to one environment or,
    /// without `environment`, to every environment whose policy has approval rules: items,
    /// requester, approvers, executor, break-glass, rollbacks, refusals and failures.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, from: string, to: string, environment?: string | null",
        ts_return_type = "Promise<ComplianceReport>"
    )]
    pub fn compliance_report<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        from: Unknown<'e>,
        to: Unknown<'e>,
        environment: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = report_args(project, from, to, environment);
        self.run(env, a, |e, (project, from, to, environment)| e.compliance_report(&project, from, to, environment.as_deref()))
    }

    /// `complianceReport` as RFC 4180 CSV (the core's `ComplianceReport::to_csv`): a header row,
    /// then one row per deployment, CRLF line ends.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, from: string, to: string, environment?: string | null",
        ts_return_type = "Promise<string>"
    )]
    pub fn compliance_report_csv<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        from: Unknown<'e>,
        to: Unknown<'e>,
        environment: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = report_args(project, from, to, environment);
        self.run(env, a, |e, (project, from, to, environment)| {
            Ok(e.compliance_report(&project, from, to, environment.as_deref())?.to_csv())
        })
    }

    /// Delivery figures of one environment for the deployments requested in `[from, to)`
    /// (ISO-8601 strings): finished, succeeded, failed, rolled back, success and change failure
    /// rates, mean times to deploy and to roll back.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, environment: string, from: string, to: string",
        ts_return_type = "Promise<EnvironmentMetrics>"
    )]
    pub fn environment_metrics<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        environment: Unknown<'e>,
        from: Unknown<'e>,
        to: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| Ok((string(project, "project")?, string(environment, "environment")?, time(from, "from")?, time(to, "to")?)));
        self.run(env, a, |e, (project, environment, from, to)| e.environment_metrics(&project, &environment, from, to))
    }
}

type Instant = chrono::DateTime<chrono::Utc>;

fn report_args(
    project: Unknown<'_>,
    from: Unknown<'_>,
    to: Unknown<'_>,
    environment: Option<Unknown<'_>>,
) -> std::result::Result<(String, Instant, Instant, Option<String>), crate::error::Failure> {
    Ok((string(project, "project")?, time(from, "from")?, time(to, "to")?, opt_string(environment, "environment")?))
}
