-- Schema 3: the reminders log (`rollcall remind send`). One row per attempt to remind one user:
-- sent, failed (reason: the error) or skipped (reason: why). The reminders count every view
-- shows is the export's Reminders Sent plus this log's sent rows after the snapshot's as-of.
CREATE TABLE IF NOT EXISTS reminder_log (
    email_key    VARCHAR NOT NULL,    -- the user, as user_records.email_key
    email        VARCHAR NOT NULL,    -- as the snapshot wrote it
    snapshot_id  INTEGER NOT NULL,    -- the snapshot the recipient was chosen from
    stage        VARCHAR,             -- activate | setup | data; NULL when skipped for not being pending
    attempted_at TIMESTAMP NOT NULL,  -- when it was attempted (UTC)
    channel      VARCHAR NOT NULL,    -- outbox or sendmail (smtp to come)
    message_id   VARCHAR,             -- the Message-ID header; NULL when skipped
    destination  VARCHAR,             -- where it went: the outbox .eml file
    outcome      VARCHAR NOT NULL,    -- sent | failed | skipped
    reason       VARCHAR              -- failed: the error; skipped: why
);
