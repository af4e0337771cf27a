-- The staged rows' count, for the manifest.
SELECT count(*) FROM rollcall_export
