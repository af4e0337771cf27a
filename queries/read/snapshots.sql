-- Every snapshot, oldest first.
SELECT id, label, as_of, ingested_at, tool_version, users, devices, rejected FROM snapshots ORDER BY id
