-- Lists users whose exported Status was taken as given (the export lacks some stage columns) but
-- one of the stage columns it has says a stage is not done. Parameters: 1 snapshot id, 2 users
-- file name.
INSERT INTO notice_records
SELECT snapshot_id, 'stage-disagreement', CAST($2 AS VARCHAR), line, email,
       'Status column says ' || status_given || ' but ' ||
       concat_ws(', ',
           CASE WHEN license_activated = false THEN 'Activated License' END,
           CASE WHEN app_setup_completed = false THEN 'Completed App Setup' END,
           CASE WHEN data_added = false THEN 'Added Data in App' END) ||
       ' says not done (the export lacks the other stage columns, so the Status column is used)'
FROM user_records
WHERE snapshot_id = CAST($1 AS INTEGER) AND status_given = 'using' AND status = 'using'
  AND (license_activated = false OR app_setup_completed = false OR data_added = false)
  AND (license_activated IS NULL OR app_setup_completed IS NULL OR data_added IS NULL)
ORDER BY line;
