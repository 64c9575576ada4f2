-- deploygov SQLite schema, migration 10: snapshots kept right when the history is edited, and
-- the point in the history each snapshot was written at.
-- The engine only appends to `activation_history` (migration 9's trigger covers that); anything
-- that updates or deletes a row (an operator, a retention job) now drops the snapshots of that
-- environment at or after the row's instant, before and after the edit, as an append does.
-- `upto_seq` is the last `seq` of the history when the snapshot was written (NULL for snapshots
-- of migration 9): fewer changes than a snapshot's due count since then, store-wide, means fewer
-- in its environment, so the check whether the next one is due need not count them.
ALTER TABLE state_snapshots ADD COLUMN upto_seq INTEGER;
CREATE TRIGGER snapshots_drop_on_update AFTER UPDATE ON activation_history
BEGIN
    DELETE FROM snapshot_entries
        WHERE project_id = OLD.project_id AND environment = OLD.environment AND snapshot_at >= OLD.at;
    DELETE FROM state_snapshots
        WHERE project_id = OLD.project_id AND environment = OLD.environment AND at >= OLD.at;
    DELETE FROM snapshot_entries
        WHERE project_id = NEW.project_id AND environment = NEW.environment AND snapshot_at >= NEW.at;
    DELETE FROM state_snapshots
        WHERE project_id = NEW.project_id AND environment = NEW.environment AND at >= NEW.at;
END;
CREATE TRIGGER snapshots_drop_on_delete AFTER DELETE ON activation_history
BEGIN
    DELETE FROM snapshot_entries
        WHERE project_id = OLD.project_id AND environment = OLD.environment AND snapshot_at >= OLD.at;
    DELETE FROM state_snapshots
        WHERE project_id = OLD.project_id AND environment = OLD.environment AND at >= OLD.at;
END;
