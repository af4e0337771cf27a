-- When a user was last sent a reminder (NULL: never), for `--min-interval`.
SELECT max(attempted_at) FROM reminder_log WHERE email_key = ? AND outcome = 'sent'
