-- The users list of `--pseudonymize`: read/users.sql's rows (the filters select on the real
-- data), with names and emails replaced by keyed pseudonyms before the rows are sorted, so
-- neither the order nor a tie between equal values says anything of the real names. The
-- functions exist only while rollcall holds a key (src/store/pseudo.rs); the email key stays
-- for the report's own join with devices and no column list a user can ask for includes it.
-- A missing or empty name stays as it is.
SELECT /*columns*/
FROM (
    SELECT * REPLACE (
        CASE WHEN name IS NULL OR name = '' THEN name ELSE rollcall_pseudo_name(email_key) END AS name,
        rollcall_pseudo_email(email_key) AS email
    )
    FROM users
    WHERE /*where*/
) AS users
ORDER BY /*sort*/ NULLS LAST, email ASC
