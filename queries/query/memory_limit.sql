-- The memory an ad-hoc query may use (`rollcall query --memory-limit`, bound as text such as
-- '2000000000B'). Past it DuckDB spills what it can to its temporary folder, and stops the
-- query with an out-of-memory error otherwise.
SET memory_limit = ?
