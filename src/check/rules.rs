//! The rules file of `rollcall check`: TOML read into [`Rule`]s, every problem one line naming
//! the file, where in it (line and column when TOML knows them), the rule and what is wrong.
//! Only the file's own shape is checked here; the SQL is checked against the database by
//! [`super::prepare`].

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

/// Whether a failing rule fails the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// What a rule measures against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Threshold {
    /// At least this share (0 to 1) of the population matches the predicate.
    MinShare(f64),
    /// At most this many users of the population match the predicate.
    MaxCount(u64),
}

/// Where a rule's predicate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// SQL over the `users` view, from the rules file.
    Where(String),
    /// A saved filter's name (queries/filters/NAME.sql or --queries DIR).
    Filter(String),
}

/// One rule, as the file gives it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rule {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) source: Source,
    /// The population's predicate; `None`: every user in scope.
    pub(crate) of: Option<String>,
    pub(crate) threshold: Threshold,
    pub(crate) severity: Severity,
    /// The line of the rule's table in the file, for messages about its SQL.
    pub(crate) line: usize,
}

/// The file as TOML has it. Every field is optional so that a missing one is reported in the
/// same words as the other problems, with the rule named.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    #[serde(default)]
    rule: Vec<Spanned<RuleSpec>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    name: Option<String>,
    description: Option<String>,
    #[serde(rename = "where")]
    where_: Option<String>,
    filter: Option<String>,
    of: Option<String>,
    min_share: Option<f64>,
    max_count: Option<i64>,
    severity: Option<Severity>,
}

/// Line and column (1-based, in characters) of a byte offset.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, col)
}

/// How a rule is named in a message: its name when it has one, else its place in the file.
pub(crate) fn rule_label(name: Option<&str>, index: usize) -> String {
    match name {
        Some(n) if !n.trim().is_empty() => format!("rule '{n}'"),
        _ => format!("rule #{index}"),
    }
}

/// A `[[rule]]` header line (spaces and a trailing comment allowed).
fn is_rule_header(line: &str) -> bool {
    let head: String = line
        .split('#')
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    head == "[[rule]]"
}

/// The `[[rule]]` a byte offset lies in (1-based), and its name, for errors TOML reports by
/// position only. The name is read from the line `name = "…"` of that table, so that a syntax
/// error later in the rule still names it.
fn rule_at(text: &str, offset: usize) -> Option<(usize, Option<String>)> {
    let mut index = 0;
    let mut at = 0;
    let mut header_end = 0;
    for line in text.split_inclusive('\n') {
        if at > offset {
            break;
        }
        if is_rule_header(line) {
            index += 1;
            header_end = at + line.len();
        }
        at += line.len();
    }
    if index == 0 {
        return None;
    }
    let name = text[header_end..]
        .lines()
        .take_while(|l| !l.trim_start().starts_with('['))
        .find_map(|l| {
            let (key, value) = l.split_once('=')?;
            if key.trim() != "name" {
                return None;
            }
            let value = value.trim();
            let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            let inner = &value[1..];
            Some(inner[..inner.find(quote)?].to_string())
        });
    Some((index, name))
}

/// Parses and checks a rules file's text; `file` is how messages name it.
pub(crate) fn parse(file: &str, text: &str) -> Result<Vec<Rule>, String> {
    let spec: FileSpec = toml::from_str(text).map_err(|e| {
        let message = e.message().trim().replace('\n', " ");
        // TOML's own words for its errors, with "field" read as the file's "key".
        let message = message
            .replace("unknown field", "unknown key")
            .replace("expected one of", "expected one of the keys");
        match e.span() {
            Some(span) => {
                let (line, col) = position(text, span.start);
                let rule = rule_at(text, span.start)
                    .map(|(i, name)| format!("{}: ", rule_label(name.as_deref(), i)))
                    .unwrap_or_default();
                format!("{file}:{line}:{col}: {rule}{message}")
            }
            None => format!("{file}: {message}"),
        }
    })?;
    if spec.rule.is_empty() {
        return Err(format!(
            "{file}: defines no rules (each rule is a [[rule]] table with name, description, where or filter, and min_share or max_count)"
        ));
    }
    let mut rules: Vec<Rule> = Vec::new();
    for (i, spanned) in spec.rule.into_iter().enumerate() {
        let span: Range<usize> = spanned.span();
        let (line, _) = position(text, span.start);
        let r = spanned.into_inner();
        let label = rule_label(r.name.as_deref(), i + 1);
        let fail = |problem: String| format!("{file}:{line}: {label}: {problem}");
        let name = match r.name {
            Some(n) if !n.trim().is_empty() => n,
            Some(_) => return Err(fail("`name` is empty".into())),
            None => return Err(fail("has no `name`".into())),
        };
        if let Some(first) = rules.iter().find(|o| o.name == name) {
            return Err(fail(format!(
                "duplicate name: line {} already has a rule named '{name}'",
                first.line
            )));
        }
        let description = match r.description {
            Some(d) if !d.trim().is_empty() => d,
            _ => return Err(fail("has no `description`".into())),
        };
        let source = match (r.where_, r.filter) {
            (Some(_), Some(_)) => {
                return Err(fail(
                    "has both `where` and `filter`: give exactly one".into(),
                ))
            }
            (None, None) => {
                return Err(fail(
                    "has neither `where` nor `filter`: give exactly one".into(),
                ))
            }
            (Some(w), None) if w.trim().is_empty() => return Err(fail("`where` is empty".into())),
            (None, Some(f)) if f.trim().is_empty() => return Err(fail("`filter` is empty".into())),
            (Some(w), None) => Source::Where(w),
            (None, Some(f)) => Source::Filter(f.trim().to_string()),
        };
        let of = match r.of {
            Some(o) if o.trim().is_empty() => return Err(fail("`of` is empty".into())),
            other => other,
        };
        let threshold = match (r.min_share, r.max_count) {
            (Some(_), Some(_)) => {
                return Err(fail(
                    "has both `min_share` and `max_count`: give exactly one".into(),
                ))
            }
            (None, None) => {
                return Err(fail(
                    "has neither `min_share` nor `max_count`: give exactly one".into(),
                ))
            }
            (Some(s), None) if !(0.0..=1.0).contains(&s) => {
                return Err(fail(format!(
                    "`min_share` is {s}: it is a share between 0 and 1 (0.95 for 95%)"
                )))
            }
            (Some(s), None) => Threshold::MinShare(s),
            (None, Some(c)) if c < 0 => {
                return Err(fail(format!(
                    "`max_count` is {c}: it is a number of users, 0 or more"
                )))
            }
            (None, Some(c)) => Threshold::MaxCount(c as u64),
        };
        rules.push(Rule {
            name,
            description,
            source,
            of,
            threshold,
            severity: r.severity.unwrap_or(Severity::Error),
            line,
        });
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[[rule]]
name = "stuck"
description = "No one stuck"
where = "status = 'pending'"
max_count = 0

[[rule]]
name = "hub"
description = "Most on the Hub"
of = "license = 'assigned'"
filter = "hub-authenticated"
min_share = 0.95
severity = "warning"
"#;

    #[test]
    fn a_good_file_reads_with_defaults() {
        let rules = parse("r.toml", GOOD).unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].severity, Severity::Error);
        assert_eq!(rules[0].threshold, Threshold::MaxCount(0));
        assert_eq!(rules[0].source, Source::Where("status = 'pending'".into()));
        assert_eq!(rules[0].of, None);
        assert_eq!(rules[0].line, 2);
        assert_eq!(rules[1].severity, Severity::Warning);
        assert_eq!(rules[1].threshold, Threshold::MinShare(0.95));
        assert_eq!(rules[1].source, Source::Filter("hub-authenticated".into()));
        assert_eq!(rules[1].of.as_deref(), Some("license = 'assigned'"));
        assert_eq!(rules[1].line, 8);
    }

    #[test]
    fn an_integer_share_is_a_share() {
        let text = GOOD.replace("0.95", "1");
        assert_eq!(
            parse("r.toml", &text).unwrap()[1].threshold,
            Threshold::MinShare(1.0)
        );
    }

    fn err(text: &str) -> String {
        let e = parse("r.toml", text).unwrap_err();
        assert!(!e.contains('\n'), "{e}");
        e
    }

    #[test]
    fn syntax_errors_name_line_column_and_rule() {
        let e = err(&GOOD.replace("max_count = 0", "max_count = = 0"));
        assert!(e.starts_with("r.toml:6:13: rule 'stuck': "), "{e}");
    }

    #[test]
    fn unknown_keys_are_refused_with_their_line() {
        let e = err(&GOOD.replace("of = ", "off = "));
        assert!(
            e.starts_with("r.toml:11:1: rule 'hub': unknown key `off`"),
            "{e}"
        );
        let e = err("colour = 1\n");
        assert!(e.starts_with("r.toml:1:1: unknown key `colour`"), "{e}");
    }

    #[test]
    fn each_shape_problem_is_one_line_naming_the_rule() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "name = \"hub\"",
                "name = \"stuck\"",
                "r.toml:8: rule 'stuck': duplicate name: line 2 already has a rule named 'stuck'",
            ),
            ("name = \"hub\"\n", "", "r.toml:8: rule #2: has no `name`"),
            (
                "description = \"No one stuck\"\n",
                "",
                "r.toml:2: rule 'stuck': has no `description`",
            ),
            (
                "max_count = 0",
                "max_count = 0\nmin_share = 0.5",
                "r.toml:2: rule 'stuck': has both `min_share` and `max_count`",
            ),
            (
                "max_count = 0",
                "",
                "r.toml:2: rule 'stuck': has neither `min_share` nor `max_count`",
            ),
            (
                "max_count = 0",
                "max_count = -1",
                "r.toml:2: rule 'stuck': `max_count` is -1",
            ),
            (
                "min_share = 0.95",
                "min_share = 1.5",
                "r.toml:8: rule 'hub': `min_share` is 1.5: it is a share between 0 and 1",
            ),
            (
                "filter = \"hub-authenticated\"",
                "filter = \"x\"\nwhere = \"TRUE\"",
                "r.toml:8: rule 'hub': has both `where` and `filter`",
            ),
            (
                "filter = \"hub-authenticated\"\n",
                "",
                "r.toml:8: rule 'hub': has neither `where` nor `filter`",
            ),
            (
                "where = \"status = 'pending'\"",
                "where = \"  \"",
                "r.toml:2: rule 'stuck': `where` is empty",
            ),
        ];
        for (from, to, want) in cases {
            let text = GOOD.replacen(from, to, 1);
            assert_ne!(text, GOOD, "{from}");
            let e = err(&text);
            assert!(e.starts_with(want), "{from} → {to}:\n{e}\nwanted {want}");
        }
    }

    #[test]
    fn type_errors_and_bad_severity_have_a_position() {
        let e = err(&GOOD.replace("severity = \"warning\"", "severity = \"fatal\""));
        assert!(
            e.starts_with("r.toml:14:12: rule 'hub': unknown variant `fatal`"),
            "{e}"
        );
        let e = err(&GOOD.replace("max_count = 0", "max_count = 0.5"));
        assert!(e.starts_with("r.toml:6:13: rule 'stuck': "), "{e}");
    }

    #[test]
    fn an_empty_file_has_no_rules() {
        assert!(err("").starts_with("r.toml: defines no rules"));
        assert!(err("# nothing\n").starts_with("r.toml: defines no rules"));
    }
}
