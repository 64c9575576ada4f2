//! Point-in-time state from snapshots (migrations 9 and 10): what was live in an environment at an
//! instant, read in key order whatever the history's size.
//!
//! Every [`MIN_CHANGES`] or more changes of an environment (half as many as its last snapshot had
//! live entities: an instant is then about that many changes past a snapshot at most, plus the
//! sampling's delay, and the snapshots hold at most two rows per change of the history), the commit that finds it due copies the
//! environment's state into `snapshot_entries` ([`after_activation`]). An instant is then answered
//! from the last snapshot at or before it plus the changes between the two (one range of
//! `history_by_env_time`), merged in key order ([`state_at`]). Instants before the first
//! snapshot, or too far past the last one (a long run of changes made by writers that do not write
//! snapshots), are answered by one seek per entity ([`ACTIVE_AT`]), which is also the reference
//! the snapshots are tested against.
//!
//! The snapshots are derived data, kept right by triggers: a change stamped at or before a
//! snapshot's instant (migration 9), or an edit of the history (migration 10), drops the
//! snapshots it would make wrong in the same transaction.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::sqlite_tx::history_row;
use crate::error::Result;
use crate::model::HistoryEntry;

/// The fewest changes of an environment between two of its snapshots.
pub(super) const MIN_CHANGES: i64 = 1_000;

/// How many changes past its snapshot an instant may be and still be answered from it, per change
/// the snapshot was due after: beyond that the per-entity seeks are cheaper.
const REPLAY_FACTOR: i64 = 4;

/// A change as the point-in-time state returns it: the history row and its people (stored JSON).
pub(super) type Change = (HistoryEntry, Option<String>);

/// The point-in-time state of one environment by one seek per entity: its entities from
/// `history_entities` in key order, for each its last change at or before `?3` on
/// `history_by_env_at`, then that row (see `SqliteTx::active_at`).
pub(super) const ACTIVE_AT: &str = "SELECT h.seq, h.environment, h.entity_type, h.entity_id, h.version_tag, h.deployment_id, h.at, h.people
             FROM history_entities AS e CROSS JOIN activation_history AS h
             WHERE e.project_id = ?1 AND e.environment = ?2
               AND h.seq = (SELECT l.seq FROM activation_history AS l
                            WHERE l.project_id = e.project_id AND l.environment = e.environment
                              AND l.entity_type = e.entity_type AND l.entity_id = e.entity_id AND l.at <= ?3
                            ORDER BY l.at DESC, l.seq DESC LIMIT 1)
               AND h.version_tag IS NOT NULL
             ORDER BY e.entity_type, e.entity_id";

/// The last snapshot of an environment at or before an instant: its instant and size.
pub(super) const SNAPSHOT_AT: &str = "SELECT at, entries FROM state_snapshots
             WHERE project_id = ?1 AND environment = ?2 AND at <= ?3 ORDER BY at DESC LIMIT 1";

/// A snapshot's entries, in key order.
pub(super) const ENTRIES: &str = "SELECT seq, environment, entity_type, entity_id, version_tag, deployment_id, at, people
             FROM snapshot_entries WHERE project_id = ?1 AND environment = ?2 AND snapshot_at = ?3
             ORDER BY entity_type, entity_id";

/// An environment's changes after one instant and at or before another, in the order they apply.
pub(super) const CHANGES_BETWEEN: &str = "SELECT seq, environment, entity_type, entity_id, version_tag, deployment_id, at, people
             FROM activation_history WHERE project_id = ?1 AND environment = ?2 AND at > ?3 AND at <= ?4
             ORDER BY at, seq";

/// How many of those there are, counting at most `?5`.
pub(super) const COUNT_BETWEEN: &str = "SELECT COUNT(*) FROM (SELECT 1 FROM activation_history
             WHERE project_id = ?1 AND environment = ?2 AND at > ?3 AND at <= ?4 LIMIT ?5)";

fn changes(conn: &Connection, sql: &str, p: &[&dyn rusqlite::ToSql]) -> Result<Vec<Change>> {
    let mut st = conn.prepare_cached(sql)?;
    let rows = st.query_map(p, |r| Ok((history_row(r)?, r.get::<_, Option<String>>(7)?)))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

fn snapshot_at(conn: &Connection, project: &str, environment: &str, at: i64) -> Result<Option<(i64, i64)>> {
    let mut st = conn.prepare_cached(SNAPSHOT_AT)?;
    Ok(st.query_row(params![project, environment, at], |r| Ok((r.get(0)?, r.get(1)?))).optional()?)
}

fn count_between(conn: &Connection, project: &str, environment: &str, after: i64, upto: i64, cap: i64) -> Result<i64> {
    let mut st = conn.prepare_cached(COUNT_BETWEEN)?;
    Ok(st.query_row(params![project, environment, after, upto, cap], |r| r.get(0))?)
}

/// The changes a snapshot of `entries` live entities is followed by the next one after.
pub(super) fn due_after(entries: i64) -> i64 {
    (entries / 2).max(MIN_CHANGES)
}

/// What was live in an environment at `at` (microseconds): the last change of each entity at or
/// before it (by `(at, seq)`), live ones only, in key order.
pub(super) fn state_at(conn: &Connection, project: &str, environment: &str, at: i64) -> Result<Vec<Change>> {
    if let Some((snapshot, entries)) = snapshot_at(conn, project, environment, at)? {
        let cap = due_after(entries).saturating_mul(REPLAY_FACTOR);
        if count_between(conn, project, environment, snapshot, at, cap.saturating_add(1))? <= cap {
            let since = changes(conn, CHANGES_BETWEEN, &[&project, &environment, &snapshot, &at])?;
            return merged(conn, project, environment, snapshot, entries, since);
        }
    }
    changes(conn, ACTIVE_AT, &[&project, &environment, &at])
}

/// The entries of the snapshot at `snapshot` (live, read in key order) updated by the changes
/// after it (`since`, in the order they apply): each entity's last change wins, and a removal
/// takes it out. An entry that a change replaces is skipped before its columns are read.
///
/// INVARIANT: every change in `since` is later by `(at, seq)` than every entry of the snapshot
/// (the entries are at or before its instant, the changes after it), so the last change of an
/// entity in `since` replaces its entry.
fn merged(conn: &Connection, project: &str, environment: &str, snapshot: i64, entries: i64, since: Vec<Change>) -> Result<Vec<Change>> {
    // Each entity's last change after the snapshot, by position in `since`, in key order.
    let mut last: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (k, c) in since.iter().enumerate() {
        last.insert(key(c), k);
    }
    let order: Vec<usize> = last.into_values().collect();
    let mut since: Vec<Option<Change>> = since.into_iter().map(Some).collect();
    let mut newer = order.into_iter().filter_map(|k| since.get_mut(k).and_then(Option::take)).peekable();
    let mut out = Vec::with_capacity(usize::try_from(entries).unwrap_or(0));
    let mut st = conn.prepare_cached(ENTRIES)?;
    let mut rows = st.query(params![project, environment, snapshot])?;
    while let Some(r) = rows.next()? {
        let entry = (text(r, 2)?, text(r, 3)?);
        while let Some(c) = newer.next_if(|c| key(c) < entry) {
            out.push(c);
        }
        match newer.next_if(|c| key(c) == entry) {
            Some(c) => out.push(c),
            None => out.push((history_row(r)?, r.get(7)?)),
        }
    }
    out.extend(newer);
    out.retain(|c| c.0.version_tag.is_some());
    Ok(out)
}

/// A text column of a row, borrowed.
fn text<'r>(r: &'r rusqlite::Row<'_>, column: usize) -> Result<&'r str> {
    r.get_ref(column)?.as_str().map_err(|e| crate::error::Error::storage(format!("unreadable snapshot entry: {e}")))
}

/// An entity's key, in the order of the result (SQLite's `BINARY` collation is byte order, as
/// `str`'s).
fn key(c: &Change) -> (&str, &str) {
    (c.0.entity_type.as_str(), c.0.entity_id.as_str())
}

/// Called by `apply_activation` after it appended the change `seq` to an environment's history:
/// one change in [`CHECK_ONE_IN`] looks whether the environment is due a snapshot (as many
/// changes since its last one as [`due_after`] says) and, if so, writes one at the instant just
/// before its latest change.
///
/// INVARIANT: just before, not at: the other items of the deployment being finished are appended
/// after this one at the same instant, and a change at a snapshot's instant drops it (the
/// trigger). Changes at the latest instant are read after the snapshot instead.
///
/// INVARIANT: a snapshot is derived data, and the change that asked for it has happened (the
/// executor's work is done): failing to write it must not fail that change. It is written in a
/// savepoint, rolled back on any error; a later change tries again.
pub(super) fn after_activation(conn: &Connection, project: &str, environment: &str, seq: i64) -> Result<()> {
    if !sampled(seq) {
        return Ok(());
    }
    let Some(at) = due_at(conn, project, environment, seq)? else {
        return Ok(());
    };
    conn.execute_batch("SAVEPOINT dg_snapshot")?;
    if write_snapshot(conn, project, environment, at).is_err() {
        conn.execute_batch("ROLLBACK TO dg_snapshot")?;
    }
    conn.execute_batch("RELEASE dg_snapshot")?;
    Ok(())
}

/// The instant of the snapshot an environment is due after change `seq`, if it is due.
fn due_at(conn: &Connection, project: &str, environment: &str, seq: i64) -> Result<Option<i64>> {
    let last: Option<(i64, i64, Option<i64>)> = conn
        .prepare_cached(
            "SELECT at, entries, upto_seq FROM state_snapshots WHERE project_id = ?1 AND environment = ?2 ORDER BY at DESC LIMIT 1",
        )?
        .query_row(params![project, environment], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let (after, due) = match last {
        // Fewer changes store-wide since the snapshot than it is due after: not due, uncounted.
        Some((_, entries, Some(upto))) if seq.saturating_sub(upto) < due_after(entries) => return Ok(None),
        Some((at, entries, _)) => (at, due_after(entries)),
        None => (i64::MIN, MIN_CHANGES),
    };
    if count_between(conn, project, environment, after, i64::MAX, due)? < due {
        return Ok(None);
    }
    let latest: Option<i64> = conn
        .prepare_cached("SELECT at FROM activation_history WHERE project_id = ?1 AND environment = ?2 ORDER BY at DESC, seq DESC LIMIT 1")?
        .query_row(params![project, environment], |r| r.get(0))
        .optional()?;
    Ok(latest.map(|at| at.saturating_sub(1)))
}

/// One activation in this many (a power of two) looks whether a snapshot is due: the look counts
/// up to a snapshot's worth of index entries, so it is not done on every change.
pub(super) const CHECK_ONE_IN: u64 = 256;
const _: () = assert!(CHECK_ONE_IN.is_power_of_two(), "`sampled` takes the top bits of a hash");

/// Whether change `seq` is one that looks.
///
/// INVARIANT: a hash of the store-wide `seq`, not `seq % CHECK_ONE_IN`: environments whose
/// changes alternate (every other `seq`, every third) are each sampled one time in
/// [`CHECK_ONE_IN`] (Fibonacci hashing spreads every arithmetic progression evenly over the top
/// bits), where a plain modulus could never sample one of them.
fn sampled(seq: i64) -> bool {
    seq.cast_unsigned().wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (u64::BITS - CHECK_ONE_IN.trailing_zeros()) == 0
}

/// Writes the snapshot of an environment at `at` (unless it has one there), in the caller's
/// transaction; returns its number of entries.
pub(super) fn write_snapshot(conn: &Connection, project: &str, environment: &str, at: i64) -> Result<i64> {
    if let Some((existing, entries)) = snapshot_at(conn, project, environment, at)?
        && existing == at
    {
        return Ok(entries);
    }
    let state = state_at(conn, project, environment, at)?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO snapshot_entries (project_id, environment, snapshot_at, entity_type, entity_id, seq, version_tag, deployment_id, at, people)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for (h, people) in &state {
        insert.execute(params![
            project,
            environment,
            at,
            h.entity_type,
            h.entity_id,
            h.seq,
            h.version_tag,
            h.deployment_id,
            h.at.timestamp_micros(),
            people
        ])?;
    }
    let entries = i64::try_from(state.len()).unwrap_or(i64::MAX);
    conn.prepare_cached(
        "INSERT INTO state_snapshots (project_id, environment, at, entries, upto_seq)
         VALUES (?1, ?2, ?3, ?4, (SELECT MAX(seq) FROM activation_history))",
    )?
    .execute(params![project, environment, at, entries])?;
    Ok(entries)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests fail loudly")]
mod tests {
    use super::*;
    use crate::store::SqliteStore;

    /// A migrated file database and a plain connection to it.
    fn db() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snapshots.db");
        drop(SqliteStore::open(path.to_str().unwrap()).unwrap());
        let conn = Connection::open(&path).unwrap();
        (dir, conn)
    }

    /// Appends a change (as `apply_activation` does, without the sampled look); returns its `seq`.
    fn change(conn: &Connection, env: &str, entity: u32, tag: Option<u32>, at: i64) -> i64 {
        change_in(conn, ("p", env), ("model", &format!("e{entity:02}")), tag, at)
    }

    /// Appends a change to any project's environment, for any entity.
    fn change_in(conn: &Connection, (project, env): (&str, &str), (kind, id): (&str, &str), tag: Option<u32>, at: i64) -> i64 {
        conn.execute(
            "INSERT INTO activation_history (project_id, environment, entity_type, entity_id, version_tag, deployment_id, at, people)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![project, env, kind, id, tag.map(|t| format!("v{t}")), format!("d{at}"), at, format!(r#"{{"at":{at}}}"#)],
        )
        .unwrap();
        conn.last_insert_rowid()
    }

    fn snapshots(conn: &Connection, env: &str) -> Vec<(i64, i64)> {
        snapshots_in(conn, "p", env)
    }

    fn snapshots_in(conn: &Connection, project: &str, env: &str) -> Vec<(i64, i64)> {
        let mut st =
            conn.prepare("SELECT at, entries FROM state_snapshots WHERE project_id = ?1 AND environment = ?2 ORDER BY at").unwrap();
        st.query_map([project, env], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().collect::<rusqlite::Result<_>>().unwrap()
    }

    /// The reference: one seek per entity, no snapshot.
    fn by_seeks(conn: &Connection, env: &str, at: i64) -> Vec<Change> {
        by_seeks_in(conn, "p", env, at)
    }

    fn by_seeks_in(conn: &Connection, project: &str, env: &str, at: i64) -> Vec<Change> {
        changes(conn, ACTIVE_AT, &[&project, &env, &at]).unwrap()
    }

    /// A small deterministic generator (no dependency, the same history on every run).
    struct Lcg(u64);
    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % n
        }
    }

    #[test]
    fn every_instant_is_answered_as_by_the_seeks() {
        // Two projects with two environments each; entity types and ids whose byte order is
        // not their alphabetical one (upper case, accents).
        const SCOPES: [(&str, &str); 4] = [("p", "production"), ("p", "staging"), ("q", "production"), ("q", "qa")];
        const KINDS: [&str; 3] = ["model", "Prompt", "zé"];
        const IDS: [&str; 6] = ["e01", "E01", "é", "a", "e10", "e2"];
        for seed in 1..=4 {
            let (_dir, conn) = db();
            let mut rng = Lcg(seed);
            let (mut now, mut written, mut dropped) = (1_000_i64, 0, 0);
            let pick = |rng: &mut Lcg, n: usize| usize::try_from(rng.below(u64::try_from(n).unwrap())).unwrap();
            for _ in 0..2_000 {
                // Mostly forward, often the same microsecond (ties go by `seq`), sometimes a
                // clock behind the others (drops the snapshots at or after it).
                now += i64::try_from(rng.below(4)).unwrap();
                let at = if rng.below(40) == 0 { now - i64::try_from(rng.below(60)).unwrap() } else { now };
                let scope = SCOPES[if rng.below(3) == 0 { pick(&mut rng, 4) } else { 0 }];
                let tag = (rng.below(8) != 0).then(|| u32::try_from(rng.below(5)).unwrap());
                let before = snapshots_in(&conn, scope.0, scope.1).len();
                change_in(&conn, scope, (KINDS[pick(&mut rng, 3)], IDS[pick(&mut rng, 6)]), tag, at);
                dropped += before - snapshots_in(&conn, scope.0, scope.1).len();
                if rng.below(20) == 0 {
                    // At the latest change or somewhere in the past.
                    let t = if rng.below(2) == 0 { now } else { now - i64::try_from(rng.below(200)).unwrap() };
                    write_snapshot(&conn, scope.0, scope.1, t).unwrap();
                    written += 1;
                }
            }
            assert!(written > 60 && dropped > 0, "seed {seed}: {written} snapshots written, {dropped} dropped");
            assert!(snapshots(&conn, "production").len() > 10, "seed {seed}");
            for (project, env) in SCOPES.into_iter().chain([("p", "qa"), ("r", "production")]) {
                for t in (900..=now + 2).step_by(3) {
                    let got = state_at(&conn, project, env, t).unwrap();
                    assert_eq!(got, by_seeks_in(&conn, project, env, t), "seed {seed}, {project}/{env} at {t}");
                }
            }
        }
    }

    #[test]
    fn an_edited_history_drops_the_snapshots_it_would_make_wrong() {
        let (_dir, conn) = db();
        let first = change(&conn, "production", 1, Some(1), 10);
        let second = change(&conn, "production", 2, Some(1), 20);
        change(&conn, "staging", 1, Some(1), 10);
        for t in [10, 20, 30] {
            write_snapshot(&conn, "p", "production", t).unwrap();
        }
        write_snapshot(&conn, "p", "staging", 30).unwrap();
        // Moved from 20 to 25: the snapshots at or after either instant go.
        conn.execute("UPDATE activation_history SET at = 25 WHERE seq = ?1", [second]).unwrap();
        assert_eq!(snapshots(&conn, "production"), [(10, 1)]);
        assert_eq!(state_at(&conn, "p", "production", 22).unwrap(), by_seeks(&conn, "production", 22));
        write_snapshot(&conn, "p", "production", 30).unwrap();
        conn.execute("DELETE FROM activation_history WHERE seq = ?1", [first]).unwrap();
        assert!(snapshots(&conn, "production").is_empty());
        assert_eq!(snapshots(&conn, "staging"), [(30, 1)], "another environment's are kept");
        let entries: i64 =
            conn.query_row("SELECT COUNT(*) FROM snapshot_entries WHERE environment = 'production'", [], |r| r.get(0)).unwrap();
        assert_eq!(entries, 0, "with their entries");
        assert_eq!(state_at(&conn, "p", "production", 40).unwrap(), by_seeks(&conn, "production", 40));
    }

    #[test]
    fn a_snapshot_that_cannot_be_written_fails_nothing() {
        let (_dir, conn) = db();
        // The header is refused after the entries were written: both must be rolled back, and
        // the changes kept.
        conn.execute_batch("CREATE TRIGGER refuse BEFORE INSERT ON state_snapshots BEGIN SELECT RAISE(ABORT, 'disk full'); END;").unwrap();
        conn.execute_batch("BEGIN").unwrap();
        for k in 0..3_000 {
            let seq = change(&conn, "production", u32::try_from(k % 9).unwrap(), Some(1), 10 + k);
            after_activation(&conn, "p", "production", seq).unwrap();
        }
        conn.execute_batch("COMMIT").unwrap();
        let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(count("SELECT COUNT(*) FROM activation_history"), 3_000);
        assert_eq!(count("SELECT COUNT(*) FROM state_snapshots") + count("SELECT COUNT(*) FROM snapshot_entries"), 0);
        // Once it can be written, the next look writes it.
        conn.execute_batch("DROP TRIGGER refuse").unwrap();
        for k in 3_000..4_000 {
            let seq = change(&conn, "production", u32::try_from(k % 9).unwrap(), Some(1), 10 + k);
            after_activation(&conn, "p", "production", seq).unwrap();
        }
        assert!(!snapshots(&conn, "production").is_empty());
        let upto: Option<i64> = conn.query_row("SELECT MIN(upto_seq) FROM state_snapshots", [], |r| r.get(0)).unwrap();
        assert!(upto.is_some_and(|s| s > 3_000), "{upto:?}");
    }

    #[test]
    fn an_instant_is_read_from_its_snapshot_and_the_changes_since() {
        let (_dir, conn) = db();
        for (k, at) in [10, 20, 30].into_iter().enumerate() {
            change(&conn, "production", u32::try_from(k).unwrap(), Some(1), at);
        }
        assert_eq!(write_snapshot(&conn, "p", "production", 30).unwrap(), 3);
        assert_eq!(write_snapshot(&conn, "p", "production", 30).unwrap(), 3, "written once");
        change(&conn, "production", 1, Some(2), 40);
        change(&conn, "production", 2, None, 41);
        change(&conn, "production", 7, Some(1), 42);
        // Marks an entry so that only the snapshot can have answered.
        conn.execute("UPDATE snapshot_entries SET deployment_id = 'from-the-snapshot' WHERE entity_id = 'e00'", []).unwrap();
        let got = state_at(&conn, "p", "production", 50).unwrap();
        let brief: Vec<(&str, Option<&str>, &str)> =
            got.iter().map(|(h, _)| (h.entity_id.as_str(), h.version_tag.as_deref(), h.deployment_id.as_str())).collect();
        assert_eq!(brief, [("e00", Some("v1"), "from-the-snapshot"), ("e01", Some("v2"), "d40"), ("e07", Some("v1"), "d42")]);
        // Before the snapshot: the seeks.
        assert_eq!(state_at(&conn, "p", "production", 25).unwrap(), by_seeks(&conn, "production", 25));
    }

    #[test]
    fn a_change_at_or_before_a_snapshot_drops_it_and_the_later_ones() {
        let (_dir, conn) = db();
        change(&conn, "production", 1, Some(1), 10);
        change(&conn, "staging", 1, Some(1), 10);
        for t in [10, 20, 30] {
            write_snapshot(&conn, "p", "production", t).unwrap();
        }
        write_snapshot(&conn, "p", "staging", 30).unwrap();
        change(&conn, "production", 2, Some(1), 31);
        assert_eq!(snapshots(&conn, "production").len(), 3, "a later change keeps them");
        change(&conn, "production", 2, Some(2), 20);
        assert_eq!(snapshots(&conn, "production"), [(10, 1)], "the ones at 20 and 30 are dropped");
        assert_eq!(snapshots(&conn, "staging"), [(30, 1)], "another environment's are kept");
        let entries: i64 =
            conn.query_row("SELECT COUNT(*) FROM snapshot_entries WHERE environment = 'production'", [], |r| r.get(0)).unwrap();
        assert_eq!(entries, 1, "with their entries");
        assert_eq!(state_at(&conn, "p", "production", 25).unwrap(), by_seeks(&conn, "production", 25));
    }

    #[test]
    fn an_instant_far_past_its_snapshot_is_answered_by_the_seeks() {
        let (_dir, conn) = db();
        change(&conn, "production", 0, Some(0), 1);
        write_snapshot(&conn, "p", "production", 1).unwrap();
        conn.execute("UPDATE snapshot_entries SET deployment_id = 'from-the-snapshot'", []).unwrap();
        let cap = MIN_CHANGES * REPLAY_FACTOR;
        for k in 0..cap {
            change(&conn, "production", 1, Some(1), 2 + k);
        }
        assert_eq!(state_at(&conn, "p", "production", 1 + cap).unwrap()[0].0.deployment_id, "from-the-snapshot");
        change(&conn, "production", 1, Some(1), 2 + cap);
        let got = state_at(&conn, "p", "production", 2 + cap).unwrap();
        assert_eq!(got, by_seeks(&conn, "production", 2 + cap), "one change too many: the seeks");
        assert_eq!(got[0].0.deployment_id, "d1");
    }

    #[test]
    fn an_environment_gets_a_snapshot_once_per_due_run_of_changes() {
        let (_dir, conn) = db();
        // 9 live entities: snapshots are due every MIN_CHANGES changes, and one change in
        // CHECK_ONE_IN looks; alternating with another environment must not starve either.
        let n = 6_000;
        for k in 0..n {
            let env = if k % 2 == 0 { "production" } else { "staging" };
            let seq = change(&conn, env, u32::try_from(k % 9).unwrap(), Some(1), 10 + k);
            after_activation(&conn, "p", env, seq).unwrap();
        }
        for env in ["production", "staging"] {
            let got = snapshots(&conn, env);
            // 3,000 changes each: one snapshot per 1,000 to ~1,000 + a few hundred.
            assert!((2..=3).contains(&got.len()), "{env}: {got:?}");
            assert!(got.iter().all(|&(_, entries)| entries == 9), "{env}: {got:?}");
            assert!(got.windows(2).all(|w| w[1].0 - w[0].0 >= 2 * MIN_CHANGES), "{env}: {got:?}");
        }
    }

    #[test]
    fn the_items_of_one_deployment_do_not_drop_the_snapshot_written_between_them() {
        let (_dir, conn) = db();
        // Deployments of 10 items, all stamped at one instant: a snapshot written at the
        // instant of one item would be dropped by the next (a change at its instant).
        let n = 6_000;
        for k in 0..n {
            let seq = change(&conn, "production", u32::try_from(k % 10).unwrap(), Some(1), 10 + k / 10);
            after_activation(&conn, "p", "production", seq).unwrap();
        }
        let got = snapshots(&conn, "production");
        assert!((4..=5).contains(&got.len()), "{got:?}");
        assert_eq!(state_at(&conn, "p", "production", 10 + n).unwrap(), by_seeks(&conn, "production", 10 + n));
    }

    #[test]
    fn alternating_environments_are_each_sampled() {
        for step in [1_i64, 2, 3, 4, 7] {
            for offset in 0..step {
                let seen = (0..1 << 18).map(|k| k * step + offset).filter(|&s| sampled(s)).count();
                let expected = (1 << 18) / usize::try_from(CHECK_ONE_IN).unwrap();
                assert!(seen > expected * 3 / 4 && seen < expected * 5 / 4, "step {step}, offset {offset}: {seen}");
            }
        }
    }
}
