//! The transactional outbox: every mutation writes an event in the same transaction as its audit
//! entry. Hosts publish them with at-least-once delivery by polling [`crate::Engine::events_after`]
//! (de-duplicating on the stable `id`), optionally signed with HMAC-SHA256, or receive them in
//! process through a subscriber after each commit.

use std::panic::{AssertUnwindSafe, catch_unwind};

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::error::{Error, Result};

/// One event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Store-wide position, increasing; the cursor of [`crate::Engine::events_after`].
    pub seq: i64,
    /// Stable unique id (UUIDv7), for de-duplication by consumers.
    pub id: String,
    /// When.
    pub at: DateTime<Utc>,
    /// What happened: `deployment.requested`, `.approved`, `.rejected`, `.deploying`, `.deployed`,
    /// `.failed`, `.rolled_back`, `.cancelled`, `.superseded`, `environment.health_changed`, ...
    pub kind: String,
    /// Project concerned.
    pub project_id: Option<String>,
    /// Kind of object (`deployment`, `environment`, `version`, `project`).
    pub object_type: String,
    /// Object id.
    pub object_id: String,
    /// Who caused it.
    pub actor_id: String,
    /// `{ before, after, reason }` as in the audit entry (secrets redacted).
    pub payload: serde_json::Value,
    /// Hex HMAC-SHA256 of the event (without this field) under the host's key, when one is set.
    pub signature: Option<String>,
}

/// An event as the store appends it: the store gives its `seq`; the payload is its JSON text.
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'a> {
    /// Stable unique id (UUIDv7).
    pub id: &'a str,
    /// When.
    pub at: DateTime<Utc>,
    /// What happened (see [`Event::kind`]).
    pub kind: &'a str,
    /// Project concerned.
    pub project_id: Option<&'a str>,
    /// Kind of object.
    pub object_type: &'a str,
    /// Object id.
    pub object_id: &'a str,
    /// Who caused it.
    pub actor_id: &'a str,
    /// `{ after, before, reason }` as JSON text.
    pub payload: &'a str,
}

/// The event kind for an audit action (`deployment.started` is published as `.deploying`).
pub(crate) fn kind_for(action: &str) -> &str {
    match action {
        "deployment.started" => "deployment.deploying",
        other => other,
    }
}

/// Signs `e` with `key`: HMAC-SHA256 over the canonical JSON of the event without its signature.
pub fn sign(key: &[u8], e: &Event) -> Result<String> {
    let unsigned = Event { signature: None, ..e.clone() };
    let body = serde_json::to_vec(&unsigned).map_err(|err| Error::storage(format!("cannot serialize event: {err}")))?;
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).map_err(|_| Error::invalid_input("invalid signing key"))?;
    mac.update(&body);
    Ok(hex::encode(mac.finalize().into_bytes()))
}

/// Receives events after the transaction that wrote them commits. A subscriber that fails or
/// panics is ignored: it never breaks the transaction, which has already committed.
pub trait Subscriber: Send + Sync {
    /// Called once per event, in order.
    fn on_event(&self, event: &Event);
}

impl<F: Fn(&Event) + Send + Sync> Subscriber for F {
    fn on_event(&self, event: &Event) {
        self(event)
    }
}

/// Delivers one event, swallowing a panic.
pub(crate) fn deliver(s: &dyn Subscriber, e: &Event) {
    let _ignored = catch_unwind(AssertUnwindSafe(|| s.on_event(e)));
}
