-- Name or email contains the search text, case folded (Unicode-aware lower()). The two ? are the same text.
(contains(lower(coalesce(name, '')), lower(CAST(? AS VARCHAR))) OR contains(lower(email), lower(CAST(? AS VARCHAR))))
