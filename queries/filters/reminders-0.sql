-- No setup reminder emails sent.
reminders_sent = 0
