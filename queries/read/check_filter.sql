-- Prepared, never run: checks that a custom filter parses and binds against the users view.
SELECT count(*) FROM users WHERE (/*where*/)
