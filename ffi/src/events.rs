//! The transactional outbox: the event cursor (`dg_events_after`), the HMAC signing key and
//! in-process subscribers (a C function pointer with a `void *user_data`, owned like a
//! validator's).

use std::ffi::{CString, c_char, c_void};
use std::sync::Arc;

use deploygov::{Event, Subscriber};

use crate::callbacks::{DgFreeFn, UserData};
use crate::error::Failure;
use crate::guard::{Out, engine, guard, opt_text, opt_u32, text};
use crate::handle::DgEngine;

/// Receives one event after the transaction that wrote it committed. `event_json` is the `Event`
/// `{"seq","id","at","kind","project_id","object_type","object_id","actor_id","payload",
/// "signature"}` (signed when a key is set), borrowed for the call.
///
/// Called synchronously, once per event and in order, on the thread of the command that wrote
/// the events, after its commit and before that command returns; possibly on several threads at
/// once when the engine is shared, so it must be thread-safe. It cannot fail or undo the command,
/// which has already committed: a subscriber can never break a command. Keep it short (hand the
/// event to a queue); it may call back into the engine.
pub type DgSubscriberFn = Option<unsafe extern "C" fn(user_data: *mut c_void, event_json: *const c_char)>;

/// The non-NULL function type, for the library's own use.
type SubscriberFn = unsafe extern "C" fn(*mut c_void, *const c_char);

/// A registered subscriber.
struct CSubscriber {
    f: SubscriberFn,
    data: UserData,
}

impl Subscriber for CSubscriber {
    fn on_event(&self, event: &Event) {
        // INVARIANT: serde_json escapes control characters, so the text has no NUL byte; an
        // event that cannot be encoded is not delivered (the command has committed either way).
        let Some(json) = serde_json::to_string(event).ok().and_then(|s| CString::new(s).ok()) else {
            return;
        };
        // SAFETY: `f` is the host's subscriber for `data`'s pointer (contract of
        // `dg_subscriber_register`); `json` outlives the call.
        unsafe { (self.f)(self.data.ptr(), json.as_ptr()) }
    }
}

/// Events after position `after_seq`, oldest first: a JSON array of `Event` `{"seq","id","at",
/// "kind","project_id","object_type","object_id","actor_id","payload","signature"}`, one per audit
/// entry (`kind` is the audit action, with `deployment.started` published as
/// `deployment.deploying`; `payload` is `{"before","after","reason"}`, secrets redacted;
/// `signature` is the hex HMAC-SHA256 under the key of `dg_event_signing_key_set()`, or null).
///
/// `project` NULL means every project (an unknown project has no events). `after_seq` is the
/// cursor: 0 for the start, then the last `seq` published; a negative value is
/// `DG_ERROR_INVALID_INPUT`. `limit` is NULL (the default, 100) or points to 1..1000. Delivery is
/// at least once: de-duplicate on `id`.
///
/// # Safety
/// `engine` is NULL or a live handle; every other pointer is NULL or valid for the call (strings
/// NUL-terminated, `limit` readable, out-pointers writable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_events_after(
    engine: *const DgEngine,
    project: *const c_char,
    after_seq: i64,
    limit: *const u32,
    out: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, project, limit, out) =
            unsafe { (self::engine(engine)?, opt_text(project, "project")?, opt_u32(limit), Out::new(out, "out")?) };
        out.json(&e.events_after(project, after_seq, limit)?)
    })
}

/// Sets the key events are signed with, or clears it. The `signature` of an event is the hex
/// HMAC-SHA256 of its compact JSON with `signature` null (the core's `events::sign`). The `len` bytes at `key` are copied (any bytes, NUL included).
/// `key` NULL with `len` 0 clears the key: events are then unsigned. `len` 0 with a non-NULL `key`
/// (an empty key) and a NULL `key` with a non-zero `len` are `DG_ERROR_INVALID_INPUT`.
///
/// The key applies to every later `dg_events_after()` result and subscriber delivery.
///
/// # Safety
/// `engine` is NULL or a live handle; `key` is NULL or readable for `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_event_signing_key_set(engine: *const DgEngine, key: *const u8, len: usize) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let e = unsafe { self::engine(engine)? };
        let key = match (key.is_null(), len) {
            (true, 0) => None,
            (true, n) => return Err(Failure::invalid(format!("`key` is null but `len` is `{n}`"))),
            (false, n) if isize::try_from(n).is_err() => return Err(Failure::invalid(format!("`len` `{n}` is too large"))),
            // SAFETY: `key` is not NULL and readable for `len` bytes (at most `isize::MAX`) by the
            // contract above; `u8` needs no alignment; the slice is only read during this call.
            (false, n) => Some(unsafe { std::slice::from_raw_parts(key, n) }),
        };
        e.set_event_signing_key(key)?;
        Ok(())
    })
}

/// Registers (or replaces) an in-process subscriber under `name`: from now on it receives every
/// event after the transaction that wrote it commits. See `DgSubscriberFn`.
///
/// Ownership of `user_data` passes to the library in every case: `free_user_data` (may be NULL)
/// is called once when the subscriber is unregistered, replaced or its engine dropped (after any
/// delivery to it running on another thread at that moment), or before this function returns if
/// it fails.
///
/// # Safety
/// `engine` is NULL or a live handle; `name` is NULL or a NUL-terminated string; `on_event` and
/// `free_user_data` are NULL or valid functions for `user_data`, callable from any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_subscriber_register(
    engine: *const DgEngine,
    name: *const c_char,
    on_event: DgSubscriberFn,
    user_data: *mut c_void,
    free_user_data: DgFreeFn,
) -> i32 {
    // Created first so every failure below still releases `user_data`.
    let data = UserData::new(user_data, free_user_data);
    guard(move || {
        // SAFETY: the pointer contract above.
        let (e, name) = unsafe { (self::engine(engine)?, text(name, "name")?) };
        let f = on_event.ok_or_else(|| Failure::invalid("`on_event` must not be null"))?;
        e.subscribe(name, Arc::new(CSubscriber { f, data }))?;
        Ok(())
    })
}

/// Removes the subscriber `name`: it receives no event from commands that start afterwards.
/// `*out_existed` (may be NULL) tells whether it existed; removing an unknown name is not an
/// error.
///
/// # Safety
/// `engine` is NULL or a live handle; `name` is NULL or a NUL-terminated string; `out_existed`
/// is NULL or valid for writing one `bool`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_subscriber_unregister(engine: *const DgEngine, name: *const c_char, out_existed: *mut bool) -> i32 {
    guard(|| {
        // SAFETY: the pointer contract above.
        let (e, name, out) = unsafe { (self::engine(engine)?, text(name, "name")?, Out::optional(out_existed)) };
        let existed = e.unsubscribe(name);
        if let Some(out) = out {
            out.write(existed);
        }
        Ok(())
    })
}
