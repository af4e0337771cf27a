-- The users of one snapshot with every derived column. `params` supplies snapshot_id, as_of
-- (the instant T) and window_days (W): activity is never without a last use, active when
-- T - W < last use (a future last use counts as active), inactive otherwise. reminders_sent is
-- the export's Reminders Sent plus the reminders rollcall sent after the snapshot's own as-of
-- (reminder_log), so every reader counts the same.
SELECT
    u.name,
    u.email,
    u.scim,
    u.last_used,
    u.license,
    u.status,
    CASE
        WHEN u.last_used IS NULL THEN 'never'
        WHEN u.last_used > p.as_of - to_days(p.window_days) THEN 'active'
        ELSE 'inactive'
    END AS activity,
    u.hub,
    CAST(u.reminders_sent + coalesce(l.sent, 0) AS INTEGER) AS reminders_sent,
    u.device_count,
    u.license_activated,
    u.license_activated_at,
    u.app_setup_completed,
    u.app_setup_completed_at,
    u.data_added,
    u.data_added_at,
    u.user_last_used,
    u.status_given,
    u.email_key,
    u.line,
    u.snapshot_id
FROM user_records u
JOIN params p ON u.snapshot_id = p.snapshot_id
LEFT JOIN (
    SELECT r.email_key, count(*) AS sent
    FROM reminder_log r
    JOIN snapshots s ON r.attempted_at > s.as_of
    JOIN params q ON s.id = q.snapshot_id
    WHERE r.outcome = 'sent'
    GROUP BY r.email_key
) l ON l.email_key = u.email_key
