-- Total users
TRUE
