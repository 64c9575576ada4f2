//! The `Engine` class: one method per public core operation. Each converts its arguments, calls
//! one core function (on a worker thread when it touches the store) and maps the error.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::{ClassInstance, PromiseRaw, Unknown};
use napi::{Env, Result};
use napi_derive::napi;
use serde::Serialize;
use serde_json::Value;

use crate::callback::{JsCallback, JsExecutor, JsSubscriber, JsValidator};
use crate::clock::ManualClock;
use crate::convert::{
    self, actor, array, bytes, object, opt_function, opt_i64, opt_object, opt_options, opt_string, opt_u32, property, str_arg, string,
    time, to_json,
};
use crate::error::{self, Failure};
use crate::task;

/// How long the core waits for a JavaScript executor or validator call by default.
const DEFAULT_CALLBACK_TIMEOUT: Duration = Duration::from_secs(60);

/// What `new Engine(database, options)` was given.
struct Config {
    database: String,
    clock: Option<deploygov::ManualClock>,
    timeout: Duration,
}

impl Config {
    fn read(database: Unknown<'_>, options: Option<Unknown<'_>>) -> std::result::Result<Self, Failure> {
        let database = string(database, "database")?;
        let mut config = Self { database, clock: None, timeout: DEFAULT_CALLBACK_TIMEOUT };
        let Some(o) = opt_options(options, "options")? else { return Ok(config) };
        if property(&o, "clock")?.is_some_and(|c| !matches!(c.get_type(), Ok(napi::ValueType::Null))) {
            let clock = o
                .get::<ClassInstance<'_, ManualClock>>("clock")
                .map_err(|_| Failure::Type("`options.clock` must be a ManualClock".to_owned()))?;
            config.clock = clock.map(|c| c.inner.clone());
        }
        if let Some(ms) = opt_u32(property(&o, "callback_timeout_ms")?, "options.callback_timeout_ms")? {
            if ms == 0 {
                return Err(Failure::Type("`options.callback_timeout_ms` must be at least 1".to_owned()));
            }
            config.timeout = Duration::from_millis(u64::from(ms));
        }
        Ok(config)
    }

    /// Opens the store: the engine, and a second connection for the synchronous hot-path read
    /// (a file database only), so that read never waits behind a write transaction of another
    /// call in progress.
    fn open(self) -> deploygov::Result<Engine> {
        let inner = Arc::new(match &self.clock {
            Some(clock) => {
                let store = deploygov::store::open(&self.database)?;
                deploygov::Engine::with_store(store, Arc::new(clock.clone()))
            }
            None => deploygov::Engine::open(&self.database)?,
        });
        let memory = self.database == ":memory:" || self.database.contains("mode=memory");
        let reader = if memory { inner.clone() } else { Arc::new(deploygov::Engine::open(&self.database)?) };
        Ok(Engine { inner, reader, timeout: self.timeout })
    }
}

/// The deployment-governance engine over an embedded SQLite database. Methods that touch the
/// store return promises and run off the event loop. Data objects use the core's snake_case
/// field names; timestamps are ISO-8601 strings.
#[napi]
pub struct Engine {
    inner: Arc<deploygov::Engine>,
    reader: Arc<deploygov::Engine>,
    timeout: Duration,
}

/// Converts arguments inside one closure so `?` works on each.
pub(crate) fn args<A>(f: impl FnOnce() -> std::result::Result<A, Failure>) -> std::result::Result<A, Failure> {
    f()
}

#[napi]
impl Engine {
    /// Opens (creating if needed) the SQLite database at `database` (`:memory:` for a private
    /// in-memory store). Synchronous; see `Engine.open` for the promise form.
    #[napi(constructor, catch_unwind, ts_args_type = "database: string, options?: EngineOptions | null")]
    pub fn new(env: Env, database: Unknown<'_>, options: Option<Unknown<'_>>) -> Result<Self> {
        let config = Config::read(database, options).map_err(|f| error::to_js(&env, f))?;
        config.open().map_err(|e| error::to_js(&env, e.into()))
    }

    /// Opens the database off the event loop.
    #[napi(catch_unwind, ts_args_type = "database: string, options?: EngineOptions | null", ts_return_type = "Promise<Engine>")]
    pub fn open<'e>(env: &'e Env, database: Unknown<'e>, options: Option<Unknown<'e>>) -> Result<PromiseRaw<'e, Engine>> {
        let config = Config::read(database, options);
        task::promise(env, move || Ok(config?.open()?), |_, e| Ok(e))
    }

    /// A promise of `f`'s result on a worker thread, given the converted arguments.
    pub(crate) fn run<'e, A, T>(
        &self,
        env: &'e Env,
        args: std::result::Result<A, Failure>,
        f: impl FnOnce(&deploygov::Engine, A) -> deploygov::Result<T> + Send + 'static,
    ) -> Result<PromiseRaw<'e, Value>>
    where
        A: Send + 'static,
        T: Serialize,
    {
        let engine = self.inner.clone();
        task::json(env, args, move |a| f(&engine, a))
    }

    /// An optional JavaScript executor argument.
    pub(crate) fn executor(&self, v: Option<Unknown<'_>>) -> std::result::Result<Option<JsExecutor>, Failure> {
        let Some(f) = opt_function(v, "executor")? else { return Ok(None) };
        let cb =
            JsCallback::new(&f, self.timeout, "executor").map_err(|e| Failure::Type(format!("cannot use `executor`: {}", e.reason)))?;
        Ok(Some(JsExecutor(cb)))
    }

    /// Creates a project. Requires `admin` or `tenant_admin`.
    #[napi(catch_unwind, ts_args_type = "id: string, tenant: string, name: string, actor: Actor", ts_return_type = "Promise<Project>")]
    pub fn create_project<'e>(
        &self,
        env: &'e Env,
        id: Unknown<'e>,
        tenant: Unknown<'e>,
        name: Unknown<'e>,
        actor_: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| Ok((string(id, "id")?, string(tenant, "tenant")?, string(name, "name")?, actor(actor_)?)));
        self.run(env, a, |e, (id, tenant, name, actor)| e.create_project(&id, &tenant, &name, &actor))
    }

    /// Creates an environment; without a policy it gets the default for its name.
    #[napi(catch_unwind, ts_args_type = "project: string, spec: EnvironmentSpec, actor: Actor", ts_return_type = "Promise<Environment>")]
    pub fn create_environment<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        spec: Unknown<'e>,
        actor_: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| Ok((string(project, "project")?, object::<deploygov::EnvironmentSpec>(spec, "spec")?, actor(actor_)?)));
        self.run(env, a, |e, (project, spec, actor)| e.create_environment(&project, &spec, &actor))
    }

    /// Replaces an environment's policy (fields left out take the `development` defaults).
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, environment: string, policy: PolicyInput, actor: Actor",
        ts_return_type = "Promise<Environment>"
    )]
    pub fn set_policy<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        environment: Unknown<'e>,
        policy: Unknown<'e>,
        actor_: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| {
            Ok((
                string(project, "project")?,
                string(environment, "environment")?,
                object::<deploygov::Policy>(policy, "policy")?,
                actor(actor_)?,
            ))
        });
        self.run(env, a, |e, (project, environment, policy, actor)| e.set_policy(&project, &environment, &policy, &actor))
    }

    /// Replaces an environment's variables; approvals of its open deployments stop counting.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, environment: string, variables: Variable[], actor: Actor",
        ts_return_type = "Promise<Environment>"
    )]
    pub fn set_variables<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        environment: Unknown<'e>,
        variables: Unknown<'e>,
        actor_: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| {
            Ok((
                string(project, "project")?,
                string(environment, "environment")?,
                array::<deploygov::Variable>(variables, "variables")?,
                actor(actor_)?,
            ))
        });
        self.run(env, a, |e, (project, environment, vars, actor)| e.set_variables(&project, &environment, &vars, &actor))
    }

    /// Records an environment's health (`healthy`, `degraded` or `down`).
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, environment: string, health: Health, actor: Actor",
        ts_return_type = "Promise<Environment>"
    )]
    pub fn set_health<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        environment: Unknown<'e>,
        health: Unknown<'e>,
        actor_: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| {
            let health = deploygov::Health::from_str(&string(health, "health")?)?;
            Ok((string(project, "project")?, string(environment, "environment")?, health, actor(actor_)?))
        });
        self.run(env, a, |e, (project, environment, health, actor)| e.set_health(&project, &environment, health, &actor))
    }

    /// Registers a version in the project's catalog (the same data again is a no-op).
    #[napi(catch_unwind, ts_args_type = "project: string, spec: VersionSpec, actor: Actor", ts_return_type = "Promise<Version>")]
    pub fn register_version<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        spec: Unknown<'e>,
        actor_: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| Ok((string(project, "project")?, object::<deploygov::VersionSpec>(spec, "spec")?, actor(actor_)?)));
        self.run(env, a, |e, (project, spec, actor)| e.register_version(&project, &spec, &actor))
    }

    /// Requests a deployment; validation errors refuse it with `VALIDATION_FAILED` and `findings`.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, request: DeploymentRequest, actor: Actor",
        ts_return_type = "Promise<Deployment>"
    )]
    pub fn request_deployment<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        request: Unknown<'e>,
        actor_: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| Ok((string(project, "project")?, object::<deploygov::DeploymentRequest>(request, "request")?, actor(actor_)?)));
        self.run(env, a, |e, (project, request, actor)| e.request_deployment(&project, &request, &actor))
    }

    /// Approves a deployment (4-eyes: the requester cannot, `SELF_APPROVAL`).
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, deploymentId: string, actor: Actor, options?: ApproveOptions | null",
        ts_return_type = "Promise<Deployment>"
    )]
    pub fn approve<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        deployment_id: Unknown<'e>,
        actor_: Unknown<'e>,
        options: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| {
            let opts = opt_object::<deploygov::ApproveOptions>(options, "options")?;
            Ok((string(project, "project")?, string(deployment_id, "deploymentId")?, actor(actor_)?, opts))
        });
        self.run(env, a, |e, (project, id, actor, opts)| e.approve(&project, &id, &actor, &opts))
    }

    /// Rejects a deployment with a reason.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, deploymentId: string, actor: Actor, reason: string",
        ts_return_type = "Promise<Deployment>"
    )]
    pub fn reject<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        deployment_id: Unknown<'e>,
        actor_: Unknown<'e>,
        reason: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a =
            args(|| Ok((string(project, "project")?, string(deployment_id, "deploymentId")?, actor(actor_)?, string(reason, "reason")?)));
        self.run(env, a, |e, (project, id, actor, reason)| e.reject(&project, &id, &actor, &reason))
    }

    /// Cancels a pending or approved deployment.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, deploymentId: string, actor: Actor, reason?: string | null",
        ts_return_type = "Promise<Deployment>"
    )]
    pub fn cancel<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        deployment_id: Unknown<'e>,
        actor_: Unknown<'e>,
        reason: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| {
            Ok((string(project, "project")?, string(deployment_id, "deploymentId")?, actor(actor_)?, opt_string(reason, "reason")?))
        });
        self.run(env, a, |e, (project, id, actor, reason)| e.cancel(&project, &id, &actor, reason.as_deref()))
    }

    /// Executes an approved deployment, calling `executor` for each item (none: only the active
    /// state moves). Resolves with the deployment `deployed`, or `failed` with per-item statuses
    /// after a thrown error or rejected promise (`paused` instead under a `pause` policy; see
    /// `resume`).
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, deploymentId: string, actor: Actor, options?: ExecuteOptions | null, executor?: Executor | null",
        ts_return_type = "Promise<Deployment>"
    )]
    pub fn execute<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        deployment_id: Unknown<'e>,
        actor_: Unknown<'e>,
        options: Option<Unknown<'e>>,
        executor: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| {
            let opts = opt_object::<deploygov::ExecuteOptions>(options, "options")?;
            Ok((string(project, "project")?, string(deployment_id, "deploymentId")?, actor(actor_)?, opts, self.executor(executor)?))
        });
        self.run(env, a, |e, (project, id, actor, opts, executor)| match &executor {
            Some(x) => e.execute(&project, &id, &actor, x, &opts),
            None => e.execute(&project, &id, &actor, &deploygov::NoopExecutor, &opts),
        })
    }

    /// Rolls back a live deployment (`options.reason` is required; `options.target` names an
    /// earlier deployment whose state to restore). Resolves with the rollback deployment.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, deploymentId: string, actor: Actor, options: RollbackOptions, executor?: Executor | null",
        ts_return_type = "Promise<Deployment>"
    )]
    pub fn rollback<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        deployment_id: Unknown<'e>,
        actor_: Unknown<'e>,
        options: Unknown<'e>,
        executor: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| {
            let opts = object::<deploygov::RollbackOptions>(options, "options")?;
            Ok((string(project, "project")?, string(deployment_id, "deploymentId")?, actor(actor_)?, opts, self.executor(executor)?))
        });
        self.run(env, a, |e, (project, id, actor, opts, executor)| match &executor {
            Some(x) => e.rollback(&project, &id, &actor, x, &opts),
            None => e.rollback(&project, &id, &actor, &deploygov::NoopExecutor, &opts),
        })
    }

    /// Promotes a deployment that went live (`deployed` or `superseded`) to another environment:
    /// resolves with a new deployment of kind `promotion` with the same versions and
    /// `promoted_from`, governed by the target's policy like any request (its
    /// `requires_success_in` refuses versions that have not gone live where it names, with the
    /// finding `promotion_required`).
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, deploymentId: string, toEnvironment: string, actor: Actor",
        ts_return_type = "Promise<Deployment>"
    )]
    pub fn promote<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        deployment_id: Unknown<'e>,
        to_environment: Unknown<'e>,
        actor_: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| {
            Ok((
                string(project, "project")?,
                string(deployment_id, "deploymentId")?,
                string(to_environment, "toEnvironment")?,
                actor(actor_)?,
            ))
        });
        self.run(env, a, |e, (project, id, to, actor)| e.promote(&project, &id, &to, &actor))
    }

    /// Ends an execution before its lease expires (its host crashed mid-deploy): the deployment
    /// becomes `failed`, the environment is free, the active state stays as it was. Requires
    /// `admin` or `tenant_admin` and a reason; audited. The interrupted `execute`, if it ever
    /// finishes, rejects with `CONFLICT`.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, deploymentId: string, actor: Actor, reason: string",
        ts_return_type = "Promise<Deployment>"
    )]
    pub fn release_lease<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        deployment_id: Unknown<'e>,
        actor_: Unknown<'e>,
        reason: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a =
            args(|| Ok((string(project, "project")?, string(deployment_id, "deploymentId")?, actor(actor_)?, string(reason, "reason")?)));
        self.run(env, a, |e, (project, id, actor, reason)| e.release_lease(&project, &id, &actor, &reason))
    }

    /// The periodic housekeeping, store-wide and idempotent: executions whose lease
    /// (`policy.lease_ttl_seconds`) expired become `failed` and free their environment;
    /// pending or approved deployments past their `expires_at` are cancelled; approved
    /// deployments whose approvals expired go back to `pending`.
    #[napi(catch_unwind, ts_return_type = "Promise<SweepReport>")]
    pub fn sweep<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, Value>> {
        self.run(env, Ok(()), |e, ()| e.sweep())
    }

    /// Quarantines a catalog version with a reason: requests and promotions carrying it are
    /// refused (`VALIDATION_FAILED`, finding `version_quarantined`) until `releaseVersion`.
    /// Requires `admin` or `tenant_admin`; audited as `version.quarantined`.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, entityType: string, entityId: string, versionTag: string, actor: Actor, reason: string",
        ts_return_type = "Promise<Version>"
    )]
    #[allow(
        clippy::too_many_arguments,
        reason = "mirrors Engine::quarantine_version plus the N-API env; `expect` is reported unfulfilled under napi-derive"
    )]
    pub fn quarantine_version<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        entity_type: Unknown<'e>,
        entity_id: Unknown<'e>,
        version_tag: Unknown<'e>,
        actor_: Unknown<'e>,
        reason: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = quarantine_args(project, entity_type, entity_id, version_tag, actor_, reason);
        self.run(env, a, |e, (p, et, eid, tag, actor, reason)| e.quarantine_version(&p, &et, &eid, &tag, &actor, &reason))
    }

    /// Releases a quarantined version. Requires `admin` or `tenant_admin` and a reason; audited
    /// as `version.released`.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, entityType: string, entityId: string, versionTag: string, actor: Actor, reason: string",
        ts_return_type = "Promise<Version>"
    )]
    #[allow(
        clippy::too_many_arguments,
        reason = "mirrors Engine::release_version plus the N-API env; `expect` is reported unfulfilled under napi-derive"
    )]
    pub fn release_version<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        entity_type: Unknown<'e>,
        entity_id: Unknown<'e>,
        version_tag: Unknown<'e>,
        actor_: Unknown<'e>,
        reason: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = quarantine_args(project, entity_type, entity_id, version_tag, actor_, reason);
        self.run(env, a, |e, (p, et, eid, tag, actor, reason)| e.release_version(&p, &et, &eid, &tag, &actor, &reason))
    }

    /// The approved deployments of a project that may run now (their `scheduled_for` has come,
    /// or they have none, and they have not expired), oldest first.
    #[napi(catch_unwind, ts_args_type = "project: string", ts_return_type = "Promise<Deployment[]>")]
    pub fn due<'e>(&self, env: &'e Env, project: Unknown<'e>) -> Result<PromiseRaw<'e, Value>> {
        self.run(env, string(project, "project"), |e, project| e.due(&project))
    }

    /// The dry run: may `actor` perform `action` on a deployment now, and if not, why.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, deploymentId: string, actor: Actor, action: Action",
        ts_return_type = "Promise<DryRun>"
    )]
    pub fn check<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        deployment_id: Unknown<'e>,
        actor_: Unknown<'e>,
        action: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| {
            let action = deploygov::Action::from_str(&string(action, "action")?)?;
            Ok((string(project, "project")?, string(deployment_id, "deploymentId")?, actor(actor_)?, action))
        });
        self.run(env, a, |e, (project, id, actor, action)| e.check(&project, &id, &actor, action))
    }

    /// One project.
    #[napi(catch_unwind, ts_args_type = "project: string", ts_return_type = "Promise<Project>")]
    pub fn get_project<'e>(&self, env: &'e Env, project: Unknown<'e>) -> Result<PromiseRaw<'e, Value>> {
        self.run(env, string(project, "project"), |e, project| e.get_project(&project))
    }

    /// The environments of a project, in order (secret values redacted).
    #[napi(catch_unwind, ts_args_type = "project: string", ts_return_type = "Promise<Environment[]>")]
    pub fn list_environments<'e>(&self, env: &'e Env, project: Unknown<'e>) -> Result<PromiseRaw<'e, Value>> {
        self.run(env, string(project, "project"), |e, project| e.list_environments(&project))
    }

    /// One environment (secret values redacted).
    #[napi(catch_unwind, ts_args_type = "project: string, environment: string", ts_return_type = "Promise<Environment>")]
    pub fn get_environment<'e>(&self, env: &'e Env, project: Unknown<'e>, environment: Unknown<'e>) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| Ok((string(project, "project")?, string(environment, "environment")?)));
        self.run(env, a, |e, (project, environment)| e.get_environment(&project, &environment))
    }

    /// Every registered version of one entity, newest first.
    #[napi(catch_unwind, ts_args_type = "project: string, entityType: string, entityId: string", ts_return_type = "Promise<Version[]>")]
    pub fn list_versions<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        entity_type: Unknown<'e>,
        entity_id: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| Ok((string(project, "project")?, string(entity_type, "entityType")?, string(entity_id, "entityId")?)));
        self.run(env, a, |e, (project, et, eid)| e.list_versions(&project, &et, &eid))
    }

    /// One deployment.
    #[napi(catch_unwind, ts_args_type = "project: string, deploymentId: string", ts_return_type = "Promise<Deployment>")]
    pub fn get_deployment<'e>(&self, env: &'e Env, project: Unknown<'e>, deployment_id: Unknown<'e>) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| Ok((string(project, "project")?, string(deployment_id, "deploymentId")?)));
        self.run(env, a, |e, (project, id)| e.get_deployment(&project, &id))
    }

    /// Deployments matching `filter`, newest first, one cursor page at a time.
    #[napi(catch_unwind, ts_args_type = "project: string, filter?: DeploymentFilter | null", ts_return_type = "Promise<Page<Deployment>>")]
    pub fn list_deployments<'e>(&self, env: &'e Env, project: Unknown<'e>, filter: Option<Unknown<'e>>) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| Ok((string(project, "project")?, opt_object::<deploygov::DeploymentFilter>(filter, "filter")?)));
        self.run(env, a, |e, (project, filter)| e.list_deployments(&project, &filter))
    }

    /// Everything live in an environment.
    #[napi(catch_unwind, ts_args_type = "project: string, environment: string", ts_return_type = "Promise<ActiveEntry[]>")]
    pub fn active_state<'e>(&self, env: &'e Env, project: Unknown<'e>, environment: Unknown<'e>) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| Ok((string(project, "project")?, string(environment, "environment")?)));
        self.run(env, a, |e, (project, environment)| e.active_state(&project, &environment))
    }

    /// The live version of one entity in an environment, or `null`.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, environment: string, entityType: string, entityId: string",
        ts_return_type = "Promise<ActiveEntry | null>"
    )]
    pub fn active_version<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        environment: Unknown<'e>,
        entity_type: Unknown<'e>,
        entity_id: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = active_args(project, environment, entity_type, entity_id);
        self.run(env, a, |e, (p, environment, et, eid)| e.active_version(&p, &environment, &et, &eid))
    }

    /// The hot path, synchronously: the live version of one entity, or `null`. One indexed
    /// lookup on the calling thread (for a file database on its own connection, so it never
    /// waits behind a write).
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, environment: string, entityType: string, entityId: string",
        ts_return_type = "ActiveEntry | null"
    )]
    pub fn active_version_sync(
        &self,
        env: Env,
        project: Unknown<'_>,
        environment: Unknown<'_>,
        entity_type: Unknown<'_>,
        entity_id: Unknown<'_>,
    ) -> Result<Value> {
        let out = active_args(project, environment, entity_type, entity_id)
            .and_then(|(p, environment, et, eid)| task::guarded(|| to_json(&self.reader.active_version(&p, &environment, &et, &eid)?)));
        out.map_err(|f| error::to_js(&env, f))
    }

    /// Only the live version tag of one entity, or `null` (`active_version_tag`).
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, environment: string, entityType: string, entityId: string",
        ts_return_type = "Promise<string | null>"
    )]
    pub fn active_version_tag<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        environment: Unknown<'e>,
        entity_type: Unknown<'e>,
        entity_id: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = active_args(project, environment, entity_type, entity_id);
        self.run(env, a, |e, (p, environment, et, eid)| e.active_version_tag(&p, &environment, &et, &eid))
    }

    /// The lightest hot read, synchronously: only the live version tag of one entity, or
    /// `null`; a string instead of an entry object (on the calling thread, like
    /// `activeVersionSync`).
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, environment: string, entityType: string, entityId: string",
        ts_return_type = "string | null"
    )]
    pub fn active_version_tag_sync(
        &self,
        env: Env,
        project: Unknown<'_>,
        environment: Unknown<'_>,
        entity_type: Unknown<'_>,
        entity_id: Unknown<'_>,
    ) -> Result<Option<String>> {
        // The keys stay on the stack (`str_arg`): this is the face's lightest read.
        let keys = (|| {
            Ok((
                str_arg(project, "project")?,
                str_arg(environment, "environment")?,
                str_arg(entity_type, "entityType")?,
                str_arg(entity_id, "entityId")?,
            ))
        })();
        let out = keys.and_then(|(p, environment, et, eid)| {
            task::guarded(|| Ok(self.reader.active_version_tag(p.as_str(), environment.as_str(), et.as_str(), eid.as_str())?))
        });
        out.map_err(|f| error::to_js(&env, f))
    }

    /// What was live in an environment at the instant `at` (an ISO-8601 string), and for each
    /// entity which deployment put it there and who requested, approved and executed it.
    #[napi(catch_unwind, ts_args_type = "project: string, environment: string, at: string", ts_return_type = "Promise<LiveEntry[]>")]
    pub fn active_state_at<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        environment: Unknown<'e>,
        at: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = at_args(project, environment, at);
        self.run(env, a, |e, (project, environment, at)| e.active_state_at(&project, &environment, at))
    }

    /// The deployments that had something live in an environment at the instant `at` (an
    /// ISO-8601 string), newest first.
    #[napi(catch_unwind, ts_args_type = "project: string, environment: string, at: string", ts_return_type = "Promise<Deployment[]>")]
    pub fn deployments_live_at<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        environment: Unknown<'e>,
        at: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = at_args(project, environment, at);
        self.run(env, a, |e, (project, environment, at)| e.deployments_live_at(&project, &environment, at))
    }

    /// Changes of the live version of one entity across environments, newest first.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, entityType: string, entityId: string, limit?: number | null",
        ts_return_type = "Promise<HistoryEntry[]>"
    )]
    pub fn entity_history<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        entity_type: Unknown<'e>,
        entity_id: Unknown<'e>,
        limit: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| {
            Ok((string(project, "project")?, string(entity_type, "entityType")?, string(entity_id, "entityId")?, opt_u32(limit, "limit")?))
        });
        self.run(env, a, |e, (project, et, eid, limit)| e.entity_history(&project, &et, &eid, limit))
    }

    /// The entities whose live versions differ between two environments.
    #[napi(catch_unwind, ts_args_type = "project: string, left: string, right: string", ts_return_type = "Promise<EnvironmentDiff[]>")]
    pub fn compare_environments<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        left: Unknown<'e>,
        right: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| Ok((string(project, "project")?, string(left, "left")?, string(right, "right")?)));
        self.run(env, a, |e, (project, left, right)| e.compare_environments(&project, &left, &right))
    }

    /// Pending deployments `actor` may approve now, newest first.
    #[napi(catch_unwind, ts_args_type = "project: string, actor: Actor", ts_return_type = "Promise<Deployment[]>")]
    pub fn pending_approvals<'e>(&self, env: &'e Env, project: Unknown<'e>, actor_: Unknown<'e>) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| Ok((string(project, "project")?, actor(actor_)?)));
        self.run(env, a, |e, (project, actor)| e.pending_approvals(&project, &actor))
    }

    /// Audit entries of a project (optionally of one object), oldest first, after `afterSeq`.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, objectId?: string | null, afterSeq?: number | null, limit?: number | null",
        ts_return_type = "Promise<AuditEntry[]>"
    )]
    pub fn audit_log<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        object_id: Option<Unknown<'e>>,
        after_seq: Option<Unknown<'e>>,
        limit: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| {
            let after = opt_i64(after_seq, "afterSeq")?.unwrap_or(0);
            Ok((string(project, "project")?, opt_string(object_id, "objectId")?, after, opt_u32(limit, "limit")?))
        });
        self.run(env, a, |e, (project, object, after, limit)| e.audit_log(&project, object.as_deref(), after, limit))
    }

    /// Walks the whole audit chain; rejects with `AUDIT_CORRUPT` naming the first broken entry.
    #[napi(catch_unwind, ts_return_type = "Promise<AuditVerification>")]
    pub fn verify_audit<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, Value>> {
        self.run(env, Ok(()), |e, ()| e.verify_audit())
    }

    /// Registers (or replaces) a validator under `name`; it runs on every request and again
    /// before every execution, with no store lock held (so it may await calls on this engine;
    /// when the deployment or its environment changed meanwhile, validation runs again). A thrown
    /// error or rejected promise becomes a `validator_failed` error finding.
    #[napi(catch_unwind, ts_args_type = "name: string, validator: Validator")]
    pub fn register_validator(&self, env: Env, name: Unknown<'_>, validator: Unknown<'_>) -> Result<()> {
        let out = args(|| {
            let name = string(name, "name")?;
            let f = convert::function(validator, "validator")?;
            let cb = JsCallback::new(&f, self.timeout, "validator")
                .map_err(|e| Failure::Type(format!("cannot use `validator`: {}", e.reason)))?;
            Ok(self.inner.register_validator(&name, Arc::new(JsValidator(cb)))?)
        });
        out.map_err(|f| error::to_js(&env, f))
    }

    /// Removes a validator; returns whether it existed.
    #[napi(catch_unwind, ts_args_type = "name: string")]
    pub fn unregister_validator(&self, env: Env, name: Unknown<'_>) -> Result<bool> {
        let name = string(name, "name").map_err(|f| error::to_js(&env, f))?;
        Ok(self.inner.unregister_validator(&name))
    }

    /// Events of the transactional outbox after position `afterSeq` (default 0), of one project
    /// (`project` null or left out: every project), oldest first, at most `limit` (default 100,
    /// at most 1000); signed when a key is set. Keep the last `seq` as the cursor; delivery is at
    /// least once, `id` de-duplicates.
    #[napi(
        catch_unwind,
        ts_args_type = "project?: string | null, afterSeq?: number | null, limit?: number | null",
        ts_return_type = "Promise<Event[]>"
    )]
    pub fn events_after<'e>(
        &self,
        env: &'e Env,
        project: Option<Unknown<'e>>,
        after_seq: Option<Unknown<'e>>,
        limit: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| {
            let after = opt_i64(after_seq, "afterSeq")?.unwrap_or(0);
            Ok((opt_string(project, "project")?, after, opt_u32(limit, "limit")?))
        });
        self.run(env, a, |e, (project, after, limit)| e.events_after(project.as_deref(), after, limit))
    }

    /// Sets the key events are signed with (HMAC-SHA256 over the event's JSON without its
    /// signature; `signature` is its hex), or clears it with `null`. A `Buffer` or any
    /// `Uint8Array`; an empty key is `INVALID_INPUT`.
    #[napi(catch_unwind, ts_args_type = "key: Uint8Array | null")]
    pub fn set_event_signing_key(&self, env: Env, key: Unknown<'_>) -> Result<()> {
        let out = bytes(key, "key").and_then(|key| Ok(self.inner.set_event_signing_key(key.as_deref())?));
        out.map_err(|f| error::to_js(&env, f))
    }

    /// Registers (or replaces) a subscriber under `name`: after each command commits, it is
    /// called on the JavaScript thread with each event the command wrote, in order. The command
    /// does not wait for it; a throw or a rejected promise is dropped. It does not keep the
    /// process alive.
    #[napi(catch_unwind, ts_args_type = "name: string, subscriber: Subscriber")]
    pub fn subscribe(&self, env: Env, name: Unknown<'_>, subscriber: Unknown<'_>) -> Result<()> {
        let out = args(|| {
            let name = string(name, "name")?;
            let f = convert::function(subscriber, "subscriber")?;
            let s = JsSubscriber::new(&f).map_err(|e| Failure::Type(format!("cannot use `subscriber`: {}", e.reason)))?;
            Ok(self.inner.subscribe(&name, Arc::new(s))?)
        });
        out.map_err(|f| error::to_js(&env, f))
    }

    /// Removes a subscriber; returns whether it existed.
    #[napi(catch_unwind, ts_args_type = "name: string")]
    pub fn unsubscribe(&self, env: Env, name: Unknown<'_>) -> Result<bool> {
        let name = string(name, "name").map_err(|f| error::to_js(&env, f))?;
        Ok(self.inner.unsubscribe(&name))
    }
}

type ActiveArgs = (String, String, String, String);
type QuarantineArgs = (String, String, String, String, deploygov::Actor, String);

fn quarantine_args(
    p: Unknown<'_>,
    et: Unknown<'_>,
    eid: Unknown<'_>,
    tag: Unknown<'_>,
    actor_: Unknown<'_>,
    reason: Unknown<'_>,
) -> std::result::Result<QuarantineArgs, Failure> {
    Ok((
        string(p, "project")?,
        string(et, "entityType")?,
        string(eid, "entityId")?,
        string(tag, "versionTag")?,
        actor(actor_)?,
        string(reason, "reason")?,
    ))
}

fn active_args(p: Unknown<'_>, environment: Unknown<'_>, et: Unknown<'_>, eid: Unknown<'_>) -> std::result::Result<ActiveArgs, Failure> {
    Ok((string(p, "project")?, string(environment, "environment")?, string(et, "entityType")?, string(eid, "entityId")?))
}

pub(crate) fn at_args(
    p: Unknown<'_>,
    environment: Unknown<'_>,
    at: Unknown<'_>,
) -> std::result::Result<(String, String, chrono::DateTime<chrono::Utc>), Failure> {
    Ok((string(p, "project")?, string(environment, "environment")?, time(at, "at")?))
}
