//! The tamper-evident audit trail: entries hash-chained with SHA-256 over a canonical form.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::store::StoreTx;

/// The hash the first entry chains to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Store-wide sequence number, gapless from 1.
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor_id: String,
    /// What (`deployment.requested`, `environment.policy_changed`, ...).
    pub action: String,
    /// Project concerned, if any.
    pub project_id: Option<String>,
    /// Kind of object (`deployment`, `environment`, `version`, `project`).
    pub object_type: String,
    /// Object id.
    pub object_id: String,
    /// State before (secrets redacted), `null` if none.
    pub before: serde_json::Value,
    /// State after (secrets redacted), `null` if none.
    pub after: serde_json::Value,
    /// Reason given by the actor, if any.
    pub reason: Option<String>,
    /// Hash of the previous entry.
    pub prev_hash: String,
    /// SHA-256 of this entry's canonical form.
    pub hash: String,
}

/// An entry before it is sequenced and hashed.
#[derive(Debug, Clone)]
pub(crate) struct NewEntry {
    pub actor_id: String,
    pub action: &'static str,
    pub project_id: Option<String>,
    pub object_type: &'static str,
    pub object_id: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
    pub reason: Option<String>,
}

/// A JSON value that serializes its objects with keys in byte order, whatever map type
/// serde_json was built with (its `preserve_order` feature keeps insertion order instead).
struct Sorted<'a>(&'a serde_json::Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            serde_json::Value::Object(m) => {
                let mut entries: Vec<(&String, &serde_json::Value)> = m.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, &Sorted(v))?;
                }
                map.end()
            }
            serde_json::Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for v in items {
                    seq.serialize_element(&Sorted(v))?;
                }
                seq.end()
            }
            other => other.serialize(s),
        }
    }
}

/// The canonical form hashed for an entry: a fixed field order, object keys sorted explicitly,
/// timestamps in RFC 3339 with microseconds.
fn canonical(e: &AuditEntry) -> Result<Vec<u8>> {
    let v = serde_json::json!([
        e.seq,
        e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        e.actor_id,
        e.action,
        e.project_id,
        e.object_type,
        e.object_id,
        e.before,
        e.after,
        e.reason,
        e.prev_hash,
    ]);
    serde_json::to_vec(&Sorted(&v)).map_err(|err| Error::storage(format!("cannot serialize audit entry: {err}")))
}

/// The hash of an entry (ignoring its `hash` field).
pub fn entry_hash(e: &AuditEntry) -> Result<String> {
    Ok(hex::encode(Sha256::digest(canonical(e)?)))
}

/// Appends `entry` to the chain inside the caller's transaction.
pub(crate) fn append(tx: &dyn StoreTx, at: DateTime<Utc>, entry: NewEntry) -> Result<AuditEntry> {
    let (last_seq, prev_hash) = tx.audit_head()?.unwrap_or((0, GENESIS_HASH.to_owned()));
    let mut e = AuditEntry {
        seq: last_seq + 1,
        at,
        actor_id: entry.actor_id,
        action: entry.action.to_owned(),
        project_id: entry.project_id,
        object_type: entry.object_type.to_owned(),
        object_id: entry.object_id,
        before: entry.before,
        after: entry.after,
        reason: entry.reason,
        prev_hash,
        hash: String::new(),
    };
    e.hash = entry_hash(&e)?;
    tx.insert_audit(&e)?;
    Ok(e)
}

/// Result of a successful verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditVerification {
    /// Entries checked.
    pub entries: i64,
    /// Hash of the last entry (the chain head).
    pub head_hash: String,
}

/// Page size used when walking the chain; memory stays flat in history size.
const PAGE: u32 = 1000;

/// Walks the whole chain: gapless sequence, each `prev_hash` equal to the previous `hash`, each
/// `hash` equal to the recomputed one, and the last entry equal to the recorded head.
pub(crate) fn verify(tx: &dyn StoreTx) -> Result<AuditVerification> {
    let mut expected_seq = 1;
    let mut prev = GENESIS_HASH.to_owned();
    loop {
        let page = tx.audit_page(expected_seq - 1, PAGE)?;
        let done = page.len() < PAGE as usize;
        for e in page {
            if e.seq != expected_seq {
                return Err(Error::AuditCorrupt { seq: expected_seq, problem: format!("entry missing (next entry found is {})", e.seq) });
            }
            if e.prev_hash != prev {
                return Err(Error::AuditCorrupt { seq: e.seq, problem: "previous-hash link does not match the entry before it".into() });
            }
            if entry_hash(&e)? != e.hash {
                return Err(Error::AuditCorrupt { seq: e.seq, problem: "content does not match its hash (edited)".into() });
            }
            prev = e.hash;
            expected_seq += 1;
        }
        if done {
            break;
        }
    }
    let entries = expected_seq - 1;
    match tx.audit_head()? {
        None if entries == 0 => {}
        Some((seq, hash)) if seq == entries && hash == prev => {}
        Some((seq, _)) => {
            return Err(Error::AuditCorrupt {
                seq: seq.min(entries + 1),
                problem: format!("chain ends at entry {entries} but the head records entry {seq}"),
            });
        }
        None => return Err(Error::AuditCorrupt { seq: 1, problem: "chain head is missing".into() }),
    }
    Ok(AuditVerification { entries, head_hash: prev })
}

#[cfg(test)]
mod tests {
    #[test]
    fn stored_json_numbers_round_trip() {
        // Metadata and payloads are stored as JSON text; a float written by a binding must read
        // back as the same number (serde_json's `float_roundtrip`).
        let v = serde_json::json!({ "big": 9007199254740991.0_f64, "third": 1.0_f64 / 3.0 });
        let text = serde_json::to_string(&v).unwrap();
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, v);
    }
}
