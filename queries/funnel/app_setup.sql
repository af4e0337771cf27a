-- Completed App Setup (without stage columns a using user has evidently done every stage)
license = 'assigned' AND coalesce(app_setup_completed, status = 'using')
