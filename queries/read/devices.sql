-- Every device of the scope by owner, most recently used first: the report's details pages.
SELECT email_key, device_name, platform, enpass_version, last_used, hub_authenticated
FROM devices ORDER BY email_key, last_used DESC NULLS LAST, line
