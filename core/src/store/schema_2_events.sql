-- deploygov SQLite schema, migration 2: the transactional outbox.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    project_id TEXT,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX events_by_project ON events(project_id, seq);
