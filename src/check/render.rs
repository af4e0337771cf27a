//! `rollcall check`'s outcome as text (for a person: offenders of failing rules, capped), JSON
//! (every rule, every offender) or JUnit XML (one testsuite, one testcase per rule, for CI).
//! The XML is written here by hand, every value escaped, to stay valid against the common JUnit
//! schema (Ant's: `properties`, testcases, `system-out`, `system-err`; a testcase holds at most a
//! `failure`), which is why failed warnings go to the suite's properties and `system-out`.

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::{Outcome, Report, Source, Threshold, Verdict};
use crate::output::{self, Cell, Grid};
use crate::style::{Paint, Tone};
use crate::util::thousands;

/// Offenders listed per failing rule in text.
pub(crate) const TEXT_OFFENDERS: u64 = 20;

/// A share as a percentage, to at most two decimals: `0.95` → `95%`, `0.9625` → `96.25%`.
fn percent(share: f64) -> String {
    let text = format!("{:.2}", share * 100.0);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

fn users(n: u64) -> String {
    format!("{} user{}", thousands(n), if n == 1 { "" } else { "s" })
}

/// What was measured against what, in one line: the text's second line, JUnit's message.
pub(crate) fn measured(o: &Outcome) -> String {
    match o.rule.threshold {
        Threshold::MaxCount(max) => format!(
            "{} offending, at most {} allowed (population {})",
            users(o.offender_count),
            thousands(max),
            users(o.population)
        ),
        Threshold::MinShare(min) => match o.share() {
            None => format!(
                "no users in the population: holds (at least {} required)",
                percent(min)
            ),
            Some(share) => format!(
                "{} ({} of {}) match, at least {} required; {} offending",
                percent(share),
                thousands(o.matching),
                users(o.population),
                percent(min),
                users(o.offender_count)
            ),
        },
    }
}

fn scope_line(r: &Report) -> String {
    format!(
        "snapshot {}, as of {}, {}-day window, {}: {} in scope",
        r.scope.snapshot.id,
        crate::util::iso(&r.scope.as_of),
        r.scope.window_days,
        r.filters,
        users(r.in_scope)
    )
}

/// The text report; `width` fits the offender tables (`None`: unlimited), `paint` colours the
/// verdicts (`--color`).
pub(crate) fn text(r: &Report, width: Option<usize>, paint: Paint) -> String {
    const INDENT: &str = "      ";
    let mut out = String::new();
    let _ = writeln!(out, "{}: {}", r.file, scope_line(r));
    if let Some(p) = &r.pseudonymized {
        let _ = writeln!(
            out,
            "names and emails are pseudonymised ({}, key id {})",
            p.method, p.key_id
        );
    }
    for o in &r.outcomes {
        let tag = match o.verdict() {
            Verdict::Pass => paint.paint(Tone::Good, "PASS"),
            Verdict::Fail => paint.paint(Tone::Bad, "FAIL"),
            Verdict::Warn => paint.paint(Tone::Warn, "WARN"),
        };
        let _ = writeln!(
            out,
            "\n{tag}  {} ({}): {}",
            o.rule.name,
            o.rule.severity.as_str(),
            o.rule.description
        );
        let _ = writeln!(out, "{INDENT}{}", measured(o));
        if o.holds || o.offenders.is_empty() {
            continue;
        }
        let grid = Grid {
            headers: ["email", "name", "status"].map(String::from).to_vec(),
            rows: o
                .offenders
                .iter()
                .take(TEXT_OFFENDERS as usize)
                .map(|u| {
                    vec![
                        Cell::Text(u.email.clone()),
                        Cell::Text(u.name.clone()),
                        Cell::Text(u.status.clone()),
                    ]
                })
                .collect(),
        };
        let table = output::table(&grid, width.map(|w| w.saturating_sub(INDENT.len())));
        for line in table.lines() {
            let _ = writeln!(out, "{INDENT}{line}");
        }
        let shown = grid.rows.len() as u64;
        if o.offender_count > shown {
            let _ = writeln!(
                out,
                "{INDENT}… and {} more (--format json or junit lists them all)",
                thousands(o.offender_count - shown)
            );
        }
    }
    let (passed, failed, warned) = (
        r.count(Verdict::Pass),
        r.count(Verdict::Fail),
        r.count(Verdict::Warn),
    );
    let _ = writeln!(
        out,
        "\n{} rule{}: {passed} passed, {failed} failed, {warned} warning{}",
        r.outcomes.len(),
        if r.outcomes.len() == 1 { "" } else { "s" },
        if warned == 1 { "" } else { "s" }
    );
    out
}

/// The JSON report: every rule with its measure and all its offenders (for a min_share rule
/// that holds too: they are still the users not matching).
pub(crate) fn json(r: &Report) -> Value {
    let rules: Vec<Value> = r
        .outcomes
        .iter()
        .map(|o| {
            let (kind, threshold, value) = match o.rule.threshold {
                Threshold::MaxCount(max) => ("max_count", json!(max), json!(o.offender_count)),
                Threshold::MinShare(min) => ("min_share", json!(min), json!(o.share())),
            };
            let (source_key, source) = match &o.rule.source {
                Source::Where(w) => ("where", w.clone()),
                Source::Filter(f) => ("filter", f.clone()),
            };
            let mut rule = json!({
                "name": o.rule.name,
                "description": o.rule.description,
                "severity": o.rule.severity.as_str(),
                "of": o.rule.of,
                "kind": kind,
                "threshold": threshold,
                "value": value,
                "population": o.population,
                "matching": o.matching,
                "outcome": o.verdict().as_str(),
                "offender_count": o.offender_count,
                "offenders": o.offenders,
                "line": o.rule.line,
            });
            rule[source_key] = json!(source);
            if let Source::Filter(_) = o.rule.source {
                rule["predicate"] = json!(o.predicate);
            }
            rule
        })
        .collect();
    json!({
        "rules_file": r.file,
        "snapshot": r.scope.snapshot.id,
        "as_of": crate::util::iso(&r.scope.as_of),
        "window_days": r.scope.window_days,
        "filters": r.filters,
        "users_in_scope": r.in_scope,
        "passed": r.passed(),
        "counts": {
            "rules": r.outcomes.len(),
            "pass": r.count(Verdict::Pass),
            "fail": r.count(Verdict::Fail),
            "warn": r.count(Verdict::Warn),
        },
        "rules": rules,
        "pseudonymized": r.pseudonymized,
    })
}

/// Text for XML: markup escaped, and the characters XML 1.0 cannot hold at all (most C0
/// controls, unpaired surrogates cannot occur in a `str`, U+FFFE, U+FFFF) replaced by U+FFFD.
/// In attributes, tab and line breaks become character references so they survive
/// attribute-value normalisation.
fn escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// A rule's offenders, one per line, for a failure's body or `system-out`.
fn offender_lines(o: &Outcome) -> String {
    let mut out = format!("{}:\n", users(o.offender_count));
    for u in &o.offenders {
        let _ = writeln!(out, "  {}  {}  {}", u.email, u.name, u.status);
    }
    out
}

/// The JUnit XML report. `hostname`: the machine's name (the schema requires one).
pub(crate) fn junit(r: &Report, hostname: &str) -> String {
    let failures = r.count(Verdict::Fail);
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuite name=\"rollcall check\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" timestamp=\"{}\" hostname=\"{}\" time=\"{:.3}\">",
        r.outcomes.len(),
        // The schema's timestamp has no zone: this is UTC.
        r.started.format("%Y-%m-%dT%H:%M:%S"),
        escape(if hostname.is_empty() { "localhost" } else { hostname }, true),
        r.elapsed.as_secs_f64()
    );
    out.push_str("  <properties>\n");
    let mut property = |name: &str, value: &str| {
        let _ = writeln!(
            out,
            "    <property name=\"{}\" value=\"{}\"/>",
            escape(name, true),
            escape(value, true)
        );
    };
    property("rules_file", &r.file);
    property("snapshot", &r.scope.snapshot.id.to_string());
    property("as_of", &crate::util::iso(&r.scope.as_of));
    property("window_days", &r.scope.window_days.to_string());
    property("filters", &r.filters);
    property("users_in_scope", &r.in_scope.to_string());
    if let Some(p) = &r.pseudonymized {
        property(
            "pseudonymized",
            &format!("{} key id {}", p.method, p.key_id),
        );
    }
    for o in r.outcomes.iter().filter(|o| o.verdict() == Verdict::Warn) {
        property(
            &format!("warning:{}", o.rule.name),
            &format!("{}: {}", o.rule.description, measured(o)),
        );
    }
    out.push_str("  </properties>\n");
    for o in &r.outcomes {
        let _ = write!(
            out,
            "  <testcase name=\"{}\" classname=\"rollcall.check.{}\" time=\"{:.3}\"",
            escape(&o.rule.name, true),
            o.rule.severity.as_str(),
            o.elapsed.as_secs_f64()
        );
        if o.verdict() == Verdict::Fail {
            let kind = match o.rule.threshold {
                Threshold::MaxCount(_) => "max_count",
                Threshold::MinShare(_) => "min_share",
            };
            let _ = write!(
                out,
                ">\n    <failure message=\"{}\" type=\"{kind}\">{}\n{}</failure>\n  </testcase>\n",
                escape(&format!("{}: {}", o.rule.description, measured(o)), true),
                escape(&o.rule.description, false),
                escape(&offender_lines(o), false)
            );
        } else {
            out.push_str("/>\n");
        }
    }
    let warnings: Vec<&Outcome> = r
        .outcomes
        .iter()
        .filter(|o| o.verdict() == Verdict::Warn)
        .collect();
    if warnings.is_empty() {
        out.push_str("  <system-out/>\n");
    } else {
        out.push_str("  <system-out>");
        for o in warnings {
            let text = format!(
                "WARNING {}: {}: {}\n{}",
                o.rule.name,
                o.rule.description,
                measured(o),
                offender_lines(o)
            );
            out.push_str(&escape(&text, false));
        }
        out.push_str("</system-out>\n");
    }
    out.push_str("  <system-err/>\n</testsuite>\n");
    out
}

/// The machine's name for JUnit's `hostname`, or `localhost` when it cannot be read.
pub(crate) fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that many bytes.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "localhost".into();
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    let name = String::from_utf8_lossy(&buf[..end]).trim().to_string();
    if name.is_empty() {
        "localhost".into()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_trim_but_never_round_up_to_the_threshold_silently() {
        assert_eq!(percent(0.95), "95%");
        assert_eq!(percent(0.9625), "96.25%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(189.0 / 199.0), "94.97%");
    }

    #[test]
    fn xml_escapes_markup_quotes_and_forbidden_characters() {
        assert_eq!(
            escape("a<b>&\"c\"'d'\t\n\r\u{1}\u{ffff}é", true),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;&#9;&#10;&#13;\u{fffd}\u{fffd}é"
        );
        assert_eq!(
            escape("a<b>&\"'\t\n\u{0}", false),
            "a&lt;b&gt;&amp;\"'\t\n\u{fffd}"
        );
    }
}
