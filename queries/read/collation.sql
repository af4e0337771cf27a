-- The collation of every sort by a text column (name, email, status, ...) in `users`, `export`,
-- the report, the server, `diff` and `licenses todo`; /*text*/ is the column. Text is
-- lower-cased and its accents stripped (Unicode decomposition with the combining marks
-- dropped); then the Latin letters Unicode does not decompose are spelled out (æ ae, œ oe,
-- ß ss, þ th) or take their base letter (ø o, ł l, đ d, ð d, ħ h, ı i, ŧ t), after the
-- stripping so that ǿ and ǽ reach them too; what is left compares code point by code point.
-- So "Émile" sorts with "Emile" and "emile", "Łukasz" with "Lukas", "Ærø" with "aero": a
-- language-neutral order, not one language's (Swedish puts Å after Z; this puts it with A).
-- Every function is DuckDB's own, built into rollcall with its Unicode tables, so the order
-- is the same on every machine whatever its locale. Ties are broken by the email key
-- (read/users.sql). The report has no collation of its own: rollcall embeds each row's rank.
-- The CASE only saves work: text that is plain ASCII once stripped skips the eleven replaces
-- (a sorted page of a million users took 110 ms with them on every row, 85 ms with the CASE).
CASE
    WHEN strlen(strip_accents(lower(/*text*/))) = length(strip_accents(lower(/*text*/)))
        THEN strip_accents(lower(/*text*/))
    ELSE
        replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
            strip_accents(lower(/*text*/)),
            'æ', 'ae'), 'œ', 'oe'), 'ß', 'ss'), 'þ', 'th'),
            'ø', 'o'), 'ł', 'l'), 'đ', 'd'), 'ð', 'd'), 'ħ', 'h'), 'ı', 'i'), 'ŧ', 't')
END
