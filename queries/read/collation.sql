-- The collation of every sort by a text column (name, email, status, ...) in `users`, `export`,
-- the report, the server and `diff`; /*text*/ is the column. Text is lower-cased; the Latin
-- letters that Unicode does not decompose are spelled out (æ ae, œ oe, ß ss, þ th) or take
-- their base letter (ø o, ł l, đ d, ð d, ħ h, ı i, ŧ t); then accents are stripped (Unicode
-- decomposition with the combining marks dropped); what is left compares code point by code
-- point. So "Émile" sorts with "Emile" and "emile", "Łukasz" with "Lukas", "Ærø" with "aero":
-- a language-neutral order, not one language's (Swedish puts Å after Z; this puts it with A).
-- Every function is DuckDB's own, built into rollcall with its Unicode tables, so the order
-- is the same on every machine whatever its locale. Ties are broken by the email key
-- (read/users.sql). The report has no collation of its own: rollcall embeds each row's rank.
strip_accents(
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
        lower(/*text*/),
        'æ', 'ae'), 'œ', 'oe'), 'ß', 'ss'), 'þ', 'th'),
        'ø', 'o'), 'ł', 'l'), 'đ', 'd'), 'ð', 'd'), 'ħ', 'h'), 'ı', 'i'), 'ŧ', 't'))
