//! Parsed records by their stored text. Each command of a lifecycle reads its environment
//! (the policy), its versions and its project again; a record whose stored text is unchanged is
//! cloned from here instead of parsed again (round 10 of `docs/performance.md`).
//!
//! INVARIANT: an entry maps a document's exact stored text to what `from_doc` makes of that
//! text, and parsing is a pure function of the text, so a hit returns exactly what parsing would
//! have. A changed record has another text and misses; nothing is ever invalidated. Only parses
//! fill the memo, never writes (a value written is not always what its text parses back to).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use serde::de::DeserializeOwned;

use super::sqlite_tx::from_doc;
use crate::error::Result;
use crate::model::{Environment, Project, Version};

/// Entries kept per kind of record; the memo is emptied when a new one would exceed this.
const CAPACITY: usize = 64;

/// The parsed records of one store, one map per kind.
#[derive(Default)]
pub(super) struct DocMemo {
    environments: Slots<Environment>,
    versions: Slots<Version>,
    projects: Slots<Project>,
}

/// The parsed records of one kind, by their stored text.
pub(super) struct Slots<T>(Mutex<HashMap<Box<str>, T>>);

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

impl<T: DeserializeOwned + Clone> Slots<T> {
    /// The record `text` holds: a clone of the one parsed before, or parsed now (and kept).
    pub(super) fn parse(&self, text: &str) -> Result<T> {
        if let Some(hit) = self.lock().get(text) {
            return Ok(hit.clone());
        }
        // Parsed outside the lock: the write and read connections share the memo.
        let parsed: T = from_doc(text)?;
        let mut map = self.lock();
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(text.into(), parsed.clone());
        Ok(parsed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, T>> {
        // The map is consistent after any panic (an insert or a clear either happened or not).
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

/// A kind of record the memo holds.
pub(super) trait Memoized: DeserializeOwned + Clone {
    /// Its map in `memo`.
    fn slots(memo: &DocMemo) -> &Slots<Self>;
}

impl Memoized for Environment {
    fn slots(memo: &DocMemo) -> &Slots<Self> {
        &memo.environments
    }
}

impl Memoized for Version {
    fn slots(memo: &DocMemo) -> &Slots<Self> {
        &memo.versions
    }
}

impl Memoized for Project {
    fn slots(memo: &DocMemo) -> &Slots<Self> {
        &memo.projects
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(name: &str) -> String {
        format!(r#"{{"id":"p","tenant":"t","name":"{name}","created_at":"2026-01-01T00:00:00Z"}}"#)
    }

    #[test]
    fn a_hit_is_what_parsing_gives_and_a_changed_text_misses() {
        let memo = DocMemo::default();
        let first = Project::slots(&memo).parse(&project("one")).unwrap();
        assert_eq!(first, from_doc::<Project>(&project("one")).unwrap());
        assert_eq!(Project::slots(&memo).parse(&project("one")).unwrap(), first);
        assert_eq!(Project::slots(&memo).len(), 1);
        let renamed = Project::slots(&memo).parse(&project("two")).unwrap();
        assert_eq!(renamed.name, "two");
        assert_eq!(Project::slots(&memo).len(), 2);
    }

    #[test]
    fn unreadable_text_is_an_error_and_is_not_kept() {
        let memo = DocMemo::default();
        let err = Project::slots(&memo).parse("{not json").unwrap_err();
        assert!(err.to_string().contains("stored record is unreadable"), "{err}");
        assert_eq!(Project::slots(&memo).len(), 0);
    }

    #[test]
    fn the_memo_never_holds_more_than_its_capacity() {
        let memo = DocMemo::default();
        for i in 0..(CAPACITY * 3 + 5) {
            let p = Project::slots(&memo).parse(&project(&format!("n{i}"))).unwrap();
            assert_eq!(p.name, format!("n{i}"));
            assert!(Project::slots(&memo).len() <= CAPACITY);
        }
    }
}
