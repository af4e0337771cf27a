-- Closes the copy's file.
DETACH rollcall_export_db_target
