-- One rule's offending users, in email order: the population's users whose predicate is the
-- bound value (true for a max_count rule, false for a min_share rule; NULL counts as false),
-- at most the bound number of them.
SELECT email, name, status
FROM users
WHERE (/*scope*/)
  AND coalesce((
/*of*/
  ), false)
  AND coalesce((
/*predicate*/
  ), false) = CAST(? AS BOOLEAN)
ORDER BY email_key, email
LIMIT ?
