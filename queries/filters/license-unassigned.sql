-- Users who exist in the system but have no license assigned.
license = 'unassigned'
