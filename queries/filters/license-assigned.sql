-- Users who have been assigned a license.
license = 'assigned'
