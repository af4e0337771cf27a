-- Three or more setup reminder emails sent.
reminders_sent >= 3
