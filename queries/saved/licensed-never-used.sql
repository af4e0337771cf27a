-- Users with a license assigned who have never used Enpass.
SELECT name, email, status, reminders_sent
FROM users
WHERE license = 'assigned' AND activity = 'never'
ORDER BY email
