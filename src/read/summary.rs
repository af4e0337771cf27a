//! `rollcall summary`, `/api/summary` and the report's charts: the onboarding funnel, the
//! facet counts of every filter dimension and the data-quality notices, in one scan.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::listing::int;
use super::{predicate, Reader};
use crate::domain::{Dimension, FilterSet, FUNNEL};
use crate::model::{NoticeRow, SnapshotInfo};
use crate::output::Cell;
use crate::sql::Stmt;

/// One step of the onboarding funnel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Step {
    pub(crate) key: &'static str,
    pub(crate) label: &'static str,
    pub(crate) count: u64,
    /// Of the users in scope (the first step).
    pub(crate) percent: f64,
}

/// A value of a facet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct FacetValue {
    pub(crate) value: &'static str,
    pub(crate) label: String,
    pub(crate) count: u64,
    pub(crate) percent: f64,
    /// Whether the current filters select this value.
    pub(crate) selected: bool,
}

/// Counts for every value of one dimension, within all the other filters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Facet {
    pub(crate) dimension: Dimension,
    /// Users matching every filter except this dimension's: the facet's 100 %.
    pub(crate) base: u64,
    pub(crate) values: Vec<FacetValue>,
}

/// Data-quality notices for the snapshot and scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Quality {
    pub(crate) rejected: u64,
    pub(crate) rejects_by_reason: BTreeMap<String, u64>,
    pub(crate) status_disagreements: u64,
    /// Users (in scope) whose last use is after the as-of instant.
    pub(crate) future_last_use: u64,
    pub(crate) future_examples: Vec<String>,
    /// Every notice, or the first ones when the reader capped them ([`Quality::cap_notices`]);
    /// `notices_total` counts them all.
    pub(crate) notices: Vec<NoticeRow>,
    pub(crate) notices_total: usize,
}

impl Quality {
    /// Keeps the first `n` notices (the server's summary is asked for on every change of the
    /// console's filters; a million-user snapshot can hold thousands of notices).
    pub(crate) fn cap_notices(&mut self, n: usize) {
        self.notices.truncate(n);
    }
}

/// `rollcall summary`: funnel, facets and notices.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Summary {
    pub(crate) snapshot: SnapshotInfo,
    #[serde(serialize_with = "crate::util::ser_ts")]
    pub(crate) as_of: DateTime<Utc>,
    pub(crate) window_days: i64,
    pub(crate) filters: String,
    pub(crate) total: u64,
    pub(crate) matches: u64,
    pub(crate) funnel: Vec<Step>,
    pub(crate) facets: Vec<Facet>,
    pub(crate) quality: Quality,
    /// The seats recorded for the snapshot (`licenses seats`), else those of the seats setting,
    /// and the users holding a license, whatever the filters: the organisation's count, with
    /// its `source`. `null` when neither is known.
    pub(crate) seats: Option<crate::licenses::Seats>,
}

fn pct(n: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        (n as f64 * 1000.0 / of as f64).round() / 10.0
    }
}

/// `count(*) FILTER (WHERE (a) AND (b))`: one column of the summary's scan.
fn count_where(a: &str, b: &Stmt) -> Stmt {
    let mut s = Stmt::new(format!(" count(*) FILTER (WHERE ({a}) AND ("), vec![]);
    s.append(b).push("))");
    s
}

/// The counts of the summary's one scan (what `rollcall trend` takes of each snapshot).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Counted {
    pub(crate) total: u64,
    pub(crate) matches: u64,
    pub(crate) funnel: Vec<Step>,
    pub(crate) facets: Vec<Facet>,
    pub(crate) future_last_use: u64,
    pub(crate) future_examples: Vec<String>,
}

impl Reader {
    /// The funnel and every facet's counts in one scan of the users view
    /// (`queries/read/summary.sql`).
    pub(crate) fn funnel_counts(&self, filters: &FilterSet) -> Result<Counted> {
        let sql = self.sql();
        let scope = self.scope();
        let all = predicate(sql, filters)?;
        let mut counts = Vec::new();
        for (key, _) in FUNNEL {
            counts.push(count_where(
                &sql.fragment(&format!("funnel/{key}.sql"))?,
                &all,
            ));
        }
        for dim in Dimension::ALL {
            let others = predicate(sql, &filters.without(dim))?;
            counts.push(count_where("TRUE", &others));
            for v in dim.values() {
                counts.push(count_where(
                    &sql.filter(&dim.filter_name(v))?.body(),
                    &others,
                ));
            }
        }
        let s = sql.fill(
            "read/summary.sql",
            &[("counts", &Stmt::join(&counts, ",\n")), ("where", &all)],
        )?;
        let t = crate::util::Timer::start();
        let g = self.store().grid(&s).context("computing the summary")?;
        t.lap("summary scan");
        let mut col = 0;
        let mut next = || {
            let v = int(&g, 0, col);
            col += 1;
            v
        };
        let total = next();
        let mut funnel: Vec<Step> = FUNNEL
            .iter()
            .map(|(key, label)| Step {
                key,
                label,
                count: next(),
                percent: 0.0,
            })
            .collect();
        let matches = funnel[0].count;
        for step in &mut funnel {
            step.percent = pct(step.count, matches);
        }
        let mut facets = Vec::new();
        for dim in Dimension::ALL {
            let base = next();
            let selected = filters.values_of(dim);
            let values = dim
                .values()
                .iter()
                .map(|v| {
                    let count = next();
                    FacetValue {
                        value: v,
                        label: dim.label(v, scope.window_days).into_owned(),
                        count,
                        percent: pct(count, base),
                        selected: selected.contains(v),
                    }
                })
                .collect();
            facets.push(Facet {
                dimension: dim,
                base,
                values,
            });
        }
        let future_last_use = next();
        // Emails hold no whitespace (the contract refuses it), so a newline joins them safely.
        let future_examples: Vec<String> = match g.rows.first().and_then(|r| r.get(col)) {
            Some(Cell::Text(list)) => list.lines().take(5).map(String::from).collect(),
            _ => Vec::new(),
        };
        Ok(Counted {
            total,
            matches,
            funnel,
            facets,
            future_last_use,
            future_examples,
        })
    }

    /// `rollcall summary`: the counts, the data-quality notices and the seats.
    pub(crate) fn summary(&self, filters: &FilterSet) -> Result<Summary> {
        let scope = self.scope();
        let Counted {
            total,
            matches,
            funnel,
            facets,
            future_last_use,
            future_examples,
        } = self.funnel_counts(filters)?;
        let rejects = self.rejects()?;
        let mut rejects_by_reason = BTreeMap::new();
        for r in &rejects {
            *rejects_by_reason.entry(r.reason.clone()).or_insert(0) += 1;
        }
        let notices = self.notices()?;
        let seats = self.seats()?;
        Ok(Summary {
            snapshot: scope.snapshot.clone(),
            as_of: scope.as_of,
            window_days: scope.window_days,
            filters: filters.describe(),
            total,
            matches,
            funnel,
            facets,
            quality: Quality {
                rejected: rejects.len() as u64,
                rejects_by_reason,
                status_disagreements: notices
                    .iter()
                    .filter(|n| n.kind == "status-disagreement")
                    .count() as u64,
                future_last_use,
                future_examples: self.pseudonymize_emails(future_examples),
                notices_total: notices.len(),
                notices,
            },
            seats,
        })
    }
}
