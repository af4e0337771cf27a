-- The data-quality notices of one snapshot.
SELECT kind, file, line, email, detail FROM notice_records WHERE snapshot_id = ? ORDER BY kind, line NULLS FIRST
