-- The staged rows' columns and their DuckDB types, in order: the Parquet copy writes each
-- TIMESTAMP (a UTC instant in rollcall's tables) as TIMESTAMPTZ.
SELECT column_name, data_type
FROM duckdb_columns()
WHERE database_name = 'temp' AND table_name = 'rollcall_export'
ORDER BY column_index
