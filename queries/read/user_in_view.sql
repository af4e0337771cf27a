-- Whether a user (by email key) is among the users a filter set selects: a scoped server's
-- /api/user answers only for users within its filters.
SELECT count(*) FROM users WHERE email_key = ? AND (/*where*/)
