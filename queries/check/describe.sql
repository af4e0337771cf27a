-- Bound, never run: the type of a rule's predicate (`where`, `filter` or `of`), which must be
-- BOOLEAN. DESCRIBE binds the SELECT without reading a row.
DESCRIBE SELECT (
/*predicate*/
) AS value FROM users
