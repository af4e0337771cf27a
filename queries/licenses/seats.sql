-- The seats recorded for the read scope's snapshot. No row: seats unknown (and the licensed users
-- are not counted: a summary without seats scans nothing more).
SELECT s.seats
FROM license_seats s
WHERE s.snapshot_id = (SELECT snapshot_id FROM params)
