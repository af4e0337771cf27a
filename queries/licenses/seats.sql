-- The seats recorded for the read scope's snapshot and the users holding a license in it (all
-- of them: seats are the organisation's, whatever the filters). No row: seats unknown.
SELECT s.seats, (SELECT count(*) FROM users WHERE license = 'assigned') AS assigned
FROM license_seats s
WHERE s.snapshot_id = (SELECT snapshot_id FROM params)
