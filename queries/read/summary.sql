-- The whole summary in one scan of the users view: the total, then one count per funnel step
-- and facet value (Rust fills in /*counts*/ from funnel/ and filters/), then the users in scope
-- whose last use lies after the as-of instant, with the first few of them by email.
SELECT count(*) AS total,
/*counts*/,
 count(*) FILTER (WHERE last_used > (SELECT as_of FROM params) AND (/*where*/)) AS future,
 string_agg(email, chr(10) ORDER BY last_used DESC, email_key) FILTER (WHERE last_used > (SELECT as_of FROM params) AND (/*where*/)) AS future_examples
FROM users
