-- deploygov SQLite schema, migration 11: the outbox in two B-trees instead of four.
-- `events` (migration 2) declared its `seq` AUTOINCREMENT and its `id` UNIQUE. Neither is read:
-- events are never deleted (so `seq`, the rowid, never goes back without AUTOINCREMENT either),
-- and ids are UUIDv7 made by the engine. Yet every commit that appends an event wrote a page of
-- each: `sqlite_sequence` and the `id` index, beside the table and `events_by_project` (4 of the
-- 8 B-trees an approval writes). SQLite removes neither without rebuilding the table, which at
-- 1M deployments copies ~8M rows (~5 GB, twice: into the WAL, then into the file) in one
-- migration. So this migration copies nothing: new events go to `outbox`, and `events` keeps the
-- ones written before it, read first (every one of its `seq`s is below every `seq` of `outbox`).
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    project_id TEXT,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX outbox_by_project ON outbox(project_id, seq);
-- INVARIANT: `outbox` continues the sequence. A rowid not given is one more than the largest in
-- the table, so the newest event moves over first (nothing when there is none yet).
INSERT INTO outbox (seq, id, at, kind, project_id, object_type, object_id, actor_id, payload)
    SELECT seq, id, at, kind, project_id, object_type, object_id, actor_id, payload
    FROM events WHERE seq = (SELECT MAX(seq) FROM events);
DELETE FROM events WHERE seq = (SELECT MAX(seq) FROM outbox);
-- INVARIANT: nothing appends to `events` any more. An engine from before this migration that
-- still runs against the file (one instance of a rolling upgrade) would append there with seqs
-- the new ones also take; its command fails instead, and changes nothing.
CREATE TRIGGER events_frozen BEFORE INSERT ON events
BEGIN
    SELECT RAISE(ABORT, 'the events table is read-only since migration 11: this deploygov is older than the database');
END;
