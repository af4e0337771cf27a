-- Records a schema step: version, applied_at, tool_version.
INSERT INTO schema_version VALUES (?, ?, ?)
