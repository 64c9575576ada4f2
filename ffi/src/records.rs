//! Governed records beside deployments: environment variables (removal and comparison), build
//! artifacts and their retention, deployment errors, the compliance report (JSON and CSV) and
//! per-environment delivery metrics.
//!
//! Each function borrows the handle, converts its arguments, calls one core method and writes
//! the result. Common contract, stated in every `# Safety` section: `engine` is NULL or a live
//! handle; every `const char *` is NULL or a NUL-terminated string valid for the call; each
//! out-pointer is NULL or valid for one write. NULL where a value is required, invalid UTF-8,
//! malformed JSON and unknown enum strings are `DG_ERROR_INVALID_INPUT`. Results are owned strings
//! (release with `dg_string_free()`).

use std::ffi::c_char;

use deploygov::{Actor, ArtifactSpec, ErrorFilter, ErrorSpec};

use crate::guard::{Out, engine, guard, json, opt_json, opt_text, text, time};
use crate::handle::DgEngine;

/// Removes variables from an environment: `keys_json` is a non-empty JSON array of keys
/// (`["A","B"]`). As with `dg_variables_set()`, approvals given for the old content stop counting
/// and an approved deployment whose rules are no longer met goes back to `pending`. A key the
/// environment does not have is `DG_ERROR_NOT_FOUND` (nothing changes); an empty or repeated key
/// is `DG_ERROR_INVALID_INPUT`. Requires `admin` or `tenant_admin` (`DG_ERROR_FORBIDDEN`). Audited
/// as `environment.variables_changed`. `*out` receives the updated `Environment` (secrets
/// redacted) as JSON (owned: release with `dg_string_free()`).
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_variables_unset(
    engine: *const DgEngine,
    project: *const c_char,
    environment: *const c_char,
    keys_json: *const c_char,
    actor_json: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, environment, keys, actor, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                text(environment, "environment")?,
                json::<Vec<String>>(keys_json, "keys")?,
                json::<Actor>(actor_json, "actor")?,
                Out::new(out, "out")?,
            )
        };
        out.json(&e.unset_variables(project, environment, &keys, &actor)?)
    })
}

/// Compares the variables of two environments: a JSON array of `VariableDiff` `{"key",
/// "left":string|null,"right":string|null,"secret":bool,"equal":bool}`, one per key present in
/// either, in key order (owned: release with `dg_string_free()`). Secret values never leave the
/// engine: a secret side reads `***`, and secrets are compared inside the engine only. An unknown
/// project or environment is `DG_ERROR_NOT_FOUND`.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_variables_compare(
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
        out.json(&e.compare_variables(project, left, right)?)
    })
}

/// Attaches a build artifact to a catalog version from an `ArtifactSpec` JSON `{"entity_type",
/// "entity_id","version_tag","name","uri","digest"?,"size_bytes"?}` (any actor). The version must
/// be in the catalog (`DG_ERROR_NOT_FOUND`). Names are unique per version: the same artifact again
/// returns the existing one, a different one under the same name is `DG_ERROR_CONFLICT`. Audited
/// as `artifact.attached`. `*out` receives the `Artifact` `{"id","project_id","entity_type",
/// "entity_id","version_tag","name","uri","digest","size_bytes","created_at","created_by"}` as
/// JSON (owned: release with `dg_string_free()`).
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_artifact_attach(
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
                json::<ArtifactSpec>(spec_json, "spec")?,
                json::<Actor>(actor_json, "actor")?,
                Out::new(out, "out")?,
            )
        };
        out.json(&e.attach_artifact(project, &spec, &actor)?)
    })
}

/// The artifacts of one version (`version_tag` not NULL; `DG_ERROR_NOT_FOUND` when it is not in
/// the catalog), or, with `version_tag` NULL, of every catalog version of the entity; oldest
/// first. `*out` receives a JSON array of `Artifact` (owned: release with `dg_string_free()`).
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_artifact_list(
    engine: *const DgEngine,
    project: *const c_char,
    entity_type: *const c_char,
    entity_id: *const c_char,
    version_tag: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, entity_type, entity_id, version_tag, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                text(entity_type, "entity_type")?,
                text(entity_id, "entity_id")?,
                opt_text(version_tag, "version_tag")?,
                Out::new(out, "out")?,
            )
        };
        out.json(&e.list_artifacts(project, entity_type, entity_id, version_tag)?)
    })
}

/// The artifacts that may be pruned now, oldest first: those whose version went live somewhere,
/// is live nowhere, is not an environment's last known good version, and fell out of the last
/// `artifact_retention` deployments of every environment it went live in (environments without
/// `artifact_retention` keep everything; versions never deployed are kept). `*out` receives a
/// JSON array of `Artifact` (owned: release with `dg_string_free()`).
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_artifacts_prunable(engine: *const DgEngine, project: *const c_char, out: *mut *mut c_char) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, out) = unsafe { (self::engine(engine)?, text(project, "project")?, Out::new(out, "out")?) };
        out.json(&e.prunable_artifacts(project)?)
    })
}

/// Deletes artifact records (the host deletes the files): `ids_json` is a non-empty JSON array of
/// artifact ids. All or nothing: an unknown id is `DG_ERROR_NOT_FOUND`, an id not prunable now
/// (the rule of `dg_artifacts_prunable()`) is `DG_ERROR_POLICY_VIOLATION` naming it and why, a
/// repeated id or a blank `reason` is `DG_ERROR_INVALID_INPUT`. Requires `admin` or
/// `tenant_admin` (`DG_ERROR_FORBIDDEN`). Each is audited as `artifact.pruned` with the whole
/// artifact. `*out` receives the pruned `Artifact`s, in the order given, as a JSON array (owned:
/// release with `dg_string_free()`).
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_artifacts_prune(
    engine: *const DgEngine,
    project: *const c_char,
    ids_json: *const c_char,
    actor_json: *const c_char,
    reason: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, ids, actor, reason, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                json::<Vec<String>>(ids_json, "ids")?,
                json::<Actor>(actor_json, "actor")?,
                text(reason, "reason")?,
                Out::new(out, "out")?,
            )
        };
        out.json(&e.prune_artifacts(project, &ids, &actor, reason)?)
    })
}

/// Records an error that happened in a deployment (any status; any actor, pipelines do) from an
/// `ErrorSpec` JSON `{"deployment_id","category":"configuration"|"dependency"|"resource"|
/// "network"|"security"|"performance","severity":"critical"|"high"|"medium"|"low","code","stage",
/// "message","user_impact"?,"business_impact"?}` (an unknown category or severity is
/// `DG_ERROR_INVALID_INPUT`; an unknown deployment `DG_ERROR_NOT_FOUND`). Audited as
/// `deployment_error.recorded`. `*out` receives the `DeploymentErrorRecord` (the spec's fields plus
/// `{"id","project_id","environment","recorded_at","recorded_by","resolution":null}`) as JSON
/// (owned: release with `dg_string_free()`).
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_deployment_error_record(
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
                json::<ErrorSpec>(spec_json, "spec")?,
                json::<Actor>(actor_json, "actor")?,
                Out::new(out, "out")?,
            )
        };
        out.json(&e.record_deployment_error(project, &spec, &actor)?)
    })
}

/// Resolves a recorded deployment error with `notes` (required, non-blank; any actor). An unknown
/// id is `DG_ERROR_NOT_FOUND`; an error already resolved is `DG_ERROR_CONFLICT` (a resolution is
/// never overwritten). Audited as `deployment_error.resolved`. `*out` receives the
/// `DeploymentErrorRecord` with `resolution` `{"resolved_at","resolved_by","notes"}` as JSON
/// (owned: release with `dg_string_free()`).
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_deployment_error_resolve(
    engine: *const DgEngine,
    project: *const c_char,
    error_id: *const c_char,
    actor_json: *const c_char,
    notes: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, id, actor, notes, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                text(error_id, "error_id")?,
                json::<Actor>(actor_json, "actor")?,
                text(notes, "notes")?,
                Out::new(out, "out")?,
            )
        };
        out.json(&e.resolve_deployment_error(project, id, &actor, notes)?)
    })
}

/// Recorded deployment errors matching an `ErrorFilter` JSON (NULL: no filter)
/// `{"environment"?,"severity"?,"unresolved_only"?:bool}`, oldest first. `*out` receives a JSON
/// array of `DeploymentErrorRecord` (owned: release with `dg_string_free()`). An unknown
/// environment is `DG_ERROR_NOT_FOUND`.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_deployment_error_list(
    engine: *const DgEngine,
    project: *const c_char,
    filter_json: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, filter, out) = unsafe {
            (self::engine(engine)?, text(project, "project")?, opt_json::<ErrorFilter>(filter_json, "filter")?, Out::new(out, "out")?)
        };
        out.json(&e.list_deployment_errors(project, &filter)?)
    })
}

/// The compliance report: every deployment requested in `[from, to)` (RFC 3339 timestamps; `from`
/// not before `to` is `DG_ERROR_INVALID_INPUT`) to `environment`, or, with `environment` NULL, to
/// every environment whose policy has approval rules. `*out` receives the `ComplianceReport`
/// `{"project_id","environments":[string],"from","to","generated_at","entries":[ComplianceEntry]}`
/// as JSON (owned: release with `dg_string_free()`); `dg_compliance_report_csv()` gives the same
/// report as CSV.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_compliance_report(
    engine: *const DgEngine,
    project: *const c_char,
    from: *const c_char,
    to: *const c_char,
    environment: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, from, to, environment, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                time(from, "from")?,
                time(to, "to")?,
                opt_text(environment, "environment")?,
                Out::new(out, "out")?,
            )
        };
        out.json(&e.compliance_report(project, from, to, environment)?)
    })
}

/// The report of `dg_compliance_report()` (same arguments and errors) as RFC 4180 CSV: a header
/// row of 21 columns (`deployment_id,environment,name,kind,status,items,...,failures`), then one
/// row per deployment, CRLF line ends; lists inside a field joined with `; `. `*out` receives the
/// CSV text (owned: release with `dg_string_free()`).
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_compliance_report_csv(
    engine: *const DgEngine,
    project: *const c_char,
    from: *const c_char,
    to: *const c_char,
    environment: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, from, to, environment, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                time(from, "from")?,
                time(to, "to")?,
                opt_text(environment, "environment")?,
                Out::new(out, "out")?,
            )
        };
        out.string(&e.compliance_report(project, from, to, environment)?.to_csv());
        Ok(())
    })
}

/// Delivery figures of one environment for the `deploy` and `promotion` deployments requested in
/// `[from, to)` (RFC 3339 timestamps; `from` not before `to` is `DG_ERROR_INVALID_INPUT`). `*out`
/// receives the `EnvironmentMetrics` `{"environment","from","to","deployments_finished",
/// "succeeded","failed","rolled_back","success_rate","mean_time_to_deploy_seconds",
/// "mean_time_to_roll_back_seconds","change_failure_rate"}` as JSON, rates and means null when
/// there is nothing to divide by (owned: release with `dg_string_free()`). An unknown project or
/// environment is `DG_ERROR_NOT_FOUND`.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_environment_metrics(
    engine: *const DgEngine,
    project: *const c_char,
    environment: *const c_char,
    from: *const c_char,
    to: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, environment, from, to, out) = unsafe {
            (
                self::engine(engine)?,
                text(project, "project")?,
                text(environment, "environment")?,
                time(from, "from")?,
                time(to, "to")?,
                Out::new(out, "out")?,
            )
        };
        out.json(&e.environment_metrics(project, environment, from, to)?)
    })
}
