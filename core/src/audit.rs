//! The tamper-evident audit trail: entries hash-chained with SHA-256 over a canonical form.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::store::StoreTx;

mod verify;
pub(crate) use verify::verify_store;

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

impl AuditEntry {
    /// The entry as a [`StoredEntry`] with `at`, `before` and `after` given as text (the other
    /// fields borrowed).
    pub fn with_text<'a>(&'a self, at: &'a str, before: &'a str, after: &'a str) -> StoredEntry<'a> {
        StoredEntry {
            seq: self.seq,
            at,
            actor_id: &self.actor_id,
            action: &self.action,
            project_id: self.project_id.as_deref(),
            object_type: &self.object_type,
            object_id: &self.object_id,
            before,
            after,
            reason: self.reason.as_deref(),
            prev_hash: &self.prev_hash,
            hash: &self.hash,
        }
    }
}

/// An entry before it is sequenced and hashed; `before` and `after` are canonical JSON text
/// ([`canonical_json`], or the same text written another way).
#[derive(Debug, Clone)]
pub(crate) struct NewEntry<'a> {
    pub actor_id: &'a str,
    pub action: &'static str,
    pub project_id: Option<&'a str>,
    pub object_type: &'static str,
    pub object_id: &'a str,
    pub before: String,
    pub after: String,
    pub reason: Option<&'a str>,
}

/// A JSON value that serializes its objects with keys in byte order, whatever map type
/// serde_json was built with (its `preserve_order` feature keeps insertion order instead).
struct Sorted<'a>(&'a serde_json::Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            // serde_json's own map (a `BTreeMap` unless its `preserve_order` feature is on)
            // iterates in key order: checking that is cheaper than collecting and sorting.
            serde_json::Value::Object(m) if m.keys().is_sorted() => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, &Sorted(v))?;
                }
                map.end()
            }
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

/// The canonical form hashed for an entry: the compact JSON array
/// `[seq, at, actor_id, action, project_id, object_type, object_id, before, after, reason, prev_hash]`
/// with object keys sorted explicitly and the timestamp in RFC 3339 with microseconds.
fn canonical(e: &AuditEntry) -> Result<Vec<u8>> {
    let at = e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let (before, after) = (canonical_json(&e.before)?, canonical_json(&e.after)?);
    let mut out = Vec::with_capacity(512);
    e.with_text(&at, &before, &after).canonical_into(&mut out);
    Ok(out)
}

/// The canonical text of a `before` or `after` value: compact JSON, object keys in byte order.
pub(crate) fn canonical_json(v: &serde_json::Value) -> Result<String> {
    serde_json::to_string(&Sorted(v)).map_err(|err| Error::storage(format!("cannot serialize audit entry: {err}")))
}

/// Writes a JSON string exactly as serde_json serializes a `String` (compact).
fn json_str(out: &mut Vec<u8>, s: &str) {
    // Writing a `str` into a `Vec` cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// `[seq,at,actor_id,action,project_id,object_type,object_id,` of the canonical form.
#[expect(clippy::too_many_arguments, reason = "the canonical form has this many fields")]
fn canonical_head(
    out: &mut Vec<u8>,
    seq: i64,
    at: &str,
    actor_id: &str,
    action: &str,
    project_id: Option<&str>,
    object_type: &str,
    object_id: &str,
) {
    out.push(b'[');
    out.extend_from_slice(seq.to_string().as_bytes());
    for s in [Some(at), Some(actor_id), Some(action), project_id, Some(object_type), Some(object_id)] {
        out.push(b',');
        match s {
            Some(s) => json_str(out, s),
            None => out.extend_from_slice(b"null"),
        }
    }
    out.push(b',');
}

/// `,reason,prev_hash]` of the canonical form.
fn canonical_tail(out: &mut Vec<u8>, reason: Option<&str>, prev_hash: &str) {
    out.push(b',');
    match reason {
        Some(r) => json_str(out, r),
        None => out.extend_from_slice(b"null"),
    }
    out.push(b',');
    json_str(out, prev_hash);
    out.push(b']');
}

/// The hash of an entry (ignoring its `hash` field).
pub fn entry_hash(e: &AuditEntry) -> Result<String> {
    Ok(hex::encode(Sha256::digest(canonical(e)?)))
}

/// An audit row as the store holds it: every field as its stored text, borrowed from the row.
#[derive(Debug, Clone, Copy)]
pub struct StoredEntry<'a> {
    /// Sequence number.
    pub seq: i64,
    /// The timestamp as stored (RFC 3339).
    pub at: &'a str,
    /// Who.
    pub actor_id: &'a str,
    /// What.
    pub action: &'a str,
    /// Project concerned, if any.
    pub project_id: Option<&'a str>,
    /// Kind of object.
    pub object_type: &'a str,
    /// Object id.
    pub object_id: &'a str,
    /// `before` as stored (JSON text).
    pub before: &'a str,
    /// `after` as stored (JSON text).
    pub after: &'a str,
    /// Reason, if any.
    pub reason: Option<&'a str>,
    /// Hash of the previous entry.
    pub prev_hash: &'a str,
    /// The stored hash.
    pub hash: &'a str,
}

impl StoredEntry<'_> {
    /// Refuses text the stores cannot hold (`store::check_stored_text`): the reason, `before`
    /// and `after`. Both stores check a row with this before they write it.
    pub fn check_text(&self) -> Result<()> {
        crate::store::check_stored_text("an audit reason", self.reason.unwrap_or(""))?;
        crate::store::check_stored_text("a record", self.before)?;
        crate::store::check_stored_text("a record", self.after)
    }

    /// Appends the canonical form (see [`canonical`]) with `before` and `after` as they are:
    /// the canonical form itself when they are canonical JSON text ([`canonical_json`]).
    fn canonical_into(&self, buf: &mut Vec<u8>) {
        canonical_head(buf, self.seq, self.at, self.actor_id, self.action, self.project_id, self.object_type, self.object_id);
        buf.extend_from_slice(self.before.as_bytes());
        buf.push(b',');
        buf.extend_from_slice(self.after.as_bytes());
        canonical_tail(buf, self.reason, self.prev_hash);
    }

    /// The entry parsed as [`crate::store::StoreTx::audit_page`] returns it (an unreadable field
    /// kept as its raw text, a bad timestamp as the epoch: neither can match the stored hash).
    pub fn parsed(&self) -> AuditEntry {
        AuditEntry {
            seq: self.seq,
            at: DateTime::parse_from_rfc3339(self.at).map(|t| t.with_timezone(&Utc)).unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
            actor_id: self.actor_id.to_owned(),
            action: self.action.to_owned(),
            project_id: self.project_id.map(str::to_owned),
            object_type: self.object_type.to_owned(),
            object_id: self.object_id.to_owned(),
            before: serde_json::from_str(self.before).unwrap_or_else(|_| serde_json::Value::String(self.before.to_owned())),
            after: serde_json::from_str(self.after).unwrap_or_else(|_| serde_json::Value::String(self.after.to_owned())),
            reason: self.reason.map(str::to_owned),
            prev_hash: self.prev_hash.to_owned(),
            hash: self.hash.to_owned(),
        }
    }

    /// Whether the stored hash is the hash of the canonical form, computed the fast way when the
    /// stored text already is canonical, else by parsing and re-canonicalizing (`buf` is scratch).
    ///
    /// INVARIANT: the same answer as `entry_hash(&self.parsed()) == hash`. The store writes `at`
    /// in the canonical RFC 3339 text and `before`/`after` as serde_json text of maps with
    /// sorted keys, which is their canonical form, so the canonical form can be spliced from the
    /// stored text. When the spliced bytes hash to the stored hash, they *are* the bytes that
    /// were hashed at append time (SHA-256), and each stored `before`/`after` is one complete
    /// JSON value (checked, so a comma cannot move between them), so re-parsing them and
    /// re-canonicalizing would give those same bytes. Any other outcome takes the slow path,
    /// which is the original definition.
    fn hash_matches(&self, buf: &mut Vec<u8>) -> Result<bool> {
        buf.clear();
        self.canonical_into(buf);
        let mut hex_digest = [0u8; 64];
        if hex::encode_to_slice(Sha256::digest(buf.as_slice()), &mut hex_digest).is_ok()
            && hex_digest.as_slice() == self.hash.as_bytes()
            && one_json_value(self.before)
            && one_json_value(self.after)
        {
            return Ok(true);
        }
        Ok(entry_hash(&self.parsed())? == self.hash)
    }
}

/// Whether `text` is exactly one JSON value (no allocation).
fn one_json_value(text: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

/// Appends `entry` to the chain inside the caller's transaction.
///
/// INVARIANT: `entry.before` and `entry.after` are canonical text ([`canonical_json`]), and that
/// text is both what is hashed (spliced into the canonical form) and what is stored, so the
/// stored hash is [`entry_hash`] of the entry and verification's fast path (the stored text
/// spliced) always applies to entries this writes.
pub(crate) fn append(tx: &dyn StoreTx, at: DateTime<Utc>, entry: &NewEntry<'_>) -> Result<()> {
    let (last_seq, prev_hash) = tx.audit_head()?.unwrap_or((0, GENESIS_HASH.to_owned()));
    let at = at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let mut row = StoredEntry {
        seq: last_seq + 1,
        at: &at,
        actor_id: entry.actor_id,
        action: entry.action,
        project_id: entry.project_id,
        object_type: entry.object_type,
        object_id: entry.object_id,
        before: &entry.before,
        after: &entry.after,
        reason: entry.reason,
        prev_hash: &prev_hash,
        hash: "",
    };
    let mut buf = Vec::with_capacity(256 + entry.before.len() + entry.after.len());
    row.canonical_into(&mut buf);
    let hash = hex::encode(Sha256::digest(&buf));
    row.hash = &hash;
    tx.insert_audit(&row)
}

/// Result of a successful verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditVerification {
    /// Entries checked.
    pub entries: i64,
    /// Hash of the last entry (the chain head).
    pub head_hash: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spliced canonical form of stored text equals the canonical form of the entry, for
    /// values with nested objects (sorted keys), escapes, floats, and absent fields.
    #[test]
    fn spliced_canonical_form_is_the_canonical_form() {
        let before = serde_json::json!({ "z": [1, {"b": null, "a": "x\"y\u{1}"}], "a": 1.5e300, "m": -0.0, "é": "ü" });
        for (project_id, reason, after) in [(Some("p"), Some("why \"not\"\n"), before.clone()), (None, None, serde_json::Value::Null)] {
            let mut e = AuditEntry {
                seq: 42,
                at: DateTime::parse_from_rfc3339("2026-01-15T09:00:00.123456Z").unwrap().with_timezone(&Utc),
                actor_id: "alice".into(),
                action: "deployment.requested".into(),
                project_id: project_id.map(str::to_owned),
                object_type: "deployment".into(),
                object_id: "d-1".into(),
                before: before.clone(),
                after,
                reason: reason.map(str::to_owned),
                prev_hash: GENESIS_HASH.into(),
                hash: String::new(),
            };
            e.hash = entry_hash(&e).unwrap();
            let (at, b, a) = (
                e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                serde_json::to_string(&e.before).unwrap(),
                serde_json::to_string(&e.after).unwrap(),
            );
            let stored = e.with_text(&at, &b, &a);
            let mut buf = Vec::new();
            assert!(stored.hash_matches(&mut buf).unwrap());
            assert_eq!(buf, canonical(&e).unwrap(), "{}", String::from_utf8_lossy(&buf));
            // A comma moved between `before` and `after` keeps the spliced bytes but is caught.
            let joined = format!("{b},{a}");
            let comma = b.find(',').unwrap();
            let moved = StoredEntry { before: &joined[..comma], after: &joined[comma + 1..], ..stored };
            assert_eq!(format!("{},{}", moved.before, moved.after), joined);
            assert!(!moved.hash_matches(&mut buf).unwrap());
        }
    }

    /// The canonical form is the one the chain was always hashed with: `json!` of the fields.
    #[test]
    fn canonical_form_is_unchanged() {
        let e = AuditEntry {
            seq: 7,
            at: DateTime::parse_from_rfc3339("2026-01-15T09:00:00Z").unwrap().with_timezone(&Utc),
            actor_id: "a".into(),
            action: "x.y".into(),
            project_id: None,
            object_type: "t".into(),
            object_id: "o".into(),
            before: serde_json::json!({"b": 1, "a": [true, null]}),
            after: serde_json::Value::Null,
            reason: Some("r".into()),
            prev_hash: GENESIS_HASH.into(),
            hash: String::new(),
        };
        let v = serde_json::json!([
            e.seq,
            "2026-01-15T09:00:00.000000Z",
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
        assert_eq!(canonical(&e).unwrap(), serde_json::to_vec(&Sorted(&v)).unwrap());
    }

    /// `append` stores `before`/`after` as their canonical text and the hash of the spliced
    /// form, which is `entry_hash` of the entry read back, chained to the one before.
    #[test]
    fn append_stores_the_canonical_text_it_hashed() {
        use crate::store::Store as _;
        let store = crate::store::SqliteStore::open(":memory:").unwrap();
        let ids = ["d-1", "d-2"];
        let new = |i: usize| NewEntry {
            actor_id: "alice",
            action: "deployment.requested",
            project_id: Some("p"),
            object_type: "deployment",
            object_id: ids[i - 1],
            // Keys inserted out of order, nested, with escapes and a float.
            before: canonical_json(&serde_json::json!({ "z": {"y": 1, "b": [2.5, "q\"\u{2}"]}, "a": null })).unwrap(),
            after: if i == 1 { "null".into() } else { canonical_json(&serde_json::json!({ "status": "approved", "i": i })).unwrap() },
            reason: (i == 2).then_some("because \"so\""),
        };
        let t0 = DateTime::parse_from_rfc3339("2026-01-15T09:00:00.5Z").unwrap().with_timezone(&Utc);
        for i in 1..=2 {
            store.write(&mut |tx| append(tx, t0, &new(i))).unwrap();
        }
        store
            .read(&mut |tx| {
                let entries = tx.audit_page(0, 10)?;
                assert_eq!(entries.len(), 2);
                assert_eq!(entries[1].prev_hash, entries[0].hash);
                for e in &entries {
                    assert_eq!(entry_hash(e)?, e.hash);
                }
                let mut buf = Vec::new();
                let mut seen = 0;
                tx.audit_scan(0, 10, &mut |stored| {
                    let e = stored.parsed();
                    assert_eq!(stored.before, canonical_json(&e.before)?);
                    assert_eq!(stored.after, canonical_json(&e.after)?);
                    assert!(stored.hash_matches(&mut buf)?);
                    seen += 1;
                    Ok(())
                })?;
                assert_eq!(seen, 2);
                Ok(())
            })
            .unwrap();
    }

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
