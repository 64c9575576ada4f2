-- deploygov SQLite schema, migration 12: the in-flight index's condition as comparisons.
-- `deployments_in_flight` (migration 6) had the condition `status IN ('pending', 'approved',
-- 'deploying', 'paused')`. SQLite evaluates a partial index's condition for the old and the new
-- row of every INSERT and every UPDATE that sets `status`, and an IN list of more than two
-- constants is evaluated through a temporary B-tree built again each time (OpenEphemeral and four
-- inserts): two of them in each change of status, 8 % of a governed lifecycle's instructions.
-- The same condition written as comparisons is four string compares. Statements that read the
-- index repeat the condition word for word (`IN_FLIGHT` in sqlite_tx.rs).
--
-- Both conditions select the same rows, so the index's entries stay what they are: the store
-- rewrites the condition in the schema itself (`sqlite_migrate.rs`), which takes no time. The
-- statements below are the fallback when the index is not the one migration 6 made: they build
-- it again, which reads the whole deployments table (about 30 s at 1M deployments, cold).
DROP INDEX IF EXISTS deployments_in_flight;
CREATE INDEX deployments_in_flight ON deployments(status, id)
    WHERE status = 'pending' OR status = 'approved' OR status = 'deploying' OR status = 'paused';
