-- The users a filtered `remind send` considers, with what picks their template: status and the
-- three stages (NULL when the export had no stage columns). Every status: others are skipped
-- with their reason.
SELECT name, email, email_key, status, license_activated, app_setup_completed, data_added
FROM users
WHERE /*where*/
ORDER BY email_key
