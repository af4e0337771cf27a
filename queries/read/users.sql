-- The users list that `users`, `export`, the report and the server all run, so they agree.
-- Rust fills in the checked column list, the filters' predicate and the sort key; text sorts
-- case-insensitively, NULLs last, and the email key breaks ties so every order is total.
SELECT /*columns*/
FROM users
WHERE /*where*/
ORDER BY /*sort*/ NULLS LAST, email_key ASC
