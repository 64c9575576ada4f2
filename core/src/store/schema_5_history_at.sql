-- deploygov SQLite schema, migration 5: point-in-time state by seeks, flat in history size.
-- (Since migration 8, `active_at` reads the entities from `history_entities` instead of the skip
-- scan described here, and seeks this index once per entity.)
-- `active_at` enumerates the entities of an environment by skipping along this index (one seek
-- per entity) and, for each, finds its last change at or before an instant with one more seek on
-- (at, seq). It replaces `history_by_env` (migration 3), which only that query used: grouping by
-- entity over it read the environment's whole history up to the instant.
CREATE INDEX history_by_env_at ON activation_history(project_id, environment, entity_type, entity_id, at, seq);
DROP INDEX history_by_env;
