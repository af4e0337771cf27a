-- The users matching the filters, and all users of the scope.
SELECT count(*) FILTER (WHERE /*where*/) AS matches, count(*) AS total FROM users
