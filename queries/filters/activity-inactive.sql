-- Inactive in the past window: used before, but not since as-of minus the window.
activity = 'inactive'
