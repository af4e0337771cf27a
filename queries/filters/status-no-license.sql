-- No License: the user has not been assigned a license.
status = 'no-license'
