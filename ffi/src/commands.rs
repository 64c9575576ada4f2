//! Commands: projects, environments, policies, the catalog (and its quarantine), the deployment
//! lifecycle, promotion, execution leases and the periodic sweep.
//!
//! Each function borrows the handle, converts its arguments, calls one core method and writes
//! the result as JSON. Common contract, stated once here and in every `# Safety` section:
//! `engine` is NULL or a live handle; every `const char *` is NULL or a NUL-terminated string
//! valid for the call; `out` is NULL or valid for writing one pointer. NULL where a value is
//! required, invalid UTF-8 and malformed JSON are `DG_ERROR_INVALID_INPUT`.

use std::ffi::{c_char, c_void};

use deploygov::{
    Actor, ApproveOptions, DeploymentRequest, Engine, EnvironmentSpec, ExecuteOptions, Health, NoopExecutor, Policy, RollbackOptions,
    Variable, VersionSpec,
};

use crate::callbacks::{CExecutor, DgExecutorFn};
use crate::guard::{Out, engine, guard, json, opt_json, opt_text, text};
use crate::handle::DgEngine;

/// Creates a project. Requires an `admin` or `tenant_admin` actor.
///
/// `actor_json` is `{"id":string,"roles":[string...]}`. `*out` receives the `Project` as JSON
/// (owned: release with `dg_string_free()`).
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_project_create(
    engine: *const DgEngine,
    id: *const c_char,
    tenant: *const c_char,
    name: *const c_char,
    actor_json: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, id, tenant, name, actor, out) = unsafe {
            (
                self::engine(engine)?,
                text(id, "id")?,
                text(tenant, "tenant")?,
                text(name, "name")?,
                json::<Actor>(actor_json, "actor")?,
                Out::new(out, "out")?,
            )
        };
        out.json(&e.create_project(id, tenant, name, &actor)?)
    })
}

/// Creates an environment from an `EnvironmentSpec` JSON
/// `{"name":string,"position"?:int,"url"?:string,"variables"?:[Variable],"policy"?:Policy}`;
/// without a policy it gets the default for its name. Requires `admin` or `tenant_admin`.
/// `*out` receives the `Environment` (secrets redacted) as JSON.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_environment_create(
    engine: *const DgEngine,
    project: *const c_char,
    spec_json: *const c_char,
    actor_json: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, spec, actor, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                json::<EnvironmentSpec>(spec_json, "spec")?,
                json::<Actor>(actor_json, "actor")?,
                Out::new(out, "out")?,
            )
        };
        out.json(&e.create_environment(project, &spec, &actor)?)
    })
}

/// Replaces an environment's policy (`Policy` JSON; every field optional). Requires `admin` or
/// `tenant_admin`; audited. `*out` receives the updated `Environment` as JSON.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_policy_set(
    engine: *const DgEngine,
    project: *const c_char,
    environment: *const c_char,
    policy_json: *const c_char,
    actor_json: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, environment, policy, actor, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                text(environment, "environment")?,
                json::<Policy>(policy_json, "policy")?,
                json::<Actor>(actor_json, "actor")?,
                Out::new(out, "out")?,
            )
        };
        out.json(&e.set_policy(project, environment, &policy, &actor)?)
    })
}

/// Replaces an environment's variables: a JSON array of `{"key":string,"value":string,
/// "secret"?:bool}`. Approvals given for the old content stop counting. Requires `admin` or
/// `tenant_admin`. `*out` receives the updated `Environment` (secrets redacted) as JSON.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_variables_set(
    engine: *const DgEngine,
    project: *const c_char,
    environment: *const c_char,
    variables_json: *const c_char,
    actor_json: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, environment, variables, actor, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                text(environment, "environment")?,
                json::<Vec<Variable>>(variables_json, "variables")?,
                json::<Actor>(actor_json, "actor")?,
                Out::new(out, "out")?,
            )
        };
        out.json(&e.set_variables(project, environment, &variables, &actor)?)
    })
}

/// Records an environment's health: `"healthy"`, `"degraded"` or `"down"` (anything else is
/// `DG_ERROR_INVALID_INPUT`). Requires `admin` or `tenant_admin`. `*out` receives the updated
/// `Environment` as JSON.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_health_set(
    engine: *const DgEngine,
    project: *const c_char,
    environment: *const c_char,
    health: *const c_char,
    actor_json: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, environment, health, actor, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                text(environment, "environment")?,
                text(health, "health")?,
                json::<Actor>(actor_json, "actor")?,
                Out::new(out, "out")?,
            )
        };
        let health: Health = health.parse()?;
        out.json(&e.set_health(project, environment, health, &actor)?)
    })
}

/// Registers a version in the project's catalog from a `VersionSpec` JSON
/// `{"entity_type","entity_id","version_tag","uri"?,"digest"?,"metadata"?,"dependencies"?:
/// [{"entity_type","entity_id","requirement"}]}`. The same data again returns the existing
/// entry; different data is `DG_ERROR_CONFLICT`. `*out` receives the `Version` as JSON.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_version_register(
    engine: *const DgEngine,
    project: *const c_char,
    spec_json: *const c_char,
    actor_json: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, spec, actor, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                json::<VersionSpec>(spec_json, "spec")?,
                json::<Actor>(actor_json, "actor")?,
                Out::new(out, "out")?,
            )
        };
        out.json(&e.register_version(project, &spec, &actor)?)
    })
}

/// Quarantines a catalog version with a reason: until it is released, requests and promotions
/// carrying it are refused with the `version_quarantined` error finding
/// (`DG_ERROR_VALIDATION_FAILED`), and so is executing a deployment that carries it (validation
/// runs again at execution); what is already live stays live. Audited as `version.quarantined` with the reason. (A policy with `quarantine_on_rollback`
/// also quarantines the versions a successful rollback takes out, as actor `deploygov:auto`.)
///
/// Requires an `admin` or `tenant_admin` actor (`DG_ERROR_FORBIDDEN`) and a non-blank `reason`
/// (`DG_ERROR_INVALID_INPUT`); a version not in the catalog is `DG_ERROR_NOT_FOUND`; one already
/// quarantined is `DG_ERROR_CONFLICT`. `*out` receives the `Version` as JSON, its `quarantine`
/// the decision `{"actor_id","at","reason"}` (owned: release with `dg_string_free()`).
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_version_quarantine(
    engine: *const DgEngine,
    project: *const c_char,
    entity_type: *const c_char,
    entity_id: *const c_char,
    version_tag: *const c_char,
    actor_json: *const c_char,
    reason: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract of this function.
    unsafe { set_quarantine(engine, [project, entity_type, entity_id, version_tag], actor_json, reason, out, true) }
}

/// Releases a quarantined version (with a reason): it may enter deployments and promotions again.
/// Audited as `version.released` with the reason.
///
/// Requires an `admin` or `tenant_admin` actor (`DG_ERROR_FORBIDDEN`) and a non-blank `reason`
/// (`DG_ERROR_INVALID_INPUT`); a version not in the catalog is `DG_ERROR_NOT_FOUND`; one not
/// quarantined is `DG_ERROR_CONFLICT`. `*out` receives the `Version` as JSON (`quarantine`: null)
/// (owned: release with `dg_string_free()`).
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_version_release(
    engine: *const DgEngine,
    project: *const c_char,
    entity_type: *const c_char,
    entity_id: *const c_char,
    version_tag: *const c_char,
    actor_json: *const c_char,
    reason: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded contract of this function.
    unsafe { set_quarantine(engine, [project, entity_type, entity_id, version_tag], actor_json, reason, out, false) }
}

/// The body of `dg_version_quarantine` (`on`) and `dg_version_release`.
///
/// # Safety
/// As those functions.
unsafe fn set_quarantine(
    engine: *const DgEngine,
    [project, entity_type, entity_id, version_tag]: [*const c_char; 4],
    actor_json: *const c_char,
    reason: *const c_char,
    out: *mut *mut c_char,
    on: bool,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract of the callers.
        let (e, project, entity_type, entity_id, version_tag, actor, reason, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                text(entity_type, "entity_type")?,
                text(entity_id, "entity_id")?,
                text(version_tag, "version_tag")?,
                json::<Actor>(actor_json, "actor")?,
                text(reason, "reason")?,
                Out::new(out, "out")?,
            )
        };
        let f = if on { Engine::quarantine_version } else { Engine::release_version };
        out.json(&f(&e, project, entity_type, entity_id, version_tag, &actor, reason)?)
    })
}

/// Requests a deployment from a `DeploymentRequest` JSON `{"environment","name",
/// "description"?,"items":[{"entity_type","entity_id","version_tag","change_message"?,
/// "risk"?:"low"|"medium"|"high"|"critical"}],"idempotency_key"?,"scheduled_for"?,"expires_at"?}`
/// (the two times RFC 3339; `expires_at` not after `scheduled_for` is `DG_ERROR_INVALID_INPUT`).
/// Validation errors refuse it with `DG_ERROR_VALIDATION_FAILED` (report via
/// `dg_last_error_findings()`). `*out` receives the `Deployment` (`pending`, or `approved` when
/// the policy needs no approval) as JSON. Executing before `scheduled_for` is refused with the
/// `not_yet_due` finding, at or after `expires_at` with `schedule_expired` (and the sweep cancels
/// it); `dg_deployments_due()` lists what may run now.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_deployment_request(
    engine: *const DgEngine,
    project: *const c_char,
    request_json: *const c_char,
    actor_json: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, request, actor, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                json::<DeploymentRequest>(request_json, "request")?,
                json::<Actor>(actor_json, "actor")?,
                Out::new(out, "out")?,
            )
        };
        out.json(&e.request_deployment(project, &request, &actor)?)
    })
}

/// Approves a deployment. `options_json` may be NULL, or `{"comment"?:string,"rule"?:string,
/// "freeze_override_reason"?:string}` (approve into a frozen environment: needs one of the
/// policy's `freeze_override_roles`, else `DG_ERROR_FORBIDDEN`; audited; without it a freeze
/// refuses with the `environment_frozen` finding). 4-eyes refuses the requester
/// (`DG_ERROR_SELF_APPROVAL`). `*out` receives the `Deployment`
/// as JSON (`approved` once every rule is met).
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_deployment_approve(
    engine: *const DgEngine,
    project: *const c_char,
    deployment_id: *const c_char,
    actor_json: *const c_char,
    options_json: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, id, actor, options, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                text(deployment_id, "deployment_id")?,
                json::<Actor>(actor_json, "actor")?,
                opt_json::<ApproveOptions>(options_json, "options")?,
                Out::new(out, "out")?,
            )
        };
        out.json(&e.approve(project, id, &actor, &options)?)
    })
}

/// Rejects a deployment; `reason` is required (non-empty). `*out` receives the `Deployment`.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_deployment_reject(
    engine: *const DgEngine,
    project: *const c_char,
    deployment_id: *const c_char,
    actor_json: *const c_char,
    reason: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, id, actor, reason, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                text(deployment_id, "deployment_id")?,
                json::<Actor>(actor_json, "actor")?,
                text(reason, "reason")?,
                Out::new(out, "out")?,
            )
        };
        out.json(&e.reject(project, id, &actor, reason)?)
    })
}

/// Cancels a pending or approved deployment; `reason` may be NULL. The requester may always;
/// others need a cancel role. `*out` receives the `Deployment`.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_deployment_cancel(
    engine: *const DgEngine,
    project: *const c_char,
    deployment_id: *const c_char,
    actor_json: *const c_char,
    reason: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, id, actor, reason, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                text(deployment_id, "deployment_id")?,
                json::<Actor>(actor_json, "actor")?,
                opt_text(reason, "reason")?,
                Out::new(out, "out")?,
            )
        };
        out.json(&e.cancel(project, id, &actor, reason)?)
    })
}

/// Executes an approved deployment. `options_json` may be NULL, or
/// `{"break_glass_reason"?:string,"freeze_override_reason"?:string}` (`break_glass_reason`:
/// execute without approvals; needs a break-glass role; `freeze_override_reason`: execute into a
/// frozen environment; needs a freeze override role; both audited). `executor` may be NULL (only the active state moves); otherwise it is called once
/// per item, with `executor_data`, on this thread, before this function returns.
///
/// Returns `DG_OK` when execution ran, whatever its outcome: `*out` receives the `Deployment`
/// in its final status, `deployed`, or `failed` with per-item statuses and messages (the items
/// already activated were reverted and the active state is unchanged), or, under a policy with
/// `on_failure` `pause`, `paused` at the failed item (nothing reverted, the environment held)
/// until `dg_deployment_resume()` decides.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable); `executor` is NULL or a valid function for
/// `executor_data`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_deployment_execute(
    engine: *const DgEngine,
    project: *const c_char,
    deployment_id: *const c_char,
    actor_json: *const c_char,
    options_json: *const c_char,
    executor: DgExecutorFn,
    executor_data: *mut c_void,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, id, actor, options, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                text(deployment_id, "deployment_id")?,
                json::<Actor>(actor_json, "actor")?,
                opt_json::<ExecuteOptions>(options_json, "options")?,
                Out::new(out, "out")?,
            )
        };
        let d = match executor {
            Some(f) => e.execute(project, id, &actor, &CExecutor::new(f, executor_data), &options)?,
            None => e.execute(project, id, &actor, &NoopExecutor, &options)?,
        };
        out.json(&d)
    })
}

/// Rolls back a deployed deployment. `options_json` is `{"reason":string,"target"?:
/// deployment-id}` (the reason is required). Unless the policy requires approval for rollbacks,
/// the rollback deployment is approved and executed at once through `executor` (NULL: only the
/// active state moves), as in `dg_deployment_execute()`. `*out` receives the rollback
/// `Deployment` (kind `rollback`) as JSON.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable); `executor` is NULL or a valid function for
/// `executor_data`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_deployment_rollback(
    engine: *const DgEngine,
    project: *const c_char,
    deployment_id: *const c_char,
    actor_json: *const c_char,
    options_json: *const c_char,
    executor: DgExecutorFn,
    executor_data: *mut c_void,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, id, actor, options, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                text(deployment_id, "deployment_id")?,
                json::<Actor>(actor_json, "actor")?,
                json::<RollbackOptions>(options_json, "options")?,
                Out::new(out, "out")?,
            )
        };
        let d = match executor {
            Some(f) => e.rollback(project, id, &actor, &CExecutor::new(f, executor_data), &options)?,
            None => e.rollback(project, id, &actor, &NoopExecutor, &options)?,
        };
        out.json(&d)
    })
}

/// Promotes a deployment that went live (`deployed` or `superseded`) to `to_environment`: a new
/// deployment of kind `promotion` with the same versions (items reset to `pending`) and
/// `promoted_from` naming the source, requested by `actor` and governed by the target's policy
/// like any request (request roles, validation including `promotion_required` and `outdated`,
/// approvals).
///
/// A source in any other status (pending, failed, rolled back, ...) is
/// `DG_ERROR_INVALID_TRANSITION`; promoting into its own environment is `DG_ERROR_INVALID_INPUT`; an
/// actor without a request role of the target is `DG_ERROR_FORBIDDEN`; validation errors are
/// `DG_ERROR_VALIDATION_FAILED` (report via `dg_last_error_findings()`). `*out` receives the new
/// `Deployment` (`pending`, or `approved` when the target's policy needs no approval) as JSON
/// (owned: release with `dg_string_free()`).
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_deployment_promote(
    engine: *const DgEngine,
    project: *const c_char,
    deployment_id: *const c_char,
    to_environment: *const c_char,
    actor_json: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, id, to_environment, actor, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                text(deployment_id, "deployment_id")?,
                text(to_environment, "to_environment")?,
                json::<Actor>(actor_json, "actor")?,
                Out::new(out, "out")?,
            )
        };
        out.json(&e.promote(project, id, to_environment, &actor)?)
    })
}

/// Ends a `deploying` deployment's execution before its lease expires (its host crashed
/// mid-deploy): the deployment becomes `failed` (every item `failed` with `reason` as its
/// message), its environment is free again, and the active state is left as it was. A late
/// report of that execution then fails with `DG_ERROR_CONFLICT`. Audited as
/// `deployment.lease_released`.
///
/// Requires an `admin` or `tenant_admin` actor (`DG_ERROR_FORBIDDEN`) and a non-blank `reason`
/// (`DG_ERROR_INVALID_INPUT`); a deployment that is not `deploying` is
/// `DG_ERROR_INVALID_TRANSITION`. `*out` receives the `Deployment` as JSON (owned: release with
/// `dg_string_free()`).
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_lease_release(
    engine: *const DgEngine,
    project: *const c_char,
    deployment_id: *const c_char,
    actor_json: *const c_char,
    reason: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, id, actor, reason, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                text(deployment_id, "deployment_id")?,
                json::<Actor>(actor_json, "actor")?,
                text(reason, "reason")?,
                Out::new(out, "out")?,
            )
        };
        out.json(&e.release_lease(project, id, &actor, reason)?)
    })
}

/// The one call a host runs periodically (store-wide, every project; idempotent; no actor: what it
/// does is audited as `deploygov:sweep`). Executions whose lease (`lease_ttl_seconds` of the
/// environment's policy) expired become `failed` (the executor never reported; the active state
/// is left as it was) and free their environment; pending or approved deployments past their
/// `expires_at` are cancelled (actor `deploygov:sweep`); approved deployments whose approvals
/// expired go back to `pending`.
///
/// `*out` receives a `SweepReport` JSON `{"leases_expired":[deployment-id],
/// "approvals_expired":[deployment-id],"schedules_expired":[deployment-id]}` (owned: release with
/// `dg_string_free()`). It may be
/// called from inside an executor, e.g. to let a hanging execution's lease run out.
///
/// # Safety
/// `engine` is NULL or a live handle; `out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_sweep(engine: *const DgEngine, out: *mut *mut c_char) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, out) = unsafe { (self::engine(engine)?, Out::new(out, "out")?) };
        out.json(&e.sweep()?)
    })
}
