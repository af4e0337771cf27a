//! Onboarding over time, for `rollcall diff`, `rollcall trend`, the report's changes section
//! and the server's diff page: what changed for each user between two snapshots
//! (`queries/diff/users.sql`, each side at its own as-of) and the funnel and facet counts of
//! every snapshot (the summary's one scan, once per snapshot). The JSON shapes are here.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde::Serialize;

use super::{predicate, ReadRequest, Reader};
use crate::domain::{Dimension, FilterSet, TRANSITIONS};
use crate::error::Failure;
use crate::model::{Scope, SnapshotInfo};
use crate::output::Cell;
use crate::sql::Stmt;

/// Which side of a diff the filters select users on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Side {
    From,
    To,
}

/// How to compare (the two scopes are the reader's and the other one given to
/// [`Reader::diff`]): the filters, the side they apply to, and the transitions to keep (empty:
/// all).
#[derive(Debug, Clone)]
pub(crate) struct DiffRequest {
    pub(crate) side: Side,
    pub(crate) filters: FilterSet,
    pub(crate) transitions: Vec<&'static str>,
}

/// One user who changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Change {
    pub(crate) email: String,
    pub(crate) name: Option<String>,
    /// `null` on the side the user is missing from.
    pub(crate) status_from: Option<String>,
    pub(crate) status_to: Option<String>,
    pub(crate) activity_from: Option<String>,
    pub(crate) activity_to: Option<String>,
    pub(crate) reminders_from: Option<i64>,
    pub(crate) reminders_to: Option<i64>,
    pub(crate) transitions: Vec<&'static str>,
}

/// One side of a diff: the snapshot and the instant and window it is measured at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct DiffSide {
    pub(crate) snapshot: SnapshotInfo,
    #[serde(serialize_with = "crate::util::ser_ts")]
    pub(crate) as_of: chrono::DateTime<chrono::Utc>,
    pub(crate) window_days: i64,
}

impl From<&Scope> for DiffSide {
    fn from(s: &Scope) -> DiffSide {
        DiffSide {
            snapshot: s.snapshot.clone(),
            as_of: s.as_of,
            window_days: s.window_days,
        }
    }
}

/// `rollcall diff`'s answer (its JSON shape).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Diff {
    pub(crate) from: DiffSide,
    pub(crate) to: DiffSide,
    pub(crate) filters: String,
    /// No filter: every user of either side was compared.
    #[serde(skip)]
    pub(crate) unfiltered: bool,
    pub(crate) side: Side,
    /// Users per transition, every kind kept in [`TRANSITIONS`] order (0 included).
    pub(crate) counts: Counts,
    pub(crate) users: Vec<Change>,
    #[serde(skip)]
    pub(crate) statement: Stmt,
}

/// Counts in [`TRANSITIONS`] order; serialised as an object in that order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Counts(pub(crate) Vec<(&'static str, u64)>);

impl Serialize for Counts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// A transition's name as the vocabulary spells it, or a usage error naming them all.
pub(crate) fn transition(name: &str) -> Result<&'static str> {
    let name = name.trim().to_ascii_lowercase();
    TRANSITIONS
        .iter()
        .map(|(n, _)| *n)
        .find(|n| *n == name)
        .ok_or_else(|| {
            let all: Vec<&str> = TRANSITIONS.iter().map(|(n, _)| *n).collect();
            Failure::Usage(format!(
                "unknown transition '{}': expected one of {}",
                crate::util::echo(&name),
                all.join(", ")
            ))
            .into()
        })
}

fn text(c: &Cell) -> Option<String> {
    match c {
        Cell::Null => None,
        other => Some(other.text()),
    }
}

fn int(c: &Cell) -> Option<i64> {
    match c {
        Cell::Int(i) => Some(*i),
        _ => None,
    }
}

impl Reader {
    /// The snapshot just before `s` in as-of order (ties by id), if any.
    pub(crate) fn previous(&self, s: &SnapshotInfo) -> Result<Option<SnapshotInfo>> {
        Ok(self
            .store()
            .snapshots()?
            .into_iter()
            .filter(|o| (o.as_of, o.id) < (s.as_of, s.id))
            .max_by_key(|o| (o.as_of, o.id)))
    }

    /// The two snapshots a diff compares: `--to` (default the latest) and `--from` (default the
    /// one before `--to` in as-of order). An unknown id, the same snapshot twice, or a database
    /// with one snapshot is a usage error (exit 2).
    pub(crate) fn diff_sides(
        &self,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<(SnapshotInfo, SnapshotInfo)> {
        let all = self.store().snapshots()?;
        let known = || {
            all.iter()
                .map(|s| s.id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let find = |flag: &str, id: i64| {
            all.iter().find(|s| s.id == id).cloned().ok_or_else(|| {
                anyhow::Error::from(Failure::Usage(format!(
                    "{flag} {id}: no such snapshot (have: {})",
                    known()
                )))
            })
        };
        if all.len() < 2 {
            return Err(Failure::Usage(format!(
                "the database holds {} snapshot{}: a diff needs two (ingest a later export first)",
                all.len(),
                if all.len() == 1 { "" } else { "s" }
            ))
            .into());
        }
        let to = match to {
            Some(id) => find("--to", id)?,
            None => all.last().cloned().expect("two snapshots"),
        };
        let from = match from {
            Some(id) => find("--from", id)?,
            None => self.previous(&to)?.ok_or_else(|| {
                    Failure::Usage(format!(
                        "snapshot {} is the earliest (by as-of): name one to compare it with, --from ID (have: {})",
                        to.id,
                        known()
                    ))
                })?,
        };
        if from.id == to.id {
            return Err(Failure::Usage(format!(
                "--from and --to are both snapshot {}: nothing to compare",
                to.id
            ))
            .into());
        }
        Ok((from, to))
    }

    /// Where a diff reads: the request of the side the filters apply to (a reader for it runs
    /// [`diff`](Self::diff)) and the other side's scope, both measured with `window_days`.
    pub(crate) fn diff_scopes(
        &self,
        from: Option<i64>,
        to: Option<i64>,
        side: Side,
        window_days: i64,
    ) -> Result<(ReadRequest, Scope)> {
        let (from, to) = self.diff_sides(from, to)?;
        let (filtered, other) = match side {
            Side::To => (to, from),
            Side::From => (from, to),
        };
        Ok((
            ReadRequest {
                snapshot: Some(filtered.id),
                as_of: None,
                window_days,
            },
            Scope {
                as_of: other.as_of,
                snapshot: other,
                window_days,
            },
        ))
    }

    /// What changed between this reader's scope and `other`'s: the reader's scope is the side
    /// the filters select on (`side`); the statement holds both scopes and runs on its own.
    pub(crate) fn diff(&self, other: &Scope, req: &DiffRequest) -> Result<Diff> {
        let (from, to) = match req.side {
            Side::To => (other, self.scope()),
            Side::From => (self.scope(), other),
        };
        let sql = self.sql();
        let params = |s: &Scope| sql.stmt("session/params.sql", crate::store::scope_params(s));
        let users = Stmt::new(sql.fragment("views/users.sql")?, vec![]);
        let s = sql.fill(
            "diff/users.sql",
            &[
                ("from_params", &params(from)?),
                ("to_params", &params(to)?),
                ("users", &users),
                (
                    "side",
                    &Stmt::new(if req.side == Side::To { "t" } else { "f" }, vec![]),
                ),
                ("where", &predicate(sql, &req.filters)?),
                (
                    "unfiltered",
                    &Stmt::new(
                        if req.filters == FilterSet::default() {
                            "TRUE"
                        } else {
                            "FALSE"
                        },
                        vec![],
                    ),
                ),
                ("email_order", &super::collated(sql, "email")?),
            ],
        )?;
        let timer = crate::util::Timer::start();
        let keep = |t: &str| req.transitions.is_empty() || req.transitions.contains(&t);
        let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
        let mut users = Vec::new();
        // Straight from DuckDB's batches into the users (a quarter of a million at 1,000,000):
        // no table of cells in between.
        let mut at: Option<[usize; 9]> = None;
        self.store()
            .stream(&s, |batch| {
                let at = match at {
                    Some(a) => a,
                    None => {
                        let schema = batch.schema();
                        let find = |name: &str| {
                            schema.index_of(name).map_err(|_| {
                                anyhow::anyhow!("queries/diff/users.sql returns no column {name}")
                            })
                        };
                        let a = [
                            find("email")?,
                            find("name")?,
                            find("status_from")?,
                            find("status_to")?,
                            find("activity_from")?,
                            find("activity_to")?,
                            find("reminders_from")?,
                            find("reminders_to")?,
                            find("transitions")?,
                        ];
                        *at.insert(a)
                    }
                };
                let col = |i: usize| batch.column(at[i]).as_ref();
                for row in 0..batch.num_rows() {
                    let cell = |i: usize| crate::store::cells::cell(col(i), row);
                    let words = cell(8).text();
                    let mut transitions = Vec::new();
                    for w in words.split_whitespace() {
                        let known = TRANSITIONS.iter().map(|(n, _)| *n).find(|n| *n == w);
                        let known = known.with_context(|| {
                            format!("queries/diff/users.sql gave an unknown transition '{w}'")
                        })?;
                        if keep(known) {
                            transitions.push(known);
                            *counts.entry(known).or_default() += 1;
                        }
                    }
                    if transitions.is_empty() {
                        continue;
                    }
                    users.push(Change {
                        email: cell(0).text(),
                        name: text(&cell(1)),
                        status_from: text(&cell(2)),
                        status_to: text(&cell(3)),
                        activity_from: text(&cell(4)),
                        activity_to: text(&cell(5)),
                        reminders_from: int(&cell(6)),
                        reminders_to: int(&cell(7)),
                        transitions,
                    });
                }
                Ok(())
            })
            .context("comparing the snapshots (queries/diff/users.sql)")?;
        timer.lap("diff rows");
        self.pseudonymize_changes(&mut users);
        Ok(Diff {
            from: from.into(),
            to: to.into(),
            filters: req.filters.describe(),
            unfiltered: req.filters == FilterSet::default(),
            side: req.side,
            counts: Counts(
                TRANSITIONS
                    .iter()
                    .map(|(n, _)| *n)
                    .filter(|n| keep(n))
                    .map(|n| (n, counts.get(n).copied().unwrap_or(0)))
                    .collect(),
            ),
            users,
            statement: s,
        })
    }

    /// The same read session over another scope (the connection and its views kept).
    pub(crate) fn rescoped(self, request: &ReadRequest) -> Result<Reader> {
        let pseudo = self.pseudo.clone();
        let mut reader = Reader::reuse(self.into_store(), request, true)?;
        reader.pseudo = pseudo;
        Ok(reader)
    }
}

/// One snapshot's counts in a trend.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TrendPoint {
    pub(crate) snapshot: SnapshotInfo,
    #[serde(serialize_with = "crate::util::ser_ts")]
    pub(crate) as_of: chrono::DateTime<chrono::Utc>,
    pub(crate) window_days: i64,
    /// Users matching the filters in that snapshot.
    pub(crate) matches: u64,
    /// The funnel's steps (`total`, `assigned`, `activated`, `app_setup`, `using`) → count.
    pub(crate) funnel: Counts,
    /// Each dimension's values → count, within the other filters.
    pub(crate) facets: BTreeMap<Dimension, Counts>,
}

/// `rollcall trend`'s answer.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Trend {
    pub(crate) filters: String,
    pub(crate) window_days: i64,
    pub(crate) snapshots: Vec<TrendPoint>,
}

/// The funnel and facet counts of every snapshot (up to `until`, by as-of, when given), in
/// as-of order, each at its own as-of with `window_days`: the summary's scan once per snapshot
/// on one connection.
pub(crate) fn trend(
    reader: Reader,
    filters: &FilterSet,
    window_days: i64,
    until: Option<&SnapshotInfo>,
) -> Result<Trend> {
    let mut order = reader.store().snapshots()?;
    order.sort_by_key(|s| (s.as_of, s.id));
    if let Some(u) = until {
        order.retain(|s| (s.as_of, s.id) <= (u.as_of, u.id));
    }
    let mut reader = reader;
    let mut points = Vec::new();
    for snap in order {
        reader = reader.rescoped(&ReadRequest {
            snapshot: Some(snap.id),
            as_of: None,
            window_days,
        })?;
        let c = reader.funnel_counts(filters)?;
        points.push(TrendPoint {
            snapshot: snap,
            as_of: reader.scope().as_of,
            window_days,
            matches: c.matches,
            funnel: Counts(c.funnel.iter().map(|s| (s.key, s.count)).collect()),
            facets: c
                .facets
                .iter()
                .map(|f| {
                    (
                        f.dimension,
                        Counts(f.values.iter().map(|v| (v.value, v.count)).collect()),
                    )
                })
                .collect(),
        });
    }
    Ok(Trend {
        filters: filters.describe(),
        window_days,
        snapshots: points,
    })
}
