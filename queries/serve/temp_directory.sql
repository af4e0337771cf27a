-- Where the server's DuckDB spills what exceeds its memory bound (`serve --memory-limit`): the
-- server's private temporary folder, since the database's own folder may be read-only. Bound
-- as text.
SET temp_directory = ?
