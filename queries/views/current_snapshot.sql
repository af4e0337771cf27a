-- The snapshot, as-of instant and activity window the other views are showing.
SELECT snapshot_id, as_of, window_days FROM params
