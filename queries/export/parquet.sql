-- DuckDB's own Parquet writer. The target is a path rollcall generated in a fresh temporary
-- folder (never user text): the one value formatted into SQL, because COPY cannot bind it.
-- The columns are the staged ones in order, timestamps through export/utc_column.sql.
COPY (SELECT /*columns*/ FROM rollcall_export) TO '/*target*/' (FORMAT parquet)
