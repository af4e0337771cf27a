-- The copy's new file, in the storage format of an older DuckDB (`--storage-version`, such as
-- v1.4.0), attached for writing beside the read-only database. Path and version are bound.
ATTACH ? AS rollcall_export_db_target (STORAGE_VERSION ?, READ_WRITE)
