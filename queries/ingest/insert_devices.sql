-- Files the devices of a snapshot (unknown owners were already rejected). Parameter: 1 snapshot id.
INSERT INTO device_records
SELECT CAST($1 AS INTEGER), line, email, email_key, device_name, platform, enpass_version, last_used, hub_authenticated
FROM stage_devices;
-- No ORDER BY: every read orders explicitly, and sorting millions of rows here was most of the ingest time.
