-- Writes the write-ahead log into the database file, so a copy of the file is the whole database.
CHECKPOINT
