-- Exactly two setup reminder emails sent.
reminders_sent = 2
