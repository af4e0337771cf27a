-- Which of rollcall's marker tables the database holds: `snapshots` (any rollcall database) and
-- `schema_version` (schema 2 on). Without both it is a new or foreign file.
SELECT table_name FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name = 'main'
  AND table_name IN ('snapshots', 'schema_version')
