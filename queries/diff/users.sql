-- `rollcall diff`: every user of either snapshot, matched by email key, with what changed
-- between them. Each side is the users view (views/users.sql) at its own scope: its snapshot,
-- as-of instant and window, so activity and reminders are measured as each snapshot shows
-- them. The filters (the where slot) select users on one side (the side slot: f or t; the
-- unfiltered slot is TRUE when there are none), so the statement runs on its own in any
-- DuckDB client. Users with no change are left out;
-- order: email through the collation of every sort (read/collation.sql), then the email key.
WITH
f AS (
    WITH params AS (/*from_params*/)
    /*users*/
),
t AS (
    WITH params AS (/*to_params*/)
    /*users*/
),
j AS (
    SELECT
        coalesce(t.email_key, f.email_key) AS email_key,
        coalesce(t.email, f.email) AS email,
        coalesce(t.name, f.name) AS name,
        f.email_key IS NOT NULL AS in_from,
        t.email_key IS NOT NULL AS in_to,
        f.license AS license_from, t.license AS license_to,
        f.status AS status_from, t.status AS status_to,
        f.activity AS activity_from, t.activity AS activity_to,
        f.hub AS hub_from, t.hub AS hub_to,
        f.reminders_sent AS reminders_from, t.reminders_sent AS reminders_to,
        f.license_activated AS act_from, t.license_activated AS act_to,
        f.app_setup_completed AS setup_from, t.app_setup_completed AS setup_to,
        f.data_added AS data_from, t.data_added AS data_to
    FROM f FULL OUTER JOIN t ON f.email_key = t.email_key
    -- Unfiltered, every user of either side; filtered, the users of that side the filters select
    -- (so, filtering on the later snapshot, no removed user).
    WHERE /*unfiltered*/
        OR coalesce(t.email_key, f.email_key) IN (SELECT email_key FROM /*side*/ WHERE /*where*/)
),
r AS (
    SELECT
        *,
        CASE status_from WHEN 'no-license' THEN 0 WHEN 'pending' THEN 1 WHEN 'using' THEN 2 END AS rank_from,
        CASE status_to WHEN 'no-license' THEN 0 WHEN 'pending' THEN 1 WHEN 'using' THEN 2 END AS rank_to,
        in_from AND in_to AS in_both
    FROM j
),
c AS (
    SELECT
        email, name, status_from, status_to, activity_from, activity_to, reminders_from, reminders_to,
        -- In domain.rs's TRANSITIONS order. A stage the export did not carry (NULL) on either
        -- side is not a change: rollcall does not guess it.
        list_filter([
            CASE WHEN NOT in_from THEN 'added' END,
            CASE WHEN NOT in_to THEN 'removed' END,
            CASE WHEN in_both AND license_from = 'unassigned' AND license_to = 'assigned' THEN 'license-assigned' END,
            CASE WHEN in_both AND license_from = 'assigned' AND license_to = 'unassigned' THEN 'license-unassigned' END,
            CASE WHEN in_both AND rank_to > rank_from THEN 'status-forward' END,
            CASE WHEN in_both AND rank_to < rank_from THEN 'status-backward' END,
            CASE WHEN in_both AND NOT act_from AND act_to THEN 'activation-gained' END,
            CASE WHEN in_both AND act_from AND NOT act_to THEN 'activation-lost' END,
            CASE WHEN in_both AND NOT setup_from AND setup_to THEN 'setup-gained' END,
            CASE WHEN in_both AND setup_from AND NOT setup_to THEN 'setup-lost' END,
            CASE WHEN in_both AND NOT data_from AND data_to THEN 'data-gained' END,
            CASE WHEN in_both AND data_from AND NOT data_to THEN 'data-lost' END,
            CASE WHEN in_both AND activity_from <> 'active' AND activity_to = 'active' THEN 'became-active' END,
            CASE WHEN in_both AND activity_from = 'active' AND activity_to <> 'active' THEN 'went-inactive' END,
            CASE WHEN in_both AND hub_from = 'never' AND hub_to = 'authenticated' THEN 'hub-authenticated' END,
            CASE WHEN in_both AND hub_from = 'authenticated' AND hub_to = 'never' THEN 'hub-lost' END,
            CASE WHEN in_both AND reminders_to > reminders_from THEN 'reminded' END
        ], lambda x: x IS NOT NULL) AS transitions,
        email_key
    FROM r
)
SELECT
    email, name, status_from, status_to, activity_from, activity_to, reminders_from, reminders_to,
    array_to_string(transitions, ' ') AS transitions
FROM c
WHERE len(transitions) > 0
ORDER BY /*email_order*/, email_key
