-- How many rows of a snapshot were rejected (the total beside a page of them).
SELECT count(*) FROM reject_records WHERE snapshot_id = ?
