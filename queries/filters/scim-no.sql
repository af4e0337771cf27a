-- Added manually, not via SCIM.
NOT scim
