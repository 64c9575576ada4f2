//! Host callbacks as C function pointers with a `void *user_data`: the executor, custom
//! validators and the clock (event subscribers are in `events.rs`).

use std::ffi::{CStr, CString, c_char, c_void};

use chrono::{DateTime, Utc};
use deploygov::{Activation, Clock, Executor, Finding, ValidationContext, Validator};

use crate::error::Failure;
use crate::guard::{decode, engine, guard, text};
use crate::handle::DgEngine;

/// Size of the message buffer an executor receives (bytes, including the terminating NUL).
pub const DG_EXECUTOR_MESSAGE_CAPACITY: usize = 1024;

/// Releases host data handed to the library (`user_data` of a validator, subscriber or clock).
pub type DgFreeFn = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// A host clock: the current time in microseconds since the Unix epoch (UTC).
pub type DgClockFn = Option<unsafe extern "C" fn(user_data: *mut c_void) -> i64>;

/// One activation the executor must perform. Every pointer is borrowed and valid only during
/// the callback; copy what you keep.
#[repr(C)]
pub struct DgActivation {
    /// Project id.
    pub project_id: *const c_char,
    /// Target environment name.
    pub environment: *const c_char,
    /// The target environment as JSON (`Environment`), secret variable values readable: the
    /// executor is the only place secrets leave the store.
    pub environment_json: *const c_char,
    /// Deployment being executed.
    pub deployment_id: *const c_char,
    /// Entity type.
    pub entity_type: *const c_char,
    /// Entity id.
    pub entity_id: *const c_char,
    /// Version to make live; NULL means remove the entity (nothing was live before).
    pub version_tag: *const c_char,
    /// What was live before; NULL when nothing was.
    pub previous_version: *const c_char,
    /// True when this call undoes an earlier activation after a later item failed.
    pub revert: bool,
}

/// Makes one version live. Return 0 on success; any other value fails the item (the items
/// already activated are then reverted through further calls with `revert` true). On failure,
/// write a NUL-terminated message into `message` (the library's buffer of `message_capacity`
/// bytes, zeroed before the call, valid only during it; longer text is cut).
///
/// Called synchronously on the thread that called `dg_deployment_execute()`,
/// `dg_deployment_rollback()`, `dg_deployment_resume()` or `dg_deployment_health_report()` (its
/// automatic rollback); it may call back into the engine (e.g. to read the active state).
pub type DgExecutorFn = Option<
    unsafe extern "C" fn(user_data: *mut c_void, activation: *const DgActivation, message: *mut c_char, message_capacity: usize) -> i32,
>;

/// The reply a validator fills (opaque; valid only during the validator call).
pub struct DgValidatorReply {
    findings: Vec<Finding>,
    error: Option<String>,
}

/// A custom validator. `context_json` is `{"phase":"request"|"execute","environment":Environment
/// (secrets redacted),"deployment":Deployment}`, borrowed for the call. Report findings with
/// `dg_validator_reply_findings(reply, ...)`; return 0. A non-zero return (or
/// `dg_validator_reply_error()`, or findings JSON that does not decode) fails the validator: the
/// deployment gets a `validator_failed` error finding, so a broken validator never passes.
///
/// Called with no store lock held, before the command's write transaction, on whichever thread
/// requests or executes a deployment (possibly several at once when the engine is shared: it must
/// be thread-safe). It may call back into the engine, e.g. `dg_active_state()`. If the deployment
/// or its environment changed while validators ran, they run again on the new state, so a
/// validator may be called more than once per command and should have no side effects.
pub type DgValidatorFn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, context_json: *const c_char, reply: *mut DgValidatorReply) -> i32>;

/// The non-NULL function types, for the library's own use.
pub(crate) type ClockFn = unsafe extern "C" fn(*mut c_void) -> i64;
pub(crate) type ExecutorFn = unsafe extern "C" fn(*mut c_void, *const DgActivation, *mut c_char, usize) -> i32;
type ValidatorFn = unsafe extern "C" fn(*mut c_void, *const c_char, *mut DgValidatorReply) -> i32;

/// Host data the library owns: released with the host's free function when dropped.
pub(crate) struct UserData {
    ptr: *mut c_void,
    free: DgFreeFn,
}

// SAFETY: the functions taking ownership of `user_data` document that it and its callbacks are
// used from any thread using the engine, and released from whichever thread drops it.
unsafe impl Send for UserData {}
// SAFETY: as above; the library never touches the data itself, it only passes the pointer on.
unsafe impl Sync for UserData {}

impl UserData {
    pub(crate) fn new(ptr: *mut c_void, free: DgFreeFn) -> Self {
        Self { ptr, free }
    }

    /// The host's pointer, passed back to its callbacks.
    pub(crate) fn ptr(&self) -> *mut c_void {
        self.ptr
    }
}

impl Drop for UserData {
    fn drop(&mut self) {
        if let Some(free) = self.free.take() {
            // SAFETY: the host gave this function to release exactly this pointer, once.
            unsafe { free(self.ptr) }
        }
    }
}

/// The host clock.
pub(crate) struct CClock {
    now: ClockFn,
    data: UserData,
}

impl CClock {
    pub(crate) fn new(now: ClockFn, data: UserData) -> Self {
        Self { now, data }
    }
}

impl Clock for CClock {
    fn now(&self) -> DateTime<Utc> {
        // SAFETY: the host registered `now` for `data.ptr` (contract of `dg_engine_open_with_clock`).
        let micros = unsafe { (self.now)(self.data.ptr) };
        DateTime::from_timestamp_micros(micros).unwrap_or_else(Utc::now)
    }
}

/// A C string for a callback argument; NUL bytes (impossible in checked ids) are refused.
fn c_arg(what: &str, s: &str) -> Result<CString, String> {
    CString::new(s).map_err(|_| format!("{what} contains a nul byte and cannot be passed to the executor"))
}

fn c_opt(what: &str, s: Option<&str>) -> Result<Option<CString>, String> {
    s.map(|s| c_arg(what, s)).transpose()
}

/// The executor of one `dg_deployment_execute` / `_rollback` / `_resume` / `_health_report` call.
pub(crate) struct CExecutor {
    f: ExecutorFn,
    user_data: *mut c_void,
}

// SAFETY: a `CExecutor` lives only during the exported call that created it, and the core calls
// it synchronously on that same thread.
unsafe impl Send for CExecutor {}
// SAFETY: as above: never shared with another thread.
unsafe impl Sync for CExecutor {}

impl CExecutor {
    pub(crate) fn new(f: ExecutorFn, user_data: *mut c_void) -> Self {
        Self { f, user_data }
    }
}

impl Executor for CExecutor {
    fn activate(&self, a: &Activation<'_>) -> Result<(), String> {
        let env = a.environment;
        let env_json = serde_json::to_string(env).map_err(|e| format!("cannot encode the environment: {e}"))?;
        let project_id = c_arg("project id", &env.project_id)?;
        let environment = c_arg("environment name", &env.name)?;
        let environment_json = c_arg("environment", &env_json)?;
        let deployment_id = c_arg("deployment id", a.deployment_id)?;
        let entity_type = c_arg("entity type", a.entity_type)?;
        let entity_id = c_arg("entity id", a.entity_id)?;
        let version_tag = c_opt("version tag", a.version_tag)?;
        let previous_version = c_opt("previous version", a.previous_version)?;
        let activation = DgActivation {
            project_id: project_id.as_ptr(),
            environment: environment.as_ptr(),
            environment_json: environment_json.as_ptr(),
            deployment_id: deployment_id.as_ptr(),
            entity_type: entity_type.as_ptr(),
            entity_id: entity_id.as_ptr(),
            version_tag: version_tag.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            previous_version: previous_version.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            revert: a.revert,
        };
        let mut message = vec![0 as c_char; DG_EXECUTOR_MESSAGE_CAPACITY];
        // SAFETY: `f` is the host's executor for `user_data`; `activation` and the strings it
        // points to outlive the call; `message` is writable for its full length.
        let rc = unsafe { (self.f)(self.user_data, &activation, message.as_mut_ptr(), message.len()) };
        if rc == 0 {
            return Ok(());
        }
        // INVARIANT: the last byte stays NUL whatever the host wrote, so the text is bounded.
        if let Some(last) = message.last_mut() {
            *last = 0;
        }
        let bytes: Vec<u8> = message.iter().take_while(|c| **c != 0).map(|c| *c as u8).collect();
        let text = String::from_utf8_lossy(&bytes).trim().to_owned();
        Err(if text.is_empty() { format!("executor returned status {rc}") } else { text })
    }
}

/// A registered custom validator.
struct CValidator {
    f: ValidatorFn,
    data: UserData,
}

impl Validator for CValidator {
    fn validate(&self, ctx: &ValidationContext<'_>) -> Result<Vec<Finding>, String> {
        // The core's own serde form: `{"phase","environment","deployment"}`, secrets redacted.
        let context = serde_json::to_string(ctx).map_err(|e| format!("cannot encode the validation context: {e}"))?;
        let context = CString::new(context).map_err(|_| "the validation context contains a nul byte".to_owned())?;
        let mut reply = DgValidatorReply { findings: Vec::new(), error: None };
        // SAFETY: `f` is the host's validator for `data.ptr`; `context` and `reply` outlive the
        // call and `reply` is not otherwise borrowed during it.
        let rc = unsafe { (self.f)(self.data.ptr, context.as_ptr(), &mut reply) };
        match (rc, reply.error) {
            (_, Some(message)) => Err(message),
            (0, None) => Ok(reply.findings),
            (rc, None) => Err(format!("validator returned status {rc}")),
        }
    }
}

/// Registers (or replaces) a custom validator under `name`; it runs on every request and again
/// before every execution (also for rollbacks). See `DgValidatorFn`.
///
/// Ownership of `user_data` passes to the library in every case: `free_user_data` (may be NULL)
/// is called once when the validator is unregistered, replaced or its engine dropped, or before
/// this function returns if it fails.
///
/// # Safety
/// `engine` is NULL or a live handle; `name` is NULL or a NUL-terminated string; `validate` and
/// `free_user_data` are NULL or valid functions for `user_data`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_validator_register(
    engine: *const DgEngine,
    name: *const c_char,
    validate: DgValidatorFn,
    user_data: *mut c_void,
    free_user_data: DgFreeFn,
) -> i32 {
    // Created first so every failure below still releases `user_data`.
    let data = UserData::new(user_data, free_user_data);
    guard(move || {
        // SAFETY: the pointer contract above.
        let (e, name) = unsafe { (self::engine(engine)?, text(name, "name")?) };
        let f = validate.ok_or_else(|| Failure::invalid("`validate` must not be null"))?;
        e.register_validator(name, std::sync::Arc::new(CValidator { f, data }))?;
        Ok(())
    })
}

/// Removes the custom validator `name`. `*out_existed` (may be NULL) tells whether it existed;
/// removing an unknown name is not an error.
///
/// # Safety
/// `engine` is NULL or a live handle; `name` is NULL or a NUL-terminated string; `out_existed`
/// is NULL or valid for writing one `bool`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_validator_unregister(engine: *const DgEngine, name: *const c_char, out_existed: *mut bool) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, name, out) = unsafe { (self::engine(engine)?, text(name, "name")?, crate::guard::Out::optional(out_existed)) };
        let existed = e.unregister_validator(name);
        if let Some(out) = out {
            out.write(existed);
        }
        Ok(())
    })
}

/// From inside a validator: adds findings, a JSON array of
/// `{"code":string,"severity":"error"|"warning","message":string,"item":index|null}`. The string
/// is copied. Malformed JSON returns `DG_ERROR_INVALID_INPUT` and also fails the validator.
///
/// # Safety
/// `reply` is NULL or the reply passed to the running validator; `findings_json` is NULL or a
/// NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_validator_reply_findings(reply: *mut DgValidatorReply, findings_json: *const c_char) -> i32 {
    guard(|| {
        // SAFETY: the caller guarantees `reply` is NULL or the live reply of this validator call.
        let Some(reply) = (unsafe { reply.as_mut() }) else {
            return Err(Failure::invalid("`reply` must not be null"));
        };
        // SAFETY: the pointer contract above.
        let parsed = unsafe { text(findings_json, "findings") }.and_then(|s| decode::<Vec<Finding>>(s, "findings"));
        match parsed {
            Ok(findings) => {
                reply.findings.extend(findings);
                Ok(())
            }
            Err(failure) => {
                reply.error.get_or_insert_with(|| format!("the validator replied with bad findings: {}", failure.message));
                Err(failure)
            }
        }
    })
}

/// From inside a validator: fails it with `message` (copied; NULL gives a generic message).
/// The deployment gets a `validator_failed` error finding naming the validator.
///
/// # Safety
/// `reply` is NULL or the reply passed to the running validator; `message` is NULL or a
/// NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_validator_reply_error(reply: *mut DgValidatorReply, message: *const c_char) -> i32 {
    guard(|| {
        // SAFETY: the caller guarantees `reply` is NULL or the live reply of this validator call.
        let Some(reply) = (unsafe { reply.as_mut() }) else {
            return Err(Failure::invalid("`reply` must not be null"));
        };
        let text = if message.is_null() {
            "the validator reported an error".to_owned()
        } else {
            // SAFETY: a non-NULL NUL-terminated string by the contract above.
            unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned()
        };
        reply.error.get_or_insert(text);
        Ok(())
    })
}
