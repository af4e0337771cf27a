-- The devices of one snapshot, with their owner's name.
SELECT d.email, u.name AS user_name, d.device_name, d.platform, d.enpass_version, d.last_used,
       d.hub_authenticated, d.email_key, d.line, d.snapshot_id
FROM device_records d
JOIN params p ON d.snapshot_id = p.snapshot_id
LEFT JOIN user_records u ON u.snapshot_id = d.snapshot_id AND u.email_key = d.email_key
