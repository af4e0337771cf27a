-- The ingest's bulk inserts scan staged() on every thread; keeping file order would make DuckDB
-- insert on one. Stored rows have no order: every read orders explicitly.
SET preserve_insertion_order = false
