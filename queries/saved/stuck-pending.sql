-- Pending for more than 14 days with 3 or more reminders sent (pending since: license activation or the first snapshot that saw them pending, whichever is earlier).
WITH first_pending AS (
    SELECT r.email_key, min(s.as_of) AS since
    FROM user_records r
    JOIN snapshots s ON s.id = r.snapshot_id
    CROSS JOIN current_snapshot c
    WHERE r.status = 'pending' AND s.id <= c.snapshot_id
    GROUP BY r.email_key
),
stuck AS (
    SELECT u.name, u.email, u.reminders_sent,
           least(u.license_activated_at, f.since) AS pending_since,
           c.as_of
    FROM users u
    CROSS JOIN current_snapshot c
    LEFT JOIN first_pending f ON f.email_key = u.email_key
    WHERE u.status = 'pending' AND u.reminders_sent >= 3
)
SELECT name, email, reminders_sent, pending_since,
       date_diff('day', pending_since, as_of) AS days_pending
FROM stuck
WHERE pending_since < as_of - INTERVAL 14 DAY
ORDER BY days_pending DESC, email
