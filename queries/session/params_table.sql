-- A read session's scope: the temporary table every view in views/ joins.
CREATE OR REPLACE TEMP TABLE params AS /*params*/
