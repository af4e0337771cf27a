-- A read session's view of one scope: views/NAME.sql over the temporary params table.
CREATE OR REPLACE TEMP VIEW /*name*/ AS /*body*/
