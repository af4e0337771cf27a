-- What the copy holds, for the command's summary line.
SELECT
  (SELECT count(*) FROM duckdb_tables() WHERE database_name = 'rollcall_export_db_target') AS tables,
  (SELECT count(*) FROM duckdb_views() WHERE database_name = 'rollcall_export_db_target' AND NOT internal) AS views
