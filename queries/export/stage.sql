-- Parquet exports: the rows are staged in a temporary table because COPY cannot bind parameters.
CREATE OR REPLACE TEMP TABLE rollcall_export AS /*query*/
