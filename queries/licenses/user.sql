-- One user of the read scope by email key, for `rollcall licenses mark`: email and license.
SELECT email, license FROM users WHERE email_key = ?
