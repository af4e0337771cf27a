-- Schema 2: the database records its schema version, so a newer rollcall upgrades it in place
-- and an older one refuses it. Schema 1 (queries/schema.sql as rollcall 0.1.0 wrote it) had no
-- such table.
CREATE TABLE IF NOT EXISTS schema_version (
    version      INTEGER NOT NULL,   -- the schema the database has after this step
    applied_at   TIMESTAMP NOT NULL,
    tool_version VARCHAR NOT NULL    -- the rollcall that applied it
);
