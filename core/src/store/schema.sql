-- deploygov SQLite schema, migration 1. Full records live in `doc` (JSON); the columns beside it
-- exist for indexes and compare-and-set.
CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE environments (
    project_id TEXT NOT NULL REFERENCES projects(id),
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (project_id, name)
);
CREATE TABLE versions (
    project_id TEXT NOT NULL REFERENCES projects(id),
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    version_tag TEXT NOT NULL,
    registered_at INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (project_id, entity_type, entity_id, version_tag)
);
CREATE TABLE deployments (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id),
    environment TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    idempotency_key TEXT,
    revision INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX deployments_by_project ON deployments(project_id, id);
CREATE INDEX deployments_by_env ON deployments(project_id, environment, id);
CREATE INDEX deployments_by_status ON deployments(project_id, status, id);
CREATE INDEX deployments_by_requester ON deployments(project_id, requested_by, id);
CREATE UNIQUE INDEX deployments_by_key ON deployments(project_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- INVARIANT: at most one deployment is `deploying` per environment, enforced by the database.
CREATE UNIQUE INDEX deployments_one_deploying ON deployments(project_id, environment) WHERE status = 'deploying';
CREATE TABLE deployment_entities (
    project_id TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    deployment_id TEXT NOT NULL REFERENCES deployments(id),
    PRIMARY KEY (project_id, entity_type, entity_id, deployment_id)
) WITHOUT ROWID;
CREATE TABLE active_state (
    project_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    version_tag TEXT NOT NULL,
    deployment_id TEXT NOT NULL,
    since INTEGER NOT NULL,
    PRIMARY KEY (project_id, environment, entity_type, entity_id)
) WITHOUT ROWID;
CREATE INDEX active_by_deployment ON active_state(project_id, deployment_id);
CREATE TABLE activation_history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    version_tag TEXT,
    deployment_id TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX history_by_entity ON activation_history(project_id, entity_type, entity_id, environment, seq);
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    action TEXT NOT NULL,
    project_id TEXT,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    before TEXT NOT NULL,
    after TEXT NOT NULL,
    reason TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_by_object ON audit_log(project_id, object_id, seq);
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
