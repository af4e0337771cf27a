-- The id of the snapshot being filed.
SELECT coalesce(max(id), 0) + 1 FROM snapshots
