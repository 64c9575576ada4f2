-- deploygov SQLite schema, migration 4: governed records and stage logs.
-- `records` holds small documents of several kinds (freeze windows, artifacts, deployment errors,
-- health checks), each found by (project, kind, id) or listed by (project, kind, scope) in id order
-- (ids are UUIDv7, so id order is creation order).
CREATE TABLE records (
    project_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    scope TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (project_id, kind, id)
) WITHOUT ROWID;
CREATE INDEX records_by_scope ON records(project_id, kind, scope, id);
-- INVARIANT: at most one deployment holds an environment (`deploying`, or `paused` waiting for a
-- human decision), enforced by the database.
DROP INDEX deployments_one_deploying;
CREATE UNIQUE INDEX deployments_one_running ON deployments(project_id, environment) WHERE status IN ('deploying', 'paused');
-- Stage logs of two-phase executions, bounded per deployment (oldest lines dropped).
CREATE TABLE deployment_logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id TEXT NOT NULL,
    deployment_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    stage TEXT NOT NULL,
    line TEXT NOT NULL
);
CREATE INDEX logs_by_deployment ON deployment_logs(project_id, deployment_id, seq);
