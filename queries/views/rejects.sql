-- The rejected rows of one snapshot, with file, line, column and reason.
SELECT r.file, r.kind, r.line, r.column_name, r.reason, r.detail, r.raw, r.snapshot_id
FROM reject_records r
JOIN params p ON r.snapshot_id = p.snapshot_id
