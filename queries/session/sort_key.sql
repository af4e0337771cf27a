-- A read session's `sort_key(text)`: the collation of every sort (read/collation.sql), so an
-- analyst's `rollcall query "… ORDER BY sort_key(name), email_key"` lists users as `users` does.
CREATE OR REPLACE TEMP MACRO sort_key(text) AS /*collation*/
