-- Lists users whose exported Status disagrees with the derived one. Parameters: 1 snapshot id, 2 users file name.
INSERT INTO notice_records
SELECT snapshot_id, 'status-disagreement', CAST($2 AS VARCHAR), line, email,
       'Status column says ' || status_given || ' but license and stages give ' || status
FROM user_records
WHERE snapshot_id = CAST($1 AS INTEGER) AND status_given IS NOT NULL AND status_given <> status
ORDER BY line;
