-- Records one decision: email_key, email, action, note, marked_at, snapshot_id.
INSERT INTO license_worklist VALUES (?, ?, ?, ?, ?, ?)
