-- Active in the past window (default 30 days): last use after as-of minus the window.
activity = 'active'
