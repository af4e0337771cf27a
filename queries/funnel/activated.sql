-- Activated License (without stage columns a using user has evidently done every stage)
license = 'assigned' AND coalesce(license_activated, status = 'using')
