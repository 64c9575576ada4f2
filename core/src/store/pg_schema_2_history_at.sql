-- deploygov PostgreSQL schema, migration 2: the index of SQLite's migration 5.
-- `active_at` reads an environment's history up to an instant in (entity, at, seq) order and keeps
-- each entity's last change by time (`DISTINCT ON`), the same rule as the SQLite store. It
-- replaces `history_by_env` (migration 1), ordered by (entity, seq), which only that query used.
CREATE INDEX history_by_env_at ON activation_history(project_id, environment, entity_type, entity_id, at, seq);
DROP INDEX history_by_env;
