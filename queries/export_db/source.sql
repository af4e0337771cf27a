-- The name DuckDB gave the rollcall database (from its file name): what COPY FROM DATABASE reads.
SELECT current_database()
