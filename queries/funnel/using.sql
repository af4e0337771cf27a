-- Added Data in App: the users Using Enpass
status = 'using'
