-- deploygov SQLite schema, migration 3: point-in-time state and store-wide sweeps.
CREATE INDEX history_by_env ON activation_history(project_id, environment, entity_type, entity_id, seq);
CREATE INDEX deployments_by_status_all ON deployments(status, id);
