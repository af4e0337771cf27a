-- License assigned
license = 'assigned'
