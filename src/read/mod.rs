//! The read side, shared by the CLI, the report and the server: one [`Reader`] per request
//! opens the database read-only for a scope, and owns every read query (all in
//! `queries/read/`) and every JSON shape (`users`, `summary`, `show`). Nothing here knows
//! about flags or URLs: both arrive as a [`ReadRequest`] and a [`FilterSet`].

mod detail;
mod history;
mod listing;
mod pseudonyms;
mod summary;

use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use chrono::{DateTime, Utc};

pub(crate) use detail::{Detail, MAX_EMAIL};
pub(crate) use history::{
    transition, trend, Change, Counts, Diff, DiffRequest, DiffSide, Side, Trend,
};
pub(crate) use listing::{collated, resolve_columns, users_json, Listing, Page, Sort};
pub(crate) use summary::Summary;

use crate::bounds::Stopwatch;
use crate::domain::FilterSet;
use crate::error::Failure;
use crate::model::{InputMeta, NoticeRow, Reject, Scope, SnapshotInfo};
use crate::sql::{Param, Sql, Stmt};
use crate::store::{Access, Batch, Store};

/// Which snapshot, at which instant, over which window: what a read is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReadRequest {
    /// `None`: the latest.
    pub(crate) snapshot: Option<i64>,
    /// `None`: the snapshot's own as-of.
    pub(crate) as_of: Option<DateTime<Utc>>,
    pub(crate) window_days: i64,
}

impl Default for ReadRequest {
    fn default() -> Self {
        ReadRequest {
            snapshot: None,
            as_of: None,
            window_days: 30,
        }
    }
}

/// The database open read-only, its session showing one scope.
pub(crate) struct Reader {
    store: Store,
    scope: Scope,
    /// Set by [`Reader::pseudonymize`]: every name and email this reader hands out is a
    /// pseudonym (see `pseudonyms.rs`).
    pseudo: Option<std::sync::Arc<crate::pseudo::Key>>,
    /// Set by [`Reader::assume_seats`]: the seats bought when the snapshot has no count
    /// recorded, and where that number came from (`flag`, `config`).
    seats: Option<(i64, &'static str)>,
}

impl Reader {
    /// Opens the database and sets up the read session (see [`Store::use_scope`]).
    pub(crate) fn open(db: &Path, sql: &Sql, request: &ReadRequest) -> Result<Reader> {
        Reader::with_store(Store::open(db, Access::ReadOnly, sql.clone())?, request)
    }

    /// As [`open`](Self::open), for analysts' ad-hoc SQL: no file access beyond the database,
    /// and at most `memory` bytes (`None`: DuckDB's default), which the SQL cannot change.
    pub(crate) fn open_for_query(
        db: &Path,
        sql: &Sql,
        request: &ReadRequest,
        memory: Option<u64>,
    ) -> Result<Reader> {
        let store = Store::open(db, Access::Query, sql.clone())?;
        store.bound_memory(memory)?;
        Reader::with_store(store, request)
    }

    fn with_store(store: Store, request: &ReadRequest) -> Result<Reader> {
        let scope = Reader::scope_of(&store, request)?;
        store.use_scope(&scope)?;
        Ok(Reader {
            store,
            scope,
            pseudo: None,
            seats: None,
        })
    }

    fn scope_of(store: &Store, request: &ReadRequest) -> Result<Scope> {
        let snapshot = store.snapshot(request.snapshot)?;
        Ok(Scope {
            as_of: request.as_of.unwrap_or(snapshot.as_of),
            snapshot,
            window_days: request.window_days,
        })
    }

    /// A reader over a connection the caller keeps between reads (the server's pool):
    /// `session` says whether [`into_store`](Self::into_store) handed it back from an earlier
    /// reader, whose session views then only need the new scope.
    pub(crate) fn reuse(store: Store, request: &ReadRequest, session: bool) -> Result<Reader> {
        if !session {
            return Reader::with_store(store, request);
        }
        let scope = Reader::scope_of(&store, request)?;
        store.rescope(&scope)?;
        Ok(Reader {
            store,
            scope,
            pseudo: None,
            seats: None,
        })
    }

    /// Another reader on the same open database (a second connection, its own session) for
    /// `request`: never a second instance of the file in this process.
    pub(crate) fn sibling(&self, request: &ReadRequest) -> Result<Reader> {
        let mut sibling = Reader::with_store(self.store.try_clone()?, request)?;
        sibling.pseudo = self.pseudo.clone();
        sibling.seats = self.seats;
        Ok(sibling)
    }

    /// The connection back, its session views kept, for [`reuse`](Self::reuse).
    pub(crate) fn into_store(self) -> Store {
        self.store
    }

    /// The seats bought as `summary` (and the report and server) count them when the snapshot
    /// has none recorded (`summary --seats`, or `seats` in the configuration file).
    pub(crate) fn assume_seats(&mut self, seats: Option<(i64, &'static str)>) {
        self.seats = seats;
    }

    pub(crate) fn seats_setting(&self) -> Option<(i64, &'static str)> {
        self.seats
    }

    pub(crate) fn scope(&self) -> &Scope {
        &self.scope
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn sql(&self) -> &Sql {
        &self.store.sql
    }

    /// Checks that each custom filter of the set exists and works against the users view; the
    /// error names the filter's file.
    pub(crate) fn check(&self, filters: &FilterSet) -> Result<()> {
        for name in &filters.custom {
            let f = self.sql().filter(name)?;
            let s = self.sql().fill(
                "read/check_filter.sql",
                &[("where", &Stmt::new(f.body(), vec![]))],
            )?;
            if let Err(e) = self.store.check(&s) {
                let origin = if f.origin == "built-in" {
                    format!("queries/filters/{name}.sql")
                } else {
                    f.origin.clone()
                };
                return Err(Failure::Usage(format!(
                    "{origin}: filter '{name}' does not work: {e}"
                ))
                .into());
            }
        }
        Ok(())
    }

    /// Runs an analyst's statement in this session, handing its rows to `f` as they arrive
    /// (never holding the result) and stopping it with [`crate::store::TimedOut`] once `clock`
    /// passes `limit`. On a read-only connection DuckDB refuses writes with an error. Returns
    /// the column names.
    pub(crate) fn adhoc(
        &self,
        statement: &str,
        limit: Duration,
        clock: &Stopwatch,
        f: impl FnMut(Batch<'_>) -> Result<()>,
    ) -> Result<Vec<String>> {
        self.store
            .stream_within(&Stmt::new(statement, vec![]), limit, clock, f)
    }

    pub(crate) fn inputs(&self) -> Result<Vec<InputMeta>> {
        self.store.inputs(self.scope.snapshot.id)
    }

    pub(crate) fn rejects(&self) -> Result<Vec<Reject>> {
        Ok(self.withhold(self.store.rejects(self.scope.snapshot.id)?))
    }

    /// One page of the snapshot's rejects and their total (`limit`, `offset` as bound: checked
    /// by the caller).
    pub(crate) fn rejects_page(&self, limit: i64, offset: i64) -> Result<(u64, Vec<Reject>)> {
        let (total, rows) = self
            .store
            .rejects_page(self.scope.snapshot.id, limit, offset)?;
        Ok((total, self.withhold(rows)))
    }

    pub(crate) fn notices(&self) -> Result<Vec<NoticeRow>> {
        Ok(self.pseudonymize_notices(self.store.notices(self.scope.snapshot.id)?))
    }

    /// A statement as a manifest records it: self-contained, with the scope's parameters and
    /// the users view in front (`queries/read/standalone.sql`), so it runs as it is in any
    /// DuckDB client against the file.
    pub(crate) fn standalone(&self, s: &Stmt) -> Result<Stmt> {
        let params = self.sql().stmt(
            "session/params.sql",
            crate::store::scope_params(&self.scope),
        )?;
        let users = Stmt::new(self.sql().fragment("views/users.sql")?, vec![]);
        self.sql().fill(
            "read/standalone.sql",
            &[("params", &params), ("users", &users), ("statement", s)],
        )
    }
}

/// The predicate of a filter set: OR within a dimension, AND across, then custom filters and
/// search. `TRUE` when nothing is filtered, so it can always follow WHERE or FILTER (WHERE …).
pub(crate) fn predicate(sql: &Sql, filters: &FilterSet) -> Result<Stmt> {
    let mut parts: Vec<Stmt> = Vec::new();
    for (dim, values) in &filters.dimensions {
        let ors = values
            .iter()
            .map(|v| {
                sql.filter(&dim.filter_name(v))
                    .map(|f| format!("({})", f.body()))
            })
            .collect::<Result<Vec<_>>>()?;
        parts.push(Stmt::new(format!("({})", ors.join(" OR ")), vec![]));
    }
    for name in &filters.custom {
        parts.push(Stmt::new(format!("({})", sql.filter(name)?.body()), vec![]));
    }
    if let Some(text) = &filters.search {
        parts.push(sql.stmt(
            "search.sql",
            vec![Param::Text(text.clone()), Param::Text(text.clone())],
        )?);
    }
    if parts.is_empty() {
        return Ok(Stmt::new("TRUE", vec![]));
    }
    Ok(Stmt::join(&parts, "\n  AND "))
}

/// Every snapshot in the database, for `rollcall snapshots` (no scope needed).
pub(crate) fn snapshots(db: &Path, sql: &Sql) -> Result<Vec<SnapshotInfo>> {
    Store::open(db, Access::ReadOnly, sql.clone())?.snapshots()
}
