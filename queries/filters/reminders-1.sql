-- Exactly one setup reminder email sent.
reminders_sent = 1
