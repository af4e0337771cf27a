-- One user's details page, by the email key (trimmed, lower-cased).
SELECT name, email, scim, license, status, activity, hub, last_used, reminders_sent,
       license_activated, license_activated_at, app_setup_completed, app_setup_completed_at,
       data_added, data_added_at
FROM users WHERE email_key = ?
