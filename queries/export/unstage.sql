-- Drops the staged rows.
DROP TABLE rollcall_export
