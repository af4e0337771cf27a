-- One page of a snapshot's rejected rows for the server's /api/rejects: the order of
-- read/rejects.sql, with ties broken so that consecutive pages never repeat or skip a row.
SELECT file, kind, line, column_name, reason, detail, raw
FROM reject_records
WHERE snapshot_id = ?
ORDER BY kind DESC, line, file, reason, column_name NULLS FIRST, detail, raw
LIMIT ? OFFSET ?
