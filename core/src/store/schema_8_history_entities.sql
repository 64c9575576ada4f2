-- deploygov SQLite schema, migration 8: the entities of each environment's history.
-- One row per entity that ever changed in an environment. The point-in-time state (`active_at`)
-- reads an environment's entities from here and seeks each one's last change on
-- `history_by_env_at`; it used to find them by a skip scan over that index, which cost two more
-- seeks and a row read per entity. Filled from the history on migration (a pass over
-- `history_by_env_at`: under a second at 1M changes).
CREATE TABLE history_entities (
    project_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    PRIMARY KEY (project_id, environment, entity_type, entity_id)
) WITHOUT ROWID;
INSERT OR IGNORE INTO history_entities (project_id, environment, entity_type, entity_id)
    SELECT DISTINCT project_id, environment, entity_type, entity_id FROM activation_history;
-- INVARIANT: every entity with a change in `activation_history` has its row here. A trigger, not
-- the engine, keeps it so: a process still running a binary from before this migration (it opened
-- the file earlier) keeps appending history, and so does anything else that writes it. An
-- existing row is left as it is, so an entity's later changes write no page here.
CREATE TRIGGER history_entities_fill AFTER INSERT ON activation_history
BEGIN
    INSERT OR IGNORE INTO history_entities (project_id, environment, entity_type, entity_id)
        VALUES (NEW.project_id, NEW.environment, NEW.entity_type, NEW.entity_id);
END;
