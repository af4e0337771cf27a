-- Never used: no last use on the user row or any device.
activity = 'never'
