-- Derives status, last use and Hub state (contract §3) and files the users of a snapshot.
-- Parameters: 1 snapshot id, 2 whether the users export had stage columns,
-- 3 the staged users batches, 4 the staged devices batches.
-- staged(token) is a table function over the typed rows the ingest checked in memory; its
-- columns are those of src/ingest.rs's UserBuilder and DeviceBuilder. A staged user has `at`, the
-- byte offset of its row in the users file (unique, where a line may hold several JSON records);
-- a staged device has `owner_at`, the `at` of the user whose email it names, matched as contract
-- §2 says (trimmed, case-insensitive). The join below is on that integer.
INSERT INTO user_records
WITH dev AS (
    SELECT owner_at,
           count(*)                    AS device_count,
           max(last_used)              AS device_last_used,
           bool_or(hub_authenticated)  AS any_hub
    FROM staged(CAST($4 AS UBIGINT))
    GROUP BY owner_at
)
SELECT
    CAST($1 AS INTEGER) AS snapshot_id,
    s.line, s.email, s.email_key, s.name, s.scim, s.license,
    s.license_activated, s.license_activated_at,
    s.app_setup_completed, s.app_setup_completed_at,
    s.data_added, s.data_added_at,
    s.user_last_used, s.reminders_sent, s.status_given,
    CASE
        WHEN s.license = 'unassigned' THEN 'no-license'
        -- Without stage columns the export's Status is taken as given (a licensed user is never no-license).
        WHEN NOT CAST($2 AS BOOLEAN) THEN
            CASE WHEN s.status_given IS NULL OR s.status_given = 'no-license' THEN 'pending' ELSE s.status_given END
        WHEN coalesce(s.license_activated, false)
             AND coalesce(s.app_setup_completed, false)
             AND coalesce(s.data_added, false) THEN 'using'
        ELSE 'pending'
    END AS status,
    -- greatest() skips NULLs, so a user with no own Last Used still gets their devices' latest.
    greatest(s.user_last_used, d.device_last_used) AS last_used,
    coalesce(d.device_count, 0) AS device_count,
    CASE WHEN coalesce(d.any_hub, false) THEN 'authenticated' ELSE 'never' END AS hub
FROM staged(CAST($3 AS UBIGINT)) s
LEFT JOIN dev d ON d.owner_at = s.at;
-- No ORDER BY: every read orders explicitly, and sorting millions of rows here was most of the ingest time.
