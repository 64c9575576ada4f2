//! `Engine` methods around execution: freeze windows, two-phase execution for out-of-process
//! pipelines (begin, log, heartbeat, complete), guided failure (resume) and post-deployment
//! health checks. Each converts its arguments, calls one core function on a worker thread and
//! maps the error.

use std::str::FromStr;

use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi::{Env, Result};
use napi_derive::napi;
use serde_json::Value;

use crate::convert::{actor, object, opt_i64, opt_object, opt_string, opt_u32, string};
use crate::engine::{Engine, args, at_args};

#[napi]
impl Engine {
    /// Creates a freeze window for one environment or (no `environment`) the whole project:
    /// while it is on, approving and executing there is refused with the finding
    /// `environment_frozen` unless a freeze override role gives `freeze_override_reason`.
    /// Requires `admin` or `tenant_admin`; audited as `environment.frozen`.
    #[napi(catch_unwind, ts_args_type = "project: string, spec: FreezeSpec, actor: Actor", ts_return_type = "Promise<FreezeWindow>")]
    pub fn add_freeze<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        spec: Unknown<'e>,
        actor_: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| Ok((string(project, "project")?, object::<deploygov::FreezeSpec>(spec, "spec")?, actor(actor_)?)));
        self.run(env, a, |e, (project, spec, actor)| e.add_freeze(&project, &spec, &actor))
    }

    /// Removes a freeze window with a reason. Requires `admin` or `tenant_admin`; audited as
    /// `environment.unfrozen`. Resolves with the removed window.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, freezeId: string, actor: Actor, reason: string",
        ts_return_type = "Promise<FreezeWindow>"
    )]
    pub fn remove_freeze<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        freeze_id: Unknown<'e>,
        actor_: Unknown<'e>,
        reason: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| Ok((string(project, "project")?, string(freeze_id, "freezeId")?, actor(actor_)?, string(reason, "reason")?)));
        self.run(env, a, |e, (project, id, actor, reason)| e.remove_freeze(&project, &id, &actor, &reason))
    }

    /// The freeze windows of a project, or (with `environment`) those that apply to one
    /// environment: its own and the project-wide ones; oldest first.
    #[napi(catch_unwind, ts_args_type = "project: string, environment?: string | null", ts_return_type = "Promise<FreezeWindow[]>")]
    pub fn list_freezes<'e>(&self, env: &'e Env, project: Unknown<'e>, environment: Option<Unknown<'e>>) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| Ok((string(project, "project")?, opt_string(environment, "environment")?)));
        self.run(env, a, |e, (project, environment)| e.list_freezes(&project, environment.as_deref()))
    }

    /// The freeze windows that cover an environment at the instant `at` (an ISO-8601 string);
    /// empty: not frozen then.
    #[napi(catch_unwind, ts_args_type = "project: string, environment: string, at: string", ts_return_type = "Promise<FreezeWindow[]>")]
    pub fn active_freezes<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        environment: Unknown<'e>,
        at: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = at_args(project, environment, at);
        self.run(env, a, |e, (project, environment, at)| e.active_freezes(&project, &environment, at))
    }

    /// Starts an out-of-process execution: the gates and transaction of `execute`
    /// (`approved → deploying`, the environment taken with a lease of the policy's
    /// `lease_ttl_seconds`) without calling an executor. Append stage logs with `log`, extend
    /// the lease with `heartbeat`, finish with `complete`.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, deploymentId: string, actor: Actor, options?: ExecuteOptions | null",
        ts_return_type = "Promise<Deployment>"
    )]
    pub fn begin<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        deployment_id: Unknown<'e>,
        actor_: Unknown<'e>,
        options: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| {
            let opts = opt_object::<deploygov::ExecuteOptions>(options, "options")?;
            Ok((string(project, "project")?, string(deployment_id, "deploymentId")?, actor(actor_)?, opts))
        });
        self.run(env, a, |e, (project, id, actor, opts)| e.begin(&project, &id, &actor, &opts))
    }

    /// Appends a line to the stage log of a running (`deploying` or `paused`) deployment;
    /// resolves with the line's cursor (`seq`). Not audited; only the newest 10,000 lines of a
    /// deployment are kept.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, deploymentId: string, stage: string, line: string",
        ts_return_type = "Promise<number>"
    )]
    pub fn log<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        deployment_id: Unknown<'e>,
        stage: Unknown<'e>,
        line: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| {
            Ok((string(project, "project")?, string(deployment_id, "deploymentId")?, string(stage, "stage")?, string(line, "line")?))
        });
        self.run(env, a, |e, (project, id, stage, line)| e.log(&project, &id, &stage, &line))
    }

    /// A page of a deployment's stage log after the cursor `afterSeq` (default 0: from the
    /// start), at most `limit` lines (default 500, at most 5,000). To follow a running
    /// deployment, poll with `next_cursor` while `open`.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, deploymentId: string, afterSeq?: number | null, limit?: number | null",
        ts_return_type = "Promise<LogPage>"
    )]
    pub fn deployment_logs<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        deployment_id: Unknown<'e>,
        after_seq: Option<Unknown<'e>>,
        limit: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| {
            let after = opt_i64(after_seq, "afterSeq")?.unwrap_or(0);
            Ok((string(project, "project")?, string(deployment_id, "deploymentId")?, after, opt_u32(limit, "limit")?))
        });
        self.run(env, a, |e, (project, id, after, limit)| e.deployment_logs(&project, &id, after, limit))
    }

    /// Extends the lease of a `deploying` deployment by the policy's `lease_ttl_seconds` from
    /// now. Only its executor or an admin may.
    #[napi(catch_unwind, ts_args_type = "project: string, deploymentId: string, actor: Actor", ts_return_type = "Promise<Deployment>")]
    pub fn heartbeat<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        deployment_id: Unknown<'e>,
        actor_: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| Ok((string(project, "project")?, string(deployment_id, "deploymentId")?, actor(actor_)?)));
        self.run(env, a, |e, (project, id, actor)| e.heartbeat(&project, &id, &actor))
    }

    /// Finishes an out-of-process execution: `{ outcome: 'success' }` makes every item live as
    /// `execute` does; `{ outcome: 'failure', error, failed_item? }` fails the deployment and
    /// leaves the active state as it was. Only its executor or an admin may.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, deploymentId: string, actor: Actor, completion: Completion",
        ts_return_type = "Promise<Deployment>"
    )]
    pub fn complete<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        deployment_id: Unknown<'e>,
        actor_: Unknown<'e>,
        completion: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| {
            let completion = object::<deploygov::Completion>(completion, "completion")?;
            Ok((string(project, "project")?, string(deployment_id, "deploymentId")?, actor(actor_)?, completion))
        });
        self.run(env, a, |e, (project, id, actor, completion)| e.complete(&project, &id, &actor, &completion))
    }

    /// Decides on a `paused` deployment (an item failed under a `pause` policy): `retry` calls
    /// `executor` for the failed item again, `skip` leaves it out, `abort` reverts what went
    /// live and fails the deployment. `skip` and `abort` need a reason. Resolves with the
    /// deployment `deployed`, `failed`, or `paused` again when another item fails (a throw or
    /// rejection of `executor` fails the item).
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, deploymentId: string, actor: Actor, decision: ResumeDecision, reason?: string | null, executor?: Executor | null",
        ts_return_type = "Promise<Deployment>"
    )]
    #[allow(
        clippy::too_many_arguments,
        reason = "mirrors Engine::resume plus the N-API env; `expect` is reported unfulfilled under napi-derive"
    )]
    pub fn resume<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        deployment_id: Unknown<'e>,
        actor_: Unknown<'e>,
        decision: Unknown<'e>,
        reason: Option<Unknown<'e>>,
        executor: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| {
            let (p, id, who) = (string(project, "project")?, string(deployment_id, "deploymentId")?, actor(actor_)?);
            let decision = deploygov::ResumeDecision::from_str(&string(decision, "decision")?)?;
            Ok((p, id, who, decision, opt_string(reason, "reason")?, self.executor(executor)?))
        });
        self.run(env, a, |e, (project, id, actor, decision, reason, executor)| match &executor {
            Some(x) => e.resume(&project, &id, &actor, x, decision, reason.as_deref()),
            None => e.resume(&project, &id, &actor, &deploygov::NoopExecutor, decision, reason.as_deref()),
        })
    }

    /// Records a health check of a live (`deployed`) deployment. Crossing a threshold of the
    /// environment's `policy.health` sets the environment `down` and, unless `auto_rollback` is
    /// off, rolls the deployment back at once (as `deploygov:health`, with `executor`); a failed
    /// check below the thresholds makes it `degraded`, a passing one `healthy`.
    #[napi(
        catch_unwind,
        ts_args_type = "project: string, deploymentId: string, report: HealthReport, actor: Actor, executor?: Executor | null",
        ts_return_type = "Promise<HealthOutcome>"
    )]
    pub fn report_health<'e>(
        &self,
        env: &'e Env,
        project: Unknown<'e>,
        deployment_id: Unknown<'e>,
        report: Unknown<'e>,
        actor_: Unknown<'e>,
        executor: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| {
            let report = object::<deploygov::HealthReport>(report, "report")?;
            Ok((string(project, "project")?, string(deployment_id, "deploymentId")?, report, actor(actor_)?, self.executor(executor)?))
        });
        self.run(env, a, |e, (project, id, report, actor, executor)| match &executor {
            Some(x) => e.report_health(&project, &id, &report, &actor, x),
            None => e.report_health(&project, &id, &report, &actor, &deploygov::NoopExecutor),
        })
    }

    /// The health checks of a deployment, oldest first.
    #[napi(catch_unwind, ts_args_type = "project: string, deploymentId: string", ts_return_type = "Promise<HealthCheck[]>")]
    pub fn health_checks<'e>(&self, env: &'e Env, project: Unknown<'e>, deployment_id: Unknown<'e>) -> Result<PromiseRaw<'e, Value>> {
        let a = args(|| Ok((string(project, "project")?, string(deployment_id, "deploymentId")?)));
        self.run(env, a, |e, (project, id)| e.health_checks(&project, &id))
    }
}
