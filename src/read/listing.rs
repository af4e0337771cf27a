//! The users list: which columns, which rows, in which order, one page of them, and the JSON
//! shape of `users --format json` and `/api/users`. `export` and the report run the same
//! statement, so every consumer of a listing sees the same rows.

use anyhow::Result;
use serde::Serialize;

use super::{predicate, Reader};
use crate::domain::{self, Column, FilterSet};
use crate::error::Failure;
use crate::export::FiltersRecord;
use crate::model::Scope;
use crate::output::{Cell, Grid};
use crate::sql::{Param, Sql, Stmt};

/// `--columns a,b` (or `columns=a,b`): checked against the view; empty means `default`.
pub(crate) fn resolve_columns(
    requested: &[String],
    default: &[&'static str],
) -> Result<Vec<&'static str>> {
    if requested.is_empty() {
        return Ok(default.to_vec());
    }
    requested
        .iter()
        .filter(|c| !c.trim().is_empty())
        .map(|c| domain::column(c).map(|c| c.key).map_err(usage))
        .collect()
}

fn usage(message: String) -> anyhow::Error {
    Failure::Usage(message).into()
}

/// `--sort FIELD[:desc]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sort {
    column: &'static Column,
    desc: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            column: domain::column("name").expect("the name column"),
            desc: false,
        }
    }
}

impl Sort {
    pub(crate) fn parse(text: Option<&str>) -> Result<Sort> {
        let Some(text) = text else {
            return Ok(Sort::default());
        };
        let (field, dir) = text.split_once(':').unwrap_or((text, "asc"));
        let desc = match dir.trim().to_ascii_lowercase().as_str() {
            "asc" => false,
            "desc" => true,
            other => {
                return Err(usage(format!(
                    "--sort {text}: direction '{other}' must be asc or desc"
                )))
            }
        };
        Ok(Sort {
            column: domain::column(field).map_err(|e| usage(format!("--sort: {e}")))?,
            desc,
        })
    }

    /// The sort key for `queries/read/users.sql`: text through the collation
    /// (`queries/read/collation.sql`).
    fn key(self, sql: &Sql) -> Result<Stmt> {
        let mut key = if self.column.text {
            collated(sql, self.column.key)?
        } else {
            Stmt::new(self.column.key, vec![])
        };
        key.push(if self.desc { " DESC" } else { " ASC" });
        Ok(key)
    }

    pub(crate) fn describe(self) -> String {
        format!(
            "{}{}",
            self.column.key,
            if self.desc { ":desc" } else { "" }
        )
    }
}

/// `expr` through the collation every text sort uses (`queries/read/collation.sql`).
pub(crate) fn collated(sql: &Sql, expr: &str) -> Result<Stmt> {
    sql.fill("read/collation.sql", &[("text", &Stmt::new(expr, vec![]))])
}

/// A column name the report asks for beside the view's own: `name_order` is `name`'s
/// collation key (what a sort by name compares), so the page can rank rows exactly as the
/// statement orders them without a collation of its own.
const ORDER_SUFFIX: &str = "_order";

/// A listing: which rows (the filters), in which order, which columns.
#[derive(Debug, Clone)]
pub(crate) struct Listing {
    pub(crate) filters: FilterSet,
    pub(crate) sort: Sort,
    pub(crate) columns: Vec<&'static str>,
}

impl Listing {
    /// The SELECT that `users`, `export` and the report all run: one statement, so they agree.
    pub(crate) fn select(&self, sql: &Sql, limit: Option<u64>, offset: u64) -> Result<Stmt> {
        self.select_from(sql, "read/users.sql", limit, offset)
    }

    /// [`select`](Self::select) through another template with the same slots (the
    /// pseudonymised list, `read/users_pseudonymized.sql`).
    pub(crate) fn select_from(
        &self,
        sql: &Sql,
        template: &str,
        limit: Option<u64>,
        offset: u64,
    ) -> Result<Stmt> {
        let mut columns = Stmt::default();
        for (i, c) in self.columns.iter().enumerate() {
            if i > 0 {
                columns.push(", ");
            }
            match c.strip_suffix(ORDER_SUFFIX) {
                Some(text) if domain::column(text).is_ok_and(|col| col.text) => {
                    columns.append(&collated(sql, text)?);
                    columns.push(&format!(" AS {c}"));
                }
                _ => {
                    columns.push(c);
                }
            }
        }
        let mut s = sql.fill(
            template,
            &[
                ("columns", &columns),
                ("where", &predicate(sql, &self.filters)?),
                ("sort", &self.sort.key(sql)?),
            ],
        )?;
        if let Some(l) = limit {
            s.push("\nLIMIT ?");
            s.params.push(Param::Int(bounded(l, "limit")?));
        }
        if offset > 0 {
            s.push("\nOFFSET ?");
            s.params.push(Param::Int(bounded(offset, "offset")?));
        }
        Ok(s)
    }
}

/// DuckDB binds LIMIT and OFFSET as signed 64-bit integers.
fn bounded(n: u64, what: &str) -> Result<i64> {
    i64::try_from(n).map_err(|_| usage(format!("{what} {n}: at most {}", i64::MAX)))
}

/// One page of the users list and the totals its count line reports.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    pub(crate) matches: u64,
    pub(crate) total: u64,
    pub(crate) offset: u64,
    pub(crate) limit: Option<u64>,
    pub(crate) grid: Grid,
}

impl Reader {
    /// One page of a listing (all of it without a limit) and its counts.
    pub(crate) fn page(&self, listing: &Listing, limit: Option<u64>, offset: u64) -> Result<Page> {
        let stmt = listing.select(self.sql(), limit, offset)?;
        let grid = self.store().grid(&stmt)?;
        let (matches, total) = self.counts(&listing.filters)?;
        Ok(Page {
            matches,
            total,
            offset,
            limit,
            grid,
        })
    }

    /// (users matching the filters, all users in the scope).
    pub(crate) fn counts(&self, filters: &FilterSet) -> Result<(u64, u64)> {
        let s = self.sql().fill(
            "read/count.sql",
            &[("where", &predicate(self.sql(), filters)?)],
        )?;
        let g = self.store().grid(&s)?;
        Ok((int(&g, 0, 0), int(&g, 0, 1)))
    }
}

pub(super) fn int(g: &Grid, row: usize, col: usize) -> u64 {
    match g.rows.get(row).and_then(|r| r.get(col)) {
        Some(Cell::Int(i)) => (*i).max(0) as u64,
        _ => 0,
    }
}

/// The documented JSON shape of `users --format json` and `/api/users` (README: "JSON output").
#[derive(Debug, Serialize)]
struct UsersJson {
    snapshot: i64,
    #[serde(serialize_with = "crate::util::ser_ts")]
    as_of: chrono::DateTime<chrono::Utc>,
    window_days: i64,
    filters: FiltersRecord,
    sort: String,
    total: u64,
    users_in_snapshot: u64,
    offset: u64,
    limit: Option<u64>,
    count: usize,
    users: serde_json::Value,
}

/// The page as [`UsersJson`], through a JSON value so its keys come out sorted, as they always have.
pub(crate) fn users_json(page: &Page, scope: &Scope, listing: &Listing) -> serde_json::Value {
    let shape = UsersJson {
        snapshot: scope.snapshot.id,
        as_of: scope.as_of,
        window_days: scope.window_days,
        filters: FiltersRecord::of(&listing.filters),
        sort: listing.sort.describe(),
        total: page.matches,
        users_in_snapshot: page.total,
        offset: page.offset,
        limit: page.limit,
        count: page.grid.rows.len(),
        users: crate::output::json_rows(&page.grid),
    };
    serde_json::to_value(shape).expect("plain data serializes")
}
