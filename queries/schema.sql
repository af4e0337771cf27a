-- rollcall's storage. Tables hold every snapshot, keyed by snapshot_id; views (views/*.sql)
-- show one snapshot and are what analysts query. Timestamps are UTC.
CREATE TABLE IF NOT EXISTS snapshots (
    id            INTEGER PRIMARY KEY,
    label         VARCHAR,
    as_of         TIMESTAMP NOT NULL,  -- the instant activity is measured at
    ingested_at   TIMESTAMP NOT NULL,
    tool_version  VARCHAR NOT NULL,
    users         INTEGER NOT NULL,    -- kept user rows
    devices       INTEGER NOT NULL,    -- kept device rows
    rejected      INTEGER NOT NULL     -- rejected rows, both files
);

CREATE TABLE IF NOT EXISTS snapshot_inputs (
    snapshot_id   INTEGER NOT NULL,
    kind          VARCHAR NOT NULL,    -- users | devices
    path          VARCHAR NOT NULL,    -- as given on the command line
    name          VARCHAR NOT NULL,    -- file name only
    format        VARCHAR NOT NULL,    -- csv (comma) | csv (semicolon) | csv (tab) | json | ndjson
    size_bytes    BIGINT NOT NULL,
    sha256        VARCHAR NOT NULL,
    rows_read     BIGINT NOT NULL,
    rows_kept     BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS user_records (
    snapshot_id            INTEGER NOT NULL,
    line                   BIGINT NOT NULL,   -- line in the users file, header = 1
    email                  VARCHAR NOT NULL,  -- as written, trimmed
    email_key              VARCHAR NOT NULL,  -- lower-cased: the key devices match on
    name                   VARCHAR,
    scim                   BOOLEAN NOT NULL,
    license                VARCHAR NOT NULL,  -- assigned | unassigned
    license_activated      BOOLEAN,           -- NULL when the export had no stage columns
    license_activated_at   TIMESTAMP,
    app_setup_completed    BOOLEAN,
    app_setup_completed_at TIMESTAMP,
    data_added             BOOLEAN,
    data_added_at          TIMESTAMP,
    user_last_used         TIMESTAMP,         -- the user row's own Last Used
    reminders_sent         INTEGER NOT NULL,
    status_given           VARCHAR,           -- the export's Status column, normalised; NULL if absent
    status                 VARCHAR NOT NULL,  -- derived: no-license | pending | using
    last_used              TIMESTAMP,         -- derived: latest of the user's and their devices' Last Used
    device_count           INTEGER NOT NULL,
    hub                    VARCHAR NOT NULL   -- derived: authenticated | never
);

CREATE TABLE IF NOT EXISTS device_records (
    snapshot_id       INTEGER NOT NULL,
    line              BIGINT NOT NULL,
    email             VARCHAR NOT NULL,
    email_key         VARCHAR NOT NULL,
    device_name       VARCHAR,
    platform          VARCHAR,
    enpass_version    VARCHAR,
    last_used         TIMESTAMP,
    hub_authenticated BOOLEAN NOT NULL
);

CREATE TABLE IF NOT EXISTS reject_records (
    snapshot_id INTEGER NOT NULL,
    file        VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,   -- users | devices
    line        BIGINT NOT NULL,    -- header = line 1; a record spanning lines reports its first
    column_name VARCHAR,            -- the header as written; NULL for whole-row problems
    reason      VARCHAR NOT NULL,   -- missing-email | bad-email | bad-date | bad-boolean | bad-integer | bad-value | bad-json | field-count | duplicate-email | unknown-user
    detail      VARCHAR NOT NULL,
    raw         VARCHAR NOT NULL    -- the record verbatim
);

CREATE TABLE IF NOT EXISTS notice_records (
    snapshot_id INTEGER NOT NULL,
    kind        VARCHAR NOT NULL,   -- status-disagreement | unknown-column
    file        VARCHAR,
    line        BIGINT,
    email       VARCHAR,
    detail      VARCHAR NOT NULL
);
