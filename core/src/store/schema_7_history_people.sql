-- deploygov SQLite schema, migration 7: who made each change of the active state.
-- `people` is the JSON of `ChangePeople` (requester, approvers, executor of the deployment that
-- made the change), written with the change. The point-in-time state (`active_at`) names them
-- from the history row it already reads instead of reading each entity's deployment: at a long
-- history those documents are scattered over the largest table and mostly not in the cache.
-- Rows written before this migration keep NULL; the engine reads their deployment, as before.
ALTER TABLE activation_history ADD COLUMN people TEXT;
