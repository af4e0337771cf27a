-- The input files of one snapshot (users first), for manifests and the report's header.
SELECT kind, path, name, format, size_bytes, sha256, rows_read, rows_kept, rows_rejected FROM snapshot_inputs WHERE snapshot_id = ? ORDER BY kind DESC
