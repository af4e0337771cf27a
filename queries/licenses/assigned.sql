-- The users holding a license in the read scope's snapshot: all of them, whatever the filters
-- (seats are the organisation's).
SELECT count(*) AS assigned FROM users WHERE license = 'assigned'
