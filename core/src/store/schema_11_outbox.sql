-- deploygov SQLite schema, migration 11: the outbox in two B-trees instead of four.
-- `events` (migration 2) declared its `seq` AUTOINCREMENT and its `id` UNIQUE. The engine reads
-- neither: it never deletes an event, and ids are UUIDv7 it makes. Yet every commit that
-- appends an event wrote a page of each: `sqlite_sequence` and the `id` index, beside the table
-- and `events_by_project` (4 of the 8 B-trees an approval writes). SQLite removes neither
-- without rebuilding the table, which at 1M deployments copies ~8M rows (~5 GB, twice: into the
-- WAL, then into the file) in one migration. So this migration copies nothing: new events go to
-- `outbox`, and `events` keeps the ones written before it, read first.
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
-- INVARIANT: a seq is never handed out twice, and every seq of `outbox` is above every seq
-- `events` handed out. The store gives each new event one more than the larger of the newest
-- in `outbox` and the last `events` handed out (its `sqlite_sequence` entry, which
-- AUTOINCREMENT kept even when the newest rows were deleted). So `events` takes no more rows,
-- and the newest row of `outbox` cannot be deleted (older ones can, to trim what was delivered).
-- An engine from before this migration that still runs against the file (one instance of a
-- rolling upgrade) then fails its writing command instead of appending seqs `outbox` also uses.
CREATE TRIGGER events_frozen BEFORE INSERT ON events
BEGIN
    SELECT RAISE(ABORT, 'the events table is read-only since migration 11: this deploygov is older than the database');
END;
CREATE TRIGGER outbox_keeps_newest BEFORE DELETE ON outbox
WHEN OLD.seq = (SELECT MAX(seq) FROM outbox)
BEGIN
    SELECT RAISE(ABORT, 'the newest event carries the outbox''s sequence and cannot be deleted');
END;
