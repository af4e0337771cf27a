-- The three emails closest to an unknown one, for "did you mean".
SELECT email FROM users ORDER BY levenshtein(email_key, ?), email_key LIMIT 3
