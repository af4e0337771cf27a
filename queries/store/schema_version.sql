-- The database's schema version: the latest step recorded.
SELECT max(version) FROM schema_version
