-- How a manifest records the statement that ran so it runs on its own in any DuckDB client
-- against the file: the scope's parameters and the users view as CTEs in front of it.
WITH params AS (/*params*/),
users AS (
/*users*/
)
/*statement*/
