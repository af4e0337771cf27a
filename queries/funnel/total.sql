-- Total Users
TRUE
