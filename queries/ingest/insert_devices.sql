-- Files the devices of a snapshot (unknown owners were already rejected).
-- Parameters: 1 snapshot id, 2 the staged devices batches (see derive_users.sql).
INSERT INTO device_records
SELECT CAST($1 AS INTEGER), line, email, email_key, device_name, platform, enpass_version, last_used, hub_authenticated
FROM staged(CAST($2 AS UBIGINT));
-- No ORDER BY: every read orders explicitly, and sorting millions of rows here was most of the ingest time.
