-- Every worklist decision with its state (the `license_decisions` view), oldest first; those
-- marked together in order of email.
SELECT * FROM license_decisions ORDER BY marked_at, email
