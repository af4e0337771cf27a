-- Schema 5: the persistent view `license_decisions` (queries/views/license_decisions.sql), the
-- worklist's decisions with their state for analysts. Views are remade from queries/views/ on
-- every upgrade, so this step changes no table; it records that the file has the view.
SELECT 1;
