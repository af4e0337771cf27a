-- Schema 4: the license worklist (`rollcall licenses mark`) and the seats bought
-- (`rollcall licenses seats`). A decision is never updated: whether it is open or done is
-- computed from the snapshots that follow it (queries/licenses/decisions.sql).
CREATE TABLE IF NOT EXISTS license_worklist (
    email_key   VARCHAR NOT NULL,    -- the user, as user_records.email_key
    email       VARCHAR NOT NULL,    -- as the snapshot wrote it
    action      VARCHAR NOT NULL,    -- assign | reclaim
    note        VARCHAR,             -- the admin's --note
    marked_at   TIMESTAMP NOT NULL,  -- when it was marked (UTC)
    snapshot_id INTEGER NOT NULL     -- the snapshot it was marked against
);
CREATE TABLE IF NOT EXISTS license_seats (
    snapshot_id INTEGER PRIMARY KEY, -- the snapshot the count is for
    seats       INTEGER NOT NULL,    -- seats bought
    set_at      TIMESTAMP NOT NULL   -- when it was recorded (UTC)
);
