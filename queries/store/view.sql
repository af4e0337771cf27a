-- The persistent views that analysts' own DuckDB clients see: views/NAME.sql over the latest
-- snapshot (views/latest_params.sql).
CREATE OR REPLACE VIEW /*name*/ AS WITH params AS (/*latest*/) /*body*/
