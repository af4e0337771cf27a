-- Data-quality notices of one snapshot recorded at ingest (status disagreements, unknown columns).
SELECT n.kind, n.file, n.line, n.email, n.detail, n.snapshot_id
FROM notice_records n
JOIN params p ON n.snapshot_id = p.snapshot_id
