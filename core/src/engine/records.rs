//! Typed access to the store's generic records: each kind of governed document (freeze window,
//! artifact, deployment error, health check) is a serde type stored under a kind name.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::store::{Record, StoreTx};

/// A record type: its kind name, id and scope.
pub(crate) trait Kind: Serialize + DeserializeOwned {
    /// The kind name in the store.
    const KIND: &'static str;
    /// Its id (UUIDv7).
    fn id(&self) -> &str;
    /// What it is listed by.
    fn scope(&self) -> String;
}

/// Inserts or replaces `value` in `project`.
pub(crate) fn put<T: Kind>(tx: &dyn StoreTx, project: &str, value: &T) -> Result<()> {
    let doc = serde_json::to_string(value).map_err(|e| Error::storage(format!("cannot serialize {}: {e}", T::KIND)))?;
    crate::store::check_stored_text(T::KIND, &doc)?;
    tx.put_record(&Record {
        project_id: project.to_owned(),
        kind: T::KIND.to_owned(),
        id: value.id().to_owned(),
        scope: value.scope(),
        doc,
    })
}

fn parse<T: Kind>(r: &Record) -> Result<T> {
    serde_json::from_str(&r.doc).map_err(|e| Error::storage(format!("stored {} `{}` is unreadable: {e}", T::KIND, r.id)))
}

/// One record, if it exists.
pub(crate) fn get<T: Kind>(tx: &dyn StoreTx, project: &str, id: &str) -> Result<Option<T>> {
    tx.get_record(project, T::KIND, id)?.map(|r| parse(&r)).transpose()
}

/// Calls `f` on every record (of one scope, when given), oldest first, a page at a time, so
/// memory stays flat however many there are. `f` returns `false` to stop.
pub(crate) fn each<T: Kind>(tx: &dyn StoreTx, project: &str, scope: Option<&str>, mut f: impl FnMut(T) -> Result<bool>) -> Result<()> {
    let mut after: Option<String> = None;
    loop {
        let rows = tx.list_records(project, T::KIND, scope, after.as_deref(), 500)?;
        let Some(last) = rows.last() else { return Ok(()) };
        after = Some(last.id.clone());
        for r in &rows {
            if !f(parse(r)?)? {
                return Ok(());
            }
        }
    }
}

/// Deletes a record; whether it existed.
pub(crate) fn delete<T: Kind>(tx: &dyn StoreTx, project: &str, id: &str) -> Result<bool> {
    tx.delete_record(project, T::KIND, id)
}
