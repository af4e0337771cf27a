-- A device of the user is authenticated with the Enpass Hub.
hub = 'authenticated'
