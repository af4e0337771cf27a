-- `license_decisions`: every license worklist decision with its state. A decision is done once
-- a snapshot whose as-of is later than the marked snapshot's shows the change (assign: the
-- user's license assigned; reclaim: unassigned), with the first such snapshot as confirmed_by;
-- open until then. Computed from the whole database, whichever snapshot the other views show.
SELECT
    w.email,
    w.email_key,
    w.action,
    w.note,
    w.marked_at,
    w.snapshot_id AS marked_snapshot,
    CASE WHEN c.confirmed_by IS NULL THEN 'open' ELSE 'done' END AS state,
    c.confirmed_by
FROM license_worklist w
LEFT JOIN (
    SELECT w2.rowid AS id, arg_min(s.id, s.as_of) AS confirmed_by
    FROM license_worklist w2
    JOIN snapshots m ON m.id = w2.snapshot_id
    JOIN snapshots s ON s.as_of > m.as_of
    JOIN user_records u ON u.snapshot_id = s.id AND u.email_key = w2.email_key
    WHERE u.license = CASE w2.action WHEN 'assign' THEN 'assigned' ELSE 'unassigned' END
    GROUP BY w2.rowid
) c ON c.id = w.rowid
