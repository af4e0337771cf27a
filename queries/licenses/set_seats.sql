-- Records (or replaces) the seats bought for a snapshot: snapshot_id, seats, set_at.
INSERT OR REPLACE INTO license_seats VALUES (?, ?, ?)
