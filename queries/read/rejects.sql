-- The rejected rows of one snapshot, users file first, in file order.
SELECT file, kind, line, column_name, reason, detail, raw FROM reject_records WHERE snapshot_id = ? ORDER BY kind DESC, line
