-- `rollcall licenses todo`: users in scope to assign a license to (no license) and licensed
-- users to reclaim one from (never used, or last used more than ? days before the as-of),
-- each with why and the state of the latest worklist decision for them; by kind, then email in
-- the collation of every sort (read/collation.sql).
WITH d AS (
    SELECT email_key, action, state
    FROM (/*decisions*/)
    QUALIFY row_number() OVER (PARTITION BY email_key ORDER BY marked_at DESC) = 1
),
t AS (
    SELECT
        CASE WHEN u.license = 'unassigned' THEN 'assign' ELSE 'reclaim' END AS kind,
        u.name,
        u.email,
        u.scim,
        u.status,
        u.last_used,
        CASE
            WHEN u.license = 'unassigned' THEN 'no-license'
            WHEN u.last_used IS NULL THEN 'never used'
            -- whole days elapsed, not calendar boundaries crossed
            ELSE 'inactive ' || (date_diff('second', u.last_used, (SELECT as_of FROM params)) // 86400) || ' days'
        END AS reason,
        d.action AS decision,
        d.state AS decision_state,
        u.email_key
    FROM users u
    LEFT JOIN d ON d.email_key = u.email_key
    WHERE (/*where*/)
      AND (u.license = 'unassigned'
           OR u.last_used IS NULL
           OR u.last_used < (SELECT as_of FROM params) - to_days(CAST(? AS INTEGER)))
)
SELECT kind, name, email, scim, status, last_used, reason, decision, decision_state
FROM t
ORDER BY kind, /*email_order*/, email_key
