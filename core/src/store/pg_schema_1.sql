-- deploygov PostgreSQL schema, migration 1: the same tables as SQLite's migrations 1-4.
-- Full records live in `doc` (JSON text, exactly the bytes SQLite stores); the columns beside it
-- exist for indexes and compare-and-set. Timestamps are microseconds since the epoch (BIGINT),
-- the audit log's `at` is RFC 3339 text, as in SQLite, so results are byte-identical.
-- Text that is ordered or range-compared is `COLLATE "C"` (byte order, as SQLite's BINARY), so
-- `ORDER BY id` and cursors behave the same whatever the database's locale.
CREATE TABLE projects (
    id TEXT COLLATE "C" PRIMARY KEY,
    tenant TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE environments (
    project_id TEXT COLLATE "C" NOT NULL REFERENCES projects(id),
    name TEXT COLLATE "C" NOT NULL,
    position BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (project_id, name)
);
CREATE TABLE versions (
    project_id TEXT COLLATE "C" NOT NULL REFERENCES projects(id),
    entity_type TEXT COLLATE "C" NOT NULL,
    entity_id TEXT COLLATE "C" NOT NULL,
    version_tag TEXT COLLATE "C" NOT NULL,
    registered_at BIGINT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (project_id, entity_type, entity_id, version_tag)
);
CREATE TABLE deployments (
    id TEXT COLLATE "C" PRIMARY KEY,
    project_id TEXT COLLATE "C" NOT NULL REFERENCES projects(id),
    environment TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    requested_by TEXT COLLATE "C" NOT NULL,
    requested_at BIGINT NOT NULL,
    idempotency_key TEXT COLLATE "C",
    revision BIGINT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX deployments_by_project ON deployments(project_id, id);
CREATE INDEX deployments_by_env ON deployments(project_id, environment, id);
CREATE INDEX deployments_by_status ON deployments(project_id, status, id);
CREATE INDEX deployments_by_requester ON deployments(project_id, requested_by, id);
CREATE INDEX deployments_by_status_all ON deployments(status, id);
CREATE UNIQUE INDEX deployments_by_key ON deployments(project_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- INVARIANT: at most one deployment holds an environment (`deploying`, or `paused` waiting for a
-- human decision), enforced by the database: a second one fails with 23505 (`conflict`).
CREATE UNIQUE INDEX deployments_one_running ON deployments(project_id, environment) WHERE status IN ('deploying', 'paused');
CREATE TABLE deployment_entities (
    project_id TEXT COLLATE "C" NOT NULL,
    entity_type TEXT COLLATE "C" NOT NULL,
    entity_id TEXT COLLATE "C" NOT NULL,
    deployment_id TEXT COLLATE "C" NOT NULL REFERENCES deployments(id),
    PRIMARY KEY (project_id, entity_type, entity_id, deployment_id)
);
CREATE TABLE active_state (
    project_id TEXT COLLATE "C" NOT NULL,
    environment TEXT COLLATE "C" NOT NULL,
    entity_type TEXT COLLATE "C" NOT NULL,
    entity_id TEXT COLLATE "C" NOT NULL,
    version_tag TEXT NOT NULL,
    deployment_id TEXT COLLATE "C" NOT NULL,
    since BIGINT NOT NULL,
    PRIMARY KEY (project_id, environment, entity_type, entity_id)
);
CREATE INDEX active_by_deployment ON active_state(project_id, deployment_id);
-- Sequence numbers (activation history, events, stage logs) come from `seq_counters`, moved in
-- the writing transaction: like SQLite's AUTOINCREMENT they are gapless across rolled-back
-- transactions, never reused, and (writers are serialized, see postgres.rs) given in commit
-- order, so `seq` cursors never skip a row committed later. A SEQUENCE would leave gaps and,
-- with concurrent writers, could commit seq 6 before seq 5.
CREATE TABLE seq_counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO seq_counters (name, value) VALUES ('activation_history', 0), ('events', 0), ('deployment_logs', 0);
CREATE TABLE activation_history (
    seq BIGINT PRIMARY KEY,
    project_id TEXT COLLATE "C" NOT NULL,
    environment TEXT COLLATE "C" NOT NULL,
    entity_type TEXT COLLATE "C" NOT NULL,
    entity_id TEXT COLLATE "C" NOT NULL,
    version_tag TEXT,
    deployment_id TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX history_by_entity ON activation_history(project_id, entity_type, entity_id, environment, seq);
CREATE INDEX history_by_env ON activation_history(project_id, environment, entity_type, entity_id, seq);
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    action TEXT NOT NULL,
    project_id TEXT COLLATE "C",
    object_type TEXT NOT NULL,
    object_id TEXT COLLATE "C" NOT NULL,
    before TEXT NOT NULL,
    after TEXT NOT NULL,
    reason TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_by_object ON audit_log(project_id, object_id, seq);
-- The one row every append locks and moves (store-wide chain).
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
-- The transactional outbox.
CREATE TABLE events (
    seq BIGINT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    project_id TEXT COLLATE "C",
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX events_by_project ON events(project_id, seq);
-- Governed records (freeze windows, artifacts, deployment errors, health checks).
CREATE TABLE records (
    project_id TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    scope TEXT COLLATE "C" NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (project_id, kind, id)
);
CREATE INDEX records_by_scope ON records(project_id, kind, scope, id);
-- Stage logs of two-phase executions, bounded per deployment (oldest lines dropped).
CREATE TABLE deployment_logs (
    seq BIGINT PRIMARY KEY,
    project_id TEXT COLLATE "C" NOT NULL,
    deployment_id TEXT COLLATE "C" NOT NULL,
    at BIGINT NOT NULL,
    stage TEXT NOT NULL,
    line TEXT NOT NULL
);
CREATE INDEX logs_by_deployment ON deployment_logs(project_id, deployment_id, seq);
