-- One user's devices, most recently used first.
SELECT device_name, platform, enpass_version, last_used, hub_authenticated
FROM devices WHERE email_key = ? ORDER BY last_used DESC NULLS LAST, line
