//! The license worklist (issue #12): who to assign a license to and whom to reclaim one from,
//! the admin's decisions (`license_worklist`), whether a later snapshot confirmed them, and the
//! seats bought (`license_seats`). rollcall cannot assign licenses in the console; it keeps the
//! admin's list exact. Every state is computed in `queries/licenses/`, never stored.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::FilterSet;
use crate::error::Failure;
use crate::output::{Cell, Grid};
use crate::read::{predicate, Reader};
use crate::sql::{Param, Stmt};

/// What a decision asks the admin to do in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Assign,
    Reclaim,
}

impl Action {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Action::Assign => "assign",
            Action::Reclaim => "reclaim",
        }
    }
}

/// One decision to record, checked against the snapshot it is marked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mark {
    pub(crate) email_key: String,
    pub(crate) email: String,
    pub(crate) action: Action,
    pub(crate) note: Option<String>,
    pub(crate) at: DateTime<Utc>,
    pub(crate) snapshot_id: i64,
}

/// Seat utilisation for `summary`: the users holding a license of the seats bought.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Seats {
    pub(crate) seats: i64,
    pub(crate) assigned: i64,
    /// assigned / seats in percent, to one decimal (0 when no seats were bought).
    pub(crate) utilisation: f64,
    /// Where the count came from: `recorded` (`licenses seats`, for this snapshot), else the
    /// setting used when none is recorded: `flag` (`--seats`) or `config` (the file).
    pub(crate) source: &'static str,
}

/// Parses `--reclaim-after`: whole days, as `90d` or `90`.
pub(crate) fn parse_days(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let digits = t.strip_suffix('d').unwrap_or(t);
    match digits.parse::<i64>() {
        Ok(n) if (1..=36500).contains(&n) => Ok(n),
        _ => Err(format!(
            "'{text}': expected a number of days from 1 to 36500, such as 90d"
        )),
    }
}

fn text_of(c: &Cell) -> String {
    c.text()
}

fn int_of(c: &Cell) -> i64 {
    match c {
        Cell::Int(i) => *i,
        _ => 0,
    }
}

impl Reader {
    /// `licenses todo`: users in scope to assign (no license) and to reclaim (licensed, never
    /// used or last used more than `days` before the as-of), one grid with a `kind` column.
    pub(crate) fn license_todo(&self, filters: &FilterSet, days: i64) -> Result<Grid> {
        let sql = self.sql();
        let decisions = Stmt::new(sql.fragment("licenses/decisions.sql")?, vec![]);
        let mut s = sql.fill(
            "licenses/todo.sql",
            &[
                ("decisions", &decisions),
                ("where", &predicate(sql, filters)?),
                ("email_order", &crate::read::collated(sql, "email")?),
            ],
        )?;
        // The threshold's `?` follows the filters' in the statement.
        s.params.push(Param::Int(days));
        self.store()
            .grid(&s)
            .context("listing the license worklist (queries/licenses/todo.sql)")
    }

    /// Every decision in the worklist, with its state and confirming snapshot.
    pub(crate) fn license_decisions(&self) -> Result<Grid> {
        self.store()
            .grid(&self.sql().stmt("licenses/decisions.sql", vec![])?)
            .context("listing the worklist's decisions (queries/licenses/decisions.sql)")
    }

    /// The seats recorded for the scope's snapshot, else the reader's seats setting (see
    /// [`Reader::assume_seats`]), with the users holding a license; `None` when neither is
    /// known. A recorded count wins: it is the organisation's record for that snapshot, while
    /// the setting is one number for every snapshot.
    pub(crate) fn seats(&self) -> Result<Option<Seats>> {
        let g = self
            .store()
            .grid(&self.sql().stmt("licenses/seats.sql", vec![])?)
            .context("reading the seats (queries/licenses/seats.sql)")?;
        let (seats, source) = match g.rows.first() {
            Some(r) => {
                let [seats] = g.columns(["seats"], "licenses/seats.sql")?;
                (int_of(&r[seats]), "recorded")
            }
            None => match self.seats_setting() {
                Some(setting) => setting,
                None => return Ok(None),
            },
        };
        // Counted only when seats are known: the count scans every user of the snapshot.
        let a = self
            .store()
            .grid(&self.sql().stmt("licenses/assigned.sql", vec![])?)
            .context("counting the licensed users (queries/licenses/assigned.sql)")?;
        let [assigned] = a.columns(["assigned"], "licenses/assigned.sql")?;
        let assigned = a.rows.first().map_or(0, |r| int_of(&r[assigned]));
        let utilisation = if seats == 0 {
            0.0
        } else {
            (assigned as f64 * 1000.0 / seats as f64).round() / 10.0
        };
        Ok(Some(Seats {
            seats,
            assigned,
            utilisation,
            source,
        }))
    }

    /// Checks the decisions for `emails` against the scope's snapshot: every email must be a
    /// user of it (else exit 2 naming the unknown ones), an assign must be for a user without a
    /// license and a reclaim for one with a license (else exit 2 with the reasons). All or
    /// nothing, so a typo never records half a batch.
    pub(crate) fn plan_marks(
        &self,
        emails: &[String],
        action: Action,
        note: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<Vec<Mark>> {
        let snapshot_id = self.scope().snapshot.id;
        let mut unknown = Vec::new();
        let mut refused = Vec::new();
        let mut marks: Vec<Mark> = Vec::new();
        for raw in emails {
            let key = crate::email::key(raw.trim());
            if marks.iter().any(|m| m.email_key == key) {
                continue;
            }
            let g = self
                .store()
                .grid(
                    &self
                        .sql()
                        .stmt("licenses/user.sql", vec![Param::Text(key.clone())])?,
                )
                .context("looking the user up (queries/licenses/user.sql)")?;
            let Some(r) = g.rows.first() else {
                unknown.push(raw.trim().to_string());
                continue;
            };
            let [email, license] = g.columns(["email", "license"], "licenses/user.sql")?;
            let (email, license) = (text_of(&r[email]), text_of(&r[license]));
            match (action, license.as_str()) {
                (Action::Assign, "assigned") => refused.push(format!(
                    "{email}: already has a license (nothing to assign)"
                )),
                (Action::Reclaim, "unassigned") => {
                    refused.push(format!("{email}: has no license to reclaim"))
                }
                _ => {}
            }
            marks.push(Mark {
                email_key: key,
                email,
                action,
                note: note.map(str::to_string),
                at,
                snapshot_id,
            });
        }
        if !unknown.is_empty() {
            return Err(Failure::Usage(format!(
                "not in snapshot {snapshot_id}: {}; nothing recorded",
                unknown.join(", ")
            ))
            .into());
        }
        if !refused.is_empty() {
            return Err(Failure::Usage(format!(
                "refused in snapshot {snapshot_id}: {}; nothing recorded",
                refused.join("; ")
            ))
            .into());
        }
        Ok(marks)
    }
}
