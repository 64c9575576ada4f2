-- deploygov PostgreSQL schema, migration 3: SQLite's migration 7 (who made each change of the
-- active state, JSON of `ChangePeople`; NULL for the changes stored before it).
ALTER TABLE activation_history ADD COLUMN people TEXT;
