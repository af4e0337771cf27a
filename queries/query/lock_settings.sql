-- After rollcall's settings: the analyst's SQL can no longer change any (a `SET memory_limit`
-- in front of a SELECT would otherwise lift the bound).
SET lock_configuration = true
