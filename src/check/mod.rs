//! `rollcall check`: policy rules over the `users` view. A rules file ([`rules`]) is read and
//! every rule's SQL checked against the database before any rule runs; then each rule is
//! measured over the users in scope (the filters) on the analysts' read-only session, with no
//! file access and bounded memory and time, like `rollcall query`; [`render`] writes the outcome
//! as text, JSON or JUnit XML. The command line stays in `cmd/check.rs`.
//!
//! The SQL rollcall writes lives in `queries/check/`; the rules' own SQL is the analyst's, joined
//! into those statements by slot, and nothing else is.

pub(crate) mod render;
pub(crate) mod rules;

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;
use chrono::{DateTime, Utc};

pub(crate) use rules::{Rule, Severity, Source, Threshold};

use crate::bounds::{self, Stopwatch};
use crate::error::Failure;
use crate::model::Scope;
use crate::output::{Cell, Grid};
use crate::read::Reader;
use crate::sql::{Param, Stmt};
use crate::store::TimedOut;

/// Reads and parses a rules file; any problem is one usage line (exit 2).
pub(crate) fn load(path: &Path) -> Result<(String, Vec<Rule>)> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Usage(format!("{file}: cannot read the rules file: {e}")))?;
    let rules = rules::parse(&file, &text).map_err(Failure::Usage)?;
    Ok((file, rules))
}

/// A rule whose SQL binds against the database: its predicate resolved (a filter's body) and
/// its statements built.
pub(crate) struct Prepared {
    pub(crate) rule: Rule,
    /// The predicate's SQL: the rule's `where`, or its filter's body.
    pub(crate) predicate: String,
    measure: Stmt,
    /// The offenders statement without its two trailing parameters (which side, how many).
    offenders: Stmt,
}

/// A rule's SQL set between newlines, so a trailing `-- comment` in it cannot swallow the
/// closing parenthesis that follows.
fn fragment(sql: &str) -> Stmt {
    Stmt::new(format!("\n{}\n", sql.trim().trim_end_matches(';')), vec![])
}

/// Checks every rule's SQL against the database: a saved filter that exists, predicates that
/// parse, bind and are BOOLEAN, statements that prepare. The first problem is one usage line
/// naming the file, the rule and the problem.
pub(crate) fn prepare(
    reader: &Reader,
    file: &str,
    rules: Vec<Rule>,
    scope: &Stmt,
) -> Result<Vec<Prepared>> {
    let sql = reader.sql();
    let mut out = Vec::with_capacity(rules.len());
    for rule in rules {
        let fail = |problem: String| -> anyhow::Error {
            Failure::Usage(format!(
                "{file}:{}: {}: {problem}",
                rule.line,
                rules::rule_label(Some(&rule.name), 0)
            ))
            .into()
        };
        let (predicate, what) = match &rule.source {
            Source::Where(w) => (w.clone(), "`where`".to_string()),
            Source::Filter(name) => {
                let all = sql.filters()?;
                let Some(f) = all.get(name) else {
                    return Err(fail(format!(
                        "unknown filter '{name}': `rollcall filters` lists them ({})",
                        all.keys().cloned().collect::<Vec<_>>().join(", ")
                    )));
                };
                let origin = if f.origin == "built-in" {
                    format!("queries/filters/{name}.sql")
                } else {
                    f.origin.clone()
                };
                (f.body(), format!("filter '{name}' ({origin})"))
            }
        };
        let mut checks = vec![(predicate.as_str(), what)];
        if let Some(of) = &rule.of {
            checks.push((of.as_str(), "`of`".to_string()));
        }
        for (text, what) in checks {
            let describe = sql.fill("check/describe.sql", &[("predicate", &fragment(text))])?;
            let grid = reader.store().grid(&describe).map_err(|e| {
                fail(format!(
                    "{what} is not valid SQL over the users view: {e:#}"
                ))
            })?;
            let ty = column_type(&grid)?;
            if ty != "BOOLEAN" {
                return Err(fail(format!(
                    "{what} is not a true/false predicate: its type is {ty}"
                )));
            }
        }
        let of = fragment(rule.of.as_deref().unwrap_or("TRUE"));
        let slots = [
            ("predicate", &fragment(&predicate)),
            ("of", &of),
            ("scope", scope),
        ];
        let measure = sql.fill("check/measure.sql", &slots)?;
        let offenders = sql.fill("check/offenders.sql", &slots)?;
        for s in [&measure, &with_side(&offenders, true, None)] {
            reader
                .store()
                .check(s)
                .map_err(|e| fail(format!("its SQL does not work: {e}")))?;
        }
        out.push(Prepared {
            rule,
            predicate,
            measure,
            offenders,
        });
    }
    Ok(out)
}

/// The `column_type` of DESCRIBE's one row.
fn column_type(grid: &Grid) -> Result<String> {
    let [ty] = grid.columns(["column_type"], "check/describe.sql")?;
    Ok(grid.rows.first().map(|r| r[ty].text()).unwrap_or_default())
}

/// The offenders statement with its parameters: which side of the predicate offends and at most
/// how many rows (`None`: all).
fn with_side(offenders: &Stmt, matching: bool, limit: Option<u64>) -> Stmt {
    let mut s = offenders.clone();
    s.params.push(Param::Text(matching.to_string()));
    s.params.push(Param::Int(
        limit.map_or(i64::MAX, |l| l.min(i64::MAX as u64) as i64),
    ));
    s
}

/// One offending user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Offender {
    pub(crate) email: String,
    pub(crate) name: String,
    pub(crate) status: String,
}

/// A rule's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Pass,
    /// An error rule that does not hold: the run fails.
    Fail,
    /// A warning rule that does not hold: reported, the run does not fail.
    Warn,
}

impl Verdict {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Warn => "warn",
        }
    }
}

/// What one rule measured.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) rule: Rule,
    pub(crate) predicate: String,
    /// Users in scope that match `of`.
    pub(crate) population: u64,
    /// Of those, users matching the predicate.
    pub(crate) matching: u64,
    /// Users offending: matching for max_count, not matching for min_share.
    pub(crate) offender_count: u64,
    /// The offenders fetched (all, or the first ones when capped), in email order.
    pub(crate) offenders: Vec<Offender>,
    pub(crate) holds: bool,
    pub(crate) elapsed: Duration,
}

impl Outcome {
    /// The population's share matching the predicate; `None` for an empty population.
    pub(crate) fn share(&self) -> Option<f64> {
        (self.population > 0).then(|| self.matching as f64 / self.population as f64)
    }

    pub(crate) fn verdict(&self) -> Verdict {
        match (self.holds, self.rule.severity) {
            (true, _) => Verdict::Pass,
            (false, Severity::Error) => Verdict::Fail,
            (false, Severity::Warning) => Verdict::Warn,
        }
    }
}

/// Whether a measure holds: at most `max` offenders, or at least the share (an empty
/// population holds, having no user that could offend).
fn holds(threshold: Threshold, population: u64, matching: u64) -> bool {
    match threshold {
        Threshold::MaxCount(max) => matching <= max,
        // Both sides are the nearest f64 to their exact value, so 19 of 20 meets 0.95.
        Threshold::MinShare(min) => population == 0 || matching as f64 / population as f64 >= min,
    }
}

/// Every rule's outcome, and what they were measured over.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    pub(crate) file: String,
    pub(crate) scope: Scope,
    /// The filters, as `FilterSet::describe` words them.
    pub(crate) filters: String,
    pub(crate) in_scope: u64,
    pub(crate) outcomes: Vec<Outcome>,
    pub(crate) started: DateTime<Utc>,
    pub(crate) elapsed: Duration,
    /// Set by [`Report::pseudonymize`]: what replaced the offenders' names and emails.
    pub(crate) pseudonymized: Option<crate::pseudo::Record>,
}

impl Report {
    /// Whether the run passes: every error rule holds.
    pub(crate) fn passed(&self) -> bool {
        self.outcomes.iter().all(|o| o.verdict() != Verdict::Fail)
    }

    pub(crate) fn count(&self, v: Verdict) -> usize {
        self.outcomes.iter().filter(|o| o.verdict() == v).count()
    }

    /// Replaces every offender's name and email with their pseudonyms (`--pseudonymize`), and
    /// orders them by pseudonym: an order by real address would tell who is who to anyone
    /// holding the staff list. The rules' own text (the analyst's SQL) is left as written.
    pub(crate) fn pseudonymize(&mut self, key: &crate::pseudo::Key) {
        for o in &mut self.outcomes {
            for off in &mut o.offenders {
                let name = key.name(&off.email, Some(&off.name)).unwrap_or_default();
                off.email = key.email(&off.email);
                off.name = name;
            }
            o.offenders.sort_by(|a, b| a.email.cmp(&b.email));
        }
        self.pseudonymized = Some(key.record());
    }
}

/// How long the run may take and how to say it stopped.
pub(crate) struct Bounds {
    pub(crate) timeout: Duration,
    pub(crate) timeout_flag: String,
}

/// Runs every prepared rule in order. `cap`: fetch at most this many offenders per rule
/// (`None`: all of them).
pub(crate) fn run(
    reader: &Reader,
    file: &str,
    prepared: Vec<Prepared>,
    filters: String,
    bounds: &Bounds,
    cap: Option<u64>,
) -> Result<Report> {
    let started = Utc::now();
    let began = Instant::now();
    let clock = Stopwatch::start();
    let mut in_scope = 0;
    let mut outcomes = Vec::with_capacity(prepared.len());
    for p in prepared {
        let rule_began = Instant::now();
        let fail = |e: anyhow::Error| -> anyhow::Error {
            let label = rules::rule_label(Some(&p.rule.name), 0);
            if e.downcast_ref::<TimedOut>().is_some() {
                return Failure::Usage(format!(
                    "{file}:{}: {label}: stopped after {} ({}); the database was not changed",
                    p.rule.line,
                    bounds::show_duration(bounds.timeout),
                    bounds.timeout_flag
                ))
                .into();
            }
            Failure::Usage(format!("{file}:{}: {label}: {e:#}", p.rule.line)).into()
        };
        let measure = collect(reader, &p.measure, bounds, &clock).map_err(fail)?;
        let [scope_at, population_at, matching_at] =
            measure.columns(["in_scope", "population", "matching"], "check/measure.sql")?;
        let row = measure.rows.first().cloned().unwrap_or_default();
        let int = |at: usize| match row.get(at) {
            Some(Cell::Int(n)) => *n as u64,
            _ => 0,
        };
        in_scope = int(scope_at);
        let population = int(population_at);
        let matching = int(matching_at);
        let (offending_side, offender_count) = match p.rule.threshold {
            Threshold::MaxCount(_) => (true, matching),
            Threshold::MinShare(_) => (false, population - matching),
        };
        let offenders = if offender_count == 0 {
            Vec::new()
        } else {
            let s = with_side(&p.offenders, offending_side, cap);
            let grid = collect(reader, &s, bounds, &clock).map_err(fail)?;
            let [email, name, status] =
                grid.columns(["email", "name", "status"], "check/offenders.sql")?;
            grid.rows
                .iter()
                .map(|r| Offender {
                    email: r[email].text(),
                    name: r[name].text(),
                    status: r[status].text(),
                })
                .collect()
        };
        outcomes.push(Outcome {
            holds: holds(p.rule.threshold, population, matching),
            rule: p.rule,
            predicate: p.predicate,
            population,
            matching,
            offender_count,
            offenders,
            elapsed: rule_began.elapsed(),
        });
    }
    Ok(Report {
        file: file.to_string(),
        scope: reader.scope().clone(),
        filters,
        in_scope,
        outcomes,
        pseudonymized: None,
        started,
        elapsed: began.elapsed(),
    })
}

/// A statement's whole result, within the run's time limit.
fn collect(reader: &Reader, s: &Stmt, bounds: &Bounds, clock: &Stopwatch) -> Result<Grid> {
    let mut grid = Grid::default();
    let headers = reader
        .store()
        .stream_within(s, bounds.timeout, clock, |batch| {
            let part = batch.grid(batch.len());
            grid.rows.extend(part.rows);
            Ok(())
        })?;
    grid.headers = headers;
    Ok(grid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_hold_at_their_bounds() {
        assert!(holds(Threshold::MaxCount(0), 10, 0));
        assert!(!holds(Threshold::MaxCount(0), 10, 1));
        assert!(holds(Threshold::MaxCount(3), 10, 3));
        assert!(holds(Threshold::MinShare(0.95), 20, 19));
        assert!(!holds(Threshold::MinShare(0.95), 20, 18));
        assert!(!holds(Threshold::MinShare(0.95), 199, 189));
        assert!(holds(Threshold::MinShare(0.95), 0, 0));
        assert!(holds(Threshold::MinShare(1.0), 7, 7));
        assert!(!holds(Threshold::MinShare(1.0), 7, 6));
        assert!(holds(Threshold::MinShare(0.0), 7, 0));
        // Shares that are not exact in binary: 7 of 10 meets 0.7, 29 of 100 meets 0.29.
        assert!(holds(Threshold::MinShare(0.7), 10, 7));
        assert!(holds(Threshold::MinShare(0.29), 100, 29));
    }
}
