-- What the persistent views show: the latest snapshot, at its own as-of, with a 30-day window.
SELECT id AS snapshot_id, as_of, 30 AS window_days FROM snapshots ORDER BY id DESC LIMIT 1
