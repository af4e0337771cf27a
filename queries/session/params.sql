-- The scope every read is about: snapshot, as-of instant (T) and activity window in days (W),
-- always bound as parameters. Read sessions hold it in a temporary `params` table; manifests
-- put it in front of the statement as a CTE so the recorded SQL runs on its own.
SELECT CAST(? AS INTEGER) AS snapshot_id, CAST(? AS TIMESTAMP) AS as_of, CAST(? AS INTEGER) AS window_days
