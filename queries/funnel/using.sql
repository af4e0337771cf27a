-- Added data (using Enpass)
status = 'using'
