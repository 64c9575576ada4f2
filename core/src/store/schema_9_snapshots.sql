-- deploygov SQLite schema, migration 9: snapshots of each environment's state.
-- The point-in-time state (`active_at`) used to seek every entity's last change on
-- `history_by_env_at`: two page reads per entity, which at a million changes are spread over the
-- whole index and table (1.7-2.7x the cost per entity of a 10k history). Now the store keeps, every
-- so many changes of an environment, what was live there at one instant (`state_snapshots` +
-- `snapshot_entries`), and answers an instant from the last snapshot at or before it plus the
-- changes since (one range of `history_by_env_time`): reads in key order, whatever the history's
-- size. Instants before an environment's first snapshot are answered by the seeks, as before.
-- The snapshots are written by the store (`sqlite_snapshots.rs`); nothing is backfilled here.
CREATE INDEX history_by_env_time ON activation_history(project_id, environment, at, seq);
CREATE TABLE state_snapshots (
    project_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    at INTEGER NOT NULL,
    entries INTEGER NOT NULL,
    PRIMARY KEY (project_id, environment, at)
) WITHOUT ROWID;
-- The live entities at the snapshot's instant: each one's last change at or before it (by
-- `(at, seq)`), copied from `activation_history`.
CREATE TABLE snapshot_entries (
    project_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    snapshot_at INTEGER NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    version_tag TEXT NOT NULL,
    deployment_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    people TEXT,
    PRIMARY KEY (project_id, environment, snapshot_at, entity_type, entity_id)
) WITHOUT ROWID;
-- INVARIANT: a snapshot at instant T holds every change with `at <= T`. A change stamped at or
-- before the instant of an existing snapshot (a clock behind the others, or a writer from before
-- this migration) drops the snapshots it would make wrong, here, in the transaction that appends
-- it; the next snapshot is written later. A trigger, not the engine, so that every writer of the
-- history keeps it. The common case (no such snapshot) is one seek in `state_snapshots`.
CREATE TRIGGER snapshots_drop_stale AFTER INSERT ON activation_history
WHEN EXISTS (SELECT 1 FROM state_snapshots
             WHERE project_id = NEW.project_id AND environment = NEW.environment AND at >= NEW.at)
BEGIN
    DELETE FROM snapshot_entries
        WHERE project_id = NEW.project_id AND environment = NEW.environment AND snapshot_at >= NEW.at;
    DELETE FROM state_snapshots
        WHERE project_id = NEW.project_id AND environment = NEW.environment AND at >= NEW.at;
END;
