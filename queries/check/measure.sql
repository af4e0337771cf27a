-- One rule's measure: the users in scope (the filters), the rule's population (those of them
-- matching its `of`) and how many of the population match its predicate. A predicate that is
-- NULL for a user counts as false.
SELECT
    count(*) AS in_scope,
    count(*) FILTER (WHERE coalesce((
/*of*/
    ), false)) AS population,
    count(*) FILTER (WHERE coalesce((
/*of*/
    ), false) AND coalesce((
/*predicate*/
    ), false)) AS matching
FROM users
WHERE (/*scope*/)
