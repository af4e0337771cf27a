-- Writes the copy's write-ahead log into its file, so the file alone is the whole copy.
CHECKPOINT rollcall_export_db_target
