-- Pending User Action: the user has a license but has not completed setup.
status = 'pending'
