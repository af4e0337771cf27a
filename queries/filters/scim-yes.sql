-- Provisioned via SCIM.
scim
