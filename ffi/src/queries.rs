//! Read-only queries (and the dry run), every one scoped to a project, plus the typed hot path
//! `dg_active_version`, `dg_active_version_tag`.
//!
//! Common contract, stated in every `# Safety` section: `engine` is NULL or a live handle; every
//! `const char *` is NULL or a NUL-terminated string valid for the call; a `const uint32_t *` is
//! NULL or readable; each out-pointer is NULL or valid for one write. Results are owned JSON strings (release with `dg_string_free()`).

use std::ffi::c_char;

use deploygov::{Action, Actor, DeploymentFilter};

use crate::guard::{Out, engine, guard, json, opt_json, opt_text, opt_u32, text, time};
use crate::handle::DgEngine;

/// The dry run: would `actor` succeed with `action` (`"approve"`, `"reject"`, `"execute"`,
/// `"cancel"`, `"rollback"`; anything else is `DG_ERROR_INVALID_INPUT`) on the deployment now?
/// `*out` receives a `DryRun` JSON `{"action","allowed":bool,"blockers":[{"code","message"}],
/// "approvals":ApprovalState,"findings":ValidationReport}`.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_deployment_check(
    engine: *const DgEngine,
    project: *const c_char,
    deployment_id: *const c_char,
    actor_json: *const c_char,
    action: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, id, actor, action, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                text(deployment_id, "deployment_id")?,
                json::<Actor>(actor_json, "actor")?,
                text(action, "action")?,
                Out::new(out, "out")?,
            )
        };
        let action: Action = action.parse()?;
        out.json(&e.check(project, id, &actor, action)?)
    })
}

/// One project as JSON (`Project`).
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_project_get(engine: *const DgEngine, project: *const c_char, out: *mut *mut c_char) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, out) = unsafe { (self::engine(engine)?, text(project, "project")?, Out::new(out, "out")?) };
        out.json(&e.get_project(project)?)
    })
}

/// The environments of a project, in order, as a JSON array of `Environment` (secrets redacted).
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_environment_list(engine: *const DgEngine, project: *const c_char, out: *mut *mut c_char) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, out) = unsafe { (self::engine(engine)?, text(project, "project")?, Out::new(out, "out")?) };
        out.json(&e.list_environments(project)?)
    })
}

/// One environment as JSON (`Environment`, secrets redacted).
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_environment_get(
    engine: *const DgEngine,
    project: *const c_char,
    environment: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, environment, out) =
            unsafe { (self::engine(engine)?, text(project, "project")?, text(environment, "environment")?, Out::new(out, "out")?) };
        out.json(&e.get_environment(project, environment)?)
    })
}

/// Every registered version of one entity, newest first, as a JSON array of `Version`.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_version_list(
    engine: *const DgEngine,
    project: *const c_char,
    entity_type: *const c_char,
    entity_id: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, entity_type, entity_id, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                text(entity_type, "entity_type")?,
                text(entity_id, "entity_id")?,
                Out::new(out, "out")?,
            )
        };
        out.json(&e.list_versions(project, entity_type, entity_id)?)
    })
}

/// One deployment as JSON (`Deployment`).
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_deployment_get(
    engine: *const DgEngine,
    project: *const c_char,
    deployment_id: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, id, out) =
            unsafe { (self::engine(engine)?, text(project, "project")?, text(deployment_id, "deployment_id")?, Out::new(out, "out")?) };
        out.json(&e.get_deployment(project, id)?)
    })
}

/// Deployments matching a `DeploymentFilter` JSON (NULL: no filter) `{"environment"?,"status"?,
/// "entity_type"?,"entity_id"?,"requested_by"?,"requested_after"?,"requested_before"?,"cursor"?,
/// "limit"?:1..500}`, newest first. `*out` receives a page `{"items":[Deployment],
/// "next_cursor":string|null}`.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_deployment_list(
    engine: *const DgEngine,
    project: *const c_char,
    filter_json: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, filter, out) = unsafe {
            (self::engine(engine)?, text(project, "project")?, opt_json::<DeploymentFilter>(filter_json, "filter")?, Out::new(out, "out")?)
        };
        out.json(&e.list_deployments(project, &filter)?)
    })
}

/// The approved deployments of a project that may run now (no `scheduled_for`, or it has come,
/// and not past their `expires_at`), oldest first: a JSON array of `Deployment`. A scheduler
/// polls it and executes each. An unknown project is `DG_ERROR_NOT_FOUND`.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_deployments_due(engine: *const DgEngine, project: *const c_char, out: *mut *mut c_char) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, out) = unsafe { (self::engine(engine)?, text(project, "project")?, Out::new(out, "out")?) };
        out.json(&e.due(project)?)
    })
}

/// Everything live in an environment: a JSON array of `ActiveEntry`
/// `{"environment","entity_type","entity_id","version_tag","deployment_id","since"}`.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_active_state(
    engine: *const DgEngine,
    project: *const c_char,
    environment: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, environment, out) =
            unsafe { (self::engine(engine)?, text(project, "project")?, text(environment, "environment")?, Out::new(out, "out")?) };
        out.json(&e.active_state(project, environment)?)
    })
}

/// What was live in an environment at the instant `at`, answered from the full activation
/// history, and who put it there: a JSON array of `LiveEntry` `{"entity_type","entity_id",
/// "version_tag","since","deployment_id","requested_by","approved_by":[string],
/// "executed_by":string|null}` (`approved_by` is empty for automatic approval).
///
/// `at` is an RFC 3339 timestamp (`"2026-03-01T09:00:00Z"`; fractions and offsets allowed);
/// anything else is `DG_ERROR_INVALID_INPUT`. An unknown project or environment is
/// `DG_ERROR_NOT_FOUND`.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_active_state_at(
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
        out.json(&e.active_state_at(project, environment, at)?)
    })
}

/// The deployments that had something live in an environment at the instant `at` ("what was in
/// production on 1 March"), newest first: a JSON array of `Deployment` (in their current status,
/// e.g. `superseded` or `rolled_back`).
///
/// `at` is an RFC 3339 timestamp, as in `dg_active_state_at()`; anything else is
/// `DG_ERROR_INVALID_INPUT`. An unknown project or environment is `DG_ERROR_NOT_FOUND`.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_deployments_live_at(
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
        out.json(&e.deployments_live_at(project, environment, at)?)
    })
}

/// The hot path: the live version of one entity in an environment, typed, no JSON.
///
/// On `DG_OK`, `*out_found` tells whether something is live; if so `*out_version_tag` (and
/// `*out_deployment_id`, when that pointer is not NULL) receive owned strings (release with
/// `dg_string_free()`), otherwise they receive NULL. An unknown project or environment is simply
/// "nothing live". `out_deployment_id` may be NULL; the other out-pointers may not.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_active_version(
    engine: *const DgEngine,
    project: *const c_char,
    environment: *const c_char,
    entity_type: *const c_char,
    entity_id: *const c_char,
    out_version_tag: *mut *mut c_char,
    out_deployment_id: *mut *mut c_char,
    out_found: *mut bool,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, environment, entity_type, entity_id, out_tag, out_id, out_found) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                text(environment, "environment")?,
                text(entity_type, "entity_type")?,
                text(entity_id, "entity_id")?,
                Out::new(out_version_tag, "out_version_tag")?,
                Out::optional(out_deployment_id),
                Out::new(out_found, "out_found")?,
            )
        };
        let live = e.active_version(project, environment, entity_type, entity_id)?;
        out_found.write(live.is_some());
        match live {
            Some(a) => {
                out_tag.string(&a.version_tag);
                if let Some(out_id) = out_id {
                    out_id.string(&a.deployment_id);
                }
            }
            None => {
                out_tag.write(std::ptr::null_mut());
                if let Some(out_id) = out_id {
                    out_id.write(std::ptr::null_mut());
                }
            }
        }
        Ok(())
    })
}

/// Only the live version tag of one entity in an environment (`active_version_tag`): the
/// lightest hot-path read, from the same always-fresh cache as `dg_active_version()`.
///
/// On `DG_OK`, `*out_version_tag` receives an owned string (release with `dg_string_free()`)
/// when something is live, and NULL when nothing is (an unknown project or environment is
/// "nothing live" too). On an error it is left untouched.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, the out-pointer writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_active_version_tag(
    engine: *const DgEngine,
    project: *const c_char,
    environment: *const c_char,
    entity_type: *const c_char,
    entity_id: *const c_char,
    out_version_tag: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, environment, entity_type, entity_id, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                text(environment, "environment")?,
                text(entity_type, "entity_type")?,
                text(entity_id, "entity_id")?,
                Out::new(out_version_tag, "out_version_tag")?,
            )
        };
        match e.active_version_tag(project, environment, entity_type, entity_id)? {
            Some(tag) => out.string(&tag),
            None => out.write(std::ptr::null_mut()),
        }
        Ok(())
    })
}

/// Changes of the live version of one entity across environments, newest first: a JSON array of
/// `HistoryEntry` `{"seq","environment","entity_type","entity_id","version_tag"|null,
/// "deployment_id","at"}`. `limit` is NULL (the default, 50) or points to 1..500.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_entity_history(
    engine: *const DgEngine,
    project: *const c_char,
    entity_type: *const c_char,
    entity_id: *const c_char,
    limit: *const u32,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, entity_type, entity_id, limit, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                text(entity_type, "entity_type")?,
                text(entity_id, "entity_id")?,
                opt_u32(limit),
                Out::new(out, "out")?,
            )
        };
        out.json(&e.entity_history(project, entity_type, entity_id, limit)?)
    })
}

/// The entities whose live versions differ between two environments: a JSON array of
/// `{"entity_type","entity_id","left":string|null,"right":string|null}`.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_environments_compare(
    engine: *const DgEngine,
    project: *const c_char,
    left: *const c_char,
    right: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, left, right, out) = unsafe {
            (self::engine(engine)?, text(project, "project")?, text(left, "left")?, text(right, "right")?, Out::new(out, "out")?)
        };
        out.json(&e.compare_environments(project, left, right)?)
    })
}

/// Pending deployments `actor` may approve now, newest first: a JSON array of `Deployment`.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_pending_approvals(
    engine: *const DgEngine,
    project: *const c_char,
    actor_json: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, actor, out) =
            unsafe { (self::engine(engine)?, text(project, "project")?, json::<Actor>(actor_json, "actor")?, Out::new(out, "out")?) };
        out.json(&e.pending_approvals(project, &actor)?)
    })
}

/// Audit entries of a project (of one object when `object_id` is not NULL), oldest first, with
/// `seq` greater than `after_seq`: a JSON array of `AuditEntry` `{"seq","at","actor_id","action",
/// "project_id","object_type","object_id","before","after","reason","prev_hash","hash"}`.
/// `limit` is NULL (the default, 50) or points to 1..500.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_audit_log(
    engine: *const DgEngine,
    project: *const c_char,
    object_id: *const c_char,
    after_seq: i64,
    limit: *const u32,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, object_id, limit, out) = unsafe {
            (self::engine(engine)?, text(project, "project")?, opt_text(object_id, "object_id")?, opt_u32(limit), Out::new(out, "out")?)
        };
        out.json(&e.audit_log(project, object_id, after_seq, limit)?)
    })
}

/// Walks the whole audit chain. `*out` receives `{"entries":int,"head_hash":string}`; a broken
/// chain is `DG_ERROR_AUDIT_CORRUPT`, the message naming the first bad entry.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_audit_verify(engine: *const DgEngine, out: *mut *mut c_char) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, out) = unsafe { (self::engine(engine)?, Out::new(out, "out")?) };
        out.json(&e.verify_audit()?)
    })
}
