-- Lists users whose status is Using Enpass but who have never used it: no Last Used on their row
-- or any device. The console's own status says using; the activity data says never, so one of
-- them is wrong. Parameters: 1 snapshot id, 2 users file name.
INSERT INTO notice_records
SELECT snapshot_id, 'using-never-used', CAST($2 AS VARCHAR), line, email,
       'status is Using Enpass but there is no use on record (no Last Used on the row or any device)'
FROM user_records
WHERE snapshot_id = CAST($1 AS INTEGER) AND status = 'using' AND last_used IS NULL
ORDER BY line;
