-- One staged TIMESTAMP column as TIMESTAMPTZ, so Parquet marks it isAdjustedToUTC and readers
-- see the same instant the CSV writes with a Z. rollcall's DuckDB has no time-zone extension
-- (ICU), so the cast reads the stored value as UTC whatever the machine's zone.
CAST(/*column*/ AS TIMESTAMPTZ) AS /*column*/
