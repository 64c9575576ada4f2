-- deploygov SQLite schema, migration 6: one status index fewer on the write path.
-- `deployments_by_status_all` (status, id) served only the store-wide sweeps, which read the
-- transient statuses (pending, approved, deploying); every status change of every deployment
-- rewrote two of its pages. The sweeps now seek `deployments_by_status` (project, status, id)
-- once per project and sort the few rows they find.
DROP INDEX deployments_by_status_all;
