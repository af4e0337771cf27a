-- Using Enpass: the user has completed setup (license activated, app set up, data added).
status = 'using'
