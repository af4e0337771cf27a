-- Every table with its rows, and the persistent views, sequences and macros, into the copy.
-- The source name is the quoted identifier of export_db/source.sql's answer.
COPY FROM DATABASE /*source*/ TO rollcall_export_db_target
