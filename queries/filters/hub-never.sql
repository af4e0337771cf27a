-- The user has never authenticated a device with the Enpass Hub.
hub = 'never'
