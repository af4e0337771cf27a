-- License Assigned
license = 'assigned'
