-- Active users (past 30 days) none of whose devices is authenticated with the Enpass Hub.
SELECT name, email, last_used, device_count
FROM users
WHERE activity = 'active' AND hub = 'never'
ORDER BY last_used DESC, email
