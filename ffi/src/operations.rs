//! Operations around execution: freeze windows, two-phase (out-of-process) execution with stage
//! logs and heartbeats, guided failure (`resume` of a `paused` deployment) and health checks of
//! live deployments with automatic rollback.
//!
//! Each function borrows the handle, converts its arguments, calls one core method and writes
//! the result. Common contract, stated in every `# Safety` section: `engine` is NULL or a live
//! handle; every `const char *` is NULL or a NUL-terminated string valid for the call; a
//! `const uint32_t *` is NULL or readable; each out-pointer is NULL or valid for one write;
//! `executor` is NULL or a valid function for `executor_data`. NULL where a value is required,
//! invalid UTF-8, malformed JSON and unknown enum strings are `DG_ERROR_INVALID_INPUT`. Results are
//! owned JSON strings (release with `dg_string_free()`).

use std::ffi::{c_char, c_void};

use deploygov::{Actor, Completion, ExecuteOptions, FreezeSpec, HealthReport, NoopExecutor, ResumeDecision};

use crate::callbacks::{CExecutor, DgExecutorFn};
use crate::guard::{Out, engine, guard, json, opt_json, opt_text, opt_u32, text, time};
use crate::handle::DgEngine;

/// Creates a freeze window from a `FreezeSpec` JSON `{"environment"?:string (absent or null:
/// every environment of the project),"name":string,"schedule":{"type":"one_off","start":RFC 3339,
/// "end":RFC 3339} | {"type":"weekly","days":["mon",...,"sun"],"start_time":"HH:MM",
/// "duration_minutes":1..10080,"time_zone":IANA name}}`. While a window covers an environment,
/// approving and executing into it are refused with the `environment_frozen` error finding
/// (`DG_ERROR_VALIDATION_FAILED`), unless an actor with one of the policy's
/// `freeze_override_roles` passes `freeze_override_reason` (audited). Rollbacks are exempt.
///
/// Requires an `admin` or `tenant_admin` actor (`DG_ERROR_FORBIDDEN`); an inverted range, a bad
/// time or an unknown zone or day is `DG_ERROR_INVALID_INPUT`; an unknown project or environment
/// `DG_ERROR_NOT_FOUND`. Audited as `environment.frozen`. `*out` receives the `FreezeWindow`
/// `{"id","project_id","environment","name","schedule","created_by","created_at"}` as JSON (owned:
/// release with `dg_string_free()`).
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_freeze_add(
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
                json::<FreezeSpec>(spec_json, "spec")?,
                json::<Actor>(actor_json, "actor")?,
                Out::new(out, "out")?,
            )
        };
        out.json(&e.add_freeze(project, &spec, &actor)?)
    })
}

/// Removes a freeze window by id, with a reason. Requires an `admin` or `tenant_admin` actor
/// (`DG_ERROR_FORBIDDEN`) and a non-blank `reason` (`DG_ERROR_INVALID_INPUT`); an unknown id is
/// `DG_ERROR_NOT_FOUND`. Audited as `environment.unfrozen`. `*out` receives the removed
/// `FreezeWindow` as JSON (owned: release with `dg_string_free()`).
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_freeze_remove(
    engine: *const DgEngine,
    project: *const c_char,
    freeze_id: *const c_char,
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
                text(freeze_id, "freeze_id")?,
                json::<Actor>(actor_json, "actor")?,
                text(reason, "reason")?,
                Out::new(out, "out")?,
            )
        };
        out.json(&e.remove_freeze(project, id, &actor, reason)?)
    })
}

/// The freeze windows of a project, oldest first: all of them when `environment` is NULL, or
/// those that apply to that environment (its own and the project-wide ones). `*out` receives a
/// JSON array of `FreezeWindow` (owned: release with `dg_string_free()`). An unknown project or
/// environment is `DG_ERROR_NOT_FOUND`.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_freeze_list(
    engine: *const DgEngine,
    project: *const c_char,
    environment: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, environment, out) =
            unsafe { (self::engine(engine)?, text(project, "project")?, opt_text(environment, "environment")?, Out::new(out, "out")?) };
        out.json(&e.list_freezes(project, environment)?)
    })
}

/// The freeze windows covering `environment` at the instant `at` (an RFC 3339 timestamp, as in
/// `dg_active_state_at()`; anything else is `DG_ERROR_INVALID_INPUT`): a JSON array of
/// `FreezeWindow`, empty when it is not frozen then (owned: release with `dg_string_free()`). An
/// unknown project or environment is `DG_ERROR_NOT_FOUND`.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_freezes_active(
    engine: *const DgEngine,
    project: *const c_char,
    environment: *const c_char,
    at: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, environment, at, out) = unsafe {
            (self::engine(engine)?, text(project, "project")?, text(environment, "environment")?, time(at, "at")?, Out::new(out, "out")?)
        };
        out.json(&e.active_freezes(project, environment, at)?)
    })
}

/// Starts an out-of-process execution (a pipeline running elsewhere): the gates and transaction
/// of `dg_deployment_execute()` (`approved` → `deploying`, the environment taken under a lease of
/// the policy's `lease_ttl_seconds`), without calling an executor. `options_json` may be NULL, or
/// `{"break_glass_reason"?:string,"freeze_override_reason"?:string}`. Then append stage logs with
/// `dg_deployment_log()`, extend the lease with `dg_deployment_heartbeat()` and finish with
/// `dg_deployment_complete()`.
///
/// Refusals are those of `dg_deployment_execute()` (`DG_ERROR_INVALID_TRANSITION`,
/// `DG_ERROR_FORBIDDEN`, `DG_ERROR_POLICY_VIOLATION`, `DG_ERROR_VALIDATION_FAILED` with e.g.
/// `environment_frozen`, `DG_ERROR_CONFLICT` when the environment is busy). `*out` receives the
/// `deploying` `Deployment` as JSON (owned: release with `dg_string_free()`).
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_deployment_begin(
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
                opt_json::<ExecuteOptions>(options_json, "options")?,
                Out::new(out, "out")?,
            )
        };
        out.json(&e.begin(project, id, &actor, &options)?)
    })
}

/// Appends `line` (at most 64 KiB) to the stage log of a running (`deploying` or `paused`)
/// deployment under `stage` (a non-empty name of at most 64 bytes). No actor: logs are
/// operational output, not governance decisions, and are not audited. Only the newest 10,000
/// lines of a deployment are kept. A deployment that is not running is
/// `DG_ERROR_INVALID_TRANSITION`.
///
/// On `DG_OK`, `*out_seq` receives the line's cursor position (for `dg_deployment_logs()`).
///
/// # Safety
/// `engine` is NULL or a live handle; every string is NULL or NUL-terminated and valid for the
/// call; `out_seq` is NULL or valid for writing one `int64_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_deployment_log(
    engine: *const DgEngine,
    project: *const c_char,
    deployment_id: *const c_char,
    stage: *const c_char,
    line: *const c_char,
    out_seq: *mut i64,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, id, stage, line, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                text(deployment_id, "deployment_id")?,
                text(stage, "stage")?,
                text(line, "line")?,
                Out::new(out_seq, "out_seq")?,
            )
        };
        out.write(e.log(project, id, stage, line)?);
        Ok(())
    })
}

/// Reads a deployment's stage log after the cursor `after_seq` (0: from the start; negative is
/// `DG_ERROR_INVALID_INPUT`), at most `*limit` lines (`limit` NULL: 500; values are clamped to
/// 1..5000). `*out` receives a `LogPage` JSON `{"lines":[{"seq","at","stage","line"}],
/// "next_cursor":int,"dropped":int,"open":bool}` (owned: release with `dg_string_free()`): poll
/// again with `next_cursor` while `open` to follow a running deployment; `dropped` counts the
/// oldest lines discarded beyond the cap.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, `limit` readable, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_deployment_logs(
    engine: *const DgEngine,
    project: *const c_char,
    deployment_id: *const c_char,
    after_seq: i64,
    limit: *const u32,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, id, limit, out) = unsafe {
            (self::engine(engine)?, text(project, "project")?, text(deployment_id, "deployment_id")?, opt_u32(limit), Out::new(out, "out")?)
        };
        out.json(&e.deployment_logs(project, id, after_seq, limit)?)
    })
}

/// Extends the lease of a `deploying` deployment by the policy's `lease_ttl_seconds` from now.
/// Only the actor that began it or an `admin`/`tenant_admin` may (`DG_ERROR_FORBIDDEN`); any other
/// status is `DG_ERROR_INVALID_TRANSITION`. Not audited. `*out` receives the `Deployment` (new
/// `lease_expires_at`) as JSON (owned: release with `dg_string_free()`).
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_deployment_heartbeat(
    engine: *const DgEngine,
    project: *const c_char,
    deployment_id: *const c_char,
    actor_json: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, id, actor, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                text(deployment_id, "deployment_id")?,
                json::<Actor>(actor_json, "actor")?,
                Out::new(out, "out")?,
            )
        };
        out.json(&e.heartbeat(project, id, &actor)?)
    })
}

/// Finishes an out-of-process execution with a `Completion` JSON: `{"outcome":"success"}` makes
/// every item live (as `dg_deployment_execute()` does), or `{"outcome":"failure","error":string,
/// "failed_item"?:index}` fails the deployment and leaves the active state as it was (items before
/// `failed_item` recorded as reverted, after it as skipped). Only the actor that began it or an
/// `admin`/`tenant_admin` may (`DG_ERROR_FORBIDDEN`); a deployment that is not `deploying` (e.g.
/// its lease was swept) is `DG_ERROR_INVALID_TRANSITION`; an empty error or an out-of-range item
/// is `DG_ERROR_INVALID_INPUT`. `*out` receives the `Deployment` (`deployed` or `failed`) as JSON
/// (owned: release with `dg_string_free()`).
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_deployment_complete(
    engine: *const DgEngine,
    project: *const c_char,
    deployment_id: *const c_char,
    actor_json: *const c_char,
    completion_json: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, id, actor, completion, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                text(deployment_id, "deployment_id")?,
                json::<Actor>(actor_json, "actor")?,
                json::<Completion>(completion_json, "completion")?,
                Out::new(out, "out")?,
            )
        };
        out.json(&e.complete(project, id, &actor, &completion)?)
    })
}

/// Decides on a `paused` deployment (a policy with `on_failure` `pause` stopped it at a failed
/// item, holding its environment): `decision` is `"retry"` (call the executor for the failed item
/// again, then the rest), `"skip"` (leave that item out and go on) or `"abort"` (revert what was
/// activated and fail); anything else is `DG_ERROR_INVALID_INPUT`. `reason` may be NULL for
/// `retry` and is required (non-blank) for `skip` and `abort`. Needs an execute role (the
/// rollback roles for a rollback; `DG_ERROR_FORBIDDEN`); a deployment that is not `paused` is
/// `DG_ERROR_INVALID_TRANSITION`. Audited as `deployment.resumed`.
///
/// `executor` may be NULL (only the active state moves); otherwise it is called with
/// `executor_data` (borrowed), on this thread, before this function returns. Returns `DG_OK` when
/// the decision ran: `*out` receives the `Deployment` in its new status, `deployed`, `failed`, or
/// `paused` again when another item fails (owned: release with `dg_string_free()`).
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable); `executor` is NULL or a valid function for
/// `executor_data`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_deployment_resume(
    engine: *const DgEngine,
    project: *const c_char,
    deployment_id: *const c_char,
    actor_json: *const c_char,
    decision: *const c_char,
    reason: *const c_char,
    executor: DgExecutorFn,
    executor_data: *mut c_void,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, id, actor, decision, reason, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                text(deployment_id, "deployment_id")?,
                json::<Actor>(actor_json, "actor")?,
                text(decision, "decision")?,
                opt_text(reason, "reason")?,
                Out::new(out, "out")?,
            )
        };
        let decision: ResumeDecision = decision.parse()?;
        let d = match executor {
            Some(f) => e.resume(project, id, &actor, &CExecutor::new(f, executor_data), decision, reason)?,
            None => e.resume(project, id, &actor, &NoopExecutor, decision, reason)?,
        };
        out.json(&d)
    })
}

/// Records a health check of a live (`deployed`) deployment from a `HealthReport` JSON
/// `{"ok":bool,"error_rate"?:0..1,"p95_latency_ms"?:number>=0}` (any actor may report). Crossing
/// a threshold of the policy's `health` (`max_consecutive_failures`, `max_error_rate`,
/// `max_latency_ratio` times the replaced deployment's baseline p95) is a breach: the environment
/// goes `down`, the breach is audited as `deployment.verification_failed`, and unless
/// `health.auto_rollback` is false the deployment is rolled back at once (actor
/// `deploygov:health`) through `executor`. A failed check below the thresholds makes the
/// environment `degraded`, a passing one `healthy`. A deployment that is not `deployed` is
/// `DG_ERROR_INVALID_TRANSITION`; figures out of range are `DG_ERROR_INVALID_INPUT`.
///
/// `executor` may be NULL (only the active state moves); otherwise it is called with
/// `executor_data` (borrowed), on this thread, before this function returns. `*out` receives a
/// `HealthOutcome` JSON `{"check":HealthCheck,"health":"healthy"|"degraded"|"down",
/// "rollback":Deployment|null,"rollback_error":string|null}` (owned: release with
/// `dg_string_free()`); a rollback that could not be made is `rollback_error`, not a failure.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable); `executor` is NULL or a valid function for
/// `executor_data`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_deployment_health_report(
    engine: *const DgEngine,
    project: *const c_char,
    deployment_id: *const c_char,
    actor_json: *const c_char,
    report_json: *const c_char,
    executor: DgExecutorFn,
    executor_data: *mut c_void,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, id, actor, report, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                text(deployment_id, "deployment_id")?,
                json::<Actor>(actor_json, "actor")?,
                json::<HealthReport>(report_json, "report")?,
                Out::new(out, "out")?,
            )
        };
        let outcome = match executor {
            Some(f) => e.report_health(project, id, &report, &actor, &CExecutor::new(f, executor_data))?,
            None => e.report_health(project, id, &report, &actor, &NoopExecutor)?,
        };
        out.json(&outcome)
    })
}

/// The health checks of a deployment, oldest first: a JSON array of `HealthCheck` `{"id",
/// "deployment_id","environment","at","reported_by","report":HealthReport,
/// "consecutive_failures","baseline_p95_ms","breaches":[string]}` (owned: release with
/// `dg_string_free()`). An unknown deployment is `DG_ERROR_NOT_FOUND`.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_deployment_health_checks(
    engine: *const DgEngine,
    project: *const c_char,
    deployment_id: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, id, out) =
            unsafe { (self::engine(engine)?, text(project, "project")?, text(deployment_id, "deployment_id")?, Out::new(out, "out")?) };
        out.json(&e.health_checks(project, id)?)
    })
}
