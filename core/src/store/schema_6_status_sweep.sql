-- deploygov SQLite schema, migration 6: the sweeps' index holds only deployments in flight.
-- `deployments_by_status_all` (status, id) served only the store-wide sweeps, which read the
-- statuses a deployment passes through (pending, approved, deploying, paused); it held every
-- deployment ever made, and every status change rewrote two of its pages. The partial index
-- below holds only the deployments in those statuses (a few pages, whatever the history's size),
-- and a deployment leaves it when it is done. The sweep's statement repeats the index's condition
-- word for word, which is how SQLite knows it may use it.
DROP INDEX deployments_by_status_all;
CREATE INDEX deployments_in_flight ON deployments(status, id) WHERE status IN ('pending', 'approved', 'deploying', 'paused');
