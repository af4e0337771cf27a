-- The snapshot's own row: id, label, as_of, ingested_at, tool_version, users, devices, rejected.
INSERT INTO snapshots VALUES (?, ?, ?, ?, ?, ?, ?, ?)
