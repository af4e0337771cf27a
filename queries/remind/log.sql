-- Records one attempt: email_key, email, snapshot_id, stage, attempted_at, channel, message_id,
-- destination, outcome, reason.
INSERT INTO reminder_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
